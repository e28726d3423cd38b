import BlockModel
import Engine
import Testing
@testable import Workloads

/// The backup repository, counted by hand: 100 GiB = 26,214,400 blocks of 4 KiB; 5% a day =
/// 1,310,720 blocks, written by a sequential cursor, so the seven increments hold distinct
/// blocks 0 ..< 9,175,040.
@Suite struct BackupWorkloadTests {
    static let data = 26_214_400, daily = 1_310_720

    func scenario(_ platform: Platform, rate: Double = 0.05, days: Int64 = 7, cloning: Bool = true,
                  _ configure: (inout BackupSpec) -> Void = { _ in }) -> ScenarioSpec {
        var spec = ScenarioSpec(name: "backup", horizon: .days(days), sampleInterval: .days(1),
                                aggregate: AggregateSpec(capacityBytes: 1 << 40))
        spec.platform = platform
        var change = ChangeSpec(rate: .constant(rate))
        change.pattern = .sequential
        change.writeSize = .constant(1_048_576)
        var backup = BackupSpec(dataBytes: 107_374_182_400, change: change)
        backup.blockCloning = cloning
        configure(&backup)
        spec.workloads = [WorkloadSpec(name: "job", kind: .backup(backup))]
        return spec
    }

    @Test(arguments: [Platform.refs, .reflink])
    func sevenIncrementsAndOneSyntheticFullByHand(platform: Platform) throws {
        let result = try Simulation(scenario(platform)).run()
        // Day 0: the active full. Days 1-7: one increment each. Day 7: the synthetic full.
        let expected = (0...7).map { Self.data + $0 * Self.daily }
        #expect(result.samples.map(\.physicalUsed) == expected)  // 135 GiB at the end
        #expect(result.samples.last?.traditionalUsed == 2 * Self.data + 7 * Self.daily)  // 235 GiB copied
        // The synthetic full: 7 increments of 1,310,720 blocks, each split below 4 GiB on ReFS
        // (1,048,575 blocks), then 17,039,360 blocks of the first full.
        let detail = try #require(result.events.first { $0.operation == "synthetic_full" }?.detail)
        #expect(detail == (platform == .refs ? "26214400 blocks in 31 block clones" : "26214400 blocks in 8 block clones"))
        #expect(result.limits.refusedClones == 0 && result.limits.failedWrites == 0)
    }

    @Test func withoutChangeASyntheticFullCostsNoDataBlocks() throws {
        let result = try Simulation(scenario(.refs, rate: 0)).run()
        #expect(result.samples.allSatisfy { $0.physicalUsed == Self.data })
        #expect(result.samples.last?.traditionalUsed == 2 * Self.data)
    }

    @Test func withoutBlockCloningTheSyntheticFullIsACopy() throws {
        let result = try Simulation(scenario(.reflink, cloning: false)).run()
        #expect(result.samples.last?.physicalUsed == 2 * Self.data + 7 * Self.daily)
        #expect(result.samples.last?.physicalUsed == result.samples.last?.traditionalUsed)
    }

    @Test func retentionDeletesWholeChainsOnceNoRestorePointNeedsThem() throws {
        // Backups every day, a synthetic full every 2nd, 3 restore points, 6 days, 1 GiB.
        let spec = scenario(.refs, days: 6) { b in
            b.dataBytes = 1 << 30
            b.syntheticFullEvery = 2
            b.restorePoints = 3
        }
        let result = try Simulation(spec).run()
        let deleted = result.events.filter { $0.operation == "retention_delete" }.map { "\($0.object)@\(Int($0.time.days))" }
        // Chains: {full0, inc1, inc2} {full2, inc3, inc4} {full4, inc5, inc6} {full6}. The 3 kept
        // points on day 4 are backups 2, 3, 4 (backup 2 is in chain 0); on day 5 they are 3, 4,
        // 5, all in later chains, so chain 0 goes then.
        #expect(deleted == ["job-00000.vbk@5", "job-00001.vib@5", "job-00002.vib@5"])
        let block = 262_144, day = 13_107  // 1 GiB and 5% of it
        // End: chain 1 (full2 + inc3 + inc4), chain 2 (full4 + inc5 + inc6), full6 — fulls are clones.
        let files = result.objects.filter { $0.kind == .file }.map(\.name)
        #expect(files == ["aggr1/repo/job-00002.vbk", "aggr1/repo/job-00003.vib", "aggr1/repo/job-00004.vbk", "aggr1/repo/job-00004.vib",
                          "aggr1/repo/job-00005.vib", "aggr1/repo/job-00006.vbk", "aggr1/repo/job-00006.vib"])
        // Physical: the blocks still referenced. After day 5 the first full's unchanged blocks
        // live on in full2; blocks 0..<2·day were replaced by inc1, inc2 (gone) but full2 holds them.
        #expect(result.samples.last?.physicalUsed == block + 4 * day)
    }
}
