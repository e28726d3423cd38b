import BlockModel
import Engine
import Stochastic
import Testing
@testable import Workloads

/// The content model: shares, Zipf pool popularity, and reproducible draws per object.
@Suite struct ContentModelTests {
    static func draws(_ content: ContentSpec, pool: ContentPoolSpec, seed: UInt64 = 7) throws -> ContentDraws {
        let p = try ContentPool(pool, blockSize: 4096, namespace: 3)
        return ContentDraws(content, stream: RandomStream(seed: seed), pools: [(p, 3)])
    }

    /// 200,000 draws from a 20-content pool with exponent 1: the rank counts fit the weights
    /// 1/k / H(20) by a chi-square test at the 0.1% level (19 degrees of freedom: 43.82).
    @Test func zipfPoolFrequenciesMatchTheWeights() throws {
        var content = ContentSpec()
        content.pools = [.init(pool: "os", share: 1)]
        var pool = ContentPoolSpec(name: "os", sizeBytes: 20 * 4096)
        pool.exponent = 1
        let d = try Self.draws(content, pool: pool)
        var next: UInt64 = 1
        let n = 200_000
        let ids = d.contents([BlockRun(start: 0, count: n)], next: &next) { _ in [] }
        #expect(next == 1, "no unique data was drawn")
        var counts = [Int](repeating: 0, count: 20)
        for id in ids {
            #expect(id >> 36 == ContentID.poolBit >> 36 | 3)
            counts[Int(id & (1 << 36 - 1))] += 1
        }
        let h = (1...20).reduce(0.0) { $0 + 1 / Double($1) }
        let chi2 = (1...20).reduce(0.0) { sum, k in
            let expected = Double(n) / Double(k) / h
            let d = Double(counts[k - 1]) - expected
            return sum + d * d / expected
        }
        #expect(chi2 < 43.82, "chi-square \(chi2) with counts \(counts)")
        // The most popular content is drawn about 28% of the time (1 / H(20) = 0.2787).
        #expect(abs(Double(counts[0]) / Double(n) - 1 / h) < 0.005)
    }

    /// Zero 10%, golden 20%, pool 30%, unique 40%: each within 0.005 of its share over
    /// 100,000 blocks (five standard deviations); golden blocks copy the image's content at
    /// the same offset, and unique data takes consecutive new identities.
    @Test func sharesOfEachKindOfContent() throws {
        var content = ContentSpec()
        content.zero = 0.1
        content.golden = 0.2
        content.pools = [.init(pool: "os", share: 0.3)]
        let d = try Self.draws(content, pool: ContentPoolSpec(name: "os", sizeBytes: 1000 * 4096))
        var next: UInt64 = 500
        let n = 100_000
        // The image holds content 1_000_000 + offset, with a hole at offsets below 10.
        let ids = d.contents([BlockRun(start: 0, count: n / 2), BlockRun(start: 200_000, count: n / 2)], next: &next) { run in
            (run.start..<(run.start + run.count)).map { $0 < 10 ? nil : 1_000_000 + UInt64($0) }
        }
        var zero = 0, golden = 0, pool = 0, unique: [UInt64] = []
        for (k, id) in ids.enumerated() {
            let offset = k < n / 2 ? k : 200_000 + k - n / 2
            if id == 0 { zero += 1 }
            else if id == 1_000_000 + UInt64(offset) { golden += 1 }
            else if id & ContentID.poolBit != 0 { pool += 1 }
            else { unique.append(id) }
        }
        #expect(abs(Double(zero) / Double(n) - 0.1) < 0.005)
        #expect(abs(Double(golden) / Double(n) - 0.2) < 0.005)
        #expect(abs(Double(pool) / Double(n) - 0.3) < 0.005)
        #expect(abs(Double(unique.count) / Double(n) - 0.4) < 0.005)
        #expect(unique == Array(500..<(500 + UInt64(unique.count))) && next == 500 + UInt64(unique.count))
    }

    func scenario(seed: UInt64, scope: ContentPoolSpec.Scope) -> ScenarioSpec {
        var spec = ScenarioSpec(name: "content", horizon: .days(1), sampleInterval: .days(1),
                                aggregate: AggregateSpec(capacityBytes: 100_000 * 4096))
        spec.seed = seed
        var pool = ContentPoolSpec(name: "os", sizeBytes: 50 * 4096)
        pool.scope = scope
        spec.contentPools = [pool]
        var content = ContentSpec()
        content.pools = [.init(pool: "os", share: 1)]
        var v = VolumeSpec(name: "v", sizeBytes: 10_000 * 4096)
        for path in ["a", "b"] {
            var f = FileSpec(path: path, sizeBytes: 1000 * 4096)
            f.content = content
            v.files.append(f)
        }
        spec.volumes = [v]
        return spec
    }

    func contents(_ spec: ScenarioSpec) throws -> [[UInt64?]] {
        let sim = try Simulation(spec)
        _ = try sim.run()
        return try ["a", "b"].map { try sim.storage.contents("v", $0, blocks: 0..<1000) }
    }

    /// The same seed gives the same contents, another seed others; a shared pool gives both
    /// files the same 50 contents, a private one each file its own.
    @Test func drawsAreReproduciblePerObjectAndPoolsSharedOrPrivate() throws {
        let shared = try contents(scenario(seed: 1, scope: .shared))
        #expect(try contents(scenario(seed: 1, scope: .shared)) == shared)
        #expect(try contents(scenario(seed: 2, scope: .shared)) != shared)
        #expect(shared[0] != shared[1], "each file draws from its own stream")
        let a = Set(shared[0].compactMap { $0 }), b = Set(shared[1].compactMap { $0 })
        #expect(a.count <= 50 && a.count > 30 && !a.isDisjoint(with: b))
        let own = try contents(scenario(seed: 1, scope: .private))
        #expect(Set(own[0].compactMap { $0 }).isDisjoint(with: Set(own[1].compactMap { $0 })))
        // Positions of equal content are the same draws: only the namespace differs.
        func ranks(_ ids: [UInt64?]) -> [UInt64] { ids.map { ($0 ?? UInt64.max) & (1 << 36 - 1) } }
        #expect(ranks(own[0]) == ranks(shared[0]))
    }
}
