/// The aggregate's invariants, recomputed from scratch (see `BlockStore.invariantViolations`
/// for the block level): pointer counts per volume equal the pointers that exist and stay
/// within the limit; space adds up (used + reserved + free = capacity, free >= 0); no volume is
/// charged more than its size; clone links agree in both directions.
extension Aggregate {
    /// Every map that exists: active file systems and Snapshot copies of every volume.
    var allMaps: [BlockMap] {
        var maps: [BlockMap] = []
        for name in volumeOrder {
            let v = volumes[name]!
            for path in v.sortedFilePaths { maps.append(v.files[path]!.map) }
            for s in v.snapshotOrder {
                for path in v.snapshots[s]!.files.keys.sorted() { maps.append(v.snapshots[s]!.files[path]!.map) }
            }
        }
        return maps
    }

    public func invariantViolations() -> [String] {
        var problems = store.invariantViolations(maps: allMaps)
        var scratch: [UInt32] = []
        for name in volumeOrder {
            let v = volumes[name]!
            problems += sharingViolations(v.name, files: v.files, sharing: v.sharing, scratch: &scratch)
            for s in v.snapshotOrder {
                problems += sharingViolations("\(v.name)@\(s)", files: v.snapshots[s]!.files, sharing: v.snapshots[s]!.sharing,
                                              scratch: &scratch)
            }
            if charged(v) > v.sizeBlocks { problems.append("volume \(name) charged \(charged(v)) > size \(v.sizeBlocks)") }
            // Dedup's share of each block's extra pointers, and their total.
            let dedup = v.dedupExtra.nonzero
            if dedup.reduce(0, { $0 + $1.extra }) != v.dedupSaved { problems.append("volume \(name): dedup savings differ from its pointers") }
            for (b, extra) in dedup where extra > v.sharing[b] {
                problems.append("volume \(name): block \(b) has \(extra) dedup pointers of \(v.sharing[b]) extra")
            }
            if let p = v.parentVolume {
                guard let parent = volumes[p], let base = v.parentSnapshot, let snap = parent.snapshots[base] else {
                    problems.append("clone \(name): parent \(p) or its base Snapshot copy is missing")
                    continue
                }
                if !parent.cloneChildren.contains(name) || !snap.clones.contains(name) {
                    problems.append("clone \(name) is not recorded by its parent \(p)")
                }
            }
            for child in v.cloneChildren where volumes[child]?.parentVolume != name {
                problems.append("volume \(name) lists \(child) as a clone but it is not one")
            }
        }
        if physicalUsedBlocks + reservedBlocks + freeBlocks != capacityBlocks { problems.append("used + reserved + free != capacity") }
        let metadata = volumes.values.reduce(0) { $0 + $1.metadataBlocks + ($1.dedup?.metadataBlocks ?? 0) }
        if metadata != metadataTotal { problems.append("metadata total \(metadataTotal) != \(metadata)") }
        for (name, v) in volumes {
            if v.metadataBlocks != v.files.values.reduce(0, { $0 + $1.metadataBlocks }) {
                problems.append("volume \(name): metadata blocks differ from its files'")
            }
            let reserved = v.files.filter { $0.value.attributes.kind == .lun && $0.value.attributes.spaceReserved }.keys.sorted()
            if reserved != v.reservedLUNs.sorted() { problems.append("volume \(name): reserved LUN list differs") }
        }
        let guaranteed = volumes.filter { $0.value.guarantee == .volume }.keys.sorted()
        if guaranteed != guaranteedVolumes.sorted() { problems.append("guaranteed volume list differs") }
        if freeBlocks < 0 { problems.append("free blocks \(freeBlocks) < 0") }
        return problems
    }

    /// Pointer counts of one active file system (or the copy a Snapshot copy keeps).
    /// `scratch` holds one counter per block id, all zero on entry and on return, so a check
    /// costs O(blocks mapped) and no hashing.
    func sharingViolations(_ label: String, files: [String: StoredFile], sharing: SharingCounts,
                           scratch: inout [UInt32]) -> [String] {
        if scratch.count < store.blockIDLimit { scratch = [UInt32](repeating: 0, count: store.blockIDLimit) }
        let maps = files.keys.sorted().map { files[$0]!.map }
        var problems: [String] = []
        scratch.withUnsafeMutableBufferPointer { counts in
            for map in maps { store.forEachBlock(map) { _, b in counts[Int(b)] += 1 } }
            for (block, extra) in sharing.nonzero where counts[Int(block)] == 0 {
                problems.append("\(label): block \(block) counted \(extra + 1) pointers but has none")
            }
            for map in maps {
                store.forEachBlock(map) { _, b in
                    let count = Int(counts[Int(b)])
                    guard count > 0 else { return }
                    if sharing[b] != count - 1 { problems.append("\(label): block \(b) has \(count) pointers, counted \(sharing[b] + 1)") }
                    if count > profile.maxPointersPerBlock { problems.append("\(label): block \(b) has \(count) pointers") }
                    counts[Int(b)] = 0
                }
            }
        }
        return problems.sorted()
    }
}
