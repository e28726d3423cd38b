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
}
