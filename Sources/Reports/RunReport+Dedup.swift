import BlockModel
import Engine
import Workloads

extension RunReport {
    /// The dedup sections: runs (durations against their windows) and each volume's savings
    /// split into clone and dedup savings. Empty when no volume deduplicates.
    static func dedupMarkdown(_ r: RunResult) -> String {
        guard !r.volumeSavings.isEmpty else { return "" }
        let s = r.scenario
        var md = "## Deduplication\n\n"
        let runs = r.dedupRuns
        if runs.isEmpty {
            md += "No post-process runs (inline dedup works at write time).\n\n"
        } else {
            let durations = runs.map(\.duration).sorted()
            let overruns = runs.filter(\.overran)
            func total(_ f: (DedupRun) -> Int) -> Int { runs.reduce(0) { $0 + f($1.run) } }
            md += Format.table(["post-process runs", ""], [
                ["runs", "\(runs.count)"],
                ["blocks processed", "\(total(\.processedBlocks)) (\(Format.size(total(\.processedBlocks), s)))"],
                ["duplicates shared", "\(total(\.duplicates)) (\(Format.size(total(\.duplicates), s)))"],
                ["space freed", Format.size(total(\.freedBlocks), s)],
                ["donor handovers (a full donor replaced by the next copy)", "\(total(\.fullDonors))"],
                ["median / longest run", "\(Format.duration(durations[(durations.count - 1) / 2])) / \(Format.duration(durations.last!))"],
                ["runs longer than their window", "\(overruns.count)"],
            ], rightAligned: [1]) + "\n\n"
            let shown = runs.filter { $0.run.processedBlocks > 0 || $0.overran }
            md += "Runs that processed blocks (first \(min(shown.count, maxRows)) of \(shown.count); every run in `dedup_runs.csv`):\n\n"
            md += Format.table(["time", "volume", "processed", "duplicates", "freed", "duration", "window", ""],
                               shown.prefix(maxRows).map { d in
                                   [Format.time(d.time), d.volume, "\(d.run.processedBlocks)", "\(d.run.duplicates)", Format.size(d.run.freedBlocks, s),
                                    Format.duration(d.duration), d.window.map(Format.duration) ?? "-", d.overran ? "overran" : ""]
                               }, rightAligned: [2, 3, 4, 5, 6]) + "\n\n"
            md += "A run processes the blocks written since the last one (every block, the first time) at the dedup throughput; "
                + "a run longer than its window is flagged.\n\n"
        }
        md += "## Savings by volume\n\n"
        let v = r.volumeSavings
        var rows = v.prefix(maxRows).map { x in
            [x.volume, x.dedup?.rawValue ?? "off", Format.size(x.logicalUsed, s), Format.size(x.charged, s), Format.size(x.savings, s),
             Format.size(x.cloneSavings, s), Format.size(x.dedupSaved, s), Format.size(x.dedupMetadata, s)]
        }
        func sum(_ f: (VolumeSavings) -> Int) -> Int { v.reduce(0) { $0 + f($1) } }
        rows.append(["all volumes", "", Format.size(sum(\.logicalUsed), s), Format.size(sum(\.charged), s), Format.size(sum(\.savings), s),
                     Format.size(sum(\.cloneSavings), s), Format.size(sum(\.dedupSaved), s), Format.size(sum(\.dedupMetadata), s)])
        md += Format.table(["volume", "dedup", "logical used", "charged", "savings", "clone savings", "dedup savings", "dedup metadata"],
                           rows, rightAligned: Set(2...7)) + "\n\n"
        if v.count > maxRows { md += "\(v.count - maxRows) more volumes in `savings.csv`.\n\n" }
        md += "Savings: logical used − charged (the blocks the volume owns). Dedup savings: slots dedup pointed at a donor that still "
            + "point there (a clone inherits its parent's); clone savings: the rest (below zero when Snapshot copies hold blocks the volume is charged for). Dedup metadata (the fingerprint database) is "
            + "counted in the aggregate's use, not in the volume's.\n\n"
        return md
    }

    /// `dedup_runs.csv` and `savings.csv`, when a volume deduplicates.
    static func dedupFiles(_ r: RunResult) throws -> [(name: String, text: String)] {
        guard !r.volumeSavings.isEmpty else { return [] }
        let runs = try CSVText.make(["time_s", "day", "volume", "processed_blocks", "duplicates", "freed_bytes", "donor_handovers",
                                     "metadata_bytes", "duration_s", "window_s", "overran"],
                                    r.dedupRuns.map { d in
                                        [String(d.time.nanoseconds / 1_000_000_000), Format.fixed(d.time.days, 4), d.volume,
                                         "\(d.run.processedBlocks)", "\(d.run.duplicates)", bytes(d.run.freedBlocks, r), "\(d.run.fullDonors)",
                                         bytes(d.run.metadataBlocks, r), Format.fixed(d.duration.seconds, 3),
                                         d.window.map { Format.fixed($0.seconds, 0) } ?? "", d.overran ? "true" : "false"]
                                    })
        let savings = try CSVText.make(["volume", "dedup", "logical_used_bytes", "charged_bytes", "savings_bytes", "clone_savings_bytes",
                                        "dedup_savings_bytes", "dedup_metadata_bytes"],
                                       r.volumeSavings.map { x in
                                           [x.volume, x.dedup?.rawValue ?? "off", bytes(x.logicalUsed, r), bytes(x.charged, r),
                                            bytes(x.savings, r), bytes(x.cloneSavings, r), bytes(x.dedupSaved, r), bytes(x.dedupMetadata, r)]
                                       })
        return [("dedup_runs.csv", runs), ("savings.csv", savings)]
    }
}
