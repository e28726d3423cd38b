/// Volumes, Snapshot copies and FlexClone volumes.
extension Aggregate {
    /// Volume names in creation order.
    public var volumeNames: [String] { volumeOrder }

    /// Creates a FlexVol volume.
    /// - Throws: `alreadyExists`; `cannotReserve` when a `volume` guarantee does not fit.
    public mutating func createVolume(_ name: String, sizeBlocks: Int, guarantee: SpaceGuarantee = .none,
                                      snapLock: Bool = false) throws(ModelError) {
        guard volumes[name] == nil else { throw .alreadyExists(kind: "volume", name: name) }
        guard sizeBlocks > 0 else { throw .invalidArgument("volume '\(name)' size must be at least one block") }
        if guarantee == .volume && sizeBlocks > freeBlocks {
            throw .cannotReserve(volume: name, object: name, neededBlocks: sizeBlocks, availableBlocks: max(0, freeBlocks))
        }
        volumes[name] = Volume(name: name, group: nextGroup, sizeBlocks: sizeBlocks, guarantee: guarantee, snapLock: snapLock)
        nextGroup += 1
        volumeOrder.append(name)
        if guarantee == .volume { guaranteedVolumes.append(name) }
        checkAfterOperation()
    }

    /// Snapshot copy names of a volume, oldest first.
    public func snapshotNames(_ volume: String) throws(ModelError) -> [String] {
        try self.volume(volume).snapshotOrder
    }

    /// Creates a Snapshot copy: copies every file's map, no data block.
    /// - Complexity: O(blocks / 1024) over the volume's files.
    /// - Throws: `snapshotLimit` at 255; `alreadyExists`.
    public mutating func createSnapshot(_ volume: String, _ snapshot: String) throws(ModelError) {
        try addSnapshot(volume, snapshot)
        checkAfterOperation()
    }

    /// `createSnapshot` without the invariant check, for operations that make one on the way.
    mutating func addSnapshot(_ volume: String, _ snapshot: String) throws(ModelError) {
        var v = try self.volume(volume)
        guard v.snapshots[snapshot] == nil else { throw .alreadyExists(kind: "Snapshot copy", name: "\(volume)/\(snapshot)") }
        guard v.snapshots.count < profile.maxSnapshotsPerVolume else {
            throw .snapshotLimit(volume: volume, limit: profile.maxSnapshotsPerVolume)
        }
        var files: [String: StoredFile] = [:]
        for path in v.sortedFilePaths {
            var copy = v.files[path]!
            copy.map = store.copy(copy.map)
            files[path] = copy
        }
        v.snapshots[snapshot] = SnapshotCopy(name: snapshot, files: files, sharing: v.sharing, dedupExtra: v.dedupExtra,
                                             dedupSaved: v.dedupSaved)
        v.snapshotOrder.append(snapshot)
        volumes[volume] = v
    }

    /// Deletes a Snapshot copy; blocks only it held are freed.
    /// - Throws: `snapshotBusy` while it backs a clone.
    public mutating func deleteSnapshot(_ volume: String, _ snapshot: String) throws(ModelError) {
        var v = try self.volume(volume)
        guard let s = v.snapshots[snapshot] else { throw .unknownSnapshot(volume: volume, snapshot: snapshot) }
        guard s.clones.isEmpty else { throw .snapshotBusy(volume: volume, snapshot: snapshot, clones: s.clones) }
        for path in s.files.keys.sorted() { store.release(s.files[path]!.map) }
        v.snapshots[snapshot] = nil
        v.snapshotOrder.removeAll { $0 == snapshot }
        volumes[volume] = v
        checkAfterOperation()
    }

    /// Creates a FlexClone volume of `parent` backed by Snapshot copy `snapshot`, or by a new
    /// automatic one (named `clone_<name>.0`) when `snapshot` is nil. No data block is copied.
    /// - Parameter guarantee: defaults to the parent's.
    /// - Throws: `snapLock`, `cloneLimit` (256th clone), `snapshotLimit` (no room for the
    ///   automatic Snapshot copy), `cannotReserve`, `alreadyExists`, `unknownSnapshot`.
    public mutating func createVolumeClone(_ name: String, parent: String, snapshot: String? = nil,
                                           guarantee: SpaceGuarantee? = nil) throws(ModelError) {
        guard volumes[name] == nil else { throw .alreadyExists(kind: "volume", name: name) }
        let p = try volume(parent)
        guard !p.snapLock else { throw .snapLock(volume: parent) }
        guard p.cloneChildren.count < profile.maxClonesPerVolume else {
            throw .cloneLimit(parent: parent, limit: profile.maxClonesPerVolume)
        }
        let guarantee = guarantee ?? p.guarantee
        // A clone's reservation is its size less what it owns (nothing yet).
        if guarantee == .volume && p.sizeBlocks > freeBlocks {
            throw .cannotReserve(volume: name, object: name, neededBlocks: p.sizeBlocks, availableBlocks: max(0, freeBlocks))
        }
        let base: String
        if let snapshot {
            guard p.snapshots[snapshot] != nil else { throw .unknownSnapshot(volume: parent, snapshot: snapshot) }
            base = snapshot
        } else {
            base = "clone_\(name).0"
            try addSnapshot(parent, base)
        }
        var parentVolume = volumes[parent]!
        parentVolume.snapshots[base]!.clones.append(name)
        parentVolume.cloneChildren.append(name)
        let snap = parentVolume.snapshots[base]!
        volumes[parent] = parentVolume

        var clone = Volume(name: name, group: nextGroup, sizeBlocks: p.sizeBlocks, guarantee: guarantee, snapLock: false,
                           parentVolume: parent, parentSnapshot: base, inheritedPermissions: true)
        nextGroup += 1
        clone.qtrees = p.qtrees
        clone.quotas = p.quotas
        clone.sharing = snap.sharing
        // A clone of a deduplicated volume inherits its savings (and its dedup setting). [seed]
        clone.dedupExtra = snap.dedupExtra
        clone.dedupSaved = snap.dedupSaved
        if let mode = p.dedup?.mode { clone.dedup = DedupState(mode: mode) }
        for path in snap.files.keys.sorted() {
            var f = snap.files[path]!
            f.map = store.copy(f.map)
            f.owner = store.newOwner(group: clone.group)
            f.metadataBlocks = 0
            clone.files[path] = f
            if f.attributes.kind == .lun && f.attributes.spaceReserved { clone.reservedLUNs.append(path) }
        }
        volumes[name] = clone
        volumeOrder.append(name)
        if guarantee == .volume { guaranteedVolumes.append(name) }
        checkAfterOperation()
    }

    /// The clone volumes of `volume`.
    public func clones(of volume: String) throws(ModelError) -> [String] { try self.volume(volume).cloneChildren }

    /// Clone volumes a Snapshot copy backs (it is locked while there are any).
    public func clones(of volume: String, snapshot: String) throws(ModelError) -> [String] {
        guard let s = try self.volume(volume).snapshots[snapshot] else { throw .unknownSnapshot(volume: volume, snapshot: snapshot) }
        return s.clones
    }

    /// The parent volume and base Snapshot copy of a clone (nil for a volume that is not one).
    public func cloneBase(of volume: String) throws(ModelError) -> (parent: String, snapshot: String)? {
        let v = try self.volume(volume)
        guard let p = v.parentVolume, let s = v.parentSnapshot else { return nil }
        return (p, s)
    }

    /// True for a clone volume, which carries its parent's ownership and permissions.
    public func hasInheritedPermissions(_ volume: String) throws(ModelError) -> Bool {
        try self.volume(volume).inheritedPermissions
    }

    /// Destroys a volume (a clone or not): frees the blocks only it referenced, unlocks its
    /// base Snapshot copy (which is not deleted).
    /// - Throws: `parentHasClones` while clones of it exist.
    public mutating func destroyVolume(_ name: String) throws(ModelError) {
        let v = try volume(name)
        guard v.cloneChildren.isEmpty else { throw .parentHasClones(volume: name, clones: v.cloneChildren) }
        for path in v.sortedFilePaths { store.release(v.files[path]!.map) }
        for s in v.snapshotOrder {
            for path in v.snapshots[s]!.files.keys.sorted() { store.release(v.snapshots[s]!.files[path]!.map) }
        }
        detachFromParent(v)
        volumes[name] = nil
        volumeOrder.removeAll { $0 == name }
        guaranteedVolumes.removeAll { $0 == name }
        metadataTotal -= v.metadataBlocks + (v.dedup?.metadataBlocks ?? 0)
        checkAfterOperation()
    }

    mutating func detachFromParent(_ v: Volume) {
        guard let parent = v.parentVolume, let base = v.parentSnapshot, var p = volumes[parent] else { return }
        p.cloneChildren.removeAll { $0 == v.name }
        p.snapshots[base]?.clones.removeAll { $0 == v.name }
        volumes[parent] = p
    }

    /// Blocks a split would copy: every distinct block the clone's files still share with its
    /// parent's Snapshot copy (blocks not charged to the clone).
    /// - Complexity: O(logical blocks of the clone).
    public func splitEstimate(_ clone: String) throws(ModelError) -> Int {
        let v = try volume(clone)
        guard v.parentVolume != nil else { throw .notAClone(volume: clone) }
        return inheritedBlocks(v).count
    }

    /// Distinct blocks the clone's files read that it does not own.
    func inheritedBlocks(_ v: Volume) -> BlockSet {
        var seen = BlockSet(limit: store.blockIDLimit)
        for path in v.sortedFilePaths {
            store.forEachBlock(v.files[path]!.map) { _, block in
                if store.groupOf(block) != v.group { seen.insert(block) }
            }
        }
        return seen
    }

    /// Splits a clone from its parent: it gets private copies of every block it shares with
    /// the parent's Snapshot copy, its own Snapshot copies are deleted (FAS behaviour), and the
    /// base Snapshot copy is unlocked but kept.
    /// - Throws: `notAClone`; `snapshotBusy` if a Snapshot copy of the clone backs a clone;
    ///   `outOfSpace` (nothing changes) when the copies do not fit.
    public mutating func splitClone(_ clone: String) throws(ModelError) {
        var v = try volume(clone)
        guard v.parentVolume != nil else { throw .notAClone(volume: clone) }
        if profile.splitDeletesCloneSnapshots {
            for s in v.snapshotOrder where !v.snapshots[s]!.clones.isEmpty {
                throw .snapshotBusy(volume: clone, snapshot: s, clones: v.snapshots[s]!.clones)
            }
        }
        let inherited = inheritedBlocks(v)
        try requireSpace(v, blocks: inherited.count)
        if profile.splitDeletesCloneSnapshots {
            for s in v.snapshotOrder {
                for path in v.snapshots[s]!.files.keys.sorted() { store.release(v.snapshots[s]!.files[path]!.map) }
            }
            v.snapshots = [:]
            v.snapshotOrder = []
        }
        // One copy per inherited block, shared by every slot that reads it (file clones inside
        // the clone stay shared). Leaf by leaf, so no list of all slots is built.
        var copies: [BlockStore.Block: BlockStore.Block] = [:]
        copies.reserveCapacity(inherited.count)
        for path in v.sortedFilePaths {
            var f = v.files[path]!
            for li in 0..<store.directorySize(f.map) {
                for (o, block) in store.slots(f.map, leaf: li).enumerated() where block != BlockStore.hole {
                    let i = li << BlockStore.leafShift + o
                    if let copy = copies[block] {
                        store.set(&f.map, i, to: copy)
                    } else if store.groupOf(block) != v.group {
                        let copy = store.allocate(content: store.contentOf(block), owner: f.owner)
                        copies[block] = copy
                        v.sharing.set(copy, v.sharing[block])
                        v.sharing.set(block, 0)
                        v.dedupExtra.set(copy, v.dedupExtra[block])
                        v.dedupExtra.set(block, 0)
                        store.set(&f.map, i, to: copy)
                    }
                }
            }
            v.files[path] = f
        }
        detachFromParent(v)
        v.parentVolume = nil
        v.parentSnapshot = nil
        volumes[clone] = v
        checkAfterOperation()
    }
}
