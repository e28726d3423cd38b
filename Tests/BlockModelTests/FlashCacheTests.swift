import Testing
@testable import BlockModel

/// Flash Cache (MODEL.md §1): an LRU over physical block ids, and its no-sharing twin.
@Suite struct FlashCacheTests {
    /// LRU order by hand: capacity 2, reads a b a c b → miss miss hit miss(evicts b) miss(evicts a).
    @Test func leastRecentlyUsedKeyIsEvicted() {
        var cache = LRUCache(capacity: 2)
        let hits = [1, 2, 1, 3, 2].map { cache.access(UInt64($0)) }
        #expect(hits == [false, false, true, false, false])
        #expect(cache.hits == 1 && cache.misses == 4 && cache.count == 2)
        #expect(cache.access(2) && cache.access(3) && !cache.access(1))
        var none = LRUCache(capacity: 0)
        #expect(!none.access(7) && !none.access(7) && none.hitRate == 0)
    }

    /// An invalidated key misses next time, and its slot is filled before anything is evicted:
    /// capacity 2, reads a b, invalidate a, read c (no eviction: b stays), b hits, a misses
    /// (evicting c, the least recently used).
    @Test func invalidatedKeyMissesAndFreesItsSlot() {
        var cache = LRUCache(capacity: 2)
        var hits = [1, 2].map { cache.access(UInt64($0)) }
        cache.invalidate(1)
        cache.invalidate(9)  // not cached: nothing happens
        #expect(cache.count == 1 && cache.hits == 0 && cache.misses == 2)
        hits += [3, 2, 1, 3, 1].map { cache.access(UInt64($0)) }
        #expect(hits == [false, false, false, true, false, false, true])
        #expect(cache.count == 2)
    }

    /// Against a naive LRU (an array, most recent first) over random keys: same hit or miss on
    /// every access, which exercises the index's deletions on every eviction; one step in five
    /// invalidates a key instead.
    @Test func agreesWithANaiveLRU() {
        for (capacity, keySpace) in [(1, 3), (7, 20), (64, 100), (500, 2000)] {
            var rng = BlockStoreTests.SplitMix(state: UInt64(capacity))
            var cache = LRUCache(capacity: capacity)
            var naive: [UInt64] = []
            for step in 0..<20_000 {
                let key = rng.next() % UInt64(keySpace) &* 0x1_0000_0001  // spread, and collide in the index
                let hit = naive.firstIndex(of: key)
                if rng.next() % 5 == 0 {
                    if let h = hit { naive.remove(at: h) }
                    cache.invalidate(key)
                    #expect(cache.count == naive.count, "capacity \(capacity) step \(step)")
                    continue
                }
                if let h = hit { naive.remove(at: h) } else if naive.count == capacity { naive.removeLast() }
                naive.insert(key, at: 0)
                #expect(cache.access(key) == (hit != nil), "capacity \(capacity) step \(step)")
            }
            #expect(cache.count == naive.count)
        }
    }

    /// The seed's cache amplification: N clones of an image boot at once. With a cache the size
    /// of one boot set, sharing misses only the first reader of each block — a hit rate of
    /// (N − 1) / N — while distinct blocks per clone miss every time.
    @Test(arguments: [4, 10, 50])
    func bootStormHitRateIsNMinusOneOverN(desktops: Int) throws {
        let bootSet = 100
        var a = Aggregate(name: "aggr", capacityBlocks: 10_000)
        try a.createVolume("vdi", sizeBlocks: 10_000)
        try a.createFile("vdi", "image", sizeBlocks: 400)
        try a.write("vdi", "image", at: 0, contents: (0..<400).map { UInt64($0) + 1 })
        for d in 0..<desktops { try a.cloneFile("vdi", "image", to: "desktop\(d)") }
        var cache = FlashCache(capacityBlocks: bootSet)
        // About the same time: round by round, 10 blocks of every desktop's boot set.
        for round in 0..<(bootSet / 10) {
            for d in 0..<desktops { try a.read("vdi", "desktop\(d)", blocks: (round * 10)..<(round * 10 + 10), through: &cache) }
        }
        #expect(cache.shared.accesses == desktops * bootSet)
        #expect(cache.shared.misses == bootSet)
        #expect(abs(cache.shared.hitRate - Double(desktops - 1) / Double(desktops)) < 1e-12)
        #expect(cache.unshared.hits == 0)
    }

    /// A freed block id handed out again is a new block: a read of it misses, though the old
    /// block under that id was cached. By hand: file a's block 0 is block id 0; it is read
    /// (miss), overwritten (the new block is id 1, id 0 is freed), and file b's first write takes
    /// id 0 again. Reading b's block 0 misses in both caches, and so does a's block 0: id 1 was
    /// never read, and in the twin (a, 0) was rewritten.
    @Test func freedAndReusedBlocksAndRewrittenSlotsMiss() throws {
        var a = Aggregate(name: "aggr", capacityBlocks: 100)
        try a.createVolume("v", sizeBlocks: 100)
        try a.createFile("v", "a", sizeBlocks: 4)
        try a.createFile("v", "b", sizeBlocks: 4)
        try a.write("v", "a", at: 0, contents: [1])
        var cache = FlashCache(capacityBlocks: 10)
        try a.read("v", "a", blocks: [0], through: &cache)
        #expect(cache.shared.misses == 1 && cache.unshared.misses == 1)
        try a.write("v", "a", at: 0, contents: [2])
        try a.write("v", "b", at: 0, contents: [3])
        func block(_ path: String) -> UInt32 { a.store.read(a.volumes["v"]!.files[path]!.map, 0) }
        #expect(block("a") == 1 && block("b") == 0)
        try a.read("v", "b", blocks: [0], through: &cache)
        try a.read("v", "a", blocks: [0], through: &cache)
        #expect(cache.shared.hits == 0 && cache.shared.misses == 3)
        #expect(cache.unshared.hits == 0 && cache.unshared.misses == 3)
        // Nothing written since: both blocks hit now, in both caches.
        try a.read("v", "a", blocks: [0], through: &cache)
        try a.read("v", "b", blocks: [0], through: &cache)
        #expect(cache.shared.hits == 2 && cache.unshared.hits == 2)
        #expect(cache.shared.count == 2 && cache.unshared.count == 2)
    }

    /// A desktop's own overwritten blocks are its own in both caches.
    @Test func overwrittenBlocksAreNotShared() throws {
        var a = Aggregate(name: "aggr", capacityBlocks: 10_000)
        try a.createVolume("vdi", sizeBlocks: 10_000)
        try a.createFile("vdi", "image", sizeBlocks: 100)
        try a.write("vdi", "image", at: 0, contents: (0..<100).map { UInt64($0) + 1 })
        for d in 0..<2 { try a.cloneFile("vdi", "image", to: "desktop\(d)") }
        try a.write("vdi", "desktop1", at: 0, contents: (0..<40).map { UInt64($0) + 1000 })
        var cache = FlashCache(capacityBlocks: 1000)
        try a.read("vdi", "desktop0", blocks: 0..<100, through: &cache)
        try a.read("vdi", "desktop1", blocks: 0..<100, through: &cache)
        #expect(cache.shared.hits == 60 && cache.shared.misses == 140)
        // Read again: everything is cached in both.
        try a.read("vdi", "desktop1", blocks: 0..<100, through: &cache)
        #expect(cache.shared.hits == 160 && cache.unshared.hits == 100)
    }
}
