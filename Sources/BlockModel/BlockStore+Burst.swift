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
    /// contents. Like a burst, the leaf record of the run `burstLead` ahead and the entries and
    /// base slot of the run `burstLead / 2` ahead are prefetched while a run is written (each run
    /// of a batch usually lands in its own leaf).
    /// - Precondition: `freeBlocks` covers every run.
    public mutating func writeRuns(_ map: inout BlockMap, _ runs: [Range<Int>], contents: UnsafeBufferPointer<UInt64>,
                                   owner ownerID: UInt32, replaced: inout [Block], collectReplaced: Bool) {
        let lead = Self.burstLead
        var done = 0
        for (r, run) in runs.enumerated() {
            if r + lead < runs.count { prefetchRecord(map, runs[r + lead].lowerBound) }
            if r + lead / 2 < runs.count { prefetchSlot(map, runs[r + lead / 2].lowerBound) }
            writeRun(&map, at: run.lowerBound, contents: UnsafeBufferPointer(rebasing: contents[done..<(done + run.count)]),
                     owner: ownerID, replaced: &replaced, collectReplaced: collectReplaced)
            done += run.count
        }
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
    @inline(__always)
    func prefetchReleased(_ map: BlockMap, _ index: Int) {
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
        clonesim_prefetch(owner.address(of: Int(block)))
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
