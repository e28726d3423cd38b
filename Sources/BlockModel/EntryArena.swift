/// Storage for every delta leaf's sorted override entries, in one pair of arrays.
///
/// A delta leaf used to keep its entries in an array of its own: a heap allocation (32 bytes of
/// header, malloc's own overhead, growth slack) for ~10 entries at 1% divergence, and a malloc
/// and free each time one was created, copied, grew or was promoted. Here a delta's entries are
/// a *chunk* of the arena: `sizeClass` picks its capacity from `capacities` (about 25% apart, so
/// slack stays small), and freed chunks go to a free list of their class for the next delta of
/// that size. Nothing is ever handed back to the system; the chunks of a class are reused.
///
/// Entry k of the arena is `offsets[k]` (its slot in the leaf) and `blocks[k]`: six bytes, where
/// one packed word would take eight (0.2 MiB more per clone at 1% divergence), and a search
/// reads only the two-byte offsets. Callers that hold entries outside the arena use the packed
/// form `offset << 32 | block` (`subscript`, `Entries`). The arena knows nothing of leaves; the
/// store records each delta's chunk (start, class) and entry count.
struct EntryArena: Sendable {
    /// Chunk capacities by size class. The last must hold a delta at the promotion threshold
    /// plus one merged run (promotion happens right after the insert that crossed it, and a run
    /// of `leafSize / 16` blocks or more privatises its leaf instead of merging): 128 + 63.
    static let capacities: [Int] = [1, 2, 3, 4, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128,
                                    160, 192]
    /// `sizeClass(for:)` by entry count, so the choice is one table lookup.
    static let classByCount: [UInt8] = {
        var table: [UInt8] = []
        var c = 0
        for n in 0...capacities[capacities.count - 1] {
            while capacities[c] < n { c += 1 }
            table.append(UInt8(c))
        }
        return table
    }()

    var offsets: [UInt16] = []
    var blocks: [UInt32] = []
    /// Free chunk starts per size class.
    var free: [[UInt32]] = Array(repeating: [], count: capacities.count)

    /// The smallest class holding `n` entries.
    @inline(__always)
    static func sizeClass(for n: Int) -> UInt8 {
        precondition(n < classByCount.count, "a delta of \(n) entries is past the largest chunk")
        return classByCount[n]
    }

    @inline(__always)
    static func capacity(_ sizeClass: UInt8) -> Int { capacities[Int(sizeClass)] }

    /// A chunk of class `sizeClass`: a freed one when there is one, else new at the end.
    /// - Complexity: O(1) amortised.
    mutating func allocate(_ sizeClass: UInt8) -> UInt32 {
        if let start = free[Int(sizeClass)].popLast() { return start }
        let start = offsets.count
        precondition(start + Self.capacity(sizeClass) < Int(UInt32.max), "entry arena past 32-bit indices")
        offsets.append(contentsOf: repeatElement(0, count: Self.capacity(sizeClass)))
        blocks.append(contentsOf: repeatElement(0, count: Self.capacity(sizeClass)))
        return UInt32(start)
    }

    /// Entries the chunks hold, free ones included.
    var count: Int { offsets.count }

    /// Entry `k` packed as `offset << 32 | block`.
    subscript(_ k: Int) -> UInt64 {
        get { UInt64(offsets[k]) << 32 | UInt64(blocks[k]) }
        set {
            offsets[k] = UInt16(truncatingIfNeeded: newValue >> 32)
            blocks[k] = UInt32(truncatingIfNeeded: newValue)
        }
    }

    /// The entries through plain pointers, for loops over many (one uniqueness check each).
    mutating func withEntries<R>(_ body: (Entries) -> R) -> R {
        offsets.withUnsafeMutableBufferPointer { o in
            blocks.withUnsafeMutableBufferPointer { b in body(Entries(offsets: o, blocks: b)) }
        }
    }

    struct Entries {
        let offsets: UnsafeMutableBufferPointer<UInt16>
        let blocks: UnsafeMutableBufferPointer<UInt32>

        subscript(_ k: Int) -> UInt64 {
            @inline(__always) get { UInt64(offsets[k]) << 32 | UInt64(blocks[k]) }
            @inline(__always) nonmutating set {
                offsets[k] = UInt16(truncatingIfNeeded: newValue >> 32)
                blocks[k] = UInt32(truncatingIfNeeded: newValue)
            }
        }

        /// Moves `n` entries from `from` to `to` (the ranges may overlap).
        @inline(__always)
        func move(from: Int, to: Int, _ n: Int) {
            guard n > 0, let o = offsets.baseAddress, let b = blocks.baseAddress else { return }
            UnsafeMutableRawPointer(o + to).copyMemory(from: o + from, byteCount: n * MemoryLayout<UInt16>.stride)
            UnsafeMutableRawPointer(b + to).copyMemory(from: b + from, byteCount: n * MemoryLayout<UInt32>.stride)
        }
    }

    mutating func release(_ start: UInt32, _ sizeClass: UInt8) {
        free[Int(sizeClass)].append(start)
    }

    /// Bytes the arena holds, free chunks and unused capacity included.
    var bytes: Int { offsets.capacity * MemoryLayout<UInt16>.stride + blocks.capacity * MemoryLayout<UInt32>.stride }
}
