import Foundation
import Testing

/// `run --jobs J` (issue 22, first step): the shards merged are the report one run writes,
/// byte for byte; what sharded runs do not cover yet runs on one core, saying why. Every bundled
/// scenario against its checked-in report is `scripts/check-shards.sh` (a debug build takes
/// minutes for them, so it is not a unit test).
@Suite struct ShardedRunTests {
    /// 300 desktops past the 255 limit with a recompose and hotspot writes, at 1, 2 and 3 jobs.
    @Test func anyJobCountWritesTheSameBytes() throws {
        let folder = temporaryFolder()
        let file = try writeScenario("""
        name: shards
        seed: 9
        horizon: 4d
        sample_interval: 12h
        aggregate: { capacity: 200GiB, alerts: [5%, 10%] }
        volumes:
          vdi:
            size: 100GiB
            files:
              golden.vmdk: { size: 64MiB }
        workloads:
          desktops:
            type: vdi
            volume: vdi
            image: golden.vmdk
            desktops: 300
            limit_strategy: clone_newest_copy
            change: { rate: { distribution: gamma, mean: 2%, sd: 1% }, pattern: hotspot, write_size: 64KiB }
            recompose: { at: 2d, image_change: 10% }
        """, in: folder)
        var reports: [[String: String]] = []
        for jobs in [1, 2, 3] {
            let out = folder.appendingPathComponent("j\(jobs)")
            let result = try CLI.run(["run", file.path, "--out", out.path, "--jobs", "\(jobs)", "--quiet"])
            #expect(result.status == 0 && result.stderr.isEmpty, "\(result.stderr)")
            var files: [String: String] = [:]
            for f in ["report.md", "timeseries.csv", "objects.csv", "events.csv"] { files[f] = read(out.appendingPathComponent("shards/\(f)")) }
            reports.append(files)
        }
        #expect(reports[0]["events.csv"]!.contains("fallback_copy") || reports[0]["events.csv"]!.contains("copy_file"))
        #expect(reports[1] == reports[0] && reports[2] == reports[0])
    }

    @Test func anUncoveredScenarioRunsOnOneCoreAndSaysWhy() throws {
        let out = temporaryFolder()
        let scenario = repositoryRoot.appendingPathComponent("Scenarios/events-split-whatif.yaml")
        let result = try CLI.run(["run", scenario.path, "--out", out.path, "--jobs", "2"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("events-split-whatif: one job (a sharded run does not cover quotas"), "\(result.stderr)")
        #expect(read(out.appendingPathComponent("events-split-whatif/report.md"))
                == read(repositoryRoot.appendingPathComponent("Reports/events-split-whatif/report.md")))
    }

    /// `--sample 1/4`: the headline and the report say it is a sample and give intervals; the
    /// objects table gains the half-widths; a rate that is not 1/N is refused, writing nothing.
    @Test func aSampledRunSaysSoAndGivesIntervals() throws {
        let folder = temporaryFolder()
        let file = try writeScenario(smallScenario, in: folder)
        let out = folder.appendingPathComponent("out")
        let result = try CLI.run(["run", file.path, "--out", out.path, "--sample", "1/4"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("small: sampled 1/4; final use ") && result.stdout.contains(" ± "), "\(result.stdout)")
        let report = read(out.appendingPathComponent("small/report.md"))
        #expect(report.contains("**Sampled run: 1/4 of the address space** (8 shards of 32"))
        #expect(read(out.appendingPathComponent("small/objects.csv")).hasPrefix("kind,name,") &&
                read(out.appendingPathComponent("small/objects.csv")).components(separatedBy: "\n")[0].hasSuffix(",physical_used_95_halfwidth_bytes"))
        let bad = try CLI.run(["run", file.path, "--out", folder.appendingPathComponent("bad").path, "--sample", "2/3"])
        #expect(bad.status != 0 && bad.stderr.contains("--sample: found '2/3'; allowed: auto, exact, or 1/N with N a whole number from 1 to 65536"))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("bad").path))
    }

    @Test func badJobCountsAreRefused() throws {
        let scenario = repositoryRoot.appendingPathComponent("Scenarios/seed-devtest.yaml")
        let zero = try CLI.run(["run", scenario.path, "--jobs", "0"])
        #expect(zero.status != 0 && zero.stderr.contains("--jobs: found 0; allowed: 1 to 1024"))
        let traced = try CLI.run(["run", scenario.path, "--jobs", "2", "--trace", "/tmp/never.jsonl"])
        #expect(traced.status != 0 && traced.stderr.contains("--trace takes one job"))
    }
}
