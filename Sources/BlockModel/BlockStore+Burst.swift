import CPrefetch

/// Bursts of scattered single-block writes (random 4 KiB overwrites), with lookups run ahead.
///
/// Each random write lands in its own leaf: its leaf record, its delta entries (or dense slot),
/// the base leaf's slot and the reference count of the block it replaces are separate cache
/// misses, and one write's misses do not depend on the next write's. So while write j is
/// applied, three stages run ahead, each on data the stage before it has brought in: the leaf
/// record of write j + `burstLead`, the entries and slot of write j + `burstLead / 2`, and the
/// reference count and owner of the block that write j + 2 will release. The misses of a burst
/// overlap instead of following one another. The writes themselves are exactly `overwrite`'s,
/// in the same order.
extension BlockStore {
    /// Writes ahead of the one applied whose lookups are prefetched.
    static let burstLead = 8

    /// For each key of `order` (`index << 32 | k`, ascending by index), points slot `index` of
    /// `map` at a new block with `contents[k]` charged to `ownerID`, as `overwrite` does, in
    /// that order. Blocks the slots pointed at before (not holes) are appended to `replaced`
    /// when `collectReplaced` is set.
    /// - Precondition: `freeBlocks >= order.count`.
    /// - Complexity: O(1) amortised per write, as `overwrite`.
    public mutating func overwrite(_ map: inout BlockMap, burst order: UnsafeBufferPointer<UInt64>, contents: UnsafeBufferPointer<UInt64>,
                                   owner ownerID: UInt32, replaced: inout [Block], collectReplaced: Bool) {
        precondition(freeBlocks >= order.count, "burst on a full store")
        let lead = Self.burstLead
        for j in 0..<order.count {
            if j + lead < order.count { prefetchRecord(map, Int(order[j + lead] >> 32)) }
            if j + lead / 2 < order.count { prefetchSlot(map, Int(order[j + lead / 2] >> 32)) }
            if j + 2 < order.count { prefetchReleased(map, Int(order[j + 2] >> 32)) }
            let k = Int(truncatingIfNeeded: order[j] & 0xFFFF_FFFF)
            let old = assign(&map, Int(order[j] >> 32), to: allocate(content: contents[k], owner: ownerID))
            if collectReplaced && old != Self.hole { replaced.append(old) }
        }
    }

    /// Writes several runs, as `writeRun` for each in turn: run r takes the next `runs[r].count`
    /// contents, and the slots, figures and contents come out the same. Only the block ids
    /// differ: the whole burst's blocks are allocated at once, before any run (one pass over
    /// the free bitmap and the per-block columns instead of one per run), so ids a run frees are
    /// handed out by a later call, not by a later run of this one. Like a burst, the leaf record
    /// of the run `burstLead` ahead, the entries and slots of the run `burstLead / 2` ahead, and
    /// the counts of the blocks the run 2 ahead releases are prefetched while a run is written
    /// (each run of a batch usually lands in its own leaf).
    /// - Precondition: `freeBlocks` covers every run.
    public mutating func writeRuns(_ map: inout BlockMap, _ runs: [Range<Int>], contents: UnsafeBufferPointer<UInt64>,
                                   owner ownerID: UInt32, replaced: inout [Block], collectReplaced: Bool) {
        precondition(freeBlocks >= contents.count, "writeRuns on a full store")
        let lead = Self.burstLead
        var fresh: [Block] = []
        swap(&fresh, &scratchBlocks)
        defer { scratchBlocks = fresh }
        allocateRun(contents.count, contents: contents, owner: ownerID, into: &fresh)
        // Every block the burst frees is written into room made once (at most one per block
        // written, outside `self`), and released in bulk at the end.
        let freed = UnsafeMutablePointer<Block>.allocate(capacity: contents.count)
        defer { freed.deallocate() }
        var freedCount = 0
        fresh.withUnsafeBufferPointer { ids in
            var done = 0
            for (r, run) in runs.enumerated() {
                if r + lead < runs.count { prefetchRecord(map, runs[r + lead].lowerBound) }
                if r + lead / 2 < runs.count { prefetchSlots(map, runs[r + lead / 2]) }
                if r + 2 < runs.count { prefetchReleased(map, runs[r + 2], owner: false) }
                var k = 0
                while k < run.count {
                    let index = run.lowerBound + k
                    let li = index >> Self.leafShift, offset = index & Self.leafMask
                    let n = min(Self.leafSize - offset, run.count - k)
                    prepareLeaf(&map, li, runLength: n)
                    placeRun(&map, li, offset: offset, ids: UnsafeBufferPointer(rebasing: ids[(done + k)..<(done + k + n)]),
                             replaced: &replaced, collectReplaced: collectReplaced, freed: freed, freedCount: &freedCount)
                    k += n
                }
                done += run.count
            }
        }
        releaseFreed(UnsafeBufferPointer(start: freed, count: freedCount))
    }

    /// Where each freed block's owner and free-bitmap word are, for a prefetch when a run frees
    /// it: `releaseFreed` reads both at the end of the burst, after some 100 KiB of other lines
    /// (still in the outer caches), and a miss on each stalled it: ~15% of a burst of runs of 16
    /// went there, and prefetching them made the row ~15% faster (paired runs). Only hints:
    /// the addresses are never read through, so they may go stale (a column grown meanwhile).
    struct FreedLines {
        let owners: UnsafeRawPointer?
        let ownerStride: Int
        let bits: UnsafeRawPointer?
        let bitWords: Int

        @inline(__always)
        func prefetch(_ block: Block) {
            if let owners { clonesim_prefetch(owners + Int(block) &* ownerStride) }
            if let bits, Int(block) >> 6 < bitWords { clonesim_prefetch(bits + (Int(block) >> 6) &* 8) }
        }
    }

    var freedLines: FreedLines {
        FreedLines(owners: owner.address(of: 0), ownerStride: owner.isWide ? 4 : 2,
                   bits: freeBits.withUnsafeBufferPointer { $0.baseAddress.map { UnsafeRawPointer($0) } }, bitWords: freeBits.count)
    }

    /// The leaf holding slot `index` of `map`; nil for a slot no leaf holds yet, or one past the
    /// end (where an empty run may start).
    @inline(__always)
    func leafHolding(_ map: BlockMap, _ index: Int) -> UInt32? {
        guard index >> Self.leafShift < map.directory.count else { return nil }
        let leaf = map.directory[index >> Self.leafShift]
        return leaf == Self.noLeaf ? nil : leaf
    }

    /// Starts loading the record of the leaf holding slot `index` of `map`.
    @inline(__always)
    func prefetchRecord(_ map: BlockMap, _ index: Int) {
        guard let leaf = leafHolding(map, index) else { return }
        leaves.withUnsafeBufferPointer { clonesim_prefetch($0.baseAddress.map { $0 + Int(leaf) }) }
    }

    /// Starts loading the reference count and owner of the block a write to slot `index` of `map`
    /// would release: the one in a private dense leaf's slot or in a delta's entry there (a
    /// shared leaf's block stays with its other readers).
    /// `owner`: also the owner, read at once by a single write's release but only at the end of
    /// a burst of runs (`releaseFreed`), by when a prefetch would be long evicted.
    @inline(__always)
    func prefetchReleased(_ map: BlockMap, _ index: Int, owner withOwner: Bool = true) {
        guard let leaf = leafHolding(map, index) else { return }
        let record = leaves[Int(leaf)]
        var block = Self.hole
        if record.isDense {
            guard record.refs == 1 && record.baseUsers == 0 else { return }
            block = slotArena[slotStart(leaf) + (index & Self.leafMask)]
        } else {
            let (found, i) = searchEntries(leaf, index & Self.leafMask)
            guard found else { return }
            block = arena.blocks[Int(record.data) + i]
        }
        guard block != Self.hole else { return }
        clonesim_prefetch(refCount.address(of: Int(block)))
        if withOwner { clonesim_prefetch(owner.address(of: Int(block))) }
    }

    /// `prefetchSlot` for both ends of a run: a short run's slots usually straddle two cache
    /// lines, and a hardware prefetcher only picks up a longer one after its first misses.
    @inline(__always)
    func prefetchSlots(_ map: BlockMap, _ run: Range<Int>) {
        guard !run.isEmpty else { return }
        prefetchSlot(map, run.lowerBound)
        if run.count > 1 { prefetchSlot(map, run.upperBound - 1) }
    }

    /// `prefetchReleased` for both ends of a run (see `prefetchSlots`).
    @inline(__always)
    func prefetchReleased(_ map: BlockMap, _ run: Range<Int>, owner: Bool) {
        guard !run.isEmpty else { return }
        prefetchReleased(map, run.lowerBound, owner: owner)
        if run.count > 1 { prefetchReleased(map, run.upperBound - 1, owner: owner) }
    }

    /// Starts loading what a write to slot `index` of `map` reads after the leaf record: a
    /// dense leaf's slot, or a delta's entries and its base's slot.
    @inline(__always)
    func prefetchSlot(_ map: BlockMap, _ index: Int) {
        guard let leaf = leafHolding(map, index) else { return }
        let record = leaves[Int(leaf)]
        let offset = index & Self.leafMask
        var slotsOf = leaf
        if !record.isDense {
            slotsOf = record.base
            // A small delta's offsets and blocks span a cache line or two each; a large one is
            // searched from a guess, whose neighbours are what the search reads first, and the
            // block it finds is near the guess.
            let count = Int(record.count), data = Int(record.data)
            let guess = count > 16 ? Self.searchGuess(count: count, offset: offset) : 0
            arena.offsets.withUnsafeBufferPointer { s in
                guard let p = s.baseAddress else { return }
                let from = data + max(0, guess - 16)
                clonesim_prefetch(p + from)
                clonesim_prefetch(p + from + 31)
            }
            arena.blocks.withUnsafeBufferPointer { s in
                guard let p = s.baseAddress else { return }
                clonesim_prefetch(p + data + guess)
                if count <= 16 { clonesim_prefetch(p + data + max(0, count - 1)) }
            }
        }
        let slot = slotStart(slotsOf) + offset
        slotArena.withUnsafeBufferPointer { clonesim_prefetch($0.baseAddress.map { $0 + slot }) }
    }
}
