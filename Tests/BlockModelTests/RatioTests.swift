import Testing
@testable import BlockModel

/// Exact percentages of block counts (issue 21, defect 1): every figure here was worked out by
/// hand, and the Double computation the model used before gave the wrong one in each of the
/// `wholeShares` cases (0.07 × 100 = 7.000000000000001 rounded up is 8).
@Suite struct RatioTests {
    @Test(arguments: [(100, 7), (7_300, 511), (800, 56), (11_100, 777), (3, 1), (0, 0), (1, 1), (14, 1), (15, 2)])
    func sevenPercentRoundedUp(blocks: Int, expected: Int) {
        #expect(Ratio.percent(7).ceil(of: blocks) == expected)
    }

    /// The cases the issue lists, against the old floating-point rule: it was one too big.
    @Test(arguments: [100, 7_300, 800, 11_100])
    func wholeSharesWereOneTooBigInDouble(blocks: Int) {
        let old = Int((0.07 * Double(blocks)).rounded(.up))
        #expect(old == Ratio.percent(7).ceil(of: blocks) + 1)
    }

    @Test func decimalTextIsExact() {
        #expect(Ratio(decimal: "0.4")! == Ratio(2, 5))
        #expect(Ratio(decimal: "12.5")! == Ratio(25, 2))
        #expect(Ratio(decimal: "7")!.percentOf == Ratio(7, 100))
        #expect(Ratio(decimal: ".5")! == Ratio(1, 2) && Ratio(decimal: "3.")! == Ratio(3, 1))
        for bad in ["", ".", "-1", "1e3", "1.2.3", "x", "1,5", "0.1234567890123456"] { #expect(Ratio(decimal: bad) == nil) }
        #expect(Ratio(decimal: "99999999999999999999") == nil)  // past Int: refused, not wrapped
    }

    /// 0.4% of a 10,000,000-block file is 40,000 blocks exactly; of 10,000,001 it is 40,000.004,
    /// so 40,001 rounded up.
    @Test func cloneMetadataShare() {
        let share = Ratio(decimal: "0.4")!.percentOf
        #expect(share.ceil(of: 10_000_000) == 40_000 && share.ceil(of: 10_000_001) == 40_001)
        #expect(share.floor(of: 10_000_001) == 40_000)
    }

    /// Halves go up: 1.5% of 100 is 1.5, so 2; 60% of 5 is 3; 1/3 of 2 is 0.67, so 1.
    @Test func nearestRoundsHalvesUp() {
        #expect(Ratio(decimal: "1.5")!.percentOf.nearest(of: 100) == 2)
        #expect(Ratio.percent(60).nearest(of: 5) == 3)
        #expect(Ratio(1, 3).nearest(of: 2) == 1 && Ratio(1, 3).nearest(of: 1) == 0)
        #expect(Ratio(1, 2).nearest(of: 1) == 1 && Ratio(1, 2).nearest(of: 3) == 2)
    }

    /// A level is reached at exactly its share: 7 of 100 blocks reaches 7% (0.07 × 100 in
    /// Double is 7.000000000000001, which 7 did not reach).
    @Test func levelsAreReachedAtExactlyTheirShare() {
        #expect(Ratio.percent(7).isReached(by: 7, of: 100))
        #expect(!Ratio.percent(7).isReached(by: 6, of: 100))
        #expect(!(Double(7) >= 0.07 * Double(100)))  // the old rule
        // 64 PiB in 4 KiB blocks: 80% of 2^44 is 14,073,748,835,532.8 blocks.
        let capacity = 1 << 44
        #expect(Ratio.percent(80).isReached(by: 14_073_748_835_533, of: capacity))
        #expect(!Ratio.percent(80).isReached(by: 14_073_748_835_532, of: capacity))
        // n × p past 64 bits: the 128-bit product keeps it exact. (2^63 − 1) / 2 rounded up is 2^62.
        #expect(Ratio.percent(50).ceil(of: Int.max) == 1 << 62 && Ratio.percent(50).floor(of: Int.max) == (1 << 62) - 1)
    }

    @Test func percentTextIsTheDecimalWritten() {
        #expect(Ratio.percent(7).percentText == "7%")
        #expect(Ratio(decimal: "0.4")!.percentOf.percentText == "0.4%")
        #expect(Ratio(decimal: "12.5")!.percentOf.percentText == "12.5%")
        #expect(Ratio(decimal: "0.015")!.percentOf.percentText == "0.015%")
        #expect(Ratio.one.percentText == "100%" && Ratio.zero.percentText == "0%")
        #expect(Ratio(1, 3).percentText == "33.333333%")
    }
}
