import BlockModel
import Engine
import Testing
@testable import Workloads
@testable import Reports

/// Every figure `report.md` prints, on a run result built by hand: 1 GiB = 262,144 blocks.
struct RunReportTests {
    static let gib = 262_144

    /// A hand-built run; the framing is the repository one off ONTAP unless given.
    func result(_ platform: Platform = .ontap, framing: Framing? = nil) -> RunResult {
        var r = RunResult(scenario: ScenarioSummary(
            name: "t", description: "", seed: 1, generator: "mt19937", platform: platform,
            framing: framing ?? (platform == .ontap ? .clones : .repository), horizon: .days(2),
            sampleInterval: .days(1), blockSize: 4096, capacityBlocks: 4 * Self.gib, alertLevels: [0.25, 0.9], reportUnit: .GiB,
            assumptions: ["One assumption."]))
        r.samples = [
            Sample(time: .zero, physicalUsed: Self.gib / 4, reserved: 0, logicalUsed: Self.gib / 2, free: 0, volumes: 1, files: 1, snapshots: 0),
            Sample(time: .days(2), physicalUsed: Self.gib, reserved: Self.gib / 2, logicalUsed: 2 * Self.gib, free: 0, volumes: 2,
                   files: 2, snapshots: 1),
        ]
        r.peak = Peak(blocks: 5 * Self.gib / 4, time: .hours(36))
        r.traditionalPeak = Peak(blocks: 2 * Self.gib, time: .days(2))
        r.alerts = [AlertCrossing(level: 0.25, withClones: .hours(36), traditional: .days(2)),
                    AlertCrossing(level: 0.9, withClones: nil, traditional: nil)]
        r.limits.fallbackCopies = Self.gib / 10
        r.limits.failedWrites = 2
        r.limits.failedWriteBlocks = Self.gib / 4
        r.provisioning = [Provisioning(workload: "d", desktops: 10, parallel: 4, perDesktopClone: .seconds(180),
                                       perDesktopCopy: .seconds(1200))]
        r.merges = [Merge(time: .days(1), workload: "vm", blocks: Self.gib, cloneCalls: 3, copyBytes: 1 << 30,
                          copyDuration: .seconds(20), cloneDuration: SimTime(nanoseconds: 150_000))]
        return r
    }

    /// The rows of the Markdown table under `heading`, cells trimmed, header and rule dropped.
    func table(_ md: String, after heading: String) -> [[String]] {
        guard let start = md.range(of: heading) else { return [] }
        let lines = md[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).drop { !$0.hasPrefix("|") }
        return lines.prefix { $0.hasPrefix("|") }.dropFirst(2).map { line in
            line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
    }

    @Test func headlineAlertsLimitsProvisioningAndMerges() {
        let md = RunReport.markdown(result())
        #expect(md.contains("horizon 2.0 d, sampled every 24.0 h; aggregate of 4.00 GiB."))
        // Final: 1 GiB with clones, 2 GiB logical; saved 1 GiB of 2 = 50%. Peak 1.25 GiB at 36 h.
        #expect(table(md, after: "## Capacity") == [
            ["final use", "1.00 GiB", "2.00 GiB", "1.00 GiB (50.0%)"],
            ["final use, share of the aggregate", "25.0%", "50.0%", ""],
            ["peak use", "1.25 GiB at day 1 12:00", "2.00 GiB at day 2 00:00", "0.75 GiB (37.5%)"],
            ["unused volume guarantees at the end", "0.50 GiB", "", ""],
        ])
        #expect(table(md, after: "## Alert thresholds") == [["25%", "day 1 12:00", "day 2 00:00"], ["90%", "never", "never"]])
        #expect(table(md, after: "## Limits hit") == [
            ["blocks copied at the 1 + 255 pointer limit", "26214 (0.10 GiB)"],
            ["full copies made by the limit strategy", "0"],
            ["clones refused", "0"],
            ["quotas oversubscribed by clones", "0"],
            ["failed writes", "2 (0.25 GiB not written)"],
            ["file clones without the source's ACLs / streams", "0 / 0"],
        ])
        // 10 desktops, 4 at a time: 3 rounds of 3 min (clones) or 20 min (copies).
        #expect(table(md, after: "## Provisioning time") == [["d", "10", "4", "3.0 min", "9.0 min", "20.0 min", "1.0 h"]])
        #expect(table(md, after: "## Checkpoint merges") == [
            ["merges", "1", "1"],
            ["blocks merged", "262144 (1.00 GiB)", "same"],
            ["data read / written", "1.00 GiB / 1.00 GiB", "none (3 block-clone calls)"],
            ["time, all merges", "20.0 s", "0.1 ms"],
            ["longest merge", "20.0 s", "0.1 ms"],
        ])
        #expect(md.hasSuffix("## Assumptions\n\n- One assumption.\n"))
    }

    @Test func fileSystemPlatformsNameTheirColumnsAndLimits() {
        let md = RunReport.markdown(result(.refs))
        #expect(md.contains("## Capacity: with block cloning vs without block cloning"))
        #expect(table(md, after: "## Capacity").map(\.first) == ["final use", "final use, share of the aggregate", "peak use"])
        #expect(table(md, after: "## Limits hit") == [["block clones refused (the data was copied)", "0"],
                                                      ["failed writes", "2 (0.25 GiB not written)"]])
    }

    /// Clone workloads on a file system: the clones-vs-copies framing, without ONTAP's
    /// guarantee row and pointer, quota and ACL limits.
    @Test func cloneWorkloadsOnAFileSystemKeepTheClonesFraming() {
        var r = result(.reflink, framing: .clones)
        r.limits.strategyCopies = 1
        r.limits.refusedClones = 3
        let md = RunReport.markdown(r)
        #expect(md.contains("## Capacity: clones vs traditional full copies"))
        #expect(table(md, after: "## Capacity").map(\.first) == ["final use", "final use, share of the aggregate", "peak use"])
        #expect(table(md, after: "## Limits hit") == [["full copies made by the limit strategy", "1"], ["clones refused", "3"],
                                                      ["failed writes", "2 (0.25 GiB not written)"]])
        #expect(Comparison.markdown([r]).contains("| final use with full copies |"))
    }

    @Test func csvFilesHoldExactBytes() throws {
        let text = try RunReport.timeseriesCSV(result())
        #expect(text == """
        time_s,day,physical_used_bytes,reserved_bytes,traditional_bytes,free_bytes,capacity_bytes,volumes,files,snapshots
        0,0.0000,268435456,0,536870912,0,4294967296,1,1,0
        172800,2.0000,1073741824,536870912,2147483648,0,4294967296,2,2,1

        """)
    }

    @Test func comparisonPutsPlatformsSideBySide() throws {
        var refs = result(.refs), reflink = result(.reflink)
        reflink.samples[1].physicalUsed = 3 * Self.gib / 2
        let md = Comparison.markdown([refs, reflink])
        #expect(table(md, after: "across platforms") == [
            ["refs", "4096 B", "1.00 GiB", "1.25 GiB at day 1 12:00", "2.00 GiB", "50.0%", "[refs/report.md](refs/report.md)"],
            ["reflink", "4096 B", "1.50 GiB", "1.25 GiB at day 1 12:00", "2.00 GiB", "25.0%", "[reflink/report.md](reflink/report.md)"],
        ])
        refs.samples = []
        #expect(try Comparison.csv([refs]) == """
        platform,block_size,final_used_bytes,peak_used_bytes,peak_time_s,final_without_cloning_bytes,peak_without_cloning_bytes
        refs,4096,0,1342177280,129600,0,2147483648

        """)
    }
}
