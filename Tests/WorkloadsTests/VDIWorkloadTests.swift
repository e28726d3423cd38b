import BlockModel
import Engine
import Testing
@testable import Workloads

/// The VDI workload on a 10-block golden image, so every figure can be counted by hand.
/// A file clone of 10 blocks writes ceil(10 × 0.4%) = 1 metadata block.
@Suite struct VDIWorkloadTests {
    func scenario(desktops: Int, _ configure: (inout VDISpec) -> Void = { _ in }) -> ScenarioSpec {
        var spec = ScenarioSpec(name: "vdi", horizon: .days(3), sampleInterval: .days(1),
                                aggregate: AggregateSpec(capacityBytes: 100_000 * 4096))
        var volume = VolumeSpec(name: "vdi", sizeBytes: 50_000 * 4096)
        volume.files = [FileSpec(path: "golden", sizeBytes: 10 * 4096)]
        spec.volumes = [volume]
        var vdi = VDISpec(volume: "vdi", image: "golden", desktops: desktops)
        vdi.cloneTime = .seconds(60)
        vdi.parallel = 300
        configure(&vdi)
        spec.workloads = [WorkloadSpec(name: "d", kind: .vdi(vdi))]
        return spec
    }

    @Test func past255TheNewestFullCopyIsClonedInstead() throws {
        let result = try Simulation(scenario(desktops: 300)).run()
        // 255 clones of the image, one full copy (10 blocks), 45 clones of the copy.
        #expect(result.limits.strategyCopies == 1 && result.limits.fallbackCopies == 0)
        #expect(result.samples.last?.physicalUsed == 10 + 10 + 300)
        #expect(result.samples.last?.traditionalUsed == 10 + 10 + 300 * 10)
        #expect(result.objects.contains { $0.name == "vdi/golden.copy-1" && $0.unique == 0 && $0.physicalUsed == 10 })
    }

    @Test func keepCloningTheSourceCopiesEveryBlockPastTheLimit() throws {
        let result = try Simulation(scenario(desktops: 300) { $0.limitStrategy = .keepCloningSource }).run()
        // Desktops 256...300 find every image block at 1 + 255 pointers: 45 × 10 copies.
        #expect(result.limits.strategyCopies == 0 && result.limits.fallbackCopies == 450)
        #expect(result.samples.last?.physicalUsed == 10 + 450 + 300)
        #expect(result.events.filter { $0.operation == "fallback_copy" }.count == 45)
    }

    /// `pointer_limit` (issue 21: every [choice] a scenario key) moves the limit: with 1 + 3
    /// pointers a block, 10 desktops are 3 clones of the image, then full copies each cloned 3
    /// times (3 + 3 + 3 + 1): 3 copies of 10 blocks. Keeping to the source instead copies every
    /// block of desktops 4...10: 70 blocks, each fallback naming the limit.
    @Test(arguments: [VDISpec.LimitStrategy.cloneNewestCopy, .keepCloningSource])
    func thePointerLimitIsAProfileSetting(strategy: VDISpec.LimitStrategy) throws {
        var spec = scenario(desktops: 10) { $0.limitStrategy = strategy }
        spec.aggregate.ontap.maxPointersPerBlock = 4
        let result = try Simulation(spec).run()
        if strategy == .cloneNewestCopy {
            #expect(result.limits.strategyCopies == 3 && result.limits.fallbackCopies == 0)
            #expect(result.samples.last?.physicalUsed == 10 + 30 + 10)
        } else {
            #expect(result.limits.strategyCopies == 0 && result.limits.fallbackCopies == 70)
            #expect(result.events.first { $0.operation == "fallback_copy" }?.detail == "10 blocks already had 4 pointers: copied")
        }
    }

    @Test func provisioningTimesForClonesAndFullCopies() throws {
        let result = try Simulation(scenario(desktops: 10) { v in
            v.parallel = 4
            v.cloneTime = .seconds(180)
            v.copyThroughput = 4096  // one block a second: 10 s per copy
            v.customizeTime = .seconds(20)
        }).run()
        let p = try #require(result.provisioning.first)
        #expect(p.perDesktopClone == .seconds(200) && p.perDesktopCopy == .seconds(30))
        // 10 desktops 4 at a time: 3 rounds.
        #expect(p.totalClone == .seconds(600) && p.totalCopy == .seconds(90))
        // The clones happen at those simulated times.
        let clones = result.events.filter { $0.operation == "clone_file" }.map(\.time)
        #expect(clones == [0, 0, 0, 0, 200, 200, 200, 200, 400, 400].map { SimTime.seconds($0) })
    }

    @Test func nonPersistentDesktopsLoseTheirChangesAtRefresh() throws {
        let result = try Simulation(scenario(desktops: 2) { v in
            var change = ChangeSpec(rate: .constant(0.5))
            change.pattern = .sequential
            change.writeSize = .constant(4096 * 5)
            change.interval = .hours(12)
            v.change = change
            v.refreshEvery = .days(1)
        }).run()
        // Each desktop writes 5 blocks every 12 h and is re-cloned every 24 h. At a whole day
        // the refresh (scheduled first) drops the desktop's blocks, then that day's write adds
        // 5: samples read 12 + 2 × 5. At 36 h a desktop holds 10 blocks: the peak, 12 + 20.
        #expect(result.samples.map(\.physicalUsed) == [12, 22, 22, 22])
        #expect(result.peak == Peak(blocks: 12 + 2 * 10, time: .hours(36)))
        #expect(result.events.filter { $0.operation == "delete_file" }.count == 6)
    }

    @Test func volumeClonesAndARecomposeKeepBothGenerationsUntilTheLastDesktopMoves() throws {
        let result = try Simulation(scenario(desktops: 3) { v in
            v.provisioning = .volumeClones
            v.parallel = 1
            v.cloneTime = .hours(1)
            v.recompose = RecomposeSpec(at: .days(1), imageChange: .percent(50))
        }).run()
        // Day 1: 5 image blocks rewritten in place (the old ones stay in the first base
        // Snapshot copy); desktops move at 1 h intervals; after the last, that copy goes.
        #expect(result.samples.map(\.physicalUsed) == [10, 15, 10, 10])
        #expect(result.peak.blocks == 15)
        let objects = Set(result.objects.map(\.name))
        #expect(objects.contains("vdi@d.base.2") && !objects.contains("vdi@d.base.1"))
        #expect(objects.isSuperset(of: ["d-desktop-1", "d-desktop-2", "d-desktop-3"]))
    }

    /// A boot storm of 20 desktops reading the whole 10-block image with a 10-block Flash Cache:
    /// with sharing only the first reader of each block misses (19/20); without it every read
    /// misses. The next day's storm finds the cache warm: all hits with sharing; without it the
    /// twin cache holds only the last desktops' last blocks, which LRU evicts before their turn.
    @Test func bootStormsHitTheSharedImage() throws {
        var spec = scenario(desktops: 20) {
            var reads = VDIReadSpec(bootSetBytes: 10 * 4096)
            reads.bootAt = .hours(1)
            reads.bootChunkBytes = 2 * 4096
            $0.reads = reads
        }
        spec.aggregate.flashCacheBytes = 10 * 4096
        let result = try Simulation(spec).run()
        #expect(result.cacheBlocks == 10)
        #expect(result.cacheReads.map(\.time) == [.hours(1), .hours(25), .hours(49)])
        let first = result.cacheReads[0]
        #expect(first.kind == .bootStorm && first.reads == 200 && first.hits == 190 && first.hitsWithoutSharing == 0)
        #expect(result.cacheReads[1].hits == 200 && result.cacheReads[1].hitsWithoutSharing == 0)
        #expect(result.events.contains { $0.operation == "boot_storm" && $0.detail == "200 blocks read, hit rate 95.0% (0.0% without sharing)" })
    }

    /// Steady reads are summed per interval, one record per day, and change no write: the
    /// capacity figures equal those of the same run without reads.
    @Test func steadyReadsAreSummedPerIntervalAndChangeNoWrite() throws {
        func spec(reads: Bool) -> ScenarioSpec {
            var s = scenario(desktops: 5) {
                $0.change = ChangeSpec(rate: .constant(0.3))
                guard reads else { return }
                var r = VDIReadSpec(bootSetBytes: 4096)
                r.bootEvery = nil
                r.steady = ChangeSpec(rate: .constant(0.5))
                $0.reads = r
            }
            s.aggregate.flashCacheBytes = 1000 * 4096
            return s
        }
        let with = try Simulation(spec(reads: true)).run()
        let without = try Simulation(spec(reads: false)).run()
        #expect(with.samples == without.samples && with.objects == without.objects)
        let steady = with.cacheReads.filter { $0.kind == .steady }
        #expect(steady.map(\.time) == [.days(1), .days(2), .days(3)])
        #expect(steady.allSatisfy { $0.reads == 5 * 5 })  // half of each 10-block disk, 5 desktops
        #expect(steady.allSatisfy { $0.hits >= $0.hitsWithoutSharing })
    }
}
