import Testing
@testable import BlockModel

/// The store against a naive model: one array of block ids per map, and a block is live iff
/// some map holds it.
struct BlockStoreTests {
    typealias Block = BlockStore.Block

    /// A tiny deterministic generator (tests of the model must not depend on GSL).
    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    /// The galloping search from a guess finds what a plain lower bound finds, on entries spread
    /// evenly, clustered at either end, packed, and with every offset present or absent.
    @Test(arguments: 0..<6)
    func deltaSearchAgreesWithALowerBound(shape: Int) {
        var rng = SplitMix(state: UInt64(shape) + 1)
        for count in [0, 1, 5, 16, 17, 40, 100, 256, 320] {
            var offsets = Set<Int>()
            while offsets.count < count {
                switch shape {
                case 0: offsets.insert(rng.below(BlockStore.leafSize))
                case 1: offsets.insert(rng.below(count + 40))  // clustered low
                case 2: offsets.insert(BlockStore.leafSize - 1 - rng.below(count + 40))  // clustered high
                case 3: offsets.insert(offsets.count)  // packed from 0
                case 4: offsets.insert(500 + rng.below(count + 8))  // clustered mid
                default: offsets.insert(rng.below(2) == 0 ? rng.below(30) : BlockStore.leafSize - 1 - rng.below(30 + count))
                }
            }
            let entries = offsets.sorted().map { UInt64($0) << 32 | 7 }
            entries.map { UInt16($0 >> 32) }.withUnsafeBufferPointer { buffer in
                for offset in 0..<BlockStore.leafSize {
                    let expected = entries.firstIndex { $0 >> 32 >= UInt64(offset) } ?? entries.count
                    let (found, index) = BlockStore.search(buffer, offset)
                    #expect(index == expected && found == offsets.contains(offset), "shape \(shape), \(count) entries, offset \(offset)")
                    if index != expected { return }
                }
            }
        }
    }

    /// Owner numbers are kept in two bytes until one does not fit; then every block keeps its
    /// owner and the charges stay right.
    @Test func ownersPast16BitsWidenTheOwnerColumn() {
        var store = BlockStore(capacity: 1000)
        var a = store.newMap(blocks: 100)
        for i in 0..<50 { store.write(&a, i, content: UInt64(i), owner: 7) }
        #expect(!store.owner.isWide)
        for i in 50..<60 { store.write(&a, i, content: UInt64(i), owner: 70_000) }
        #expect(store.owner.isWide)
        #expect(store.ownerOf(store.read(a, 3)) == 7 && store.ownerOf(store.read(a, 55)) == 70_000)
        #expect(store.owned(by: 7) == 50 && store.owned(by: 70_000) == 10)
        store.write(&a, 55, content: 1, owner: 7)  // frees a block of owner 70,000
        #expect(store.owned(by: 7) == 51 && store.owned(by: 70_000) == 9)
        #expect(store.invariantViolations(maps: [a]).isEmpty)
    }

    @Test func writeCopyOverwriteRelease() {
        var store = BlockStore(capacity: 10_000)
        var a = store.newMap(blocks: 3000)
        for i in 0..<3000 { store.write(&a, i, content: UInt64(i), owner: 0) }
        #expect(store.liveBlocks == 3000)
        var snap = store.copy(a)
        #expect(store.liveBlocks == 3000, "a copy touches no block")
        store.write(&a, 5, content: 99, owner: 0)
        #expect(store.liveBlocks == 3001, "the overwritten block is still held by the copy")
        #expect(store.read(snap, 5) != store.read(a, 5))
        #expect(store.contentOf(store.read(snap, 5)) == 5)
        store.write(&a, 5, content: 100, owner: 0)
        #expect(store.liveBlocks == 3001, "overwriting a private block frees the old one")
        store.release(snap)
        #expect(store.liveBlocks == 3000)
        #expect(store.invariantViolations(maps: [a]).isEmpty)
        snap = store.copy(a)
        store.release(a)
        #expect(store.liveBlocks == 3000)
        store.release(snap)
        #expect(store.liveBlocks == 0)
        #expect(store.invariantViolations(maps: []).isEmpty)
    }

    /// The largest delta there can be: one at the promotion threshold (every other slot of a
    /// leaf's start) that takes a run just short of the length that privatises instead. Its
    /// entries fit the arena's largest chunk, it is promoted, and it reads as written.
    @Test func theLongestMergeIntoADeltaFitsAndPromotes() {
        let threshold = BlockStore.promoteThreshold, run = BlockStore.leafSize / 16 - 1
        #expect(threshold + run <= EntryArena.capacities.last!)
        var store = BlockStore(capacity: 10_000)
        var image = store.newMap(blocks: BlockStore.leafSize)
        for i in 0..<BlockStore.leafSize { store.write(&image, i, content: UInt64(i), owner: 0) }
        var clone = store.copy(image)
        for k in 0..<threshold { store.write(&clone, 2 * k, content: 5000 + UInt64(k), owner: 1) }
        #expect(store.stats.promotions == 0 && store.stats.deltaLeavesCreated == 1)
        let contents = (0..<run).map { 7000 + UInt64($0) }
        var replaced: [Block] = []
        contents.withUnsafeBufferPointer {
            store.writeRun(&clone, at: 2 * threshold, contents: $0, owner: 1, replaced: &replaced, collectReplaced: false)
        }
        #expect(store.stats.promotions == 1)
        let expected = (0..<BlockStore.leafSize).map { i -> UInt64 in
            if i < 2 * threshold { return i % 2 == 0 ? 5000 + UInt64(i / 2) : UInt64(i) }
            return i < 2 * threshold + run ? 7000 + UInt64(i - 2 * threshold) : UInt64(i)
        }
        #expect(store.contents(clone).map { store.contentOf($0) } == expected)
        #expect(store.contents(image).map { store.contentOf($0) } == (0..<BlockStore.leafSize).map { UInt64($0) })
        #expect(store.invariantViolations(maps: [image, clone]).isEmpty)
    }

    @Test func scatteredWritesIntoACloneStayDeltas() {
        var store = BlockStore(capacity: 200_000)
        var image = store.newMap(blocks: 100_000)
        for i in 0..<100_000 { store.write(&image, i, content: UInt64(i), owner: 0) }
        var clone = store.copy(image)
        var rng = SplitMix(state: 1)
        for _ in 0..<1000 { store.write(&clone, rng.below(100_000), content: rng.next(), owner: 1) }
        #expect(store.stats.promotions == 0)
        #expect(store.stats.deltaLeavesCreated == clone.leafCount)
        #expect(store.owned(by: 1) == store.liveBlocks - 100_000)
        #expect(store.invariantViolations(maps: [image, clone]).isEmpty)
    }

    /// Random operations on up to 6 maps, compared after every step with the naive model.
    @Test(arguments: 0..<40)
    func randomOperationsMatchTheNaiveModel(seed: UInt64) {
        var rng = SplitMix(state: seed)
        let blocks = 1 + rng.below(5000)
        var store = BlockStore(capacity: 1_000_000)
        var maps: [BlockMap] = [store.newMap(blocks: blocks)]
        var naive: [[Block]] = [[Block](repeating: BlockStore.hole, count: blocks)]
        for step in 0..<300 {
            let op = rng.below(10)
            let m = rng.below(maps.count)
            var what = ""
            switch op {
            case 0...5:  // a burst of writes: scattered or sequential
                let count = 1 + rng.below(op < 3 ? 8 : 600)
                let start = rng.below(blocks)
                if op >= 4 {
                    // The bulk path: one run, through dense, delta, merge and privatise cases.
                    let n = min(count, blocks - start)
                    let values = (0..<n).map { _ in rng.next() }
                    var replaced: [Block] = []
                    let before = (start..<(start + n)).map { store.read(maps[m], $0) }
                    values.withUnsafeBufferPointer {
                        store.writeRun(&maps[m], at: start, contents: $0, owner: UInt32(m % 3), replaced: &replaced, collectReplaced: true)
                    }
                    #expect(replaced == before.filter { $0 != BlockStore.hole }, "writeRun reports the blocks it replaced")
                    for k in 0..<n {
                        naive[m][start + k] = store.read(maps[m], start + k)
                        #expect(store.contentOf(naive[m][start + k]) == values[k])
                    }
                    what = "writeRun \(n) at \(start) into \(m)"
                } else {
                    for k in 0..<count {
                        let i = op < 3 ? rng.below(blocks) : (start + k) % blocks
                        naive[m][i] = store.write(&maps[m], i, content: rng.next(), owner: UInt32(m % 3))
                    }
                    what = "write \(count) into \(m)"
                }
            case 6 where maps.count < 6, 7 where maps.count < 6:  // at most 6 maps
                maps.append(store.copy(maps[m]))
                naive.append(naive[m])
                what = "copy \(m)"
            case 8 where maps.count > 1:
                store.release(maps.remove(at: m))
                naive.remove(at: m)
                what = "release \(m)"
            default:  // share a block of one map into another slot (dedup/clone-like)
                let i = rng.below(blocks), j = rng.below(blocks)
                let other = rng.below(maps.count)
                let block = store.read(maps[m], i)
                store.set(&maps[other], j, to: block)
                naive[other][j] = block
                what = "place \(m)[\(i)] into \(other)[\(j)]"
            }
            for (k, map) in maps.enumerated() where store.contents(map) != naive[k] {
                Issue.record("seed \(seed) step \(step) (\(what)): map \(k) differs")
                return
            }
            var seen = [Bool](repeating: false, count: store.blockIDLimit)
            var live = 0
            for map in naive {
                for b in map where b != BlockStore.hole && !seen[Int(b)] {
                    seen[Int(b)] = true
                    live += 1
                }
            }
            #expect(store.liveBlocks == live, "seed \(seed) step \(step) (\(what))")
            let problems = store.invariantViolations(maps: maps)
            if !problems.isEmpty {
                Issue.record("seed \(seed) step \(step) (\(what)): \(problems.prefix(3))")
                return
            }
        }
    }
}
