import CPrefetch

/// One post-process dedup run taken in hash order.
///
/// Slot by slot, every block costs a random access into a fingerprint table far larger than
/// the caches. Here the run first lists its blocks (in slot order, one sequential pass over the
/// maps), places them by the top bits of their content's hash — the table region their
/// fingerprint lives in — and decides region by region, so the table is read and written from
/// one end to the other. The decisions are kept by run position, so the remaps are then
/// applied in slot order.
///
/// Why the outcome is the same as `Aggregate.dedupSlots` slot by slot: every decision about a
/// block depends only on blocks with the same content (the donor, its pointer count, the
/// blocks it replaces), and a region keeps each content's blocks in slot order. Pointer counts
/// are tracked during the decisions (`Entry.pointers`, `adjust`) and applied afterwards.
struct DedupPass {
    struct File {
        var path: String
        var owner: UInt32
        /// Sorted logged offsets (repeats possible); nil for every slot.
        var offsets: [UInt32]?
    }

    /// A block to decide, with its place in run order.
    struct Record {
        var content: UInt64
        var block: BlockStore.Block
        /// Position in run order; the top bit is set when the volume has other pointers to the
        /// block (such a block can be met twice, so its count is tracked; the only other block
        /// met twice is an earlier run's donor that is also a logged slot's block).
        var index: UInt32
        var file: UInt32
        var offset: UInt32
    }

    static let sharedBit: UInt32 = 1 << 31

    let files: [File]

    /// Calls `body(offset, block, content)` for each slot of file `fi` the run fingerprints, in
    /// order (holes, and zero blocks when the profile leaves them, skipped). Returns how many
    /// repeated log entries it passed over: they count as processed and change nothing.
    @inline(__always)
    func forEachSlot(_ a: Aggregate, _ fi: Int, _ f: StoredFile, _ body: (Int, BlockStore.Block, UInt64) -> Void) -> Int {
        let zeros = a.profile.dedupZeroBlocks
        let hole = BlockStore.hole
        return a.store.content.withUnsafeBufferPointer { content in
            guard let offsets = files[fi].offsets else {
                a.store.forEachLeaf(f.map) { start, slots in
                    for o in slots.indices where start + o < f.sizeBlocks {
                        let b = slots[o]
                        guard b != hole else { continue }
                        let c = content[Int(b)]
                        if c == 0 && !zeros { continue }
                        body(start + o, b, c)
                    }
                }
                return 0
            }
            var repeats = 0, last = -1, lastTaken = false
            for o in offsets {
                let i = Int(o)
                guard i < f.sizeBlocks else { continue }
                if i == last {
                    if lastTaken { repeats += 1 }
                    continue
                }
                last = i
                lastTaken = false
                let b = a.store.read(f.map, i)
                guard b != hole else { continue }
                let c = content[Int(b)]
                if c == 0 && !zeros { continue }
                lastTaken = true
                body(i, b, c)
            }
            return repeats
        }
    }

    /// Decides and applies the run on `v` (out of `a` while it runs).
    /// - Parameter regionBits: log2 of the number of table regions; by default regions of
    ///   2^16 entries (1.5 MiB), which stay in cache while their blocks are decided. (Finer
    ///   regions make the placing pass slower than they make the decisions faster.)
    func run(_ a: inout Aggregate, _ v: inout Volume, _ table: inout FingerprintTable, _ run: inout DedupRun, regionBits: Int?) {
        let bits = min(regionBits ?? max(0, table.sizeBits - 16), table.sizeBits)
        // Pass 1: how many blocks fall in each region.
        var regions = [Int](repeating: 0, count: (1 << bits) + 1)
        regions.withUnsafeMutableBufferPointer { regions in
            for fi in files.indices {
                run.processedBlocks += forEachSlot(a, fi, v.files[files[fi].path]!) { _, _, c in
                    regions[FingerprintTable.prefix(c, bits: bits) + 1] += 1
                }
            }
            for r in 1..<regions.count { regions[r] += regions[r - 1] }
        }
        let total = regions[regions.count - 1]
        run.processedBlocks += total
        precondition(total < Int(Self.sharedBit), "a dedup run of over 2^31 blocks")

        // Pass 2: the records, by region, each region in run order.
        let anySharing = !v.sharing.isEmpty
        var anyShared = false
        let records = ZeroedMemory<Record>(count: total)
        var next = regions
        next.withUnsafeMutableBufferPointer { next in
            var k: UInt32 = 0
            for fi in files.indices {
                _ = forEachSlot(a, fi, v.files[files[fi].path]!) { i, b, c in
                    let r = FingerprintTable.prefix(c, bits: bits)
                    let shared = anySharing && v.sharing[b] > 0
                    anyShared = anyShared || shared
                    records.base[next[r]] = Record(content: c, block: b, index: k | (shared ? Self.sharedBit : 0), file: UInt32(fi), offset: UInt32(i))
                    next[r] += 1
                    k += 1
                }
            }
        }

        // Pass 3: the decisions, region by region: the donor + 1 each block is pointed at, or 0.
        let decision = ZeroedMemory<UInt32>(count: total)
        let metAgain = decide(UnsafeBufferPointer(records.buffer), regions: regions, regionBits: bits, a, v, &table, &run, into: decision.base)

        // Pass 4: the remaps, in run order.
        if anyShared || metAgain {
            applyOneByOne(&a, &v, UnsafeBufferPointer(decision.buffer))
        } else {
            applyInBulk(&a, &v, UnsafeBufferPointer(decision.buffer), count: run.duplicates)
        }
    }

    /// Calls `body(offset, old block, donor)` for each remap of file `fi`, in run order; `k` is
    /// the run position of the file's first record.
    @inline(__always)
    func forEachRemap(_ a: Aggregate, _ v: Volume, _ fi: Int, _ decision: UnsafeBufferPointer<UInt32>, _ k: inout Int,
                      _ body: (Int, BlockStore.Block, BlockStore.Block) -> Void) {
        _ = forEachSlot(a, fi, v.files[files[fi].path]!) { i, b, _ in
            if decision[k] != 0 { body(i, b, decision[k] - 1) }
            k += 1
        }
    }

    /// The remaps by the calls the sequential run makes, in its order.
    func applyOneByOne(_ a: inout Aggregate, _ v: inout Volume, _ decision: UnsafeBufferPointer<UInt32>) {
        var k = 0
        var remaps: [(offset: Int, old: BlockStore.Block, donor: BlockStore.Block)] = []
        for fi in files.indices {
            remaps.removeAll(keepingCapacity: true)
            forEachRemap(a, v, fi, decision, &k) { remaps.append(($0, $1, $2)) }
            let path = files[fi].path
            var f = v.files.removeValue(forKey: path)!
            for (i, b, d) in remaps {
                a.store.set(&f.map, i, to: d)
                v.sharing.increment(d)
                v.dedupExtra.increment(d)
                v.dedupSaved += 1
                v.dropPointer(b)
            }
            v.files[path] = f
        }
    }

    /// The `count` remaps when no block of the run had another pointer in the volume and none
    /// was met twice. Then no replaced block is ever a donor, its pointer count is 0 (so
    /// `dropPointer` changes nothing), and the donors' counts only grow: their increments and
    /// references (`remapDeferringRetain`) are applied at the end, sorted by block, with the same
    /// totals as one by one.
    func applyInBulk(_ a: inout Aggregate, _ v: inout Volume, _ decision: UnsafeBufferPointer<UInt32>, count: Int) {
        var k = 0, m = 0
        // (offset << 32 | donor), in run order, file after file.
        let remaps = ZeroedMemory<UInt64>(count: count)
        for fi in files.indices {
            let first = m
            forEachRemap(a, v, fi, decision, &k) { i, _, d in
                remaps.base[m] = UInt64(i) << 32 | UInt64(d)
                m += 1
            }
            let path = files[fi].path
            var f = v.files.removeValue(forKey: path)!
            a.store.remapDeferringRetain(&f.map, UnsafeBufferPointer(rebasing: remaps.buffer[first..<m]))
            v.files[path] = f
        }
        // The donors, narrowed in place to block ids (the buffer's first half), sorted.
        let donors = UnsafeMutableRawBufferPointer(remaps.buffer).bindMemory(to: UInt32.self)
        for j in 0..<m { donors[j] = UInt32(truncatingIfNeeded: remaps.base[j]) }
        let ids = UnsafeMutableBufferPointer(rebasing: donors[0..<m])
        radixSort(ids)
        a.store.retainSorted(UnsafeBufferPointer(ids))
        v.sharing.increment(UnsafeBufferPointer(ids), hole: BlockStore.hole)
        v.dedupExtra.increment(UnsafeBufferPointer(ids), hole: BlockStore.hole)
        v.dedupSaved += m
    }

    /// Decides each record's block in record order within its content, as `Aggregate.dedupBatch`
    /// does, with the pointer counts kept here instead of in `v`; sets `decision[k]` to the
    /// donor + 1 for each block to be pointed at one.
    /// `regions` bounds each region's records (from `regionBits` of the hash).
    func decide(_ records: UnsafeBufferPointer<Record>, regions: [Int], regionBits: Int, _ a: Aggregate, _ v: Volume,
                _ table: inout FingerprintTable, _ run: inout DedupRun, into decision: UnsafeMutablePointer<UInt32>) -> Bool {
        // True when a block without other pointers was met twice (see `tracked`).
        var metAgain = false
        let stamp = table.beginRun()
        let limit = a.profile.maxPointersPerBlock - 1
        // Net change of this run to the pointers of blocks met more than once (see `sharedBit`)
        // or that stopped being the donor; the current donor's count lives in its entry.
        var adjust: [BlockStore.Block: Int] = [:]
        func pointers(_ b: BlockStore.Block) -> Int { v.sharing[b] + (adjust[b] ?? 0) }
        var paths: [UInt32: String]?
        func holds(_ d: FingerprintTable.Donor) -> Bool {
            if paths == nil { paths = Dictionary(uniqueKeysWithValues: v.files.map { ($0.value.owner, $0.key) }) }
            guard let path = paths?[d.owner], let g = v.files[path] else { return false }
            return Int(d.offset) < g.sizeBlocks && a.store.read(g.map, Int(d.offset)) == d.block
        }
        table.withEntries { e, size, count in
            @inline(__always)
            func one(_ r: Record) {
                let (i, found) = FingerprintTable.find(r.content, in: e, bits: size)
                if found && e[i].stamp != stamp {
                    // A donor from an earlier run: still where it was seen, with this content?
                    let d = e[i].donor
                    if holds(d) && a.store.contentOf(d.block) == r.content {
                        e[i].stamp = stamp
                        e[i].pointers = UInt16(pointers(d.block))
                    }
                }
                // Met before in this run (as a donor that filled up: an earlier run's donor can
                // be a logged slot's block too) or held by other slots: its count is tracked.
                var tracked = r.index & Self.sharedBit != 0
                if !tracked && !adjust.isEmpty && adjust[r.block] != nil {
                    tracked = true
                    metAgain = true
                }
                if found && e[i].stamp == stamp {
                    let d = e[i].donor.block
                    if d == r.block { return }  // already the donor's block
                    if Int(e[i].pointers) < limit {
                        decision[Int(r.index & ~Self.sharedBit)] = d + 1
                        e[i].pointers += 1
                        run.duplicates += 1
                        // The replaced block loses this pointer (`Volume.dropPointer`).
                        if tracked && pointers(r.block) > 0 { adjust[r.block, default: 0] -= 1 }
                        return
                    }
                    run.fullDonors += 1
                    adjust[d] = Int(e[i].pointers) - v.sharing[d]
                }
                if !found { count += 1 }
                e[i] = FingerprintTable.Entry(
                    key: r.content, donor: FingerprintTable.Donor(block: r.block, owner: files[Int(r.file)].owner, offset: r.offset),
                    stamp: stamp, pointers: tracked ? UInt16(pointers(r.block)) : 0)
            }
            // Region after region; while one is decided, the next one's table lines are
            // loaded, a few per block, so its probes find them in cache.
            let regionSlots = e.count >> regionBits
            for region in 0..<(regions.count - 1) {
                let slice = UnsafeBufferPointer(rebasing: records[regions[region]..<regions[region + 1]])
                let next = (region + 1) * regionSlots
                // Only when its blocks are dense enough that most of its lines will be probed: a
                // small run (a night's changes on a large volume) would stream the whole table.
                let regionLines = regionSlots * MemoryLayout<FingerprintTable.Entry>.stride / 64
                let nextBlocks = region + 2 < regions.count ? regions[region + 2] - regions[region + 1] : 0
                let lines = nextBlocks * 4 >= regionLines ? regionLines : 0
                let perRecord = slice.isEmpty ? 0 : (lines + slice.count - 1) / slice.count
                var line = 0
                let raw = UnsafeRawPointer(e.baseAddress! + min(next, e.count - 1))
                for j in slice.indices {
                    for _ in 0..<perRecord where line < lines {
                        clonesim_prefetch(raw + line * 64)
                        line += 1
                    }
                    // And the entry (and decision) of the block a few places ahead, from the
                    // outer caches into the first, so the probes do not wait one by one.
                    if j + 16 < slice.count {
                        let ahead = slice[j + 16]
                        clonesim_prefetch(e.baseAddress! + FingerprintTable.prefix(ahead.content, bits: size))
                        clonesim_prefetch(decision + Int(ahead.index & ~Self.sharedBit))
                    }
                    one(slice[j])
                }
            }
        }
        return metAgain
    }
}
