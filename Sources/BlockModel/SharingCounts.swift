/// Per-volume count of active-file-system pointers to each block, beyond the first.
///
/// ONTAP lets one block have at most 1 + 255 pointers from a volume's active file system
/// (file/LUN clones and dedup raise the count; Snapshot copies and volume clones do not).
/// Most blocks have one pointer, so the table stores `pointers − 1` and starts at zero.
///
/// Indexed by block id in chunks of 65,536 that are allocated on first use and shared
/// copy-on-write (one `isKnownUniquelyReferenced` check per mutation, as swift-collections'
/// storage types do): a Snapshot copy keeps the counts it had for O(chunks), so a volume clone
/// starts from the counts of its base Snapshot copy.
public struct SharingCounts: Sendable {
    static let chunkShift = 16
    static let chunkSize = 1 << chunkShift

    final class Chunk: @unchecked Sendable {
        // Mutated only through `ensureUnique`, so never while shared.
        var values: [UInt16]
        init(_ values: [UInt16]) { self.values = values }
    }

    var chunks: [Chunk?] = []

    public init() {}

    /// True until some block has a second pointer: writes then skip the bookkeeping.
    public var isEmpty: Bool { chunks.isEmpty }

    /// Pointers beyond the first from this volume's active file system to `block`.
    public subscript(block: UInt32) -> Int {
        let c = Int(block) >> Self.chunkShift
        guard c < chunks.count, let chunk = chunks[c] else { return 0 }
        return Int(chunk.values[Int(block) & (Self.chunkSize - 1)])
    }

    /// One more pointer beyond the first.
    public mutating func increment(_ block: UInt32) {
        let c = ensureUnique(Int(block) >> Self.chunkShift)
        chunks[c]!.values[Int(block) & (Self.chunkSize - 1)] += 1
    }

    /// One more pointer beyond the first for every block in `blocks` (holes skipped): the bulk
    /// path of a file clone, one uniqueness check per run of blocks in the same chunk.
    public mutating func increment(_ blocks: UnsafeBufferPointer<UInt32>, hole: UInt32) {
        var i = 0
        while i < blocks.count {
            if blocks[i] == hole { i += 1; continue }
            let c = ensureUnique(Int(blocks[i]) >> Self.chunkShift)
            chunks[c]!.values.withUnsafeMutableBufferPointer { values in
                while i < blocks.count {
                    let block = blocks[i]
                    if block == hole { i += 1; continue }
                    guard Int(block) >> Self.chunkShift == c else { return }
                    values[Int(block) & (Self.chunkSize - 1)] += 1
                    i += 1
                }
            }
        }
    }

    /// `count` more pointers beyond the first for each block of `pairs` (`block << 32 | count`,
    /// sorted by block): dedup's bulk path, one addition per donor and one uniqueness check per
    /// run of blocks in the same chunk.
    public mutating func add(_ pairs: UnsafeBufferPointer<UInt64>) {
        var i = 0
        while i < pairs.count {
            let c = ensureUnique(Int(pairs[i] >> 32) >> Self.chunkShift)
            chunks[c]!.values.withUnsafeMutableBufferPointer { values in
                while i < pairs.count {
                    let block = Int(pairs[i] >> 32)
                    guard block >> Self.chunkShift == c else { return }
                    values[block & (Self.chunkSize - 1)] += UInt16(pairs[i] & 0xFFFF_FFFF)
                    i += 1
                }
            }
        }
    }

    /// The largest count among `blocks` (holes skipped), without changing anything.
    public func maximum(_ blocks: UnsafeBufferPointer<UInt32>, hole: UInt32) -> Int {
        var best: UInt16 = 0
        var i = 0
        while i < blocks.count {
            if blocks[i] == hole { i += 1; continue }
            let c = Int(blocks[i]) >> Self.chunkShift
            guard c < chunks.count, let chunk = chunks[c] else {
                // No counts in this chunk: skip its run.
                while i < blocks.count && (blocks[i] == hole || Int(blocks[i]) >> Self.chunkShift == c) { i += 1 }
                continue
            }
            chunk.values.withUnsafeBufferPointer { values in
                while i < blocks.count {
                    let block = blocks[i]
                    if block == hole { i += 1; continue }
                    guard Int(block) >> Self.chunkShift == c else { return }
                    best = max(best, values[Int(block) & (Self.chunkSize - 1)])
                    i += 1
                }
            }
        }
        return Int(best)
    }

    /// One pointer fewer; returns false (and changes nothing) when the block had only one.
    @discardableResult
    public mutating func decrement(_ block: UInt32) -> Bool {
        guard self[block] > 0 else { return false }
        let c = ensureUnique(Int(block) >> Self.chunkShift)
        chunks[c]!.values[Int(block) & (Self.chunkSize - 1)] -= 1
        return true
    }

    /// One pointer fewer for every block in `blocks` that has extra pointers (holes and blocks
    /// at zero skipped): the bulk path of deleting a file, one uniqueness check per chunk run.
    public mutating func decrement(_ blocks: UnsafeBufferPointer<UInt32>, hole: UInt32) {
        var i = 0
        while i < blocks.count {
            let block = blocks[i]
            guard block != hole, self[block] > 0 else { i += 1; continue }
            let c = ensureUnique(Int(block) >> Self.chunkShift)
            chunks[c]!.values.withUnsafeMutableBufferPointer { values in
                while i < blocks.count {
                    let block = blocks[i]
                    if block == hole { i += 1; continue }
                    guard Int(block) >> Self.chunkShift == c else { return }
                    let k = Int(block) & (Self.chunkSize - 1)
                    if values[k] > 0 { values[k] -= 1 }
                    i += 1
                }
            }
        }
    }

    /// Sets the count outright (a split renumbers blocks).
    public mutating func set(_ block: UInt32, _ value: Int) {
        guard value != self[block] else { return }
        let c = ensureUnique(Int(block) >> Self.chunkShift)
        chunks[c]!.values[Int(block) & (Self.chunkSize - 1)] = UInt16(value)
    }

    /// Every block with a nonzero count, for invariant checks.
    public var nonzero: [(block: UInt32, extra: Int)] {
        var out: [(UInt32, Int)] = []
        for (c, chunk) in chunks.enumerated() {
            guard let chunk else { continue }
            for (i, v) in chunk.values.enumerated() where v > 0 {
                out.append((UInt32(c << Self.chunkShift + i), Int(v)))
            }
        }
        return out
    }

    /// Makes chunk `c` exist and be owned by this value alone; the single slow path.
    mutating func ensureUnique(_ c: Int) -> Int {
        if c >= chunks.count { chunks.append(contentsOf: repeatElement(nil, count: c + 1 - chunks.count)) }
        if chunks[c] == nil {
            chunks[c] = Chunk([UInt16](repeating: 0, count: Self.chunkSize))
        } else if !isKnownUniquelyReferenced(&chunks[c]!) {
            chunks[c] = Chunk(chunks[c]!.values)
        }
        return c
    }
}
