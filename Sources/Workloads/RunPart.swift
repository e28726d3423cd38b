import BlockModel

/// One shard of an exact run, as `run --shard K/N` writes it and `clonesim merge` reads it
/// (issue 22): the shard's results, one per platform, with what the merge checks the parts
/// against each other by. Shards are `Sharding(count: N, members: [K − 1])`, so the N parts
/// merged are the run `run --jobs N` gives, and that is the unsharded run byte for byte.
public struct RunPart: Codable, Sendable {
    /// What the file is, and the layout's version: a merge refuses another.
    public static let format = "clonesim run part"
    public static let currentVersion = 1
    /// Shards a run is cut into at most: more only repeat the structure in more processes.
    public static let largestShardCount = 4096

    public var kind = RunPart.format
    public var version = RunPart.currentVersion
    public var scenario: String
    /// The scenario file's bytes hashed (FNV-1a, 64 bits, hex): parts of edited files differ.
    public var digest: String
    public var seed: UInt64
    /// K of K/N, from 1.
    public var shard: Int
    public var of: Int
    /// What the merge needs of the aggregate: its name and alert levels.
    public var aggregate: String
    public var alerts: [Ratio]
    /// One result per platform, in the scenario's order.
    public var results: [RunResult]

    public init(scenario: String, digest: String, seed: UInt64, shard: Int, of: Int, aggregate: AggregateSpec, results: [RunResult]) {
        self.scenario = scenario
        self.digest = digest
        self.seed = seed
        self.shard = shard
        self.of = of
        self.aggregate = aggregate.name
        alerts = aggregate.alerts
        self.results = results
    }

    /// FNV-1a over `bytes`, as 16 hex digits.
    public static func digest(_ bytes: some Sequence<UInt8>) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The parts of one run, in any order, as the results one process gives (one per platform).
    /// - Throws: a one-line `MergeError` naming what was found and what is allowed when the
    ///   parts come from different scenarios, files, seeds, versions or shard counts, or when a
    ///   shard is missing or given twice.
    public static func merge(_ parts: [RunPart]) throws(MergeError) -> [RunResult] {
        guard let first = parts.first else { throw MergeError("no partial results") }
        for p in parts {
            guard p.version == currentVersion else {
                throw MergeError("a part of layout version \(p.version); allowed: \(currentVersion) (write the parts again with this clonesim)")
            }
            func differs(_ what: String, _ found: String, _ expected: String) throws(MergeError) {
                guard found == expected else {
                    throw MergeError("shard \(p.shard)/\(p.of) has \(what) \(found); shard \(first.shard)/\(first.of) has \(what) \(expected): parts of one run only")
                }
            }
            try differs("scenario", "'\(p.scenario)'", "'\(first.scenario)'")
            try differs("a scenario file of digest", p.digest, first.digest)
            try differs("seed", "\(p.seed)", "\(first.seed)")
            try differs("shard count", "\(p.of)", "\(first.of)")
            try differs("platforms", "\(p.results.map(\.scenario.platform.rawValue))", "\(first.results.map(\.scenario.platform.rawValue))")
            guard (1...p.of).contains(p.shard) else { throw MergeError("shard \(p.shard)/\(p.of); allowed: 1 to \(p.of)") }
        }
        let n = first.of
        var seen = Set<Int>()
        for p in parts where !seen.insert(p.shard).inserted {
            throw MergeError("shard \(p.shard)/\(n) is given twice; allowed: each of 1 to \(n) once")
        }
        let missing = (1...n).filter { !seen.contains($0) }
        guard missing.isEmpty else {
            throw MergeError("\(missing.count) of \(n) shards are missing (\(missing.prefix(5).map { "\($0)/\(n)" }.joined(separator: ", "))\(missing.count > 5 ? ", ..." : "")); allowed: all \(n)")
        }
        let ordered = parts.sorted { $0.shard < $1.shard }
        var aggregate = AggregateSpec(capacityBytes: 0)
        aggregate.name = first.aggregate
        aggregate.alerts = first.alerts
        return try first.results.indices.map { (i: Int) throws(MergeError) -> RunResult in
            try RunResult.merged(ordered.map { $0.results[i] }, aggregate: aggregate)
        }
    }
}
