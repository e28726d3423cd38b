import Foundation
import Testing

/// The repository's root (this file is Tests/ClonesimCLITests/RunCommandTests.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func temporaryFolder() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("clonesim-test-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func read(_ url: URL) -> String { (try? String(contentsOf: url, encoding: .utf8)) ?? "" }

/// Rows of a CSV file without quoted commas (the figures files), header first.
func csvRows(_ url: URL) -> [[String]] {
    read(url).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
}

/// Every bundled scenario, run once by the built binary into a temporary folder.
enum Bundled {
    static let scenarios: [URL] = {
        let folder = repositoryRoot.appendingPathComponent("Scenarios")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { folder.appendingPathComponent($0) }
    }()
    /// One process per scenario, as many at a time as there are cores: these runs are the
    /// suite's longest test, and one process would take them one after the other on one core.
    static let output: (folder: URL, result: CLIResult?) = {
        let out = temporaryFolder()
        let results = Results(count: scenarios.count)
        DispatchQueue.concurrentPerform(iterations: scenarios.count) { i in
            // One job: every core is busy with other tests; sharded runs are checked by
            // scripts/check-shards.sh and ShardedRunTests. The model's invariants are checked
            // at the end of each run only: the checks during the run, over every block of
            // every file, were most of the suite's time, and the workload tests make them on
            // every workload and platform.
            results.set(i, try? CLI.run(["run", scenarios[i].path, "--out", out.path, "--quiet", "--jobs", "1"],
                                        environment: ["CLONESIM_INVARIANT_CHECKS": "end"]))
        }
        let all = results.values.compactMap { $0 }
        guard all.count == scenarios.count else { return (out, nil) }
        return (out, CLIResult(stdout: all.map(\.stdout).joined(), stderr: all.map(\.stderr).joined(),
                               status: all.map(\.status).max() ?? 0))
    }()

    /// The runs' results, filled from several threads.
    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [CLIResult?]
        init(count: Int) { items = Array(repeating: nil, count: count) }
        func set(_ i: Int, _ result: CLIResult?) { lock.withLock { items[i] = result } }
        var values: [CLIResult?] { lock.withLock { items } }
    }
}

/// A small stochastic scenario: fast enough to run several times per test.
let smallScenario = """
name: small
seed: 3
horizon: 10d
sample_interval: 1d
aggregate: { capacity: 4GiB, alerts: [30%, 60%] }
volumes:
  prod:
    size: 1GiB
    files:
      db.dat: { size: 256MiB, used: 100% }
workloads:
  devtest:
    type: devtest
    source: prod
    refresh_every: 4d
    clones:
      dev:
        count: 3
        change: { rate: { distribution: lognormal, mean: 5%, sd: 2% }, pattern: uniform, write_size: 16KiB }
"""

func writeScenario(_ text: String, in folder: URL, name: String = "s.yaml") throws -> URL {
    let url = folder.appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url
}

struct RunCommandTests {
    @Test func bundledScenariosRegenerateTheirCheckedInReports() throws {
        #expect(Bundled.scenarios.count >= 3)
        let result = try #require(Bundled.output.result)
        #expect(result.status == 0, "\(result.stderr)")
        for scenario in Bundled.scenarios {
            let name = scenario.deletingPathExtension().lastPathComponent
            let fresh = Bundled.output.folder.appendingPathComponent(name)
            let checkedIn = repositoryRoot.appendingPathComponent("Reports").appendingPathComponent(name)
            let files = filesBelow(fresh)
            #expect(files.contains("report.md") && files == filesBelow(checkedIn), "Reports/\(name) holds other files than a fresh run")
            for file in files {
                #expect(read(fresh.appendingPathComponent(file)) == read(checkedIn.appendingPathComponent(file)),
                        "Reports/\(name)/\(file) differs from a fresh run: regenerate it with `swift run -c release clonesim run Scenarios/*.yaml`")
            }
        }
    }

    /// Relative paths of the files below `folder`, sorted.
    func filesBelow(_ folder: URL) -> [String] {
        let paths = FileManager.default.subpaths(atPath: folder.path) ?? []
        return paths.filter { path in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).path, isDirectory: &isFolder) && !isFolder.boolValue
        }.sorted()
    }

    /// The seed's example end to end from its YAML: 260 GB with clones vs 800 GB with full copies.
    @Test func seedDevTestScenarioReports260Versus800() throws {
        let folder = Bundled.output.folder.appendingPathComponent("seed-devtest")
        // 100 GB = 24,414,063 blocks of 4 KiB (rounded up); each clone overwrites 2,441,406.
        let series = csvRows(folder.appendingPathComponent("timeseries.csv"))
        let header = try #require(series.first), last = try #require(series.last)
        let physical = try #require(header.firstIndex(of: "physical_used_bytes"))
        let traditional = try #require(header.firstIndex(of: "traditional_bytes"))
        #expect(last[physical] == String((2 * 24_414_063 + 6 * 2_441_406) * 4096))  // 259,999,997,952 ≈ 260 GB
        #expect(last[traditional] == String(8 * 24_414_063 * 4096))  // 800,000,016,384 ≈ 800 GB
        let aggregate = try #require(csvRows(folder.appendingPathComponent("objects.csv")).first { $0.first == "aggregate" })
        #expect(aggregate[4] == last[physical] && aggregate[3] == last[traditional])
        let report = read(folder.appendingPathComponent("report.md"))
        #expect(report.contains("| final use                           |                260.00 GB |                800.00 GB | 540.00 GB (67.5%) |"))
    }

    @Test func sameSeedGivesIdenticalReportsAndAnotherSeedDoesNot() throws {
        let folder = temporaryFolder()
        let scenario = try writeScenario(smallScenario, in: folder)
        var texts: [String] = []
        for (run, seed) in [("a", "3"), ("b", "3"), ("c", "4")] {
            let result = try CLI.run(["run", scenario.path, "--out", folder.appendingPathComponent(run).path, "--seed", seed, "--quiet"])
            #expect(result.status == 0, "\(result.stderr)")
            texts.append(["report.md", "timeseries.csv", "objects.csv", "events.csv", "timeseries.svg"]
                .map { read(folder.appendingPathComponent(run).appendingPathComponent("small").appendingPathComponent($0)) }
                .joined(separator: "\u{0}"))
        }
        #expect(!texts[0].isEmpty && texts[0] == texts[1])
        #expect(texts[0] != texts[2])
    }

    @Test func aRunThatFillsTheAggregateCompletesAndSaysWhenWritesFailed() throws {
        let folder = temporaryFolder()
        let tight = smallScenario.replacingOccurrences(of: "capacity: 4GiB", with: "capacity: 300MiB")
        let result = try CLI.run(["run", try writeScenario(tight, in: folder).path, "--out", folder.path, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let events = read(folder.appendingPathComponent("small/events.csv"))
        #expect(events.contains(",write,prod/db.dat,failed,") || events.contains("failed,") )
        #expect(events.contains("writes need free blocks: out of space"))
        let report = read(folder.appendingPathComponent("small/report.md"))
        #expect(report.contains("| failed writes "))
        #expect(!report.contains("| failed writes                                   |          0 (0.00 GiB not written) |"))
    }

    @Test func anUnwritableOutputFolderFailsBeforeRunningAndLeavesNothing() throws {
        let folder = temporaryFolder()
        let scenario = try writeScenario(smallScenario, in: folder)
        let blocker = folder.appendingPathComponent("not-a-folder")
        try "x".write(to: blocker, atomically: true, encoding: .utf8)
        let result = try CLI.run(["run", scenario.path, "--out", blocker.path, "--quiet"])
        #expect(result.status != 0)
        #expect(result.stderr.hasPrefix("Error: --out \(blocker.path): cannot create the output folder '\(blocker.path)/small'"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["not-a-folder", "s.yaml"])
    }

    @Test func badScenarioExitsNonZeroWithFileLineColumnAndWritesNoReport() throws {
        let folder = temporaryFolder()
        let bad = try writeScenario(smallScenario.replacingOccurrences(of: "horizon: 10d", with: "horizon: 10 days"), in: folder)
        let result = try CLI.run(["run", bad.path, "--out", folder.appendingPathComponent("out").path])
        #expect(result.status != 0)
        #expect(result.stderr == "Error: \(bad.path):3:10: horizon: found '10 days'; allowed: a positive duration: a duration such as 90d, 12h, 30m, 45s or 2w\n")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out").path))
    }

    @Test func validateChecksWithoutRunning() throws {
        let folder = temporaryFolder()
        let good = try writeScenario(smallScenario, in: folder)
        let bad = try writeScenario(smallScenario.replacingOccurrences(of: "    source: prod", with: "    source: prd"), in: folder, name: "bad.yaml")
        let ok = try CLI.run(["validate", good.path])
        let lines = ok.stdout.split(separator: "\n").map(String.init)
        #expect(ok.status == 0 && lines.first == "ok: \(good.path): 'small', 1 volumes, 1 workloads")
        // The work estimate: a small scenario runs exact under `auto`.
        #expect(lines.count == 2 && lines[1].hasPrefix("  estimated ") && lines[1].contains("events") && lines[1].contains("sample exact (auto)"),
                "\(ok.stdout)")
        let failed = try CLI.run(["validate", good.path, bad.path])
        #expect(failed.status != 0)
        #expect(failed.stderr == "Error: \(bad.path):14:13: workloads.devtest.source: found volume 'prd', which is not declared (did you mean 'prod'?); allowed: prod\n")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("small").path))
    }

    @Test func traceHasOneJSONLinePerModelOperation() throws {
        let folder = temporaryFolder()
        let scenario = try writeScenario(smallScenario, in: folder)
        let trace = folder.appendingPathComponent("trace.jsonl")
        let result = try CLI.run(["run", scenario.path, "--out", folder.path, "--quiet", "--trace", trace.path])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = read(trace).split(separator: "\n")
        let records = try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        // Set-up: the volume, the file, its fill (65,536 blocks at content 1).
        #expect(records.count > 10)
        #expect(records[0]["op"] as? String == "create_volume" && records[0]["objects"] as? [String] == ["prod"])
        #expect(records[1]["op"] as? String == "create_file")
        #expect(records[2]["op"] as? String == "write" && records[2]["runs"] as? [[Int]] == [[0, 65536]]
                && records[2]["first_content"] as? Int == 1 && records[2]["result"] as? String == "ok")
        #expect(records.contains { $0["op"] as? String == "clone_volume" && ($0["t"] as? Double) == 0 })
        #expect(records.contains { $0["op"] as? String == "destroy" && ($0["t"] as? Double) == 4 * 86_400 })
        // Every write's runs add up to at least one block and times never go back.
        let times = records.compactMap { $0["time_ns"] as? Int }
        #expect(times.count == records.count && times == times.sorted())
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent(".trace.jsonl.tmp").path))
    }
}

extension RunCommandTests {
    @Test func aScenarioOnSeveralPlatformsGetsAReportEachAndAComparison() throws {
        let folder = temporaryFolder()
        let scenario = try writeScenario("""
        name: cross
        horizon: 8d
        platforms: [refs, reflink]
        aggregate: { capacity: 16GiB, freeing: extent }
        workloads:
          job:
            type: backup
            data_size: 1GiB
            change: { rate: 5%, pattern: uniform, write_size: 64KiB }
            synthetic_full_every: 4
            restore_points: 5
        """, in: folder)
        let result = try CLI.run(["run", scenario.path, "--out", folder.path, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = csvRows(folder.appendingPathComponent("cross/comparison.csv"))
        #expect(rows.map { $0.first ?? "" } == ["platform", "refs", "reflink"])
        for row in rows.dropFirst() {
            // Each platform's final use in the comparison is the last sample of its own report.
            let series = csvRows(folder.appendingPathComponent("cross/\(row[0])/timeseries.csv"))
            let header = try #require(series.first), last = try #require(series.last)
            #expect(row[2] == last[try #require(header.firstIndex(of: "physical_used_bytes"))])
            #expect(row[5] == last[try #require(header.firstIndex(of: "traditional_bytes"))])
        }
        // Same draws, same data: without block cloning both hold the same backup files.
        #expect(rows[1][5] == rows[2][5])
        // btrfs keeps bookend extents: never less than ReFS at the same 4 KiB block size.
        #expect(Int(rows[2][2])! >= Int(rows[1][2])!)
        #expect(read(folder.appendingPathComponent("cross/report.md")).contains("[refs/report.md](refs/report.md)"))
    }
}
