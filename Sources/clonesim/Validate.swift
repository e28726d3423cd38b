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

    @Option(help: "Cores the estimate assumes (default: this machine's).")
    var jobs: Int?

    func run() throws {
        let specs = try Validate.load(scenarios)
        let cores = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        for (path, spec) in zip(scenarios, specs) {
            print("ok: \(path): '\(spec.name)', \(spec.volumes.count) volumes, \(spec.workloads.count) workloads")
            print("  " + Validate.estimateLine(spec, cores: cores))
        }
    }

    /// The work estimate (`WorkEstimate`) and the sampling `run` would choose.
    static func estimateLine(_ spec: ScenarioSpec, cores: Int) -> String {
        // The pilot is a 1/1024 sampled shard: a scenario samples do not cover would run whole in it.
        if let refusal = Simulation.samplingRefusal(spec) { return "sample exact only, and no work estimate: \(refusal)" }
        let estimate: WorkEstimate
        do { estimate = try Simulation.estimate(spec) } catch { return "no work estimate: \(error)" }
        // Sampled but not sharded exactly (quotas): an exact run takes one core.
        let refusal = Simulation.shardingRefusal(spec)
        let chosen = spec.sample == .auto ? estimate.choose(jobs: WorkEstimate.referenceCores, shardable: refusal == nil, sampleable: true) : spec.sample
        let seconds = estimate.seconds(chosen, jobs: cores, shardable: refusal == nil)
        func count(_ n: Int) -> String { n.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US"))) }
        return "estimated \(count(estimate.blocksWritten)) blocks written in \(count(estimate.writes)) writes, \(count(estimate.events)) events, \(count(estimate.logicalBlocks)) logical blocks at the end"
            + (estimate.dedupBlocks > 0 ? ", \(count(estimate.dedupBlocks)) blocks through dedup runs" : "") + "; sample \(chosen)"
            + (spec.sample == .auto ? " (auto)" : "") + ": about \(max(1, Int(seconds.rounded()))) s on \(cores) cores here"
            + (refusal.map { "; an exact run on one core: \($0)" } ?? "")
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
