/// SnapMirror and SnapVault between two aggregates (MODEL.md §1, Replication and caching).
public enum ReplicationKind: String, Sendable, Codable, CaseIterable {
    /// Replicates physical blocks: a block shared by many files or volumes crosses once and
    /// stays shared on the destination.
    case volumeSnapMirror = "volume_snapmirror"
    /// These two replicate logical blocks: every mapped block crosses and is stored on its own,
    /// unless the destination volume deduplicates.
    case qtreeSnapMirror = "qtree_snapmirror"
    case snapVault = "snapvault"

    public var isPhysical: Bool { self == .volumeSnapMirror }
}

/// What one update of a relationship did.
public struct ReplicationUpdate: Sendable, Equatable {
    /// The Snapshot copy the update made on the source and replicated.
    public var snapshot: String
    /// True for the first (baseline) transfer.
    public var baseline: Bool
    /// Slots whose block differs from the last common Snapshot copy (a slot written twice in
    /// between counts once).
    public var changedBlocks = 0
    /// Blocks sent over the link: distinct new physical blocks (volume SnapMirror) or changed
    /// slots (logical replication).
    public var transferredBlocks = 0
    /// Destination Snapshot copies deleted by retention.
    public var deletedSnapshots: [String] = []
    /// Destination Snapshot copies past retention that clones lock, oldest first.
    public var lockedSnapshots: [String] = []
    /// The destination's post-process dedup run after the transfer, if it deduplicates.
    public var dedup: DedupRun?
}

/// The replication relationships from one aggregate (the source) to another (the destination).
///
/// Volume SnapMirror keeps, per relationship, which destination block stands for each source
/// block, so a block shared by several files of the source volume crosses once and stays
/// shared there. The table is the relationship's own: blocks are never shared between
/// destination volumes (MODEL.md §1), so two relationships from one source each send and store
/// their own copy.
///
/// The one exception is the seed's: a FlexClone volume replicated together with its parent.
/// From Data ONTAP 8.0.1 (`ONTAPProfile.replicatesClonesWithParent`), the baseline of a
/// relationship whose source is a FlexClone volume, while its parent's relationship on the same
/// link has a common Snapshot copy, creates the destination as a FlexClone volume of the
/// parent's destination at that copy and sends only what the clone holds beyond it: blocks it
/// shares with that copy are shared there, blocks the parent's relationship already sent and the
/// destination still holds are pointed at, the rest cross [choice: the destination clone's base
/// is the last common Snapshot copy of the parent's relationship, since this model replicates a
/// relationship's own Snapshot copies only]. Before 8.0.1 the clone's baseline is a full copy of
/// its data ("the FlexClone volume's replica costs the parent's full size").
///
/// An update makes a Snapshot copy of the source volume (`snapmirror.<destination>.<n>`),
/// sends what changed since the last common Snapshot copy, makes the same Snapshot copy on the
/// destination and applies retention on both sides. The destination volume is created by the
/// baseline transfer and grows as needed (SnapMirror destinations autosize) [choice]; the
/// aggregate is the limit.
public struct ReplicationLink: Sendable {
    public struct Relationship: Sendable {
        public let source: String
        public let destination: String
        public let kind: ReplicationKind
        /// Relationship Snapshot copies kept on each side (at least the last common one).
        public let keepSource: Int
        public let keepDestination: Int
        /// Dedup of the destination volume (logical replication loses the source's savings
        /// unless the destination deduplicates).
        public let destinationDedup: DedupMode?
        public internal(set) var sourceSnapshots: [String] = []
        public internal(set) var destinationSnapshots: [String] = []
        public internal(set) var updates = 0
    }

    public private(set) var relationships: [String: Relationship] = [:]
    /// Volume SnapMirror, per relationship (by destination volume): source block → destination
    /// block. An entry is trusted only while the destination block lives with the same content:
    /// a source block id can be freed and reused once no retained Snapshot copy holds it
    /// [choice: a reused id whose content is the same is taken as already there; the data are
    /// identical].
    var translation: [String: [UInt32: UInt32]] = [:]
    var prunedSize: [String: Int] = [:]

    public init() {}

    /// Adds a relationship to destination volume `destination` (created by the first update).
    public mutating func addRelationship(source: String, destination: String, kind: ReplicationKind,
                                         keepSource: Int = 1, keepDestination: Int = 1,
                                         destinationDedup: DedupMode? = nil) throws(ModelError) {
        guard relationships[destination] == nil else { throw .alreadyExists(kind: "relationship", name: destination) }
        guard keepSource >= 1, keepDestination >= 1 else {
            throw .invalidArgument("a relationship keeps at least its last common Snapshot copy on each side")
        }
        relationships[destination] = Relationship(source: source, destination: destination, kind: kind,
                                                  keepSource: keepSource, keepDestination: keepDestination,
                                                  destinationDedup: destinationDedup)
    }

    /// One file's changes: slots and the source block each now maps (`hole` for none).
    struct FilePlan {
        var path: String
        var file: StoredFile
        var recreate: Bool
        var changes: [(index: Int, block: BlockStore.Block)] = []
    }

    /// Updates the relationship to `destination`: all or nothing (a refusal leaves both
    /// aggregates as they were).
    /// - Throws: `snapshotLimit` on the source, `outOfSpace` on the destination, `unknownVolume`.
    public mutating func update(_ destination: String, source src: inout Aggregate,
                                destination dst: inout Aggregate) throws(ModelError) -> ReplicationUpdate {
        guard var r = relationships[destination] else { throw .invalidArgument("no relationship to volume '\(destination)'") }
        let sourceSize = try src.volume(r.source).sizeBlocks
        let baseline = r.sourceSnapshots.isEmpty
        if baseline, dst.hasVolume(destination) { throw .alreadyExists(kind: "volume", name: destination) }
        if !baseline {
            let d = try dst.volume(destination)
            guard d.snapshots.count < dst.profile.maxSnapshotsPerVolume else {
                throw .snapshotLimit(volume: destination, limit: dst.profile.maxSnapshotsPerVolume)
            }
            // A source destroyed and made again (a refreshed clone) has lost the common copy:
            // the relationship is broken until a new baseline, which this model does not make.
            let source = try src.volume(r.source)
            guard r.sourceSnapshots.allSatisfy({ source.snapshots[$0] != nil }) else {
                throw .invalidArgument("no common Snapshot copy of '\(r.source)' with '\(destination)' (the source was re-created): "
                                       + "the relationship needs a new baseline")
            }
        }
        let name = "snapmirror.\(destination).\(r.updates + 1)"
        // A FlexClone volume's baseline next to its parent's relationship starts from the
        // parent's last common Snapshot copy (see the type's comment).
        let withParent = baseline ? cloneBase(of: r, src, dst) : nil
        try src.addSnapshot(r.source, name)
        let new = src.volumes[r.source]!.snapshots[name]!
        let old = withParent.map { src.volumes[$0.parentSource]!.snapshots[$0.common]! }
            ?? r.sourceSnapshots.last.flatMap { src.volumes[r.source]!.snapshots[$0] }
        var update = ReplicationUpdate(snapshot: name, baseline: baseline)
        // Blocks already on the destination: this relationship's, and for a clone's baseline its
        // parent relationship's.
        let known = Known(table: translation[destination] ?? [:], group: dst.volumes[destination]?.group)
        let parentKnown = Known(table: withParent.flatMap { translation[$0.parentDestination] } ?? [:],
                                group: withParent.flatMap { dst.volumes[$0.parentDestination]?.group })
        func onDestination(_ b: BlockStore.Block, _ dst: Aggregate) -> BlockStore.Block? {
            translated(b, known, src, dst) ?? translated(b, parentKnown, src, dst)
        }

        // What changed, and what must cross.
        var plans: [FilePlan] = []
        var fresh = Set<BlockStore.Block>()
        // Sizes only: holding the destination volume itself would share its arrays (the dedup
        // fingerprint table among them) and make the changes below copy them.
        let target = withParent.map { w in
            dst.volumes[w.parentDestination]!.snapshots[w.common]!.files.mapValues { (size: $0.sizeBlocks, metadata: $0.metadataBlocks) }
        } ?? dst.volumes[destination]?.files.mapValues { (size: $0.sizeBlocks, metadata: $0.metadataBlocks) }
        for path in new.files.keys.sorted() {
            let f = new.files[path]!
            let before = old?.files[path]
            let there = target?[path]
            var plan = FilePlan(path: path, file: f, recreate: before == nil || there == nil || before!.sizeBlocks != f.sizeBlocks
                                || there!.size != f.sizeBlocks)
            Self.diff(src.store, f.map, plan.recreate ? nil : before!.map) { plan.changes.append(($0, $1)) }
            // Logical writes cannot punch holes: a file that lost blocks is sent again whole.
            if !r.kind.isPhysical && !plan.recreate && plan.changes.contains(where: { $0.block == BlockStore.hole }) {
                plan.recreate = true
                plan.changes = []
                Self.diff(src.store, f.map, nil) { plan.changes.append(($0, $1)) }
            }
            // Volume SnapMirror also sends the volume's file-clone metadata blocks.
            if r.kind.isPhysical { update.transferredBlocks += max(0, f.metadataBlocks - (plan.recreate ? 0 : there!.metadata)) }
            for c in plan.changes where c.block != BlockStore.hole {
                update.changedBlocks += 1
                if !r.kind.isPhysical {
                    update.transferredBlocks += 1
                } else if onDestination(c.block, dst) == nil && fresh.insert(c.block).inserted {
                    update.transferredBlocks += 1
                }
            }
            plans.append(plan)
        }

        // Room on the destination: the volume grows to fit, the aggregate must have the blocks.
        if baseline {
            do {
                if let w = withParent {
                    try dst.createVolumeClone(destination, parent: w.parentDestination, snapshot: w.common, guarantee: SpaceGuarantee.none)
                } else {
                    try dst.createVolume(destination, sizeBlocks: sourceSize, guarantee: .none)
                }
                if let mode = r.destinationDedup { try dst.setDedup(destination, mode: mode) }
            } catch {
                if dst.hasVolume(destination) { try? dst.destroyVolume(destination) }
                try? src.deleteSnapshot(r.source, name)
                throw error
            }
        }
        do {
            // In a scope of its own: this copy of the volume, alive to the end of the function,
            // made the dedup run below copy the whole fingerprint table (100 MB a night in the
            // DR scenario's vault) instead of changing it in place.
            var d = dst.volumes[destination]!
            d.sizeBlocks = max(d.sizeBlocks, dst.charged(d) + update.transferredBlocks, sourceSize)
            do { try dst.requireSpace(d, blocks: update.transferredBlocks) } catch {
                if baseline { try? dst.destroyVolume(destination) }
                try? src.deleteSnapshot(r.source, name)
                throw error
            }
            dst.volumes[destination] = d
        }

        // Apply.
        for path in (target?.keys.sorted() ?? []) where new.files[path] == nil {
            try dst.deleteFile(destination, path)
        }
        var touched: [BlockStore.Block: BlockStore.Block] = [:]  // destination block → its source block
        // Files first: each of these operations checks the invariants, which hold only between
        // the physical changes below, not among them.
        for plan in plans where plan.recreate {
            if dst.volumes[destination]!.files[plan.path] != nil { try dst.deleteFile(destination, plan.path) }
            var attributes = plan.file.attributes
            attributes.qtree = nil
            attributes.spaceReserved = false
            try dst.createFile(destination, plan.path, sizeBlocks: plan.file.sizeBlocks, attributes: attributes)
        }
        for plan in plans {
            if r.kind.isPhysical {
                applyPhysical(plan, before: plan.recreate ? nil : old?.files[plan.path]?.map, destination, src, &dst, &touched,
                              parentKnown: parentKnown)
            } else {
                let writes = plan.changes.filter { $0.block != BlockStore.hole }
                guard !writes.isEmpty else { continue }
                try dst.write(destination, plan.path, indices: writes.map(\.index), contents: writes.map { src.store.contentOf($0.block) })
            }
        }
        if r.kind.isPhysical {
            // The destination's pointer counts are the source's at the replicated Snapshot copy.
            var v = dst.volumes.removeValue(forKey: destination)!
            for (block, source) in touched { v.sharing.set(block, new.sharing[source]) }
            dst.volumes[destination] = v
        } else if dst.volumes[destination]!.dedup?.mode == .postProcess {
            update.dedup = try dst.runDedup(destination)
        }
        try dst.addSnapshot(destination, name)

        // Retention: the newest copies on each side; a destination copy a clone locks stays.
        r.sourceSnapshots.append(name)
        r.destinationSnapshots.append(name)
        r.updates += 1
        while r.sourceSnapshots.count > r.keepSource {
            try src.deleteSnapshot(r.source, r.sourceSnapshots.removeFirst())
        }
        var kept: [String] = []
        for (k, s) in r.destinationSnapshots.enumerated() {
            let past = r.destinationSnapshots.count - k > r.keepDestination
            if past && dst.volumes[destination]!.snapshots[s]!.clones.isEmpty {
                try dst.deleteSnapshot(destination, s)
                update.deletedSnapshots.append(s)
            } else {
                if past { update.lockedSnapshots.append(s) }
                kept.append(s)
            }
        }
        r.destinationSnapshots = kept
        relationships[destination] = r
        // Entries of freed destination blocks are dropped when the table has doubled since the
        // last pruning: amortised O(1) per block sent, not O(table) per update.
        if let table = translation[destination], table.count > 2 * max(prunedSize[destination] ?? 0, 4096) {
            translation[destination] = table.filter { dst.store.blockIDLimit > Int($0.value) && dst.store.referenceCount($0.value) > 0 }
            prunedSize[destination] = translation[destination]!.count
        }
        src.checkAfterOperation()
        dst.checkAfterOperation()
        return update
    }

    /// A relationship's table and the group of the destination volume its blocks belong to.
    struct Known {
        var table: [UInt32: UInt32]
        var group: UInt32?
    }

    /// The destination block standing for `block` in `known`, if it is there with the same
    /// content and still belongs to that destination volume: a freed id may be reused by
    /// another destination volume, for a copy of the same source block even, and blocks are
    /// never shared between volumes.
    func translated(_ block: BlockStore.Block, _ known: Known, _ src: Aggregate, _ dst: Aggregate) -> BlockStore.Block? {
        guard let group = known.group, let d = known.table[block], Int(d) < dst.store.blockIDLimit, dst.store.referenceCount(d) > 0,
              dst.store.groupOf(d) == group, dst.store.contentOf(d) == src.store.contentOf(block) else { return nil }
        return d
    }

    /// Where a FlexClone volume's replica starts, when it is replicated with its parent.
    struct CloneBase {
        var parentSource: String
        var parentDestination: String
        /// The parent relationship's last common Snapshot copy (on both sides).
        var common: String
    }

    /// The clone base of relationship `r`'s baseline: its source is a FlexClone volume, the
    /// destination runs 8.0.1 or later, both relationships are volume SnapMirror, and the
    /// parent's relationship on this link has a common Snapshot copy. Nil otherwise (a full
    /// baseline).
    func cloneBase(of r: Relationship, _ src: Aggregate, _ dst: Aggregate) -> CloneBase? {
        guard r.kind.isPhysical, dst.profile.replicatesClonesWithParent, src.profile.replicatesClonesWithParent,
              let parent = src.volumes[r.source]?.parentVolume else { return nil }
        for p in relationships.values.sorted(by: { $0.destination < $1.destination })
        where p.source == parent && p.kind.isPhysical && p.destination != r.destination {
            guard let common = p.sourceSnapshots.last, src.volumes[parent]?.snapshots[common] != nil,
                  dst.volumes[p.destination]?.snapshots[common] != nil else { continue }
            return CloneBase(parentSource: parent, parentDestination: p.destination, common: common)
        }
        return nil
    }

    /// Points the destination file's changed slots at the blocks standing for the source's,
    /// allocating (sending) those not there yet.
    mutating func applyPhysical(_ plan: FilePlan, before: BlockMap?, _ destination: String, _ src: Aggregate,
                                _ dst: inout Aggregate, _ touched: inout [BlockStore.Block: BlockStore.Block],
                                parentKnown: Known) {
        var v = dst.volumes.removeValue(forKey: destination)!
        var f = v.files.removeValue(forKey: plan.path)!
        var own = Known(table: translation.removeValue(forKey: destination) ?? [:], group: v.group)
        defer { translation[destination] = own.table }
        for (i, b) in plan.changes {
            let old: BlockStore.Block
            if b == BlockStore.hole {
                old = dst.store.set(&f.map, i, to: BlockStore.hole)
            } else if let there = translated(b, own, src, dst) ?? translated(b, parentKnown, src, dst) {
                old = dst.store.set(&f.map, i, to: there)
                touched[there] = b
            } else {
                old = dst.store.overwrite(&f.map, i, content: src.store.contentOf(b), owner: f.owner)
                let sent = dst.store.read(f.map, i)
                own.table[b] = sent
                touched[sent] = b
            }
            if old != BlockStore.hole, let before {
                let was = src.store.read(before, i)
                if touched[old] == nil { touched[old] = was }
            }
        }
        v.metadataBlocks += plan.file.metadataBlocks - f.metadataBlocks
        dst.metadataTotal += plan.file.metadataBlocks - f.metadataBlocks
        f.metadataBlocks = plan.file.metadataBlocks
        v.files[plan.path] = f
        dst.volumes[destination] = v
    }

    /// Calls `body(index, block)` for every slot of `map` that differs from `before` (every
    /// mapped slot when `before` is nil), skipping leaves the two maps share.
    static func diff(_ store: BlockStore, _ map: BlockMap, _ before: BlockMap?, _ body: (Int, BlockStore.Block) -> Void) {
        guard let before else {
            store.forEachBlock(map, body)
            return
        }
        var previous: [BlockStore.Block] = []
        for li in 0..<store.directorySize(map) {
            if li < before.directory.count && map.directory[li] == before.directory[li] { continue }
            previous = li < before.directory.count ? store.slots(before, leaf: li) : []
            let now = store.slots(map, leaf: li)
            let start = li << BlockStore.leafShift
            for o in 0..<max(now.count, previous.count) {
                let was = o < previous.count ? previous[o] : BlockStore.hole
                let block = o < now.count ? now[o] : BlockStore.hole
                if block != was { body(start + o, block) }
            }
        }
    }
}
