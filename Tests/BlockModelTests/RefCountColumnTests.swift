import Testing
@testable import BlockModel

/// One byte a count, with counts of 255 and more kept aside: every way of changing a count
/// agrees with a plain array of counts across that boundary, and the column is canonical.
struct RefCountColumnTests {
    @Test func countsCrossTheOneByteBoundaryBothWays() {
        var column = RefCountColumn()
        column.appendZeros(3)
        var expected: [UInt32] = [0, 0, 0]
        // Up to 300 one at a time (block 0), in bulk (block 1), and by additions (block 2).
        for _ in 0..<300 { column.increment(0); expected[0] += 1 }
        column.withAccess { rc in for _ in 0..<300 { rc.increment(1) } }
        expected[1] = 300
        column.add(2, 200)
        column.withAccess { rc in rc.add(2, 54); rc.add(2, 46) }
        expected[2] = 300
        #expect((0..<3).map { column[$0] } == expected)
        #expect(column.narrow == [255, 255, 255] && column.overflow.count == 3)
        // Down to 0: the last decrement, and only it, reports zero.
        var zeros = 0
        for _ in 0..<300 { if column.decrement(0) { zeros += 1 } }
        column.withAccess { rc in for _ in 0..<300 { if rc.decrement(1) { zeros += 1 } } }
        #expect(zeros == 2 && column[0] == 0 && column[1] == 0)
        // Back under 255 the count leaves the overflow table: equal to a column that never
        // went over.
        for _ in 0..<46 { _ = column.decrement(2) }
        var direct = RefCountColumn()
        direct.appendZeros(3)
        direct.add(2, 254)
        #expect(column == direct && column.overflow.isEmpty)
        // A fresh block's first reader (count 0) is set outright; the others stay.
        column.withAccess { rc in rc.setFresh(0) }
        #expect(column[0] == 1 && column[1] == 0 && column[2] == 254 && column.overflow.isEmpty)
    }

    /// `incrementEach` raises a group of eight consecutive ids with one word add: by hand, a
    /// group beside a lone id and a hole; then against `increment` one block at a time, with
    /// groups broken by a gap, a hole, or a count at 127, 128, 253 and 254 (on the overflow
    /// table's boundary), and tails shorter than a group.
    @Test func incrementEachAgreesWithOneAtATime() {
        var column = RefCountColumn()
        column.appendZeros(12)
        let ids: [BlockStore.Block] = [2, 3, 4, 5, 6, 7, 8, 9, BlockStore.hole, 0, 9]
        column.withAccess { rc in ids.withUnsafeBufferPointer { rc.incrementEach($0) } }
        #expect((0..<12).map { column[$0] } == [1, 0, 1, 1, 1, 1, 1, 1, 1, 2, 0, 0])

        for seed in 0..<200 as Range<UInt64> {
            var rng = BlockStoreTests.SplitMix(state: seed)
            let size = 64
            var bulk = RefCountColumn(), single = RefCountColumn()
            bulk.appendZeros(size)
            single.appendZeros(size)
            for b in 0..<size {
                // Mostly low counts, so whole groups take the word add.
                let start = rng.below(4) > 0 ? rng.below(3) : [127, 128, 253, 254, 300][rng.below(5)]
                bulk.add(b, UInt32(start))
                single.add(b, UInt32(start))
            }
            // Runs of consecutive ids of random lengths, sometimes broken by a jump or a hole.
            var blocks: [BlockStore.Block] = []
            var next = rng.below(size)
            for _ in 0..<rng.below(40) {
                switch rng.below(10) {
                case 0: blocks.append(BlockStore.hole)
                case 1: next = rng.below(size)
                default: break
                }
                blocks.append(BlockStore.Block(next % size))
                next += 1
            }
            bulk.withAccess { rc in blocks.withUnsafeBufferPointer { rc.incrementEach($0) } }
            for b in blocks where b != BlockStore.hole { single.increment(Int(b)) }
            #expect(bulk == single, "seed \(seed): \(blocks)")
        }
    }
}
