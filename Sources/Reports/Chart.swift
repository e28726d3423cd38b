import Engine
import Workloads

/// The capacity-over-time chart as a self-contained SVG: use with clones, use with full
/// copies, the aggregate's capacity and the alert levels, against simulated days.
enum Chart {
    static let width = 800.0, height = 420.0
    static let left = 80.0, right = 200.0, top = 40.0, bottom = 50.0

    static func svg(_ r: RunResult) -> String {
        let s = r.scenario
        let unit = Double(s.blockSize) / s.reportUnit.bytes
        let days = max(s.horizon.days, 1e-9)
        let highest = max(Double(s.capacityBlocks), Double(r.traditionalPeak.blocks), Double(r.peak.blocks)) * unit
        let yMax = niceCeiling(max(highest, 1e-9))
        let plotW = width - left - right, plotH = height - top - bottom
        func x(_ t: SimTime) -> String { Format.fixed(left + t.days / days * plotW, 1) }
        func y(_ blocks: Int) -> String { Format.fixed(top + plotH - Double(blocks) * unit / yMax * plotH, 1) }
        func yValue(_ v: Double) -> String { Format.fixed(top + plotH - v / yMax * plotH, 1) }

        var out = frame(title: "\(s.name): capacity over time", horizon: s.horizon,
                        yLabels: (0...5).map { "\(trim(yMax * Double($0) / 5)) \(s.reportUnit.rawValue)" })
        // Capacity and alert levels.
        var legend: [(String, String, String)] = [("capacity", "black", "6 3")]
        out += hline(y(s.capacityBlocks), plotW, "black", "6 3")
        for level in s.alertLevels {
            out += hline(yValue(Double(s.capacityBlocks) * level * unit), plotW, "#d08000", "2 3")
        }
        if !s.alertLevels.isEmpty { legend.append(("alert levels", "#d08000", "2 3")) }
        // Series.
        let (withLabel, withoutLabel) = RunReport.labels(s)
        let series: [(String, String, (Sample) -> Int)] = [
            (s.framing == .clones ? "full copies" : withoutLabel, "#c03030", { $0.traditionalUsed }),
            (withLabel, "#2060c0", { $0.physicalUsed }),
            ("clones + guarantees", "#60a060", { $0.physicalUsed + $0.reserved }),
        ]
        for (name, colour, value) in series where !r.samples.isEmpty {
            if name == "clones + guarantees" && r.samples.allSatisfy({ $0.reserved == 0 }) { continue }
            let points = r.samples.map { "\(x($0.time)),\(y(value($0)))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(points)\"/>\n"
            legend.append((name, colour, ""))
        }
        out += legendSVG(legend)
        return out + "</svg>\n"
    }

    /// The opening of a chart: title, grid lines with their labels (`yLabels[k]` at k/5 of the
    /// height), day labels along the horizon, and the axes.
    static func frame(title: String, horizon: SimTime, yLabels: [String]) -> String {
        let plotW = width - left - right, plotH = height - top - bottom
        let days = max(horizon.days, 1e-9)
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(Format.fixed(left, 0))" y="22" font-size="15">\(escape(title))</text>\n
        """
        for (k, label) in yLabels.enumerated() {
            let py = Format.fixed(top + plotH - Double(k) / Double(max(1, yLabels.count - 1)) * plotH, 1)
            out += "<line x1=\"\(Format.fixed(left, 0))\" y1=\"\(py)\" x2=\"\(Format.fixed(left + plotW, 0))\" y2=\"\(py)\" stroke=\"#ddd\"/>\n"
            out += "<text x=\"\(Format.fixed(left - 6, 0))\" y=\"\(py)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(label)</text>\n"
        }
        for k in 0...5 {
            let t = SimTime(nanoseconds: Int64(Double(horizon.nanoseconds) * Double(k) / 5))
            out += "<text x=\"\(Format.fixed(left + t.days / days * plotW, 1))\" y=\"\(Format.fixed(top + plotH + 18, 0))\" text-anchor=\"middle\">day \(trim(t.days))</text>\n"
        }
        out += "<line x1=\"\(Format.fixed(left, 0))\" y1=\"\(Format.fixed(top + plotH, 0))\" x2=\"\(Format.fixed(left + plotW, 0))\" y2=\"\(Format.fixed(top + plotH, 0))\" stroke=\"black\"/>\n"
        out += "<line x1=\"\(Format.fixed(left, 0))\" y1=\"\(Format.fixed(top, 0))\" x2=\"\(Format.fixed(left, 0))\" y2=\"\(Format.fixed(top + plotH, 0))\" stroke=\"black\"/>\n"
        return out
    }

    /// The legend right of the plot: a line sample (dashed when `dash` is set) and the name.
    static func legendSVG(_ items: [(String, String, String)]) -> String {
        var out = ""
        for (i, item) in items.enumerated() {
            let ly = top + 10 + Double(i) * 20, lx = width - right + 15
            let dash = item.2.isEmpty ? "" : " stroke-dasharray=\"\(item.2)\""
            out += "<line x1=\"\(Format.fixed(lx, 0))\" y1=\"\(Format.fixed(ly, 0))\" x2=\"\(Format.fixed(lx + 25, 0))\" y2=\"\(Format.fixed(ly, 0))\" stroke=\"\(item.1)\" stroke-width=\"2\"\(dash)/>\n"
            out += "<text x=\"\(Format.fixed(lx + 32, 0))\" y=\"\(Format.fixed(ly, 0))\" dominant-baseline=\"middle\">\(item.0)</text>\n"
        }
        return out
    }

    static func hline(_ y: String, _ plotW: Double, _ colour: String, _ dash: String) -> String {
        "<line x1=\"\(Format.fixed(left, 0))\" y1=\"\(y)\" x2=\"\(Format.fixed(left + plotW, 0))\" y2=\"\(y)\" stroke=\"\(colour)\" stroke-dasharray=\"\(dash)\"/>\n"
    }

    /// 1, 2 or 5 times a power of ten, at least `v`: round axis ends.
    static func niceCeiling(_ v: Double) -> Double {
        var p = 1.0
        while p * 10 < v { p *= 10 }
        while p > v { p /= 10 }
        for m in [1.0, 2.0, 5.0, 10.0] where m * p >= v { return m * p }
        return 10 * p
    }

    static func trim(_ v: Double) -> String {
        let text = Format.fixed(v, 2)
        var t = Substring(text)
        while t.hasSuffix("0") { t = t.dropLast() }
        if t.hasSuffix(".") { t = t.dropLast() }
        return String(t)
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
