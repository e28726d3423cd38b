import Testing
@testable import Engine

struct EngineTests {
    @Test func eventsRunInTimeOrder() {
        var engine = Engine<String>()
        engine.schedule(at: .seconds(30), "c")
        engine.schedule(at: .seconds(10), "a")
        engine.schedule(at: .seconds(20), "b")
        var seen: [String] = []
        engine.run { _, _, p in seen.append(p) }
        #expect(seen == ["a", "b", "c"])
        #expect(engine.now == .seconds(30))
    }

    @Test func sameTimeEventsRunInSchedulingOrderThenByPriority() {
        var engine = Engine<Int>()
        for i in 0..<100 { engine.schedule(at: .seconds(5), i) }
        engine.schedule(at: .seconds(5), priority: -1, -1)
        var seen: [Int] = []
        engine.run { _, _, p in seen.append(p) }
        #expect(seen == [-1] + Array(0..<100))
    }

    @Test func handlersScheduleMoreEventsAndRunUntilStopsAtTheHorizon() {
        // A process that writes every hour, and a sampler every 6 hours after same-time writes.
        enum Event { case write, sample }
        var engine = Engine<Event>()
        engine.schedule(at: .zero, .write)
        engine.schedule(at: .zero, priority: 1, .sample)
        var writes: [SimTime] = [], samples: [SimTime] = []
        engine.run(until: .days(1)) { e, t, event in
            switch event {
            case .write:
                writes.append(t)
                e.schedule(after: .hours(1), .write)
            case .sample:
                samples.append(t)
                e.schedule(after: .hours(6), priority: 1, .sample)
            }
        }
        #expect(writes.count == 25 && writes.last == .days(1))
        #expect(samples == [0, 6, 12, 18, 24].map { SimTime.hours($0) })
        #expect(engine.now == .days(1))
        #expect(engine.pending == 2, "the next write and sample wait beyond the horizon")
        // Continue the same run.
        engine.run(until: .days(1) + .hours(2)) { e, t, event in
            if case .write = event { writes.append(t); e.schedule(after: .hours(1), .write) }
        }
        #expect(writes.count == 27)
    }

    @Test func runsAreDeterministic() {
        func trace() -> [Int] {
            var engine = Engine<Int>()
            var state: UInt64 = 99
            for i in 0..<1000 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                engine.schedule(at: .seconds(Int64(state >> 60)), i)
            }
            var out: [Int] = []
            engine.run { e, _, p in
                out.append(p)
                if p % 7 == 0 && p < 5000 { e.schedule(after: .seconds(1), p + 10_000) }
            }
            return out
        }
        let a = trace()
        #expect(a == trace())
        #expect(a.count == 1000 + (0..<1000).filter { $0 % 7 == 0 }.count)
    }

    struct Stop: Error, Equatable {}

    @Test func aThrowingHandlerStopsTheRun() {
        var engine = Engine<Int>()
        for i in 0..<5 { engine.schedule(at: .seconds(Int64(i)), i) }
        var seen: [Int] = []
        #expect(throws: Stop.self) {
            try engine.run { _, _, p in
                seen.append(p)
                if p == 2 { throw Stop() }
            }
        }
        #expect(seen == [0, 1, 2])
        #expect(engine.pending == 2)
    }

    @Test func timeArithmetic() {
        #expect(SimTime.days(1) == .hours(24))
        #expect(SimTime.hours(1).seconds == 3600)
        #expect(SimTime.days(90).days == 90)
        #expect(SimTime.hours(1) * 3 == .hours(3))
    }
}
