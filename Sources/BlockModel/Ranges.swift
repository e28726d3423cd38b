/// Lists of block ranges: what was written, what a file maps.
public enum Ranges {
    /// `ranges` clamped to `bounds`, sorted and merged where they overlap or touch.
    public static func union(_ ranges: [Range<Int>], within bounds: Range<Int>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for r in ranges.map({ $0.clamped(to: bounds) }).filter({ !$0.isEmpty }).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, r.lowerBound <= last.upperBound {
                out[out.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }

    /// The parts of sorted, disjoint `a` that sorted, disjoint `b` cover.
    public static func intersection(_ a: [Range<Int>], _ b: [Range<Int>]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0, j = 0
        while i < a.count && j < b.count {
            let r = a[i].clamped(to: b[j])
            if !r.isEmpty { out.append(r) }
            if a[i].upperBound < b[j].upperBound { i += 1 } else { j += 1 }
        }
        return out
    }
}
