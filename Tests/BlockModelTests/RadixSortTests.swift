import Testing
@testable import BlockModel

@Suite struct RadixSortTests {
    /// Stable by the chosen bits, for widths that take one, two and three passes, with and
    /// without a scratch buffer given.
    @Test("sorts stably by the chosen bits", arguments: [(0, 1), (0, 13), (32, 25), (32, 32), (5, 40), (0, 64)])
    func sortsStably(shift: Int, bits: Int) {
        var rng = ONTAPDifferentialTests.LCG(state: UInt64(shift * 100 + bits))
        let mask: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
        let values = (0..<5000).map { _ in rng.next() &* 0x9E37_79B9_7F4A_7C15 }  // all 64 bits used
        let expected = values.enumerated().sorted {
            let a = ($0.element >> UInt64(shift)) & mask, b = ($1.element >> UInt64(shift)) & mask
            return a < b || (a == b && $0.offset < $1.offset)
        }.map(\.element)
        for withScratch in [false, true] {
            var sorted = values
            var scratch = [UInt64](repeating: 0, count: values.count + 7)
            sorted.withUnsafeMutableBufferPointer { s in
                if withScratch {
                    scratch.withUnsafeMutableBufferPointer { radixSort(s, shift: shift, bits: bits, scratch: $0) }
                } else {
                    radixSort(s, shift: shift, bits: bits)
                }
            }
            #expect(sorted == expected, "shift \(shift) bits \(bits) scratch \(withScratch)")
        }
    }
}
