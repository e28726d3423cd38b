import Engine
import Planner
import Workloads

/// The plan's SVG charts: a fan chart of use over time, per-variant bars and the tornado of
/// the sensitivity analysis.
enum PlanCharts {
    /// Use over time of one variant: the P5–P95 and P25–P75 bands and the median of the
    /// replications at each sample, with the scenario's capacity.
    static func fan(_ v: VariantResult, _ p: PlanResult) -> String {
        let unit = Double(p.blockSize) / p.reportUnit.bytes
        let count = v.replications.map(\.samples.count).min() ?? 0
        let columns = (0..<count).map { k in v.replications.map { Double($0.samples[k]) } }
        let highest = max(Double(p.capacityBlocks), columns.flatMap { $0 }.max() ?? 0) * unit
        let yMax = Chart.niceCeiling(max(highest, 1e-9))
        let plotW = Chart.width - Chart.left - Chart.right, plotH = Chart.height - Chart.top - Chart.bottom
        let days = max(p.horizon.days, 1e-9)
        func x(_ k: Int) -> String {
            let t = min(p.horizon, p.sampleInterval * Int64(k))
            return Format.fixed(Chart.left + t.days / days * plotW, 1)
        }
        func y(_ blocks: Double) -> String { Format.fixed(Chart.top + plotH - blocks * unit / yMax * plotH, 1) }
        func q(_ level: Double) -> [Double] { columns.map { Planner.quantile($0, level)! } }
        var out = Chart.frame(title: "\(p.scenario): use over time (\(v.label), \(v.replications.count) replications)", horizon: p.horizon,
                              yLabels: (0...5).map { "\(Chart.trim(yMax * Double($0) / 5)) \(p.reportUnit.rawValue)" })
        out += Chart.hline(y(Double(p.capacityBlocks)), plotW, "black", "6 3")
        for (lo, hi, colour) in [(0.05, 0.95, "#c6d9f0"), (0.25, 0.75, "#8fb3e0")] where count > 0 {
            let upper = q(hi).enumerated().map { "\(x($0.offset)),\(y($0.element))" }
            let lower = q(lo).enumerated().reversed().map { "\(x($0.offset)),\(y($0.element))" }
            out += "<polygon fill=\"\(colour)\" stroke=\"none\" points=\"\((upper + lower).joined(separator: " "))\"/>\n"
        }
        if count > 0 {
            let median = q(0.5).enumerated().map { "\(x($0.offset)),\(y($0.element))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"#2060c0\" stroke-width=\"2\" points=\"\(median)\"/>\n"
        }
        out += Chart.legendSVG([("capacity", "black", "6 3"), ("P5–P95", "#c6d9f0", ""), ("P25–P75", "#8fb3e0", ""), ("median", "#2060c0", "")])
        return out + "</svg>\n"
    }

    /// Horizontal bars, one per row: a range (`low`–`high`, a tornado) or a value from zero.
    static func bars(title: String, rows: [(label: String, low: Double, high: Double)], base: Double?, _ p: PlanResult) -> String {
        let unit = Double(p.blockSize) / p.reportUnit.bytes
        let labelW = 330.0, rowH = 26.0, top = 50.0, plotW = Chart.width - labelW - 40
        let height = top + Double(rows.count) * rowH + 40
        let xMax = Chart.niceCeiling(max(1e-9, (rows.map(\.high).max() ?? 0) * unit))
        func x(_ blocks: Double) -> Double { labelW + blocks * unit / xMax * plotW }
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(Chart.width))" height="\(Int(height))" viewBox="0 0 \(Int(Chart.width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="10" y="22" font-size="15">\(Chart.escape(title))</text>\n
        """
        for k in 0...5 {
            let px = Format.fixed(labelW + Double(k) / 5 * plotW, 1)
            out += "<line x1=\"\(px)\" y1=\"\(Format.fixed(top - 6, 0))\" x2=\"\(px)\" y2=\"\(Format.fixed(height - 34, 0))\" stroke=\"#ddd\"/>\n"
            out += "<text x=\"\(px)\" y=\"\(Format.fixed(height - 18, 0))\" text-anchor=\"middle\">\(Chart.trim(xMax * Double(k) / 5)) \(p.reportUnit.rawValue)</text>\n"
        }
        for (i, row) in rows.enumerated() {
            let ry = top + Double(i) * rowH
            out += "<text x=\"\(Format.fixed(labelW - 8, 0))\" y=\"\(Format.fixed(ry + rowH / 2, 1))\" text-anchor=\"end\" dominant-baseline=\"middle\">\(Chart.escape(row.label))</text>\n"
            let w = max(1, x(row.high) - x(row.low))
            out += "<rect x=\"\(Format.fixed(x(row.low), 1))\" y=\"\(Format.fixed(ry + 4, 1))\" width=\"\(Format.fixed(w, 1))\" height=\"\(Format.fixed(rowH - 8, 1))\" fill=\"#2060c0\"/>\n"
        }
        if let base {
            let bx = Format.fixed(x(base), 1)
            out += "<line x1=\"\(bx)\" y1=\"\(Format.fixed(top - 6, 0))\" x2=\"\(bx)\" y2=\"\(Format.fixed(height - 34, 0))\" stroke=\"black\" stroke-dasharray=\"6 3\"/>\n"
        }
        return out + "</svg>\n"
    }
}
