import HeapModule

/// Simulated time in nanoseconds since the start of a run. Integer, so ordering and sums are
/// exact and runs are deterministic; 2^63 ns is 292 years.
public struct SimTime: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = SimTime(nanoseconds: 0)
    public static func seconds(_ s: Int64) -> SimTime { SimTime(nanoseconds: s * 1_000_000_000) }
    public static func hours(_ h: Int64) -> SimTime { .seconds(h * 3600) }
    public static func days(_ d: Int64) -> SimTime { .seconds(d * 86_400) }

    /// Whole seconds (rounded down) and days, for reports.
    public var seconds: Double { Double(nanoseconds) / 1e9 }
    public var days: Double { seconds / 86_400 }

    public static func < (a: SimTime, b: SimTime) -> Bool { a.nanoseconds < b.nanoseconds }
    public static func + (a: SimTime, b: SimTime) -> SimTime { SimTime(nanoseconds: a.nanoseconds + b.nanoseconds) }
    public static func - (a: SimTime, b: SimTime) -> SimTime { SimTime(nanoseconds: a.nanoseconds - b.nanoseconds) }
    public static func * (a: SimTime, k: Int64) -> SimTime { SimTime(nanoseconds: a.nanoseconds * k) }

    public var description: String { "\(nanoseconds)ns" }
}

/// The discrete-event core: a clock and a queue of events ordered by
/// (time, priority, sequence). It knows nothing of storage: what an event means is up to the
/// handler that `run` calls.
///
/// The sequence number only grows, so events at the same time and priority run in the order
/// they were scheduled, and a run is deterministic (SimPy's design: `src/simpy/core.py`).
/// Lower priority values run first at the same time.
///
/// A handler that throws stops the run: the error propagates out of `run`, never dropped.
public struct Engine<Payload> {
    struct Entry: Comparable {
        var time: SimTime
        var priority: Int
        var sequence: UInt64
        var payload: Payload

        static func < (a: Entry, b: Entry) -> Bool {
            (a.time, a.priority, a.sequence) < (b.time, b.priority, b.sequence)
        }
        static func == (a: Entry, b: Entry) -> Bool {
            (a.time, a.priority, a.sequence) == (b.time, b.priority, b.sequence)
        }
    }

    /// The current simulated time: the time of the event being handled, or of the last one.
    public private(set) var now: SimTime = .zero
    var queue = Heap<Entry>()
    var nextSequence: UInt64 = 0
    /// Events handled so far.
    public private(set) var handled = 0

    public init() {}

    /// Events waiting.
    public var pending: Int { queue.count }

    /// Schedules `payload` at absolute time `time`, which may not be in the past.
    /// - Complexity: O(log n).
    public mutating func schedule(at time: SimTime, priority: Int = 0, _ payload: Payload) {
        precondition(time >= now, "an event cannot be scheduled in the past (\(time) < \(now))")
        queue.insert(Entry(time: time, priority: priority, sequence: nextSequence, payload: payload))
        nextSequence += 1
    }

    /// Schedules `payload` `delay` after now.
    public mutating func schedule(after delay: SimTime, priority: Int = 0, _ payload: Payload) {
        schedule(at: now + delay, priority: priority, payload)
    }

    /// The time of the next event, if any.
    public var nextTime: SimTime? { queue.min?.time }

    /// Removes the next event and advances the clock to it.
    /// - Complexity: O(log n).
    public mutating func step() -> (time: SimTime, payload: Payload)? {
        guard let entry = queue.popMin() else { return nil }
        now = entry.time
        handled += 1
        return (entry.time, entry.payload)
    }

    /// Handles events in order until the queue is empty or the next event is after `end`;
    /// the clock then stands at `end` (or at the last event, if the queue ran dry earlier and
    /// `end` is nil). The handler may schedule further events.
    public mutating func run(until end: SimTime? = nil,
                             _ handler: (inout Engine<Payload>, SimTime, Payload) throws -> Void) rethrows {
        while let next = nextTime, end.map({ next <= $0 }) ?? true {
            guard let (time, payload) = step() else { break }
            try handler(&self, time, payload)
        }
        if let end, end > now { now = end }
    }
}
