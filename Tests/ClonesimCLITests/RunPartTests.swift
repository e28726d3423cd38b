import Foundation
import Testing

/// `run --shard K/N` and `clonesim merge` (issue 22): the N parts, made anywhere, merge into the
/// report one process writes, byte for byte; parts that do not belong together are refused with
/// one line, and nothing is written. On a real single-node Slurm through scripts/slurm-run.sh.
@Suite struct RunPartTests {
    static let twoPlatforms = smallScenario + "\nplatforms: [ontap, reflink]\n"

    /// Every file of a report folder, by path below it.
    static func files(_ folder: URL) -> [String: String] {
        var out: [String: String] = [:]
        let names = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []
        for name in names where !name.hasPrefix("part-") && !name.contains("/part-") {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path, isDirectory: &isFolder), !isFolder.boolValue {
                out[name] = read(folder.appendingPathComponent(name))
            }
        }
        return out
    }

    @Test func threePartsMergeIntoTheOneRunReport() throws {
        let folder = temporaryFolder()
        let file = try writeScenario(Self.twoPlatforms, in: folder)
        let whole = folder.appendingPathComponent("whole")
        #expect(try CLI.run(["run", file.path, "--out", whole.path, "--jobs", "1", "--quiet"]).status == 0)
        let parts = folder.appendingPathComponent("parts")
        for k in [3, 1, 2] {
            let r = try CLI.run(["run", file.path, "--shard", "\(k)/3", "--out", parts.path])
            #expect(r.status == 0 && r.stdout.contains("part-\(k)-of-3.json"), "\(r.stderr)")
        }
        // A part simulates a third of the blocks: it is not the whole run.
        let one = read(parts.appendingPathComponent("small/part-1-of-3.json"))
        #expect(one.contains("\"kind\":\"clonesim run part\"") && one.contains("\"of\":3"))
        let merged = folder.appendingPathComponent("merged")
        let paths = [2, 3, 1].map { parts.appendingPathComponent("small/part-\($0)-of-3.json").path }
        let r = try CLI.run(["merge"] + paths + ["--out", merged.path])
        #expect(r.status == 0 && r.stdout.contains("Comparison:"), "\(r.stderr)")
        let want = Self.files(whole.appendingPathComponent("small")), got = Self.files(merged.appendingPathComponent("small"))
        #expect(want.keys.contains("ontap/report.md") && want.keys.contains("report.md"))
        #expect(got == want)
    }

    /// Each refusal: one line naming what was found and what is allowed, a non-zero exit, and
    /// no report written.
    @Test func partsThatDoNotBelongTogetherAreRefused() throws {
        let folder = temporaryFolder()
        let file = try writeScenario(smallScenario, in: folder)
        for (shard, says) in [("4/3", "allowed: K/N with 1 ≤ K ≤ N"), ("0/3", "allowed: K/N"), ("1/1", "allowed: K/N with 2 ≤ N ≤ 4096"),
                              ("a/b", "allowed: K/N")] {
            let r = try CLI.run(["run", file.path, "--shard", shard, "--out", folder.appendingPathComponent("x").path])
            #expect(r.status != 0 && r.stderr.contains("--shard: found '\(shard)'") && r.stderr.contains(says), "\(shard): \(r.stderr)")
        }
        let sampled = try CLI.run(["run", file.path, "--shard", "1/2", "--sample", "1/4"])
        #expect(sampled.status != 0 && sampled.stderr.contains("--shard takes --sample exact"))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("x").path))

        let parts = folder.appendingPathComponent("p")
        for k in [1, 2] { #expect(try CLI.run(["run", file.path, "--shard", "\(k)/2", "--out", parts.path, "--quiet"]).status == 0) }
        #expect(try CLI.run(["run", file.path, "--shard", "1/3", "--out", parts.path, "--quiet"]).status == 0)
        let other = folder.appendingPathComponent("seed")
        #expect(try CLI.run(["run", file.path, "--shard", "2/2", "--seed", "4", "--out", other.path, "--quiet"]).status == 0)
        let edited = try writeScenario(smallScenario.replacingOccurrences(of: "count: 3", with: "count: 4"), in: folder, name: "e.yaml")
        #expect(try CLI.run(["run", edited.path, "--shard", "2/2", "--out", folder.appendingPathComponent("edited").path, "--quiet"]).status == 0)
        func part(_ f: URL, _ k: Int, _ n: Int) -> String { f.appendingPathComponent("small/part-\(k)-of-\(n).json").path }
        let versioned = folder.appendingPathComponent("v2.json")
        try read(URL(fileURLWithPath: part(parts, 2, 2))).replacingOccurrences(of: "\"version\":1", with: "\"version\":2")
            .write(to: versioned, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            ([part(parts, 1, 2)], "1 of 2 shards are missing (2/2); allowed: all 2"),
            ([part(parts, 1, 2), part(parts, 1, 2), part(parts, 2, 2)], "shard 1/2 is given twice; allowed: each of 1 to 2 once"),
            ([part(parts, 1, 2), part(other, 2, 2)], "shard 2/2 has seed 4; shard 1/2 has seed 3: parts of one run only"),
            ([part(parts, 1, 2), part(folder.appendingPathComponent("edited"), 2, 2)], "has a scenario file of digest"),
            ([part(parts, 1, 2), part(parts, 1, 3)], "shard 1/3 has shard count 3; shard 1/2 has shard count 2"),
            ([part(parts, 1, 2), versioned.path], "a part of layout version 2; allowed: 1"),
            ([part(parts, 1, 2), folder.appendingPathComponent("none.json").path], "none.json: cannot be read"),
            ([part(parts, 1, 2), file.path], "s.yaml: not a partial result of clonesim run --shard or plan --shard (not a JSON object)"),
        ]
        for (paths, says) in cases {
            let out = folder.appendingPathComponent("merged")
            let r = try CLI.run(["merge"] + paths + ["--out", out.path])
            #expect(r.status != 0 && r.stderr.contains(says), "\(says): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.path), "\(says)")
        }
        // A scenario sharded runs do not cover is refused as a part, saying why.
        let quota = repositoryRoot.appendingPathComponent("Scenarios/events-split-whatif.yaml")
        let r = try CLI.run(["run", quota.path, "--shard", "1/2", "--out", folder.appendingPathComponent("q").path])
        #expect(r.status != 0 && r.stderr.contains("--shard: a sharded run does not cover quotas") && r.stderr.contains("run it whole"))
    }

    /// scripts/slurm-run.sh on a single-node Slurm this test starts (Debian's slurm-wlm and
    /// munge; `.ci/run` installs them): a job array of three shards and a merge job give the
    /// report one process writes. Skipped, saying why, where such a cluster cannot start.
    @Test func aSlurmJobArrayWritesTheOneRunReport() throws {
        let folder = temporaryFolder()
        let cluster = folder.appendingPathComponent("slurm")
        let start = try shell("sh '\(repositoryRoot.path)/scripts/slurm-single-node.sh' start '\(cluster.path)'")
        defer { _ = try? shell("sh '\(repositoryRoot.path)/scripts/slurm-single-node.sh' stop '\(cluster.path)'") }
        guard start.status == 0 else {
            print("Slurm test skipped: \(start.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
            #expect(start.status == 3, "an unexpected failure to start Slurm: \(start.stderr)")
            return
        }
        let file = try writeScenario(smallScenario, in: folder)
        let whole = folder.appendingPathComponent("whole")
        #expect(try CLI.run(["run", file.path, "--out", whole.path, "--jobs", "1", "--quiet"]).status == 0)
        let out = folder.appendingPathComponent("cluster-out")
        let r = try shell("SLURM_CONF='\(cluster.path)/slurm.conf' SLURM_RUN_WAIT=1 CLONESIM='\(CLI.binary.path)' "
            + "sh '\(repositoryRoot.path)/scripts/slurm-run.sh' '\(file.path)' 3 '\(out.path)'", in: folder)
        #expect(r.status == 0 && r.stdout.contains("(3 tasks)"), "\(r.stdout) \(r.stderr)")
        let want = Self.files(whole.appendingPathComponent("small"))
        #expect(!want.isEmpty && Self.files(out.appendingPathComponent("small")) == want)
    }

    /// `command` through /bin/sh, its output through files: started with posix_spawn and
    /// waited for with waitpid, because Foundation's `Process` did not see the shell end once
    /// it had started daemons (the Slurm test hung in `waitUntilExit`).
    func shell(_ command: String, in directory: URL? = nil) throws -> CLIResult {
        let folder = temporaryFolder()
        let out = folder.appendingPathComponent("out"), err = folder.appendingPathComponent("err")
        let cd = directory.map { "cd '\($0.path)' && " } ?? ""
        let line = "\(cd)(\(command)) </dev/null >'\(out.path)' 2>'\(err.path)'"
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = ["/bin/sh", "-c", line].map { (text: String) in strdup(text) } + [nil]
        defer { argv.forEach { free($0) } }
        let spawned = posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ)
        guard spawned == 0 else { return CLIResult(stdout: "", stderr: "posix_spawn failed: \(spawned)", status: -1) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WEXITSTATUS by hand: the macro is not imported.
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return CLIResult(stdout: read(out), stderr: read(err), status: code)
    }
}
