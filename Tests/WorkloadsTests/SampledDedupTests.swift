import Foundation
import BlockModel
import Engine
import Stochastic
import Testing
@testable import Workloads

/// Dedup in sampled runs (issue 22): pool contents sampled by content (`ContentPool`), the
/// rest by address.
@Suite struct SampledDedupTests {
    /// A uniform pool of 64 contents over 8 shards: each weighs 1/64, so the largest level with
    /// 1/64·m ≤ 1/16 is 4 — the ranks go in 16 stripes of 4, and each shard holds one rank of
    /// every stripe, drawn 4 times as often (1/16): 16 ranks, each held by 2 shards of 8.
    @Test func aUniformPoolIsHeldByLevelsOfFour() throws {
        var holders = [Int](repeating: 0, count: 64)
        for shard in 0..<8 {
            let held = ContentPool.held(blocks: 64, exponent: 0, shards: 8, shard: shard)
            #expect(held.ranks.count == 16)
            #expect(Set(held.ranks.map { $0 / 4 }) == Set(0..<16), "one rank of every stripe of 4")
            for r in held.ranks { holders[r] += 1 }
        }
        #expect(holders == [Int](repeating: 2, count: 64))
        // Shards 4 apart hold the same ranks at level 4.
        #expect(ContentPool.held(blocks: 64, exponent: 0, shards: 8, shard: 1).ranks == ContentPool.held(blocks: 64, exponent: 0, shards: 8, shard: 5).ranks)
    }

    /// Summed over all M shards, every content is drawn M times its whole-run weight: each is
    /// held by M/mₖ shards at weight wₖ·mₖ. This is what makes the scaled sample unbiased.
    @Test(arguments: [(4096, 1.1, 128), (1000, 0.8, 48), (50_000, 1.2, 2048)])
    func overAllShardsEveryContentHasItsWeight(blocks: Int, exponent: Double, shards: Int) throws {
        let total = (0..<blocks).reduce(0.0) { $0 + pow(Double($1 + 1), -exponent) }
        let levels = levelsOf(blocks, exponent, shards)
        var drawn = [Double](repeating: 0, count: blocks)
        for shard in 0..<shards {
            let held = ContentPool.held(blocks: blocks, exponent: exponent, shards: shards, shard: shard)
            #expect(held.ranks == held.ranks.sorted() && held.choice.count == held.ranks.count)
            // The weights the shard's choice was built from, recomputed: level × whole-run weight.
            for r in held.ranks {
                let w: Double = pow(Double(r + 1), -exponent) / total
                drawn[r] += w * Double(levels[r])
            }
        }
        for k in 0..<blocks {
            let w = pow(Double(k + 1), -exponent) / total
            #expect(abs(drawn[k] - Double(shards) * w) <= 1e-12 * Double(shards), "rank \(k)")
        }
        // The most popular content is held by every shard (plain address sampling) when its
        // weight passes 1/16.
        if 1 / total > ContentPool.headShare {
            #expect((0..<shards).allSatisfy { ContentPool.held(blocks: blocks, exponent: exponent, shards: shards, shard: $0).ranks.first == 0 })
        }
    }

    /// The level of the stripe holding each rank, walked as `ContentPool.held` walks them.
    func levelsOf(_ blocks: Int, _ exponent: Double, _ m: Int) -> [Int] {
        let total = (0..<blocks).reduce(0.0) { $0 + pow(Double($1 + 1), -exponent) }
        let divisors = (1...m).filter { m % $0 == 0 }
        var levels: [Int] = []
        while levels.count < blocks {
            let w: Double = pow(Double(levels.count + 1), -exponent) / total
            let level = divisors.last { w * Double($0) <= ContentPool.headShare } ?? 1
            levels += repeatElement(level, count: min(level, blocks - levels.count))
        }
        return levels
    }

    /// One content in 16 granules of 256 blocks (4,096 blocks), sampled at 1/2: 16 shards, each
    /// holding one granule, 8 simulated. ONTAP: 256 blocks make one donor with 255 pointers, so
    /// the exact 4,096 / 256 = 16 donors and the sample's 16/8 · 8 · 1 agree. ReFS shares all
    /// 4,096 with one cluster; each shard keeps one of its own, so the sample says 16: the
    /// rounding bias `ContentPool` names (under M/mₖ blocks per content held by every shard).
    @Test(arguments: [(Platform.ontap, 16, 16), (.refs, 1, 16)])
    func oneContentEverywhereByHand(_ platform: Platform, exact: Int, sampled: Int) throws {
        var spec = ScenarioSpec(name: "one-content", horizon: .days(1), sampleInterval: .days(1),
                                aggregate: AggregateSpec(capacityBytes: 1 << 30))
        spec.platform = platform
        spec.contentPools = [ContentPoolSpec(name: "one", sizeBytes: 4096)]
        var same = ContentSpec()
        same.pools = [.init(pool: "one", share: 1)]
        var v = VolumeSpec(name: "v", sizeBytes: 1 << 29)
        var f = FileSpec(path: "same", sizeBytes: 4096 * 4096)
        f.content = same
        v.files = [f]
        v.dedup = DedupSpec()
        spec.volumes = [v]
        let whole = try Simulation(spec).run()
        let sample = try Simulation.runSampled(spec, rate: 2, jobs: 2)
        let metadata = whole.volumeSavings[0].dedupMetadata
        #expect(whole.samples.last!.physicalUsed - metadata == exact)
        #expect(sample.samples.last!.physicalUsed - sample.volumeSavings[0].dedupMetadata == sampled)
        // The runs' figures are the shards' sum scaled: all 4,096 blocks processed.
        #expect(sample.dedupRuns.map(\.run.processedBlocks) == whole.dedupRuns.map(\.run.processedBlocks))
        #expect(sample.dedupRuns[0].run.duplicates == 4096 - sampled && whole.dedupRuns[0].run.duplicates == 4096 - exact)
        #expect(sample.dedupRuns[0].duration == whole.dedupRuns[0].duration)
        #expect(sample.events.filter { $0.operation == "dedup_run" }.map(\.detail)
                == sample.dedupRuns.map { "\($0.run.processedBlocks) blocks processed, \($0.run.duplicates) duplicates, \($0.run.freedBlocks) freed, \(Int($0.run.seconds.rounded())) s" })
    }

    /// A work estimate's pilot counts what each dedup run would process without running it
    /// (`skipDedupRun`): the same blocks, night after night, as the runs themselves, on every
    /// platform — the first scan of every desktop, then each night's writes (and, on the file
    /// systems, the clones made since).
    @Test(arguments: [Platform.ontap, .refs, .reflink])
    func aPilotCountsTheBlocksARunProcesses(_ platform: Platform) throws {
        let spec = Self.desktops(platform)
        let run = try Simulation(spec).run().dedupRuns.map(\.run.processedBlocks)
        let pilot = try Simulation(spec)
        pilot.isPilot = true
        let counted = try pilot.run().dedupRuns
        #expect(run.count == 4 && run.allSatisfy { $0 > 0 })
        #expect(counted.map(\.run.processedBlocks) == run)
        #expect(counted.allSatisfy { $0.run.duplicates == 0 }, "counted, not run")
    }

    /// The work estimate's dedup term by hand. A pilot (1/1024, shard 0) of one run over files
    /// of 300,000 and 270,000 blocks (each past one stripe of 1,024 granules, so the pilot holds
    /// a granule of each at least) processes its blocks of both, scaled by 1,024; at 0.5 µs
    /// a block (ReFS) 10^9 blocks cost 500 s exact, and at 1/1024 eight shards of 1/8192 on two
    /// cores, 4 rounds of 500/8192 s.
    @Test func theEstimateCountsTheBlocksDedupProcesses() throws {
        var spec = ScenarioSpec(name: "dedup", horizon: .days(1), sampleInterval: .days(1), aggregate: AggregateSpec(capacityBytes: 1 << 40))
        spec.platform = .refs
        var v = VolumeSpec(name: "v", sizeBytes: 1 << 40)
        v.files = [FileSpec(path: "a", sizeBytes: 300_000 * 4096), FileSpec(path: "b", sizeBytes: 270_000 * 4096)]
        v.dedup = DedupSpec()
        spec.volumes = [v]
        let pilot = Sharding(count: WorkEstimate.pilotShards, members: [0], sampled: true)
        let estimate = try Simulation.estimate(spec)
        let held = pilot.blocks(below: 300_000) + pilot.blocks(below: 270_000)
        #expect(held >= 512 && estimate.dedupBlocks == held * 1024, "\(held)")
        #expect(estimate.dedupSecondsPerBlock == 0.5e-6 && WorkEstimate.secondsPerDedupBlock(.ontap) == 0.3e-6)
        let byHand = WorkEstimate(events: 0, blocksWritten: 0, logicalBlocks: 0, writes: 0, inStepWrites: 0, dedupBlocks: 1_000_000_000,
                                  dedupSecondsPerBlock: 0.5e-6)
        #expect(abs(byHand.seconds(.exact, jobs: 1, shardable: false) - 500) < 1e-9)
        #expect(abs(byHand.seconds(.rate(1024), jobs: 2, shardable: true) - 4 * 500.0 / 8192) < 1e-9)
    }

    /// 24 desktops of a 256 MiB image writing 5% a day in 16 KiB writes, 40% from a 32 MiB
    /// Zipf pool, 10% image rewrites, 5% zeros; dedup from 1 h, nightly; 4 days.
    static func desktops(_ platform: Platform) -> ScenarioSpec {
        var spec = ScenarioSpec(name: "desktops-dedup", horizon: .days(4), sampleInterval: .days(1),
                                aggregate: AggregateSpec(capacityBytes: 1 << 40))
        spec.seed = 5
        spec.platform = platform
        var pool = ContentPoolSpec(name: "patches", sizeBytes: 32 << 20)
        pool.exponent = 1.1
        spec.contentPools = [pool]
        var volume = VolumeSpec(name: "vdi", sizeBytes: 1 << 40)
        volume.files = [FileSpec(path: "golden", sizeBytes: 256 << 20)]
        var dedup = DedupSpec()
        dedup.start = .hours(1)
        volume.dedup = dedup
        spec.volumes = [volume]
        var change = ChangeSpec(rate: .constant(0.05))
        change.writeSize = .constant(16384)
        var content = ContentSpec()
        content.zero = 0.05
        content.golden = 0.1
        content.pools = [.init(pool: "patches", share: 0.4)]
        change.content = content
        var v = VDISpec(volume: "vdi", image: "golden", desktops: 24)
        v.cloneTime = .seconds(30)
        v.parallel = 24
        v.change = change
        spec.workloads = [WorkloadSpec(name: "desktops", kind: .vdi(v))]
        return spec
    }

    /// Desktops that write shared patch contents, deduplicated nightly: sampled at 1/2 and 1/4,
    /// the exact final and peak use and the volume's use fall inside the sample's intervals on
    /// every platform, and the runs come at the same times with the same outcomes.
    @Test(arguments: [Platform.ontap, .refs, .reflink])
    func sampledDedupCoversTheExactRun(_ platform: Platform) throws {
        let spec = Self.desktops(platform)
        let exact = try Simulation(spec).run()
        for rate in [2, 4] {
            let sampled = try Simulation.runSampled(spec, rate: rate, jobs: 2)
            let z = try #require(sampled.sampling)
            func inside(_ e: Estimate, _ truth: Int) -> Bool { abs(e.value - truth) <= e.halfWidth }
            #expect(inside(z.finalPhysical, exact.samples.last!.physicalUsed), "1/\(rate) \(z.finalPhysical) vs \(exact.samples.last!.physicalUsed)")
            #expect(inside(z.peak, exact.peak.blocks), "1/\(rate) \(z.peak) vs \(exact.peak.blocks)")
            for (k, o) in exact.objects.enumerated() where o.kind == .volume {
                #expect(inside(z.objectPhysical[k], o.physicalUsed), "1/\(rate) \(o.name)")
            }
            #expect(sampled.dedupRuns.map(\.time) == exact.dedupRuns.map(\.time))
            #expect(sampled.dedupRuns.map(\.overran) == exact.dedupRuns.map(\.overran))
            // Dedup shares about half of each night's blocks here, and the sample finds as many:
            // per block processed within 0.03 (8 of 32 shards hold a quarter of the contents:
            // ±0.02 at 1/4; sampling contents by address alone found 0.08 fewer at 1/2,
            // measured on this case), and the savings within 3% (the nights' writes are
            // themselves a sample: the blocks processed differ by up to 2%).
            for (s, e) in zip(sampled.dedupRuns, exact.dedupRuns).dropFirst() {
                let ratio = Double(s.run.duplicates) / Double(s.run.processedBlocks), truth = Double(e.run.duplicates) / Double(e.run.processedBlocks)
                #expect(truth > 0.4 && abs(ratio - truth) <= 0.03, "1/\(rate): \(ratio) vs \(truth)")
            }
            let saved = Double(exact.volumeSavings[0].dedupSaved), estimate = Double(sampled.volumeSavings[0].dedupSaved)
            #expect(abs(estimate - saved) <= 0.03 * saved, "1/\(rate) saved \(estimate) vs \(saved)")
        }
    }
}
