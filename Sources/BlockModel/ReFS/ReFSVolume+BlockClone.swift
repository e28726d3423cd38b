extension ReFSVolume {
    /// FSCTL_DUPLICATE_EXTENTS_TO_FILE: maps `length` bytes of `destination` from
    /// `destinationOffset` onto the clusters `source` maps from `sourceOffset`. No data is read
    /// or written; the source clusters' counts rise and the clusters the destination range
    /// mapped before lose a reference.
    ///
    /// Restrictions (MODEL.md §2), checked in this order, each refusing the whole clone:
    /// alignment and length, the 4 GiB limit, the destination's end of file, overlap within
    /// one file, integrity streams, sparseness, the format version, then the 8175 limit.
    /// Clones between volumes are refused by `ReFSSystem`.
    public mutating func blockClone(source: String, sourceOffset: Int, destination: String, destinationOffset: Int,
                                    length: Int) throws(ReFSError) {
        let src = try file(source)
        let dst = try file(destination)
        for (what, value) in [("source offset", sourceOffset), ("destination offset", destinationOffset), ("length", length)]
        where value < 0 || value % clusterSize != 0 {
            throw .invalidParameter("\(what) \(value) is not a multiple of the cluster size \(clusterSize)")
        }
        guard length < profile.maxCloneBytes else {
            throw .invalidParameter("length \(length) is not less than \(profile.maxCloneBytes) bytes")
        }
        guard destinationOffset + length <= dst.endOfFile else {
            throw .invalidParameter("the destination range ends at \(destinationOffset + length), past the end of file \(dst.endOfFile) of '\(destination)': set the end of file first")
        }
        guard sourceOffset + length <= src.endOfFile else {
            throw .invalidParameter("the source range ends at \(sourceOffset + length), past the end of file \(src.endOfFile) of '\(source)'")
        }
        if source == destination && sourceOffset < destinationOffset + length && destinationOffset < sourceOffset + length {
            throw .notSupported("source and destination ranges of '\(source)' overlap")
        }
        guard src.integrityStreams == dst.integrityStreams else {
            throw .invalidParameter("'\(source)' and '\(destination)' have different integrity-streams settings")
        }
        if src.sparse && !dst.sparse { throw .notSupported("the source '\(source)' is sparse and the destination '\(destination)' is not") }
        guard version >= profile.blockCloneVersion else { throw .invalidDeviceRequest(volume: name, version: version) }

        let count = length / clusterSize
        let s0 = sourceOffset / clusterSize, d0 = destinationOffset / clusterSize
        // Only clusters either side maps change anything (a hole cloned onto a hole stays one):
        // the leaves' ranges bound them, so a sparse file (a sampled shard's) clones in what it
        // holds, not its size.
        let touched = Ranges.union(store.leafRanges(src.map, within: s0..<(s0 + count)).map { ($0.lowerBound - s0)..<($0.upperBound - s0) }
                                 + store.leafRanges(dst.map, within: d0..<(d0 + count)).map { ($0.lowerBound - d0)..<($0.upperBound - d0) },
                                 within: 0..<count)
        let incoming = touched.flatMap { r in r.map { (k: $0, block: store.read(src.map, s0 + $0)) } }
        // Mappings each source cluster would have: now, plus the new ones, less the
        // destination slots that mapped it and are remapped. Where no cluster can pass the
        // limit even counting every incoming mapping as its own (a few clusters; a source
        // that maps no cluster twice, each gaining one), the count per cluster is not needed.
        let limit = profile.maxReferencesPerCluster
        let spread = src.map.mayRepeatBlocks ? incoming.count : 1
        if incoming.contains(where: { $0.block != BlockStore.hole && store.referenceCount($0.block) + spread > limit }) {
            var change: [BlockStore.Block: Int] = [:]
            for (_, b) in incoming where b != BlockStore.hole { change[b, default: 0] += 1 }
            for (k, _) in incoming {
                let b = store.read(dst.map, d0 + k)
                if b != BlockStore.hole, change[b] != nil { change[b, default: 0] -= 1 }
            }
            for (b, delta) in change.sorted(by: { $0.key < $1.key }) {
                let would = store.referenceCount(b) + delta
                if would > limit { throw .tooManyReferences(volume: name, cluster: b, wouldHave: would, limit: limit) }
            }
        }

        var d = dst
        files[destination] = nil  // so the map is changed in place
        for (k, b) in incoming where b != BlockStore.hole || store.read(d.map, d0 + k) != BlockStore.hole { store.set(&d.map, d0 + k, to: b) }
        files[destination] = d
        clones += 1
        clonedClusters += count
        oplockBreaks += source == destination ? 1 : 2
    }

    /// File regions mapping the cluster that file cluster `index` of `path` maps (0 for a hole).
    public func referenceCount(_ path: String, cluster index: Int) throws(ReFSError) -> Int {
        let f = try file(path)
        guard index >= 0, index < f.map.blockCount else { return 0 }
        let b = store.read(f.map, index)
        return b == BlockStore.hole ? 0 : store.referenceCount(b)
    }

    /// Content identities of a file, cluster by cluster (nil for holes), up to its end of file.
    public func contents(_ path: String) throws(ReFSError) -> [UInt64?] {
        try contents(path, clusters: 0..<clusters(try file(path).endOfFile))
    }

    /// Content identities of some clusters (nil for holes and past the end of file).
    public func contents(_ path: String, clusters range: Range<Int>) throws(ReFSError) -> [UInt64?] {
        let f = try file(path)
        return range.map { c in
            let b = c < f.map.blockCount ? store.read(f.map, c) : BlockStore.hole
            return b == BlockStore.hole ? nil : store.contentOf(b)
        }
    }

    /// Cluster ranges of a file that hold all its mapped clusters (`BlockStore.leafRanges`).
    public func mappedRanges(_ path: String) throws(ReFSError) -> [Range<Int>] { store.leafRanges(try file(path).map) }

    /// The volume clusters some file clusters map (nil for holes and past the end of file).
    public func volumeClusters(_ path: String, clusters range: Range<Int>) throws(ReFSError) -> [UInt32?] {
        let f = try file(path)
        return range.map { c in
            let b = c < f.map.blockCount ? store.read(f.map, c) : BlockStore.hole
            return b == BlockStore.hole ? nil : b
        }
    }

    /// The volume cluster a file cluster maps (nil for a hole): to see sharing in tests.
    public func volumeCluster(_ path: String, cluster index: Int) throws(ReFSError) -> UInt32? {
        let f = try file(path)
        let b = index < f.map.blockCount ? store.read(f.map, index) : BlockStore.hole
        return b == BlockStore.hole ? nil : b
    }

    public var filePaths: [String] { files.keys.sorted() }

    /// A file's end of file, in bytes.
    public func endOfFile(_ path: String) throws(ReFSError) -> Int { try file(path).endOfFile }

    /// Figures for the volume, then each file by path (MODEL.md §0), in clusters.
    public func accounting() -> [ObjectFigures] {
        var counter = ObjectCounter(readers: store.slotReaders())
        let paths = filePaths
        let all = counter.count(paths.map { files[$0]!.map }, in: store)
        let logical = paths.reduce(0) { $0 + files[$1]!.map.mappedBlocks }
        var rows = [ObjectFigures(kind: .volume, name: name, logicalSize: capacityClusters, logicalUsed: logical,
                                  physicalUsed: all.distinct, unique: all.unique, snapshotHeld: 0, reserved: 0, charged: store.liveBlocks)]
        for path in paths {
            let f = files[path]!
            let c = counter.count([f.map], in: store)
            rows.append(ObjectFigures(kind: .file, name: "\(name)/\(path)", logicalSize: clusters(f.endOfFile),
                                      logicalUsed: f.map.mappedBlocks, physicalUsed: c.distinct, unique: c.unique,
                                      snapshotHeld: 0, reserved: 0, charged: store.owned(by: f.owner)))
        }
        return rows
    }

    /// The store's invariants over every file's map, plus: no cluster is mapped by more file
    /// regions than the limit, and no file maps a cluster past its end of file.
    public func invariantViolations() -> [String] {
        var problems = store.invariantViolations(maps: filePaths.map { files[$0]!.map })
        for path in filePaths {
            let f = files[path]!
            store.forEachBlock(f.map) { index, b in
                if store.referenceCount(b) > profile.maxReferencesPerCluster { problems.append("cluster \(b) over the limit") }
                if index >= clusters(f.endOfFile) { problems.append("\(path): cluster \(index) mapped past the end of file") }
            }
        }
        return problems
    }
}
