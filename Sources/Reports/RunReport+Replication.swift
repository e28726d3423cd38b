import Engine
import Stochastic
import Workloads

extension RunReport {
    /// The replication section: per relationship the transfer sizes (P50, P95, max of the
    /// incremental updates), bytes sent and recovery points missed; the destination's use over
    /// time; Snapshot copies that clones lock there. Empty without a `dr` workload.
    static func replicationMarkdown(_ r: RunResult) -> String {
        r.replications.map { replicationMarkdown(r, $0, titled: r.replications.count > 1) }.joined()
    }

    /// One `dr` workload's section; with several, each is titled by its destination aggregate.
    static func replicationMarkdown(_ r: RunResult, _ x: ReplicationResult, titled: Bool) -> String {
        let s = r.scenario
        var md = titled ? "## Replication to \(x.destination)\n\n" : "## Replication\n\n"
        md += "Destination aggregate \(x.destination) of \(Format.size(x.capacityBlocks, s)); link of \(Format.fixed(x.bandwidth / 1_048_576, 1)) MiB/s, "
            + "one transfer at a time. Transfer sizes are those of the updates after the baseline.\n\n"
        var rows: [[String]] = []
        for rel in x.relationships {
            let updates = x.updates.filter { $0.destination == rel.destination }
            let sent = updates.filter { $0.refusal == nil && !$0.missed }
            let incremental = sent.filter { !$0.baseline }.map { Double($0.transferredBlocks) }.sorted()
            func q(_ level: Double) -> String {
                incremental.isEmpty ? "-" : Format.size(Int(Statistics.quantile(sorted: incremental, level).rounded()), s)
            }
            let baseline = sent.first { $0.baseline }.map { Format.size($0.transferredBlocks, s) } ?? "-"
            rows.append([rel.source, rel.destination, rel.kind.rawValue, Format.duration(rel.every), "\(sent.count)", baseline, q(0.5), q(0.95),
                         incremental.last.map { Format.size(Int($0), s) } ?? "-", Format.size(sent.reduce(0) { $0 + $1.transferredBlocks }, s),
                         Format.duration(sent.map(\.duration).max() ?? .zero), "\(updates.filter(\.missed).count)",
                         "\(updates.filter { $0.refusal != nil }.count)", Format.size(rel.logicalUsed, s), Format.size(rel.charged, s)])
        }
        md += Format.table(["source", "destination", "kind", "every", "updates", "baseline", "P50", "P95", "max", "sent", "longest",
                            "RPO missed", "refused", "logical", "stored"], rows, rightAligned: Set(4...14)) + "\n\n"
        md += "Stored: the blocks the destination volume owns at the end (shared blocks count once, for the volume that received "
            + "them first).\n\n"
        if let last = x.samples.last {
            let peak = x.samples.max { $0.physicalUsed < $1.physicalUsed }!
            md += "Destination use: \(Format.size(last.physicalUsed, s)) at the end (logical \(Format.size(last.logicalUsed, s))), "
                + "peak \(Format.size(peak.physicalUsed, s)) at \(Format.time(peak.time)), of \(Format.size(x.capacityBlocks, s)).\n\n"
            let step = max(1, (x.samples.count + 9) / 10)
            let shown = x.samples.enumerated().filter { $0.offset % step == 0 || $0.offset == x.samples.count - 1 }.map(\.element)
            md += Format.table(["time", "destination used", "logical used", "of capacity", "held by locked copies"], shown.map { d in
                [Format.time(d.time), Format.size(d.physicalUsed, s), Format.size(d.logicalUsed, s), Format.percent(d.physicalUsed, of: x.capacityBlocks),
                 Format.size(d.lockedBlocks, s)]
            }, rightAligned: [1, 2, 3, 4]) + "\n\n"
        }
        if let m = x.samples.max(by: { $0.lockedBlocks < $1.lockedBlocks }), m.lockedBlocks > 0 {
            md += "Clones on the destination lock their base Snapshot copies past retention: at most \(Format.size(m.lockedBlocks, s)) held "
                + "only for them (sample of \(Format.time(m.time))).\n\n"
        }
        if !x.lockedAtEnd.isEmpty {
            md += Format.table(["locked at the end", "clones", "space only it holds"], x.lockedAtEnd.map { l in
                ["\(l.volume)@\(l.snapshot)", l.clones.joined(separator: ", "), Format.size(l.heldBlocks, s)]
            }, rightAligned: [2]) + "\n\n"
        }
        if x.drTests > 0 { md += "DR tests run on clones of the destination copies: \(x.drTests).\n\n" }
        return md
    }

    /// `replication.csv` (every scheduled update) and `destination.csv` (the DR aggregate at
    /// every sample), with a `dr` workload.
    /// `replication.csv` (every scheduled update, with the destination volume's stored bytes
    /// and what its locked copies hold after it), `destination.csv` (each DR aggregate at every
    /// sample) and, when clones lock copies at the end, `locked_copies.csv` (each such copy and
    /// the bytes only it holds), with one or more `dr` workloads. Exact bytes throughout.
    static func replicationFiles(_ r: RunResult) throws -> [(name: String, text: String)] {
        guard !r.replications.isEmpty else { return [] }
        var updateRows: [[String]] = [], sampleRows: [[String]] = [], lockedRows: [[String]] = []
        for x in r.replications {
            let sources = Dictionary(x.relationships.map { ($0.destination, $0.source) }, uniquingKeysWith: { a, _ in a })
            for u in x.updates {
                updateRows.append([String(u.time.nanoseconds / 1_000_000_000), Format.fixed(u.time.days, 4), x.destination,
                                   sources[u.destination] ?? "", u.destination, u.baseline ? "true" : "false", bytes(u.changedBlocks, r),
                                   bytes(u.transferredBlocks, r), Format.fixed(u.start.seconds, 3), Format.fixed(u.duration.seconds, 3),
                                   u.missed ? "true" : "false", u.refusal ?? "", "\(u.lockedSnapshots)",
                                   u.missed || u.refusal != nil ? "" : bytes(u.storedBlocks, r),
                                   u.missed || u.refusal != nil ? "" : bytes(u.lockedHeldBlocks, r)])
            }
            for d in x.samples {
                sampleRows.append([String(d.time.nanoseconds / 1_000_000_000), Format.fixed(d.time.days, 4), x.destination, bytes(d.physicalUsed, r),
                                   bytes(d.logicalUsed, r), bytes(x.capacityBlocks, r), bytes(d.lockedBlocks, r)])
            }
            for l in x.lockedAtEnd {
                lockedRows.append([x.destination, l.volume, l.snapshot, l.clones.joined(separator: " "), bytes(l.heldBlocks, r)])
            }
        }
        let updates = try CSVText.make(["time_s", "day", "aggregate", "source", "destination", "baseline", "changed_bytes", "sent_bytes", "start_s",
                                        "duration_s", "rpo_missed", "refusal", "locked_snapshots", "stored_bytes", "locked_held_bytes"], updateRows)
        let samples = try CSVText.make(["time_s", "day", "aggregate", "physical_used_bytes", "logical_used_bytes", "capacity_bytes",
                                        "locked_held_bytes"], sampleRows)
        var files = [("replication.csv", updates), ("destination.csv", samples)]
        if !lockedRows.isEmpty {
            files.append(("locked_copies.csv", try CSVText.make(["aggregate", "volume", "snapshot", "clones", "held_bytes"], lockedRows)))
        }
        return files
    }
}
