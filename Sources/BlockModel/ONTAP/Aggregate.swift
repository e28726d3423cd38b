/// An ONTAP aggregate: a pool of 4 KiB physical blocks holding FlexVol volumes, their files and
/// LUNs, Snapshot copies and FlexClone volumes — the rules of MODEL.md §1 on the shared
/// `BlockStore`.
///
/// ## How the ONTAP objects map onto the store
/// - Every file or LUN is one `BlockMap`. A Snapshot copy holds a copy of each file's map (so
///   creating one copies directories, never blocks); a FlexClone volume starts from copies of
///   its base Snapshot copy's maps; a FlexClone file from a copy of its source's map.
/// - Each file has an owner number in the store, grouped by volume: a block is charged to the
///   file (and volume) whose write allocated it. So a clone volume is charged only for what it
///   wrote; the blocks it inherited stay charged to the parent, held by the base Snapshot copy.
/// - `SharingCounts` per volume counts active-file-system pointers beyond the first, for the
///   1 + 255 rule. Snapshot copies keep the counts they had, so a volume clone starts from them.
///
/// ## Space
/// - A volume is *charged* its owned blocks, the metadata its file clones wrote, and the unused
///   part of its reserved LUNs' reservations. It cannot be charged more than its size.
/// - A volume with guarantee `volume` reserves its whole size in the aggregate: the unused part
///   of that reservation is not free for anyone else. Thin (`none`) volumes draw from free space.
/// - WAFL writes new blocks before it frees old ones, so a write of n blocks needs n blocks of
///   room even when it overwrites.
///
/// Every public operation checks everything first and then applies, so a refused operation
/// changes nothing and throws the `ModelError` of the rule it broke. In debug builds
/// (`CLONESIM_INVARIANTS`) `checkInvariants` runs after every operation.
public struct Aggregate: Sendable {
    public let name: String
    public let profile: ONTAPProfile
    var store: BlockStore
    var volumes: [String: Volume] = [:]
    /// Volume names in creation order: iteration order of reports.
    var volumeOrder: [String] = []
    var nextGroup: UInt32 = 0
    /// Clone metadata blocks over all volumes, and the volumes with a `volume` guarantee:
    /// kept so the aggregate's totals do not walk every volume and file.
    var metadataTotal = 0
    var guaranteedVolumes: [String] = []
    /// Block copies made because a block already had the maximum number of pointers.
    public internal(set) var fallbackCopies = 0
    /// File clones created without the source's ACLs / streams.
    public internal(set) var clonesWithoutACLs = 0
    public internal(set) var clonesWithoutStreams = 0
    /// Users and groups whose quota a clone pushed over its limit ("volume/user:alice").
    public internal(set) var oversubscribedQuotas: [String] = []
    /// Slots written (`FlashCache.slotKey`) since a read through a Flash Cache last took them;
    /// nil until the first such read, so an aggregate without a cache keeps no log.
    var writtenSlots: [UInt64]?
    /// Run the invariant checker after every operation (debug builds only). Large simulations
    /// in tests may turn it off.
    public var checksInvariants = true
    /// A sampled shard's share of each object (nil for the whole): quotas then compare each
    /// file's mapped blocks scaled to the whole file with their limits (`ObjectShare`).
    public var objectShare: ObjectShare?

    /// - Parameter capacityBlocks: physical blocks in the aggregate.
    public init(name: String, capacityBlocks: Int, profile: ONTAPProfile = ONTAPProfile()) {
        self.name = name
        self.profile = profile
        store = BlockStore(capacity: capacityBlocks)
    }

    public var capacityBlocks: Int { store.capacity }
    public var blockSize: Int { profile.blockSize }
}

public enum SpaceGuarantee: String, Sendable, CaseIterable {
    /// The whole volume size is reserved in the aggregate.
    case volume
    /// Thin: blocks come from the aggregate's free space as they are written.
    case none
}

public enum FileKind: String, Sendable, CaseIterable {
    case file
    case lun
}

/// What a file or LUN is, besides its blocks.
public struct FileAttributes: Sendable, Equatable {
    public var kind: FileKind
    /// LUN space reservation (files are never reserved after cloning).
    public var spaceReserved: Bool
    public var user: String
    public var group: String
    /// The qtree the file lives in, if any.
    public var qtree: String?
    public var hasACL: Bool
    public var hasStreams: Bool

    public init(kind: FileKind = .file, spaceReserved: Bool = false, user: String = "root", group: String = "root",
                qtree: String? = nil, hasACL: Bool = false, hasStreams: Bool = false) {
        self.kind = kind
        self.spaceReserved = spaceReserved
        self.user = user
        self.group = group
        self.qtree = qtree
        self.hasACL = hasACL
        self.hasStreams = hasStreams
    }
}

struct StoredFile: Sendable {
    var attributes: FileAttributes
    var sizeBlocks: Int
    var map: BlockMap
    /// Store owner number: blocks this file's writes allocated.
    var owner: UInt32
    /// Metadata blocks its creation as a clone wrote.
    var metadataBlocks = 0
}

struct SnapshotCopy: Sendable {
    var name: String
    var files: [String: StoredFile]
    var sharing: SharingCounts
    /// The volume's dedup share of `sharing` and its total, when the copy was made.
    var dedupExtra = SharingCounts()
    var dedupSaved = 0
    /// Clone volumes this Snapshot copy backs (it is locked while there are any).
    var clones: [String] = []
}

struct Volume: Sendable {
    var name: String
    var group: UInt32
    var sizeBlocks: Int
    var guarantee: SpaceGuarantee
    var snapLock: Bool
    var parentVolume: String?
    var parentSnapshot: String?
    /// A clone carries its parent's ownership and permissions. [seed]
    var inheritedPermissions = false
    var files: [String: StoredFile] = [:]
    var snapshots: [String: SnapshotCopy] = [:]
    var snapshotOrder: [String] = []
    var sharing = SharingCounts()
    /// Clone volumes whose parent this is.
    var cloneChildren: [String] = []
    /// Tree quota per qtree, in blocks (nil: none).
    var qtrees: [String: Int?] = [:]
    /// Hard quota per "user:NAME" / "group:NAME", in blocks.
    var quotas: [String: Int] = [:]
    /// Metadata blocks of file clones that still exist.
    var metadataBlocks = 0
    /// Paths of space-reserved LUNs (their unused reservations are charged to the volume).
    var reservedLUNs: [String] = []
    /// Dedup settings and state (nil: dedup off).
    var dedup: DedupState?
    /// Pointers beyond the first that dedup made, per block (never above `sharing`), and their
    /// total: the blocks dedup saves in this volume. A clone starts with its Snapshot copy's.
    var dedupExtra = SharingCounts()
    var dedupSaved = 0

    /// One active-file-system pointer to `block` gone. The dedup share drops with it when it
    /// would exceed what is left (a pointer lost is counted against clones first).
    mutating func dropPointer(_ block: BlockStore.Block) {
        guard sharing.decrement(block) else { return }
        if dedupSaved > 0 && dedupExtra[block] > sharing[block] {
            dedupExtra.decrement(block)
            dedupSaved -= 1
        }
    }

    var sortedFilePaths: [String] { files.keys.sorted() }

    /// What `Aggregate.takeOut` leaves in a volume's place (allocates nothing).
    static let vacant = Volume(name: "", group: 0, sizeBlocks: 0, guarantee: .none, snapLock: false)
}

// MARK: - Space

extension Aggregate {
    func volume(_ name: String) throws(ModelError) -> Volume {
        guard let v = volumes[name] else { throw .unknownVolume(name) }
        return v
    }

    func file(_ volume: Volume, _ path: String) throws(ModelError) -> StoredFile {
        guard let f = volume.files[path] else { throw .unknownFile(volume: volume.name, path: path) }
        return f
    }

    func fileIndex(_ volume: Volume, _ path: String) throws(ModelError) -> [String: StoredFile].Index {
        guard let fi = volume.files.index(forKey: path) else { throw .unknownFile(volume: volume.name, path: path) }
        return fi
    }

    typealias VolumeIndex = [String: Volume].Index

    /// Takes volume `name` out of `volumes` in place, leaving an empty stand-in under its name,
    /// for an operation that checks it and then changes it: `putBack` returns it, before a
    /// failed check throws too. A one-block write spent more on copies of the volume (to check
    /// it) and on hashing its name three times (to look it up, take it out and put it back)
    /// than on the write itself; this hashes it once. Meanwhile the aggregate's totals are read
    /// with the volume given (`requireSpace`, `reservedBlocks(besides:)`).
    mutating func takeOut(_ name: String) throws(ModelError) -> (VolumeIndex, Volume) {
        guard let vi = volumes.index(forKey: name) else { throw .unknownVolume(name) }
        var v = Volume.vacant
        swap(&v, &volumes.values[vi])
        return (vi, v)
    }

    mutating func putBack(_ v: inout Volume, _ vi: VolumeIndex) {
        swap(&v, &volumes.values[vi])
    }

    /// Unused reservation of a reserved LUN: its size less the blocks its own writes allocated.
    /// [choice: "blocks it owns alone" is read as the blocks charged to it]
    func lunReservedUnused(_ f: StoredFile) -> Int {
        guard f.attributes.kind == .lun, f.attributes.spaceReserved else { return 0 }
        return max(0, f.sizeBlocks - store.owned(by: f.owner))
    }

    /// - Complexity: O(reserved LUNs of the volume).
    func lunReservedUnused(_ v: Volume) -> Int {
        v.reservedLUNs.reduce(0) { $0 + lunReservedUnused(v.files[$1]!) }
    }

    /// What the volume is charged: owned blocks + clone metadata + unused LUN reservations.
    func charged(_ v: Volume) -> Int {
        store.owned(byGroup: v.group) + v.metadataBlocks + lunReservedUnused(v)
    }

    /// Unused part of a guaranteed volume's reservation in the aggregate.
    func reservationUnused(_ v: Volume) -> Int {
        v.guarantee == .volume ? max(0, v.sizeBlocks - charged(v)) : 0
    }

    /// Physical blocks in use: data blocks + clone metadata. O(1).
    public var physicalUsedBlocks: Int { store.liveBlocks + metadataTotal }

    /// Blocks held back by guaranteed volumes' unused reservations.
    /// - Complexity: O(guaranteed volumes + their reserved LUNs), whatever the data size.
    public var reservedBlocks: Int { guaranteedVolumes.reduce(0) { $0 + reservationUnused(volumes[$1]!) } }

    /// `reservedBlocks` while `v` (with all its files) is out of `volumes` to be changed.
    func reservedBlocks(besides v: Volume) -> Int {
        guaranteedVolumes.reduce(0) { $0 + reservationUnused($1 == v.name ? v : volumes[$1]!) }
    }

    /// Blocks no one has and no one has reserved.
    public var freeBlocks: Int { capacityBlocks - physicalUsedBlocks - reservedBlocks }

    /// Sum of volume sizes over capacity (thin-provisioning ratio).
    public var overcommitment: Double {
        capacityBlocks == 0 ? 0 : Double(volumes.values.reduce(0) { $0 + $1.sizeBlocks }) / Double(capacityBlocks)
    }

    /// Room for `blocks` more blocks charged to `v`, of which `covered` fall within a reserved
    /// LUN's unused reservation; throws the out-of-space error otherwise.
    func requireSpace(_ v: Volume, blocks: Int, covered: Int = 0) throws(ModelError) {
        // `v` may be out of `volumes` (`takeOut`): its reservation is counted from it.
        let freeBlocks = capacityBlocks - physicalUsedBlocks - reservedBlocks(besides: v)
        let volumeFree = v.sizeBlocks - charged(v) + covered
        if blocks > volumeFree {
            throw .outOfSpace(volume: v.name, neededBlocks: blocks, availableBlocks: max(0, volumeFree), inAggregate: false)
        }
        // A guaranteed volume writes into its own reservation; a thin one needs free blocks.
        // Either way the store itself must have the blocks (reservations are in its capacity).
        let aggregateRoom = v.guarantee == .volume
            ? freeBlocks + reservationUnused(v) + covered
            : freeBlocks + covered
        if blocks > min(aggregateRoom, store.freeBlocks) {
            throw .outOfSpace(volume: v.name, neededBlocks: blocks, availableBlocks: max(0, min(aggregateRoom, store.freeBlocks)),
                              inAggregate: true)
        }
    }

    /// Logical blocks charged to a qtree's tree quota (quotas are charged at logical size).
    func treeUsage(_ v: Volume, _ qtree: String) -> Int {
        v.files.values.reduce(0) { $0 + ($1.attributes.qtree == qtree ? charged($1.map.mappedBlocks, of: $1) : 0) }
    }

    /// Logical blocks charged to "user:NAME" or "group:NAME".
    func quotaUsage(_ v: Volume, _ target: String) -> Int {
        v.files.values.reduce(0) { total, f in
            total + ((target == "user:" + f.attributes.user || target == "group:" + f.attributes.group) ? charged(f.map.mappedBlocks, of: f) : 0)
        }
    }

    /// `blocks` mapped (or newly mapped) in `f`, as a quota charges them: the whole file's.
    func charged(_ blocks: Int, of f: StoredFile) -> Int {
        objectShare?.whole(blocks, size: f.sizeBlocks) ?? blocks
    }

    /// The invariant check after an operation, in debug builds.
    func checkAfterOperation() {
        #if CLONESIM_INVARIANTS
        if checksInvariants {
            let problems = invariantViolations()
            precondition(problems.isEmpty, "model invariants broken: \(problems.prefix(5))")
        }
        #endif
    }
}
