import ArgumentParser
import Foundation
import Planner
import Reports
import Scenario
import Workloads

/// `clonesim plan`: Monte Carlo replications of one scenario, percentiles and a capacity
/// recommendation.
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replicate a scenario with independent seeds and recommend a capacity.",
        discussion: """
            Runs the scenario RUNS times, each with its own seed derived from the scenario's seed \
            (replication i has the same seed in every variant: a scenario with several platforms \
            is planned once per platform). Writes OUT/<scenario>/plan/plan.md — the capacity to buy \
            so that, with the given confidence, the peak use stays within (100% − headroom) of it, \
            then percentiles of peak and final use, savings, replication traffic and the times to \
            each alert level and to full — and plan.csv with every replication's figures.
            """
    )

    @Argument(help: "A scenario file (YAML).")
    var scenario: String

    @Option(help: "Replications per variant.")
    var runs = 100

    @Option(help: "Replications run at once (default: every core).")
    var jobs = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Share of replications whose peak must fit, e.g. 95%.")
    var confidence = "95%"

    @Option(help: "Share of the capacity kept free, e.g. 15%.")
    var headroom = "15%"

    @Option(name: .customLong("vary"), help: ArgumentHelp("A scenario key and the values to try: KEY=V1,V2,... (repeatable; every combination is a variant).",
                                                         valueName: "KEY=VALUES"))
    var vary: [String] = []

    @Option(help: ArgumentHelp("Run only shard K of N (every N-th replication) and write a partial result for `clonesim merge`.",
                               valueName: "K/N"))
    var shard: String?

    @Option(help: ArgumentHelp("How much of the address space each replication simulates: auto, exact or 1/N (default: the scenario's `sample`, else auto).",
                               discussion: "auto plans exact when the estimated plan fits about 30 s on two cores, else the smallest 1/N sample that does; plan.md states the sampling error it adds."))
    var sample: String?

    @Option(help: "Folder the report goes under: OUT/<scenario>/plan/.")
    var out = "Reports"

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    static func fraction(_ text: String, _ option: String, in range: ClosedRange<Double>) throws -> Double {
        let number = text.hasSuffix("%") ? Double(text.dropLast()).map { $0 / 100 } : Double(text)
        guard let x = number, range.contains(x) else {
            throw ValidationError("--\(option): found '\(text)'; allowed: a percentage from \(Int(range.lowerBound * 100))% to \(Int(range.upperBound * 100))%, e.g. 95%")
        }
        return x
    }

    func validate() throws {
        guard (1...100_000).contains(runs) else { throw ValidationError("--runs: found \(runs); allowed: 1 to 100000") }
        guard (1...1024).contains(jobs) else { throw ValidationError("--jobs: found \(jobs); allowed: 1 to 1024") }
        _ = try Self.fraction(confidence, "confidence", in: 0.5...1)
        _ = try Self.fraction(headroom, "headroom", in: 0...0.9)
        _ = try Self.dimensions(vary)
        _ = try shard.map(Self.shardNumbers)
        if let sample, Sampling(sample) == nil { throw ValidationError("--sample: found '\(sample)'; allowed: \(Sampling.allowed)") }
    }

    /// The sample rate of every replication (1: exact) and, when `auto` chose it, why: exact
    /// when the estimated plan fits the budget or a variant cannot be sampled.
    func sampling(_ asked: Sampling, _ variants: [PlanVariant]) throws -> (rate: Int, choice: String?) {
        let refusal = variants.lazy.compactMap { v in Simulation.samplingRefusal(v.spec).map { (v.label, $0) } }.first
        switch asked {
        case .exact: return (1, nil)
        case .rate(let n):
            if let (label, why) = refusal { throw Failure.report("--sample 1/\(n): \(label) cannot be sampled: \(why); plan it exact") }
            return (n, nil)
        case .auto:
            guard refusal == nil else { return (1, nil) }
            let pilot = ProgressBar(label: "\(variants[0].spec.name) plan", enabled: !quiet, phase: "estimating the work")
            var estimates: [WorkEstimate] = []
            for v in variants {
                do { estimates.append(try Simulation.estimate(v.spec)) } catch { throw Failure.report("\(v.label): \(error)") }
            }
            pilot.done()
            guard case .rate(let n) = WorkEstimate.choosePlan(estimates, replications: runs, shardable: true) else { return (1, nil) }
            let exact = WorkEstimate.planSeconds(estimates, replications: runs, .exact)
            return (n, "auto: an exact plan is estimated at \(Int(exact.rounded())) s on \(WorkEstimate.referenceCores) cores")
        }
    }

    /// `K/N` of `--shard`, 1 ≤ K ≤ N.
    static func shardNumbers(_ text: String) throws -> (k: Int, n: Int) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(k) else {
            throw ValidationError("--shard: found '\(text)'; allowed: K/N with 1 ≤ K ≤ N, such as 2/8")
        }
        return (k, n)
    }

    /// `--vary` options as (key, values), in order.
    static func dimensions(_ options: [String]) throws -> [(key: String, values: [String])] {
        try options.map { option in
            guard let eq = option.firstIndex(of: "="), eq != option.startIndex else {
                throw ValidationError("--vary: found '\(option)'; allowed: KEY=V1,V2,... such as workloads.devtest.clones.dev.count=3,6,12")
            }
            let values = splitTopLevel(String(option[option.index(after: eq)...]))
            guard !values.isEmpty, !values.contains(where: \.isEmpty) else {
                throw ValidationError("--vary: found '\(option)'; allowed: one or more values after '=', separated by commas")
            }
            return (String(option[..<eq]), values)
        }
    }

    /// Splits at commas outside brackets and braces, so a value can be a flow mapping.
    static func splitTopLevel(_ text: String) -> [String] {
        var parts: [String] = [], current = "", depth = 0
        for c in text {
            if c == "{" || c == "[" { depth += 1 }
            if c == "}" || c == "]" { depth -= 1 }
            if c == "," && depth == 0 {
                parts.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(c)
            }
        }
        parts.append(current.trimmingCharacters(in: .whitespaces))
        return parts
    }

    /// Every combination of the `--vary` values (the base alone without any), each on every
    /// platform the scenario names.
    static func variants(_ path: String, _ vary: [String]) throws -> [PlanVariant] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw Failure.report("\(path): cannot be read") }
        var combinations: [[Override]] = [[]]
        for (key, values) in try dimensions(vary) {
            combinations = combinations.flatMap { c in values.map { c + [Override(key: key, value: $0)] } }
        }
        var variants: [PlanVariant] = []
        for overrides in combinations {
            let label = overrides.isEmpty ? "base" : overrides.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            let values = Dictionary(overrides.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
            let spec: ScenarioSpec
            do {
                spec = try ScenarioLoader.parse(text, file: path, overrides: overrides)
                _ = try Simulation(spec)
            } catch {
                throw Failure.report("\(label): \(error)")
            }
            guard spec.platforms.count > 1 else {
                variants.append(PlanVariant(label: label, spec: spec, values: values))
                continue
            }
            for p in spec.platforms {
                var one = spec
                one.platform = p
                one.platforms = []
                variants.append(PlanVariant(label: (overrides.isEmpty ? "" : label + ", ") + "platform=\(p.rawValue)", spec: one,
                                            values: values.merging(["platform": p.rawValue]) { $1 }))
            }
        }
        return variants
    }

    func run() throws {
        let spec = try Validate.load([scenario])[0]
        var settings = PlanSettings(runs: runs, jobs: jobs)
        settings.confidence = try Self.fraction(confidence, "confidence", in: 0.5...1)
        settings.headroom = try Self.fraction(headroom, "headroom", in: 0...0.9)
        let variants = try Self.variants(scenario, vary)
        (settings.sampleRate, settings.sampleChoice) = try sampling(sample.flatMap(Sampling.init) ?? spec.sample, variants)
        if !quiet, let choice = settings.sampleChoice {
            FileHandle.standardError.write(Data("\(spec.name): sampled 1/\(settings.sampleRate) per replication (\(choice); --sample exact for it)\n".utf8))
        }
        let folder = (((out as NSString).appendingPathComponent(spec.name)) as NSString).appendingPathComponent("plan")
        do { try FileOutput.write([], into: folder) } catch { throw Failure.report("--out \(out): \(error.description)") }
        let bar = PlanProgress(label: "\(spec.name) plan", enabled: !quiet)
        let part = try shard.map(Self.shardNumbers)
        var result: PlanResult
        do {
            result = try Planner.run(variants, settings: settings, indices: part.map { Planner.shard($0.k, of: $0.n, runs: runs) }) { done, total in
                bar.show(done, total)
            }
        } catch {
            throw Failure.report("\(spec.name): \(error)")
        }
        bar.done()
        result.dimensions = try Self.dimensions(vary).map { PlanDimension(key: $0.key, values: $0.values) }
        if spec.platforms.count > 1 { result.dimensions.append(PlanDimension(key: "platform", values: spec.platforms.map(\.rawValue))) }
        if let part {
            let name = "part-\(part.k)-of-\(part.n).json"
            do { try FileOutput.write([(name, try Merge.encode(result))], into: folder) } catch { throw Failure.report("\(error)") }
            if !quiet { print("Partial result: \((folder as NSString).appendingPathComponent(name))") }
            return
        }
        do { try FileOutput.write(try PlanReport.files(result), into: folder) } catch { throw Failure.report("\(error)") }
        if !quiet {
            for v in result.variants {
                print("\(spec.name)\(variants.count > 1 ? " (\(v.label))" : ""): buy at least "
                    + PlanReport.size(Double(Planner.capacityToBuy(v, settings)), result) + " (\(v.replications.count) replications).")
            }
            print("Plan: \((folder as NSString).appendingPathComponent("plan.md"))")
        }
    }
}

/// Replications done and the time left, on stderr when it is a terminal.
final class PlanProgress: @unchecked Sendable {
    let label: String
    let enabled: Bool
    let start = Date()
    let lock = NSLock()
    init(label: String, enabled: Bool) {
        self.label = label
        self.enabled = enabled && isatty(2) != 0
    }

    func show(_ done: Int, _ total: Int) {
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(start)
        let left = done == 0 ? 0 : elapsed / Double(done) * Double(total - done)
        let filled = done * 30 / max(1, total)
        lock.withLock {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(label) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: 30 - filled))] \(done)/\(total), ETA \(Int(left.rounded())) s".utf8))
        }
    }

    func done() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
