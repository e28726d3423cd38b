import Engine
import Foundation
import Workloads

/// One scenario run on several platforms, side by side: `report.md` with a row per platform
/// (final and peak use with cloning, and without it: full copies or no block cloning) linking each platform's
/// own report, and `comparison.csv` with the exact bytes.
public enum Comparison {
    public static func files(_ results: [RunResult]) throws -> [(name: String, text: String)] {
        [("report.md", markdown(results)), ("comparison.csv", try csv(results))]
    }

    static func final(_ r: RunResult) -> Sample? { r.samples.last }

    public static func markdown(_ results: [RunResult]) -> String {
        guard let first = results.first?.scenario else { return "" }
        var md = "# \(first.name): across platforms\n\n"
        if !first.description.isEmpty { md += "\(first.description)\n\n" }
        md += "Seed \(first.seed), horizon \(Format.duration(first.horizon)); the same draws on every platform (named streams).\n\n"
        let (_, withoutLabel) = RunReport.labels(first)
        md += Format.table(["platform", "blocks", "final use", "peak use", "final use \(withoutLabel)", "saved", "report"],
                           results.map { r in
                               let s = r.scenario
                               let used = final(r)?.physicalUsed ?? 0, without = final(r)?.traditionalUsed ?? 0
                               return [s.platform.rawValue, "\(s.blockSize) B", Format.size(used, s),
                                       "\(Format.size(r.peak.blocks, s)) at \(Format.time(r.peak.time))", Format.size(without, s),
                                       Format.percent(without - used, of: without),
                                       "[\(s.platform.rawValue)/report.md](\(s.platform.rawValue)/report.md)"]
                           }, rightAligned: [1, 2, 3, 4, 5]) + "\n\n"
        md += "Each platform's own report has its assumptions, chart, events and objects.\n"
        return md
    }

    static func csv(_ results: [RunResult]) throws -> String {
        try CSVText.make(["platform", "block_size", "final_used_bytes", "peak_used_bytes", "peak_time_s", "final_without_cloning_bytes",
                          "peak_without_cloning_bytes"],
                         results.map { r in
                             let s = r.scenario, b = s.blockSize
                             return [s.platform.rawValue, "\(b)", "\((final(r)?.physicalUsed ?? 0) * b)", "\(r.peak.blocks * b)",
                                     "\(r.peak.time.nanoseconds / 1_000_000_000)", "\((final(r)?.traditionalUsed ?? 0) * b)",
                                     "\(r.traditionalPeak.blocks * b)"]
                         })
    }
}
