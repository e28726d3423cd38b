import Stochastic
import Workloads

extension ScenarioLoader {
    /// Where a `content` key is read: which pools exist and whether a `golden` share means
    /// anything there (only desktops have a golden image to copy).
    struct ContentContext {
        var pools: [String]
        var golden: Bool
    }

    static func contentContext(_ spec: ScenarioSpec, golden: Bool = false) -> ContentContext {
        ContentContext(pools: spec.contentPools.map(\.name), golden: golden)
    }

    /// `content_pools`: name → size, Zipf exponent and scope.
    static func readContentPools(_ node: ScenarioNode) throws(ScenarioError) -> [ContentPoolSpec] {
        var pools: [ContentPoolSpec] = []
        for (name, entry) in try node.namedEntries() {
            let f = try Fields(entry, allowed: ["size", "exponent", "scope"])
            let sizeNode = try f.required("size", "the pool's distinct data, a size: \(Units.sizeHelp)")
            var pool = ContentPoolSpec(name: name, sizeBytes: try sizeNode.bytes())
            // The popularity table of gsl_ran_discrete holds one entry per block.
            let maxBytes = Distribution.maxZipfItems * 4096
            if pool.sizeBytes > maxBytes {
                throw sizeNode.error(found: sizeNode.shown, allowed: "at most \(maxBytes / (1 << 30)) GiB (\(Distribution.maxZipfItems) blocks of 4 KiB)")
            }
            if let e = f["exponent"] {
                guard let x = Double(try e.string()), x >= 0, x <= 10 else { throw e.error(found: e.shown, allowed: "a number from 0 (uniform) to 10") }
                pool.exponent = x
            }
            if let s = f["scope"] { pool.scope = try Fields.choice(s, ContentPoolSpec.Scope.self) }
            pools.append(pool)
        }
        return pools
    }

    /// `content`: fractions of zero blocks, golden-image blocks and pool draws; the rest unique.
    static func readContent(_ node: ScenarioNode, _ context: ContentContext) throws(ScenarioError) -> ContentSpec {
        let f = try Fields(node, allowed: ["zero", "golden", "pools"])
        var content = ContentSpec()
        if let z = f["zero"] { content.zero = try z.fraction() }
        if let g = f["golden"] {
            guard context.golden else {
                throw g.error(found: "a golden share here", allowed: "golden only in a vdi workload's change (desktops copy their image)")
            }
            content.golden = try g.fraction()
        }
        if let pools = f["pools"] {
            for (name, share) in try pools.namedEntries() {
                guard context.pools.contains(name) else {
                    throw share.error(found: "pool '\(name)'", allowed: context.pools.isEmpty ? "a pool declared under content_pools (none is)"
                                                                                           : context.pools.joined(separator: ", "))
                }
                content.pools.append(.init(pool: name, share: try share.fraction()))
            }
        }
        let total = content.zero + content.golden + content.pools.reduce(0) { $0 + $1.share }
        if total > 1 + 1e-9 {
            throw node.error(found: "shares adding up to \(Int((total * 100).rounded()))%", allowed: "shares adding up to at most 100% (the rest is unique data)")
        }
        return content
    }
}
