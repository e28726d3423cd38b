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

    /// Against a naive LRU (an array, most recent first) over random keys: same hit or miss on
    /// every access, which exercises the index's deletions on every eviction.
    @Test func agreesWithANaiveLRU() {
        for (capacity, keySpace) in [(1, 3), (7, 20), (64, 100), (500, 2000)] {
            var rng = BlockStoreTests.SplitMix(state: UInt64(capacity))
            var cache = LRUCache(capacity: capacity)
            var naive: [UInt64] = []
            for step in 0..<20_000 {
                let key = rng.next() % UInt64(keySpace) &* 0x1_0000_0001  // spread, and collide in the index
                let hit = naive.firstIndex(of: key)
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
