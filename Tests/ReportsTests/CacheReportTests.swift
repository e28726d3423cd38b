import Engine
import Foundation
import Testing
@testable import Workloads
@testable import Reports

/// The Flash Cache section of `report.md`, `cache.csv` and `cache.svg`, on reads built by hand.
extension RunReportTests {
    func cacheResult() -> RunResult {
        var r = result()
        r.cacheBlocks = Self.gib / 4
        var steady = CacheRecord(time: .days(1), workload: "d", kind: .steady)
        steady.reads = 1000
        steady.hits = 400
        steady.hitsWithoutSharing = 50
        var boot = CacheRecord(time: .hours(8), workload: "d", kind: .bootStorm)
        boot.reads = 3000
        boot.hits = 2970
        var boot2 = boot
        boot2.time = .hours(32)
        boot2.hits = 3000
        boot2.hitsWithoutSharing = 3
        r.cacheReads = [steady, boot, boot2]  // in the order the run made them; reports sort by time
        return r
    }

    /// Totals by kind and per event; 2970 + 3000 of 6000 boot reads hit (99.5%), 400 of 1000
    /// steady reads (40.0%), 6370 of all 7000 (91.0%); without sharing 3, 50 and 53 (0.8%).
    @Test func cacheHitRatesWithAndWithoutSharing() throws {
        let md = RunReport.markdown(cacheResult())
        #expect(table(md, after: "## Flash Cache") == [
            ["boot storms", "0.02 GiB", "99.5%", "0.1%"],
            ["steady", "0.00 GiB", "40.0%", "5.0%"],
            ["all", "0.03 GiB", "91.0%", "0.8%"],
        ])
        #expect(table(md, after: "By event") == [
            ["day 0 08:00", "d", "boot storm", "0.01 GiB", "99.0%", "0.0%"],
            ["day 1 00:00", "d", "steady", "0.00 GiB", "40.0%", "5.0%"],
            ["day 1 08:00", "d", "boot storm", "0.01 GiB", "100.0%", "0.1%"],
        ])
        let files = try RunReport.files(cacheResult())
        let csv = try #require(files.first { $0.name == "cache.csv" }?.text)
        #expect(csv.split(separator: "\n").map(String.init) == [
            "time_s,day,workload,kind,reads_blocks,hits,hits_without_sharing,hit_rate,hit_rate_without_sharing",
            "28800,0.3333,d,boot storm,3000,2970,0,0.990000,0.000000",
            "86400,1.0000,d,steady,1000,400,50,0.400000,0.050000",
            "115200,1.3333,d,boot storm,3000,3000,3,1.000000,0.001000",
        ])
        let svg = try #require(files.first { $0.name == "cache.svg" }?.text)
        #expect(svg.components(separatedBy: "<circle").count - 1 == 4)  // two storms, two series
        #expect(svg.contains("boot storms, with sharing") && !svg.contains("steady, with sharing"))  // one steady point: no line
        #expect(!RunReport.markdown(result()).contains("## Flash Cache"))
    }
}
