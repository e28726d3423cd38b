import Engine
import Workloads

extension RunReport {
    /// Cache reads in time order (boot storms before steady reads of the same instant).
    static func cacheRecords(_ r: RunResult) -> [CacheRecord] {
        r.cacheReads.enumerated().sorted { a, b in
            (a.element.time, a.element.kind == .steady ? 1 : 0, a.offset) < (b.element.time, b.element.kind == .steady ? 1 : 0, b.offset)
        }.map(\.element)
    }

    /// The Flash Cache section: hit rates with sharing and, from the same reads, without it.
    /// Empty when the aggregate has no cache.
    static func cacheMarkdown(_ r: RunResult) -> String {
        guard let size = r.cacheBlocks else { return "" }
        let s = r.scenario
        var md = "## Flash Cache\n\n"
        let records = cacheRecords(r)
        guard !records.isEmpty else { return md + "A cache of \(Format.size(size, s)); no workload read through it.\n\n" }
        func rate(_ kind: CacheRecord.Kind?, _ f: (CacheRecord) -> Int) -> String {
            let rs = records.filter { kind == nil || $0.kind == kind }
            let reads = rs.reduce(0) { $0 + $1.reads }
            return reads == 0 ? "-" : Format.percent(rs.reduce(0) { $0 + f($1) }, of: reads)
        }
        func reads(_ kind: CacheRecord.Kind?) -> String {
            Format.size(records.filter { kind == nil || $0.kind == kind }.reduce(0) { $0 + $1.reads }, s)
        }
        md += "A cache of \(Format.size(size, s)) over physical blocks. Without sharing: the same reads on a cache of the same size in "
            + "which every desktop's blocks are its own (what full copies would get)."
            + (r.sampling.map { z in " In this sample each shard reads its addresses through 1/\(z.shardCount) of the cache, as SHARDS "
                + "(Waldspurger et al., FAST '15) scales a cache with its spatial sample: reads and hits are the shards' sums times "
                + "\(z.rate), and the hit rates estimates." } ?? "") + "\n\n"
        md += Format.table(["kind", "read", "hit rate", "without sharing"], [
            ["boot storms", reads(.bootStorm), rate(.bootStorm, \.hits), rate(.bootStorm, \.hitsWithoutSharing)],
            ["steady", reads(.steady), rate(.steady, \.hits), rate(.steady, \.hitsWithoutSharing)],
            ["all", reads(nil), rate(nil, \.hits), rate(nil, \.hitsWithoutSharing)],
        ], rightAligned: [1, 2, 3]) + "\n\n"
        md += "By event (first \(min(records.count, maxRows)) of \(records.count); all in `cache.csv`, charted in `cache.svg`):\n\n"
        md += Format.table(["time", "workload", "kind", "read", "hit rate", "without sharing"], records.prefix(maxRows).map { c in
            [Format.time(c.time), c.workload, c.kind.rawValue, Format.size(c.reads, s), Format.percent(c.hits, of: c.reads),
             Format.percent(c.hitsWithoutSharing, of: c.reads)]
        }, rightAligned: [3, 4, 5]) + "\n\n"
        return md
    }

    /// `cache.csv` and `cache.svg`, when the aggregate has a Flash Cache.
    static func cacheFiles(_ r: RunResult) throws -> [(name: String, text: String)] {
        guard r.cacheBlocks != nil else { return [] }
        let records = cacheRecords(r)
        let csv = try CSVText.make(["time_s", "day", "workload", "kind", "reads_blocks", "hits", "hits_without_sharing", "hit_rate",
                                    "hit_rate_without_sharing"],
                                   records.map { c in
                                       [String(c.time.nanoseconds / 1_000_000_000), Format.fixed(c.time.days, 4), c.workload, c.kind.rawValue,
                                        "\(c.reads)", "\(c.hits)", "\(c.hitsWithoutSharing)", Format.fixed(c.hitRate, 6),
                                        Format.fixed(c.hitRateWithoutSharing, 6)]
                                   })
        return [("cache.csv", csv), ("cache.svg", Chart.cacheSVG(r, records))]
    }
}

extension Chart {
    /// Hit rate per event over time, with and without sharing: boot storms as dots, steady
    /// reads as lines.
    static func cacheSVG(_ r: RunResult, _ records: [CacheRecord]) -> String {
        let s = r.scenario
        let days = max(s.horizon.days, 1e-9)
        let plotW = width - left - right, plotH = height - top - bottom
        func x(_ t: SimTime) -> String { Format.fixed(left + t.days / days * plotW, 1) }
        func y(_ rate: Double) -> String { Format.fixed(top + plotH - rate * plotH, 1) }
        var out = frame(title: "\(s.name): Flash Cache hit rate", horizon: s.horizon, yLabels: (0...5).map { "\($0 * 20)%" })
        var legend: [(String, String, String)] = []
        let series: [(String, String, (CacheRecord) -> Double)] = [
            ("with sharing", "#2060c0", { $0.hitRate }),
            ("without sharing", "#c03030", { $0.hitRateWithoutSharing }),
        ]
        for (name, colour, value) in series {
            let steady = records.filter { $0.kind == .steady && $0.reads > 0 }
            if steady.count > 1 {
                let points = steady.map { "\(x($0.time)),\(y(value($0)))" }.joined(separator: " ")
                out += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(points)\"/>\n"
                legend.append(("steady, \(name)", colour, ""))
            }
            let boots = records.filter { $0.kind == .bootStorm && $0.reads > 0 }
            for c in boots { out += "<circle cx=\"\(x(c.time))\" cy=\"\(y(value(c)))\" r=\"4\" fill=\"\(colour)\"/>\n" }
            if !boots.isEmpty { legend.append(("boot storms, \(name)", colour, "")) }
        }
        out += legendSVG(legend)
        return out + "</svg>\n"
    }
}
