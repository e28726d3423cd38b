import CPrefetch

/// One post-process dedup run taken in hash order.
///
/// Slot by slot, every block costs a random access into a fingerprint table far larger than
/// the caches. Here the run first lists its blocks (in slot order, one sequential pass over the
/// maps), places them by the top bits of their content's hash — the table region their
/// fingerprint lives in — and decides region by region, so the table is read and written from
/// one end to the other. The decisions are kept by run position (a slot's place in the scan,
/// holes included), so the remaps are then applied in slot order without listing the slots
/// again, and each donor's new pointers are added once, not once per remap.
///
/// Why the outcome is the same as `Aggregate.dedupSlots` slot by slot: every decision about a
/// block depends only on blocks with the same content (the donor, its pointer count, the
/// blocks it replaces), and a region keeps each content's blocks in slot order. Pointer counts
/// are tracked during the decisions (`RegionCounts`, `adjust`) and applied afterwards.
struct DedupPass {
    struct File {
        var path: String
        var owner: UInt32
        /// Sorted logged offsets (repeats possible); nil for every slot.
        var offsets: [UInt32]?
    }

    /// A block to decide. 16 bytes: the list of them is the run's largest scratch, and on this
    /// machine kind every fresh page of it costs a page fault.
    struct Record {
        var content: UInt64
        var block: BlockStore.Block
        /// The slot's run position (see `first`); the top bit is set when the volume has other
        /// pointers to the block (such a block can be met twice, so its count is tracked; the
        /// only other block met twice is an earlier run's donor that is also a logged slot's
        /// block).
        var position: UInt32
    }

    static let sharedBit: UInt32 = 1 << 31

    /// A donor whose pointer count this run may raise, noted the first time it can (for the
    /// bulk path, which adds each donor's gain at the end instead of one pointer at a time).
    struct Noted {
        var slot: Int
        var block: BlockStore.Block
        /// Its pointers beyond the first when noted.
        var initial: UInt16
    }

    let files: [File]
    /// The run position of each file's first slot, and the total after the last file: a
    /// file's positions are its offsets in order, or its logged offsets in order (repeats
    /// included), so a position names a slot without a list of them.
    let first: [Int]
    /// Each file's owner number, and for a logged run every logged offset by position.
    let owners: [UInt32]
    let logged: [UInt32]?

    init(files: [File], _ v: Volume) {
        self.files = files
        var first = [0]
        for f in files { first.append(first.last! + (f.offsets?.count ?? v.files[f.path]!.sizeBlocks)) }
        self.first = first
        owners = files.map(\.owner)
        logged = files.contains { $0.offsets == nil } ? nil : files.flatMap { $0.offsets! }
    }

    /// Run positions in all: the length of the decision list.
    var positions: Int { first[files.count] }

    /// Where run positions lie (file, offset), as plain buffers for the hot loops.
    struct Locator {
        let first: UnsafeBufferPointer<Int>
        let logged: UnsafeBufferPointer<UInt32>?

        /// The offset in file `fi` of run position `p`.
        @inline(__always)
        func offset(_ fi: Int, _ p: Int) -> Int {
            guard let logged else { return p - first[fi] }
            return Int(logged[p])
        }

        /// The file holding run position `p`, trying `fi` first (a region's positions ascend,
        /// so it nearly always is `fi`).
        @inline(__always)
        func file(of p: Int, near fi: Int) -> Int {
            if p >= first[fi] && p < first[fi + 1] { return fi }
            var lo = 0, hi = first.count - 1  // first[lo] <= p < first[hi]
            while hi - lo > 1 {
                let mid = (lo + hi) >> 1
                if first[mid] <= p { lo = mid } else { hi = mid }
            }
            return lo
        }
    }

    func withLocator<R>(_ body: (Locator) -> R) -> R {
        first.withUnsafeBufferPointer { first in
            guard let logged else { return body(Locator(first: first, logged: nil)) }
            return logged.withUnsafeBufferPointer { body(Locator(first: first, logged: $0)) }
        }
    }

    /// The offset in file `fi` of run position `p`.
    func offset(_ fi: Int, _ p: Int) -> Int { withLocator { $0.offset(fi, p) } }

    /// Calls `body(position, offset, block, content)` for each slot of file `fi` the run
    /// fingerprints, in order (holes, and zero blocks when the profile leaves them, skipped).
    /// Returns how many repeated log entries it passed over: they count as processed and change
    /// nothing.
    @inline(__always)
    func forEachSlot(_ a: Aggregate, _ fi: Int, _ f: StoredFile, _ body: (Int, Int, BlockStore.Block, UInt64) -> Void) -> Int {
        let zeros = a.profile.dedupZeroBlocks
        let hole = BlockStore.hole
        let base = first[fi]
        return a.store.content.withReader { content in
            guard let offsets = files[fi].offsets else {
                a.store.forEachLeaf(f.map) { start, slots in
                    for o in slots.indices where start + o < f.sizeBlocks {
                        let b = slots[o]
                        guard b != hole else { continue }
                        let c = content[Int(b)]
                        if c == 0 && !zeros { continue }
                        body(base + start + o, start + o, b, c)
                    }
                }
                return 0
            }
            var repeats = 0, last = -1, lastTaken = false
            for (j, o) in offsets.enumerated() {
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
                body(base + j, i, b, c)
            }
            return repeats
        }
    }

    /// Decides and applies the run on `v` (out of `a` while it runs).
    /// - Precondition: `positions < sharedBit`.
    /// - Parameter regionBits: log2 of the number of table regions; by default regions of
    ///   2^16 entries (1.5 MiB), which stay in cache while their blocks are decided. (Finer
    ///   regions make the placing pass slower than they make the decisions faster.)
    /// - Parameter margin: see `RegionCounts.init`.
    func run(_ a: inout Aggregate, _ v: inout Volume, _ table: inout FingerprintTable, _ run: inout DedupRun, regionBits: Int?,
             margin: Int? = nil) {
        precondition(positions < Int(Self.sharedBit), "a hash-ordered dedup run of 2^31 slots or more")
        let bits = min(regionBits ?? max(0, table.sizeBits - 16), table.sizeBits)
        // Pass 1: how many blocks fall in each region.
        var regions = [Int](repeating: 0, count: (1 << bits) + 1)
        regions.withUnsafeMutableBufferPointer { regions in
            for fi in files.indices {
                run.processedBlocks += forEachSlot(a, fi, v.files[files[fi].path]!) { _, _, _, c in
                    regions[FingerprintTable.prefix(c, bits: bits) + 1] += 1
                }
            }
            for r in 1..<regions.count { regions[r] += regions[r - 1] }
        }
        let total = regions[regions.count - 1]
        run.processedBlocks += total

        // Pass 2: the records, by region, each region in run order.
        let anySharing = !v.sharing.isEmpty
        var anyShared = false
        let records = ZeroedMemory<Record>(count: total)
        var next = regions
        next.withUnsafeMutableBufferPointer { next in
            for fi in files.indices {
                _ = forEachSlot(a, fi, v.files[files[fi].path]!) { p, _, b, c in
                    let r = FingerprintTable.prefix(c, bits: bits)
                    let shared = anySharing && v.sharing[b] > 0
                    anyShared = anyShared || shared
                    records.base[next[r]] = Record(content: c, block: b, position: UInt32(p) | (shared ? Self.sharedBit : 0))
                    next[r] += 1
                }
            }
        }

        // Pass 3: the decisions, region by region: `position << 32 | donor` for each block to be
        // pointed at a donor, appended as they are made (only the pages used are mapped).
        let remaps = ZeroedMemory<UInt64>(count: total, populate: false)
        var m = 0
        let gains = decide(UnsafeBufferPointer(records.buffer), regions: regions, regionBits: bits, a, v, &table, &run,
                           noting: !anyShared, margin: margin, into: remaps.base, count: &m)

        // Pass 4: the remaps by run position (sorted with the records' memory, no longer
        // needed, as scratch): a few sequential passes instead of a random write per decision.
        let sorted = UnsafeMutableBufferPointer(start: remaps.base, count: m)
        let scratch = UnsafeMutableRawPointer(records.base).bindMemory(to: UInt64.self, capacity: 2 * total)
        radixSort(sorted, shift: 32, bits: Int.bitWidth - positions.leadingZeroBitCount,
                  scratch: UnsafeMutableBufferPointer(start: scratch, count: 2 * total))
        if let gains {
            applyInBulk(&a, &v, sorted, gains: gains, count: run.duplicates)
        } else {
            applyOneByOne(&a, &v, UnsafeBufferPointer(sorted))
        }
    }

    /// Calls `body(fi, remaps)` for each file with remaps, with its part of `remaps`
    /// (`position << 32 | donor`, by position) turned into `offset << 32 | donor`.
    func forEachFile(_ remaps: UnsafeMutableBufferPointer<UInt64>, _ body: (Int, UnsafeBufferPointer<UInt64>) -> Void) {
        var j = 0
        withLocator { at in
            for fi in files.indices {
                let from = j, end = UInt64(first[fi + 1])
                while j < remaps.count && remaps[j] >> 32 < end {
                    remaps[j] = UInt64(at.offset(fi, Int(remaps[j] >> 32))) << 32 | remaps[j] & 0xFFFF_FFFF
                    j += 1
                }
                if j > from { body(fi, UnsafeBufferPointer(rebasing: remaps[from..<j])) }
            }
        }
    }

    /// The remaps by the calls the sequential run makes, in its order.
    func applyOneByOne(_ a: inout Aggregate, _ v: inout Volume, _ remaps: UnsafeBufferPointer<UInt64>) {
        forEachFile(UnsafeMutableBufferPointer(mutating: remaps)) { fi, remaps in
            let path = files[fi].path
            var f = v.files.removeValue(forKey: path)!
            for r in remaps {
                let i = Int(r >> 32), d = BlockStore.Block(truncatingIfNeeded: r)
                // The slot still holds the block the run saw: each slot is remapped once.
                let b = a.store.read(f.map, i)
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
    /// `dropPointer` changes nothing), and the donors' counts only grow: their references
    /// (`remapDeferringRetain`) and pointer counts are added at the end, one addition per donor
    /// (`gains`: `block << 32 | pointers gained`), in block order, with the same totals as one
    /// by one.
    func applyInBulk(_ a: inout Aggregate, _ v: inout Volume, _ remaps: UnsafeMutableBufferPointer<UInt64>, gains: [UInt64], count: Int) {
        forEachFile(remaps) { fi, remaps in
            let path = files[fi].path
            var f = v.files.removeValue(forKey: path)!
            a.store.remapDeferringRetain(&f.map, remaps)
            v.files[path] = f
        }
        var sorted = gains
        sorted.withUnsafeMutableBufferPointer { sorted in
            radixSort(sorted, shift: 32, bits: 32)
            a.store.retain(counted: UnsafeBufferPointer(sorted))
            v.sharing.add(UnsafeBufferPointer(sorted))
            v.dedupExtra.add(UnsafeBufferPointer(sorted))
        }
        v.dedupSaved += count
    }

    /// This run's count of each entry it set or checked — the donor's pointers beyond the first,
    /// as this run counts them — for the entries of one region at a time: every block whose
    /// content lives in a region is decided while that region is, so the counts need not outlive
    /// it. A region's entries sit in its slots or just past them (linear probing runs on); the
    /// rare one further off (or wrapped to the table's start) goes to a dictionary.
    struct RegionCounts {
        static let unseen = UInt16.max
        final class Far { var counts: [Int: UInt16] = [:] }
        private(set) var start = 0
        /// The region's slots and a margin past them (plain memory: this is the hot loop's).
        let near: UnsafeMutableBufferPointer<UInt16>
        let far = Far()

        /// - Parameter margin: slots past the region kept in `near` (by default a quarter of a
        ///   region, at least 1024; tests make it 0 so `far` is used).
        init(regionSlots: Int, margin: Int?) {
            near = .allocate(capacity: regionSlots + (margin ?? max(1024, regionSlots / 4)))
            near.initialize(repeating: Self.unseen)
        }

        func deallocate() { near.deallocate() }

        @inline(__always)
        func get(_ slot: Int) -> UInt16 {
            let k = slot &- start
            return k >= 0 && k < near.count ? near[k] : far.counts[slot, default: Self.unseen]
        }

        @inline(__always)
        func set(_ slot: Int, _ value: UInt16) {
            let k = slot &- start
            if k >= 0 && k < near.count { near[k] = value } else { far.counts[slot] = value }
        }

        /// Forgets every count, for the region starting at slot `start`.
        mutating func reset(start: Int) {
            self.start = start
            near.update(repeating: Self.unseen)
            if !far.counts.isEmpty { far.counts.removeAll() }
        }
    }

    /// Decides each record's block in record order within its content, as `Aggregate.dedupBatch`
    /// does, with the pointer counts kept here instead of in `v`; sets `decision[position]` to
    /// the donor + 1 for each block to be pointed at one. `regions` bounds each region's records
    /// (from `regionBits` of the hash).
    /// - Returns: when `noting` and no block without other pointers was met twice, each donor's
    ///   gain in pointers (`block << 32 | gain`, gains of 0 left out) for `applyInBulk`; nil
    ///   otherwise (the remaps must then go one by one).
    func decide(_ records: UnsafeBufferPointer<Record>, regions: [Int], regionBits: Int, _ a: Aggregate, _ v: Volume,
                _ table: inout FingerprintTable, _ run: inout DedupRun, noting: Bool, margin: Int?,
                into remaps: UnsafeMutablePointer<UInt64>, count m: inout Int) -> [UInt64]? {
        // True when a block without other pointers was met twice (see `tracked`).
        var metAgain = false
        let limit = a.profile.maxPointersPerBlock - 1
        // Net change of this run to the pointers of blocks met more than once (see `sharedBit`)
        // or that stopped being the donor; the current donor's count is in `counts`.
        var adjust: [BlockStore.Block: Int] = [:]
        func pointers(_ b: BlockStore.Block) -> Int { v.sharing[b] + (adjust[b] ?? 0) }
        var lookup = Aggregate.DonorLookup()
        func holds(_ d: FingerprintTable.Donor) -> Bool {
            if lookup.paths == nil { lookup.paths = Dictionary(uniqueKeysWithValues: v.files.map { ($0.value.owner, $0.key) }) }
            if let path = lookup.paths?[d.owner], let g = v.files[path],
               Int(d.offset) < g.sizeBlocks && a.store.read(g.map, Int(d.offset)) == d.block { return true }
            return a.mapsAnywhere(v, nil, d.block, &lookup)
        }
        // Each donor whose count may rise, when it first may: once per donor, since a block
        // becomes the donor once in a run unless it is met again (and then none is used).
        var noted: [Noted] = []
        var gains: [UInt64] = []
        var gained = 0
        var fi = 0
        let regionSlots = table.size >> regionBits
        var counts = RegionCounts(regionSlots: regionSlots, margin: margin)
        defer { counts.deallocate() }
        return withLocator { at in owners.withUnsafeBufferPointer { owners in table.withEntries { e, size, count in
            @inline(__always)
            func one(_ r: Record) {
                let position = Int(r.position & ~Self.sharedBit)
                let (i, found) = FingerprintTable.find(r.content, in: e, bits: size)
                var seen = found ? counts.get(i) : RegionCounts.unseen
                if found && seen == RegionCounts.unseen {
                    // A donor from an earlier run: still where it was seen, with this content?
                    let d = e[i].donor
                    if holds(d) && a.store.contentOf(d.block) == r.content {
                        seen = UInt16(pointers(d.block))
                        counts.set(i, seen)
                        if noting && seen > 0 { noted.append(Noted(slot: i, block: d.block, initial: seen)) }
                    }
                }
                // Met before in this run (as a donor that filled up: an earlier run's donor can
                // be a logged slot's block too) or held by other slots: its count is tracked.
                var tracked = r.position & Self.sharedBit != 0
                if !tracked && !adjust.isEmpty && adjust[r.block] != nil {
                    tracked = true
                    metAgain = true
                }
                if seen != RegionCounts.unseen {
                    let d = e[i].donor.block
                    if d == r.block { return }  // already the donor's block
                    if Int(seen) < limit {
                        remaps[m] = UInt64(position) << 32 | UInt64(d)
                        m += 1
                        if noting && seen == 0 { noted.append(Noted(slot: i, block: d, initial: 0)) }
                        counts.set(i, seen + 1)
                        run.duplicates += 1
                        // The replaced block loses this pointer (`Volume.dropPointer`), and with its
                        // last one leaves the active file system.
                        if tracked && pointers(r.block) > 0 {
                            adjust[r.block, default: 0] -= 1
                        } else if lookup.active != nil {
                            lookup.active!.remove(r.block)
                        }
                        return
                    }
                    run.fullDonors += 1
                    adjust[d] = Int(seen) - v.sharing[d]
                }
                if !found { count += 1 }
                fi = at.file(of: position, near: fi)
                let initial = tracked ? UInt16(pointers(r.block)) : 0
                e[i] = FingerprintTable.Entry(
                    key: r.content, donor: FingerprintTable.Donor(block: r.block, owner: owners[fi], offset: UInt32(at.offset(fi, position))))
                counts.set(i, initial)
                if noting && initial > 0 { noted.append(Noted(slot: i, block: r.block, initial: initial)) }
            }
            // Region after region; while one is decided, the next one's table lines are
            // loaded, a few per block, so its probes find them in cache.
            for region in 0..<(regions.count - 1) {
                let slice = UnsafeBufferPointer(rebasing: records[regions[region]..<regions[region + 1]])
                let next = (region + 1) * regionSlots
                if !slice.isEmpty { counts.reset(start: region * regionSlots) }
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
                    // And the entry of the block a few places ahead, from the outer caches into
                    // the first, so the probes do not wait one by one.
                    if j + 16 < slice.count {
                        clonesim_prefetch(e.baseAddress! + FingerprintTable.prefix(slice[j + 16].content, bits: size))
                    }
                    one(slice[j])
                }
                // The region's donors' gains, while its counts are at hand: a donor still in
                // its slot gained its count beyond its start; one replaced there had filled up
                // (a donor is replaced only at the limit).
                guard noting && !metAgain else { continue }
                for n in noted {
                    let gain = (e[n.slot].donor.block == n.block ? Int(counts.get(n.slot)) : limit) - Int(n.initial)
                    gained += gain
                    if gain > 0 { gains.append(UInt64(n.block) << 32 | UInt64(gain)) }
                }
                noted.removeAll(keepingCapacity: true)
            }
            guard noting && !metAgain else { return nil }
            precondition(gained == run.duplicates, "dedup pass: donors gained \(gained) pointers for \(run.duplicates) remaps")
            return gains
        } } }
    }
}
