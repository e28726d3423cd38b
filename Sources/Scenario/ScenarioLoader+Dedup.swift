import BlockModel
import Engine
import Workloads

extension ScenarioLoader {
    /// The aggregate's dedup settings; metadata and zero blocks are ONTAP profile settings.
    static func readDedupSettings(_ node: ScenarioNode, _ spec: inout ScenarioSpec) throws(ScenarioError) {
        let f = try Fields(node, allowed: aggregateKeys)
        if let m = f["dedup_metadata"] {
            try only([.ontap], m, spec, "dedup_metadata", "dedup_metadata only on platform ontap (the fingerprint database)")
            spec.aggregate.dedupMetadata = try m.fraction(in: 0...0.5)
        }
        if let z = f["dedup_zero_blocks"] {
            try only([.ontap], z, spec, "dedup_zero_blocks", "dedup_zero_blocks only on platform ontap")
            spec.aggregate.dedupZeroBlocks = try z.bool()
        }
        if let t = f["dedup_throughput"] { spec.aggregate.dedupThroughput = Double(try rate(t)) }
    }

    /// A volume's `dedup`: a mode word, or `{ mode, start, every, window }`.
    static func readDedup(_ node: ScenarioNode, _ spec: ScenarioSpec) throws(ScenarioError) -> DedupSpec {
        var dedup = DedupSpec()
        let isScalar: Bool
        if case .scalar = node.node { isScalar = true } else { isScalar = false }
        let f = isScalar ? nil : try Fields(node, allowed: ["mode", "start", "every", "window"])
        if let m = isScalar ? node : f?["mode"] {
            dedup.mode = try Fields.choice(m, DedupMode.self)
            if dedup.mode == .inline {
                if let f, f["start"] != nil || f["every"] != nil || f["window"] != nil {
                    throw m.error(found: "a schedule with mode inline", allowed: "start, every and window only with mode post_process")
                }
                try only([.ontap], m, spec, "inline dedup",
                         "post_process (ReFS deduplication and FIDEDUPERANGE run as scheduled jobs; inline only on platform ontap)")
            }
        }
        if let f {
            if let s = f["start"] {
                guard let seconds = Units.seconds(try s.string()), seconds >= 0, seconds <= spec.horizon.seconds else {
                    throw s.error(found: s.shown, allowed: "a duration from 0 to the horizon: \(Units.durationHelp)")
                }
                dedup.start = SimTime(nanoseconds: Int64((seconds * 1e9).rounded()))
            }
            if let e = f["every"] { dedup.every = try e.duration() }
            if let w = f["window"] { dedup.window = try w.duration() }
        }
        return dedup
    }
}
