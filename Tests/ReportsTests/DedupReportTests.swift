import BlockModel
import Engine
import Foundation
import Testing
@testable import Workloads
@testable import Reports

/// The dedup sections of `report.md` and their CSV files, on runs and savings built by hand.
extension RunReportTests {
    func dedupResult() -> RunResult {
        var r = result()
        let gib = Self.gib
        var first = DedupRun()
        first.processedBlocks = 2 * gib  // 524,288 blocks at 25,600 a second: 20.48 s
        first.duplicates = gib / 2
        first.freedBlocks = gib / 2
        first.fullDonors = 2
        first.metadataBlocks = gib / 10  // 26,214 blocks: 107,372,544 bytes
        var third = DedupRun()
        third.processedBlocks = 1000
        r.dedupRuns = [
            DedupRecord(time: .hours(1), volume: "v", run: first, duration: SimTime(nanoseconds: 20_480_000_000), window: .hours(4)),
            DedupRecord(time: .hours(25), volume: "v", run: DedupRun(), duration: .zero, window: .hours(4)),
            DedupRecord(time: .hours(49), volume: "v", run: third, duration: .hours(5), window: .hours(4)),
        ]
        r.volumeSavings = [
            VolumeSavings(volume: "v", dedup: .postProcess, logicalUsed: 2 * gib, charged: 3 * gib / 2, dedupSaved: gib / 2, dedupMetadata: gib / 10),
            VolumeSavings(volume: "c", dedup: .postProcess, logicalUsed: 2 * gib, charged: gib / 4, dedupSaved: gib / 2, dedupMetadata: 0),
        ]
        return r
    }

    /// Totals over the three runs; the empty run is left out of the table, the 5 h run past
    /// its 4 h window is flagged; savings = logical − charged, clone savings = savings − dedup.
    @Test func dedupRunsAndSavingsByVolume() throws {
        let md = RunReport.markdown(dedupResult())
        #expect(table(md, after: "## Deduplication") == [
            ["runs", "3"],
            ["blocks processed", "525288 (2.00 GiB)"],
            ["duplicates shared", "131072 (0.50 GiB)"],
            ["space freed", "0.50 GiB"],
            ["donor handovers (a full donor replaced by the next copy)", "2"],
            ["median / longest run", "20.5 s / 5.0 h"],
            ["runs longer than their window", "1"],
        ])
        #expect(table(md, after: "Runs that processed blocks") == [
            ["day 0 01:00", "v", "524288", "131072", "0.50 GiB", "20.5 s", "4.0 h", ""],
            ["day 2 01:00", "v", "1000", "0", "0.00 GiB", "5.0 h", "4.0 h", "overran"],
        ])
        #expect(table(md, after: "## Savings by volume") == [
            ["v", "post_process", "2.00 GiB", "1.50 GiB", "0.50 GiB", "0.00 GiB", "0.50 GiB", "0.10 GiB"],
            ["c", "post_process", "2.00 GiB", "0.25 GiB", "1.75 GiB", "1.25 GiB", "0.50 GiB", "0.00 GiB"],
            ["all volumes", "", "4.00 GiB", "1.75 GiB", "2.25 GiB", "1.25 GiB", "1.00 GiB", "0.10 GiB"],
        ])
        let files = try RunReport.files(dedupResult())
        let runs = try #require(files.first { $0.name == "dedup_runs.csv" }?.text)
        #expect(runs.split(separator: "\n").map(String.init) == [
            "time_s,day,volume,processed_blocks,duplicates,freed_bytes,donor_handovers,metadata_bytes,duration_s,window_s,overran",
            "3600,0.0417,v,524288,131072,536870912,2,107372544,20.480,14400,false",
            "90000,1.0417,v,0,0,0,0,0,0.000,14400,false",
            "176400,2.0417,v,1000,0,0,0,0,18000.000,14400,true",
        ])
        let savings = try #require(files.first { $0.name == "savings.csv" }?.text)
        #expect(savings.split(separator: "\n").map(String.init).last
            == "c,post_process,2147483648,268435456,1879048192,1342177280,536870912,0")
    }

    /// Without a deduplicating volume there is no dedup section and no dedup file.
    @Test func noDedupNoSection() throws {
        #expect(!RunReport.markdown(result()).contains("## Deduplication"))
        #expect(try RunReport.files(result()).map(\.name) == ["report.md", "timeseries.svg", "timeseries.csv", "objects.csv", "events.csv"])
    }
}
