import ArgumentParser
import Foundation
import Scenario
import Workloads

/// `clonesim validate`: check scenario files without running them.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check scenario files without running them.",
        discussion: "Prints each problem as FILE:LINE:COLUMN: KEY: found ...; allowed: ... and exits non-zero if there is any."
    )

    @Argument(help: "Scenario files (YAML).")
    var scenarios: [String]

    func run() throws {
        let specs = try Validate.load(scenarios)
        for (path, spec) in zip(scenarios, specs) {
            print("ok: \(path): '\(spec.name)', \(spec.volumes.count) volumes, \(spec.workloads.count) workloads")
        }
    }

    /// Reads and checks every file (the scenario layer, then what only the simulation knows),
    /// printing every problem; throws after all were checked if any had one.
    static func load(_ paths: [String]) throws -> [ScenarioSpec] {
        var specs: [ScenarioSpec] = []
        var failed = false
        var names: [String: String] = [:]
        for path in paths {
            do {
                let spec = try ScenarioLoader.load(path: path)
                _ = try Simulation(spec)
                if let other = names[spec.name] {
                    throw Failure.report("\(path): scenario name '\(spec.name)' is also the name of \(other); reports would overwrite each other")
                }
                names[spec.name] = path
                specs.append(spec)
            } catch let error as ScenarioError {
                FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
                failed = true
            } catch let error as SimulationError {
                FileHandle.standardError.write(Data("Error: \(path): \(error)\n".utf8))
                failed = true
            } catch {
                FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
        return specs
    }
}
