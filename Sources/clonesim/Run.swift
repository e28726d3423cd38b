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
            timeseries.csv, objects.csv and events.csv (and dedup_runs.csv, savings.csv when a volume \
            deduplicates); a scenario with `platforms:` gets one such \
            folder per platform and a comparison (report.md, comparison.csv) above them. Every file \
            is checked before any runs; reports are written through temporary files, so a failed \
            run leaves none half-written.
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

    @Option(help: ArgumentHelp("Threads: an exact run simulates this many address-space shards, one per core, and merges them (the same report byte for byte); a sampled run simulates its shards this many at a time. Default: every core.",
                               discussion: "Scenarios using what sharded runs do not cover yet (dedup, a Flash Cache, guarantees, quotas, reserved LUNs, backup, checkpoints, dr, ReFS), or that fill the aggregate, run exact on one core."))
    var jobs: Int?

    @Option(help: ArgumentHelp("How much of the address space to simulate: auto, exact or 1/N (default: the scenario's `sample`, else auto).",
                               discussion: "auto runs exact when the estimated run fits about 30 s on two cores (on any machine, so that it chooses alike everywhere), else the smallest 1/N sample that does; a sample scales block figures by N and gives each headline figure a 95% interval."))
    var sample: String?

    @Option(help: ArgumentHelp("Run only shard K of N of the exact run and write OUT/<scenario>/part-K-of-N.json for `clonesim merge`.",
                               discussion: "Run the N shards anywhere (one per node of a cluster: scripts/slurm-run.sh), then `clonesim merge` the N parts into the report one run writes, byte for byte."))
    var shard: String?

    func validate() throws {
        if let shard {
            let (_, n) = try Plan.shardNumbers(shard)
            guard n >= 2, n <= RunPart.largestShardCount else {
                throw ValidationError("--shard: found '\(shard)'; allowed: K/N with 2 ≤ N ≤ \(RunPart.largestShardCount) and 1 ≤ K ≤ N")
            }
            if trace != nil { throw ValidationError("--shard takes no --trace: a trace is one whole run's operations") }
            if let sample, Sampling(sample) != .exact { throw ValidationError("--shard takes --sample exact: a part is a shard of the exact run") }
            if (jobs ?? 1) > 1 { throw ValidationError("--shard takes one job: a part is one shard") }
        }
        if let sample, Sampling(sample) == nil { throw ValidationError("--sample: found '\(sample)'; allowed: \(Sampling.allowed)") }
        if trace != nil && scenarios.count > 1 { throw ValidationError("--trace takes one scenario; \(scenarios.count) were given") }
        if let jobs, !(1...1024).contains(jobs) { throw ValidationError("--jobs: found \(jobs); allowed: 1 to 1024") }
        if trace != nil && (jobs ?? 1) > 1 { throw ValidationError("--trace takes one job: a trace is one run's operations in order") }
        if trace != nil, let sample, Sampling(sample) != .exact {
            throw ValidationError("--trace takes --sample exact: a trace is one whole run's operations")
        }
    }

    func run() throws {
        let specs = try Validate.load(scenarios)
        for (path, var spec) in zip(scenarios, specs) {
            if let seed { spec.seed = seed }
            let folder = (out as NSString).appendingPathComponent(spec.name)
            // Fail on an unwritable folder before spending the run.
            do { try FileOutput.write([], into: folder) } catch { throw Failure.report("--out \(out): \(error.description)") }
            if let shard {
                try runPart(spec, path: path, shard: try Plan.shardNumbers(shard), folder: folder)
                continue
            }
            if trace != nil && spec.platforms.count > 1 {
                throw Failure.report("--trace takes a scenario with one platform; '\(spec.name)' has \(spec.platforms.count)")
            }
            // The same scenario on each platform. Every run first, so a failure leaves no reports
            // of some platforms without the others.
            let results = try Self.platforms(spec).map(simulate)
            try Self.writeReports(results, folder: folder, quiet: quiet)
        }
    }

    /// The scenario once per platform it names (itself when it names one).
    static func platforms(_ spec: ScenarioSpec) -> [ScenarioSpec] {
        guard spec.platforms.count > 1 else { return [spec] }
        return spec.platforms.map { platform in
            var one = spec
            one.platform = platform
            one.platforms = []
            return one
        }
    }

    /// One platform's report in `folder`, or each platform's in a subfolder and the comparison.
    static func writeReports(_ results: [RunResult], folder: String, quiet: Bool) throws {
        func write(_ files: [(name: String, text: String)], _ folder: String) throws {
            do { try FileOutput.write(files, into: folder) } catch { throw Failure.report(error.description) }
        }
        guard results.count > 1 else {
            try write(try RunReport.files(results[0]), folder)
            if !quiet { print(RunReport.headline(results[0], folder: folder)) }
            return
        }
        for result in results {
            let sub = (folder as NSString).appendingPathComponent(result.scenario.platform.rawValue)
            try write(try RunReport.files(result), sub)
            if !quiet { print(RunReport.headline(result, folder: sub)) }
        }
        try write(try Comparison.files(results), folder)
        if !quiet { print("Comparison: \((folder as NSString).appendingPathComponent("report.md"))") }
    }

    /// Shard K of N of the exact run, every platform, written as `part-K-of-N.json`.
    func runPart(_ spec: ScenarioSpec, path: String, shard: (k: Int, n: Int), folder: String) throws {
        if let refusal = Simulation.shardingRefusal(spec) {
            throw Failure.report("\(spec.name): --shard: \(refusal); run it whole")
        }
        let sharding = Sharding(count: shard.n, members: [shard.k - 1])
        let results = try Self.platforms(spec).map { one in
            do {
                let simulation = try Simulation(one, sharding: sharding)
                let bar = ProgressBar(label: "\(spec.name) \(shard.k)/\(shard.n)", enabled: !quiet)
                simulation.progress = { bar.show($0) }
                let result = try simulation.run()
                bar.done()
                return result
            } catch { throw Failure.report("\(spec.name): \(error)") }
        }
        guard let bytes = FileManager.default.contents(atPath: path) else { throw Failure.report("\(path): cannot be read") }
        let part = RunPart(scenario: spec.name, digest: RunPart.digest(bytes), seed: spec.seed, shard: shard.k, of: shard.n,
                           aggregate: spec.aggregate, results: results)
        let name = "part-\(shard.k)-of-\(shard.n).json"
        do { try FileOutput.write([(name, try Merge.encode(part))], into: folder) } catch { throw Failure.report("\(error)") }
        if !quiet { print("Partial result: \((folder as NSString).appendingPathComponent(name))") }
    }

    /// Runs one platform's simulation, with the trace and the progress bar.
    func simulate(_ spec: ScenarioSpec) throws -> RunResult {
        let writer: TraceWriter?
        do { writer = try trace.map { path throws(FileOutput.Failure) in try TraceWriter(path: path) } } catch {
            throw Failure.report("--trace: \(error.description)")
        }
        do {
            switch try chooseSampling(spec) {
            case .rate(let n):
                let bar = ProgressBar(label: spec.name, enabled: !quiet)
                let result = try Simulation.runSampled(spec, rate: n, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
                                                       progress: { bar.show($0) })
                bar.done()
                return result
            case .auto, .exact: break
            }
            // Unasked, an exact run uses every core when sharded runs cover the scenario.
            let shardable = Simulation.shardingRefusal(spec) == nil
            let jobs = jobs ?? (shardable && writer == nil ? ProcessInfo.processInfo.activeProcessorCount : 1)
            if jobs > 1 {
                let bar = ProgressBar(label: spec.name, enabled: !quiet)
                switch try Simulation.runSharded(spec, jobs: jobs, progress: { bar.show($0) }) {
                case .merged(let result):
                    bar.done()
                    return result
                case .notCovered(let why):
                    bar.done()
                    if !quiet && self.jobs != nil { FileHandle.standardError.write(Data("\(spec.name): one job (\(why))\n".utf8)) }
                }
            }
            let simulation = try Simulation(spec, trace: writer.map { w in { w.write($0) } })
            let bar = ProgressBar(label: spec.name, enabled: !quiet)
            simulation.progress = { bar.show($0) }
            let result = try simulation.run()
            bar.done()
            try writer?.finish()
            return result
        } catch {
            writer?.abandon()
            throw Failure.report("\(spec.name): \(error)")
        }
    }

    /// `--sample`, else the scenario's `sample`, with `auto` resolved by the work estimate (a
    /// trace is always of an exact run).
    func chooseSampling(_ spec: ScenarioSpec) throws(SimulationError) -> Sampling {
        let asked = sample.flatMap(Sampling.init) ?? spec.sample
        guard asked == .auto, trace == nil else { return trace == nil ? asked : .exact }
        guard Simulation.samplingRefusal(spec) == nil else { return .exact }
        let shardable = Simulation.shardingRefusal(spec) == nil
        let pilot = ProgressBar(label: spec.name, enabled: !quiet, phase: "estimating the work")
        let estimate = try Simulation.estimate(spec)
        pilot.done()
        let cores = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        let chosen = estimate.choose(jobs: WorkEstimate.referenceCores, shardable: shardable, sampleable: true)
        if !quiet, case .rate(let n) = chosen {
            let exact = estimate.seconds(.exact, jobs: cores, shardable: shardable)
            FileHandle.standardError.write(Data("\(spec.name): sampled 1/\(n) (an exact run is estimated at \(Int(exact.rounded())) s; --sample exact for it)\n".utf8))
        }
        return chosen
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
final class ProgressBar: @unchecked Sendable {  // shown from one shard's thread at a time
    let label: String
    let enabled: Bool
    private let start = Date()
    /// Shows itself at once (set-up is part of a run's wait), with `phase` until progress comes.
    init(label: String, enabled: Bool, phase: String = "setting up") {
        self.label = label
        self.enabled = enabled && isatty(2) != 0
        if self.enabled { write("[\(String(repeating: ".", count: 30))] \(phase)") }
    }

    /// The bar at `fraction`, with the time left extrapolated from the time so far.
    func show(_ fraction: Double) {
        guard enabled else { return }
        let filled = max(0, min(30, Int(fraction * 30)))
        let elapsed = Date().timeIntervalSince(start)
        let eta = fraction > 0.005 ? "ETA \(Int((elapsed * (1 - fraction) / fraction).rounded())) s" : "estimating"
        write("[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: 30 - filled))] \(Int(fraction * 100))% \(eta)")
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data("\r\(label) \(text)\u{1B}[K".utf8))
    }

    func done() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
