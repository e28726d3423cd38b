/// Storage for every delta leaf's sorted override entries, in one array.
///
/// A delta leaf used to keep its entries in an array of its own: a heap allocation (32 bytes of
/// header, malloc's own overhead, growth slack) for ~10 entries at 1% divergence, and a malloc
/// and free each time one was created, copied, grew or was promoted. Here a delta's entries are
/// a *chunk* of `storage`: `sizeClass` picks its capacity from `capacities` (about 25% apart, so
/// slack stays small), and freed chunks go to a free list of their class for the next delta of
/// that size. Nothing is ever handed back to the system; the chunks of a class are reused.
///
/// An entry is `offset << 32 | block`. The arena knows nothing of leaves; the store records
/// each delta's chunk (start, class) and entry count.
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

    var storage: [UInt64] = []
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
        let start = storage.count
        precondition(start + Self.capacity(sizeClass) < Int(UInt32.max), "entry arena past 32-bit indices")
        storage.append(contentsOf: repeatElement(0, count: Self.capacity(sizeClass)))
        return UInt32(start)
    }

    mutating func release(_ start: UInt32, _ sizeClass: UInt8) {
        free[Int(sizeClass)].append(start)
    }

    /// Bytes the arena holds, free chunks and unused capacity included.
    var bytes: Int { storage.capacity * MemoryLayout<UInt64>.stride }
}
