import ArgumentParser
import Foundation
import Planner
import Reports
import Workloads

/// `clonesim merge`: the report of a run or a plan done in shards, from their partial results.
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Combine the partial results of `clonesim run --shard K/N` or `clonesim plan --shard K/N` into their report.",
        discussion: """
            Reads every part-K-of-N.json, checks that they come from the same run or plan (scenario \
            file, seed, shard count, version) and hold every shard once, and writes the report \
            the unsharded command writes, byte for byte: OUT/<scenario>/ for a run, \
            OUT/<scenario>/plan/ for a plan. Nothing is written when a check fails.
            """
    )

    @Argument(help: "Partial results (part-K-of-N.json).")
    var parts: [String]

    @Option(help: "Folder the report goes under: OUT/<scenario>/ (a plan's: OUT/<scenario>/plan/).")
    var out = "Reports"

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }

    func run() throws {
        let files = try parts.map { path in
            guard let data = FileManager.default.contents(atPath: path) else { throw Failure.report("\(path): cannot be read") }
            // What a part says it is: a run part names its kind; a plan part has none.
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw Failure.report("\(path): not a partial result of clonesim run --shard or plan --shard (not a JSON object)")
            }
            return (path: path, data: data, isRun: object["kind"] as? String == RunPart.format)
        }
        if files.contains(where: \.isRun) {
            if let plan = files.first(where: { !$0.isRun }) {
                throw Failure.report("\(plan.path): a plan's part; the other parts are a run's: parts of one run only")
            }
            let runParts = try files.map { file in
                do { return try JSONDecoder().decode(RunPart.self, from: file.data) } catch {
                    throw Failure.report("\(file.path): not a partial result of clonesim run --shard (\(error))")
                }
            }
            let results: [RunResult]
            do { results = try RunPart.merge(runParts) } catch { throw Failure.report("merge: \(error.description)") }
            try Run.writeReports(results, folder: (out as NSString).appendingPathComponent(runParts[0].scenario), quiet: quiet)
            return
        }
        let results = try files.map { file in
            do { return try JSONDecoder().decode(PlanResult.self, from: file.data) } catch {
                throw Failure.report("\(file.path): not a partial result of clonesim run --shard or plan --shard (\(error))")
            }
        }
        let merged: PlanResult
        do { merged = try Planner.merge(results) } catch { throw Failure.report("merge: \(error.description)") }
        let folder = (((out as NSString).appendingPathComponent(merged.scenario)) as NSString).appendingPathComponent("plan")
        do { try FileOutput.write(try PlanReport.files(merged), into: folder) } catch { throw Failure.report("\(error)") }
        if !quiet { print("Plan: \((folder as NSString).appendingPathComponent("plan.md"))") }
    }
}
