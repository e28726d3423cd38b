import BlockModel
import Engine
import Testing
@testable import Workloads

/// Scheduled dedup runs on every platform, on a case counted by hand: a file of 600 blocks
/// of one content (a one-block pool) and a file of 400 unique blocks, 4 KiB blocks.
@Suite struct DedupWorkloadTests {
    func scenario(_ platform: Platform, mode: DedupMode = .postProcess, window: SimTime? = nil) -> ScenarioSpec {
        var spec = ScenarioSpec(name: "dedup", horizon: .days(2), sampleInterval: .days(1),
                                aggregate: AggregateSpec(capacityBytes: 10_000 * 4096))
        spec.platform = platform
        spec.contentPools = [ContentPoolSpec(name: "one", sizeBytes: 4096)]
        var same = ContentSpec()
        same.pools = [.init(pool: "one", share: 1)]
        var v = VolumeSpec(name: "v", sizeBytes: 4000 * 4096)
        var a = FileSpec(path: "same", sizeBytes: 600 * 4096)
        a.content = same
        v.files = [a, FileSpec(path: "other", sizeBytes: 400 * 4096)]
        var d = DedupSpec(mode: mode)
        d.window = window
        v.dedup = d
        spec.volumes = [v]
        return spec
    }

    /// 600 identical blocks become 3 physical blocks on ONTAP (256 + 256 + 88 pointers) and 1
    /// on ReFS and reflink; runs at 0, 1 d and 2 d, the first processing all 1000 blocks in
    /// 1000 / 25,600 s at 100 MiB/s.
    @Test(arguments: [(Platform.ontap, 597, 29), (.refs, 599, 0), (.reflink, 599, 0)])
    func postProcessRunsOnASchedule(_ platform: Platform, saved: Int, metadata: Int) throws {
        let result = try Simulation(scenario(platform)).run()
        #expect(result.dedupRuns.map(\.time) == [.zero, .days(1), .days(2)])
        #expect(result.dedupRuns.map(\.run.processedBlocks) == [1000, 0, 0])
        #expect(result.dedupRuns[0].run.duplicates == saved && result.dedupRuns[0].run.freedBlocks == saved)
        #expect(result.dedupRuns[0].duration == SimTime(nanoseconds: 39_062_500))
        #expect(result.dedupRuns[0].run.metadataBlocks == metadata)
        #expect(result.samples.map(\.physicalUsed) == [1000 - saved + metadata, 1000 - saved + metadata, 1000 - saved + metadata])
        #expect(result.volumeSavings == [VolumeSavings(volume: "v", dedup: .postProcess, logicalUsed: 1000, charged: 1000 - saved,
                                                       dedupSaved: saved, dedupMetadata: metadata)])
        #expect(result.volumeSavings[0].cloneSavings == 0)
    }

    /// Inline: the savings are made as the file is written, with no runs.
    @Test func inlineOnONTAP() throws {
        let result = try Simulation(scenario(.ontap, mode: .inline)).run()
        #expect(result.dedupRuns.isEmpty)
        #expect(result.samples.first?.physicalUsed == 403 + 29, "data and 7% metadata")
        #expect(result.volumeSavings.first?.dedupSaved == 597)
    }

    /// At 1 MiB/s (256 blocks a second) the first run takes 3.906 s: past a 2 s window, flagged.
    @Test func aRunLongerThanItsWindowIsFlagged() throws {
        var spec = scenario(.ontap, window: .seconds(2))
        spec.aggregate.dedupThroughput = 1_048_576
        let result = try Simulation(spec).run()
        #expect(result.dedupRuns.map(\.overran) == [true, false, false])
        #expect(result.events.contains { $0.operation == "dedup_run" && $0.outcome == "limit"
                && $0.detail == "1000 blocks processed, 597 duplicates, 597 freed, 4 s, longer than its 2 s window" })
    }
}
