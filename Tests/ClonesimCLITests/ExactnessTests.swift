import Foundation
import Testing

/// Issue 21: the independent checks' reproductions, run as a user runs them, with every figure
/// worked out by hand and compared with the exact bytes of the CSVs.
@Suite struct ExactnessTests {
    func run(_ scenario: String) throws -> URL {
        let folder = temporaryFolder()
        let file = try writeScenario(scenario, in: folder)
        let result = try CLI.run(["run", file.path, "--out", folder.path, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        return folder.appendingPathComponent("repro")
    }

    /// Defect 1: a 400 KiB file is 100 blocks; 7% of 100 is 7 metadata blocks (28,672 bytes),
    /// not 8; use after the run is 107 blocks (438,272 bytes).
    @Test func fingerprintMetadataOfOneHundredBlocksIsSevenBlocks() throws {
        let out = try run("""
        name: repro
        horizon: 2h
        sample_interval: 1h
        aggregate: { capacity: 1GiB, dedup_metadata: 7% }
        volumes:
          v:
            size: 100MiB
            dedup: { mode: post_process, start: 1h }
            files:
              f.dat: { size: 400KiB }
        """)
        let runs = csvRows(out.appendingPathComponent("dedup_runs.csv"))
        let metadata = try #require(runs.first?.firstIndex(of: "metadata_bytes"))
        #expect(runs.count == 2 && runs[1][metadata] == "28672")
        let samples = csvRows(out.appendingPathComponent("timeseries.csv"))
        #expect(samples.first?[2] == "physical_used_bytes" && samples.last?[2] == "438272")
    }

    /// Defect 2: two volume SnapMirror relationships from `src` (a 400 KiB file) into one DR
    /// aggregate: each baseline sends and stores the 100 blocks (409,600 bytes); the DR
    /// aggregate holds 200 (819,200 bytes).
    @Test func twoRelationshipsFromOneSourceEachSendAndStoreTheirCopy() throws {
        let out = try run("""
        name: repro
        horizon: 2h
        sample_interval: 1h
        aggregate: { capacity: 1GiB }
        volumes:
          src:
            size: 100MiB
            files:
              f.dat: { size: 400KiB }
        workloads:
          dr:
            type: dr
            destination: { name: dr1, capacity: 1GiB }
            link: 100MiB/s
            relationships:
              - { source: src, destination: m1, kind: volume_snapmirror, every: 1h, start: 1h }
              - { source: src, destination: m2, kind: volume_snapmirror, every: 1h, start: 1h }
        """)
        let rows = csvRows(out.appendingPathComponent("replication.csv"))
        let h = rows[0]
        let baselines = rows.dropFirst().filter { $0[h.firstIndex(of: "baseline")!] == "true" }
        #expect(baselines.map { $0[h.firstIndex(of: "destination")!] } == ["m1", "m2"])
        #expect(baselines.allSatisfy { $0[h.firstIndex(of: "sent_bytes")!] == "409600" && $0[h.firstIndex(of: "stored_bytes")!] == "409600" })
        let destination = csvRows(out.appendingPathComponent("destination.csv"))
        #expect(destination.last?[3] == "819200")
    }

    /// The bundled `dr-clone-with-parent`, by hand (4 KiB blocks): the parent's baseline sends
    /// 1,048,576 blocks to each DR aggregate. On 8.0 the clone's baseline is a full copy (another
    /// 1,048,576: 8 GiB); on 9.15.1 it sends the 65,536 blocks it rewrote. Production's 16,384
    /// rewritten blocks at 12h cross with the next update to both; on 9.15.1 the replaced ones
    /// stay, held by the parent replica's first Snapshot copy, which the clone replica locks:
    /// 1,048,576 + 65,536 + 16,384 = 1,130,496 blocks (4,630,511,616 bytes). On 8.0 they are
    /// freed: 2,097,152 blocks (8,589,934,592 bytes).
    @Test func aCloneReplicatedWithItsParentOnEachRelease() throws {
        let result = try #require(Bundled.output.result)
        #expect(result.status == 0)
        let out = Bundled.output.folder.appendingPathComponent("dr-clone-with-parent")
        let rows = csvRows(out.appendingPathComponent("replication.csv"))
        let h = rows[0]
        func column(_ name: String, _ destination: String) -> [String] {
            rows.dropFirst().filter { $0[h.firstIndex(of: "destination")!] == destination }.map { $0[h.firstIndex(of: name)!] }
        }
        #expect(column("sent_bytes", "db_m80") == ["4294967296", "67108864"])
        #expect(column("sent_bytes", "db_m915") == ["4294967296", "67108864"])
        #expect(column("sent_bytes", "dev_m80") == ["4294967296", "0"])
        #expect(column("sent_bytes", "dev_m915") == ["268435456", "0"])
        #expect(column("stored_bytes", "dev_m915") == ["268435456", "268435456"])
        #expect(column("locked_held_bytes", "db_m915").last == "67108864")
        let destination = csvRows(out.appendingPathComponent("destination.csv"))
        let last = Dictionary(destination.dropFirst().map { ($0[2], $0[3]) }, uniquingKeysWith: { _, b in b })
        #expect(last["dr80"] == "8589934592" && last["dr915"] == "4630511616")
    }
}
