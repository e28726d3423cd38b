import Foundation
import Testing

/// `clonesim plan` as a user runs it.
struct PlanCommandTests {
    /// Writes plan.md and plan.csv under OUT/<scenario>/plan/, the same bytes on a second run
    /// and whatever the number of jobs; one row per replication.
    @Test func planWritesItsReportDeterministically() throws {
        let folder = temporaryFolder()
        let scenario = try writeScenario(smallScenario, in: folder)
        var texts: [String] = []
        for (run, jobs) in [("a", "2"), ("b", "1")] {
            let result = try CLI.run(["plan", scenario.path, "--runs", "6", "--jobs", jobs, "--out", folder.appendingPathComponent(run).path])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("small: buy at least "))
            let plan = folder.appendingPathComponent(run).appendingPathComponent("small/plan")
            texts.append(read(plan.appendingPathComponent("plan.md")) + "\u{0}" + read(plan.appendingPathComponent("plan.csv")))
        }
        #expect(texts[0].hasPrefix("# small: capacity plan\n\n**Buy at least ") && texts[0] == texts[1])
        #expect(csvRows(folder.appendingPathComponent("a/small/plan/plan.csv")).count == 7)
    }

    @Test func badSettingsAreRefusedBeforeRunning() throws {
        let folder = temporaryFolder()
        let scenario = try writeScenario(smallScenario, in: folder)
        let result = try CLI.run(["plan", scenario.path, "--confidence", "120%", "--out", folder.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--confidence: found '120%'; allowed: a percentage from 50% to 100%"))
        #expect(try CLI.run(["plan", scenario.path, "--runs", "0"]).stderr.contains("--runs: found 0; allowed: 1 to 100000"))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("small").path))
    }

    /// Every combination of the --vary values is a variant, side by side; a bad key is refused.
    @Test func varyMakesOneVariantPerCombination() throws {
        let folder = temporaryFolder()
        let scenario = try writeScenario(smallScenario, in: folder)
        let result = try CLI.run(["plan", scenario.path, "--runs", "3", "--vary", "workloads.devtest.clones.dev.count=1,4",
                                  "--vary", "workloads.devtest.refresh_every=2d,8d", "--out", folder.path, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = csvRows(folder.appendingPathComponent("small/plan/plan.csv"))
        #expect(rows.count == 1 + 4 * 3)
        let plan = read(folder.appendingPathComponent("small/plan/plan.md"))
        #expect(plan.contains("## Variants side by side") && plan.contains("| workloads.devtest.clones.dev.count=4, workloads.devtest.refresh_every=8d |"))
        let bad = try CLI.run(["plan", scenario.path, "--vary", "workloads.devtest.clones.dev.count", "--out", folder.path])
        #expect(bad.status != 0 && bad.stderr.contains("--vary: found 'workloads.devtest.clones.dev.count'; allowed: KEY=V1,V2,..."))
    }

    /// Shards 1/3, 2/3 and 3/3 merged give the unsharded report byte for byte; a missing shard
    /// is refused.
    @Test func shardsMergeIntoTheUnshardedReport() throws {
        let folder = temporaryFolder()
        let scenario = try writeScenario(smallScenario, in: folder)
        let parts = folder.appendingPathComponent("parts")
        for k in 1...3 {
            let result = try CLI.run(["plan", scenario.path, "--runs", "7", "--shard", "\(k)/3", "--out", parts.path, "--quiet"])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let files = (1...3).map { parts.appendingPathComponent("small/plan/part-\($0)-of-3.json").path }
        let merged = try CLI.run(["merge"] + files + ["--out", folder.appendingPathComponent("merged").path, "--quiet"])
        #expect(merged.status == 0, "\(merged.stderr)")
        let whole = try CLI.run(["plan", scenario.path, "--runs", "7", "--out", folder.appendingPathComponent("whole").path, "--quiet"])
        #expect(whole.status == 0)
        for name in ["plan.md", "plan.csv"] {
            let a = read(folder.appendingPathComponent("merged/small/plan/\(name)"))
            #expect(!a.isEmpty && a == read(folder.appendingPathComponent("whole/small/plan/\(name)")), "\(name)")
        }
        let missing = try CLI.run(["merge", files[0], files[2], "--out", folder.appendingPathComponent("bad").path])
        #expect(missing.status != 0 && missing.stderr.contains("2 of 7 replications are missing (first: 1): a shard is missing"))
        #expect(try CLI.run(["plan", scenario.path, "--shard", "4/3"]).stderr.contains("--shard: found '4/3'; allowed: K/N with 1 ≤ K ≤ N"))
    }

    /// `--sample 1/4`: each replication simulates a quarter of the address space; plan.md says
    /// so and states the error, plan.csv carries every replication's errors, and the bytes do
    /// not depend on the jobs. `auto` on a scenario that fits is the exact plan, byte for byte.
    /// A bad rate, or a rate for a scenario that cannot be sampled, is refused before running.
    @Test func sampledPlans() throws {
        let folder = temporaryFolder()
        let scenario = try writeScenario(smallScenario, in: folder)
        var texts: [String] = []
        for (name, options) in [("a", ["--sample", "1/4", "--jobs", "2"]), ("b", ["--sample", "1/4", "--jobs", "1"]),
                                ("auto", []), ("exact", ["--sample", "exact"])] {
            let result = try CLI.run(["plan", scenario.path, "--runs", "6", "--out", folder.appendingPathComponent(name).path, "--quiet"] + options)
            #expect(result.status == 0, "\(result.stderr)")
            let plan = folder.appendingPathComponent(name).appendingPathComponent("small/plan")
            texts.append(read(plan.appendingPathComponent("plan.md")) + "\u{0}" + read(plan.appendingPathComponent("plan.csv")))
        }
        #expect(texts[0] == texts[1] && texts[2] == texts[3] && texts[0] != texts[3])
        #expect(texts[0].contains("**Sampled: each replication simulated 1/4 of the address space**: 2 shards of 1/8,"))
        #expect(!texts[3].contains("Sampled:"))
        let rows = csvRows(folder.appendingPathComponent("a/small/plan/plan.csv"))
        #expect(rows.count == 7 && rows[0].suffix(2) == ["peak_sampling_se_bytes", "final_sampling_se_bytes"])
        #expect(rows.dropFirst().allSatisfy { Int($0[$0.count - 1]) != nil })
        let bad = try CLI.run(["plan", scenario.path, "--sample", "1/0", "--out", folder.appendingPathComponent("bad").path])
        #expect(bad.status != 0 && bad.stderr.contains("--sample: found '1/0'; allowed: auto, exact, or 1/N"))
        let guaranteed = try writeScenario(smallScenario.replacingOccurrences(of: "    size: 1GiB\n", with: "    size: 1GiB\n    guarantee: volume\n"),
                                           in: folder, name: "guaranteed.yaml")
        let refused = try CLI.run(["plan", guaranteed.path, "--sample", "1/4", "--out", folder.appendingPathComponent("bad").path])
        #expect(refused.status != 0 && refused.stderr.contains("--sample 1/4: base cannot be sampled: a sharded run does not cover volume guarantees"),
                "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("bad/small").path))
        // Shards of a sampled plan merge into its report, byte for byte.
        let parts = folder.appendingPathComponent("parts")
        for k in 1...2 {
            let part = try CLI.run(["plan", scenario.path, "--runs", "6", "--sample", "1/4", "--shard", "\(k)/2", "--out", parts.path, "--quiet"])
            #expect(part.status == 0, "\(part.stderr)")
        }
        let merged = try CLI.run(["merge"] + (1...2).map { parts.appendingPathComponent("small/plan/part-\($0)-of-2.json").path }
                                 + ["--out", folder.appendingPathComponent("merged").path, "--quiet"])
        #expect(merged.status == 0, "\(merged.stderr)")
        let plan = folder.appendingPathComponent("merged/small/plan")
        #expect(read(plan.appendingPathComponent("plan.md")) + "\u{0}" + read(plan.appendingPathComponent("plan.csv")) == texts[0])
    }

    /// A bundled plan example regenerates its checked-in plan report byte for byte (the events
    /// one: the fastest; the command is in the scenario's header).
    @Test func planExampleRegeneratesItsCheckedInReport() throws {
        let folder = temporaryFolder()
        let scenario = repositoryRoot.appendingPathComponent("Scenarios/plans/plan-events.yaml")
        let result = try CLI.run(["plan", scenario.path, "--runs", "20", "--out", folder.path, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let checkedIn = repositoryRoot.appendingPathComponent("Reports/plan-events/plan")
        for name in ["plan.md", "plan.csv", "plan.svg"] {
            let fresh = read(folder.appendingPathComponent("plan-events/plan/\(name)"))
            #expect(!fresh.isEmpty && fresh == read(checkedIn.appendingPathComponent(name)),
                    "Reports/plan-events/plan/\(name) differs: regenerate with the command in Scenarios/plans/plan-events.yaml")
        }
    }
}
