import ArgumentParser
import Foundation
import Planner
import Reports

/// `clonesim merge`: the report of a plan run in shards, from their partial results.
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Combine the partial results of `clonesim plan --shard K/N` into the plan report.",
        discussion: """
            Reads every part-K-of-N.json, checks that they come from the same plan and hold every \
            replication once, and writes OUT/<scenario>/plan/plan.md and plan.csv: the same bytes \
            an unsharded `clonesim plan` writes.
            """
    )

    @Argument(help: "Partial results (part-K-of-N.json).")
    var parts: [String]

    @Option(help: "Folder the report goes under: OUT/<scenario>/plan/.")
    var out = "Reports"

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    static func encode(_ result: PlanResult) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(result), as: UTF8.self) + "\n"
    }

    func run() throws {
        let results = try parts.map { path in
            guard let data = FileManager.default.contents(atPath: path) else { throw Failure.report("\(path): cannot be read") }
            do { return try JSONDecoder().decode(PlanResult.self, from: data) } catch {
                throw Failure.report("\(path): not a partial result of clonesim plan --shard (\(error))")
            }
        }
        let merged: PlanResult
        do { merged = try Planner.merge(results) } catch { throw Failure.report("merge: \(error.description)") }
        let folder = (((out as NSString).appendingPathComponent(merged.scenario)) as NSString).appendingPathComponent("plan")
        do { try FileOutput.write(try PlanReport.files(merged), into: folder) } catch { throw Failure.report("\(error)") }
        if !quiet { print("Plan: \((folder as NSString).appendingPathComponent("plan.md"))") }
    }
}
