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
        init(left: Int) { self.left = left }
    }

    /// The sample's shards: all of one count; each simulation takes the part of its member.
    let shardings: [Sharding]
    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]

    init(shardings: [Sharding]) {
        precondition(!shardings.isEmpty && shardings.allSatisfy { $0.count == shardings[0].count && $0.members.count == 1 },
                     "one member per shard, one shard count")
        self.shardings = shardings
    }

    /// Consumer `consumer`'s part of walk `key`, the writes walked here, and the sequential
    /// cursor after the walk: walked here by `walk` (which cuts the writes for every consumer
    /// and gives the cursor it left) when no shard has walked it yet, else the part left by the
    /// shard that did, with `stream` set to where that walk left it.
    func take(_ key: Key, consumer: Int, stream: RandomStream,
              walk: () -> (parts: [[BlockRun]], writes: Int, cursor: Int)) -> (runs: [BlockRun], walked: Int, cursor: Int) {
        let entry = lock.withLock {
            if let e = entries[key] { return e }
            let e = Entry(left: shardings.count)
            entries[key] = e
            return e
        }
        entry.lock.lock()
        var walked = 0
        if entry.parts != nil {
            stream.restore(entry.state)
        } else {
            let (parts, writes, cursor) = walk()
            entry.parts = parts
            entry.state = stream.state()
            entry.cursor = cursor
            walked = writes
        }
        let runs = entry.parts![consumer]
        entry.parts![consumer] = []
        entry.left -= 1
        let done = entry.left == 0, cursor = entry.cursor
        entry.lock.unlock()
        if done { lock.withLock { entries[key] = nil } }
        return (runs, walked, cursor)
    }
}

/// Which consumer of a tape each granule of an object belongs to (-1: none), for the walk that
/// cuts the writes for every shard of a sample at once: one load per granule a write touches,
/// cheaper than the stripe hash (and, past 64 shards, a set lookup) per test.
struct ConsumerMap {
    let size: Int
    private var owner: [Int8]

    init(size: Int, shardings: [Sharding]) {
        precondition(shardings.count <= Int(Int8.max), "at most 127 consumers")
        self.size = size
        owner = Array(repeating: -1, count: (size + (1 << Sharding.granuleShift) - 1) >> Sharding.granuleShift)
        for (k, sharding) in shardings.enumerated() {
            for g in sharding.memberGranules(below: size) { owner[g] = Int8(k) }
        }
    }

    @inline(__always)
    func consumer(of granule: Int) -> Int { Int(owner[granule]) }
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
