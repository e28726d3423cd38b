import Stochastic

/// A run of consecutive blocks of one object.
public struct BlockRun: Sendable, Equatable {
    public var start: Int
    public var count: Int
    public init(start: Int, count: Int) {
        self.start = start
        self.count = count
    }
}

/// Turns "write n blocks of this object with this pattern" into runs of blocks, drawing
/// offsets and write sizes from the object's own stream. One planner per written object, so
/// its sequential cursor survives from burst to burst.
///
/// Runs may overlap (a random workload rewrites some blocks): the object then changes fewer
/// distinct blocks than were written, as a real one does. The total written is exactly `n`.
public struct WritePlanner {
    public let pattern: WritePattern
    let writeSize: Sampler
    let zipf: Sampler?
    public let blockSize: Int
    /// Next block of the sequential pattern.
    public internal(set) var cursor = 0
    /// A sampled shard's own stream and member granules (`planSample`); nil until it samples.
    var sampled: SampledWrites?
    /// Which shard of a sample each granule of the object belongs to, for `planKept` and
    /// `planKeptForAll`; nil until it walks.
    var consumerMap: ConsumerMap?

    public init(pattern: WritePattern, writeSize: RandomVariable, blockSize: Int) throws(DistributionError) {
        self.pattern = pattern
        self.writeSize = try Sampler(writeSize.distribution, truncation: writeSize.truncation)
        self.blockSize = blockSize
        if case .hotspot(let regions, let exponent) = pattern {
            zipf = try Sampler(.zipf(n: regions, s: exponent))
        } else {
            zipf = nil
        }
    }

    /// Runs totalling `blocks` within an object of `size` blocks.
    public mutating func plan(blocks: Int, size: Int, stream: RandomStream) -> [BlockRun] {
        var runs: [BlockRun] = []
        walk(blocks: blocks, size: size, stream: stream) { runs.append(BlockRun(start: $0, count: $1)) }
        return runs
    }

    /// The writes `plan` makes, one `(start, count)` at a time, with its draws: what a caller
    /// that keeps only some of them (a sampled shard) walks to keep the stream in step.
    /// - Returns: the writes made.
    @inline(__always) @discardableResult
    mutating func walk(blocks: Int, size: Int, stream: RandomStream, _ emit: (Int, Int) -> Void) -> Int {
        guard blocks > 0, size > 0 else { return 0 }
        var writes = 0
        var left = blocks
        while left > 0 {
            // A write of w bytes covers ceil(w / blockSize) blocks, at least one.
            let bytes = writeSize.draw(stream)
            let drawn = bytes.isFinite && bytes > 0 ? Int(min((bytes / Double(blockSize)).rounded(.up), Double(size))) : 1
            var length = min(max(1, drawn), left, size)
            let start: Int
            switch pattern {
            case .uniform:
                start = Int(stream.uniformInt(below: UInt(size - length + 1)))
            case .hotspot(let regions, _):
                let regionSize = max(1, size / regions)
                let rank = zipf.map { Int($0.draw(stream)) } ?? 1
                let region = min(rank - 1, (size - 1) / regionSize)
                let offset = region * regionSize + Int(stream.uniformInt(below: UInt(regionSize)))
                start = min(offset, size - length)
            case .sequential:
                if cursor >= size { cursor = 0 }
                start = cursor
                length = min(length, size - cursor)
                cursor += length
            }
            emit(start, length)
            left -= length
            writes += 1
        }
        return writes
    }
}

/// One object's change over time from its own stream: each interval a fraction drawn from the
/// rate (clamped to 0...1), then that many blocks placed by the planner.
struct ChangeDraws {
    let stream: RandomStream
    let rate: Sampler
    var planner: WritePlanner

    init(_ change: ChangeSpec, stream: RandomStream, what: String, sim: Simulation) throws(SimulationError) {
        self.stream = stream
        rate = try sim.sampler(change.rate, what)
        planner = try sim.planner(change, what)
    }

    /// The runs one interval writes in an object of `size` blocks, every one of them.
    mutating func next(size: Int) -> [BlockRun] {
        let f = min(max(rate.draw(stream), 0), 1)
        return planner.plan(blocks: Int((f * Double(size)).rounded()), size: size, stream: stream)
    }

    /// The runs one interval writes in an object of `size` blocks: in a sampled shard, those in
    /// its granules (`Simulation.planWrites`).
    mutating func next(size: Int, sim: Simulation) -> [BlockRun] {
        let f = min(max(rate.draw(stream), 0), 1)
        return sim.planWrites(&planner, blocks: Int((f * Double(size)).rounded()), size: size, stream: stream, inStep: rate.distribution.isRandom)
    }
}
