/// A least-recently-used cache of fixed size over 64-bit keys: one slot per cached block.
///
/// The recency list is threaded through arrays (no node objects) and a dictionary finds a key's
/// slot, so an access is O(1) and a cache of millions of blocks costs ~30 bytes a block.
public struct LRUCache: Sendable {
    public let capacity: Int
    public private(set) var hits = 0
    public private(set) var misses = 0
    var slots: [UInt64: Int32] = [:]
    var keys: [UInt64] = []
    var previous: [Int32] = []
    var next: [Int32] = []
    /// Most and least recently used slots (-1 while empty).
    var head: Int32 = -1
    var tail: Int32 = -1

    public init(capacity: Int) {
        precondition(capacity >= 0 && capacity < Int(Int32.max), "cache capacity fits 32-bit slots")
        self.capacity = capacity
    }

    public var accesses: Int { hits + misses }
    public var hitRate: Double { accesses == 0 ? 0 : Double(hits) / Double(accesses) }
    /// Keys cached now.
    public var count: Int { keys.count }

    /// Reads `key`: true on a hit. A miss caches it, evicting the least recently used key when full.
    @discardableResult
    public mutating func access(_ key: UInt64) -> Bool {
        if let s = slots[key] {
            hits += 1
            moveToFront(s)
            return true
        }
        misses += 1
        guard capacity > 0 else { return false }
        let s: Int32
        if keys.count < capacity {
            s = Int32(keys.count)
            keys.append(key)
            previous.append(-1)
            next.append(-1)
        } else {
            s = tail
            slots[keys[Int(s)]] = nil
            unlink(s)
            keys[Int(s)] = key
        }
        slots[key] = s
        pushFront(s)
        return false
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
        unshared.access(UInt64(object) << 32 | UInt64(UInt32(truncatingIfNeeded: offset)))
    }

    public mutating func resetCounts() {
        shared.resetCounts()
        unshared.resetCounts()
    }
}
