import BlockModel
import Engine
import Testing
@testable import Workloads

/// The dr workload on a 1000-block file with 10 file clones (4 metadata blocks each), counted
/// by hand: transfer sizes, link serialization, missed recovery points, locked Snapshot copies.
@Suite struct DRWorkloadTests {
    func scenario(horizon: SimTime, bandwidthBlocks: Double, _ configure: (inout DRSpec) -> Void) -> ScenarioSpec {
        var spec = ScenarioSpec(name: "dr", horizon: horizon, sampleInterval: .hours(1),
                                aggregate: AggregateSpec(capacityBytes: 100_000 * 4096))
        var volume = VolumeSpec(name: "vol", sizeBytes: 50_000 * 4096)
        volume.files = [FileSpec(path: "base", sizeBytes: 1000 * 4096)]
        spec.volumes = [volume]
        var events = EventsSpec()
        events.operations = (1...10).map { TimedOperation(at: .zero, operation: .cloneFile(volume: "vol", source: "base", destination: "c\($0)")) }
        var dr = DRSpec(destinationCapacityBytes: 100_000 * 4096, bandwidth: bandwidthBlocks * 4096)
        configure(&dr)
        spec.workloads = [WorkloadSpec(name: "clones", kind: .events(events)), WorkloadSpec(name: "dr", kind: .dr(dr))]
        return spec
    }

    /// Volume SnapMirror sends 1000 data + 40 metadata blocks, SnapVault 11 × 1000. At 100
    /// blocks/s the first takes 10.4 s; the second waits for the link and takes 110 s.
    @Test func baselinesShareTheLink() throws {
        let result = try Simulation(scenario(horizon: .hours(2), bandwidthBlocks: 100) { dr in
            dr.relationships = [RelationshipSpec(source: "vol", destination: "vol_dr", kind: .volumeSnapMirror),
                                RelationshipSpec(source: "vol", destination: "vol_vault", kind: .snapVault)]
        }).run()
        let x = try #require(result.replication)
        let first = x.updates.filter { $0.time == .hours(1) }
        #expect(first.map(\.destination) == ["vol_dr", "vol_vault"])
        #expect(first.map(\.transferredBlocks) == [1040, 11_000] && first.allSatisfy(\.baseline))
        #expect(first[0].start == .hours(1) && first[0].duration == SimTime(nanoseconds: 10_400_000_000))
        #expect(first[1].start == .hours(1) + SimTime(nanoseconds: 10_400_000_000) && first[1].duration == .seconds(110))
        #expect(x.updates.filter { $0.time == .hours(2) }.map(\.transferredBlocks) == [0, 0])
        #expect(x.samples.last?.physicalUsed == 1040 + 11_000 && x.samples.last?.logicalUsed == 22_000)
    }

    /// At 1 block/s SnapMirror's baseline ends at 3600 + 1040 s and SnapVault's, after it, at
    /// 15,640 s: its updates due at 2 h, 3 h and 4 h find it running (recovery points missed);
    /// the one at 5 h goes. SnapMirror's 2 h update is queued behind that transfer until
    /// 15,640 s, so its own 3 h and 4 h updates are missed too.
    @Test func updatesDueDuringATransferMissTheirRecoveryPoint() throws {
        let result = try Simulation(scenario(horizon: .hours(5), bandwidthBlocks: 1) { dr in
            dr.relationships = [RelationshipSpec(source: "vol", destination: "vol_dr", kind: .volumeSnapMirror),
                                RelationshipSpec(source: "vol", destination: "vol_vault", kind: .snapVault)]
        }).run()
        let vault = result.replication!.updates.filter { $0.destination == "vol_vault" }
        #expect(vault.map(\.missed) == [false, true, true, true, false])
        #expect(vault[0].start == .seconds(4640) && vault[0].duration == .seconds(11_000))
        let mirror = result.replication!.updates.filter { $0.destination == "vol_dr" }
        #expect(mirror.map(\.missed) == [false, false, true, true, false])
        #expect(mirror[1].start == .seconds(15_640) && mirror[1].duration == .zero)
        #expect(result.events.filter { $0.outcome == "missed" }.count == 5)
        #expect(result.firstBinding == [.rpo: .hours(2)])
    }

    /// A dev/test clone made at 2 h from the first replicated copy locks it past retention
    /// (keep 1); the source then overwrites 100 new blocks a day, sequentially, so at the end
    /// that copy alone holds the 200 replaced blocks.
    @Test func aCloneOnTheDestinationLocksItsCopy() throws {
        let result = try Simulation(scenario(horizon: .hours(50), bandwidthBlocks: 1000) { dr in
            dr.relationships = [RelationshipSpec(source: "vol", destination: "vol_dr", kind: .volumeSnapMirror)]
            dr.relationships[0].every = .days(1)
            var change = ChangeSpec(rate: .constant(0.1))
            change.pattern = .sequential
            dr.sourceChange = change
            var dev = DRCloneSpec(name: "dev", of: "vol_dr", count: 1)
            dev.start = .hours(2)
            dr.clones = [dev]
        }).run()
        let x = try #require(result.replication)
        #expect(x.updates.map(\.time) == [.hours(1), .hours(25), .hours(49)])
        // Source changes at 24 h and 48 h: 100 blocks of each of the 11 files, the same offsets
        // in each (one sequential cursor per file), so base's replaced blocks are held only by
        // the locked copy: 100, then 200.
        #expect(x.updates.map(\.transferredBlocks) == [1040, 1100, 1100])
        #expect(x.updates.map(\.lockedSnapshots) == [0, 1, 1])
        #expect(x.samples.first { $0.time == .hours(26) }?.lockedBlocks == 100)
        #expect(x.samples.last?.time == .hours(50) && x.samples.last?.lockedBlocks == 200)
        #expect(x.lockedAtEnd == [LockedSnapshot(volume: "vol_dr", snapshot: "snapmirror.vol_dr.1", clones: ["dr-dev-1"], heldBlocks: 200)])
    }
}
