import Foundation
import Stochastic

/// Plain-text rendering of a sample: summary lines and a bar histogram.
/// Used by `clonesim sample` so a user can see a distribution before putting it in a scenario.
public enum SampleText {
    /// Numbers as `%.6g`: short, and identical on every run.
    public static func format(_ x: Double) -> String { String(format: "%.6g", x) }

    /// The summary block: one `label  value` line per statistic.
    public static func summary(_ s: Summary, expectedMean: Double?, expectedSD: Double?) -> String {
        var rows: [(String, String)] = [("count", "\(s.count)"), ("mean", format(s.mean)), ("sd", format(s.sd)),
                                        ("min", format(s.min))]
        for (level, q) in zip(Summary.standardLevels, s.quantiles) where level != 0.90 {
            rows.append(("P\(Int((level * 100).rounded()))", format(q)))
        }
        rows.append(("max", format(s.max)))
        if let expectedMean { rows.append(("expected mean", format(expectedMean))) }
        if let expectedSD { rows.append(("expected sd", format(expectedSD))) }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }
            .joined(separator: "\n") + "\n"
    }

    /// One line per bin: `[lower, upper)  count  ####`, bars scaled to `barWidth` for the
    /// fullest bin.
    public static func histogram(_ h: BinCounts, barWidth: Int = 40) -> String {
        let peak = max(h.counts.max() ?? 0, 1)
        let ranges = h.counts.indices.map { "[\(format(h.edges[$0])), \(format(h.edges[$0 + 1])))" }
        let rangeWidth = ranges.map(\.count).max() ?? 0
        let countWidth = h.counts.map { "\($0)".count }.max() ?? 0
        var out = ""
        for (i, count) in h.counts.enumerated() {
            let bar = String(repeating: "#", count: Int((Double(count) / Double(peak) * Double(barWidth)).rounded()))
            let countText = String(repeating: " ", count: countWidth - "\(count)".count) + "\(count)"
            out += ranges[i].padding(toLength: rangeWidth, withPad: " ", startingAt: 0) + "  " + countText + "  " + bar + "\n"
        }
        return out
    }

    /// Raw draws as CSV, one per line under a `value` header; shortest round-trip decimal form.
    public static func csv(_ values: [Double]) -> String {
        var out = "value\n"
        out.reserveCapacity(values.count * 12)
        for v in values { out += "\(v)\n" }
        return out
    }
}
