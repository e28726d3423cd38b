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
        let incoming = (0..<count).map { store.read(src.map, s0 + $0) }
        // Mappings each source cluster would have: now, plus the new ones, less the
        // destination slots that mapped it and are remapped.
        var change: [BlockStore.Block: Int] = [:]
        for b in incoming where b != BlockStore.hole { change[b, default: 0] += 1 }
        for k in 0..<count {
            let b = store.read(dst.map, d0 + k)
            if b != BlockStore.hole, change[b] != nil { change[b, default: 0] -= 1 }
        }
        for (b, delta) in change.sorted(by: { $0.key < $1.key }) {
            let would = store.referenceCount(b) + delta
            if would > profile.maxReferencesPerCluster {
                throw .tooManyReferences(volume: name, cluster: b, wouldHave: would, limit: profile.maxReferencesPerCluster)
            }
        }

        var d = dst
        files[destination] = nil  // so the map is changed in place
        for (k, b) in incoming.enumerated() { store.set(&d.map, d0 + k, to: b) }
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
