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
        let modeNode: ScenarioNode?
        if case .scalar = node.node {
            modeNode = node
        } else {
            let f = try Fields(node, allowed: ["mode", "start", "every", "window"])
            modeNode = f["mode"]
            if let s = f["start"] {
                guard let seconds = Units.seconds(try s.string()), seconds >= 0, seconds <= spec.horizon.seconds else {
                    throw s.error(found: s.shown, allowed: "a duration from 0 to the horizon: \(Units.durationHelp)")
                }
                dedup.start = SimTime(nanoseconds: Int64((seconds * 1e9).rounded()))
            }
            if let e = f["every"] { dedup.every = try e.duration() }
            if let w = f["window"] { dedup.window = try w.duration() }
            if dedup.window != nil || f["every"] != nil || f["start"] != nil, let m = modeNode, (try? m.string()) == DedupMode.inline.rawValue {
                throw m.error(found: "a schedule with mode inline", allowed: "start, every and window only with mode post_process")
            }
        }
        if let m = modeNode {
            dedup.mode = try Fields.choice(m, DedupMode.self)
            if dedup.mode == .inline {
                try only([.ontap], m, spec, "inline dedup",
                         "post_process (ReFS deduplication and FIDEDUPERANGE run as scheduled jobs; inline only on platform ontap)")
            }
        }
        return dedup
    }
}
