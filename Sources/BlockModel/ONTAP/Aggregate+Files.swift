/// Files and LUNs, writes, FlexClone files and LUNs, qtrees and quotas.
extension Aggregate {
    /// Creates a qtree with an optional tree quota (hard limit, in blocks of logical size).
    public mutating func createQtree(_ volume: String, _ qtree: String, limitBlocks: Int? = nil) throws(ModelError) {
        var v = try self.volume(volume)
        guard v.qtrees[qtree] == nil else { throw .alreadyExists(kind: "qtree", name: "\(volume)/\(qtree)") }
        v.qtrees[qtree] = .some(limitBlocks)
        volumes[volume] = v
        checkAfterOperation()
    }

    /// Sets a user or group quota: `target` is "user:NAME" or "group:NAME", the limit in blocks
    /// of logical size. Writes may not exceed it; a clone that does succeeds and is reported.
    public mutating func setQuota(_ volume: String, target: String, limitBlocks: Int) throws(ModelError) {
        var v = try self.volume(volume)
        guard target.hasPrefix("user:") || target.hasPrefix("group:") else {
            throw .invalidArgument("quota target '\(target)' must be 'user:NAME' or 'group:NAME'")
        }
        v.quotas[target] = limitBlocks
        volumes[volume] = v
        checkAfterOperation()
    }

    /// File and LUN paths of a volume, sorted.
    public func filePaths(_ volume: String) throws(ModelError) -> [String] { try self.volume(volume).sortedFilePaths }

    public func attributes(_ volume: String, _ path: String) throws(ModelError) -> FileAttributes {
        try file(self.volume(volume), path).attributes
    }

    /// Creates an empty (all holes) file or LUN of `sizeBlocks`.
    /// - Throws: `cannotReserve` for a reserved LUN whose size does not fit; `unknownQtree`.
    public mutating func createFile(_ volume: String, _ path: String, sizeBlocks: Int,
                                    attributes: FileAttributes = FileAttributes()) throws(ModelError) {
        var v = try self.volume(volume)
        guard v.files[path] == nil else { throw .alreadyExists(kind: "file", name: "\(volume)/\(path)") }
        guard sizeBlocks >= 0 else { throw .invalidArgument("file '\(path)' size must not be negative") }
        if let q = attributes.qtree, v.qtrees[q] == nil { throw .unknownQtree(volume: volume, qtree: q) }
        if attributes.kind == .lun && attributes.spaceReserved {
            do { try requireSpace(v, blocks: sizeBlocks) } catch {
                throw .cannotReserve(volume: volume, object: path, neededBlocks: sizeBlocks,
                                     availableBlocks: max(0, v.sizeBlocks - charged(v)))
            }
        }
        v.files[path] = StoredFile(attributes: attributes, sizeBlocks: sizeBlocks, map: store.newMap(blocks: sizeBlocks),
                                   owner: store.newOwner(group: v.group))
        if attributes.kind == .lun && attributes.spaceReserved { v.reservedLUNs.append(path) }
        volumes[volume] = v
        checkAfterOperation()
    }

    /// Writes `contents.count` blocks at block `start`, each with its content identity. WAFL
    /// never overwrites in place: every block gets a new physical block, and the old one is
    /// freed if nothing else references it.
    /// - Throws: `outOfRange`, `treeQuotaExceeded`, `userQuotaExceeded`, `outOfSpace`; then
    ///   nothing was written.
    public mutating func write(_ volume: String, _ path: String, at start: Int, contents: [UInt64]) throws(ModelError) {
        try writeRuns(volume, path, CollectionOfOne(start..<(start + contents.count)), contents: contents)
    }

    /// Writes several runs in one operation (a burst of sequential writes): the blocks of
    /// `runs[0]` get the first `runs[0].count` contents, and so on. Checked once, applied in
    /// order (where runs overlap, the later one wins), all or nothing like
    /// `write(_:_:at:contents:)`.
    /// - Throws: `invalidArgument` when the runs do not cover `contents.count` blocks, then as
    ///   `write(_:_:at:contents:)`.
    public mutating func write(_ volume: String, _ path: String, runs: [Range<Int>], contents: [UInt64]) throws(ModelError) {
        try writeRuns(volume, path, runs, contents: contents)
    }

    /// `write(_:_:runs:contents:)` for any collection of runs, specialised by its two callers
    /// here (a generic entry point is compiled generic for other modules: a witness call per
    /// run in its checks).
    mutating func writeRuns(_ volume: String, _ path: String, _ runs: some Collection<Range<Int>>,
                            contents: [UInt64]) throws(ModelError) {
        let total = runs.reduce(0) { $0 + $1.count }
        guard total == contents.count else {
            throw .invalidArgument("runs of \(total) blocks for \(contents.count) contents")
        }
        var (vi, v) = try takeOut(volume)
        let fi: [String: StoredFile].Index
        do throws(ModelError) {  // Checks, before anything is applied.
            fi = try fileIndex(v, path)
            let f = v.files.values[fi]
            for run in runs where run.lowerBound < 0 || run.upperBound > f.sizeBlocks {
                throw .outOfRange(volume: volume, path: path, start: run.lowerBound, count: run.count, sizeBlocks: f.sizeBlocks)
            }
            if quotaApplies(v, f) {
                var newlyMapped = 0
                if runs.count == 1 {
                    for run in runs { for i in run where store.read(f.map, i) == BlockStore.hole { newlyMapped += 1 } }
                } else {
                    var holes = Set<Int>()  // overlapping runs fill a hole once
                    for run in runs { for i in run where store.read(f.map, i) == BlockStore.hole { holes.insert(i) } }
                    newlyMapped = holes.count
                }
                try checkQuotas(v, f, adding: newlyMapped)
            }
            try requireSpace(v, blocks: total, covered: min(total, lunReservedUnused(f)))
        } catch {
            putBack(&v, vi)
            throw error
        }
        var (key, f) = v.files.remove(at: fi)
        var replaced: [BlockStore.Block] = []
        let collect = !v.sharing.isEmpty
        contents.withUnsafeBufferPointer { all in
            if runs.count == 1, let run = runs.first {
                store.writeRun(&f.map, at: run.lowerBound, contents: all, owner: f.owner, replaced: &replaced, collectReplaced: collect)
            } else {
                store.writeRuns(&f.map, Array(runs), contents: all, owner: f.owner, replaced: &replaced, collectReplaced: collect)
            }
        }
        for old in replaced { v.dropPointer(old) }
        logWrites(&v, &f, runs.lazy.flatMap { $0 })
        v.files[key] = f
        putBack(&v, vi)
        followInlineDedup(vi)
        checkAfterOperation()
    }

    /// True when a tree, user or group quota limits `f`.
    func quotaApplies(_ v: Volume, _ f: StoredFile) -> Bool {
        if let q = f.attributes.qtree, (v.qtrees[q] ?? nil) != nil { return true }
        // Most volumes have no user or group quota: no key strings built per write then.
        return !v.quotas.isEmpty && (v.quotas["user:" + f.attributes.user] != nil || v.quotas["group:" + f.attributes.group] != nil)
    }

    /// Writes scattered blocks in one operation (a burst of random 4 KiB writes): block
    /// `indices[k]` gets `contents[k]`. Checked once, applied in order (a later write to the same
    /// index wins), all or nothing like `write(_:_:at:contents:)`.
    public mutating func write(_ volume: String, _ path: String, indices: [Int], contents: [UInt64]) throws(ModelError) {
        guard indices.count == contents.count else {
            throw .invalidArgument("\(indices.count) indices for \(contents.count) contents")
        }
        var (vi, v) = try takeOut(volume)
        let fi: [String: StoredFile].Index
        do throws(ModelError) {
            fi = try fileIndex(v, path)
            let f = v.files.values[fi]
            for i in indices where i < 0 || i >= f.sizeBlocks {
                throw .outOfRange(volume: volume, path: path, start: i, count: 1, sizeBlocks: f.sizeBlocks)
            }
            if quotaApplies(v, f) {
                var holes = Set<Int>()
                for i in indices where store.read(f.map, i) == BlockStore.hole { holes.insert(i) }
                try checkQuotas(v, f, adding: holes.count)
            }
            try requireSpace(v, blocks: indices.count, covered: min(indices.count, lunReservedUnused(f)))
        } catch {
            putBack(&v, vi)
            throw error
        }
        // In index order (stable, so a later write to the same block still wins): writes to
        // one leaf then follow each other and its bookkeeping stays in cache. Keys are
        // index << 32 | position, radix-sorted by the index bits (linear, and stable).
        var order = indices.enumerated().map { UInt64($0.element) << 32 | UInt64($0.offset) }
        let highest = indices.max() ?? 0
        order.withUnsafeMutableBufferPointer { radixSort($0, shift: 32, bits: max(1, Int.bitWidth - highest.leadingZeroBitCount)) }
        var (key, f) = v.files.remove(at: fi)
        var replaced: [BlockStore.Block] = []
        order.withUnsafeBufferPointer { keys in
            contents.withUnsafeBufferPointer {
                store.overwrite(&f.map, burst: keys, contents: $0, owner: f.owner, replaced: &replaced, collectReplaced: !v.sharing.isEmpty)
            }
        }
        for old in replaced { v.dropPointer(old) }
        logWrites(&v, &f, indices)
        v.files[key] = f
        putBack(&v, vi)
        followInlineDedup(vi)
        checkAfterOperation()
    }

    /// Throws when `adding` logical blocks to `f` would pass a tree quota or a user/group quota.
    func checkQuotas(_ v: Volume, _ f: StoredFile, adding own: Int) throws(ModelError) {
        guard own > 0 else { return }
        // In a sampled shard, the newly mapped blocks scaled by the file's size over the shard's
        // blocks of it (all of those: the whole file).
        let adding = objectShare.map { share in share.whole(own, size: f.sizeBlocks) } ?? own
        if let q = f.attributes.qtree, let limit = v.qtrees[q] ?? nil {
            let would = treeUsage(v, q) + adding
            if would > limit { throw .treeQuotaExceeded(volume: v.name, qtree: q, limitBlocks: limit, wouldUseBlocks: would) }
        }
        for target in ["user:" + f.attributes.user, "group:" + f.attributes.group] {
            if let limit = v.quotas[target] {
                let would = quotaUsage(v, target) + adding
                if would > limit { throw .userQuotaExceeded(volume: v.name, user: target, limitBlocks: limit, wouldUseBlocks: would) }
            }
        }
    }

    /// Deletes a file or LUN. Blocks still held by a Snapshot copy, a clone or another file
    /// stay; source, clone or both can go at any time with no effect on the others.
    public mutating func deleteFile(_ volume: String, _ path: String) throws(ModelError) {
        var v = try self.volume(volume)
        let f = try file(v, path)
        if v.dedupSaved > 0 {
            store.forEachBlock(f.map) { _, block in v.dropPointer(block) }
        } else if !v.sharing.isEmpty {
            var sharing = v.sharing
            v.sharing = SharingCounts()  // so `sharing` is uniquely referenced and changed in place
            store.forEachLeaf(f.map) { _, slots in sharing.decrement(slots, hole: BlockStore.hole) }
            v.sharing = sharing
        }
        store.release(f.map)
        v.metadataBlocks -= f.metadataBlocks
        metadataTotal -= f.metadataBlocks
        v.files[path] = nil
        v.reservedLUNs.removeAll { $0 == path }
        volumes[volume] = v
        checkAfterOperation()
    }

    /// The outcome of a FlexClone file/LUN operation.
    public struct FileCloneResult: Sendable, Equatable {
        /// Blocks the clone shares with the source.
        public var sharedBlocks: Int
        /// Blocks that already had the maximum number of pointers, so the clone got a copy.
        public var copiedBlocks: Int
        /// Metadata blocks written.
        public var metadataBlocks: Int
        /// A user or group quota the clone pushed over its limit.
        public var oversubscribedQuotas: [String]
    }

    /// Clones a file or LUN within its volume: the clone's pointers point at the source's
    /// blocks (raising each block's pointer count), and only metadata is written. A block that
    /// already has `maxPointersPerBlock` pointers is copied for the clone instead.
    ///
    /// File clones are never space reserved; LUN clones inherit the source's reservation.
    /// ACLs and streams are not copied.
    /// - Parameters:
    ///   - qtree, user, group: where the clone goes and whom it is charged to (default: the
    ///     source's).
    /// - Throws: `treeQuotaExceeded` (the clone fails), `cannotReserve`, `outOfSpace`.
    @discardableResult
    public mutating func cloneFile(_ volume: String, _ source: String, to destination: String, qtree: String?? = nil,
                                   user: String? = nil, group: String? = nil) throws(ModelError) -> FileCloneResult {
        var v = try self.volume(volume)
        let src = try file(v, source)
        guard v.files[destination] == nil else { throw .alreadyExists(kind: "file", name: "\(volume)/\(destination)") }
        var attributes = src.attributes
        if let qtree { attributes.qtree = qtree }
        if let user { attributes.user = user }
        if let group { attributes.group = group }
        if let q = attributes.qtree, v.qtrees[q] == nil { throw .unknownQtree(volume: volume, qtree: q) }
        attributes.spaceReserved = src.attributes.kind == .lun && src.attributes.spaceReserved
        attributes.hasACL = false
        attributes.hasStreams = false

        var clone = StoredFile(attributes: attributes, sizeBlocks: src.sizeBlocks, map: src.map, owner: 0)
        let logical = charged(src.map.mappedBlocks, of: src)
        // Tree quota: the clone fails. User/group quota: it succeeds, oversubscribed.
        if let q = attributes.qtree, let limit = v.qtrees[q] ?? nil, treeUsage(v, q) + logical > limit {
            throw .treeQuotaExceeded(volume: volume, qtree: q, limitBlocks: limit, wouldUseBlocks: treeUsage(v, q) + logical)
        }
        var oversubscribed: [String] = []
        for target in ["user:" + attributes.user, "group:" + attributes.group] {
            if let limit = v.quotas[target], quotaUsage(v, target) + logical > limit { oversubscribed.append(target) }
        }
        // Space: metadata, copies of full blocks, and a reserved LUN clone's reservation.
        let limit = profile.maxPointersPerBlock - 1
        var full = 0
        store.forEachLeaf(src.map) { _, slots in
            guard v.sharing.maximum(slots, hole: BlockStore.hole) >= limit else { return }
            for block in slots where block != BlockStore.hole && v.sharing[block] >= limit { full += 1 }
        }
        let whole = profile.fileCloneMetadataFraction.ceil(of: src.sizeBlocks)
        let metadata = profile.chargePart?.of(whole) ?? whole
        let reservation = attributes.spaceReserved ? src.sizeBlocks : 0
        try requireSpaceOrReserve(v, object: destination, blocks: metadata + full, reservation: reservation)

        // Apply, on the volume taken out of the dictionary (see `modifyFile`). A source that maps
        // one block several times can fill that block up during the clone itself and need more
        // copies than counted: then the clone is undone.
        v = volumes.removeValue(forKey: volume)!
        clone.map = store.copy(src.map)
        clone.owner = store.newOwner(group: v.group)
        clone.metadataBlocks = metadata
        var copied = 0
        var shared = 0
        var sharedSlots: [BlockStore.Block] = []
        var overflow = false
        if full == 0 && !src.map.mayRepeatBlocks {
            // No block is full and none appears twice: every pointer count rises by one and
            // stays within the limit. One bulk pass over the leaves.
            store.forEachLeaf(src.map) { _, slots in v.sharing.increment(slots, hole: BlockStore.hole) }
            shared = src.map.mappedBlocks
        } else {
            leaves: for li in 0..<store.directorySize(clone.map) {
                for (o, block) in store.slots(clone.map, leaf: li).enumerated() where block != BlockStore.hole {
                    if v.sharing[block] >= limit {
                        if copied >= full && store.freeBlocks - metadata <= 0 { overflow = true; break leaves }
                        store.write(&clone.map, li << BlockStore.leafShift + o, content: store.contentOf(block), owner: clone.owner)
                        copied += 1
                    } else {
                        v.sharing.increment(block)
                        sharedSlots.append(block)
                    }
                }
            }
            shared = sharedSlots.count
        }
        v.metadataBlocks += metadata
        metadataTotal += metadata
        v.files[destination] = clone
        if attributes.spaceReserved { v.reservedLUNs.append(destination) }
        volumes[volume] = v
        if overflow || (copied > full && (try? requireSpace(v, blocks: 0)) == nil) {
            volumes[volume]!.files[destination] = nil
            volumes[volume]!.reservedLUNs.removeAll { $0 == destination }
            volumes[volume]!.metadataBlocks -= metadata
            metadataTotal -= metadata
            for block in sharedSlots { volumes[volume]!.dropPointer(block) }
            store.release(clone.map)
            throw .outOfSpace(volume: volume, neededBlocks: metadata + copied + 1, availableBlocks: metadata + copied,
                              inAggregate: true)
        }
        fallbackCopies += copied
        if src.attributes.hasACL { clonesWithoutACLs += 1 }
        if src.attributes.hasStreams { clonesWithoutStreams += 1 }
        oversubscribedQuotas += oversubscribed.map { "\(volume)/\($0)" }
        checkAfterOperation()
        return FileCloneResult(sharedBlocks: shared, copiedBlocks: copied, metadataBlocks: metadata,
                               oversubscribedQuotas: oversubscribed)
    }

    /// Room for `blocks` new blocks plus a new reservation of `reservation` blocks.
    func requireSpaceOrReserve(_ v: Volume, object: String, blocks: Int, reservation: Int) throws(ModelError) {
        guard reservation > 0 else { return try requireSpace(v, blocks: blocks) }
        do { try requireSpace(v, blocks: blocks + reservation) } catch {
            throw .cannotReserve(volume: v.name, object: object, neededBlocks: blocks + reservation,
                                 availableBlocks: max(0, v.sizeBlocks - charged(v)))
        }
    }
}

extension Aggregate {
    /// A traditional full copy of a file or LUN, into the same or another volume: every mapped
    /// block is written anew with the same content identity, so nothing is shared. This is how
    /// a mirror or a "newest full copy" of a golden image is made.
    /// - Throws: `alreadyExists`, `userQuotaExceeded`, `treeQuotaExceeded`, `cannotReserve`,
    ///   `outOfSpace`; then nothing was copied.
    /// - Complexity: O(blocks of the source).
    public mutating func copyFile(_ volume: String, _ source: String, toVolume: String, as destination: String) throws(ModelError) {
        let src = try file(self.volume(volume), source)
        var dv = try self.volume(toVolume)
        guard dv.files[destination] == nil else { throw .alreadyExists(kind: "file", name: "\(toVolume)/\(destination)") }
        var attributes = src.attributes
        if let q = attributes.qtree, dv.qtrees[q] == nil { attributes.qtree = nil }
        let mapped = src.map.mappedBlocks
        let probe = StoredFile(attributes: attributes, sizeBlocks: src.sizeBlocks, map: store.newMap(blocks: 0), owner: 0)
        try checkQuotas(dv, probe, adding: mapped)
        let reserved = attributes.kind == .lun && attributes.spaceReserved
        try requireSpaceOrReserve(dv, object: destination, blocks: mapped, reservation: reserved ? src.sizeBlocks - mapped : 0)

        dv = volumes.removeValue(forKey: toVolume)!
        var copy = StoredFile(attributes: attributes, sizeBlocks: src.sizeBlocks, map: store.newMap(blocks: src.sizeBlocks),
                              owner: store.newOwner(group: dv.group))
        // Leaf by leaf (memory O(leaf)): each run of mapped slots becomes one bulk write.
        var replaced: [BlockStore.Block] = []
        var run: [UInt64] = []
        for li in 0..<store.directorySize(src.map) {
            let slots = store.slots(src.map, leaf: li)
            let first = li << BlockStore.leafShift
            var o = 0
            while o < slots.count {
                guard slots[o] != BlockStore.hole else { o += 1; continue }
                let runStart = o
                run.removeAll(keepingCapacity: true)
                while o < slots.count && slots[o] != BlockStore.hole { run.append(store.contentOf(slots[o])); o += 1 }
                run.withUnsafeBufferPointer {
                    store.writeRun(&copy.map, at: first + runStart, contents: $0, owner: copy.owner, replaced: &replaced,
                                   collectReplaced: false)
                }
            }
        }
        if dv.dedup != nil {
            var offsets: [Int] = []
            store.forEachBlock(copy.map) { i, _ in offsets.append(i) }
            logWrites(&dv, &copy, offsets)
        }
        dv.files[destination] = copy
        if reserved { dv.reservedLUNs.append(destination) }
        volumes[toVolume] = dv
        followInlineDedup(volumes.index(forKey: toVolume)!)
        checkAfterOperation()
    }

    /// Logical used of every file and LUN in every volume: what full copies would occupy.
    /// - Complexity: O(files).
    public var logicalUsedBlocks: Int {
        volumes.values.reduce(0) { total, v in v.files.values.reduce(total) { $0 + $1.map.mappedBlocks } }
    }

    /// Files and LUNs in all active file systems.
    public var fileCount: Int { volumes.values.reduce(0) { $0 + $1.files.count } }

    /// Snapshot copies over all volumes.
    public var snapshotCount: Int { volumes.values.reduce(0) { $0 + $1.snapshotOrder.count } }

    /// Size of a file or LUN in blocks.
    public func fileSizeBlocks(_ volume: String, _ path: String) throws(ModelError) -> Int {
        try file(self.volume(volume), path).sizeBlocks
    }

    /// Size of a volume in blocks.
    public func volumeSizeBlocks(_ volume: String) throws(ModelError) -> Int { try self.volume(volume).sizeBlocks }

    /// Whether the volume exists.
    public func hasVolume(_ volume: String) -> Bool { volumes[volume] != nil }

    /// Reads slots of a file through `cache` (holes are not read); returns the blocks read.
    /// The file's owner number keys its blocks in the cache's no-sharing twin.
    ///
    /// First the cache forgets what the writes since the last such read made stale (blocks
    /// freed, slots written); the first read starts keeping those logs, when the cache was
    /// still empty of this aggregate's blocks. One cache serves one aggregate.
    @discardableResult
    public mutating func read(_ volume: String, _ path: String, blocks: some Sequence<Int>,
                              through cache: inout FlashCache) throws(ModelError) -> Int {
        let f = try file(self.volume(volume), path)
        if writtenSlots == nil {
            writtenSlots = []
            store.logFrees()
        } else {
            cache.invalidate(freedBlocks: store.takeFreedLog(), writtenSlots: writtenSlots!)
            writtenSlots!.removeAll(keepingCapacity: true)
        }
        var reads = 0
        for k in blocks where k >= 0 && k < f.sizeBlocks {
            let b = store.read(f.map, k)
            guard b != BlockStore.hole else { continue }
            cache.read(block: b, object: f.owner, offset: k)
            reads += 1
        }
        return reads
    }
}
