import BlockModel
import Engine
import Testing
@testable import Workloads

/// The events workload on a case small enough to count by hand (4 KiB blocks).
@Suite struct EventsWorkloadTests {
    func scenario(_ operations: [TimedOperation], platform: Platform = .ontap) -> ScenarioSpec {
        var spec = ScenarioSpec(name: "events", horizon: .days(4), sampleInterval: .days(1),
                                aggregate: AggregateSpec(capacityBytes: 10_000 * 4096))
        spec.platform = platform
        spec.aggregate.alerts = [.percent(20), .percent(25)]
        var volume = VolumeSpec(name: "v", sizeBytes: 4000 * 4096)
        volume.files = [FileSpec(path: "f", sizeBytes: 1000 * 4096)]
        spec.volumes = [volume]
        var events = EventsSpec()
        events.operations = operations
        spec.workloads = [WorkloadSpec(name: "w", kind: .events(events))]
        return spec
    }

    /// Writes at a chosen place (issue 21): 8 KiB at block 10 of clone `c` replaces slots 10
    /// and 11; 4 KiB from byte 6 KiB touches blocks 1 and 2 (a range not on block boundaries
    /// is widened to the blocks it touches); 8 KiB at block 10 again replaces the clone's own
    /// two blocks, which are freed. The clone then owns exactly blocks 1, 2, 10 and 11; a write
    /// past the end is refused.
    @Test func writesAtAChosenOffsetTouchExactlyThoseBlocks() throws {
        let result = try Simulation(scenario([
            TimedOperation(at: .days(1), operation: .cloneVolume(name: "c", parent: "v", snapshot: nil)),
            TimedOperation(at: .days(1), operation: .write(volume: "c", path: "f", bytes: 8192, pattern: .sequential,
                                                           writeSize: .constant(4096), at: .block(10))),
            TimedOperation(at: .days(2), operation: .write(volume: "c", path: "f", bytes: 4096, pattern: .sequential,
                                                           writeSize: .constant(4096), at: .byte(6144))),
            TimedOperation(at: .days(3), operation: .write(volume: "c", path: "f", bytes: 8192, pattern: .sequential,
                                                           writeSize: .constant(4096), at: .block(10))),
            TimedOperation(at: .days(3), operation: .write(volume: "c", path: "f", bytes: 8192, pattern: .sequential,
                                                           writeSize: .constant(4096), at: .block(999))),
        ])).run()
        #expect(result.samples.map(\.physicalUsed) == [1000, 1002, 1004, 1004, 1004])  // a day's sample follows its events
        let c = try #require(result.objects.first { $0.name == "c" })
        #expect(c.unique == 4 && c.logicalUsed == 1000)
        let refused = result.events.filter { $0.operation == "write" && $0.outcome == "failed" }
        #expect(refused.count == 1 && refused[0].detail == "out of range: blocks 999..<1001 of a 1000-block object")
    }

    /// An alert level is reached at exactly its share (issue 21): 7% of 10,000 blocks is 700,
    /// which a 700-block file reaches at once. In binary floating point 0.07 × 10,000 is
    /// 700.0000000000001, which 700 blocks did not reach.
    @Test func anAlertAtExactlyItsShare() throws {
        var spec = scenario([])
        spec.volumes[0].files = [FileSpec(path: "f", sizeBytes: 700 * 4096)]
        spec.aggregate.alerts = [.percent(7)]
        let result = try Simulation(spec).run()
        #expect(result.alerts.first?.withClones == .zero && result.alerts.first?.traditional == .zero)
        #expect(!(Double(700) >= 0.07 * Double(10_000)))
    }

    @Test func snapshotCloneWriteSplitByHand() throws {
        let result = try Simulation(scenario([
            TimedOperation(at: .days(1), operation: .snapshot(volume: "v", name: "s")),
            TimedOperation(at: .days(1), operation: .cloneVolume(name: "c", parent: "v", snapshot: "s")),
            TimedOperation(at: .days(2), operation: .write(volume: "c", path: "f", bytes: 100 * 4096, pattern: .sequential,
                                                           writeSize: .constant(4096 * 10))),
            TimedOperation(at: .days(3), operation: .split(volume: "c")),
            TimedOperation(at: .days(3), operation: .deleteSnapshot(volume: "v", name: "s")),
        ])).run()
        // Day 0-1: the 1000-block file. Day 2: +100 for the clone's writes. Day 3: the split
        // copies the 900 blocks still shared; the Snapshot copy then holds nothing extra.
        #expect(result.samples.map(\.physicalUsed) == [1000, 1000, 1100, 2000, 2000])
        // Full copies: the clone is a full 1000-block copy from day 1.
        #expect(result.samples.map(\.traditionalUsed) == [1000, 2000, 2000, 2000, 2000])
        #expect(result.peak == Peak(blocks: 2000, time: .days(3)))
        #expect(result.traditionalPeak == Peak(blocks: 2000, time: .days(1)))
        // 20% of 10,000 blocks is 2000: reached by the split (exact time) and by the full
        // copies at the day-1 sample; 25% never.
        #expect(result.alerts == [AlertCrossing(level: 0.2, withClones: .days(3), traditional: .days(1)),
                                  AlertCrossing(level: 0.25, withClones: nil, traditional: nil)])
        let split = try #require(result.events.first { $0.operation == "split" })
        #expect(split.outcome == "ok" && split.detail.hasSuffix("estimate 900 blocks"))
        let c = try #require(result.objects.first { $0.name == "c" })
        #expect(c.logicalUsed == 1000 && c.physicalUsed == 1000 && c.unique == 1000)
    }

    @Test func refusedOperationsAreRecordedAndTheRunGoesOn() throws {
        let result = try Simulation(scenario([
            TimedOperation(at: .days(1), operation: .snapshot(volume: "v", name: "s")),
            TimedOperation(at: .days(1), operation: .cloneVolume(name: "c", parent: "v", snapshot: "s")),
            TimedOperation(at: .days(2), operation: .deleteSnapshot(volume: "v", name: "s")),
            TimedOperation(at: .days(2), operation: .cloneVolume(name: "d", parent: "v", snapshot: "nope")),
            TimedOperation(at: .days(3), operation: .write(volume: "c", path: "f", bytes: 9000 * 4096, pattern: .sequential,
                                                           writeSize: .constant(4096))),
        ])).run()
        let failed = result.events.filter { $0.outcome == "failed" }.map(\.operation)
        #expect(failed == ["delete_snapshot", "clone_volume", "write"])
        #expect(result.limits.refusedClones == 1)
        // 9000 single-block writes into a 4000-block volume: the burst is refused whole.
        #expect(result.limits.failedWrites == 1 && result.limits.failedWriteBlocks == 9000)
        #expect(result.samples.last?.physicalUsed == 1000)
    }
}

extension EventsWorkloadTests {
    @Test func fileCloneLimitsAreDated() throws {
        var spec = scenario((1...257).map { k in
            TimedOperation(at: .days(1), operation: .cloneFile(volume: "v", source: "f", destination: "c\(k)"))
        } + [TimedOperation(at: .days(2), operation: .setQuota(volume: "v", target: "user:root", limitBytes: 1000 * 4096)),
             TimedOperation(at: .days(2), operation: .cloneFile(volume: "v", source: "f", destination: "over"))])
        spec.aggregate.capacityBytes = 400_000 * 4096
        spec.volumes[0].sizeBytes = 300_000 * 4096
        let result = try Simulation(spec).run()
        // The 256th and 257th clones of the 1000-block file are full copies, and so is the
        // day-2 clone: the file's blocks still have 1 + 255 pointers.
        let fallbacks = result.events.filter { $0.operation == "fallback_copy" }
        #expect(fallbacks.map(\.object) == ["v/c256", "v/c257", "v/over"])
        #expect(fallbacks.map(\.time) == [.days(1), .days(1), .days(2)])
        #expect(result.limits.fallbackCopies == 3000)
        // A user quota of 1000 blocks, already far exceeded: the clone succeeds, oversubscribed.
        let quota = try #require(result.events.first { $0.operation == "quota_oversubscribed" })
        #expect(quota.time == .days(2) && quota.object == "v/over" && quota.detail == "the clone pushed user:root over its limit")
        #expect(result.limits.oversubscribedQuotas == ["v/user:root"])
    }
}
