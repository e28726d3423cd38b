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
}
