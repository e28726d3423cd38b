import BlockModel
import Engine
import Testing
@testable import Workloads

/// Sampled runs (issue 22): 1/N of the address space in eight shards, block figures scaled, a
/// 95% interval from the shards' spread; structure exact; capacities past 16 TiB.
@Suite struct SamplingTests {
    @Test func ratesParseAsOneOverN() {
        #expect(Sampling("1/16") == .rate(16) && Sampling("1/1") == .exact && Sampling("exact") == .exact && Sampling("auto") == .auto)
        for bad in ["1/0", "2/16", "1/65537", "1/x", "1/-4", "0.5", "", "1/١٦"] { #expect(Sampling(bad) == nil, "\(bad)") }
        // Evenly spaced, so each stripe of 32 granules is sampled every 4th granule.
        #expect(Sampling.shards(rate: 4).map(\.members) == (0..<8).map { [4 * $0] } && Sampling.shards(rate: 4)[0].count == 32)
    }

    /// Four parts [10, 12, 14, 16] of 8 shards: the estimate is 52·8/4 = 104. Mean 13, s² =
    /// (9 + 1 + 1 + 9)/3 = 20/3; standard error 8·√((1 − 4/8)·(20/3)/4) = 8·√(5/6) = 7.3030;
    /// t(0.975, 3) = 3.1824; half-width 23.24, rounded up to 24. Every shard: no error.
    @Test func theEstimateAndItsIntervalByHand() {
        #expect(Estimate.of([10, 12, 14, 16], of: 8) == Estimate(value: 104, halfWidth: 24))
        #expect(Estimate.of([10, 12, 14, 16], of: 4) == Estimate(value: 52, halfWidth: 0))
        #expect(Estimate.of([5, 5, 5, 5], of: 400) == Estimate(value: 2000, halfWidth: 0))
        // The edge term adds to the half-width of a sample only.
        #expect(Estimate.of([10, 12, 14, 16], of: 8, edge: 5) == Estimate(value: 104, halfWidth: 29))
        #expect(Estimate.of([10, 12, 14, 16], of: 4, edge: 5).halfWidth == 0)
    }

    /// A sample's block figures are N times the simulated shards' sum, and the exact run's final
    /// and peak use, and each volume's, fall inside the reported 95% intervals (a fixed part of
    /// the accuracy battery in Benchmarks/README.md).
    @Test(arguments: [2, 4])
    func theExactFiguresFallInsideTheSampledIntervals(rate: Int) throws {
        for spec in ShardingTests.scenarios(.ontap).prefix(2) + ShardingTests.scenarios(.reflink).prefix(1) + [ShardingTests.backup(.refs), ShardingTests.checkpoints(.refs)] {
            let exact = try Simulation(spec).run()
            let sampled = try Simulation.runSampled(spec, rate: rate, jobs: 2)
            let z = try #require(sampled.sampling)
            #expect(z.rate == rate && z.shards == 8 && z.shardCount == 8 * rate)
            func inside(_ e: Estimate, _ truth: Int) -> Bool { abs(e.value - truth) <= e.halfWidth }
            #expect(z.finalPhysical.value == sampled.samples.last!.physicalUsed && z.peak.value == sampled.peak.blocks)
            #expect(inside(z.finalPhysical, exact.samples.last!.physicalUsed), "\(spec.name) 1/\(rate) \(z.finalPhysical) vs \(exact.samples.last!.physicalUsed)")
            #expect(inside(z.peak, exact.peak.blocks), "\(spec.name) 1/\(rate) \(z.peak) vs \(exact.peak.blocks)")
            #expect(inside(z.finalTraditional, exact.samples.last!.traditionalUsed), "\(spec.name)")
            for (k, o) in exact.objects.enumerated() where o.kind == .volume {
                #expect(inside(z.objectPhysical[k], o.physicalUsed), "\(spec.name) \(o.name) \(z.objectPhysical[k]) vs \(o.physicalUsed)")
            }
            // Sampled, not copied: the figures differ from the exact ones.
            #expect(sampled.samples.last!.physicalUsed != exact.samples.last!.physicalUsed)
        }
    }

    /// A ReFS scenario of `days` with no workload yet, for the aligned cases below.
    static func aligned(_ name: String, days: Int64) -> ScenarioSpec {
        var spec = ScenarioSpec(name: name, horizon: .days(days), sampleInterval: .days(1), aggregate: AggregateSpec(capacityBytes: 1 << 40))
        spec.platform = .refs
        return spec
    }

    /// 1/32 of an object a day by a sequential cursor in 1 MiB writes: of 1 GiB, one stripe of a
    /// 1/4 sample's 32 shards.
    static var stripeADay: ChangeSpec {
        var change = ChangeSpec(rate: .constant(1.0 / 32))
        change.pattern = .sequential
        change.writeSize = .constant(1_048_576)
        return change
    }

    /// A backup sampled at 1/4 (8 shards of 32), by hand: 1 GiB = 262,144 blocks of 4 KiB = 32
    /// stripes of 8,192 blocks; 1/32 of it a day, written by a sequential cursor, is one whole
    /// stripe, so day k's incremental holds stripe k − 1, of which each shard holds one granule.
    /// Every shard's use is 256·(32 + k) blocks: the estimate 8·4·256·(32 + k) = 262,144 +
    /// 8,192·k is exact, with no spread and no edge (every size ends on a stripe): ± 0. The
    /// copies a synthetic full would make without block cloning: 262,144·2 + 8,192·7 at day 7.
    @Test func aSampledBackupByHand() throws {
        var spec = Self.aligned("backup", days: 8)
        spec.workloads = [WorkloadSpec(name: "job", kind: .backup(BackupSpec(dataBytes: 1 << 30, change: Self.stripeADay)))]
        let sampled = try Simulation.runSampled(spec, rate: 4, jobs: 2)
        #expect(sampled.samples.map(\.physicalUsed) == (0...8).map { 262_144 + 8_192 * $0 })
        #expect(sampled.samples[7].traditionalUsed == 2 * 262_144 + 7 * 8_192)
        let z = try #require(sampled.sampling)
        #expect(z.finalPhysical == Estimate(value: 262_144 + 8 * 8_192, halfWidth: 0))
        // The incrementals' sizes, from each shard's blocks, are exact here too.
        #expect(sampled.objects.filter { $0.name.hasSuffix(".vib") }.map(\.logicalSize) == Array(repeating: 8_192, count: 8))
        #expect(try Simulation(spec).run().samples == sampled.samples)
        // The synthetic full's 8 clone calls (7 incrementals, then the rest of the first full)
        // start on granule starts, which no shard's estimate sees: it is the floor of the one
        // call a full of 262,144 blocks (under ReFS's longest clone) makes at least.
        #expect(sampled.events.first { $0.operation == "synthetic_full" }?.figure == 1)
    }

    /// Checkpoints sampled at 1/4, aligned as the backup above: an empty 1 GiB disk, 1/32 of it
    /// written a day by a sequential cursor (one whole stripe of new blocks), a checkpoint a day
    /// and one kept. A merge clones the blocks into the base and frees nothing, so the use is
    /// 8,192 blocks a day; every shard holds one granule of each stripe, so the sample's use and
    /// each merge's blocks and bytes (the shards' parts times 4) are the exact run's, and so is
    /// its one clone call.
    @Test func sampledCheckpointsByHand() throws {
        var spec = Self.aligned("vm", days: 5)
        var c = CheckpointsSpec(diskBytes: 1 << 30, change: Self.stripeADay)
        c.used = .zero
        c.keep = 1
        spec.workloads = [WorkloadSpec(name: "vm", kind: .checkpoints(c))]
        let exact = try Simulation(spec).run()
        let sampled = try Simulation.runSampled(spec, rate: 4, jobs: 2)
        #expect(sampled.samples.map(\.physicalUsed) == (0...5).map { 8_192 * $0 })
        #expect(sampled.samples == exact.samples)
        #expect(!exact.merges.isEmpty && sampled.merges.map(\.blocks) == exact.merges.map(\.blocks))
        #expect(sampled.merges.map(\.copyBytes) == exact.merges.map(\.copyBytes))
        // One run of consecutive blocks per merge: one clone call. The shards see no run start
        // inside their granules (each day's stripe starts on one), so the estimate is the floor
        // of one call a merge of any block makes.
        #expect(exact.merges.allSatisfy { $0.cloneCalls == 1 } && sampled.merges.map(\.cloneCalls) == exact.merges.map(\.cloneCalls))
    }

    /// A sample's estimate of a synthetic full's clone calls (a whole-run figure: runs of blocks
    /// consecutive in one file) is within 2% of the exact count at 1/4 on the bundled ReFS
    /// repository's policy (lognormal 3% daily change in 1 MiB writes on 500 hot spots, 64 KiB
    /// clusters) over 200 GiB, and says it is an estimate.
    @Test func aSampleEstimatesTheClonesOfASyntheticFull() throws {
        var spec = ScenarioSpec(name: "backup", horizon: .days(14), sampleInterval: .days(1), aggregate: AggregateSpec(capacityBytes: 1 << 42))
        spec.platform = .refs
        spec.fileSystem.clusterSize = 65_536
        var change = ChangeSpec(rate: RandomVariable(.lognormal(zeta: -3.559, sigma: 0.3246)))
        change.pattern = .hotspot(regions: 500, exponent: 0.8)
        change.writeSize = .constant(1_048_576)
        spec.workloads = [WorkloadSpec(name: "job", kind: .backup(BackupSpec(dataBytes: 200 << 30, change: change)))]
        let exact = try Simulation(spec).run().events.filter { $0.operation == "synthetic_full" }
        let sampled = try Simulation.runSampled(spec, rate: 4, jobs: 2).events.filter { $0.operation == "synthetic_full" }
        #expect(exact.count == 2 && sampled.count == 2)
        for (e, s) in zip(exact, sampled) {
            let truth = try #require(Int(e.detail.split(separator: " ")[3]))
            let estimate = try #require(s.figure)
            #expect(abs(Double(estimate) - Double(truth)) <= 0.02 * Double(truth), "\(estimate) vs \(truth)")
            #expect(s.detail.contains("about") && s.detail.contains("estimated from the sample"))
        }
    }

    /// On reflink a clone call has no longest range (FICLONERANGE takes any length): the floor
    /// of a synthetic full's estimated calls is one, not an overflow (a 2 GiB source, 1/4).
    @Test func aSampledReflinkSyntheticFullHasNoLongestClone() throws {
        var spec = ScenarioSpec(name: "backup", horizon: .days(8), sampleInterval: .days(1), aggregate: AggregateSpec(capacityBytes: 1 << 40))
        spec.platform = .reflink
        var change = ChangeSpec(rate: .constant(0.03))
        change.writeSize = .constant(1_048_576)
        spec.workloads = [WorkloadSpec(name: "job", kind: .backup(BackupSpec(dataBytes: 2 << 30, change: change)))]
        let exact = try Simulation(spec).run().events.filter { $0.operation == "synthetic_full" }
        let sampled = try Simulation.runSampled(spec, rate: 4, jobs: 2).events.filter { $0.operation == "synthetic_full" }
        #expect(exact.count == 1 && sampled.count == 1)
        let truth = try #require(Int(exact[0].detail.split(separator: " ")[3]))
        let estimate = try #require(sampled[0].figure)
        #expect(estimate >= 1 && abs(Double(estimate) - Double(truth)) <= 0.1 * Double(truth), "\(estimate) vs \(truth)")
    }

    /// The shards of a sample share the walks of objects with random rates (`WalkTape`): the
    /// result is the one eight separate walks give, bit for bit, whatever the threads.
    @Test func sharedWalksGiveWhatEachShardsOwnWalkGives() throws {
        let spec = ShardingTests.scenarios(.ontap)[0]  // lognormal rates, hot-spot and uniform writes
        let shards = Sampling.shards(rate: 4)
        let alone = try shards.map { sharding throws in try Simulation(spec, sharding: sharding).run() }
        let separate = try RunResult.merged(alone, aggregate: spec.aggregate, shardCount: shards[0].count)
        for jobs in [1, 2, 3] {
            let shared = try Simulation.runSampled(spec, rate: 4, jobs: jobs)
            #expect(shared.samples == separate.samples && shared.peak == separate.peak, "jobs \(jobs)")
            #expect(shared.objects == separate.objects && shared.sampling == separate.sampling, "jobs \(jobs)")
        }
        // The walks were shared: on one thread shard 0 runs first and walks every one of them
        // (the merged result carries its count), where alone each shard walked them all.
        #expect(alone[0].writesDrawn > 0 && alone.allSatisfy { $0.writesDrawn == alone[0].writesDrawn })
        #expect(try Simulation.runSampled(spec, rate: 4, jobs: 1).writesDrawn == alone[0].writesDrawn)
    }

    /// Walkers (`WalkTape`): when they have made every walk before the shards start, the shards
    /// only take (none walks) and the result is the separate walks' bit for bit; a walker whose
    /// walks had other inputs (here another change rate: the same streams and calls, other
    /// block counts) is detected, and the shards walk for themselves, with the same result.
    @Test func walkersMakeTheWalksAheadOrAreIgnored() throws {
        let spec = ShardingTests.scenarios(.ontap)[0]
        let shards = Sampling.shards(rate: 4)
        #expect(Simulation.walksInStep(spec))
        let separate = try RunResult.merged(try shards.map { try Simulation(spec, sharding: $0).run() }, aggregate: spec.aggregate,
                                            shardCount: shards[0].count)
        var other = spec
        if case .devtest(var d) = other.workloads[0].kind {
            d.groups[0].change?.rate = RandomVariable(.lognormal(zeta: -3.0, sigma: 0.5))
            other.workloads[0].kind = .devtest(d)
        }
        for (walkerSpec, shardsWalk) in [(spec, false), (other, true)] {
            let tape = WalkTape(shardings: shards, walkers: 2)
            for w in 0..<2 {
                let walker = try Simulation(walkerSpec, sharding: shards[0])
                walker.tape = (tape, nil)
                walker.walker = (w, 2)
                _ = try walker.run()
            }
            let parts = try shards.enumerated().map { k, sharding in
                let simulation = try Simulation(spec, sharding: sharding)
                simulation.tape = (tape, k)
                return try simulation.run()
            }
            let merged = try RunResult.merged(parts, aggregate: spec.aggregate, shardCount: shards[0].count)
            #expect(merged.samples == separate.samples && merged.objects == separate.objects && merged.sampling == separate.sampling)
            #expect(parts.allSatisfy { ($0.writesDrawn > 0) == shardsWalk }, "shards walked: \(parts.map(\.writesDrawn))")
        }
        // A walker with other inputs that comes after the shards walked is ignored too.
        let late = WalkTape(shardings: shards, walkers: 2)
        let parts = try shards.enumerated().map { k, sharding in
            let simulation = try Simulation(spec, sharding: sharding)
            simulation.tape = (late, k)
            return try simulation.run()
        }
        for w in 0..<2 {
            let walker = try Simulation(other, sharding: shards[0])
            walker.tape = (late, nil)
            walker.walker = (w, 2)
            _ = try walker.run()
        }
        #expect(try RunResult.merged(parts, aggregate: spec.aggregate, shardCount: shards[0].count).samples == separate.samples)
    }

    /// Structure is simulated in full in every shard: the 255-pointer limit's fallback copies,
    /// the limit strategy's full copies, clones and refusals happen at the same times on the
    /// same objects in a sample as in the exact run.
    @Test func limitsFireAtTheSameCountsAndDates() throws {
        let spec = ShardingTests.scenarios(.ontap)[1]  // 300 desktops: past the 255 limit
        let exact = try Simulation(spec).run()
        let sampled = try Simulation.runSampled(spec, rate: 4, jobs: 2)
        func structure(_ r: RunResult) -> [String] {
            r.events.filter { $0.operation != "alert" }.map { "\($0.time) \($0.operation) \($0.object) \($0.outcome)" }
        }
        #expect(structure(exact).contains { $0.contains("copy_file") || $0.contains("fallback_copy") })
        #expect(structure(sampled) == structure(exact))
        #expect(sampled.limits.strategyCopies == exact.limits.strategyCopies && sampled.limits.refusedClones == exact.limits.refusedClones)
        #expect(sampled.firstBinding.keys.sorted { "\($0)" < "\($1)" } == exact.firstBinding.keys.sorted { "\($0)" < "\($1)" })
    }

    /// A tree quota in a sample: each shard compares its estimate of the whole qtree (a fully
    /// mapped file's blocks in the shard scaled by its size: the file's size exactly) with the
    /// limit, so the quota refuses the same clone on the same day. By hand: a 64 MiB file
    /// (16,384 blocks, fully written) in a qtree of 200 MiB (51,200 blocks); clones on days 1–4:
    /// 32,768 and 49,152 blocks fit, the third would make 65,536 > 51,200 and fails, and so does
    /// the fourth. A user quota of 100 MiB (25,600 blocks) is oversubscribed by the first two
    /// clones (a user or group quota lets a clone through). At 1/64 the file is smaller than a
    /// stripe, so most shards hold none of it and take it as fully mapped, as it is.
    @Test func quotaRefusalsFireOnTheSameCloneInASample() throws {
        var spec = ScenarioSpec(name: "quota", horizon: .days(5), sampleInterval: .days(1), aggregate: AggregateSpec(capacityBytes: 1 << 36))
        var volume = VolumeSpec(name: "v", sizeBytes: 1 << 32)
        volume.qtrees = [(name: "q", limitBytes: 200 << 20)]
        volume.quotas = [(target: "user:alice", limitBytes: 100 << 20)]
        var file = FileSpec(path: "f", sizeBytes: 64 << 20)
        file.attributes.qtree = "q"
        file.attributes.user = "alice"
        volume.files = [file]
        spec.volumes = [volume]
        var list = EventsSpec()
        list.operations = (1...4).map { TimedOperation(at: .days(Int64($0)), operation: .cloneFile(volume: "v", source: "f", destination: "c\($0)")) }
        spec.workloads = [WorkloadSpec(name: "w", kind: .events(list))]
        #expect(Simulation.shardingRefusal(spec) != nil && Simulation.samplingRefusal(spec) == nil)
        let exact = try Simulation(spec).run()
        func structure(_ r: RunResult) -> [String] { r.events.map { "\($0.time) \($0.operation) \($0.object) \($0.outcome) \($0.detail)" } }
        let failed = exact.events.filter { $0.outcome == "failed" }.map(\.object)
        #expect(failed == ["v/c3 v/f", "v/c4 v/f"])
        #expect(exact.events.contains { $0.operation == "quota_oversubscribed" })
        for rate in [4, 64] {
            let sampled = try Simulation.runSampled(spec, rate: rate, jobs: 2)
            #expect(structure(sampled) == structure(exact), "1/\(rate)")
            #expect(sampled.firstBinding == exact.firstBinding && sampled.limits == exact.limits, "1/\(rate)")
        }
    }

    /// A boot storm through a Flash Cache in a sample, by hand: 10 desktops cloned from a 1 GiB
    /// image each read its first 64 MiB (16,384 blocks, the same physical blocks for all) through
    /// a 1 GiB cache: 163,840 reads, 16,384 misses (the first desktop's), 147,456 hits; the twin
    /// cache, where every desktop's blocks are its own, holds all 163,840 and hits none. At 1/4
    /// each of the 8 shards (of 32) holds 2 of the boot set's 64 granules and a cache of 1/32
    /// (8,192 blocks, room for its 5,120 twin blocks): 5,120 reads, 4,608 hits, scaled by 32/8·8:
    /// the exact figures.
    @Test func aBootStormThroughAScaledCacheByHand() throws {
        var spec = ScenarioSpec(name: "boot", horizon: .days(1), sampleInterval: .days(1), aggregate: AggregateSpec(capacityBytes: 1 << 36))
        spec.aggregate.flashCacheBytes = 1 << 30
        var volume = VolumeSpec(name: "vdi", sizeBytes: 1 << 36)
        volume.files = [FileSpec(path: "golden", sizeBytes: 1 << 30)]
        spec.volumes = [volume]
        var v = VDISpec(volume: "vdi", image: "golden", desktops: 10)
        var reads = VDIReadSpec(bootSetBytes: 64 << 20)
        reads.bootEvery = nil
        v.reads = reads
        spec.workloads = [WorkloadSpec(name: "d", kind: .vdi(v))]
        #expect(Simulation.shardingRefusal(spec) != nil && Simulation.samplingRefusal(spec) == nil)
        let exact = try Simulation(spec).run().cacheReads
        #expect(exact.map { [$0.reads, $0.hits, $0.hitsWithoutSharing] } == [[163_840, 147_456, 0]])
        let sampled = try Simulation.runSampled(spec, rate: 4, jobs: 2)
        #expect(sampled.cacheReads == exact)
        #expect(sampled.events.first { $0.operation == "boot_storm" }?.figure == 163_840)
    }

    /// `auto` by hand, on two cores. Blocks only: exact is 10^11 · 0.15 µs / 2 = 7,500 s; a
    /// sample of 1/n is 4 rounds of 10^11/(8n) blocks at 0.45 µs = 22,500/n s, within 30 s from
    /// n = 750, so 1/1024. With 10^10 writes walked in full (once, shared by the shards: 300 s),
    /// nothing fits; halving 1/n saves 11,250/n s of 300 + 22,500/n, under 5% from n = 675: 1/1024
    /// (at 1/512, 21.97 s of 343.9 is 6.4%; at 1/1024, 10.99 of 321.97 is 3.4%).
    @Test func autoChoosesTheSmallestSampleThatFitsOrStopsWhereHalvingSavesLittle() {
        var estimate = WorkEstimate(events: 0, blocksWritten: 100_000_000_000, logicalBlocks: 0, writes: 0, inStepWrites: 0)
        #expect(abs(estimate.seconds(.exact, jobs: 2, shardable: true) - 7500) < 1e-6)
        #expect(abs(estimate.seconds(.rate(1024), jobs: 2, shardable: true) - 22500.0 / 1024) < 1e-6)
        #expect(estimate.choose(jobs: 2, shardable: true) == .rate(1024))
        #expect(estimate.choose(jobs: 2, shardable: false) == .exact)
        estimate.inStepWrites = 10_000_000_000
        #expect(estimate.choose(jobs: 2, shardable: true) == .rate(1024))
        estimate.inStepWrites = 40_000_000_000
        // 1,200 + 22,500/n: halving saves under 5% from n = 169, so 1/256.
        #expect(estimate.choose(jobs: 2, shardable: true) == .rate(256))
        #expect(WorkEstimate(events: 10, blocksWritten: 1000, logicalBlocks: 1000, writes: 10, inStepWrites: 10).choose(jobs: 2, shardable: true) == .exact)
    }

    /// What must fit 32-bit block ids is one run's use, not the declared capacity: a 20 TB
    /// aggregate holding 40 MiB of data runs, with alerts and free space against the 20 TB.
    @Test func capacitiesPast16TiBRun() throws {
        var spec = ShardingTests.scenarios(.ontap)[2]
        spec.aggregate.capacityBytes = 20_000_000_000_000
        let r = try Simulation(spec).run()
        #expect(r.scenario.capacityBlocks == 20_000_000_000_000 / 4096)
        let last = r.samples.last!
        #expect(last.free == 20_000_000_000_000 / 4096 - last.physicalUsed - last.reserved)
        #expect(r.alerts.allSatisfy { $0.withClones == nil })
    }
}
