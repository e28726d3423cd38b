/// A least-recently-used cache of fixed size over 64-bit keys: one slot per cached block.
///
/// The recency list is threaded through arrays (no node objects) and an open-addressing index
/// (linear probing, deletion by backward shift) finds a key's slot: an access is O(1), a cache
/// of millions of blocks costs ~32 bytes a block, and a boot storm of tens of millions of
/// reads takes seconds (a `Dictionary` index was ~3x slower).
public struct LRUCache: Sendable {
    public let capacity: Int
    public private(set) var hits = 0
    public private(set) var misses = 0
    var index: SlotIndex
    var keys: [UInt64] = []
    var previous: [Int32] = []
    var next: [Int32] = []
    /// Most and least recently used slots (-1 while empty).
    var head: Int32 = -1
    var tail: Int32 = -1
    /// Slots emptied by `invalidate`, filled before the least recently used key is evicted.
    var vacant: [Int32] = []

    public init(capacity: Int) {
        precondition(capacity >= 0 && capacity < Int(Int32.max), "cache capacity fits 32-bit slots")
        self.capacity = capacity
        index = SlotIndex(capacity: capacity)
    }

    public var accesses: Int { hits + misses }
    public var hitRate: Double { accesses == 0 ? 0 : Double(hits) / Double(accesses) }
    /// Keys cached now.
    public var count: Int { keys.count - vacant.count }

    /// Reads `key`: true on a hit. A miss caches it, evicting the least recently used key when full.
    @discardableResult
    public mutating func access(_ key: UInt64) -> Bool {
        if let s = index.find(key) {
            hits += 1
            moveToFront(s)
            return true
        }
        misses += 1
        guard capacity > 0 else { return false }
        let s: Int32
        if let free = vacant.popLast() {
            s = free
            keys[Int(s)] = key
        } else if keys.count < capacity {
            s = Int32(keys.count)
            keys.append(key)
            previous.append(-1)
            next.append(-1)
        } else {
            s = tail
            index.remove(keys[Int(s)])
            unlink(s)
            keys[Int(s)] = key
        }
        index.insert(key, s)
        pushFront(s)
        return false
    }

    /// Drops `key` if it is cached (its data changed, so a read must miss), freeing its slot
    /// without evicting anything; counts no access.
    public mutating func invalidate(_ key: UInt64) {
        guard let s = index.find(key) else { return }
        index.remove(key)
        unlink(s)
        vacant.append(s)
    }

    /// Starts counting hits and misses afresh; the cached keys stay.
    public mutating func resetCounts() {
        hits = 0
        misses = 0
    }

    mutating func moveToFront(_ s: Int32) {
        guard s != head else { return }
        unlink(s)
        pushFront(s)
    }

    mutating func unlink(_ s: Int32) {
        let p = previous[Int(s)], n = next[Int(s)]
        if p >= 0 { next[Int(p)] = n } else { head = n }
        if n >= 0 { previous[Int(n)] = p } else { tail = p }
        previous[Int(s)] = -1
        next[Int(s)] = -1
    }

    mutating func pushFront(_ s: Int32) {
        next[Int(s)] = head
        previous[Int(s)] = -1
        if head >= 0 { previous[Int(head)] = s }
        head = s
        if tail < 0 { tail = s }
    }
}

/// Key → cache slot, open addressing at most half full.
struct SlotIndex: Sendable {
    static let empty = Int32(-1)
    var keys: [UInt64]
    var slots: [Int32]
    let shift: UInt64

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        keys = [UInt64](repeating: 0, count: size)
        slots = [Int32](repeating: Self.empty, count: size)
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    @inline(__always)
    func home(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    func find(_ key: UInt64) -> Int32? {
        let mask = slots.count - 1
        var i = home(key)
        while slots[i] != Self.empty {
            if keys[i] == key { return slots[i] }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Adds a key that is not there.
    mutating func insert(_ key: UInt64, _ slot: Int32) {
        let mask = slots.count - 1
        var i = home(key)
        while slots[i] != Self.empty { i = (i + 1) & mask }
        keys[i] = key
        slots[i] = slot
    }

    /// Removes a key that is there, moving later entries of its probe run back so every key
    /// stays reachable from its home position without tombstones.
    mutating func remove(_ key: UInt64) {
        let mask = slots.count - 1
        var i = home(key)
        while keys[i] != key || slots[i] == Self.empty { i = (i + 1) & mask }
        var hole = i
        var j = (i + 1) & mask
        while slots[j] != Self.empty {
            let h = home(keys[j])
            // Entry j may fill the hole if its home is not within (hole, j] cyclically.
            let between = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j)
            if !between {
                keys[hole] = keys[j]
                slots[hole] = slots[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        slots[hole] = Self.empty
    }
}

/// Flash Cache (MODEL.md §1, Replication and caching): an LRU cache over physical block ids,
/// so one cached copy of a shared block serves every clone that reads it ("cache
/// amplification"). The same reads also go to a twin cache of the same size in which every
/// object's blocks are distinct — the hit rate the reads would get without sharing.
public struct FlashCache: Sendable {
    public private(set) var shared: LRUCache
    public private(set) var unshared: LRUCache

    public init(capacityBlocks: Int) {
        shared = LRUCache(capacity: capacityBlocks)
        unshared = LRUCache(capacity: capacityBlocks)
    }

    /// One block read: `block` is the physical block, `object` and `offset` where it was read.
    public mutating func read(block: UInt32, object: UInt32, offset: Int) {
        shared.access(UInt64(block))
        unshared.access(Self.slotKey(object: object, offset: offset))
    }

    /// Forgets what writes made stale: physical blocks freed since (an id handed out again is
    /// a new block, which must not hit the old one's entry), and in the twin the slots
    /// written since (`slotKey`: without sharing, a write replaces that object's own block).
    public mutating func invalidate(freedBlocks: some Sequence<UInt32>, writtenSlots: some Sequence<UInt64>) {
        for b in freedBlocks { shared.invalidate(UInt64(b)) }
        for k in writtenSlots { unshared.invalidate(k) }
    }

    /// The twin's key for slot `offset` of object `object`.
    @inline(__always)
    public static func slotKey(object: UInt32, offset: Int) -> UInt64 {
        UInt64(object) << 32 | UInt64(UInt32(truncatingIfNeeded: offset))
    }

    public mutating func resetCounts() {
        shared.resetCounts()
        unshared.resetCounts()
    }
}
