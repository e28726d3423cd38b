import BlockModel

/// What the workloads do to a platform's storage, in volumes, files and blocks of
/// `blockSize`. An ONTAP aggregate, a ReFS volume and a reflink file system each implement it,
/// so devtest, vdi, events, backup and checkpoints drive any of them through one vocabulary;
/// an operation a platform lacks throws `Unsupported` (the scenario layer refuses it first).
///
/// Errors are the platform's own (`ModelError`, `ReFSError`, `ReflinkError`): `refusalText`
/// renders them for the events table.
protocol Storage: DedupStorage {
    var blockSize: Int { get }
    var capacityBlocks: Int { get }
    /// Blocks allocated: data, and clone metadata on ONTAP.
    var physicalUsedBlocks: Int { get }
    /// Blocks held back by unused volume guarantees (ONTAP only).
    var reservedBlocks: Int { get }
    /// Blocks mapped by files, once per file: what full copies would occupy.
    var logicalUsedBlocks: Int { get }
    var volumeCount: Int { get }
    var fileCount: Int { get }
    var snapshotCount: Int { get }
    /// Most clones of one source before a limit strategy must make a new copy: volume clones
    /// of one parent, or file clones of one file (its blocks' pointer or reference limit).
    func maxClonesPerSource(volumeClones: Bool) -> Int
    /// Longest single range clone in blocks (ReFS: under 4 GiB); nil when ranges cannot be cloned.
    var maxCloneRangeBlocks: Int? { get }

    func hasVolume(_ volume: String) -> Bool
    func volumeSizeBlocks(_ volume: String) throws -> Int
    func filePaths(_ volume: String) throws -> [String]
    func fileSizeBlocks(_ volume: String, _ path: String) throws -> Int
    /// Content identities of some blocks of a file (nil for holes and past the end).
    func contents(_ volume: String, _ path: String, blocks: Range<Int>) throws -> [UInt64?]

    mutating func createVolume(_ name: String, sizeBlocks: Int, guarantee: SpaceGuarantee, snapLock: Bool) throws
    mutating func destroyVolume(_ name: String) throws
    mutating func createSnapshot(_ volume: String, _ snapshot: String) throws
    mutating func deleteSnapshot(_ volume: String, _ snapshot: String) throws
    mutating func cloneVolume(_ name: String, parent: String, snapshot: String?) throws
    /// A file of `sizeBlocks` with nothing written (thin: holes until written).
    mutating func createFile(_ volume: String, _ path: String, sizeBlocks: Int, attributes: FileAttributes) throws
    mutating func deleteFile(_ volume: String, _ path: String) throws
    /// A whole-file clone within a volume; all or nothing.
    mutating func cloneFile(_ volume: String, _ source: String, as destination: String) throws -> CloneOutcome
    /// A physical copy (new blocks, the same content).
    mutating func copyFile(_ volume: String, _ source: String, toVolume: String, as destination: String) throws
    mutating func write(_ volume: String, _ path: String, at start: Int, contents: [UInt64]) throws
    /// Scattered single blocks, all or nothing.
    mutating func write(_ volume: String, _ path: String, indices: [Int], contents: [UInt64]) throws
    /// Runs of blocks (`contents` in run order; where runs overlap the later wins), all or
    /// nothing.
    mutating func write(_ volume: String, _ path: String, runs: [Range<Int>], contents: [UInt64]) throws
    /// Maps `count` blocks of `destination` at `d` onto those of `source` at `s` (block clone,
    /// FICLONERANGE).
    mutating func cloneRange(_ volume: String, _ source: String, block s: Int, to destination: String, block d: Int, count: Int) throws
    /// Sets a file's size in blocks (sparse: growing maps nothing).
    mutating func resizeFile(_ volume: String, _ path: String, blocks: Int) throws
    mutating func setQuota(_ volume: String, target: String, limitBlocks: Int) throws
    mutating func createQtree(_ volume: String, _ qtree: String, limitBlocks: Int?) throws
    func splitEstimate(_ clone: String) throws -> Int
    mutating func splitClone(_ clone: String) throws

    func accounting() -> [ObjectFigures]
    func invariantViolations() -> [String]
    /// Reads blocks of a file through a Flash Cache; returns the blocks read (holes are not).
    mutating func read(_ volume: String, _ path: String, blocks: [Int], cache: inout FlashCache) throws -> Int
}

/// What a file clone did beyond sharing: blocks copied at a pointer limit, quotas it pushed over.
struct CloneOutcome {
    var copiedBlocks = 0
    var oversubscribedQuotas: [String] = []
}

/// An operation the platform does not have.
struct Unsupported: Error, CustomStringConvertible {
    var description: String
}

/// An error of any platform as the events table shows it: ONTAP's rule first, the Windows
/// error or errno name first for ReFS and reflink (their descriptions start with it).
func refusalText(_ error: any Error) -> String {
    if let e = error as? ModelError { return "\(e.rule): \(e.description)" }
    return String(describing: error)
}

// MARK: ONTAP

extension Aggregate: Storage {
    var volumeCount: Int { volumeNames.count }
    func maxClonesPerSource(volumeClones: Bool) -> Int { volumeClones ? profile.maxClonesPerVolume : profile.maxPointersPerBlock - 1 }
    var maxCloneRangeBlocks: Int? { nil }

    mutating func cloneVolume(_ name: String, parent: String, snapshot: String?) throws {
        try createVolumeClone(name, parent: parent, snapshot: snapshot)
    }

    mutating func cloneFile(_ volume: String, _ source: String, as destination: String) throws -> CloneOutcome {
        let r = try cloneFile(volume, source, to: destination)
        return CloneOutcome(copiedBlocks: r.copiedBlocks, oversubscribedQuotas: r.oversubscribedQuotas)
    }

    func cloneRange(_ volume: String, _ source: String, block s: Int, to destination: String, block d: Int, count: Int) throws {
        throw Unsupported(description: "not supported on platform ontap: sub-file range clones are not modelled")
    }
    func resizeFile(_ volume: String, _ path: String, blocks: Int) throws {
        throw Unsupported(description: "not supported on platform ontap: files keep their declared size")
    }

    mutating func read(_ volume: String, _ path: String, blocks: [Int], cache: inout FlashCache) throws -> Int {
        try read(volume, path, blocks: blocks, through: &cache)
    }
}

// MARK: File systems without ONTAP's volume features

/// The operations ReFS and reflink lack, refused alike.
protocol FileSystemStorage: Storage {
    var platform: Platform { get }
}

extension FileSystemStorage {
    var reservedBlocks: Int { 0 }

    func unsupported(_ what: String) -> Unsupported {
        Unsupported(description: "not supported on platform \(platform.rawValue): \(what)")
    }
    func setQuota(_ volume: String, target: String, limitBlocks: Int) throws { throw unsupported("quotas are ONTAP's") }
    func createQtree(_ volume: String, _ qtree: String, limitBlocks: Int?) throws { throw unsupported("qtrees are ONTAP's") }
    func splitEstimate(_ clone: String) throws -> Int { throw unsupported("only FlexClone volumes are split") }
    func read(_ volume: String, _ path: String, blocks: [Int], cache: inout FlashCache) throws -> Int {
        throw unsupported("Flash Cache is ONTAP's")
    }
    func splitClone(_ clone: String) throws { throw unsupported("only FlexClone volumes are split") }

    /// Runs as the scattered blocks they cover, for platforms whose scattered writes are
    /// runs already (ONTAP has a batched runs path of its own).
    mutating func write(_ volume: String, _ path: String, runs: [Range<Int>], contents: [UInt64]) throws {
        var indices: [Int] = []
        indices.reserveCapacity(contents.count)
        for run in runs { indices.append(contentsOf: run) }
        try write(volume, path, indices: indices, contents: contents)
    }

    /// Groups scattered blocks into runs of consecutive ones, after checking the space for all.
    mutating func writeScattered(_ volume: String, _ path: String, indices: [Int], contents: [UInt64], free: Int,
                                 noSpace: (Int, Int) -> any Error) throws {
        guard contents.count <= free else { throw noSpace(contents.count, free) }
        var k = 0
        while k < indices.count {
            var n = 1
            while k + n < indices.count && indices[k + n] == indices[k] + n { n += 1 }
            try write(volume, path, at: indices[k], contents: Array(contents[k..<(k + n)]))
            k += n
        }
    }

    /// Copies a file of `size` blocks into new blocks with the same content (holes stay
    /// holes), reading 1 Mi blocks at a time so a large file needs no large buffer. `read`
    /// gets the storage as it is, so no copy of it outlives a read (that would make every
    /// later write copy the whole block store).
    mutating func copyContents(size: Int, read: (Self, Range<Int>) throws -> [UInt64?], toVolume: String, as destination: String) throws {
        try createFile(toVolume, destination, sizeBlocks: size, attributes: FileAttributes())
        var chunk = 0
        while chunk < size {
            let contents = try read(self, chunk..<min(size, chunk + (1 << 20)))
            var k = 0
            while k < contents.count {
                guard contents[k] != nil else { k += 1; continue }
                var run: [UInt64] = []
                while k + run.count < contents.count, let c = contents[k + run.count] { run.append(c) }
                try write(toVolume, destination, at: chunk + k, contents: run)
                k += run.count
            }
            chunk += contents.count
        }
    }
}

// MARK: ReFS

/// One ReFS volume. A scenario's volumes are top-level folders on it (block clone works only
/// within one volume), so a file is `folder/path`; folder sizes are not enforced. ReFS has no
/// volume snapshots or clones: those throw `Unsupported`.
struct ReFSStorage: FileSystemDedupStorage {
    var volume: ReFSVolume
    /// Folder sizes as declared, in creation order.
    var folders: [String: Int] = [:]
    var platform: Platform { .refs }
    var dedup: [String: FileSystemDedup] = [:]
    var clonedFrom: [String: String] = [:]
    var dedupBlocksPerSecond = 25_600.0
    var maxDedupeBlocks: Int { maxCloneRangeBlocks ?? 1 }
    var volumeNames: [String] { folders.keys.sorted() }

    init(_ volume: ReFSVolume) { self.volume = volume }

    func key(_ folder: String, _ path: String) -> String { "\(folder)/\(path)" }
    func folder(_ name: String) throws -> Int {
        guard let size = folders[name] else { throw ReFSError.notFound("no folder '\(name)' on volume '\(volume.name)'") }
        return size
    }

    var blockSize: Int { volume.clusterSize }
    var capacityBlocks: Int { volume.capacityClusters }
    var physicalUsedBlocks: Int { volume.usedClusters }
    var logicalUsedBlocks: Int { volume.logicalUsedClusters }
    var volumeCount: Int { folders.count }
    var fileCount: Int { volume.fileCount }
    var snapshotCount: Int { 0 }
    /// The original region plus 8174 clones may map a cluster.
    func maxClonesPerSource(volumeClones: Bool) -> Int { volume.profile.maxReferencesPerCluster - 1 }
    var maxCloneRangeBlocks: Int? { (volume.profile.maxCloneBytes - 1) / volume.clusterSize }

    func hasVolume(_ name: String) -> Bool { folders[name] != nil }
    func volumeSizeBlocks(_ name: String) throws -> Int { try folder(name) }
    func filePaths(_ name: String) throws -> [String] {
        _ = try folder(name)
        let prefix = "\(name)/"
        return volume.filePaths.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }
    func fileSizeBlocks(_ folder: String, _ path: String) throws -> Int {
        (try volume.endOfFile(key(folder, path)) + blockSize - 1) / blockSize
    }
    func contents(_ folder: String, _ path: String, blocks: Range<Int>) throws -> [UInt64?] {
        try volume.contents(key(folder, path), clusters: blocks)
    }

    mutating func createVolume(_ name: String, sizeBlocks: Int, guarantee: SpaceGuarantee, snapLock: Bool) throws {
        guard folders[name] == nil else { throw ReFSError.alreadyExists("folder '\(name)' already exists on volume '\(volume.name)'") }
        folders[name] = sizeBlocks
    }
    mutating func destroyVolume(_ name: String) throws {
        for path in try filePaths(name) { try volume.deleteFile(key(name, path)) }
        folders[name] = nil
        dedup[name] = nil
    }
    func createSnapshot(_ volume: String, _ snapshot: String) throws { throw unsupported("ReFS has no volume snapshots") }
    func deleteSnapshot(_ volume: String, _ snapshot: String) throws { throw unsupported("ReFS has no volume snapshots") }
    func cloneVolume(_ name: String, parent: String, snapshot: String?) throws { throw unsupported("ReFS has no volume clones") }

    /// A sparse file, so a clone or a partial fill allocates only what it maps.
    mutating func createFile(_ folder: String, _ path: String, sizeBlocks: Int, attributes: FileAttributes) throws {
        _ = try self.folder(folder)
        try volume.createFile(key(folder, path), sparse: true)
        try volume.setEndOfFile(key(folder, path), bytes: sizeBlocks * blockSize)
    }
    mutating func deleteFile(_ folder: String, _ path: String) throws {
        try volume.deleteFile(key(folder, path))
        dedup[folder]?.deleted(path)
    }

    /// Block clones of the whole file, each under 4 GiB; a refused one removes the new file.
    mutating func cloneFile(_ folder: String, _ source: String, as destination: String) throws -> CloneOutcome {
        let size = try fileSizeBlocks(folder, source)
        try createFile(folder, destination, sizeBlocks: size, attributes: FileAttributes())
        do {
            var at = 0
            let step = maxCloneRangeBlocks ?? size
            while at < size {
                let n = min(step, size - at)
                try cloneRange(folder, source, block: at, to: destination, block: at, count: n)
                at += n
            }
        } catch {
            try? volume.deleteFile(key(folder, destination))
            throw error
        }
        return CloneOutcome()
    }
    mutating func copyFile(_ folder: String, _ source: String, toVolume: String, as destination: String) throws {
        let path = key(folder, source)
        try copyContents(size: try fileSizeBlocks(folder, source), read: { try $0.volume.contents(path, clusters: $1) },
                         toVolume: toVolume, as: destination)
    }
    mutating func write(_ folder: String, _ path: String, at start: Int, contents: [UInt64]) throws {
        try volume.write(key(folder, path), cluster: start, contents: contents)
        dedup[folder]?.wrote(path, start..<(start + contents.count))
    }
    mutating func write(_ folder: String, _ path: String, indices: [Int], contents: [UInt64]) throws {
        let name = volume.name
        try writeScattered(folder, path, indices: indices, contents: contents, free: volume.freeClusters) {
            ReFSError.diskFull(volume: name, neededClusters: $0, freeClusters: $1)
        }
    }
    mutating func cloneRange(_ folder: String, _ source: String, block s: Int, to destination: String, block d: Int, count: Int) throws {
        try volume.blockClone(source: key(folder, source), sourceOffset: s * blockSize, destination: key(folder, destination),
                              destinationOffset: d * blockSize, length: count * blockSize)
        dedup[folder]?.wrote(destination, d..<(d + count))
    }
    mutating func resizeFile(_ folder: String, _ path: String, blocks: Int) throws {
        try volume.setEndOfFile(key(folder, path), bytes: blocks * blockSize)
    }
    func physicalBlocks(_ folder: String, _ path: String, blocks: Range<Int>) throws -> [UInt32?] {
        try volume.volumeClusters(key(folder, path), clusters: blocks)
    }
    func mappedRanges(_ folder: String, _ path: String) throws -> [Range<Int>] { try volume.mappedRanges(key(folder, path)) }
    /// A dedup job shares clusters as a block clone does, under the same reference limit.
    mutating func dedupe(_ folder: String, _ source: String, block s: Int, to destination: String, block d: Int, count: Int) throws {
        try cloneRange(folder, source, block: s, to: destination, block: d, count: count)
    }
    /// A folder's files: ReFS has no folder row.
    func usage(of folder: String, in rows: [ObjectFigures]) -> (logical: Int, charged: Int) {
        let prefix = "\(volume.name)/\(folder)/"
        return rows.filter { $0.kind == .file && $0.name.hasPrefix(prefix) }.reduce((0, 0)) { ($0.0 + $1.logicalUsed, $0.1 + $1.charged) }
    }

    func accounting() -> [ObjectFigures] { volume.accounting() }
    func invariantViolations() -> [String] { volume.invariantViolations() }
}

// MARK: Reflink

/// A reflink file system: a scenario's volumes are subvolumes, a Snapshot copy `s` of `v` is
/// the subvolume snapshot `v@s`, and a volume clone is a writable snapshot of one. Subvolume
/// sizes are not enforced (no qgroups).
struct ReflinkStorage: FileSystemDedupStorage {
    var fs: ReflinkFileSystem
    var sizes: [String: Int] = [:]
    var platform: Platform { .reflink }
    var dedup: [String: FileSystemDedup] = [:]
    var clonedFrom: [String: String] = [:]
    var dedupBlocksPerSecond = 25_600.0
    /// btrfs caps one FIDEDUPERANGE at 16 MiB.
    var maxDedupeBlocks: Int { (16 << 20) / blockSize }
    var volumeNames: [String] { sizes.keys.sorted() }

    init(_ fs: ReflinkFileSystem) { self.fs = fs }

    static func snapshotName(_ volume: String, _ snapshot: String) -> String { "\(volume)@\(snapshot)" }
    func size(_ name: String) throws -> Int {
        guard let size = sizes[name] else { throw ReflinkError.notFound("no subvolume '\(name)'") }
        return size
    }

    var blockSize: Int { fs.profile.blockSize }
    var capacityBlocks: Int { fs.capacityBlocks }
    var physicalUsedBlocks: Int { fs.usedBlocks }
    /// Snapshot subvolumes are not counted: full copies replace clones, not snapshots (as on ONTAP).
    var logicalUsedBlocks: Int { sizes.keys.reduce(0) { $0 + fs.logicalUsedBlocks($1) } }
    var volumeCount: Int { sizes.count }
    var fileCount: Int { sizes.keys.reduce(0) { $0 + fs.fileCount($1) } }
    var snapshotCount: Int { fs.subvolumeCount - sizes.count }
    /// No practical limit.
    func maxClonesPerSource(volumeClones: Bool) -> Int { Int.max }
    var maxCloneRangeBlocks: Int? { Int.max }

    func hasVolume(_ name: String) -> Bool { sizes[name] != nil }
    func volumeSizeBlocks(_ name: String) throws -> Int { try size(name) }
    func filePaths(_ name: String) throws -> [String] {
        _ = try size(name)
        return fs.filePaths(name)
    }
    func fileSizeBlocks(_ sub: String, _ path: String) throws -> Int { (try fs.size(sub, path) + blockSize - 1) / blockSize }
    func contents(_ sub: String, _ path: String, blocks: Range<Int>) throws -> [UInt64?] { try fs.contents(sub, path, blocks: blocks) }

    mutating func createVolume(_ name: String, sizeBlocks: Int, guarantee: SpaceGuarantee, snapLock: Bool) throws {
        try fs.createSubvolume(name)
        sizes[name] = sizeBlocks
    }
    mutating func destroyVolume(_ name: String) throws {
        _ = try size(name)
        try fs.deleteSubvolume(name)
        sizes[name] = nil
        dedup[name] = nil
        clonedFrom[name] = nil
    }
    mutating func createSnapshot(_ volume: String, _ snapshot: String) throws {
        _ = try size(volume)
        try fs.snapshot(volume, as: Self.snapshotName(volume, snapshot))
    }
    mutating func deleteSnapshot(_ volume: String, _ snapshot: String) throws {
        try fs.deleteSubvolume(Self.snapshotName(volume, snapshot))
    }
    mutating func cloneVolume(_ name: String, parent: String, snapshot: String?) throws {
        let size = try size(parent)
        try fs.snapshot(snapshot.map { Self.snapshotName(parent, $0) } ?? parent, as: name)
        sizes[name] = size
        // As on ONTAP, a clone keeps its parent's dedup setting and savings.
        dedup[name] = dedup[parent]
        clonedFrom[name] = parent
    }
    mutating func createFile(_ sub: String, _ path: String, sizeBlocks: Int, attributes: FileAttributes) throws {
        try fs.createFile(sub, path)
        try fs.truncate(sub, path, bytes: sizeBlocks * blockSize)
    }
    mutating func deleteFile(_ sub: String, _ path: String) throws {
        try fs.deleteFile(sub, path)
        dedup[sub]?.deleted(path)
    }
    /// FICLONE onto a new empty file.
    mutating func cloneFile(_ sub: String, _ source: String, as destination: String) throws -> CloneOutcome {
        _ = try fs.size(sub, source)
        try fs.createFile(sub, destination)
        do { try fs.reflink((sub, source), to: (sub, destination)) } catch {
            try? fs.deleteFile(sub, destination)
            throw error
        }
        return CloneOutcome()
    }
    mutating func copyFile(_ sub: String, _ source: String, toVolume: String, as destination: String) throws {
        try copyContents(size: try fileSizeBlocks(sub, source), read: { try $0.fs.contents(sub, source, blocks: $1) },
                         toVolume: toVolume, as: destination)
    }
    mutating func write(_ sub: String, _ path: String, at start: Int, contents: [UInt64]) throws {
        try fs.write(sub, path, block: start, contents: contents)
        dedup[sub]?.wrote(path, start..<(start + contents.count))
    }
    mutating func write(_ sub: String, _ path: String, indices: [Int], contents: [UInt64]) throws {
        try writeScattered(sub, path, indices: indices, contents: contents, free: fs.freeBlocks) {
            ReflinkError.noSpace(neededBlocks: $0, freeBlocks: $1)
        }
    }
    mutating func cloneRange(_ sub: String, _ source: String, block s: Int, to destination: String, block d: Int, count: Int) throws {
        try fs.cloneRange((sub, source), sourceOffset: s * blockSize, to: (sub, destination), destinationOffset: d * blockSize,
                          length: count * blockSize)
        dedup[sub]?.wrote(destination, d..<(d + count))
    }
    mutating func resizeFile(_ sub: String, _ path: String, blocks: Int) throws {
        try fs.truncate(sub, path, bytes: blocks * blockSize)
    }
    func physicalBlocks(_ sub: String, _ path: String, blocks: Range<Int>) throws -> [UInt32?] {
        try fs.physicalBlocks(sub, path, blocks: blocks)
    }
    func mappedRanges(_ sub: String, _ path: String) throws -> [Range<Int>] { try fs.mappedRanges(sub, path) }
    /// FIDEDUPERANGE: the kernel compares the ranges and shares them only when equal.
    mutating func dedupe(_ sub: String, _ source: String, block s: Int, to destination: String, block d: Int, count: Int) throws {
        let length = count * blockSize
        guard try fs.dedupeRange((sub, source), sourceOffset: s * blockSize, to: (sub, destination), destinationOffset: d * blockSize,
                                 length: length) == length else {
            throw ReflinkError.invalid("FIDEDUPERANGE: the ranges differ (FILE_DEDUPE_RANGE_DIFFERS)")
        }
    }

    func accounting() -> [ObjectFigures] { fs.accounting() }
    func invariantViolations() -> [String] { fs.invariantViolations() }
}

extension Storage {
    /// Physical use, unused reservations and the store's capacity. Mutating only so that a call
    /// on the simulation's existential opens it in place: reading the three properties off it
    /// copied the whole aggregate (every array in it retained and released) after every event,
    /// 15% of a sampled VDI run.
    mutating func use() -> (physical: Int, reserved: Int, capacity: Int) {
        (physicalUsedBlocks, reservedBlocks, capacityBlocks)
    }
}
