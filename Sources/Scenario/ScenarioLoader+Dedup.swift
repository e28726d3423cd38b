import BlockModel
import Engine
import Workloads

extension ScenarioLoader {
    /// The aggregate's dedup settings; metadata and zero blocks are ONTAP profile settings.
    static func readDedupSettings(_ node: ScenarioNode, _ spec: inout ScenarioSpec) throws(ScenarioError) {
        let f = try Fields(node, allowed: aggregateKeys)
        if let m = f["dedup_metadata"] {
            try only([.ontap], m, spec, "dedup_metadata", "dedup_metadata only on platform ontap (the fingerprint database)")
            spec.aggregate.ontap.dedupMetadataFraction = try m.ratio(in: .zero...(.percent(50)))
        }
        if let z = f["dedup_zero_blocks"] {
            try only([.ontap], z, spec, "dedup_zero_blocks", "dedup_zero_blocks only on platform ontap")
            spec.aggregate.ontap.dedupZeroBlocks = try z.bool()
        }
        if let t = f["dedup_throughput"] { spec.aggregate.dedupThroughput = Double(try rate(t)) }
        try readProfileSettings(f, &spec)
    }

    /// The ONTAP profile's other settings (MODEL.md's [choice]s, and the release).
    static func readProfileSettings(_ f: Fields, _ spec: inout ScenarioSpec) throws(ScenarioError) {
        func ontapOnly(_ key: String) throws(ScenarioError) -> ScenarioNode? {
            guard let node = f[key] else { return nil }
            try only([.ontap], node, spec, key, "\(key) only on platform ontap")
            return node
        }
        if let n = try ontapOnly("file_clone_metadata") { spec.aggregate.ontap.fileCloneMetadataFraction = try n.ratio(in: .zero...(.percent(10))) }
        if let n = try ontapOnly("pointer_limit") { spec.aggregate.ontap.maxPointersPerBlock = 1 + (try n.integer(in: 1...65_534)) }
        if let n = try ontapOnly("split_deletes_clone_snapshots") { spec.aggregate.ontap.splitDeletesCloneSnapshots = try n.bool() }
        if let n = try ontapOnly("dedup_catalog") { spec.aggregate.ontap.donorCatalog = try Fields.choice(n, DonorCatalog.self) }
        if let n = try ontapOnly("ontap_version") { spec.aggregate.ontap.version = try ontapVersion(n) }
    }

    static func ontapVersion(_ node: ScenarioNode) throws(ScenarioError) -> ONTAPVersion {
        guard let v = ONTAPVersion(try node.string()) else {
            throw node.error(found: node.shown, allowed: "a release such as 9.15.1, 8.0.1 or 8.0 (one to three numbers separated by dots)")
        }
        return v
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
