import BlockModel
import Engine
import Foundation
import Testing
@testable import Workloads
@testable import Reports

/// The replication section of `report.md` and its CSV files, on updates built by hand.
extension RunReportTests {
    func replicationResult() -> RunResult {
        var r = result()
        let gib = Self.gib
        var x = ReplicationResult(destination: "dr1", capacityBlocks: 8 * gib, bandwidth: 10_485_760)
        x.relationships = [.init(source: "prod", destination: "prod_dr", kind: .volumeSnapMirror, every: .hours(1)),
                           .init(source: "prod", destination: "prod_vault", kind: .snapVault, every: .days(1))]
        x.relationships[0].logicalUsed = 3 * gib
        x.relationships[0].charged = gib
        x.relationships[1].logicalUsed = 3 * gib
        x.relationships[1].charged = 3 * gib
        func update(_ t: SimTime, _ d: String, _ blocks: Int, baseline: Bool = false, duration: SimTime = .seconds(100)) -> ReplicationRecord {
            var u = ReplicationRecord(time: t, destination: d)
            u.baseline = baseline
            u.transferredBlocks = blocks
            u.changedBlocks = blocks
            u.duration = duration
            u.storedBlocks = 2 * blocks  // distinct figures, so each column is pinned
            u.lockedHeldBlocks = blocks / 2
            return u
        }
        var missed = ReplicationRecord(time: .hours(6), destination: "prod_dr")
        missed.missed = true
        var refused = ReplicationRecord(time: .hours(25), destination: "prod_vault")
        refused.refusal = "out of space"
        var locked = update(.hours(5), "prod_dr", 2 * gib, duration: .hours(2))
        locked.lockedSnapshots = 1
        x.updates = [update(.hours(1), "prod_dr", gib, baseline: true), update(.hours(1), "prod_vault", 3 * gib, baseline: true),
                     update(.hours(2), "prod_dr", gib / 4), update(.hours(3), "prod_dr", gib / 2), update(.hours(4), "prod_dr", gib),
                     locked, missed, refused]
        x.samples = [DestinationSample(time: .zero, physicalUsed: 0, logicalUsed: 0),
                     DestinationSample(time: .days(1), physicalUsed: gib, logicalUsed: 2 * gib, lockedBlocks: gib / 2),
                     DestinationSample(time: .days(2), physicalUsed: 2 * gib, logicalUsed: 3 * gib)]
        x.lockedAtEnd = [LockedSnapshot(volume: "prod_dr", snapshot: "snapmirror.prod_dr.1", clones: ["dr-dev-1"], heldBlocks: gib / 2)]
        x.drTests = 2
        r.replication = x
        return r
    }

    /// Incremental prod_dr transfers 0.25, 0.5, 1 and 2 GiB: P50 0.75 GiB and P95 1.85 GiB
    /// (type 7: between the 3rd and 4th at 0.85); sent 1 + 3.75 GiB; one RPO missed.
    @Test func replicationSection() throws {
        let md = RunReport.markdown(replicationResult())
        #expect(table(md, after: "## Replication") == [
            ["prod", "prod_dr", "volume_snapmirror", "1.0 h", "5", "1.00 GiB", "0.75 GiB", "1.85 GiB", "2.00 GiB", "4.75 GiB", "2.0 h", "1", "0", "3.00 GiB", "1.00 GiB"],
            ["prod", "prod_vault", "snapvault", "24.0 h", "1", "3.00 GiB", "-", "-", "-", "3.00 GiB", "1.7 min", "0", "1", "3.00 GiB", "3.00 GiB"],
        ])
        #expect(md.contains("Destination use: 2.00 GiB at the end (logical 3.00 GiB), peak 2.00 GiB at day 2 00:00, of 8.00 GiB."))
        #expect(table(md, after: "Destination use:") == [
            ["day 0 00:00", "0.00 GiB", "0.00 GiB", "0.0%", "0.00 GiB"],
            ["day 1 00:00", "1.00 GiB", "2.00 GiB", "12.5%", "0.50 GiB"],
            ["day 2 00:00", "2.00 GiB", "3.00 GiB", "25.0%", "0.00 GiB"],
        ])
        #expect(md.contains("at most 0.50 GiB held only for them (sample of day 1 00:00)"))
        #expect(table(md, after: "at most 0.50 GiB") == [["prod_dr@snapmirror.prod_dr.1", "dr-dev-1", "0.50 GiB"]])
        #expect(md.contains("DR tests run on clones of the destination copies: 2."))
        let files = try RunReport.files(replicationResult())
        let csv = try #require(files.first { $0.name == "replication.csv" }?.text).split(separator: "\n").map(String.init)
        #expect(csv.count == 9 && csv[0] == "time_s,day,aggregate,source,destination,baseline,changed_bytes,sent_bytes,start_s,duration_s,"
            + "rpo_missed,refusal,locked_snapshots,stored_bytes,locked_held_bytes")
        #expect(csv[1] == "3600,0.0417,dr1,prod,prod_dr,true,1073741824,1073741824,3600.000,100.000,false,,0,2147483648,536870912")
        // A missed or refused update stores nothing new: no figures after it.
        #expect(csv[7] == "21600,0.2500,dr1,prod,prod_dr,false,0,0,21600.000,0.000,true,,0,,")
        #expect(csv[8] == "90000,1.0417,dr1,prod,prod_vault,false,0,0,90000.000,0.000,false,out of space,0,,")
        let destination = try #require(files.first { $0.name == "destination.csv" }?.text).split(separator: "\n").map(String.init)
        #expect(destination.last == "172800,2.0000,dr1,2147483648,3221225472,8589934592,0")
        let locked = try #require(files.first { $0.name == "locked_copies.csv" }?.text)
        #expect(locked == "aggregate,volume,snapshot,clones,held_bytes\ndr1,prod_dr,snapmirror.prod_dr.1,dr-dev-1,536870912\n")
        #expect(!RunReport.markdown(result()).contains("## Replication"))
    }
}
