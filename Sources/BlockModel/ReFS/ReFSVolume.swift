/// A ReFS volume with block cloning (MODEL.md §2), on the shared `BlockStore`: one store per
/// volume, one block per cluster, one map per file (from file cluster to volume cluster).
///
/// ## Why the store's own counts are the ReFS reference counts
/// ReFS counts, per cluster, the file regions that map it. Maps here are never copied (no
/// Snapshot copies), so every leaf is private and the store's reference count of a block is
/// exactly the number of file slots pointing at it — the ReFS count, with nothing extra kept.
///
/// ## Cases
/// - Block clone remaps the destination range onto the source clusters: their counts rise,
///   the clusters the destination mapped before lose one and are freed at zero.
/// - A write to a cluster with count > 1 allocates a new cluster for that cluster only
///   (allocate-on-write); a cluster with count 1 is written in place; a hole gets a new one.
/// - A non-sparse file's clusters up to its end of file are allocated (zero-filled, content
///   identity 0) when the end of file is set; a sparse file's stay holes until written.
/// Every operation checks first and then applies, so a refused one changes nothing.
public struct ReFSVolume: Sendable {
    public let name: String
    public let clusterSize: Int
    public let version: ReFSVersion
    public let profile: ReFSProfile
    var store: BlockStore
    var files: [String: ReFSFile] = [:]
    /// Shared-oplock breaks caused by block clones.
    public internal(set) var oplockBreaks = 0
    /// Successful block clones and the clusters they remapped.
    public internal(set) var clones = 0
    public internal(set) var clonedClusters = 0

    struct ReFSFile: Sendable {
        var endOfFile: Int
        var sparse: Bool
        var integrityStreams: Bool
        var map: BlockMap
        var owner: UInt32
    }

    /// The content identity of zero-filled clusters.
    public static let zeroContent: UInt64 = 0

    public init(name: String, capacityBytes: Int, clusterSize: Int, version: ReFSVersion = ReFSVersion(3, 4),
                profile: ReFSProfile = ReFSProfile()) throws(ReFSError) {
        guard profile.clusterSizes.contains(clusterSize) else {
            throw .invalidParameter("cluster size \(clusterSize) is not one of \(profile.clusterSizes.map(String.init).joined(separator: ", "))")
        }
        guard capacityBytes >= clusterSize else { throw .invalidParameter("volume '\(name)' must hold at least one cluster") }
        self.name = name
        self.clusterSize = clusterSize
        self.version = version
        self.profile = profile
        store = BlockStore(capacity: capacityBytes / clusterSize)
    }

    public var capacityClusters: Int { store.capacity }
    public var usedClusters: Int { store.liveBlocks }
    public var freeClusters: Int { store.freeBlocks }
    /// Clusters mapped by files, counted once per file region (what copies would occupy).
    /// - Complexity: O(files).
    public var logicalUsedClusters: Int { files.values.reduce(0) { $0 + $1.map.mappedBlocks } }
    public var fileCount: Int { files.count }

    func file(_ path: String) throws(ReFSError) -> ReFSFile {
        guard let f = files[path] else { throw .notFound("no file '\(path)' on volume '\(name)'") }
        return f
    }

    func clusters(_ bytes: Int) -> Int { (bytes + clusterSize - 1) / clusterSize }

    // MARK: Files

    /// Creates an empty file.
    public mutating func createFile(_ path: String, sparse: Bool = false, integrityStreams: Bool = false) throws(ReFSError) {
        guard files[path] == nil else { throw .alreadyExists("file '\(path)' already exists on volume '\(name)'") }
        files[path] = ReFSFile(endOfFile: 0, sparse: sparse, integrityStreams: integrityStreams, map: store.newMap(blocks: 0),
                               owner: store.newOwner(group: 0))
    }

    /// SetEndOfFile: grows the file (a non-sparse file's new clusters are allocated, zeroed)
    /// or truncates it (clusters past the new end are unmapped).
    public mutating func setEndOfFile(_ path: String, bytes: Int) throws(ReFSError) {
        var f = try file(path)
        guard bytes >= 0 else { throw .invalidParameter("end of file \(bytes) is negative") }
        let old = clusters(f.endOfFile), new = clusters(bytes)
        if new > old && !f.sparse && new - old > store.freeBlocks {
            throw .diskFull(volume: name, neededClusters: new - old, freeClusters: store.freeBlocks)
        }
        files[path] = nil  // so the map is changed in place
        if new > f.map.blockCount { store.grow(&f.map, to: new) }
        if new > old && !f.sparse {
            let zeros = [UInt64](repeating: Self.zeroContent, count: new - old)
            var replaced: [BlockStore.Block] = []
            zeros.withUnsafeBufferPointer {
                store.writeRun(&f.map, at: old, contents: $0, owner: f.owner, replaced: &replaced, collectReplaced: false)
            }
        }
        for c in new..<max(new, old) where store.read(f.map, c) != BlockStore.hole { store.set(&f.map, c, to: BlockStore.hole) }
        f.endOfFile = bytes
        files[path] = f
    }

    /// Deletes a file; clusters no other file maps are freed.
    public mutating func deleteFile(_ path: String) throws(ReFSError) {
        let f = try file(path)
        store.release(f.map)
        files[path] = nil
    }

    /// Writes whole clusters from cluster `start`, one content identity each, extending the
    /// end of file if the write runs past it. Shared clusters are allocated anew
    /// (allocate-on-write), unshared ones written in place, holes allocated.
    /// - Throws: `diskFull` (then nothing was written), `invalidParameter` for a negative start.
    public mutating func write(_ path: String, cluster start: Int, contents: [UInt64]) throws(ReFSError) {
        var f = try file(path)
        guard start >= 0 else { throw .invalidParameter("cluster \(start) is negative") }
        let end = start + contents.count
        let within = min(end, f.map.blockCount)
        var needed = max(0, end - max(start, f.map.blockCount))
        if !f.sparse { needed += max(0, start - clusters(f.endOfFile)) }  // a gap past the end is zero-filled
        for c in start..<max(start, within) {
            let b = store.read(f.map, c)
            if b == BlockStore.hole || store.referenceCount(b) > 1 { needed += 1 }
        }
        guard needed <= store.freeBlocks else { throw .diskFull(volume: name, neededClusters: needed, freeClusters: store.freeBlocks) }
        if end * clusterSize > f.endOfFile {
            if start * clusterSize > f.endOfFile { try setEndOfFile(path, bytes: start * clusterSize) }  // the gap
            f = try file(path)
            files[path] = nil
            store.grow(&f.map, to: max(end, f.map.blockCount))
            f.endOfFile = end * clusterSize
        } else {
            files[path] = nil
        }
        for (k, value) in contents.enumerated() {
            let b = store.read(f.map, start + k)
            if b != BlockStore.hole && store.referenceCount(b) == 1 {
                store.rewrite(b, content: value)
            } else {
                store.write(&f.map, start + k, content: value, owner: f.owner)
            }
        }
        files[path] = f
    }
}
