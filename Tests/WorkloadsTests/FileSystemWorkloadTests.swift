import BlockModel
import Engine
import Testing
@testable import Workloads

/// devtest, vdi and events on the ReFS and reflink platforms, counted by hand (4 KiB blocks).
/// ReFS volumes become folders of one volume and reflink volumes subvolumes; a file clone
/// writes no metadata on either, so the figures are whole files and written blocks.
@Suite struct FileSystemWorkloadTests {
    /// The seed's dev/test example on btrfs/XFS: subvolume snapshots instead of FlexClone
    /// volumes give the same 260 GB vs 800 GB (a volume clone writes no metadata on either).
    @Test(arguments: [FreeingGranularity.block, .extent])
    func seedDevTestOnReflinkGives260Versus800(freeing: FreeingGranularity) throws {
        var spec = seedDevTest()
        spec.platform = .reflink
        spec.fileSystem.freeing = freeing
        let result = try Simulation(spec).run()
        let db = 24_414_063, changed = 2_441_406
        let last = try #require(result.samples.last)
        // The clones overwrite whole 1 MiB extents of the shared data, so even btrfs frees
        // nothing extra: both freeing rules give the same figures.
        #expect(last.physicalUsed == 2 * db + 6 * changed)
        #expect(last.traditionalUsed == 8 * db)
        // prod, its mirror and six clones, a file each; the refresh snapshot
        // `prod@devtest.refresh.0` (its file is not counted, as on ONTAP).
        #expect(last.volumes == 8 && last.snapshots == 1 && last.files == 8)
        let clones = result.objects.filter { $0.kind == .volume && $0.name.hasPrefix("devtest-") }
        #expect(clones.count == 6 && clones.allSatisfy { $0.unique == changed && $0.logicalUsed == db })
        #expect(result.scenario.framing == .clones)
        #expect(result.events.allSatisfy { $0.outcome == "ok" })
    }

    /// The events tests' case (a 1000-block file in a 4000-block volume) on another platform.
    func eventsScenario(_ platform: Platform, _ operations: [TimedOperation]) -> ScenarioSpec {
        EventsWorkloadTests().scenario(operations, platform: platform)
    }

    static let write100 = Operation.write(volume: "c", path: "f", bytes: 100 * 4096, pattern: .sequential,
                                          writeSize: .constant(4096 * 10))

    /// A subvolume snapshot, a writable snapshot of it, 100 blocks written there, then both
    /// removed: 1000 → 1100 → 1000 blocks; full copies would hold 2000 while the clone lives.
    @Test func snapshotCloneWriteDestroyOnReflink() throws {
        let result = try Simulation(eventsScenario(.reflink, [
            TimedOperation(at: .days(1), operation: .snapshot(volume: "v", name: "s")),
            TimedOperation(at: .days(1), operation: .cloneVolume(name: "c", parent: "v", snapshot: "s")),
            TimedOperation(at: .days(2), operation: Self.write100),
            TimedOperation(at: .days(3), operation: .destroy(volume: "c")),
            TimedOperation(at: .days(3), operation: .deleteSnapshot(volume: "v", name: "s")),
        ])).run()
        #expect(result.samples.map(\.physicalUsed) == [1000, 1000, 1100, 1000, 1000])
        // Full copies replace the clone, not the snapshot: only v/f and c/f count.
        #expect(result.samples.map(\.traditionalUsed) == [1000, 2000, 2000, 1000, 1000])
        #expect(result.samples.map(\.snapshots) == [0, 1, 1, 0, 0] && result.samples.map(\.volumes) == [1, 2, 2, 1, 1])
        #expect(result.peak == Peak(blocks: 1100, time: .days(2)))
        #expect(result.events.allSatisfy { $0.outcome == "ok" })
    }

    /// On ReFS the clone is a block clone of the whole file; deleting the source leaves the
    /// clone's 900 shared clusters to it.
    @Test func fileCloneWriteDeleteOnReFS() throws {
        let result = try Simulation(eventsScenario(.refs, [
            TimedOperation(at: .days(1), operation: .cloneFile(volume: "v", source: "f", destination: "c")),
            TimedOperation(at: .days(2), operation: .write(volume: "v", path: "c", bytes: 100 * 4096, pattern: .sequential,
                                                           writeSize: .constant(4096 * 10))),
            TimedOperation(at: .days(3), operation: .deleteFile(volume: "v", path: "f")),
        ])).run()
        #expect(result.samples.map(\.physicalUsed) == [1000, 1000, 1100, 1000, 1000])
        #expect(result.samples.map(\.traditionalUsed) == [1000, 2000, 2000, 1000, 1000])
        let c = try #require(result.objects.first { $0.name == "aggr1/v/c" })
        #expect(c.logicalUsed == 1000 && c.physicalUsed == 1000 && c.unique == 1000)
        #expect(result.events.allSatisfy { $0.outcome == "ok" })
    }

    /// What the scenario layer refuses still fails safely when it reaches the model: recorded
    /// with the platform's reason, and the run goes on.
    @Test func operationsAPlatformLacksAreRefusedAndRecorded() throws {
        let result = try Simulation(eventsScenario(.refs, [
            TimedOperation(at: .days(1), operation: .snapshot(volume: "v", name: "s")),
            TimedOperation(at: .days(1), operation: .cloneVolume(name: "c", parent: "v", snapshot: nil)),
            TimedOperation(at: .days(2), operation: .split(volume: "v")),
            TimedOperation(at: .days(2), operation: .setQuota(volume: "v", target: "user:a", limitBytes: 4096)),
        ])).run()
        #expect(result.events.filter { $0.outcome == "failed" }.map(\.detail) == [
            "not supported on platform refs: ReFS has no volume snapshots",
            "not supported on platform refs: ReFS has no volume clones",
            "not supported on platform refs: only FlexClone volumes are split",
            "not supported on platform refs: quotas are ONTAP's",
        ])
        #expect(result.limits.refusedClones == 1 && result.samples.last?.physicalUsed == 1000)
    }

    func vdiScenario(_ platform: Platform, desktops: Int, strategy: VDISpec.LimitStrategy = .cloneNewestCopy) -> ScenarioSpec {
        var spec = ScenarioSpec(name: "vdi", horizon: .days(1), sampleInterval: .days(1),
                                aggregate: AggregateSpec(capacityBytes: 100_000 * 4096))
        spec.platform = platform
        var volume = VolumeSpec(name: "vdi", sizeBytes: 50_000 * 4096)
        volume.files = [FileSpec(path: "golden", sizeBytes: 10 * 4096)]
        spec.volumes = [volume]
        var vdi = VDISpec(volume: "vdi", image: "golden", desktops: desktops)
        vdi.parallel = 1000
        vdi.limitStrategy = strategy
        spec.workloads = [WorkloadSpec(name: "d", kind: .vdi(vdi))]
        return spec
    }

    /// 300 desktops: past ONTAP's 255 but far below ReFS's 8174 and reflink's no limit, so no
    /// full copy is made: 10 blocks hold every desktop.
    @Test(arguments: [Platform.refs, .reflink])
    func threeHundredDesktopsShareOneImage(platform: Platform) throws {
        let result = try Simulation(vdiScenario(platform, desktops: 300)).run()
        #expect(result.limits.strategyCopies == 0 && result.limits.refusedClones == 0)
        #expect(result.samples.last?.physicalUsed == 10 && result.samples.last?.traditionalUsed == 10 + 300 * 10)
        #expect(result.samples.last?.files == 301)
    }

    /// ReFS with at most 4 regions per cluster (the golden image and 3 clones): the limit
    /// strategy copies the image for desktops 4 and 5; without it they are refused with
    /// ERROR_BLOCK_TOO_MANY_REFERENCES, since ReFS has no fallback copy.
    @Test func theReFSReferenceLimitMakesCopiesOrRefusals() throws {
        var profile = ReFSProfile()
        profile.maxReferencesPerCluster = 4
        func run(_ strategy: VDISpec.LimitStrategy) throws -> RunResult {
            let volume = try ReFSVolume(name: "aggr1", capacityBytes: 100_000 * 4096, clusterSize: 4096, profile: profile)
            return try Simulation(vdiScenario(.refs, desktops: 5, strategy: strategy), storage: ReFSStorage(volume)).run()
        }
        let copied = try run(.cloneNewestCopy)
        #expect(copied.limits.strategyCopies == 1 && copied.limits.refusedClones == 0)
        #expect(copied.samples.last?.physicalUsed == 20 && copied.samples.last?.files == 7)
        let kept = try run(.keepCloningSource)
        #expect(kept.limits.strategyCopies == 0 && kept.limits.refusedClones == 2)
        #expect(kept.samples.last?.physicalUsed == 10 && kept.samples.last?.files == 4)
        let refusals = kept.events.filter { $0.outcome == "failed" }
        #expect(refusals.map(\.object) == ["vdi/d-desktop-4 vdi/golden", "vdi/d-desktop-5 vdi/golden"])
        #expect(refusals.allSatisfy { $0.detail.hasPrefix("ERROR_BLOCK_TOO_MANY_REFERENCES") })
    }
}
