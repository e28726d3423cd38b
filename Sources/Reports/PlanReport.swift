import Engine
import Planner
import Workloads

/// `plan.md` (the recommendation first, then percentiles per variant and the variants side by
/// side) and `plan.csv` (every replication's figures, exact bytes and seconds).
public enum PlanReport {
    public static func files(_ p: PlanResult) throws -> [(name: String, text: String)] {
        var files = [("plan.md", markdown(p)), ("plan.csv", try csv(p)), ("plan.svg", PlanCharts.fan(p.variants[0], p))]
        if p.variants.count > 1 {
            files.append(("variants.svg", PlanCharts.bars(title: "\(p.scenario): capacity to buy per variant",
                                                          rows: p.variants.map { ($0.label, 0, Double(Planner.capacityToBuy($0, p.settings))) },
                                                          base: nil, p)))
        }
        if let s = sensitivity(p) {
            files.append(("sensitivity.svg", PlanCharts.bars(title: "\(p.scenario): capacity to buy, one input at a time",
                                                             rows: s.rows.map { ($0.key, Double($0.low), Double($0.high)) },
                                                             base: Double(s.base), p)))
        }
        return files
    }

    /// One input varied at a time, the others at their first value: the range of the capacity
    /// to buy it spans, widest first. Nil without `--vary` dimensions or a full grid of variants.
    public static func sensitivity(_ p: PlanResult) -> (base: Int, rows: [(key: String, low: Int, high: Int, values: String)])? {
        guard !p.dimensions.isEmpty else { return nil }
        let base = Dictionary(uniqueKeysWithValues: p.dimensions.map { ($0.key, $0.values[0]) })
        func variant(_ values: [String: String]) -> VariantResult? { p.variants.first { $0.values == values } }
        guard let baseVariant = variant(base) else { return nil }
        var rows: [(key: String, low: Int, high: Int, values: String)] = []
        for d in p.dimensions {
            var capacities: [(String, Int)] = []
            for value in d.values {
                guard let v = variant(base.merging([d.key: value]) { $1 }) else { return nil }
                capacities.append((value, Planner.capacityToBuy(v, p.settings)))
            }
            let low = capacities.min { $0.1 < $1.1 }!, high = capacities.max { $0.1 < $1.1 }!
            rows.append((d.key, low.1, high.1, "\(low.0) → \(high.0)"))
        }
        rows.sort { ($0.high - $0.low, $1.key) > ($1.high - $1.low, $0.key) }
        return (Planner.capacityToBuy(baseVariant, p.settings), rows)
    }

    static let levels: [(String, Double)] = [("P50", 0.5), ("P90", 0.9), ("P95", 0.95), ("P99", 0.99)]

    public static func size(_ blocks: Double, _ p: PlanResult) -> String { Format.size(blocks, blockSize: p.blockSize, unit: p.reportUnit) }

    static func percent(_ x: Double) -> String { "\(Format.fixed(x * 100, x * 100 == (x * 100).rounded() ? 0 : 1))%" }

    public static func markdown(_ p: PlanResult) -> String {
        let s = p.settings
        let n = p.variants[0].replications.count
        var md = "# \(p.scenario): capacity plan\n\n"
        let usable = percent(1 - s.headroom), confidence = percent(s.confidence)
        let capacity = Double(p.capacityBlocks)
        for v in p.variants {
            let buy = Double(Planner.capacityToBuy(v, s))
            let peak = Planner.quantile(v.replications.map { Double($0.peakUsed) }, s.confidence) ?? 0
            let label = p.variants.count > 1 ? " (\(v.label))" : ""
            let full = v.replications.filter { $0.fullTime != nil }.count
            md += "**Buy at least \(size(buy, p))\(label).** In \(confidence) of \(n) replications the peak use (\(confidence) quantile "
                + "\(size(peak, p))) stays within \(usable) of it over the \(Format.duration(p.horizon)) horizon. "
                + (buy <= capacity ? "The scenario's aggregate of \(size(capacity, p)) is enough."
                   : "The scenario's aggregate of \(size(capacity, p)) is \(size(buy - capacity, p)) short.")
                + (full == 0 ? "" : " In \(full) of \(n) replications the aggregate filled up and writes failed, so their peaks stop at its "
                   + "capacity: this is a lower bound. Run again with a larger aggregate (`--vary aggregate.capacity=...`) for the full demand.")
                + "\n\n"
        }
        md += "\(n) replications\(p.variants.count > 1 ? " per variant" : ""), seeds derived from \(p.baseSeed) (replication i has the same "
            + "seed in every variant: common random numbers); sampled every \(Format.duration(p.sampleInterval)). Percentiles are "
            + "GSL's type-7 quantiles over the replications; every replication is a row of `plan.csv`.\n\n"
        md += samplingMarkdown(p)
        md += RunReport.calibrationMarkdown(p.calibrations)
        md += "![Use over time](plan.svg)\n\n"
        for v in p.variants { md += variantSection(v, p) }
        if let sens = sensitivity(p), p.dimensions.count > 0 {
            md += "## Sensitivity\n\n"
            md += "Each input varied alone, the others at their first value (the base: \(size(Double(sens.base), p)) to buy). "
                + "Widest swing first: the input at the top drives the answer.\n\n"
            md += Format.table(["input", "lowest → highest", "capacity to buy", "swing"], sens.rows.map { r in
                [r.key, r.values, "\(size(Double(r.low), p)) – \(size(Double(r.high), p))", size(Double(r.high - r.low), p)]
            }, rightAligned: [2, 3]) + "\n\n![Sensitivity](sensitivity.svg)\n\n"
        }
        if p.variants.count > 1 {
            md += "## Variants side by side\n\n"
            md += Format.table(["variant", "P50 peak", "\(confidence) peak", "capacity to buy", "P50 final", "P50 savings", "full in"],
                               p.variants.map { v in
                                   let peaks = v.replications.map { Double($0.peakUsed) }
                                   return [v.label, size(Planner.quantile(peaks, 0.5)!, p), size(Planner.quantile(peaks, s.confidence)!, p),
                                           size(Double(Planner.capacityToBuy(v, s)), p),
                                           size(Planner.quantile(v.replications.map { Double($0.finalUsed) }, 0.5)!, p),
                                           size(Planner.quantile(v.replications.map { Double($0.savings) }, 0.5)!, p),
                                           "\(v.replications.filter { $0.fullTime != nil }.count) of \(n)"]
                               }, rightAligned: Set(1...6)) + "\n\n![Capacity to buy per variant](variants.svg)\n\n"
        }
        return md
    }

    /// What a sampled plan simulated and how much its sampling can move the answer (`Planner`'s
    /// "Sampled plans"); empty for an exact plan.
    static func samplingMarkdown(_ p: PlanResult) -> String {
        let s = p.settings
        guard s.sampleRate > 1 else { return "" }
        let k = Sampling.shardsPerReplication
        var md = "**Sampled: each replication simulated 1/\(s.sampleRate) of the address space**"
            + (s.sampleChoice.map { " (\($0))" } ?? "") + ": \(k) shards of 1/\(k * s.sampleRate), "
            + "every write drawn for the shard alone, its block figures scaled by \(s.sampleRate). Structure (clones, Snapshot copies, "
            + "refusals, limits) and times are simulated in full. A replication's figure is the model's outcome plus a sampling error of "
            + "mean zero, measured in each replication from the spread between its shards"
        // The largest effect over the variants.
        var peakError = 0.0, finalError = 0.0, widening = 0.0, share = 0.0
        for v in p.variants {
            let peaks = v.replications.map { Double($0.peakUsed) }
            guard let pe = Planner.samplingError(v.replications.map(\.peakStandardError)),
                  let fe = Planner.samplingError(v.replications.map(\.finalStandardError)) else { continue }
            peakError = max(peakError, pe)
            finalError = max(finalError, fe)
            widening = max(widening, Planner.widening(peaks, error: pe, level: s.confidence))
            let spread = Planner.spread(peaks)
            if spread > 0 { share = max(share, min(1, pe * pe / (spread * spread))) }
        }
        let over = p.variants.count > 1 ? " (the largest over the variants)" : ""
        md += ": one standard deviation of \(size(peakError, p)) on the peak and \(size(finalError, p)) on the final use\(over). "
            + "It adds to the spread between replications (\(percent(share)) of the peaks' variance) and can raise their "
            + "\(percent(s.confidence)) quantile, and so the capacity to buy, by about \(size(widening, p)) over an exact plan's "
            + "(normal approximation). Final use is unbiased; a peak, the largest of figures that each carry the error, errs high by up "
            + "to about one standard deviation. `--sample exact` plans without sampling.\n\n"
        return md
    }

    static func variantSection(_ v: VariantResult, _ p: PlanResult) -> String {
        var md = p.variants.count > 1 ? "## \(v.label)\n\n" : "## Results\n\n"
        let r = v.replications
        var rows: [(String, [Double])] = [
            ("peak use", r.map { Double($0.peakUsed) }),
            ("final use", r.map { Double($0.finalUsed) }),
            ("final use with full copies", r.map { Double($0.traditionalFinal) }),
            ("savings at the end", r.map { Double($0.savings) }),
        ]
        if r.allSatisfy({ $0.sentBlocks != nil }) { rows.append(("sent by replication", r.map { Double($0.sentBlocks!) })) }
        md += Format.table(["figure"] + levels.map(\.0) + ["min", "max"], rows.map { name, values in
            [name] + levels.map { size(Planner.quantile(values, $0.1)!, p) } + [size(values.min()!, p), size(values.max()!, p)]
        }, rightAligned: Set(1...6)) + "\n\n"
        var times: [(String, [SimTime?])] = p.alertLevels.enumerated().map { k, level in (percent(level), r.map { $0.alertTimes[k] }) }
        times.append(("full", r.map(\.fullTime)))
        md += Format.table(["threshold", "crossed in"] + levels.map(\.0), times.map { name, ts in
            let crossed = ts.compactMap { $0 }.map { Double($0.nanoseconds) }
            return [name, "\(crossed.count) of \(r.count)"] + levels.map { level in
                Planner.quantile(crossed, level.1).map { Format.time(SimTime(nanoseconds: Int64($0.rounded()))) } ?? "-"
            }
        }, rightAligned: [1]) + "\n\n"
        md += "Times are those of the replications that crossed the threshold within the horizon.\n\n"
        md += bindingTable(v, p)
        return md
    }

    /// Which limit bound first in how many replications, and when; and how many met each limit.
    static func bindingTable(_ v: VariantResult, _ p: PlanResult) -> String {
        let r = v.replications
        let first = r.compactMap(\.firstBinding)
        guard !first.isEmpty else { return "No limit bound in any replication (capacity, pointer or clone limits, quotas, RPO).\n\n" }
        var md = "Limits that bound (a write, clone or update refused or degraded, or the aggregate full):\n\n"
        md += Format.table(["limit", "bound first in", "met in", "first met, P50"], Constraint.allCases.compactMap { c in
            let met = r.compactMap { $0.binding[c] }
            guard !met.isEmpty else { return nil }
            let median = Planner.quantile(met.map { Double($0.nanoseconds) }, 0.5)!
            return [c.rawValue, "\(first.filter { $0.constraint == c }.count) of \(r.count)", "\(met.count) of \(r.count)",
                    Format.time(SimTime(nanoseconds: Int64(median.rounded())))]
        }, rightAligned: [1, 2]) + "\n\n"
        return md
    }

    static func csv(_ p: PlanResult) throws -> String {
        func seconds(_ t: SimTime?) -> String { t.map { String($0.nanoseconds / 1_000_000_000) } ?? "" }
        func bytes(_ blocks: Int) -> String { String(blocks * p.blockSize) }
        let columns = ["variant", "replication", "seed", "peak_bytes", "peak_time_s", "final_bytes", "traditional_final_bytes",
                      "savings_bytes", "sent_bytes"] + p.alertLevels.map { "alert_\(Format.fixed($0 * 100, 0))_s" } + ["full_s", "binds_first", "binds_first_s"]
        // A sampled plan's replications carry their sampling errors (standard errors, bytes).
        let sampled = p.settings.sampleRate > 1
        func error(_ e: Double?) -> String { e.map { String(Int(($0 * Double(p.blockSize)).rounded())) } ?? "" }
        let rows = p.variants.flatMap { v in
            v.replications.map { r in
                var row: [String] = [v.label, "\(r.replication)", "\(r.seed)", bytes(r.peakUsed), seconds(r.peakTime), bytes(r.finalUsed),
                                     bytes(r.traditionalFinal), bytes(r.savings), r.sentBlocks.map(bytes) ?? ""]
                row += r.alertTimes.map(seconds)
                row += [seconds(r.fullTime), r.firstBinding?.constraint.rawValue ?? "", seconds(r.firstBinding?.time)]
                if sampled { row += [error(r.peakStandardError), error(r.finalStandardError)] }
                return row
            }
        }
        let header = columns + (sampled ? ["peak_sampling_se_bytes", "final_sampling_se_bytes"] : [])
        return try CSVText.make(header, rows)
    }
}
