import Dispatch
import Engine
import Foundation
import Stochastic
import Workloads

/// How a plan runs: replications per variant, worker threads, and the recommendation's
/// confidence and headroom.
public struct PlanSettings: Sendable, Equatable, Codable {
    public var runs: Int
    public var jobs: Int
    /// The share of replications whose peak must stay under the usable part of the capacity.
    public var confidence = 0.95
    /// The part of the capacity kept free (the usable part is 1 − headroom).
    public var headroom = 0.15
    /// Each replication simulates 1/`sampleRate` of the address space (1: all of it; see
    /// `Planner.run`).
    public var sampleRate = 1
    /// How the rate was chosen, for the report (`auto`'s estimate), if it was not asked for.
    public var sampleChoice: String?
    public init(runs: Int, jobs: Int) {
        self.runs = runs
        self.jobs = jobs
    }
}

/// One scenario to replicate: the base, a `--vary` combination, or one of several platforms.
public struct PlanVariant: Sendable {
    public var label: String
    public var spec: ScenarioSpec
    /// The `--vary` value of each varied key (empty for the base).
    public var values: [String: String]
    public init(label: String, spec: ScenarioSpec, values: [String: String] = [:]) {
        self.label = label
        self.spec = spec
        self.values = values
    }
}

/// A `--vary` key and its values, the first being the base of the sensitivity analysis.
public struct PlanDimension: Sendable, Equatable, Codable {
    public var key: String
    public var values: [String]
    public init(key: String, values: [String]) {
        self.key = key
        self.values = values
    }
}

/// What one replication gave, in blocks and simulated times.
public struct ReplicationFigures: Sendable, Equatable, Codable {
    public var replication: Int
    public var seed: UInt64
    public var peakUsed: Int
    public var peakTime: SimTime
    public var finalUsed: Int
    /// What full copies would use at the end (the logical used of every file).
    public var traditionalFinal: Int
    /// When each alert level was first crossed (nil: never), in the scenario's order.
    public var alertTimes: [SimTime?]
    /// When the aggregate was full: the first failed write, or a sample at its capacity.
    public var fullTime: SimTime?
    /// Blocks sent by replication (a dr workload), if any.
    public var sentBlocks: Int?
    /// Physical use at every sample (for the fan chart).
    public var samples: [Int]
    /// When each limit first bound, if it did.
    public var binding: [Constraint: SimTime] = [:]
    /// A sampled replication's own sampling error of `peakUsed` and `finalUsed` (standard errors,
    /// blocks; `SamplingSummary`); nil when exact.
    public var peakStandardError: Double?
    public var finalStandardError: Double?

    /// The limit that bound first (capacity first among ties), and when.
    public var firstBinding: (constraint: Constraint, time: SimTime)? {
        binding.min { ($0.value, $0.key) < ($1.value, $1.key) }.map { ($0.key, $0.value) }
    }

    public var savings: Int { traditionalFinal - finalUsed }

    public init(replication: Int, seed: UInt64, peakUsed: Int, peakTime: SimTime, finalUsed: Int, traditionalFinal: Int,
                alertTimes: [SimTime?], fullTime: SimTime?, sentBlocks: Int?, samples: [Int]) {
        self.replication = replication
        self.seed = seed
        self.peakUsed = peakUsed
        self.peakTime = peakTime
        self.finalUsed = finalUsed
        self.traditionalFinal = traditionalFinal
        self.alertTimes = alertTimes
        self.fullTime = fullTime
        self.sentBlocks = sentBlocks
        self.samples = samples
    }

    /// The figures of one run.
    public init(_ r: RunResult, replication: Int) {
        let s = r.scenario
        let last = r.samples.last
        let atCapacity = r.samples.first { $0.physicalUsed + $0.reserved >= s.capacityBlocks }?.time
        let full = [atCapacity, r.limits.firstFailedWrite].compactMap { $0 }.min()
        self.init(replication: replication, seed: s.seed, peakUsed: r.peak.blocks, peakTime: r.peak.time,
                  finalUsed: last?.physicalUsed ?? 0, traditionalFinal: last?.traditionalUsed ?? 0,
                  alertTimes: r.alerts.map(\.withClones), fullTime: full,
                  sentBlocks: r.replications.isEmpty ? nil : r.replications.reduce(0) { $0 + $1.updates.reduce(0) { $0 + $1.transferredBlocks } },
                  samples: r.samples.map(\.physicalUsed))
        binding = r.firstBinding
        if let full, binding[.capacity].map({ full < $0 }) ?? true { binding[.capacity] = full }
        peakStandardError = r.sampling?.peakStandardError
        finalStandardError = r.sampling?.finalStandardError
    }
}

/// A variant's replications.
public struct VariantResult: Sendable, Equatable, Codable {
    public var label: String
    public var values: [String: String] = [:]
    public var replications: [ReplicationFigures]
    public init(label: String, values: [String: String] = [:], replications: [ReplicationFigures]) {
        self.label = label
        self.values = values
        self.replications = replications
    }
}

/// Everything a plan report needs; the same whether the replications ran here or in shards.
public struct PlanResult: Sendable, Equatable, Codable {
    public var scenario: String
    public var baseSeed: UInt64
    public var settings: PlanSettings
    public var blockSize: Int
    public var capacityBlocks: Int
    public var reportUnit: ByteUnit
    public var horizon: SimTime
    public var sampleInterval: SimTime
    public var alertLevels: [Double]
    /// The `--vary` keys, for the sensitivity analysis (set by the caller).
    public var dimensions: [PlanDimension] = []
    /// Distributions the scenario fitted to measured data.
    public var calibrations: [Calibration] = []
    public var variants: [VariantResult]
    public init(scenario: String, baseSeed: UInt64, settings: PlanSettings, blockSize: Int, capacityBlocks: Int,
                reportUnit: ByteUnit, horizon: SimTime, sampleInterval: SimTime, alertLevels: [Double], variants: [VariantResult]) {
        self.scenario = scenario
        self.baseSeed = baseSeed
        self.settings = settings
        self.blockSize = blockSize
        self.capacityBlocks = capacityBlocks
        self.reportUnit = reportUnit
        self.horizon = horizon
        self.sampleInterval = sampleInterval
        self.alertLevels = alertLevels
        self.variants = variants
    }
}

/// Monte Carlo replications of a scenario and its variants.
///
/// Replication i of every variant runs with the same seed, derived from the scenario's seed
/// and i (common random numbers): every object draws from its own named stream, so a variant
/// that changes one thing leaves every other object's draws as they were, and differences
/// between variants come from the variant, not from noise.
///
/// ## Sampled plans (issue 22)
/// A plan asks for the distribution of the outcome, not for one run's exact answer, so sampling
/// folds into the replications: at 1/N each replication simulates two shards of 1/(2N) of the
/// address space (`Simulation.runSampled(draw:)`), every write drawn for the shard alone, and
/// scales its block figures by N. Its figure is then the model's outcome for that seed plus a
/// sampling error of mean zero (the shards are a random sample of granules), independent of the
/// model's own spread; so the replications' mean is unbiased and their variance is the model's
/// plus the sampling variance. Each replication measures its sampling error from its two shards
/// (`Estimate.standardError`); pooled over the replications, it is stated in the report with
/// how much it can widen the percentiles. Two shards, not one: one shard's error is not
/// measurable, and eight would repeat the structure operations four times more.
public enum Planner {
    /// The seed of replication `i` (SplitMix64 of the base seed and i: well spread, and
    /// replication 0 is not the base run itself).
    public static func seed(base: UInt64, replication i: Int) -> UInt64 {
        var z = base &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(i + 1)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Runs replications `indices` (all `settings.runs` by default) of every variant on
    /// `settings.jobs` threads. `progress(done, total)` is called after each replication, from
    /// whichever thread finished it.
    public static func run(_ variants: [PlanVariant], settings: PlanSettings, indices: [Int]? = nil,
                           progress: (@Sendable (Int, Int) -> Void)? = nil) throws(SimulationError) -> PlanResult {
        precondition(!variants.isEmpty, "a plan has at least one variant")
        let base = variants[0].spec
        let indices = indices ?? Array(0..<settings.runs)
        let work = variants.indices.flatMap { v in indices.map { (v, $0) } }
        let box = Results(count: work.count)
        let jobs = max(1, min(settings.jobs, work.count))
        // Each job takes every jobs-th item: replications are independent and each result goes
        // to its own slot, so the outcome does not depend on the number of jobs.
        DispatchQueue.concurrentPerform(iterations: jobs) { job in
            for k in stride(from: job, to: work.count, by: jobs) {
                if box.failed { return }
                let (v, i) = work[k]
                var spec = variants[v].spec
                spec.seed = seed(base: base.seed, replication: i)
                do throws(SimulationError) {
                    let result = settings.sampleRate > 1
                        ? try Simulation.runSampled(spec, rate: settings.sampleRate, jobs: 1, draw: true)
                        : try Simulation(spec).run()
                    let done = box.set(k, ReplicationFigures(result, replication: i))
                    progress?(done, work.count)
                } catch {
                    box.fail(error)
                    return
                }
            }
        }
        if let error = box.error { throw error }
        let figures = box.items.map { $0! }
        let blockSize = Simulation.blockSize(of: base)
        var result = PlanResult(scenario: base.name, baseSeed: base.seed, settings: settings, blockSize: blockSize,
                          capacityBlocks: (base.aggregate.capacityBytes + blockSize - 1) / blockSize, reportUnit: base.reportUnit,
                          horizon: base.horizon, sampleInterval: base.sampleInterval, alertLevels: base.aggregate.alerts.map(\.doubleValue),
                          variants: variants.indices.map { v in
                              VariantResult(label: variants[v].label, values: variants[v].values,
                                            replications: Array(figures[(v * indices.count)..<((v + 1) * indices.count)]))
                          })
        result.calibrations = base.calibrations
        return result
    }

    /// The replications of shard `k` of `n` (1-based): every n-th from k − 1.
    public static func shard(_ k: Int, of n: Int, runs: Int) -> [Int] {
        Array(stride(from: k - 1, to: runs, by: n))
    }

    /// Why some partial results cannot be merged.
    public struct MergeError: Error, CustomStringConvertible {
        public var description: String
    }

    /// One result from the partial results of shards: the same as the unsharded run when the
    /// shards together hold every replication once.
    public static func merge(_ parts: [PlanResult]) throws(MergeError) -> PlanResult {
        guard var merged = parts.first else { throw MergeError(description: "no partial results") }
        for p in parts.dropFirst() {
            var a = p, b = merged
            a.variants = []
            b.variants = []
            a.settings.jobs = 0
            b.settings.jobs = 0
            guard a == b, p.variants.map(\.label) == merged.variants.map(\.label) else {
                throw MergeError(description: "the parts come from different plans (scenario, seed, settings or variants differ)")
            }
            for v in merged.variants.indices { merged.variants[v].replications += p.variants[v].replications }
        }
        for v in merged.variants.indices {
            merged.variants[v].replications.sort { $0.replication < $1.replication }
            let have = merged.variants[v].replications.map(\.replication)
            guard have == Array(0..<merged.settings.runs) else {
                let missing = Set(0..<merged.settings.runs).subtracting(have).sorted()
                throw MergeError(description: missing.isEmpty
                    ? "replications appear more than once: the same shard was given twice"
                    : "\(missing.count) of \(merged.settings.runs) replications are missing (first: \(missing[0])): a shard is missing")
            }
        }
        return merged
    }

    /// Type-7 quantile (GSL's) of values, `level` in [0, 1]; nil for none.
    public static func quantile(_ values: [Double], _ level: Double) -> Double? {
        values.isEmpty ? nil : Statistics.quantile(sorted: values.sorted(), level)
    }

    /// The sampling error of a sampled plan's figure: the standard deviation a replication's
    /// sampling adds, √(mean of the replications' squared standard errors); nil when exact.
    public static func samplingError(_ standardErrors: [Double?]) -> Double? {
        let known = standardErrors.compactMap { $0 }
        guard !known.isEmpty, known.count == standardErrors.count else { return nil }
        return (known.reduce(0) { $0 + $1 * $1 } / Double(known.count)).squareRoot()
    }

    /// How far sampling error `error` (a standard deviation) moves the `level` quantile of
    /// `values` away from the median, for normal spreads: z·(S − √(S² − σ²)), S the values'
    /// standard deviation. The model's own spread is √(S² − σ²): sampling widens the total to S.
    public static func widening(_ values: [Double], error: Double, level: Double) -> Double {
        let s = spread(values)
        return abs(Statistics.normal(level)) * (s - max(0, s * s - error * error).squareRoot())
    }

    /// The sample standard deviation of `values` (0 for fewer than two).
    public static func spread(_ values: [Double]) -> Double {
        guard values.count > 1 else { return 0 }
        let mean = values.reduce(0, +) / Double(values.count)
        return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
    }

    /// The capacity to buy: the `confidence` quantile of the peaks over the usable share.
    public static func capacityToBuy(_ v: VariantResult, _ settings: PlanSettings) -> Int {
        let peak = quantile(v.replications.map { Double($0.peakUsed) }, settings.confidence) ?? 0
        return Int((peak / (1 - settings.headroom)).rounded(.up))
    }
}

/// Replication results filled in from several threads.
final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var items: [ReplicationFigures?]
    private var done = 0
    private(set) var error: SimulationError?

    init(count: Int) { items = Array(repeating: nil, count: count) }

    var failed: Bool { lock.withLock { error != nil } }

    /// Stores a result; returns how many are in.
    func set(_ k: Int, _ figures: ReplicationFigures) -> Int {
        lock.withLock {
            items[k] = figures
            done += 1
            return done
        }
    }

    func fail(_ e: SimulationError) {
        lock.withLock { if error == nil { error = e } }
    }
}
