import BlockModel

/// A file system with block cloning that file-level workloads (backup) run on: a ReFS volume
/// or a reflink file system, behind one set of file operations in blocks of `blockSize`.
/// Errors come back as their platform's own text (Windows error or errno name first).
struct Repository {
    enum Kind {
        case refs(ReFSVolume)
        case reflink(ReflinkFileSystem)
        /// Only while `apply` has the file system out, so it is changed in place.
        case borrowed
    }
    var kind: Kind
    static let subvolume = "repo"

    struct Refusal: Error, CustomStringConvertible {
        var description: String
    }

    init(platform: Platform, name: String, capacityBytes: Int, settings: FileSystemSpec) throws(SimulationError) {
        switch platform {
        case .refs:
            do {
                kind = .refs(try ReFSVolume(name: name, capacityBytes: capacityBytes, clusterSize: settings.clusterSize,
                                            version: settings.refsVersion))
            } catch { throw SimulationError(error.description) }
        case .reflink:
            var fs = ReflinkFileSystem(name: name, capacityBytes: capacityBytes, profile: ReflinkProfile(freeing: settings.freeing))
            try? fs.createSubvolume(Self.subvolume)
            kind = .reflink(fs)
        case .ontap:
            throw SimulationError("ONTAP runs on an aggregate, not a file repository")
        }
    }

    var blockSize: Int {
        switch kind {
        case .refs(let v): v.clusterSize
        case .reflink(let f): f.profile.blockSize
        case .borrowed: 1
        }
    }
    var capacityBlocks: Int {
        switch kind {
        case .refs(let v): v.capacityClusters
        case .reflink(let f): f.capacityBlocks
        case .borrowed: 0
        }
    }
    var usedBlocks: Int {
        switch kind {
        case .refs(let v): v.usedClusters
        case .reflink(let f): f.usedBlocks
        case .borrowed: 0
        }
    }
    var logicalUsedBlocks: Int {
        switch kind {
        case .refs(let v): v.logicalUsedClusters
        case .reflink(let f): f.logicalUsedBlocks
        case .borrowed: 0
        }
    }
    var fileCount: Int {
        switch kind {
        case .refs(let v): v.fileCount
        case .reflink(let f): f.fileCount
        case .borrowed: 0
        }
    }
    /// Longest single clone, in blocks (ReFS: less than 4 GiB).
    var maxCloneBlocks: Int {
        switch kind {
        case .refs(let v): (v.profile.maxCloneBytes - 1) / v.clusterSize
        case .reflink, .borrowed: Int.max
        }
    }

    func accounting() -> [ObjectFigures] {
        switch kind {
        case .refs(let v): v.accounting()
        case .reflink(let f): f.accounting()
        case .borrowed: []
        }
    }

    func invariantViolations() -> [String] {
        switch kind {
        case .refs(let v): v.invariantViolations()
        case .reflink(let f): f.invariantViolations()
        case .borrowed: ["the repository was not returned"]
        }
    }

    /// Applies `refs` or `reflink` to the file system in place; a refusal becomes `Refusal`.
    mutating func apply(_ refs: (inout ReFSVolume) throws(ReFSError) -> Void,
                        _ reflink: (inout ReflinkFileSystem) throws(ReflinkError) -> Void) throws(Refusal) {
        switch kind {
        case .refs(var v):
            kind = .borrowed
            defer { kind = .refs(v) }
            do { try refs(&v) } catch { throw Refusal(description: error.description) }
        case .reflink(var f):
            kind = .borrowed
            defer { kind = .reflink(f) }
            do { try reflink(&f) } catch { throw Refusal(description: error.description) }
        case .borrowed:
            preconditionFailure("the repository is already in use")
        }
    }

    /// An empty sparse file (sparse on ReFS, so extending it allocates nothing).
    mutating func createFile(_ path: String, blocks: Int) throws(Refusal) {
        let bytes = blocks * blockSize
        try apply({ (v: inout ReFSVolume) throws(ReFSError) in
            try v.createFile(path, sparse: true)
            try v.setEndOfFile(path, bytes: bytes)
        }, { (f: inout ReflinkFileSystem) throws(ReflinkError) in
            try f.createFile(Self.subvolume, path)
            try f.truncate(Self.subvolume, path, bytes: bytes)
        })
    }

    mutating func write(_ path: String, block start: Int, contents: [UInt64]) throws(Refusal) {
        try apply({ (v: inout ReFSVolume) throws(ReFSError) in try v.write(path, cluster: start, contents: contents) },
                  { (f: inout ReflinkFileSystem) throws(ReflinkError) in try f.write(Self.subvolume, path, block: start, contents: contents) })
    }

    /// Block clone / FICLONERANGE of `count` blocks.
    mutating func clone(_ source: String, block s: Int, to destination: String, block d: Int, count: Int) throws(Refusal) {
        let bs = blockSize
        try apply({ (v: inout ReFSVolume) throws(ReFSError) in
            try v.blockClone(source: source, sourceOffset: s * bs, destination: destination, destinationOffset: d * bs, length: count * bs)
        }, { (f: inout ReflinkFileSystem) throws(ReflinkError) in
            try f.cloneRange((Self.subvolume, source), sourceOffset: s * bs, to: (Self.subvolume, destination), destinationOffset: d * bs,
                             length: count * bs)
        })
    }

    mutating func delete(_ path: String) throws(Refusal) {
        try apply({ (v: inout ReFSVolume) throws(ReFSError) in try v.deleteFile(path) },
                  { (f: inout ReflinkFileSystem) throws(ReflinkError) in try f.deleteFile(Self.subvolume, path) })
    }
}
