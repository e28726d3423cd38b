/// A Linux file system with reflinks (btrfs or XFS semantics, MODEL.md §3) on the shared
/// `BlockStore`: subvolumes of files, writable snapshots with no count limit, FICLONE,
/// FICLONERANGE and FIDEDUPERANGE, copy-on-write writes.
///
/// ## Extent freeing (btrfs)
/// With `freeing: .extent` every write's blocks form extents (split at 128 MiB). The file
/// system holds one extra reference ("pin") on each block of a live extent and counts the
/// file references to the extent's blocks; when that count reaches zero the pins go and the
/// whole extent is freed at once. So a block overwritten in a partly live extent stays
/// allocated — btrfs's bookend rule — and `store.liveBlocks` is the extent rule's use.
/// Every operation checks first and then applies.
public struct ReflinkFileSystem: Sendable {
    public let name: String
    public let profile: ReflinkProfile
    var store: BlockStore
    var subvolumes: [String: [String: RFile]] = [:]
    // Extent freeing only: per block its extent; per extent its blocks and file references.
    var extentOf: [UInt32] = []
    var extentBlocks: [[BlockStore.Block]] = []
    var extentReferences: [Int] = []
    var freeExtents: [UInt32] = []

    struct RFile: Sendable {
        var size: Int
        var map: BlockMap
        var owner: UInt32
    }

    public init(name: String, capacityBytes: Int, profile: ReflinkProfile = ReflinkProfile()) {
        self.name = name
        self.profile = profile
        store = BlockStore(capacity: capacityBytes / profile.blockSize)
    }

    public var capacityBlocks: Int { store.capacity }
    /// Blocks allocated: referenced ones, plus (extent freeing) unreferenced blocks of live extents.
    public var usedBlocks: Int { store.liveBlocks }
    public var freeBlocks: Int { store.freeBlocks }
    /// Blocks mapped by files, counted once per file slot. O(files).
    public var logicalUsedBlocks: Int { subvolumes.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.map.mappedBlocks } } }
    /// Blocks mapped by the files of one subvolume (0 for an unknown one).
    public func logicalUsedBlocks(_ sub: String) -> Int { subvolumes[sub]?.values.reduce(0) { $0 + $1.map.mappedBlocks } ?? 0 }
    public var fileCount: Int { subvolumes.values.reduce(0) { $0 + $1.count } }
    public func fileCount(_ sub: String) -> Int { subvolumes[sub]?.count ?? 0 }
    public var subvolumeCount: Int { subvolumes.count }
    var extents: Bool { profile.freeing == .extent }

    func file(_ sub: String, _ path: String) throws(ReflinkError) -> RFile {
        guard let files = subvolumes[sub] else { throw .notFound("no subvolume '\(sub)'") }
        guard let f = files[path] else { throw .notFound("no file '\(sub)/\(path)'") }
        return f
    }

    func blocks(_ bytes: Int) -> Int { (bytes + profile.blockSize - 1) / profile.blockSize }

    // MARK: Extent references

    mutating func gained(_ b: BlockStore.Block) {
        if extents && b != BlockStore.hole { extentReferences[Int(extentOf[Int(b)])] += 1 }
    }

    mutating func lost(_ b: BlockStore.Block) {
        guard extents, b != BlockStore.hole else { return }
        let e = Int(extentOf[Int(b)])
        extentReferences[e] -= 1
        guard extentReferences[e] == 0 else { return }
        for pinned in extentBlocks[e] { store.release(pinned) }
        extentBlocks[e] = []
        freeExtents.append(UInt32(e))
    }

    /// Makes the blocks of `map` at `start ..< start + count` (just written) extents.
    mutating func newExtents(_ map: BlockMap, start: Int, count: Int) {
        guard extents else { return }
        var k = 0
        while k < count {
            let n = min(profile.maxExtentBlocks, count - k)
            let ids = (0..<n).map { store.read(map, start + k + $0) }
            let e: Int
            if let reused = freeExtents.popLast() { e = Int(reused); extentBlocks[e] = ids; extentReferences[e] = n } else {
                e = extentBlocks.count
                extentBlocks.append(ids)
                extentReferences.append(n)
            }
            for b in ids {
                if Int(b) >= extentOf.count { extentOf.append(contentsOf: repeatElement(0, count: Int(b) + 1 - extentOf.count)) }
                extentOf[Int(b)] = UInt32(e)
                store.retain(b)  // the pin
            }
            k += n
        }
    }

    // MARK: Subvolumes and files

    public mutating func createSubvolume(_ sub: String) throws(ReflinkError) {
        guard subvolumes[sub] == nil else { throw .exists("subvolume '\(sub)' exists") }
        subvolumes[sub] = [:]
    }

    /// A writable snapshot: every file's map shared, no data copied, no limit on their number.
    public mutating func snapshot(_ sub: String, as new: String) throws(ReflinkError) {
        guard let files = subvolumes[sub] else { throw .notFound("no subvolume '\(sub)'") }
        guard subvolumes[new] == nil else { throw .exists("subvolume '\(new)' exists") }
        var copy: [String: RFile] = [:]
        for (path, f) in files.sorted(by: { $0.key < $1.key }) {
            copy[path] = RFile(size: f.size, map: store.copy(f.map), owner: store.newOwner(group: 0))
            if extents { store.forEachBlock(f.map) { _, b in extentReferences[Int(extentOf[Int(b)])] += 1 } }
        }
        subvolumes[new] = copy
    }

    public mutating func deleteSubvolume(_ sub: String) throws(ReflinkError) {
        guard let files = subvolumes.removeValue(forKey: sub) else { throw .notFound("no subvolume '\(sub)'") }
        for (_, f) in files.sorted(by: { $0.key < $1.key }) { drop(f.map) }
    }

    mutating func drop(_ map: BlockMap) {
        var old: [BlockStore.Block] = []
        if extents { store.forEachBlock(map) { _, b in old.append(b) } }
        store.release(map)
        for b in old { lost(b) }
    }

    public mutating func createFile(_ sub: String, _ path: String) throws(ReflinkError) {
        guard subvolumes[sub] != nil else { throw .notFound("no subvolume '\(sub)'") }
        guard subvolumes[sub]?[path] == nil else { throw .exists("file '\(sub)/\(path)' exists") }
        subvolumes[sub]?[path] = RFile(size: 0, map: store.newMap(blocks: 0), owner: store.newOwner(group: 0))
    }

    public mutating func deleteFile(_ sub: String, _ path: String) throws(ReflinkError) {
        let f = try file(sub, path)
        subvolumes[sub]?[path] = nil
        drop(f.map)
    }

    /// Writes whole blocks from block `start` (copy-on-write: each gets a new block), growing
    /// the file if the write runs past its end.
    public mutating func write(_ sub: String, _ path: String, block start: Int, contents: [UInt64]) throws(ReflinkError) {
        var f = try file(sub, path)
        guard start >= 0 else { throw .invalid("block \(start) is negative") }
        guard contents.count <= store.freeBlocks else { throw .noSpace(neededBlocks: contents.count, freeBlocks: store.freeBlocks) }
        subvolumes[sub]?[path] = nil
        let end = start + contents.count
        if end > f.map.blockCount { store.grow(&f.map, to: end) }
        f.size = max(f.size, end * profile.blockSize)
        var replaced: [BlockStore.Block] = []
        contents.withUnsafeBufferPointer {
            store.writeRun(&f.map, at: start, contents: $0, owner: f.owner, replaced: &replaced, collectReplaced: extents)
        }
        newExtents(f.map, start: start, count: contents.count)
        for b in replaced { lost(b) }
        subvolumes[sub]?[path] = f
    }

    /// Sets the size; blocks past a smaller size are unmapped.
    public mutating func truncate(_ sub: String, _ path: String, bytes: Int) throws(ReflinkError) {
        var f = try file(sub, path)
        guard bytes >= 0 else { throw .invalid("size \(bytes) is negative") }
        subvolumes[sub]?[path] = nil
        if blocks(bytes) > f.map.blockCount { store.grow(&f.map, to: blocks(bytes)) }
        for k in blocks(bytes)..<max(blocks(bytes), f.map.blockCount) where store.read(f.map, k) != BlockStore.hole {
            lost(store.set(&f.map, k, to: BlockStore.hole))
        }
        f.size = bytes
        subvolumes[sub]?[path] = f
    }

    public func size(_ sub: String, _ path: String) throws(ReflinkError) -> Int { try file(sub, path).size }

    /// The files of a subvolume, by path (none for an unknown one).
    public func filePaths(_ sub: String) -> [String] { subvolumes[sub]?.keys.sorted() ?? [] }

    /// Content identities block by block up to the size (nil for holes).
    public func contents(_ sub: String, _ path: String) throws(ReflinkError) -> [UInt64?] {
        try contents(sub, path, blocks: 0..<blocks(try file(sub, path).size))
    }

    /// Content identities of some blocks (nil for holes and past the size).
    public func contents(_ sub: String, _ path: String, blocks range: Range<Int>) throws(ReflinkError) -> [UInt64?] {
        let f = try file(sub, path)
        return range.map { k in
            let b = k < f.map.blockCount ? store.read(f.map, k) : BlockStore.hole
            return b == BlockStore.hole ? nil : store.contentOf(b)
        }
    }

    /// Block ranges of a file that hold all its mapped blocks (`BlockStore.leafRanges`).
    public func mappedRanges(_ sub: String, _ path: String) throws(ReflinkError) -> [Range<Int>] {
        store.leafRanges(try file(sub, path).map)
    }

    /// The physical blocks some file blocks map (nil for holes and past the size).
    public func physicalBlocks(_ sub: String, _ path: String, blocks range: Range<Int>) throws(ReflinkError) -> [UInt32?] {
        let f = try file(sub, path)
        return range.map { k in
            let b = k < f.map.blockCount ? store.read(f.map, k) : BlockStore.hole
            return b == BlockStore.hole ? nil : b
        }
    }

    /// Blocks referenced by some file (what per-block freeing would leave allocated).
    public var referencedBlocks: Int {
        let readers = store.slotReaders()
        return readers.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
    }
}
