import Foundation
import Stochastic

/// One walk of an object's writes, shared by the shards of a sample (issue 22).
///
/// ## Why
/// An object whose stream must stay in step with the exact run's (a random change rate draws
/// each interval's fraction from it) walks every write of the whole run in a sampled shard
/// (`WritePlanner.planKept`), which costs the same in each of the eight shards whatever the
/// sample. But every shard makes the same structure calls with its streams in the same states,
/// so the walk is the same in all of them: the first shard to reach it walks once, cutting the
/// writes for every shard of the sample, and leaves each shard's part with the stream's state
/// (and the sequential cursor) after the walk; the others take their part and set their stream
/// to that state instead of walking. The figures are those of eight separate walks, bit for bit.
///
/// An entry goes when every shard has taken its part, so the tape holds the parts of shards not
/// run yet: at most the sample's own writes of the objects that walk.
///
/// ## Walkers
/// The shards make the same walks in the same order, so whoever walks, the others wait: one
/// core's worth. Walkers (`Simulation.walker`) use the others: each runs the sample's structure,
/// writes nothing, and walks only its share of the objects (every `count`-th in the order they
/// first walk), so they walk different objects at once and run ahead of the shards. Whoever comes
/// first to a walk still makes it, so the figures stay those of eight separate walks. A walker's
/// structure is the shards' own (no object's stream decides structure; skipping another
/// object's walk only leaves that object's stream behind, which the walker never uses); an
/// entry records its inputs (the stream's state before the walk, blocks, size), and a shard that
/// finds different ones walks for itself.
final class WalkTape: @unchecked Sendable {  // `entries` under `lock`; each entry under its own
    struct Key: Hashable {
        /// The object stream's seed (one per stream name) and the how-many-th walk on it.
        let stream: UInt64
        let call: Int
    }

    final class Entry {
        let lock = NSLock()
        var parts: [[BlockRun]]?
        var state: [UInt8] = []
        var cursor = 0
        var left: Int
        /// The walk's inputs, and whether a walker made it.
        var before: [UInt8] = []
        var blocks = 0
        var size = 0
        var byWalker = false
        init(left: Int) { self.left = left }
    }

    /// The sample's shards: all of one count; each simulation takes the part of its member.
    let shardings: [Sharding]
    /// Walkers visit each walk once too (one of them: the walk's object is one walker's).
    let walkers: Int
    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]

    init(shardings: [Sharding], walkers: Int = 0) {
        precondition(!shardings.isEmpty && shardings.allSatisfy { $0.count == shardings[0].count && $0.members.count == 1 },
                     "one member per shard, one shard count")
        self.shardings = shardings
        self.walkers = walkers
    }

    /// Consumer `consumer`'s part of walk `key` (none for a walker), the writes walked here, and
    /// the sequential cursor after the walk: walked here by `walk` (which cuts the writes for
    /// every consumer and gives the cursor it left) when no one has walked it yet, else the part
    /// left by whoever did, with `stream` set to where that walk left it. Nil when a walker's
    /// walk had other inputs than this shard's: walk for yourself then.
    func take(_ key: Key, consumer: Int?, stream: RandomStream, blocks: Int, size: Int,
              walk: () -> (parts: [[BlockRun]], writes: Int, cursor: Int)) -> (runs: [BlockRun], walked: Int, cursor: Int)? {
        let entry = lock.withLock {
            if let e = entries[key] { return e }
            let e = Entry(left: shardings.count + (walkers > 0 ? 1 : 0))
            entries[key] = e
            return e
        }
        entry.lock.lock()
        var walked = 0
        var runs: [BlockRun]? = []
        if entry.parts != nil {
            let same = entry.before == stream.state() && entry.blocks == blocks && entry.size == size
            // A walker may have diverged (its walk or this visit); two shards never may.
            precondition(same || entry.byWalker || consumer == nil, "a sample's shards walk with different inputs")
            if same { stream.restore(entry.state) } else { runs = nil }
        } else {
            entry.before = stream.state()
            entry.blocks = blocks
            entry.size = size
            entry.byWalker = consumer == nil
            let (parts, writes, cursor) = walk()
            entry.parts = parts
            entry.state = stream.state()
            entry.cursor = cursor
            walked = writes
        }
        if let consumer, runs != nil {
            runs = entry.parts![consumer]
            entry.parts![consumer] = []
        }
        entry.left -= 1
        let done = entry.left == 0, cursor = entry.cursor
        entry.lock.unlock()
        if done { lock.withLock { entries[key] = nil } }
        return runs.map { ($0, walked, cursor) }
    }
}

/// Which consumer of a tape each granule of an object belongs to (-1: none), for the walk that
/// cuts the writes for every shard of a sample at once.
///
/// A sample's shards are `consumers` members spaced `step` apart from `offset` in a shard count
/// of consumers·step (`Sampling.shards`); when that count is a power of two the owner is
/// arithmetic on the granule index and a per-stripe rotation table of a few KB, which stays in
/// the cache. Otherwise (and for any other set of shardings) it is one byte per granule, whose
/// random reads miss the cache on large objects (2 MB for a 2 TB file: about 40% of the time of
/// the 2 TB database's walk, which tests 2 billion writes).
struct ConsumerMap {
    let size: Int
    private var owner: [Int8] = []
    /// The arithmetic form: log2 of the shard count, of the step, the offset, and each stripe's
    /// rotation (`Sharding.rotation(ofStripe:)`); `countShift` < 0 when the table is used.
    private var countShift = -1
    private var stepShift = 0
    private var offset = 0
    private var rotation: [Int] = []

    init(size: Int, shardings: [Sharding]) {
        precondition(shardings.count <= Int(Int8.max), "at most 127 consumers")
        self.size = size
        let granules = (size + (1 << Sharding.granuleShift) - 1) >> Sharding.granuleShift
        let count = shardings[0].count, step = count / shardings.count
        let spaced = shardings.allSatisfy { $0.count == count && $0.members.count == 1 }
            && count.nonzeroBitCount == 1 && step.nonzeroBitCount == 1 && step * shardings.count == count
            && shardings.enumerated().allSatisfy { k, s in s.members[0] == shardings[0].members[0] + k * step }
        if spaced {
            countShift = count.trailingZeroBitCount
            stepShift = step.trailingZeroBitCount
            offset = shardings[0].members[0]
            rotation = (0..<((granules >> countShift) + 1)).map { shardings[0].rotation(ofStripe: $0) }
            return
        }
        owner = Array(repeating: -1, count: granules)
        for (k, sharding) in shardings.enumerated() {
            for g in sharding.memberGranules(below: size) { owner[g] = Int8(k) }
        }
    }

    @inline(__always)
    func consumer(of granule: Int) -> Int {
        guard countShift >= 0 else { return Int(owner[granule]) }
        let mask = (1 << countShift) - 1
        let shard = ((granule & mask) + rotation[granule >> countShift]) & mask
        let d = shard - offset
        return d >= 0 && d & ((1 << stepShift) - 1) == 0 ? d >> stepShift : -1
    }
}

extension WritePlanner {
    /// The writes `plan` would make, with the same draws, cut for every consumer of `map`: what
    /// `planKept` gives each of them (pieces merged as `Sharding.cut` merges them).
    mutating func planKeptForAll(blocks: Int, size: Int, stream: RandomStream, map: ConsumerMap, consumers: Int)
        -> (parts: [[BlockRun]], writes: Int) {
        var parts = Array(repeating: [BlockRun](), count: consumers)
        var lastEnd = Array(repeating: -1, count: consumers)
        var position = 0
        let writes = walk(blocks: blocks, size: size, stream: stream) { start, length in
            var b = start
            let end = start + length
            while b < end {
                let g = b >> Sharding.granuleShift
                let stop = min(end, (g + 1) << Sharding.granuleShift)
                let c = map.consumer(of: g)
                if c >= 0 {
                    let at = position + b - start
                    if let last = parts[c].last, last.start + last.count == b, lastEnd[c] == at {
                        parts[c][parts[c].count - 1].count += stop - b
                    } else {
                        parts[c].append(BlockRun(start: b, count: stop - b))
                    }
                    lastEnd[c] = at + stop - b
                }
                b = stop
            }
            position += length
        }
        return (parts, writes)
    }
}
