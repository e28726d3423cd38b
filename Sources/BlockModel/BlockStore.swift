/// The copy-on-write block store every profile (ONTAP, ReFS, reflink) stands on.
///
/// ## What it is
/// A pool of physical blocks (ids `0 ..< capacity`) and the maps that point at them. A map
/// (`BlockMap`) is one logical address space — a file, a LUN, a Snapshot copy of one — as a
/// directory of *leaves*, each covering `leafSize` (1024) consecutive logical blocks.
///
/// Leaves are shared between maps: copying a map (a Snapshot copy, a FlexClone volume, a file
/// clone) copies only its directory and adds one reference to each leaf, so it costs
/// O(blocks / 1024) and no block is touched.
///
/// ## Why delta leaves
/// Writing into a shared leaf must not change the other maps that read it. Copying the whole
/// leaf (the plain two-level map) makes a clone with 1% scattered writes privatise nearly every
/// leaf — a full 40 MiB map per clone of a 40 GiB image. Instead the writer gets a *delta leaf*:
/// a reference to the shared dense leaf (its *base*) plus a short sorted list of
/// (offset, block) overrides. A clone at 1% divergence holds ~10 entries per leaf. A delta that
/// grows past `promoteThreshold` entries becomes a dense leaf of its own: a write there is one
/// slot store, where an insert into a sorted delta moves half its entries.
/// A delta's base is always dense, so a read is one directory step and at most one binary search.
///
/// ## Why arenas
/// At VDI scale there are millions of leaves, most of them deltas of ~10 entries. A leaf is a
/// 24-byte record of plain data; a dense leaf's slots are 1024 consecutive ids of one
/// `slotArena`, a delta's entries a size-classed chunk of one `EntryArena`. So no leaf owns a
/// heap array: creating, growing, copying or promoting a delta calls no malloc, and a write
/// retains no array, whose header would be one more cache miss per random write.
///
/// ## Reference counting, exactly
/// `refCount[b]` is the number of *leaf objects* that read block `b` (not the number of maps:
/// a leaf shared by 200 maps reads its blocks once). A block is free iff its count is 0.
/// - A delta leaf reads its override entries.
/// - A dense leaf reads slot `o` iff some reader still sees it there:
///   `readers(o) = refs + baseUsers − shadow[o] > 0`, where `refs` counts directory slots that
///   point at the leaf, `baseUsers` the delta leaves built on it, and `shadow[o]` how many of
///   those deltas override offset `o`. While a directory still points at the leaf directly
///   (`refs > 0`, e.g. the golden Snapshot copy every VDI clone diverges from) no slot can die,
///   so `shadow` is only built — from the leaf's list of deltas — when the last direct
///   reference goes; until then it costs nothing.
/// So when the last reader of a slot overrides it or goes away, the old block loses that
/// leaf's reference at once: overwritten blocks held by nothing else are freed immediately,
/// and blocks still seen through a Snapshot copy's leaf stay. A slot never becomes readable
/// again once dead (every new reader is a copy of an existing one), so no block is released
/// twice. `checkInvariants` recomputes all of this from scratch.
///
/// ## Cases it handles
/// writing into an unshared dense leaf (in place), a shared dense leaf (new delta), an
/// unshared delta (in place or insert), a shared delta (copy of the delta, then in place),
/// holes (never-written slots, `BlockStore.hole`), promotion, and releasing any of them.
///
/// The store knows nothing about volumes, files or reports: owners are opaque numbers whose
/// live blocks it counts, so a profile can charge blocks to what allocated them.
public struct BlockStore: Sendable {
    public typealias Block = UInt32
    /// The value of a slot nothing was written to.
    public static let hole: Block = .max
    static let noLeaf: UInt32 = .max

    public static let leafShift = 10
    public static let leafSize = 1 << leafShift
    static let leafMask = leafSize - 1
    /// A delta with more entries than this becomes dense. At 256 (a quarter of a leaf), inserts
    /// that move half of a long delta took a quarter of a random burst's time; at 128 random
    /// bursts into a clone run ~1.7x faster, and a clone at 10% divergence costs the same
    /// (its deltas hold ~100 entries). Between 12.5% and 25% of a leaf a clone now holds 4 KiB
    /// of slots instead of 6 bytes an entry; the new blocks' own 8 bytes each (count, owner,
    /// content) are the larger part either way. 64 would be faster still but double a clone at
    /// 10% (Benchmarks/README.md).
    public static let promoteThreshold = leafSize / 8

    /// Total physical blocks.
    public let capacity: Int
    /// Leaf objects reading each block; index = block id, grown on demand.
    var refCount = RefCountColumn()
    /// Who allocated each block (an opaque owner number).
    var owner = OwnerColumn()
    /// Content identity of each block.
    var content = ContentColumn()
    /// Freed block ids (handed out before new ones), as a bitmap searched next-fit from
    /// `freeCursor`: like WAFL's write allocator filling free space in order, it hands out ids
    /// in ascending runs, so the per-block arrays are written sequentially.
    /// Two summary levels (bit i of `freeWords` set iff `freeBits[i] != 0`, bit j of
    /// `freeWordGroups` iff `freeWords[j] != 0`) keep the search short when the few free ids
    /// lie far from the cursor: O(bitmap / 4096) words at worst instead of O(bitmap / 64).
    var freeBits: [UInt64] = []
    var freeWords: [UInt64] = []
    var freeWordGroups: [UInt64] = []
    var freeCount = 0
    var freeCursor = 0
    /// Blocks whose reference count is above 0.
    public private(set) var liveBlocks = 0
    /// Live blocks per owner number.
    public private(set) var ownedBlocks: [Int] = []
    /// The group (a volume, say) each owner number belongs to, and live blocks per group, so a
    /// volume's total is O(1) to read however many files it has.
    var ownerGroup: [UInt32] = []
    public private(set) var groupBlocks: [Int] = []

    var leaves: [Leaf] = []
    var freeLeaves: [UInt32] = []
    var dense: [DenseLeaf] = []
    var freeDense: [UInt32] = []
    /// Dense leaf d's `leafSize` block ids are `slotArena[d << leafShift ..< (d + 1) << leafShift]`.
    var slotArena: [Block] = []
    var arena = EntryArena()
    /// Reused by `writeRun` so a run allocates no array of its own.
    var scratchBlocks: [Block] = []
    /// Ids freed since `takeFreedLog`, kept only once `logFrees` asked for them: a cache over
    /// block ids must drop a freed id before it is handed out again as a new block.
    var freedLog: [Block]?

    /// Outcome counters, for reports and benchmarks.
    public private(set) var stats = Stats()

    public struct Stats: Sendable, Equatable {
        public var deltaLeavesCreated = 0
        public var deltaCopies = 0
        public var promotions = 0
        public var denseLeavesCreated = 0
    }

    /// A leaf's record: 24 bytes of plain data (no references, so reading or copying one costs
    /// no reference counting). A dense leaf's slots live in `slotArena` and its delta list in
    /// `dense`, a delta's entries in `arena`: no leaf owns a heap allocation on the write path,
    /// so a write retains no array (whose header would be one more cache miss).
    struct Leaf: Sendable {
        var refs: UInt32 = 0
        /// Dense: the delta leaves built on it.
        var baseUsers: UInt32 = 0
        /// For a delta: its dense base. `noLeaf` for a dense leaf.
        var base: UInt32 = BlockStore.noLeaf
        /// Delta: its position in its base's `deltas`.
        var baseIndex: UInt32 = 0
        /// Dense: its index in `dense`. Delta: the start of its chunk in `arena`.
        var data: UInt32 = 0
        /// Delta: its entries (offset and block, sorted by offset) and its chunk's class.
        var count: UInt16 = 0
        var sizeClass: UInt8 = 0
        var live = false
        var isDense: Bool { base == BlockStore.noLeaf }
    }

    /// What only a dense leaf has besides its slots.
    struct DenseLeaf: Sendable {
        /// The deltas built on it (for the shadow counts, built when first needed).
        var deltas: [UInt32] = []
        /// Once no directory reads it directly: per offset, how many of its deltas override it.
        /// Empty while a direct reader exists (then no slot can die).
        var shadow: [UInt32] = []
    }

    public init(capacity: Int) {
        precondition(capacity >= 0 && capacity < Int(UInt32.max), "capacity fits 32-bit block ids")
        self.capacity = capacity
        // Reserve the per-block arrays once (up to 64 M blocks, 1 GiB of address space): pages
        // become resident only when used, and the arrays never reallocate and copy as they grow.
        let reserve = min(capacity, 1 << 26)
        refCount.reserveCapacity(reserve)
        owner.reserveCapacity(reserve)
        content.reserveCapacity(reserve)
        // The same for dense leaves' slots: room for a leaf per 1024 blocks, the most a store
        // needs unless clones privatise shared leaves (then it grows by doubling).
        slotArena.reserveCapacity(reserve)
    }

    /// Blocks not referenced by anything.
    public var freeBlocks: Int { capacity - liveBlocks }

    // MARK: Blocks

    /// The content identity of a live block.
    public func contentOf(_ block: Block) -> UInt64 { content[Int(block)] }
    /// The owner number that allocated a live block.
    public func ownerOf(_ block: Block) -> UInt32 { owner[Int(block)] }
    /// The group of the owner of a live block.
    public func groupOf(_ block: Block) -> UInt32 { ownerGroup[Int(owner[Int(block)])] }
    /// Leaf objects reading a block (0 = free).
    public func referenceCount(_ block: Block) -> Int { Int(refCount[Int(block)]) }
    /// Changes a block's data in place (a file system that overwrites unshared blocks where
    /// they are, as ReFS does; WAFL never calls this).
    mutating func rewrite(_ block: Block, content value: UInt64) { content[Int(block)] = value }
    /// Grows `map` to `blocks` slots (see `BlockMap.grow`).
    public func grow(_ map: inout BlockMap, to blocks: Int) { map.grow(to: blocks) }
    /// Live blocks charged to `ownerID`.
    public func owned(by ownerID: UInt32) -> Int {
        Int(ownerID) < ownedBlocks.count ? ownedBlocks[Int(ownerID)] : 0
    }
    /// Live blocks charged to the owners of `group`.
    public func owned(byGroup group: UInt32) -> Int {
        Int(group) < groupBlocks.count ? groupBlocks[Int(group)] : 0
    }

    /// A new owner number in `group`. Blocks are charged to owners, owners belong to groups.
    public mutating func newOwner(group: UInt32) -> UInt32 {
        ownerGroup.append(group)
        ownedBlocks.append(0)
        if Int(group) >= groupBlocks.count {
            groupBlocks.append(contentsOf: repeatElement(0, count: Int(group) + 1 - groupBlocks.count))
        }
        return UInt32(ownerGroup.count - 1)
    }

    @inline(__always)
    mutating func charge(_ ownerID: UInt32, _ delta: Int) {
        if Int(ownerID) >= ownerGroup.count {
            // Owners not made by `newOwner` (store-level tests) belong to group 0.
            while ownerGroup.count <= Int(ownerID) { _ = newOwner(group: 0) }
        }
        ownedBlocks[Int(ownerID)] += delta
        groupBlocks[Int(ownerGroup[Int(ownerID)])] += delta
    }
    /// One past the highest block id ever handed out: the size of per-block scratch arrays.
    public var blockIDLimit: Int { refCount.count }

    /// A new block, not yet in any map: place it with `set` right away.
    /// - Precondition: `freeBlocks > 0` (callers check space first, so operations stay
    ///   all-or-nothing).
    mutating func allocate(content value: UInt64, owner ownerID: UInt32) -> Block {
        precondition(liveBlocks < capacity, "allocate on a full store")
        let block: Block
        if let reused = takeFreed() {
            block = reused
            content[Int(block)] = value
            owner[Int(block)] = ownerID
        } else {
            block = Block(refCount.count)
            refCount.appendZeros(1)
            content.append(value)
            owner.append(ownerID)
        }
        liveBlocks += 1
        charge(ownerID, 1)
        return block
    }

    @inline(__always)
    mutating func retain(_ block: Block) {
        refCount.increment(Int(block))
    }

    /// Starts keeping the ids freed from now on, for `takeFreedLog`.
    public mutating func logFrees() {
        if freedLog == nil { freedLog = [] }
    }

    /// The ids freed since the last call, and a fresh log; empty while frees are not logged.
    public mutating func takeFreedLog() -> [Block] {
        guard let log = freedLog else { return [] }
        freedLog = []
        return log
    }

    @inline(__always)
    mutating func markFreed(_ block: Block) {
        if freedLog != nil { freedLog!.append(block) }
        let w = Int(block) >> 6
        coverBitmaps(upTo: block)
        freeBits[w] |= 1 << UInt64(block & 63)
        freeWords[w >> 6] |= 1 << UInt64(w & 63)
        freeWordGroups[w >> 12] |= 1 << UInt64((w >> 6) & 63)
        freeCount += 1
    }

    /// Grows the free bitmap and its summaries to cover ids up to `block`.
    @inline(__always)
    mutating func coverBitmaps(upTo block: Block) {
        let w = Int(block) >> 6
        guard w >= freeBits.count else { return }
        freeBits.append(contentsOf: repeatElement(0, count: w + 1 - freeBits.count))
        let words = (freeBits.count + 63) >> 6, groups = (words + 63) >> 6
        if words > freeWords.count { freeWords.append(contentsOf: repeatElement(0, count: words - freeWords.count)) }
        if groups > freeWordGroups.count { freeWordGroups.append(contentsOf: repeatElement(0, count: groups - freeWordGroups.count)) }
    }

    /// The first word of `freeBits` at or after `start` with a free id, wrapping; nil if none.
    func nextFreeWord(from start: Int) -> Int? {
        guard freeCount > 0, !freeBits.isEmpty else { return nil }
        return freeWords.withUnsafeBufferPointer { words in
            freeWordGroups.withUnsafeBufferPointer { Self.nextFreeWord(from: start, bitWords: freeBits.count, words, $0) }
        }
    }

    /// `nextFreeWord` over the summaries' buffers (`bitWords`: the bitmap's length), for a pass
    /// that holds the bitmap itself.
    @inline(__always)
    static func nextFreeWord(from start: Int, bitWords: Int, _ words: UnsafeBufferPointer<UInt64>,
                             _ groups: UnsafeBufferPointer<UInt64>) -> Int? {
        guard bitWords > 0 else { return nil }
        let start = start < bitWords ? start : 0
        // Within the summary word of `start`.
        let s = start >> 6
        let here = words[s] & (~0 << UInt64(start & 63))
        if here != 0 { return s << 6 + here.trailingZeroBitCount }
        // Within the group of that summary word, then group by group (wrapping once).
        let g = s >> 6
        let rest = (s & 63) == 63 ? 0 : groups[g] & (~0 << UInt64((s & 63) + 1))
        var candidate: Int?
        if rest != 0 {
            candidate = g << 6 + rest.trailingZeroBitCount
        } else {
            for k in 1...groups.count {
                let gi = (g + k) % groups.count
                if groups[gi] != 0 { candidate = gi << 6 + groups[gi].trailingZeroBitCount; break }
            }
        }
        guard let word = candidate, words[word] != 0 else { return nil }
        return word << 6 + words[word].trailingZeroBitCount
    }

    /// The next freed id at or after the cursor (wrapping), or nil when none is free.
    mutating func takeFreed() -> Block? {
        // The cursor's own word first: nextFreeWord would return it too, through the summaries.
        let cursorHasIDs = freeCursor < freeBits.count && freeBits[freeCursor] != 0
        guard let w = cursorHasIDs ? freeCursor : nextFreeWord(from: freeCursor) else { return nil }
        let bit = freeBits[w].trailingZeroBitCount
        freeBits[w] &= freeBits[w] - 1
        if freeBits[w] == 0 { clearSummaries(ofEmptied: w) }
        freeCount -= 1
        freeCursor = w
        return Block(w << 6 + bit)
    }

    /// Word `w` of `freeBits` has just run out of free ids: clear its summary bits.
    @inline(__always)
    mutating func clearSummaries(ofEmptied w: Int) {
        freeWords[w >> 6] &= ~(1 << UInt64(w & 63))
        if freeWords[w >> 6] == 0 { freeWordGroups[w >> 12] &= ~(1 << UInt64((w >> 6) & 63)) }
    }

    /// The next `n` freed ids, appended to `ids`: the ids `n` calls of `takeFreed` would give, in
    /// the same order, but a bitmap word at a time.
    /// - Precondition: `n <= freeCount`.
    mutating func takeFreed(_ n: Int, into ids: inout [Block]) {
        guard n > 0 else { return }
        let first = ids.count
        // Room made once, and the bitmap, its summaries and the ids held as buffers for the
        // whole pass: freed ids lie a few to a word, so per-word array accesses (a uniqueness
        // check each) cost more than the ids themselves.
        ids.append(contentsOf: repeatElement(0, count: n))
        var taken = 0, cursor = freeCursor
        ids.withUnsafeMutableBufferPointer { out in
            freeBits.withUnsafeMutableBufferPointer { bits in
                freeWords.withUnsafeMutableBufferPointer { words in
                    freeWordGroups.withUnsafeMutableBufferPointer { groups in
                        while taken < n,
                              let w = Self.nextFreeWord(from: cursor, bitWords: bits.count, UnsafeBufferPointer(words), UnsafeBufferPointer(groups)) {
                            var word = bits[w]
                            let take = min(word.nonzeroBitCount, n &- taken)
                            for k in 0..<take {
                                out[first &+ taken &+ k] = Block(truncatingIfNeeded: w &<< 6 | word.trailingZeroBitCount)
                                word &= word &- 1
                            }
                            taken &+= take
                            bits[w] = word
                            if word == 0 {
                                // Its summary bits, as `clearSummaries` (which needs the arrays).
                                words[w >> 6] &= ~(1 << UInt64(w & 63))
                                if words[w >> 6] == 0 { groups[w >> 12] &= ~(1 << UInt64((w >> 6) & 63)) }
                            }
                            cursor = w
                        }
                    }
                }
            }
        }
        freeCursor = cursor
        precondition(taken == n, "takeFreed(\(n)) with fewer free ids")
        freeCount -= n
    }

    /// One more reader for every block in dense leaf `leaf`'s slots (those of a new copy).
    mutating func retainSlots(of leaf: UInt32) {
        let start = slotStart(leaf)
        refCount.withAccess { rc in
            slotArena.withUnsafeBufferPointer { rc.incrementEach(UnsafeBufferPointer(rebasing: $0[start..<(start + Self.leafSize)])) }
        }
    }

    /// `count` more readers for each block of `pairs` (`block << 32 | count`, sorted by block, so
    /// the counts are walked in order).
    mutating func retain(counted pairs: UnsafeBufferPointer<UInt64>) {
        refCount.withAccess { rc in
            for pair in pairs { rc.add(Int(pair >> 32), UInt32(truncatingIfNeeded: pair)) }
        }
    }

    @inline(__always)
    mutating func release(_ block: Block) {
        let i = Int(block)
        if refCount.decrement(i) {
            liveBlocks -= 1
            charge(owner[i], -1)
            markFreed(block)
        }
    }

    // MARK: Leaves

    mutating func newLeaf(_ leaf: Leaf) -> UInt32 {
        var leaf = leaf
        leaf.live = true
        if let id = freeLeaves.popLast() {
            leaves[Int(id)] = leaf
            return id
        }
        leaves.append(leaf)
        return UInt32(leaves.count - 1)
    }

    /// A new dense leaf read by `refs` directory slots, holding a copy of dense leaf `source`'s
    /// slots, or all holes.
    mutating func newDenseLeaf(refs: UInt32, copying source: UInt32? = nil) -> UInt32 {
        let index: UInt32
        if let reused = freeDense.popLast() {
            index = reused
            dense[Int(index)] = DenseLeaf()
        } else {
            index = UInt32(dense.count)
            dense.append(DenseLeaf())
            slotArena.append(contentsOf: repeatElement(Self.hole, count: Self.leafSize))
        }
        let range = Int(index) << Self.leafShift..<(Int(index) + 1) << Self.leafShift
        let from = source.map { slotStart($0) }
        slotArena.withUnsafeMutableBufferPointer { all in
            let own = UnsafeMutableBufferPointer(rebasing: all[range])
            if let from {
                _ = own.update(fromContentsOf: all[from..<(from + Self.leafSize)])
            } else {
                own.update(repeating: Self.hole)
            }
        }
        return newLeaf(Leaf(refs: refs, data: index))
    }

    /// A new delta over `base` (not yet attached) with room for `capacity` entries, none set.
    mutating func newDeltaLeaf(refs: UInt32, base: UInt32, capacity: Int) -> UInt32 {
        let sizeClass = EntryArena.sizeClass(for: capacity)
        return newLeaf(Leaf(refs: refs, base: base, data: arena.allocate(sizeClass), sizeClass: sizeClass))
    }

    mutating func freeLeaf(_ id: UInt32) {
        let leaf = leaves[Int(id)]
        if leaf.isDense {
            dense[Int(leaf.data)] = DenseLeaf()
            freeDense.append(leaf.data)
        } else {
            arena.release(leaf.data, leaf.sizeClass)
        }
        leaves[Int(id)] = Leaf()
        freeLeaves.append(id)
    }

    /// The index in `dense` of dense leaf `leaf`.
    @inline(__always)
    func denseIndex(_ leaf: UInt32) -> Int { Int(leaves[Int(leaf)].data) }

    /// Where dense leaf `leaf`'s slots start in `slotArena`.
    @inline(__always)
    func slotStart(_ leaf: UInt32) -> Int { denseIndex(leaf) << Self.leafShift }

    /// A copy of dense leaf `leaf`'s slots.
    func denseSlots(_ leaf: UInt32) -> [Block] { Array(slotArena[slotStart(leaf)..<(slotStart(leaf) + Self.leafSize)]) }

    /// The range of the arena's entries holding delta `leaf`'s.
    @inline(__always)
    func entryRange(_ leaf: UInt32) -> Range<Int> {
        let start = Int(leaves[Int(leaf)].data)
        return start..<(start + Int(leaves[Int(leaf)].count))
    }

    /// A copy of delta `leaf`'s entries, for passes that change the store while walking them.
    func entryArray(_ leaf: UInt32) -> [UInt64] {
        // Through the arena's buffers: `arena[k]` per entry checked both arrays each time.
        let range = entryRange(leaf)
        return arena.offsets.withUnsafeBufferPointer { offsets in
            arena.blocks.withUnsafeBufferPointer { blocks in
                [UInt64](unsafeUninitializedCapacity: range.count) { out, n in
                    for j in 0..<range.count {
                        let k = range.lowerBound &+ j
                        out[j] = UInt64(offsets[k]) << 32 | UInt64(blocks[k])
                    }
                    n = range.count
                }
            }
        }
    }

    /// `search` over delta `leaf`'s entries.
    @inline(__always)
    func searchEntries(_ leaf: UInt32, _ offset: Int) -> (found: Bool, index: Int) {
        let range = entryRange(leaf)
        return arena.offsets.withUnsafeBufferPointer { Self.search(UnsafeBufferPointer(rebasing: $0[range]), offset) }
    }

    /// Makes room for `n` entries at position `i` of delta `leaf`, moving it to a chunk of a
    /// larger class when its own is full; the caller fills `entryRange(leaf)[i ..< i + n]`.
    mutating func openGap(_ leaf: UInt32, at i: Int, _ n: Int) {
        let l = Int(leaf)
        let count = Int(leaves[l].count), start = Int(leaves[l].data), sizeClass = leaves[l].sizeClass
        if count + n <= EntryArena.capacity(sizeClass) {
            arena.withEntries { $0.move(from: start + i, to: start + i + n, count - i) }
        } else {
            // Grown by a run, the chunk gets room for one more of the same length: sequential
            // runs into a leaf then move its entries every other run instead of every run.
            let room = n > 1 ? min(count + 2 * n, EntryArena.capacities[EntryArena.capacities.count - 1]) : count + n
            let larger = EntryArena.sizeClass(for: room)
            let moved = Int(arena.allocate(larger))
            arena.withEntries { e in
                e.move(from: start, to: moved, i)
                e.move(from: start + i, to: moved + i + n, count - i)
            }
            arena.release(UInt32(start), sizeClass)
            leaves[l].data = UInt32(moved)
            leaves[l].sizeClass = larger
        }
        leaves[l].count = UInt16(count + n)
    }

    /// Makes the leaf at directory slot `li` of `map` a dense leaf only this map uses: a shared
    /// dense leaf is copied, a delta promoted. For runs that cover much of a leaf, where
    /// slot-by-slot deltas would cost more than the copy.
    /// - Complexity: O(leafSize).
    mutating func privatize(_ map: inout BlockMap, _ li: Int) {
        let leaf = map.directory[li]
        let l = Int(leaf)
        if leaves[l].isDense {
            guard leaves[l].refs > 1 || leaves[l].baseUsers > 0 else { return }
            // Copied within the slot arena and its blocks retained there, with no array between.
            let copy = newDenseLeaf(refs: 1, copying: leaf)
            retainSlots(of: copy)
            leaves[l].refs -= 1
            dropReader(of: leaf)  // the leaf keeps a reader (checked above), so it stays
            map.directory[li] = copy
            stats.denseLeavesCreated += 1
        } else {
            let own = leaves[l].refs > 1 ? copyDelta(leaf) : leaf
            map.directory[li] = promote(own)
        }
    }

    /// Registers `delta` (holding its entries already) as a user of dense leaf `base`.
    mutating func attach(_ delta: UInt32, to base: UInt32) {
        let b = Int(base), bd = denseIndex(base)
        leaves[Int(delta)].baseIndex = UInt32(dense[bd].deltas.count)
        dense[bd].deltas.append(delta)
        leaves[b].baseUsers += 1
        if !dense[bd].shadow.isEmpty {
            for k in entryRange(delta) { dense[bd].shadow[Int(arena.offsets[k])] += 1 }
        }
    }

    /// Removes `delta` from its base's users; its entries stay as they are.
    mutating func detach(_ delta: UInt32) {
        let b = Int(leaves[Int(delta)].base), bd = denseIndex(leaves[Int(delta)].base)
        let i = Int(leaves[Int(delta)].baseIndex)
        let last = dense[bd].deltas.removeLast()
        if last != delta {
            dense[bd].deltas[i] = last
            leaves[Int(last)].baseIndex = UInt32(i)
        }
        leaves[b].baseUsers -= 1
        if !dense[bd].shadow.isEmpty {
            for k in entryRange(delta) { dense[bd].shadow[Int(arena.offsets[k])] -= 1 }
        }
    }

    /// Builds `base`'s shadow counts from its deltas, once no directory reads it directly.
    mutating func materializeShadow(_ base: UInt32) {
        let b = Int(base), bd = denseIndex(base)
        guard dense[bd].shadow.isEmpty, leaves[b].refs == 0, leaves[b].baseUsers > 0 else { return }
        var shadow = [UInt32](repeating: 0, count: Self.leafSize)
        for d in dense[bd].deltas {
            for k in entryRange(d) { shadow[Int(arena.offsets[k])] += 1 }
        }
        dense[bd].shadow = shadow
    }

    /// An entry for `offset` was just added to a delta over `base`: release the base's block
    /// there if that delta was its last reader.
    @inline(__always)
    mutating func noteOverride(_ base: UInt32, _ offset: Int) {
        let b = Int(base), bd = denseIndex(base)
        guard !dense[bd].shadow.isEmpty else { return }  // a direct reader still sees every slot
        dense[bd].shadow[offset] += 1
        if dense[bd].shadow[offset] == leaves[b].baseUsers {  // refs == 0 once shadow exists
            let old = slotArena[(bd << Self.leafShift) + offset]
            if old != Self.hole { release(old) }
        }
    }

    /// After `base` lost one reader that did not override the offsets in `kept`: release the
    /// blocks of slots nobody reads any more, and the leaf itself when nothing uses it.
    /// - Complexity: O(1) when the base has no deltas; O(leafSize) otherwise.
    mutating func dropReader(of base: UInt32, keeping kept: [UInt64] = []) {
        let b = Int(base), bd = denseIndex(base)
        let remaining = leaves[b].refs + leaves[b].baseUsers
        if remaining == 0 {
            // Every slot still read dies now (shadow <= baseUsers, so only slots in `kept` can
            // have been dead already: those the departing reader overrode).
            var dying = denseSlots(base)
            for e in kept { dying[Int(e >> 32)] = Self.hole }
            for block in dying where block != Self.hole { release(block) }
            freeLeaf(base)
            return
        }
        guard leaves[b].refs == 0 else { return }  // a direct reader sees every slot
        // Only deltas read the leaf now. A slot not in `kept` lost a reader; it is dead iff
        // every remaining delta overrides it: shadow == baseUsers.
        materializeShadow(base)
        var dead: [Block] = []
        let start = bd << Self.leafShift
        dense[bd].shadow.withUnsafeBufferPointer { shadow in
            slotArena.withUnsafeBufferPointer { all in
                let slots = UnsafeBufferPointer(rebasing: all[start..<(start + Self.leafSize)])
                var next = 0
                for o in 0..<Self.leafSize where shadow[o] == remaining {
                    while next < kept.count && Int(kept[next] >> 32) < o { next += 1 }
                    if next < kept.count && Int(kept[next] >> 32) == o { continue }
                    if slots[o] != Self.hole { dead.append(slots[o]) }
                }
            }
        }
        for block in dead { release(block) }
    }

    /// Drops one directory reference to `leaf`.
    mutating func releaseLeafReference(_ leaf: UInt32) {
        let l = Int(leaf)
        leaves[l].refs -= 1
        if leaves[l].isDense {
            dropReader(of: leaf)
            return
        }
        guard leaves[l].refs == 0 else { return }
        let base = leaves[l].base
        let entries = entryArray(leaf)
        for e in entries {
            let block = Block(truncatingIfNeeded: e)
            if block != Self.hole { release(block) }
        }
        detach(leaf)
        freeLeaf(leaf)
        dropReader(of: base, keeping: entries)
    }

    /// Where a search of `count` entries for `offset` starts: the position `offset` would have
    /// if the entries' offsets were spread evenly over the leaf, as scattered writes leave them.
    @inline(__always)
    static func searchGuess(count: Int, offset: Int) -> Int { (offset * count) >> leafShift }

    /// The position of `offset` in sorted entries (found), or where it would be inserted.
    ///
    /// Large deltas span many cache lines, and a plain binary search misses on a new line at
    /// nearly every step. So the search starts at `searchGuess` (a line the burst path can
    /// prefetch) and gallops from there — 1, 2, 4… entries — to bracket the offset, then
    /// bisects the bracket: with evenly spread offsets the answer is a few entries from the
    /// guess; with clustered ones it costs O(log n) as before.
    @inline(__always)
    static func search(_ offsets: UnsafeBufferPointer<UInt16>, _ offset: Int) -> (found: Bool, index: Int) {
        let key = UInt16(truncatingIfNeeded: offset), n = offsets.count
        // Kept throughout: entries before `lo` are below `key`, entries from `hi` on are not.
        var lo = 0, hi = n
        if n > 16 {
            let guess = searchGuess(count: n, offset: offset)
            var step = 1
            if offsets[guess] < key {
                lo = guess + 1
                while lo + step - 1 < n && offsets[lo + step - 1] < key {
                    lo += step
                    step <<= 1
                }
                hi = min(n, lo + step - 1)
            } else {
                hi = guess
                while hi - step >= 0 && offsets[hi - step] >= key {
                    hi -= step
                    step <<= 1
                }
                lo = max(0, hi - step + 1)
            }
        }
        while lo < hi {
            let mid = (lo + hi) >> 1
            if offsets[mid] < key { lo = mid + 1 } else { hi = mid }
        }
        return (lo < n && offsets[lo] == key, lo)
    }

    /// A private copy of shared delta `leaf` (its entries gain a reader).
    mutating func copyDelta(_ leaf: UInt32) -> UInt32 {
        let l = Int(leaf)
        let base = leaves[l].base, count = Int(leaves[l].count)
        let from = entryRange(leaf)
        refCount.withAccess { rc in
            arena.blocks.withUnsafeBufferPointer { s in
                for k in from where s[k] != Self.hole { rc.increment(Int(s[k])) }
            }
        }
        leaves[l].refs -= 1
        stats.deltaCopies += 1
        let copy = newDeltaLeaf(refs: 1, base: base, capacity: count)
        let to = Int(leaves[Int(copy)].data)
        arena.withEntries { $0.move(from: from.lowerBound, to: to, count) }
        leaves[Int(copy)].count = UInt16(count)
        attach(copy, to: base)
        return copy
    }

    /// Turns unshared delta `leaf` into a dense leaf; returns the new leaf id.
    mutating func promote(_ leaf: UInt32) -> UInt32 {
        let base = leaves[Int(leaf)].base
        let entries = entryArray(leaf)
        detach(leaf)
        let refs = leaves[Int(leaf)].refs
        freeLeaf(leaf)
        // Built within the slot arena from the base (still alive: this delta's reader is
        // dropped below), with no 4 KiB array between. The new leaf reads the base's blocks at
        // the offsets the delta did not override...
        let promoted = newDenseLeaf(refs: refs, copying: base)
        let start = slotStart(promoted)
        refCount.withAccess { rc in
            slotArena.withUnsafeBufferPointer { all in
                // The stretches between the entries' offsets (entries are sorted by offset).
                var from = start
                for e in entries {
                    let o = start + Int(e >> 32)
                    if o > from { rc.incrementEach(UnsafeBufferPointer(rebasing: all[from..<o])) }
                    from = o + 1
                }
                rc.incrementEach(UnsafeBufferPointer(rebasing: all[from..<(start + Self.leafSize)]))
            }
        }
        // ...and takes over the delta's own (their references move with them).
        slotArena.withUnsafeMutableBufferPointer { all in
            for e in entries { all[start + Int(e >> 32)] = Block(truncatingIfNeeded: e) }
        }
        dropReader(of: base, keeping: entries)
        stats.promotions += 1
        return promoted
    }

    // MARK: Maps

    /// An empty map of `blocks` logical blocks: every slot a hole.
    public func newMap(blocks: Int) -> BlockMap {
        BlockMap(blockCount: blocks)
    }

    /// The block at logical index `index`, or `hole`.
    /// - Complexity: O(log 256) at most.
    public func read(_ map: BlockMap, _ index: Int) -> Block {
        let leaf = map.directory[index >> Self.leafShift]
        if leaf == Self.noLeaf { return Self.hole }
        let offset = index & Self.leafMask
        let base = leaves[Int(leaf)].base
        if base == Self.noLeaf { return slotArena[slotStart(leaf) + offset] }
        let range = entryRange(leaf)
        let (found, i) = arena.offsets.withUnsafeBufferPointer { Self.search(UnsafeBufferPointer(rebasing: $0[range]), offset) }
        return found ? arena.blocks[range.lowerBound + i] : slotArena[slotStart(base) + offset]
    }

    /// Every slot of `map` (holes included), as one array: for tests and reference models.
    public func contents(_ map: BlockMap) -> [Block] {
        var out = [Block](repeating: Self.hole, count: map.blockCount)
        forEachBlock(map) { i, b in out[i] = b }
        return out
    }

    /// Points slot `index` of `map` at `block` (which gains a reader); the block it pointed at
    /// loses one and is freed if nothing else reads it.
    /// - Complexity: O(1) amortised; O(entries) when the leaf is a shared delta.
    @discardableResult
    public mutating func set(_ map: inout BlockMap, _ index: Int, to block: Block) -> Block {
        // An existing block placed by hand may already be in this map elsewhere.
        if block != Self.hole { map.mayRepeatBlocks = true }
        return assign(&map, index, to: block)
    }

    /// Points slots of `map` at live blocks (dedup's remaps), leaving the blocks' new references
    /// to the caller, who adds them with `retain(counted:)` afterwards, so the counts are
    /// updated in block order rather than at random. `remaps` holds `offset << 32 | block`, by
    /// ascending offset; a private dense leaf takes its remaps through unsafe buffers at once.
    /// - Precondition: each block is live and keeps a reader of its own until then (a donor's
    ///   own slot, which the same pass never changes), and no slot's old block is one of them.
    mutating func remapDeferringRetain(_ map: inout BlockMap, _ remaps: UnsafeBufferPointer<UInt64>) {
        map.mayRepeatBlocks = true
        // Taken out, not copied: a second reference would make its first append copy it.
        var freed: [Block] = []
        swap(&freed, &scratchBlocks)
        freed.removeAll(keepingCapacity: true)
        var j = 0
        while j < remaps.count {
            let li = Int(remaps[j] >> 32) >> Self.leafShift
            var end = j + 1
            while end < remaps.count && Int(remaps[end] >> 32) >> Self.leafShift == li { end += 1 }
            let leaf = map.directory[li]
            guard leaf != Self.noLeaf, isPrivateDense(leaf) else {
                for r in j..<end { assign(&map, Int(remaps[r] >> 32), to: Block(truncatingIfNeeded: remaps[r]), retaining: false) }
                j = end
                continue
            }
            var newlyMapped = 0
            let start = slotStart(leaf)
            slotArena.withUnsafeMutableBufferPointer { all in
                let slots = UnsafeMutableBufferPointer(rebasing: all[start..<(start + Self.leafSize)])
                refCount.withAccess { rc in
                    for r in j..<end {
                        let o = Int(remaps[r] >> 32) & Self.leafMask
                        let old = slots[o]
                        slots[o] = Block(truncatingIfNeeded: remaps[r])
                        if old == Self.hole {
                            newlyMapped += 1
                        } else {
                            if rc.decrement(Int(old)) { freed.append(old) }
                        }
                    }
                }
            }
            map.mappedBlocks += newlyMapped
            j = end
        }
        freed.withUnsafeBufferPointer { releaseFreed($0) }
        scratchBlocks = freed
    }

    /// Bookkeeping for blocks whose count just reached 0, in bulk: charges by runs of one
    /// owner and free-bitmap bits through unsafe buffers, the arrays grown once.
    mutating func releaseFreed(_ freed: UnsafeBufferPointer<Block>) {
        guard let highest = freed.max() else { return }
        liveBlocks -= freed.count
        var i = 0
        while i < freed.count {
            let (o, j) = owner.run(of: freed, from: i)
            charge(o, i - j)
            i = j
        }
        if freedLog != nil { freedLog!.append(contentsOf: freed) }
        coverBitmaps(upTo: highest)
        freeCount += freed.count
        freeBits.withUnsafeMutableBufferPointer { bits in
            freeWords.withUnsafeMutableBufferPointer { words in
                freeWordGroups.withUnsafeMutableBufferPointer { groups in
                    for block in freed {
                        let w = Int(block) >> 6
                        let before = bits[w]
                        bits[w] = before | 1 << UInt64(block & 63)
                        // Freed ids come a few to a word: the summaries say so already unless
                        // the word was empty.
                        if before == 0 {
                            words[w >> 6] |= 1 << UInt64(w & 63)
                            groups[w >> 12] |= 1 << UInt64((w >> 6) & 63)
                        }
                    }
                }
            }
        }
    }

    /// `set` without marking the map: for blocks that were just allocated.
    @inline(__always)
    @discardableResult
    mutating func assign(_ map: inout BlockMap, _ index: Int, to block: Block, retaining: Bool = true) -> Block {
        let li = index >> Self.leafShift
        let offset = index & Self.leafMask
        var leaf = map.directory[li]
        if block != Self.hole && retaining { retain(block) }
        if leaf == Self.noLeaf {
            let fresh = newDenseLeaf(refs: 1)
            slotArena[slotStart(fresh) + offset] = block
            map.directory[li] = fresh
            stats.denseLeavesCreated += 1
            if block != Self.hole { map.mappedBlocks += 1 }
            return Self.hole
        }
        let l = Int(leaf)
        if leaves[l].isDense {
            let ld = denseIndex(leaf)
            let old = slotArena[(ld << Self.leafShift) + offset]
            if leaves[l].refs == 1 && leaves[l].baseUsers == 0 {
                slotArena[(ld << Self.leafShift) + offset] = block
                if old != Self.hole { release(old) }
            } else {
                // Shared: this map now reads the leaf through a new delta.
                leaves[l].refs -= 1
                let delta = newDeltaLeaf(refs: 1, base: leaf, capacity: 1)
                arena[Int(leaves[Int(delta)].data)] = UInt64(offset) << 32 | UInt64(block)
                leaves[Int(delta)].count = 1
                attach(delta, to: leaf)
                map.directory[li] = delta
                stats.deltaLeavesCreated += 1
                if leaves[l].refs == 0 {
                    // The last direct reader became this delta: only `offset` can have died.
                    materializeShadow(leaf)
                    if dense[ld].shadow[offset] == leaves[l].baseUsers && old != Self.hole { release(old) }
                }
            }
            map.mappedBlocks += (old == Self.hole ? 1 : 0) - (block == Self.hole ? 1 : 0)
            return old
        }
        if leaves[l].refs > 1 {
            leaf = copyDelta(leaf)
            map.directory[li] = leaf
        }
        let d = Int(leaf)
        let (found, i) = searchEntries(leaf, offset)
        var old: Block
        if found {
            let at = Int(leaves[d].data) + i
            old = arena.blocks[at]
            arena.blocks[at] = block
            if old != Self.hole { release(old) }
        } else {
            let base = leaves[d].base
            old = slotArena[slotStart(base) + offset]
            openGap(leaf, at: i, 1)
            arena[Int(leaves[d].data) + i] = UInt64(offset) << 32 | UInt64(block)
            noteOverride(base, offset)
            if Int(leaves[d].count) > Self.promoteThreshold {
                map.directory[li] = promote(leaf)
            }
        }
        map.mappedBlocks += (old == Self.hole ? 1 : 0) - (block == Self.hole ? 1 : 0)
        return old
    }

    /// Writes new data: allocates a block with `content` charged to `ownerID` and points slot
    /// `index` at it. Returns the new block.
    /// - Precondition: `freeBlocks > 0`.
    @discardableResult
    public mutating func write(_ map: inout BlockMap, _ index: Int, content value: UInt64, owner ownerID: UInt32) -> Block {
        let block = allocate(content: value, owner: ownerID)
        assign(&map, index, to: block)
        return block
    }

    /// `write`, returning the block the slot pointed at before (or `hole`).
    @inline(__always)
    public mutating func overwrite(_ map: inout BlockMap, _ index: Int, content value: UInt64, owner ownerID: UInt32) -> Block {
        assign(&map, index, to: allocate(content: value, owner: ownerID))
    }

    /// Writes `contents` into slots `start ..< start + contents.count`: the bulk form of
    /// `overwrite`. Blocks the slots pointed at before (not holes) are appended to `replaced`
    /// when `collectReplaced` is set.
    ///
    /// A private dense leaf (the common case for a volume's own data) is written through unsafe
    /// buffers with its new blocks allocated at once; any other leaf goes slot by slot.
    /// - Precondition: `freeBlocks >= contents.count`.
    public mutating func writeRun(_ map: inout BlockMap, at start: Int, contents: UnsafeBufferPointer<UInt64>, owner ownerID: UInt32,
                                  replaced: inout [Block], collectReplaced: Bool) {
        precondition(freeBlocks >= contents.count, "writeRun on a full store")
        var done = 0
        // Taken out, not copied: a second reference would make its first append copy it.
        var fresh: [Block] = []
        swap(&fresh, &scratchBlocks)
        // Room for the ids a leaf's run frees (at most one per slot), outside `self` so placing
        // the run can write it while `self` changes.
        let freed = UnsafeMutablePointer<Block>.allocate(capacity: min(contents.count, Self.leafSize))
        defer {
            scratchBlocks = fresh
            freed.deallocate()
        }
        while done < contents.count {
            let index = start + done
            let li = index >> Self.leafShift
            let offset = index & Self.leafMask
            let n = min(Self.leafSize - offset, contents.count - done)
            prepareLeaf(&map, li, runLength: n)
            if n == 1 && !isPrivateDense(map.directory[li]) {
                // One block (a random 4 KiB write): the single-slot path, no run arrays.
                let old = assign(&map, index, to: allocate(content: contents[done], owner: ownerID))
                if collectReplaced && old != Self.hole { replaced.append(old) }
                done += 1
                continue
            }
            // Allocated leaf by leaf, after the leaf is ready: ids the previous leaf (or a
            // promotion) freed are handed out again at once, as a block at a time would.
            allocateRun(n, contents: UnsafeBufferPointer(rebasing: contents[done..<(done + n)]), owner: ownerID, into: &fresh)
            var freedCount = 0
            fresh.withUnsafeBufferPointer { ids in
                placeRun(&map, li, offset: offset, ids: ids, replaced: &replaced, collectReplaced: collectReplaced,
                         freed: freed, freedCount: &freedCount)
            }
            releaseFreed(UnsafeBufferPointer(start: freed, count: freedCount))
            done += n
        }
    }

    /// A dense leaf only one directory slot reads (written in place).
    @inline(__always)
    func isPrivateDense(_ leaf: UInt32) -> Bool {
        let record = leaves[Int(leaf)]
        return record.isDense && record.refs == 1 && record.baseUsers == 0
    }

    /// Gets directory slot `li` of `map` ready for a run of `n` blocks: a new dense leaf where
    /// there is none, and a private one where the run covers enough of the leaf that
    /// slot-by-slot deltas would cost more than the copy.
    @inline(__always)
    mutating func prepareLeaf(_ map: inout BlockMap, _ li: Int, runLength n: Int) {
        if map.directory[li] == Self.noLeaf {
            map.directory[li] = newDenseLeaf(refs: 1)
            stats.denseLeavesCreated += 1
        }
        if n >= Self.leafSize / 16 { privatize(&map, li) }
    }

    /// Points slots `offset ..< offset + ids.count` of leaf `li` of `map` (prepared) at `ids`:
    /// allocated blocks nothing reads yet. A private dense leaf takes them through unsafe
    /// buffers, and the blocks it stops reading whose count reaches 0 are written to
    /// `freed[freedCount...]` for `releaseFreed` (room for `ids.count` more: a slot frees at most
    /// one); any other leaf goes through a delta merge, which does the same with the entries it
    /// overrides (or `assign` for one block).
    mutating func placeRun(_ map: inout BlockMap, _ li: Int, offset: Int, ids: UnsafeBufferPointer<Block>, replaced: inout [Block],
                           collectReplaced: Bool, freed: UnsafeMutablePointer<Block>, freedCount: inout Int) {
        let leaf = map.directory[li]
        guard isPrivateDense(leaf) else {
            if ids.count == 1 {
                let old = assign(&map, (li << Self.leafShift) + offset, to: ids[0])
                if collectReplaced && old != Self.hole { replaced.append(old) }
            } else {
                mergeRun(&map, li, offset: offset, blocks: ids, replaced: &replaced, collectReplaced: collectReplaced,
                         freed: freed, freedCount: &freedCount)
            }
            return
        }
        var newlyMapped = 0, freedNow = freedCount
        let first = slotStart(leaf) + offset, lines = freedLines
        slotArena.withUnsafeMutableBufferPointer { all in
            let slots = all.baseAddress! + first
            if collectReplaced {
                for k in 0..<ids.count where slots[k] != Self.hole { replaced.append(slots[k]) }
            }
            // The hot loop of sequential writes: nothing in it but the slots and the counts.
            refCount.withAccess { rc in
                for k in 0..<ids.count {
                    let block = ids[k], old = slots[k]
                    slots[k] = block
                    rc.setFresh(Int(block))
                    if old == Self.hole {
                        newlyMapped &+= 1
                    } else if rc.decrement(Int(old)) {
                        freed[freedNow] = old
                        freedNow &+= 1
                        lines.prefetch(old)
                    }
                }
            }
        }
        freedCount = freedNow
        map.mappedBlocks += newlyMapped
    }

    /// Points slots `offset ..< offset + blocks.count` of the shared or delta leaf at directory
    /// slot `li` at `blocks` (fresh, reference count 0) through the map's delta: one merge of
    /// the sorted entries instead of one insert per block. The blocks of entries it overrides
    /// whose count reaches 0 go to `freed[freedCount...]`, as in `placeRun`.
    mutating func mergeRun(_ map: inout BlockMap, _ li: Int, offset: Int, blocks: UnsafeBufferPointer<Block>, replaced: inout [Block],
                           collectReplaced: Bool, freed: UnsafeMutablePointer<Block>, freedCount: inout Int) {
        var leaf = map.directory[li]
        if leaves[Int(leaf)].isDense {
            // A shared dense leaf: this map now reads it through a new, empty delta.
            let base = leaf
            leaves[Int(base)].refs -= 1
            leaf = newDeltaLeaf(refs: 1, base: base, capacity: blocks.count)
            attach(leaf, to: base)
            materializeShadow(base)  // if that was the last direct reader; nothing dies yet
            stats.deltaLeavesCreated += 1
        } else if leaves[Int(leaf)].refs > 1 {
            leaf = copyDelta(leaf)
        }
        map.directory[li] = leaf
        let d = Int(leaf)
        let base = leaves[d].base
        let end = offset + blocks.count
        // The run covers offsets `offset ..< end`, so the entries it overrides are the `m` from
        // `at` on, and the merged entries are those before them, the run's, and those after:
        // the run's replace them in place, with no array between.
        let (_, at) = searchEntries(leaf, offset)
        let data = Int(leaves[d].data), count = Int(leaves[d].count)
        var m = 0
        while at + m < count && Int(arena.offsets[data + at + m]) < end { m += 1 }
        var newlyMapped = 0, freedNow = freedCount
        let firstSlot = slotStart(base) + offset, lines = freedLines
        // Through buffers: one uniqueness check per run, not one per block. A block of an
        // overridden entry loses this delta's reference; freed, it goes to `freed` as in
        // `placeRun`.
        refCount.withAccess { rc in
            slotArena.withUnsafeBufferPointer { slots in
                arena.offsets.withUnsafeBufferPointer { offsets in
                    arena.blocks.withUnsafeBufferPointer { entryBlocks in
                        var j = data + at
                        for (k, block) in blocks.enumerated() {
                            rc.setFresh(Int(block))
                            // What the map read there: an entry it had, or the base's slot.
                            let previous: Block
                            if j < data + at + m && Int(offsets[j]) == offset + k {
                                previous = entryBlocks[j]
                                j += 1
                                if previous != Self.hole && rc.decrement(Int(previous)) {
                                    freed[freedNow] = previous
                                    freedNow &+= 1
                                    lines.prefetch(previous)
                                }
                            } else {
                                previous = slots[firstSlot + k]
                            }
                            if previous == Self.hole { newlyMapped += 1 } else if collectReplaced { replaced.append(previous) }
                        }
                    }
                }
            }
        }
        freedCount = freedNow
        // At the offsets no entry had, the base gains an override, noted while a shadow exists
        // (no direct reader left): checked once for the run, not once a block.
        if !dense[denseIndex(base)].shadow.isEmpty {
            var j = data + at
            for o in offset..<end {
                if j < data + at + m && Int(arena.offsets[j]) == o { j += 1 } else { noteOverride(base, o) }
            }
        }
        if blocks.count > m { openGap(leaf, at: at + m, blocks.count - m) }
        let first = Int(leaves[d].data) + at
        arena.withEntries { e in
            for (k, block) in blocks.enumerated() {
                e.offsets[first + k] = UInt16(offset + k)
                e.blocks[first + k] = block
            }
        }
        map.mappedBlocks += newlyMapped
        if Int(leaves[d].count) > Self.promoteThreshold { map.directory[li] = promote(leaf) }
    }

    /// `n` new blocks at once (reference count 0: the caller points slots at them).
    mutating func allocateRun(_ n: Int, contents values: UnsafeBufferPointer<UInt64>, owner ownerID: UInt32, into ids: inout [Block]) {
        ids.removeAll(keepingCapacity: true)
        let reused = min(n, freeCount)
        takeFreed(reused, into: &ids)
        ids.withUnsafeBufferPointer { taken in
            content.set(taken, to: UnsafeBufferPointer(rebasing: values[0..<reused]))
            owner.set(taken, to: ownerID)
        }
        if n > reused {
            let first = refCount.count
            refCount.appendZeros(n - reused)
            owner.append(ownerID, count: n - reused)
            content.append(contentsOf: UnsafeBufferPointer(rebasing: values[reused..<n]))
            ids.append(contentsOf: (first..<(first + n - reused)).lazy.map { Block($0) })
        }
        liveBlocks += n
        charge(ownerID, n)
    }

    /// The slots of leaf `li` of `map` as the map sees them (holes included), for passes that
    /// change the store between leaves and so cannot hold `forEachLeaf`'s buffers.
    public func slots(_ map: BlockMap, leaf li: Int) -> [Block] {
        let leaf = map.directory[li]
        guard leaf != Self.noLeaf else { return [] }
        var scratch: [Block] = []
        return withView(of: leaf, count: min(Self.leafSize, map.blockCount - (li << Self.leafShift)), scratch: &scratch) { Array($0) }
    }

    /// Calls `body` with the first `count` slots of `leaf` as a map sees them: a dense leaf's
    /// own buffer, or a delta's base with its entries laid over it (built in `scratch`).
    @inline(__always)
    func withView<R>(of leaf: UInt32, count: Int, scratch: inout [Block], _ body: (UnsafeBufferPointer<Block>) -> R) -> R {
        let base = leaves[Int(leaf)].base
        if base == Self.noLeaf {
            let start = slotStart(leaf)
            return slotArena.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[start..<(start + count)])) }
        }
        // Copied into the caller's buffer, reused leaf after leaf (no allocation per delta).
        if scratch.count != Self.leafSize { scratch = [Block](repeating: Self.hole, count: Self.leafSize) }
        scratch.withUnsafeMutableBufferPointer { out in
            let start = slotStart(base)
            slotArena.withUnsafeBufferPointer { _ = out.update(fromContentsOf: $0[start..<(start + Self.leafSize)]) }
            for k in entryRange(leaf) { out[Int(arena.offsets[k])] = arena.blocks[k] }
        }
        return scratch.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[0..<count])) }
    }

    /// Entries in `map`'s directory (empty ones included): the range of `slots(_:leaf:)`.
    public func directorySize(_ map: BlockMap) -> Int { map.directory.count }

    /// Calls `body(firstIndex, slots)` once per leaf of `map` with the leaf's slots as seen by the
    /// map (holes included; a delta's overrides applied), for bulk passes over a whole map.
    @inline(__always)
    public func forEachLeaf(_ map: BlockMap, _ body: (Int, UnsafeBufferPointer<Block>) -> Void) {
        var scratch: [Block] = []
        for (li, leaf) in map.directory.enumerated() where leaf != Self.noLeaf {
            let start = li << Self.leafShift
            withView(of: leaf, count: min(Self.leafSize, map.blockCount - start), scratch: &scratch) { body(start, $0) }
        }
    }

    /// The ranges of `map` its leaves cover, merged where adjacent: every mapped slot lies in
    /// one (holes may too), so a pass over mapped slots costs the leaves, not the map's size.
    /// `within` (default: all of it) limits the leaves looked at, and the ranges, to its own.
    /// - Complexity: O(leaves within).
    public func leafRanges(_ map: BlockMap, within: Range<Int>? = nil) -> [Range<Int>] {
        var out: [Range<Int>] = []
        let bounds = (within ?? 0..<map.blockCount).clamped(to: 0..<map.blockCount)
        guard !bounds.isEmpty else { return [] }
        for li in (bounds.lowerBound >> Self.leafShift)...((bounds.upperBound - 1) >> Self.leafShift) where map.directory[li] != Self.noLeaf {
            let start = max(li << Self.leafShift, bounds.lowerBound), end = min((li << Self.leafShift) + Self.leafSize, bounds.upperBound)
            if let last = out.last, last.upperBound == start { out[out.count - 1] = last.lowerBound..<end } else { out.append(start..<end) }
        }
        return out
    }

    /// A second map sharing every leaf of `map`.
    /// - Complexity: O(blockCount / leafSize); no block is touched.
    public mutating func copy(_ map: BlockMap) -> BlockMap {
        for leaf in map.directory where leaf != Self.noLeaf {
            leaves[Int(leaf)].refs += 1
        }
        return map
    }

    /// Gives up `map`: every block only it read is freed.
    /// - Complexity: O(leaves); O(leafSize) more per leaf whose last reader this was.
    public mutating func release(_ map: BlockMap) {
        for leaf in map.directory where leaf != Self.noLeaf {
            releaseLeafReference(leaf)
        }
    }

    /// Calls `body(index, block)` for every mapped slot, in index order.
    @inline(__always)
    public func forEachBlock(_ map: BlockMap, _ body: (Int, Block) -> Void) {
        forEachLeaf(map) { start, slots in
            for o in slots.indices where slots[o] != Self.hole { body(start + o, slots[o]) }
        }
    }
}

/// One logical address space's view of the store: a directory of leaves.
///
/// A plain value, but not one to copy freely: a copy must come from `BlockStore.copy` (which
/// counts the new reference) and every map must end in `BlockStore.release`.
public struct BlockMap: Sendable, Equatable {
    var directory: [UInt32]
    /// Logical size in blocks.
    public private(set) var blockCount: Int
    /// Slots that point at a block (logical used), kept up to date by the store.
    public internal(set) var mappedBlocks: Int = 0
    /// False while every block in the map was written into it fresh (or copied with the map):
    /// then no block appears in it twice.
    public internal(set) var mayRepeatBlocks = false

    init(blockCount: Int) {
        self.blockCount = blockCount
        directory = [UInt32](repeating: BlockStore.noLeaf,
                             count: (blockCount + BlockStore.leafSize - 1) >> BlockStore.leafShift)
    }

    /// A longer logical address space (new slots are holes). Every leaf is `leafSize` slots
    /// whatever the map's size, and slots past the old size were never written, so growing only
    /// adds directory entries. [ReFS SetEndOfFile, reflink destinations that grow]
    mutating func grow(to blocks: Int) {
        precondition(blocks >= blockCount, "a map only grows")
        blockCount = blocks
        let leaves = (blocks + BlockStore.leafSize - 1) >> BlockStore.leafShift
        if leaves > directory.count { directory.append(contentsOf: repeatElement(BlockStore.noLeaf, count: leaves - directory.count)) }
    }

    /// Leaves this map references (for memory estimates).
    public var leafCount: Int { directory.lazy.filter { $0 != BlockStore.noLeaf }.count }
}

extension BlockStore {
    /// For every block, the number of map slots that read it, over all maps — computed from the
    /// leaves (each leaf's readers weighted by its directory references), so a Snapshot copy
    /// sharing all its leaves costs nothing here.
    /// - Complexity: O(leaves × leafSize).
    public func slotReaders() -> [UInt32] {
        var total = [UInt32](repeating: 0, count: refCount.count)
        var deltaRefs = [UInt32](repeating: 0, count: leaves.count)
        var overriding: [Int: [UInt32]] = [:]
        for (id, leaf) in leaves.enumerated() where leaf.live && !leaf.isDense {
            deltaRefs[Int(leaf.base)] += leaf.refs
            for e in entryArray(UInt32(id)) {
                overriding[Int(leaf.base), default: [UInt32](repeating: 0, count: Self.leafSize)][Int(e >> 32)] += leaf.refs
                let block = Block(truncatingIfNeeded: e)
                if block != Self.hole { total[Int(block)] += leaf.refs }
            }
        }
        for (id, leaf) in leaves.enumerated() where leaf.live && leaf.isDense {
            let weight = leaf.refs + deltaRefs[id]
            let over = overriding[id]
            let slots = denseSlots(UInt32(id))
            for o in 0..<Self.leafSize where slots[o] != Self.hole {
                let w = weight - (over?[o] ?? 0)
                if w > 0 { total[Int(slots[o])] += w }
            }
        }
        return total
    }
}
