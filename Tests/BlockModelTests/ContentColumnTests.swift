import Testing
@testable import BlockModel

/// Five bytes an identity while at most 256 distinct high halves occur, eight after: every way
/// of storing an identity reads back the same on both sides of the widening.
struct ContentColumnTests {
    /// Unique data (high half 0) and two pools' identities (bit 62 and a namespace) share three
    /// pages; the 257th distinct high half widens the column and nothing stored changes.
    @Test func identitiesReadBackAcrossTheWidening() {
        var column = ContentColumn()
        var expected: [UInt64] = []
        func check(_ note: Comment) {
            #expect(column.count == expected.count, note)
            #expect(expected.indices.allSatisfy { column[$0] == expected[$0] }, note)
            let read = column.withReader { r in expected.indices.map { r[$0] } }
            #expect(read == expected, note)
        }
        let pool1: UInt64 = 1 << 62 | 3 << 36, pool2: UInt64 = 1 << 62 | 4 << 36
        for v: UInt64 in [1, 2, pool1 | 7, 3, pool2 | 9, pool1 | (1 << 35)] {
            column.append(v)
            expected.append(v)
        }
        // 0, pool1's two high halves (rank bit 35 is in the high half), pool2's.
        #expect(!column.isWide && column.highs.count == 4)
        check("narrow")
        // Through buffers: an overwrite of blocks 0 and 4, then an append of three.
        [UInt64(41), pool2 | 5].withUnsafeBufferPointer { column.set([0, 4], to: $0) }
        expected[0] = 41
        expected[4] = pool2 | 5
        [UInt64(5), 6, pool1 | 8].withUnsafeBufferPointer { column.append(contentsOf: $0) }
        expected += [5, 6, pool1 | 8]
        #expect(!column.isWide && column.highs.count == 4)
        check("narrow, set through buffers")
        // 252 more high halves fill the 256 pages; the next one widens.
        for k in 0..<252 {
            let v = UInt64(k + 1) << 32 | 77
            column.append(v)
            expected.append(v)
        }
        #expect(!column.isWide && column.highs.count == 256)
        check("all pages used")
        // A buffer whose second identity needs a 257th page: the first is set narrow, the
        // rest after widening.
        let widening: [UInt64] = [pool1 | 1, UInt64(999) << 32, 12]
        widening.withUnsafeBufferPointer { column.set([1, 2, 3], to: $0) }
        expected[1] = widening[0]
        expected[2] = widening[1]
        expected[3] = widening[2]
        #expect(column.isWide && column.low.isEmpty && column.page.isEmpty)
        check("widened")
        column[5] = .max
        expected[5] = .max
        column.append(.max - 1)
        expected.append(.max - 1)
        check("wide, single changes")
    }

    /// The store keeps identities through allocation, reuse of freed ids and widening.
    @Test func theStoreKeepsIdentitiesWhenTheColumnWidens() {
        var store = BlockStore(capacity: 2000)
        var a = store.newMap(blocks: 1000)
        for i in 0..<500 { store.write(&a, i, content: UInt64(i), owner: 0) }
        for i in 0..<100 { store.write(&a, i, content: UInt64(i + 1000), owner: 0) }  // frees 100 ids, reused below
        #expect(!store.content.isWide)
        let random = (0..<300).map { UInt64($0 + 1) << 32 | UInt64($0) }  // 300 high halves
        // 100 reused ids take identities 1-100 (narrow), the 200 new ones widen the column.
        var replaced: [BlockStore.Block] = []
        random.withUnsafeBufferPointer { store.writeRun(&a, at: 500, contents: $0, owner: 0, replaced: &replaced, collectReplaced: false) }
        #expect(store.content.isWide)
        #expect((0..<100).allSatisfy { store.contentOf(store.read(a, $0)) == UInt64($0 + 1000) })
        #expect((100..<500).allSatisfy { store.contentOf(store.read(a, $0)) == UInt64($0) })
        #expect((0..<300).allSatisfy { store.contentOf(store.read(a, 500 + $0)) == random[$0] })
        #expect(store.invariantViolations(maps: [a]).isEmpty)
    }
}
