/// How a volume deduplicates (MODEL.md §1, Deduplication).
public enum DedupMode: String, Sendable, Codable, CaseIterable {
    /// A run (scheduled by the caller, e.g. nightly) processes the blocks written since the last.
    case postProcess = "post_process"
    /// Each write is deduplicated as it is applied.
    case inline
}

/// A volume's dedup state: the change log of written slots and the fingerprint database.
struct DedupState: Sendable {
    var mode: DedupMode
    /// Slots written since the last run, as `owner << 32 | offset` (empty until the first).
    var changelog: [UInt64] = []
    var fingerprints = FingerprintTable()
    /// False until the first run, which fingerprints all the volume's data (as `sis start -s`).
    var scanned = false
    /// Fingerprint database and change logs, in blocks (a fraction of the physical data).
    var metadataBlocks = 0

    init(mode: DedupMode) { self.mode = mode }
}

/// What one dedup run (or an inline write) did.
public struct DedupRun: Sendable, Codable, Equatable {
    /// Blocks fingerprinted.
    public var processedBlocks = 0
    /// Blocks pointed at a donor with the same content.
    public var duplicates = 0
    /// Blocks the aggregate got back (fewer than `duplicates` while Snapshot copies hold the
    /// replaced blocks).
    public var freedBlocks = 0
    /// Donor handovers: times a donor had 1 + 255 pointers, so the duplicate became the next
    /// donor (a count of handovers, not of distinct full donors).
    public var fullDonors = 0
    /// Dedup metadata of the volume after the run.
    public var metadataBlocks = 0
    /// Run time at the profile's throughput.
    public var seconds = 0.0

    public init() {}
}

extension Aggregate {
    /// Turns dedup on (`mode`) or off (nil, dropping its metadata; savings made stay).
    public mutating func setDedup(_ volume: String, mode: DedupMode?) throws(ModelError) {
        var v = try self.volume(volume)
        if let old = v.dedup { metadataTotal -= old.metadataBlocks }
        v.dedup = mode.map { DedupState(mode: $0) }
        volumes[volume] = v
        checkAfterOperation()
    }

    public func dedupMode(_ volume: String) throws(ModelError) -> DedupMode? { try self.volume(volume).dedup?.mode }

    /// Blocks dedup saves in the volume: pointers it added that still stand.
    public func dedupSavedBlocks(_ volume: String) throws(ModelError) -> Int { try self.volume(volume).dedupSaved }

    /// Dedup metadata blocks of the volume.
    public func dedupMetadataBlocks(_ volume: String) throws(ModelError) -> Int { try self.volume(volume).dedup?.metadataBlocks ?? 0 }

    /// Written slots waiting for the next post-process run.
    /// Before the first post-process run, every mapped slot (that run takes them all, so
    /// nothing is logged); none inline.
    public func pendingDedupBlocks(_ volume: String) throws(ModelError) -> Int {
        let v = try self.volume(volume)
        guard let state = v.dedup, state.mode == .postProcess else { return 0 }
        return state.scanned ? state.changelog.count : v.files.values.reduce(0) { $0 + $1.map.mappedBlocks }
    }

    /// What a post-process run would take, without running it (a work estimate's pilot): the
    /// pending slots, taken as processed (the log emptied, the first scan done). Zero blocks
    /// count too, where a run skips them unless the profile dedups them.
    public mutating func skipDedupRun(_ volume: String) throws(ModelError) -> Int {
        let pending = try pendingDedupBlocks(volume)
        guard volumes[volume]?.dedup?.mode == .postProcess else { return 0 }
        volumes[volume]!.dedup!.changelog = []
        volumes[volume]!.dedup!.scanned = true
        return pending
    }

    /// A post-process run: fingerprints the blocks written since the last run (everything, the
    /// first time) and points each duplicate at a donor, freeing it when nothing else holds it.
    ///
    /// A run over a good share of the volume takes its blocks in hash order (see `DedupPass`); a
    /// small one (a night's changes on a large volume) goes slot by slot, which touches less of
    /// the table. The outcome is the same either way, and the tests compare the two.
    /// - Throws: `invalidArgument` when dedup is off on the volume.
    /// - Complexity: O(blocks processed) plus O(files).
    public mutating func runDedup(_ volume: String) throws(ModelError) -> DedupRun {
        try runDedup(volume, sequential: nil)
    }

    /// `runDedup`, slot by slot when `sequential` is true (the reference), in hash order when
    /// false, chosen by size when nil; the hash-ordered pass is cut into `2^regionBits` regions
    /// and keeps `margin` slots past a region in its fast counts when given (tests force several
    /// regions on small tables, and no margin).
    mutating func runDedup(_ volume: String, sequential: Bool?, regionBits: Int? = nil, margin: Int? = nil) throws(ModelError) -> DedupRun {
        var v = try self.volume(volume)
        guard var state = v.dedup else { throw .invalidArgument("dedup is not enabled on volume '\(volume)'") }
        volumes[volume] = nil
        v.dedup = nil
        let liveBefore = store.liveBlocks
        var run = DedupRun()
        let paths = Dictionary(uniqueKeysWithValues: v.files.map { ($0.value.owner, $0.key) })
        // The slots, by file (owner order) and offset: deterministic, and each file is taken
        // out once. The first run takes every slot of every file (as `sis start -s`).
        var scan: [DedupPass.File] = []
        if state.scanned {
            var entries: [UInt64] = []
            swap(&entries, &state.changelog)
            // A log written in that order (one file, ascending) needs no sort.
            if zip(entries, entries.dropFirst()).contains(where: { $0 > $1 }) { entries.sort() }
            var k = 0
            while k < entries.count {
                let owner = UInt32(entries[k] >> 32)
                var end = k
                while end < entries.count && UInt32(entries[end] >> 32) == owner { end += 1 }
                if let path = paths[owner] {
                    scan.append(.init(path: path, owner: owner, offsets: entries[k..<end].map { UInt32(truncatingIfNeeded: $0) }))
                }
                k = end
            }
            state.fingerprints.reserve(state.fingerprints.count + entries.count)
        } else {
            // At most one fingerprint per distinct block: the aggregate's live blocks bound them
            // when clones map the same blocks many times.
            state.fingerprints.reserve(state.fingerprints.count + min(store.liveBlocks, v.files.values.reduce(0) { $0 + $1.map.mappedBlocks }))
            state.scanned = true
            scan = paths.keys.sorted().map { .init(path: paths[$0]!, owner: $0, offsets: nil) }
        }
        // Measured on the 100 GiB benchmark volume: a run over 1% of it is faster slot by slot
        // (150 against 186 ms), one over 10% in hash order (0.97 against 1.30 s).
        let candidates = scan.reduce(0) { $0 + ($1.offsets?.count ?? v.files[$1.path]?.map.mappedBlocks ?? 0) }
        let pass = DedupPass(files: scan, v)
        // Hash order keeps a decision per run position (4 bytes a slot, holes included), so
        // runs over 2^31 positions or mostly holes go slot by slot.
        if sequential ?? (candidates * 32 < state.fingerprints.size || pass.positions >= Int(DedupPass.sharedBit)
                          || pass.positions > 4 * candidates) {
            for part in scan {
                var f = v.files.removeValue(forKey: part.path)!
                if let offsets = part.offsets {
                    dedupSlots(&v, &f, offsets.lazy.map { Int($0) }, &state.fingerprints, &run)
                } else if f.map.mappedBlocks * 2 < f.map.blockCount {
                    // A mostly empty file (a sampled shard's, `Sharding`): its leaves' ranges,
                    // so that the run costs its blocks, not its size; holes are skipped either way.
                    dedupSlots(&v, &f, store.leafRanges(f.map).lazy.flatMap { $0 }, &state.fingerprints, &run)
                } else {
                    dedupSlots(&v, &f, 0..<f.sizeBlocks, &state.fingerprints, &run)
                }
                v.files[part.path] = f
            }
        } else {
            pass.run(&self, &v, &state.fingerprints, &run, regionBits: regionBits, margin: margin)
        }
        updateMetadata(v, &state)
        run.metadataBlocks = state.metadataBlocks
        run.freedBlocks = liveBefore - store.liveBlocks
        run.seconds = Double(run.processedBlocks) / profile.dedupBlocksPerSecond
        v.dedup = state
        volumes[volume] = v
        checkAfterOperation()
        return run
    }

    /// Metadata follows the physical data, within the free space. `v` holds all its files and
    /// may be out of `volumes`.
    mutating func updateMetadata(_ v: Volume, _ state: inout DedupState) {
        let target = profile.dedupMetadataFraction.ceil(of: store.owned(byGroup: v.group))
        let metadata = min(target, state.metadataBlocks + max(0, capacityBlocks - physicalUsedBlocks - reservedBlocks(besides: v)))
        metadataTotal += metadata - state.metadataBlocks
        state.metadataBlocks = metadata
    }

    /// After a write into volume `vi` (in place, with all its files): with inline dedup, its
    /// metadata follows its physical data.
    mutating func followInlineDedup(_ vi: VolumeIndex) {
        guard var state = volumes.values[vi].dedup, state.mode == .inline else { return }
        let v = volumes.values[vi]
        updateMetadata(v, &state)
        volumes.values[vi].dedup!.metadataBlocks = state.metadataBlocks
    }

    /// After a write to `f` (taken out of `v`): notes the slots for the next run, or
    /// deduplicates them now in inline mode.
    mutating func logWrites(_ v: inout Volume, _ f: inout StoredFile, _ offsets: some Sequence<Int>) {
        if writtenSlots != nil {
            for i in offsets { writtenSlots!.append(FlashCache.slotKey(object: f.owner, offset: i)) }
        }
        guard var state = v.dedup else { return }
        v.dedup = nil
        switch state.mode {
        case .postProcess:
            // Until the first run, which takes every slot, a log would only cost 8 bytes a write.
            guard state.scanned else { break }
            for i in offsets { state.changelog.append(UInt64(f.owner) << 32 | UInt64(i)) }
        case .inline:
            // The metadata follows once `f` is back in `v` (`followInlineDedup`).
            var run = DedupRun()
            dedupSlots(&v, &f, offsets, &state.fingerprints, &run)
        }
        v.dedup = state
    }

    /// Fingerprints the given slots of `f` and points each duplicate at its donor. A donor must
    /// still be where it was seen (that slot of the active file system still maps it) and have
    /// fewer than 1 + 255 pointers; otherwise this block becomes the donor.
    mutating func dedupSlots(_ v: inout Volume, _ f: inout StoredFile, _ offsets: some Sequence<Int>,
                             _ fingerprints: inout FingerprintTable, _ run: inout DedupRun) {
        var lookup = DonorLookup()
        // In batches: first start loading every batch slot's fingerprint entry, then decide in
        // order. The decisions are the same as slot by slot; the table misses overlap.
        var batch: [Int] = []
        batch.reserveCapacity(Self.dedupBatchSize)
        for i in offsets where i < f.sizeBlocks {
            batch.append(i)
            guard batch.count == Self.dedupBatchSize else { continue }
            dedupBatch(&v, &f, batch, &fingerprints, &run, &lookup)
            batch.removeAll(keepingCapacity: true)
        }
        dedupBatch(&v, &f, batch, &fingerprints, &run, &lookup)
    }

    /// Slots a batch prefetches ahead: enough misses in flight to fill the memory pipeline.
    static var dedupBatchSize: Int { 64 }

    mutating func dedupBatch(_ v: inout Volume, _ f: inout StoredFile, _ batch: [Int],
                             _ fingerprints: inout FingerprintTable, _ run: inout DedupRun, _ lookup: inout DonorLookup) {
        for i in batch {
            let b = store.read(f.map, i)
            if b != BlockStore.hole { fingerprints.prefetch(store.contentOf(b)) }
        }
        let limit = profile.maxPointersPerBlock - 1
        for i in batch {
            let b = store.read(f.map, i)
            guard b != BlockStore.hole else { continue }
            let content = store.contentOf(b)
            if content == 0 && !profile.dedupZeroBlocks { continue }
            run.processedBlocks += 1
            // A stale donor (its slot rewritten, its block id perhaps reused, even as `b`) is replaced.
            if let donor = fingerprints[content], holds(v, f, donor, &lookup) && store.contentOf(donor.block) == content {
                if donor.block == b { continue }  // already the donor's block
                if v.sharing[donor.block] < limit {
                    store.set(&f.map, i, to: donor.block)
                    v.sharing.increment(donor.block)
                    v.dedupExtra.increment(donor.block)
                    v.dedupSaved += 1
                    // `b` leaves the active file system with its last pointer.
                    if lookup.active != nil && v.sharing[b] == 0 { lookup.active!.remove(b) }
                    v.dropPointer(b)
                    run.duplicates += 1
                    continue
                }
                run.fullDonors += 1
            }
            fingerprints.set(content, FingerprintTable.Donor(block: b, owner: f.owner, offset: UInt32(i)))
        }
    }

    /// What a run (or an inline write) builds on demand to check donors: the files by owner
    /// number, and for a physical catalog the blocks the active file system maps.
    struct DonorLookup {
        var paths: [UInt32: String]?
        var active: BlockSet?
    }

    /// True when the donor is still usable (`f` is out of `v` while it is processed): the
    /// active file system still maps `donor.block` where the donor was seen, or — with a
    /// `physical` catalog — anywhere in the volume. The caller checks the content.
    /// - Complexity: O(1) for the slot; the first physical check of a run or write walks every
    ///   mapped slot of the volume once (`activeBlocks`).
    func holds(_ v: Volume, _ f: StoredFile, _ donor: FingerprintTable.Donor, _ lookup: inout DonorLookup) -> Bool {
        let map: BlockMap
        let size: Int
        if donor.owner == f.owner {
            map = f.map
            size = f.sizeBlocks
        } else if lookup.paths == nil || lookup.paths![donor.owner] != nil {
            if lookup.paths == nil { lookup.paths = Dictionary(uniqueKeysWithValues: v.files.map { ($0.value.owner, $0.key) }) }
            guard let path = lookup.paths?[donor.owner], let g = v.files[path] else { return mapsAnywhere(v, f, donor.block, &lookup) }
            map = g.map
            size = g.sizeBlocks
        } else {
            return mapsAnywhere(v, f, donor.block, &lookup)
        }
        if Int(donor.offset) < size && store.read(map, Int(donor.offset)) == donor.block { return true }
        return mapsAnywhere(v, f, donor.block, &lookup)
    }

    /// With a `physical` catalog, true when some slot of the volume's active file system maps
    /// `block`; always false with a `slot` catalog.
    func mapsAnywhere(_ v: Volume, _ f: StoredFile?, _ block: BlockStore.Block, _ lookup: inout DonorLookup) -> Bool {
        guard profile.donorCatalog == .physical, Int(block) < store.blockIDLimit else { return false }
        if lookup.active == nil { lookup.active = activeBlocks(v, f) }
        return lookup.active!.contains(block)
    }

    /// Every block the active file system of `v` maps (and `f`'s, when it is out of `v`).
    /// - Complexity: O(mapped slots of the volume).
    func activeBlocks(_ v: Volume, _ f: StoredFile?) -> BlockSet {
        var set = BlockSet(limit: store.blockIDLimit)
        for g in (f.map { [$0] } ?? []) + v.files.values {
            store.forEachLeaf(g.map) { _, slots in for b in slots where b != BlockStore.hole { set.insert(b) } }
        }
        return set
    }
}
