/// Recomputes everything the store keeps incrementally and lists each disagreement.
///
/// Checked: leaf reference counts equal the directory slots that exist; delta bookkeeping
/// (base users, shadow counts, sorted entries, entry chunks that fit and do not overlap); every block's reference count equals the leaf
/// objects that read it; free + live = blocks handed out; per-owner counts; each map's logical
/// used. Debug builds (`CLONESIM_INVARIANTS`) run it after every model operation.
extension BlockStore {
    /// - Parameters:
    ///   - maps: every map that exists (the store does not keep a list of them).
    ///   - pinned: blocks holding one reference that no map accounts for (a profile's own,
    ///     such as the reflink profile's extent pins).
    /// - Complexity: O(leaves × leafSize + directory slots + blocks).
    public func invariantViolations(maps: [BlockMap], pinned: [Block] = []) -> [String] {
        var problems: [String] = []
        var directRefs = [UInt32](repeating: 0, count: leaves.count)
        for (m, map) in maps.enumerated() {
            var mapped = 0
            for leaf in map.directory where leaf != Self.noLeaf {
                guard Int(leaf) < leaves.count, leaves[Int(leaf)].live else {
                    problems.append("map \(m) points at dead leaf \(leaf)")
                    continue
                }
                directRefs[Int(leaf)] += 1
            }
            forEachBlock(map) { _, _ in mapped += 1 }
            if mapped != map.mappedBlocks { problems.append("map \(m): mappedBlocks \(map.mappedBlocks) != \(mapped)") }
        }
        var baseUsers = [UInt32](repeating: 0, count: leaves.count)
        var shadow: [Int: [UInt32]] = [:]
        var expected = [UInt32](repeating: 0, count: refCount.count)
        var chunkOwner: [UInt32: Int] = [:]
        for (sizeClass, starts) in arena.free.enumerated() {
            for start in starts { chunkOwner[start] = -1 - sizeClass }
        }
        var denseOwner: [UInt32: Int] = [:]
        for index in freeDense { denseOwner[index] = -1 }
        for (id, leaf) in leaves.enumerated() where leaf.live {
            if leaf.refs != directRefs[id] { problems.append("leaf \(id): refs \(leaf.refs) != \(directRefs[id]) directory slots") }
            if leaf.isDense {
                if Int(leaf.data) >= dense.count || slotArena.count < (Int(leaf.data) + 1) << Self.leafShift {
                    problems.append("leaf \(id): dense index \(leaf.data) holds no slots")
                }
                if let other = denseOwner.updateValue(id, forKey: leaf.data) { problems.append("leaf \(id): dense index \(leaf.data) also \(other)'s") }
                continue
            }
            if leaf.refs == 0 { problems.append("delta \(id) has no references") }
            if Int(leaf.sizeClass) >= EntryArena.capacities.count || Int(leaf.count) > EntryArena.capacity(leaf.sizeClass)
                || Int(leaf.data) + EntryArena.capacity(leaf.sizeClass) > arena.count {
                problems.append("delta \(id): \(leaf.count) entries do not fit chunk \(leaf.data) of class \(leaf.sizeClass)")
                continue
            }
            if let other = chunkOwner.updateValue(id, forKey: leaf.data) { problems.append("delta \(id): chunk \(leaf.data) also held by \(other)") }
            let b = Int(leaf.base)
            guard b < leaves.count, leaves[b].live, leaves[b].isDense else {
                problems.append("delta \(id): base \(leaf.base) is not a live dense leaf")
                continue
            }
            baseUsers[b] += 1
            if Int(leaf.count) > Self.promoteThreshold { problems.append("delta \(id) has \(leaf.count) entries") }
            var previous = -1
            for e in entryArray(UInt32(id)) {
                let o = Int(e >> 32)
                if o <= previous || o >= Self.leafSize { problems.append("delta \(id): entries not sorted/unique at \(o)") }
                previous = o
                shadow[b, default: [UInt32](repeating: 0, count: Self.leafSize)][o] += 1
                let block = Block(truncatingIfNeeded: e)
                if block != Self.hole { expected[Int(block)] += 1 }
            }
        }
        for (id, leaf) in leaves.enumerated() where leaf.live && leaf.isDense {
            if leaf.baseUsers != baseUsers[id] { problems.append("leaf \(id): baseUsers \(leaf.baseUsers) != \(baseUsers[id])") }
            if leaf.refs == 0 && leaf.baseUsers == 0 { problems.append("leaf \(id) is live but unused") }
            let sh = shadow[id] ?? [UInt32](repeating: 0, count: Self.leafSize)
            guard Int(leaf.data) < dense.count else { continue }
            let data = dense[Int(leaf.data)]
            if leaf.refs > 0 {
                if !data.shadow.isEmpty { problems.append("leaf \(id): shadow counts kept while read directly") }
            } else if data.shadow != sh {
                problems.append("leaf \(id): shadow counts differ")
            }
            if Int(leaf.baseUsers) != data.deltas.count || Set(data.deltas).count != data.deltas.count {
                problems.append("leaf \(id): delta list has \(data.deltas.count) entries for \(leaf.baseUsers) users")
            }
            for (i, d) in data.deltas.enumerated() {
                if Int(d) >= leaves.count || !leaves[Int(d)].live || leaves[Int(d)].base != UInt32(id) || leaves[Int(d)].baseIndex != UInt32(i) {
                    problems.append("leaf \(id): delta list entry \(i) = \(d) is wrong")
                }
            }
            guard slotArena.count >= (Int(leaf.data) + 1) << Self.leafShift else { continue }
            let slots = denseSlots(UInt32(id))
            for o in 0..<Self.leafSize where slots[o] != Self.hole {
                if Int(leaf.refs) + Int(leaf.baseUsers) - Int(sh[o]) > 0 { expected[Int(slots[o])] += 1 }
            }
        }
        for block in pinned where Int(block) < expected.count { expected[Int(block)] += 1 }
        var live = 0
        var owned = [Int](repeating: 0, count: ownedBlocks.count)
        for block in 0..<refCount.count {
            if refCount[block] != expected[block] {
                problems.append("block \(block): refCount \(refCount[block]) != \(expected[block]) leaf readers")
            }
            if refCount[block] > 0 {
                live += 1
                owned[Int(owner[block])] += 1
            }
        }
        if live != liveBlocks { problems.append("liveBlocks \(liveBlocks) != \(live)") }
        var freed = 0
        for block in 0..<refCount.count {
            let isFree = Int(block) >> 6 < freeBits.count && freeBits[block >> 6] & (1 << UInt64(block & 63)) != 0
            if isFree { freed += 1 }
            if isFree != (refCount[block] == 0) { problems.append("block \(block): free bit \(isFree), refCount \(refCount[block])") }
        }
        if freed != freeCount { problems.append("free count \(freeCount) != \(freed) free bits") }
        for w in freeBits.indices where (freeBits[w] != 0) != (freeWords[w >> 6] & (1 << UInt64(w & 63)) != 0) {
            problems.append("free summary bit of word \(w) is wrong")
        }
        for s in freeWords.indices where (freeWords[s] != 0) != (freeWordGroups[s >> 6] & (1 << UInt64(s & 63)) != 0) {
            problems.append("free group bit of summary word \(s) is wrong")
        }
        if live + freeCount != refCount.count {
            problems.append("free \(freeCount) + live \(live) != blocks handed out \(refCount.count)")
        }
        if owned != ownedBlocks { problems.append("owned blocks per owner differ") }
        var groups = [Int](repeating: 0, count: groupBlocks.count)
        for (ownerID, count) in owned.enumerated() { groups[Int(ownerGroup[ownerID])] += count }
        if groups != groupBlocks { problems.append("owned blocks per group differ") }
        if liveBlocks > capacity { problems.append("liveBlocks \(liveBlocks) > capacity \(capacity)") }
        return problems
    }
}
