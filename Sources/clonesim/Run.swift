import ArgumentParser
import Foundation
import Reports
import Scenario
import Workloads

/// `clonesim run`: check scenario files, run them, write their reports.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run scenario files and write their capacity reports.",
        discussion: """
            Each scenario's report goes to OUT/<scenario name>/: report.md (with timeseries.svg), \
            timeseries.csv, objects.csv and events.csv. Every file is checked before any runs; \
            reports are written through temporary files, so a failed run leaves none half-written.
            """
    )

    @Argument(help: "Scenario files (YAML).")
    var scenarios: [String]

    @Option(help: "Folder the reports go under, one subfolder per scenario.")
    var out = "Reports"

    @Option(help: "Seed for every scenario, instead of the one in its file.")
    var seed: UInt64?

    @Option(help: "Write every operation applied to the block model to this file, as JSON Lines (one scenario only).")
    var trace: String?

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        if trace != nil && scenarios.count > 1 { throw ValidationError("--trace takes one scenario; \(scenarios.count) were given") }
    }

    func run() throws {
        let specs = try Validate.load(scenarios)
        for var spec in specs {
            if let seed { spec.seed = seed }
            let folder = (out as NSString).appendingPathComponent(spec.name)
            // Fail on an unwritable folder before spending the run.
            do { try FileOutput.write([], into: folder) } catch { throw Failure.report("--out \(out): \(error.description)") }
            let writer: TraceWriter?
            do { writer = try trace.map { path throws(FileOutput.Failure) in try TraceWriter(path: path) } } catch {
                throw Failure.report("--trace: \(error.description)")
            }
            let result: RunResult
            do {
                let simulation = try Simulation(spec, trace: writer.map { w in { w.write($0) } })
                let bar = ProgressBar(label: spec.name, enabled: !quiet)
                simulation.progress = { bar.show($0) }
                result = try simulation.run()
                bar.done()
            } catch {
                writer?.abandon()
                throw Failure.report("\(spec.name): \(error.description)")
            }
            do {
                try FileOutput.write(try RunReport.files(result), into: folder)
                try writer?.finish()
            } catch {
                writer?.abandon()
                throw Failure.report("\(error)")
            }
            if !quiet { print(RunReport.headline(result, folder: folder)) }
        }
    }
}

/// An error already phrased for the user: ArgumentParser prints it as `Error: ...`, exit status 1.
enum Failure: Error, CustomStringConvertible {
    case report(String)
    var description: String {
        switch self {
        case .report(let text): text
        }
    }
}

/// A progress bar on stderr, only when stderr is a terminal.
final class ProgressBar {
    let label: String
    let enabled: Bool
    init(label: String, enabled: Bool) {
        self.label = label
        self.enabled = enabled && isatty(2) != 0
    }

    func show(_ fraction: Double) {
        guard enabled else { return }
        let filled = Int(fraction * 30)
        FileHandle.standardError.write(Data("\r\(label) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: 30 - filled))] \(Int(fraction * 100))%".utf8))
    }

    func done() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
