import BlockModel
import Engine
import Foundation
import Workloads

/// The files of a run's report, as text: `report.md` (which embeds `timeseries.svg`),
/// `timeseries.csv`, `objects.csv` and `events.csv`. CSV sizes are exact bytes; the Markdown
/// shows them in the scenario's report unit.
public enum RunReport {
    public static func files(_ r: RunResult) throws -> [(name: String, text: String)] {
        [
            ("report.md", markdown(r)),
            ("timeseries.svg", Chart.svg(r)),
            ("timeseries.csv", try timeseriesCSV(r)),
            ("objects.csv", try objectsCSV(r)),
            ("events.csv", try eventsCSV(r)),
        ] + (try dedupFiles(r)) + (try cacheFiles(r)) + (try replicationFiles(r))
    }

    /// Most rows the Markdown tables show; the CSV files have them all.
    static let maxRows = 60

    public static func markdown(_ r: RunResult) -> String {
        let s = r.scenario
        var md = "# \(s.name)\n\n"
        if !s.description.isEmpty { md += "\(s.description)\n\n" }
        md += "Seed \(s.seed), generator \(s.generator), platform \(s.platform.rawValue); horizon \(Format.duration(s.horizon)), "
            + "sampled every \(Format.duration(s.sampleInterval)); aggregate of \(Format.size(s.capacityBlocks, s)).\n\n"

        let (withLabel, withoutLabel) = labels(s)
        md += s.framing == .clones ? "## Capacity: clones vs traditional full copies\n\n" : "## Capacity: \(withLabel) vs \(withoutLabel)\n\n"
        let last = r.samples.last
        let finalClones = last.map { $0.physicalUsed } ?? 0
        let finalTraditional = last.map { $0.traditionalUsed } ?? 0
        func saved(_ a: Int, _ b: Int) -> String { "\(Format.size(b - a, s)) (\(Format.percent(b - a, of: b)))" }
        // A sampled figure carries the half-width of its 95% interval.
        func size(_ blocks: Int, _ e: KeyPath<SamplingSummary, Estimate>) -> String {
            guard let half = r.sampling?[keyPath: e].halfWidth else { return Format.size(blocks, s) }
            return "\(Format.size(blocks, s)) ± \(Format.size(half, s))"
        }
        if let z = r.sampling { md += sampled(z, s) }
        var headline = [
            ["final use", size(finalClones, \.finalPhysical), size(finalTraditional, \.finalTraditional), saved(finalClones, finalTraditional)],
            ["final use, share of the aggregate", Format.percent(finalClones, of: s.capacityBlocks),
             Format.percent(finalTraditional, of: s.capacityBlocks), ""],
            ["peak use", "\(size(r.peak.blocks, \.peak)) at \(Format.time(r.peak.time))",
             "\(size(r.traditionalPeak.blocks, \.traditionalPeak)) at \(Format.time(r.traditionalPeak.time))",
             saved(r.peak.blocks, r.traditionalPeak.blocks)],
        ]
        if s.framing == .clones {
            if s.platform == .ontap {
                headline.append(["unused volume guarantees at the end", last.map { Format.size($0.reserved, s) } ?? "-", "", ""])
            }
            md += Format.table(["", withLabel, "traditional full copies", "saved"], headline, rightAligned: [1, 2, 3]) + "\n\n"
            md += s.platform == .ontap
                ? "With clones, use is the physical blocks in the aggregate (data and clone metadata); the peak is exact, "
                    + "taken after every event. Traditionally every clone would be a full copy: its use is the logical used of every "
                    + "file and LUN, read at each sample.\n\n"
                : "With clones, use is the blocks allocated in the file system; the peak is exact, taken after every event. "
                    + "Traditionally every clone would be a full copy: its use is the logical used of every file, read at each sample.\n\n"
        } else {
            md += Format.table(["", withLabel, withoutLabel, "saved"], headline, rightAligned: [1, 2, 3]) + "\n\n"
            md += "With block cloning, use is the blocks allocated in the repository; the peak is exact, taken after every "
                + "event. Without it every synthetic full is a copy: the use is the logical used of every backup file, read at "
                + "each sample.\n\n"
        }
        md += "![Capacity over time](timeseries.svg)\n\n"

        md += "## Alert thresholds\n\n"
        if r.alerts.isEmpty {
            md += "No alert levels set.\n\n"
        } else {
            md += Format.table(["used capacity", "first reached \(withLabel)", "first reached \(withoutLabel) (at a sample)"],
                               r.alerts.map { a in
                                   ["\(Format.fixed(a.level * 100, 0))%", a.withClones.map(Format.time) ?? "never",
                                    a.traditional.map(Format.time) ?? "never"]
                               }) + "\n\n"
        }

        md += "## Limits hit\n\n"
        let l = r.limits
        let failedWrites = ["failed writes", "\(l.failedWrites) (\(Format.size(l.failedWriteBlocks, s)) not written)"]
        let limitRows: [[String]] = s.framing == .repository
            ? [["block clones refused (the data was copied)", "\(l.refusedClones)"], failedWrites]
            : s.platform != .ontap
            ? [["full copies made by the limit strategy", "\(l.strategyCopies)"], ["clones refused", "\(l.refusedClones)"], failedWrites]
            : [
                ["blocks copied at the 1 + 255 pointer limit", "\(l.fallbackCopies) (\(Format.size(l.fallbackCopies, s)))"],
                ["full copies made by the limit strategy", "\(l.strategyCopies)"],
                ["clones refused", "\(l.refusedClones)"],
                ["quotas oversubscribed by clones", l.oversubscribedQuotas.isEmpty ? "0" : l.oversubscribedQuotas.joined(separator: ", ")],
                failedWrites,
                ["file clones without the source's ACLs / streams", "\(l.clonesWithoutACLs) / \(l.clonesWithoutStreams)"],
            ]
        md += Format.table(["limit", "count"], limitRows, rightAligned: [1]) + "\n\n"
        let problems = r.events.filter { $0.outcome != "ok" }
        if !problems.isEmpty {
            md += "First \(min(problems.count, maxRows)) of \(problems.count) refusals, limits and alerts (all in `events.csv`):\n\n"
            md += Format.table(["time", "workload", "operation", "object", "outcome", "detail"],
                               problems.prefix(maxRows).map { [Format.time($0.time), $0.workload, $0.operation, $0.object, $0.outcome, $0.detail] })
                + "\n\n"
        }

        if !r.provisioning.isEmpty {
            md += "## Provisioning time\n\n"
            md += Format.table(["workload", "desktops", "in parallel", "per desktop, clone", "all, clones", "per desktop, full copy",
                                "all, full copies"],
                               r.provisioning.map { p in
                                   [p.workload, "\(p.desktops)", "\(p.parallel)", Format.duration(p.perDesktopClone),
                                    Format.duration(p.totalClone), Format.duration(p.perDesktopCopy), Format.duration(p.totalCopy)]
                               }, rightAligned: [1, 2, 3, 4, 5, 6]) + "\n\n"
        }

        if !r.merges.isEmpty {
            md += "## Checkpoint merges\n\n"
            let m = r.merges
            let copy = m.map(\.copyDuration), clone = m.map(\.cloneDuration)
            func longest(_ t: [SimTime]) -> SimTime { t.max() ?? .zero }
            func total(_ t: [SimTime]) -> SimTime { t.reduce(.zero, +) }
            md += Format.table(["", "copy-based merge", "merge by block cloning"], [
                ["merges", "\(m.count)", "\(m.count)"],
                ["blocks merged", "\(m.reduce(0) { $0 + $1.blocks }) (\(Format.size(m.reduce(0) { $0 + $1.blocks }, s)))", "same"],
                ["data read / written", "\(Format.size(m.reduce(0) { $0 + $1.blocks }, s)) / \(Format.size(m.reduce(0) { $0 + $1.blocks }, s))",
                 "none (\(m.reduce(0) { $0 + $1.cloneCalls }) block-clone calls)"],
                ["time, all merges", Format.duration(total(copy)), Format.duration(total(clone))],
                ["longest merge", Format.duration(longest(copy)), Format.duration(longest(clone))],
            ], rightAligned: [1, 2]) + "\n\n"
            md += "A copy-based merge reads every block of the differencing disk and writes it into the parent at the copy "
                + "throughput; block cloning remaps them, one call per run of consecutive blocks.\n\n"
        }

        md += calibrationMarkdown(r.scenario.calibrations, s)
        md += dedupMarkdown(r)
        md += cacheMarkdown(r)
        md += replicationMarkdown(r)

        if !r.notes.isEmpty {
            md += "## Workloads\n\n" + r.notes.map { "- \($0)" }.joined(separator: "\n") + "\n\n"
        }

        md += "## Objects at the end\n\n"
        let rows = r.objects.prefix(maxRows).map { o in
            [o.name, o.kind.rawValue, Format.size(o.logicalSize, s), Format.size(o.logicalUsed, s), Format.size(o.physicalUsed, s),
             Format.size(o.unique, s), Format.size(o.shared, s), Format.size(o.snapshotHeld, s), Format.size(o.reserved, s),
             Format.size(o.savings, s)]
        }
        md += Format.table(["object", "kind", "logical size", "logical used", "physical used", "unique", "shared", "snapshot-held",
                            "reserved", "savings"], Array(rows), rightAligned: Set(2...9)) + "\n\n"
        if r.objects.count > maxRows { md += "\(r.objects.count - maxRows) more objects in `objects.csv`.\n\n" }
        md += "Unique: blocks only this object references. Shared: its other physical blocks. Snapshot-held (volumes): blocks "
            + "only Snapshot copies still hold. Savings: logical used − physical used.\n\n"

        md += "## Assumptions\n\n" + s.assumptions.map { "- \($0)" }.joined(separator: "\n") + "\n"
        return md
    }

    /// What the two columns compare: clones against full copies (ONTAP), or a repository with
    /// and without block cloning.
    /// Distributions fitted to measured data: the fit and its Kolmogorov–Smirnov test.
    static func calibrationMarkdown(_ calibrations: [Calibration], _ s: ScenarioSummary? = nil) -> String {
        guard !calibrations.isEmpty else { return "" }
        var md = "## Calibration input\n\n"
        md += Format.table(["key", "data", "values", "fitted", "parameters", "KS D", "p-value"], calibrations.map { c in
            ["`\(c.key)`", "\(c.file) (\(c.column))", "\(c.samples)", c.family, c.parameters,
             c.ksD.map { Format.fixed($0, 4) } ?? "-", c.ksP.map { Format.fixed($0, 4) } ?? "-"]
        }, rightAligned: [2, 5, 6]) + "\n\n"
        md += "Fitted by maximum likelihood (empirical: a histogram of √n equal bins). A small KS p-value (below 0.05, say) means "
            + "the family does not describe the data well: try another, or `empirical`.\n\n"
        return md
    }

    static func labels(_ s: ScenarioSummary) -> (String, String) {
        s.framing == .clones ? ("with clones", "with full copies") : ("with block cloning", "without block cloning")
    }

    static func bytes(_ blocks: Int, _ r: RunResult) -> String { String(blocks * r.scenario.blockSize) }

    static func timeseriesCSV(_ r: RunResult) throws -> String {
        try CSVText.make(["time_s", "day", "physical_used_bytes", "reserved_bytes", "traditional_bytes", "free_bytes", "capacity_bytes",
                          "volumes", "files", "snapshots"],
                         r.samples.map { x in
                             [String(x.time.nanoseconds / 1_000_000_000), Format.fixed(x.time.days, 4), bytes(x.physicalUsed, r),
                              bytes(x.reserved, r), bytes(x.traditionalUsed, r), bytes(x.free, r), bytes(r.scenario.capacityBlocks, r),
                              "\(x.volumes)", "\(x.files)", "\(x.snapshots)"]
                         })
    }

    /// A sampled run adds the half-width of each physical use's 95% interval.
    static func objectsCSV(_ r: RunResult) throws -> String {
        let interval = r.sampling?.objectPhysical
        return try CSVText.make(["kind", "name", "logical_size_bytes", "logical_used_bytes", "physical_used_bytes", "unique_bytes",
                                 "shared_bytes", "snapshot_held_bytes", "reserved_bytes", "charged_bytes", "savings_bytes"]
                                    + (interval == nil ? [] : ["physical_used_95_halfwidth_bytes"]),
                                r.objects.enumerated().map { k, o in
                                    [o.kind.rawValue, o.name, bytes(o.logicalSize, r), bytes(o.logicalUsed, r), bytes(o.physicalUsed, r),
                                     bytes(o.unique, r), bytes(o.shared, r), bytes(o.snapshotHeld, r), bytes(o.reserved, r),
                                     bytes(o.charged, r), bytes(o.savings, r)] + (interval.map { [bytes($0[k].halfWidth, r)] } ?? [])
                                })
    }

    static func eventsCSV(_ r: RunResult) throws -> String {
        try CSVText.make(["time_s", "day", "workload", "operation", "object", "outcome", "detail"],
                         r.events.map { e in
                             [String(e.time.nanoseconds / 1_000_000_000), Format.fixed(e.time.days, 4), e.workload, e.operation,
                              e.object, e.outcome, e.detail]
                         })
    }
}

extension RunReport {
    /// What a sampled run simulated, how its figures were scaled and what is still exact.
    static func sampled(_ z: SamplingSummary, _ s: ScenarioSummary) -> String {
        "**Sampled run: 1/\(z.rate) of the address space** (\(z.shards) shards of \(z.shardCount), chosen by a hash of the address "
            + "of each granule of 256 blocks). Every block figure is the shards' sum times \(z.rate); the headline's ± is the half-width "
            + "of its 95% interval, from the spread between the \(z.shards) shards (Student's t, \(z.shards - 1) degrees of freedom, "
            + "sampling without replacement). Events, clone and copy counts, limits and their dates are simulated in full in every "
            + "shard and are exact\(z.estimatedSizes > 0 ? " but for the figures marked *about*" : ""); logical sizes are exact"
            + (z.estimatedSizes > 0 ? " but for those of \(z.estimatedSizes) files that pack each shard's own blocks (backup incrementals, differencing disks: the shards' mean, scaled up)" : "")
            + ", used sizes are estimates."
            + (z.contentsByContent == true ? " Dedup shares equal contents wherever they are, so the shards sample the contents drawn "
               + "from pools by content, as SHARDS samples keys: each holds every copy of the contents it holds (the popular ones, and "
               + "zero blocks, are held by every shard at their share of the addresses), and the dedup runs' blocks and times are the "
               + "shards' sums times \(z.rate)." : "")
            + " Run with `--sample exact` for the exact figures.\n\n"
    }

    /// The line `clonesim run` prints: the answer, and where the report is.
    public static func headline(_ r: RunResult, folder: String) -> String {
        let s = r.scenario
        let last = r.samples.last
        let (withLabel, withoutLabel) = labels(s)
        func pm(_ e: KeyPath<SamplingSummary, Estimate>) -> String { r.sampling.map { " ± \(Format.size($0[keyPath: e].halfWidth, s))" } ?? "" }
        return "\(s.name): \(r.sampling.map { "sampled 1/\($0.rate); " } ?? "")final use \(Format.size(last?.physicalUsed ?? 0, s))\(pm(\.finalPhysical)) \(withLabel) vs "
            + "\(Format.size(last?.traditionalUsed ?? 0, s))\(pm(\.finalTraditional)) \(withoutLabel); peak \(Format.size(r.peak.blocks, s))\(pm(\.peak)) at "
            + "\(Format.time(r.peak.time)).\nReport: \((folder as NSString).appendingPathComponent("report.md"))"
    }
}
