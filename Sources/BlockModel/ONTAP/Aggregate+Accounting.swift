/// The figures MODEL.md §0 asks for, per object, in blocks.
public struct ObjectFigures: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case aggregate, volume, snapshot, file, lun
    }

    public var kind: Kind
    /// "aggr", "vol", "vol@snapshot", "vol/path".
    public var name: String
    /// Declared size.
    public var logicalSize: Int
    /// Slots that hold data.
    public var logicalUsed: Int
    /// Distinct physical blocks it references.
    public var physicalUsed: Int
    /// Blocks nothing else references (`du -k` on ONTAP, btrfs "Exclusive").
    public var unique: Int
    /// Blocks it references that something else references too.
    public var shared: Int { physicalUsed - unique }
    /// Blocks held only by the object's Snapshot copies (volumes and the aggregate).
    public var snapshotHeld: Int
    /// Space reserved and not yet used.
    public var reserved: Int
    /// What the object is charged (volumes: owned blocks + clone metadata + unused LUN
    /// reservations; the aggregate: physical used), maintained incrementally.
    public var charged: Int
    /// Logical used − physical used.
    public var savings: Int { logicalUsed - physicalUsed }
}

/// Aggregate-wide totals, O(1) to read except where noted.
public struct AggregateTotals: Sendable, Equatable {
    public var capacity: Int
    public var physicalUsed: Int
    public var reserved: Int
    public var free: Int
    public var overcommitment: Double
    public var fallbackCopies: Int
    public var clonesWithoutACLs: Int
    public var clonesWithoutStreams: Int
    public var oversubscribedQuotas: [String]
}

extension Aggregate {
    public var totals: AggregateTotals {
        AggregateTotals(capacity: capacityBlocks, physicalUsed: physicalUsedBlocks, reserved: reservedBlocks, free: freeBlocks,
                        overcommitment: overcommitment, fallbackCopies: fallbackCopies, clonesWithoutACLs: clonesWithoutACLs,
                        clonesWithoutStreams: clonesWithoutStreams, oversubscribedQuotas: oversubscribedQuotas)
    }

    /// What volume `name` is charged, O(files with reserved LUNs).
    public func chargedBlocks(_ volume: String) throws(ModelError) -> Int { charged(try self.volume(volume)) }

    /// Logical used of a volume's active file system, O(files).
    public func logicalUsedBlocks(_ volume: String) throws(ModelError) -> Int {
        try self.volume(volume).files.values.reduce(0) { $0 + $1.map.mappedBlocks }
    }

    /// Content identities of a file, slot by slot (nil for holes): to check what a clone reads.
    public func contents(_ volume: String, _ path: String) throws(ModelError) -> [UInt64?] {
        contentIdentities(try file(self.volume(volume), path).map)
    }

    /// Content identities of some slots of a file (nil for holes and past the size).
    public func contents(_ volume: String, _ path: String, blocks range: Range<Int>) throws(ModelError) -> [UInt64?] {
        let f = try file(self.volume(volume), path)
        return range.map { k in
            let b = k < f.sizeBlocks ? store.read(f.map, k) : BlockStore.hole
            return b == BlockStore.hole ? nil : store.contentOf(b)
        }
    }

    /// Content identities of a file in a Snapshot copy.
    public func contents(_ volume: String, snapshot: String, _ path: String) throws(ModelError) -> [UInt64?] {
        let v = try self.volume(volume)
        guard let s = v.snapshots[snapshot] else { throw .unknownSnapshot(volume: volume, snapshot: snapshot) }
        guard let f = s.files[path] else { throw .unknownFile(volume: "\(volume)@\(snapshot)", path: path) }
        return contentIdentities(f.map)
    }

    func contentIdentities(_ map: BlockMap) -> [UInt64?] {
        store.contents(map).map { $0 == BlockStore.hole ? nil : store.contentOf($0) }
    }

    /// Blocks that only the given Snapshot copies of a volume hold (not its active file system
    /// nor its other copies): what deleting them would give back, were clones not locking them.
    public func blocksHeldOnly(by snapshots: [String], of volume: String) throws(ModelError) -> Int {
        let v = try self.volume(volume)
        for s in snapshots where v.snapshots[s] == nil { throw .unknownSnapshot(volume: volume, snapshot: s) }
        var elsewhere = BlockSet(limit: store.blockIDLimit)
        for f in v.files.values { store.forEachBlock(f.map) { _, b in elsewhere.insert(b) } }
        for s in v.snapshotOrder where !snapshots.contains(s) {
            for f in v.snapshots[s]!.files.values { store.forEachBlock(f.map) { _, b in elsewhere.insert(b) } }
        }
        var held = BlockSet(limit: store.blockIDLimit)
        for s in snapshots {
            for f in v.snapshots[s]!.files.values { store.forEachBlock(f.map) { _, b in if !elsewhere.contains(b) { held.insert(b) } } }
        }
        return held.count
    }

    /// Figures for every object: the aggregate, then each volume, its files and its Snapshot
    /// copies, in creation / name order.
    /// - Complexity: O(leaves × 1024 + logical blocks of every object listed).
    public func accounting() -> [ObjectFigures] {
        var counter = ObjectCounter(readers: store.slotReaders())
        var rows: [ObjectFigures] = []
        var aggregateLogical = 0
        var afsBlocks = BlockSet(limit: store.blockIDLimit)
        var volumeRows: [ObjectFigures] = []
        for name in volumeOrder {
            let v = volumes[name]!
            let paths = v.sortedFilePaths
            let afs = counter.count(paths.map { v.files[$0]!.map }, in: store)
            // Blocks the Snapshot copies hold that the active file system does not.
            var afsSet = BlockSet(limit: store.blockIDLimit)
            for path in paths {
                store.forEachBlock(v.files[path]!.map) { _, b in
                    afsSet.insert(b)
                    afsBlocks.insert(b)
                }
            }
            var held = BlockSet(limit: store.blockIDLimit)
            for s in v.snapshotOrder {
                for f in v.snapshots[s]!.files.values {
                    store.forEachBlock(f.map) { _, b in if !afsSet.contains(b) { held.insert(b) } }
                }
            }
            let logical = paths.reduce(0) { $0 + v.files[$1]!.map.mappedBlocks }
            aggregateLogical += logical
            volumeRows.append(ObjectFigures(kind: .volume, name: name, logicalSize: v.sizeBlocks, logicalUsed: logical,
                                            physicalUsed: afs.distinct, unique: afs.unique, snapshotHeld: held.count,
                                            reserved: reservationUnused(v) + lunReservedUnused(v), charged: charged(v)))
            for path in paths {
                let f = v.files[path]!
                let c = counter.count([f.map], in: store)
                volumeRows.append(ObjectFigures(kind: f.attributes.kind == .lun ? .lun : .file, name: "\(name)/\(path)",
                                                logicalSize: f.sizeBlocks, logicalUsed: f.map.mappedBlocks, physicalUsed: c.distinct,
                                                unique: c.unique, snapshotHeld: 0, reserved: lunReservedUnused(f),
                                                charged: store.owned(by: f.owner) + f.metadataBlocks + lunReservedUnused(f)))
            }
            for s in v.snapshotOrder {
                let snap = v.snapshots[s]!
                let files = snap.files.keys.sorted().map { snap.files[$0]! }
                let c = counter.count(files.map(\.map), in: store)
                volumeRows.append(ObjectFigures(kind: .snapshot, name: "\(name)@\(s)",
                                                logicalSize: files.reduce(0) { $0 + $1.sizeBlocks },
                                                logicalUsed: files.reduce(0) { $0 + $1.map.mappedBlocks },
                                                physicalUsed: c.distinct, unique: c.unique, snapshotHeld: 0, reserved: 0, charged: 0))
            }
        }
        rows.append(ObjectFigures(kind: .aggregate, name: name, logicalSize: capacityBlocks, logicalUsed: aggregateLogical,
                                  physicalUsed: physicalUsedBlocks, unique: physicalUsedBlocks,
                                  snapshotHeld: store.liveBlocks - afsBlocks.count, reserved: reservedBlocks,
                                  charged: physicalUsedBlocks))
        return rows + volumeRows
    }
}

/// Counts, for a group of maps, the distinct blocks they read and how many of those nothing
/// outside the group reads (its slot readers all belong to the group).
struct ObjectCounter {
    let readers: [UInt32]
    var local: [UInt32]
    var touched: [BlockStore.Block] = []

    init(readers: [UInt32]) {
        self.readers = readers
        local = [UInt32](repeating: 0, count: readers.count)
    }

    mutating func count(_ maps: [BlockMap], in store: BlockStore) -> (distinct: Int, unique: Int) {
        // The counts through one buffer borrow per map, not a checked array mutation per block.
        var seen = touched
        touched = []
        local.withUnsafeMutableBufferPointer { counts in
            for map in maps {
                store.forEachLeaf(map) { _, slots in
                    for b in slots where b != BlockStore.hole {
                        if counts[Int(b)] == 0 { seen.append(b) }
                        counts[Int(b)] += 1
                    }
                }
            }
        }
        touched = seen
        var unique = 0
        for b in touched {
            if local[Int(b)] == readers[Int(b)] { unique += 1 }
            local[Int(b)] = 0
        }
        let distinct = touched.count
        touched.removeAll(keepingCapacity: true)
        return (distinct, unique)
    }

}
