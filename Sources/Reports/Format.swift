import Engine
import Foundation
import TextTable
import Workloads

/// Number and time formatting shared by the report writers: fixed decimals through C's
/// `printf` (no locale), so reports are byte-identical on every machine.
enum Format {
    static func fixed(_ x: Double, _ decimals: Int = 2) -> String { String(format: "%.\(decimals)f", x) }

    /// Blocks in the report unit, e.g. "260.00 GB".
    static func size(_ blocks: Int, _ s: ScenarioSummary) -> String { size(Double(blocks), blockSize: s.blockSize, unit: s.reportUnit) }

    static func size(_ blocks: Double, blockSize: Int, unit: ByteUnit) -> String {
        "\(fixed(blocks * Double(blockSize) / unit.bytes)) \(unit.rawValue)"
    }

    static func percent(_ part: Int, of whole: Int) -> String {
        whole == 0 ? "-" : "\(fixed(Double(part) * 100 / Double(whole), 1))%"
    }

    /// Simulated time as "day D HH:MM" (day 0 is the start).
    static func time(_ t: SimTime) -> String {
        let seconds = t.nanoseconds / 1_000_000_000
        let day = seconds / 86_400, rest = seconds % 86_400
        return String(format: "day %lld %02lld:%02lld", day, rest / 3600, (rest % 3600) / 60)
    }

    /// A duration as "0.5 s", "25.0 min", "12.5 h" or "3.2 d".
    static func duration(_ t: SimTime) -> String {
        let s = t.seconds
        if s < 1 { return "\(fixed(s * 1000, 1)) ms" }
        if s < 60 { return "\(fixed(s, 1)) s" }
        if s < 3600 { return "\(fixed(s / 60, 1)) min" }
        if s < 86_400 * 2 { return "\(fixed(s / 3600, 1)) h" }
        return "\(fixed(s / 86_400, 1)) d"
    }

    /// A Markdown pipe table (TextTable's `pipe` style); cells have `|` escaped.
    static func table(_ headers: [String], _ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        let escaped = rows.map { $0.map { $0.replacingOccurrences(of: "|", with: "\\|") } }
        let table = TextTable<[String]> { row in
            headers.indices.map { Column(title: headers[$0], value: row[$0], align: rightAligned.contains($0) ? .right : .left) }
        }
        let text = table.string(for: escaped, style: Style.pipe) ?? ""
        return String(text.reversed().drop { $0 == "\n" }.reversed())
    }
}
