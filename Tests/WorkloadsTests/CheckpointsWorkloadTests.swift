import BlockModel
import Engine
import Testing
@testable import Workloads

/// Checkpoints on a 1000-block disk, counted by hand: 100 blocks written a day by a
/// sequential cursor, a checkpoint a day, one kept.
@Suite struct CheckpointsWorkloadTests {
    @Test(arguments: [Platform.refs, .reflink])
    func aMergeBlockClonesTheDifferencingDiskIntoThePlace(platform: Platform) throws {
        var spec = ScenarioSpec(name: "cp", horizon: .days(3), sampleInterval: .days(1), aggregate: AggregateSpec(capacityBytes: 4000 * 4096))
        spec.platform = platform
        var change = ChangeSpec(rate: .constant(0.1))
        change.pattern = .sequential
        change.writeSize = .constant(10 * 4096)
        var c = CheckpointsSpec(diskBytes: 1000 * 4096, change: change)
        c.keep = 1
        c.copyThroughput = 4096 * 100  // 100 blocks a second
        c.cloneCallTime = .seconds(1)
        spec.workloads = [WorkloadSpec(name: "vm", kind: .checkpoints(c))]
        let result = try Simulation(spec).run()
        // Day 1: blocks 0..<100 rewritten in the base (no checkpoint yet), then checkpoint 1.
        // Day 2: blocks 100..<200 go to checkpoint 1's disk (1100 in use), checkpoint 2, and
        // checkpoint 1 is merged: its 100 blocks replace the base's, which are freed.
        // Day 3: blocks 200..<300 go to checkpoint 2's disk, checkpoint 3, checkpoint 2 merged.
        #expect(result.samples.map(\.physicalUsed) == [1000, 1000, 1000, 1000])
        #expect(result.peak == Peak(blocks: 1100, time: .days(2)))
        #expect(result.merges.map(\.blocks) == [100, 100] && result.merges.map(\.cloneCalls) == [1, 1])
        // A copy-based merge reads and writes 100 blocks at 100 blocks a second: 2 s.
        #expect(result.merges.first == Merge(time: .days(2), workload: "vm", blocks: 100, cloneCalls: 1, copyBytes: 409_600,
                                             copyDuration: .seconds(2), cloneDuration: .seconds(1)))
        // The base disk reads the merged data; the last checkpoint's disk is empty.
        let files = result.objects.filter { $0.kind == .file }
        let folder = platform == .refs ? "aggr1/repo" : "repo"  // a folder of the ReFS volume, or the reflink subvolume
        #expect(files.map(\.name) == ["\(folder)/vm-3.avhdx", "\(folder)/vm.vhdx"])
        #expect(files.map(\.physicalUsed) == [0, 1000])
    }
}
