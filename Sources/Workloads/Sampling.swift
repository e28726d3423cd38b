import BlockModel
import Foundation
import Stochastic

/// How much of the address space a run simulates (issue 22): all of it, a spatial sample of
/// 1/N, or whichever of the two fits the time budget (`auto`, resolved before the run).
///
/// ## Sampled runs
/// A sample of 1/N cuts every data set into `shardsPerSample`·N shards (`Sharding`) and
/// simulates the first `shardsPerSample` of them, each on its own. Which granule lands in which
/// shard is a hash of its address, so the simulated shards are a random sample of the granules
/// (SHARDS, Waldspurger et al., FAST '15, samples block addresses the same way). Block figures
/// are the shards' sum scaled by N. The shards' spread gives the interval: for shard totals
/// x₁…x_k of M shards, the estimate M/k·Σx has the standard error M·√((1 − k/M)·s²/k) (sampling
/// without replacement), and the 95% interval is ± t(0.975, k − 1) of it, plus the edge term of
/// `RunResult.merged` (the shards are stratified by stripe, and the spread cannot see how a data
/// set's last partial stripe fell). k = 8 keeps the
/// t factor at 2.36 (4 shards would give 3.18) while each shard still holds 1/(8N) of the
/// blocks.
///
/// Structure (events, clones, Snapshot copies, refusals, limits) is simulated in full in every
/// shard, so counts and times of structure operations are exact in a sampled run; only block
/// figures are estimates.
public enum Sampling: Sendable, Equatable, CustomStringConvertible {
    case auto
    case exact
    /// 1/N of the address space, N ≥ 2.
    case rate(Int)

    /// Shards simulated in a sampled run: their spread measures the sampling error.
    public static let shardsPerSample = 8
    /// Shards of each replication of a sampled plan: two give each replication's own sampling
    /// error (pooled over the replications, `Planner`) at one extra pass of the structure.
    public static let shardsPerReplication = 2
    public static let largestRate = 65_536
    public static let allowed = "auto, exact, or 1/N with N a whole number from 1 to \(largestRate)"

    /// `auto`, `exact` or `1/N` (1/1 is exact); nil for anything else.
    public init?(_ text: String) {
        switch text {
        case "auto": self = .auto
        case "exact": self = .exact
        default:
            guard text.hasPrefix("1/"), let n = Int(text.dropFirst(2)), (1...Self.largestRate).contains(n),
                  text.dropFirst(2).allSatisfy(\.isASCII) else { return nil }
            self = n == 1 ? .exact : .rate(n)
        }
    }

    public var description: String {
        switch self {
        case .auto: "auto"
        case .exact: "exact"
        case .rate(let n): "1/\(n)"
        }
    }

    /// The `k` shards a sample of 1/`rate` simulates, one run each: evenly spaced (0, N, 2N, …), so
    /// that in every stripe (`Sharding.shard(ofGranule:)`) they sit 1/k of the stripe apart and
    /// a data set's last, partial stripe is sampled within ±N granules.
    ///
    /// `offset` (in 0 ..< rate) shifts every member by as many shards: which granules a stripe
    /// gives the sample then changes with it, so a plan that draws it per replication averages
    /// over the granules too (`Simulation.runSampled(draw:)`).
    public static func shards(rate: Int, count k: Int = shardsPerSample, offset: Int = 0) -> [Sharding] {
        precondition((0..<rate).contains(offset), "an offset within one step")
        // Contents (`ContentPool`) are held by level: transposed, the members' content shards
        // j + k·offset differ modulo every level that k divides, where the members themselves
        // (offset + j·rate) would coincide modulo every level dividing the rate.
        return (0..<k).map { j in
            var s = Sharding(count: k * rate, members: [offset + j * rate], sampled: true)
            s.contentShard = j + k * offset
            return s
        }
    }
}

/// A block figure estimated from a sample, with the half-width of its 95% interval.
public struct Estimate: Sendable, Codable, Equatable {
    public var value: Int
    public var halfWidth: Int
    public init(value: Int, halfWidth: Int) {
        self.value = value
        self.halfWidth = halfWidth
    }

    /// The estimate of a total over `of` shards from the totals `parts` of `parts.count` of them.
    /// An exact figure (every shard simulated) has a half-width of 0.
    ///
    /// `edge` (blocks) is added to the half-width: what the spread between shards cannot see,
    /// the last partial stripe of each data set (see `RunResult.merged`).
    public static func of(_ parts: [Int], of shards: Int, edge: Int = 0) -> Estimate {
        let k = parts.count
        precondition(k >= 1 && shards >= k, "a sample of the shards")
        let sum = parts.reduce(0, +)
        guard k < shards, k > 1 else { return Estimate(value: sum * shards / k, halfWidth: k < shards ? edge : 0) }
        let t = Statistics.studentT(0.975, degrees: k - 1)
        return Estimate(value: sum * shards / k, halfWidth: Int((t * standardError(parts, of: shards)).rounded(.up)) + edge)
    }

    /// The standard error of the estimate `shards`/k·Σ`parts` of a total over `shards` shards from
    /// k of them, drawn without replacement: M·√((1 − k/M)·s²/k); 0 when k < 2 or k = M.
    public static func standardError(_ parts: [Int], of shards: Int) -> Double {
        let k = parts.count
        guard k > 1, k < shards else { return 0 }
        let mean = Double(parts.reduce(0, +)) / Double(k)
        let variance = parts.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(k - 1)
        let m = Double(shards)
        return m * ((1 - Double(k) / m) * variance / Double(k)).squareRoot()
    }
}

/// What a sampled run simulated and how sure its block figures are.
public struct SamplingSummary: Sendable, Codable, Equatable {
    /// 1/N of the address space.
    public var rate: Int
    /// Shards simulated, of `shardCount`.
    public var shards: Int
    public var shardCount: Int
    public var finalPhysical: Estimate
    public var finalTraditional: Estimate
    public var peak: Estimate
    public var traditionalPeak: Estimate
    /// Each object's physical use, in `RunResult.objects` order.
    public var objectPhysical: [Estimate]
    /// The standard errors of `peak` and `finalPhysical` (blocks; no t factor, no edge term): what
    /// a plan pools over its replications (`Planner`).
    public var peakStandardError = 0.0
    public var finalStandardError = 0.0
    /// Objects whose logical size the shards took from their own blocks (a backup's
    /// incrementals): the shards' mean, an estimate.
    public var estimatedSizes = 0
    /// True when the run deduplicates: its shards sampled pool contents by content
    /// (`ContentPool`). Optional so that summaries written before it still read.
    public var contentsByContent: Bool?
}

/// What a run of a scenario will cost, from a pilot: one shard of 1/`pilotShards` of the address
/// space, simulated in full structure, its blocks written scaled up. Deterministic (counts, not
/// clocks), so `auto` chooses the same sampling for the same scenario on every machine; the
/// seconds are this project's 2-vCPU machine kind (`Benchmarks/README.md`, "Work estimate").
public struct WorkEstimate: Sendable, Equatable {
    /// Events the run handles (structure and samples): the same in every shard.
    public var events: Int
    /// Blocks the workloads write in the whole address space (the pilot's, scaled).
    public var blocksWritten: Int
    /// The logical size of every file and LUN at the end, in blocks: what clone creation and the
    /// per-object accounting walk (issue 23 makes both O(leaves); until then they cost per block).
    public var logicalBlocks: Int
    /// Writes the workloads make: every shard of an exact run draws them all.
    public var writes: Int
    /// Writes a sampled shard still draws in full: those of objects whose streams must stay in
    /// step (`WritePlanner.planKept`).
    public var inStepWrites: Int
    /// Blocks the dedup runs process in the whole address space (the pilot's, scaled), and the
    /// CPU seconds each costs on the scenario's platform (`secondsPerDedupBlock`).
    public var dedupBlocks: Int
    public var dedupSecondsPerBlock: Double

    public init(events: Int, blocksWritten: Int, logicalBlocks: Int, writes: Int, inStepWrites: Int, dedupBlocks: Int = 0,
                dedupSecondsPerBlock: Double = 0) {
        self.events = events
        self.blocksWritten = blocksWritten
        self.logicalBlocks = logicalBlocks
        self.writes = writes
        self.inStepWrites = inStepWrites
        self.dedupBlocks = dedupBlocks
        self.dedupSecondsPerBlock = dedupSecondsPerBlock
    }

    public static let pilotShards = 1024
    /// CPU seconds per event, per write drawn, and per block written and logical block at the
    /// end in an exact shard and in a sampled one (whose scattered granules cost more per block:
    /// each touches its own leaves). Fitted to the CPU seconds of `seed-devtest`,
    /// `devtest-weekly-refresh` and `vdi-300-desktops` exact and at 1/16, and the seed's 9,000
    /// desktops at 1/4096 and 1/512 (release build, one job; Benchmarks/README.md).
    public static let secondsPerEvent = 14e-6
    public static let secondsPerWrite = 0.03e-6
    public static let secondsPerBlock = 0.15e-6
    public static let secondsPerLogicalBlock = 0.03e-6
    public static let secondsPerSampledBlock = 0.45e-6
    /// Per block written and logical block in a plan's sampled replication, whose shards draw
    /// every write for themselves (`replicationSeconds`). Fitted to plans of
    /// `devtest-weekly-refresh` (100–400 replications) and `vdi-300-desktops` (40) at two rates
    /// each (release build, one job; Benchmarks/README.md).
    public static let secondsPerDrawnBlock = 0.16e-6
    public static let secondsPerDrawnLogicalBlock = 0.07e-6
    /// Per block a dedup run processes, duplicates shared included: ONTAP's engine, and the file
    /// systems' (a range clone per run of duplicates). Fitted to the pilots of
    /// `Scenarios/full-size/vdi-dedup-1500.yaml` on each platform with and without dedup
    /// (release build; Benchmarks/README.md).
    public static func secondsPerDedupBlock(_ platform: Platform) -> Double { platform == .ontap ? 0.3e-6 : 0.5e-6 }
    /// `auto` runs exact when this fits, else the smallest sample that does.
    public static let budgetSeconds = 30.0
    /// The cores `auto` assumes, whatever the machine has: this project's 2-vCPU machine kind.
    /// So the same scenario samples alike, and gives the same bytes, on every machine.
    public static let referenceCores = 2

    /// CPU seconds of one shard of an exact run of `jobs` shards.
    func exactShardSeconds(jobs: Int) -> Double {
        Double(events) * Self.secondsPerEvent + Double(writes) * Self.secondsPerWrite
            + (Double(blocksWritten) * Self.secondsPerBlock + Double(logicalBlocks) * Self.secondsPerLogicalBlock
               + Double(dedupBlocks) * dedupSecondsPerBlock) / Double(jobs)
    }

    /// CPU seconds of one sampled shard over `share` of the address space, without the walks
    /// of in-step objects, which the sample's shards share (`WalkTape`).
    func sampledShardSeconds(share: Double) -> Double {
        Double(events) * Self.secondsPerEvent
            + share * (Double(blocksWritten) * Self.secondsPerSampledBlock + Double(logicalBlocks) * Self.secondsPerLogicalBlock
                       + Double(dedupBlocks) * dedupSecondsPerBlock)
    }

    /// The run's seconds: exact (one run, or `jobs` shards when `shardable`) or a sample.
    public func seconds(_ sampling: Sampling, jobs: Int, shardable: Bool) -> Double {
        switch sampling {
        case .auto, .exact:
            guard shardable, jobs > 1 else { return exactShardSeconds(jobs: 1) }
            return exactShardSeconds(jobs: jobs)
        case .rate(let n):
            let shards = Sampling.shardsPerSample
            let rounds = Double((shards + jobs - 1) / max(1, jobs))
            // The shared walks counted once, as if one thread made them all.
            return rounds * sampledShardSeconds(share: 1 / Double(shards * n)) + Double(inStepWrites) * Self.secondsPerWrite
        }
    }

    /// `auto` resolved: exact when it fits the budget (or cannot be sampled), else the smallest
    /// power-of-two sample that fits, at most 1/`Sampling.largestRate`. Where none fits, the
    /// sample past which halving it again saves under 5% (what every shard repeats — events,
    /// writes walked in full — then dominates, and a smaller sample only loses accuracy).
    /// `sampleable` (default: `shardable`): a sample covers the scenario though exact shards may
    /// not (quotas), whose exact run then takes one core.
    public func choose(jobs: Int, shardable: Bool, sampleable: Bool? = nil) -> Sampling {
        guard sampleable ?? shardable else { return .exact }
        return Self.choose { seconds($0, jobs: jobs, shardable: shardable) }
    }

    /// The rule of `choose` over any cost: exact when `seconds(.exact)` fits the budget, else
    /// the smallest power-of-two sample that fits or past which halving saves under 5%.
    static func choose(_ seconds: (Sampling) -> Double) -> Sampling {
        guard seconds(.exact) > budgetSeconds else { return .exact }
        var n = 2
        while n < Sampling.largestRate, seconds(.rate(n)) > budgetSeconds {
            let now = seconds(.rate(n)), halved = seconds(.rate(2 * n))
            if now - halved < 0.05 * now { break }
            n *= 2
        }
        return .rate(n)
    }

    /// CPU seconds of one replication of a plan: an exact run on one job, or a draw of 1/n in
    /// `Sampling.shardsPerReplication` shards that draw every write for themselves
    /// (`Simulation.runSampled(draw:)`), so no walk is repeated in full.
    public func replicationSeconds(_ sampling: Sampling) -> Double {
        switch sampling {
        case .auto, .exact: return exactShardSeconds(jobs: 1)
        case .rate(let n):
            return Double(Sampling.shardsPerReplication * events) * Self.secondsPerEvent
                + (Double(blocksWritten) * Self.secondsPerDrawnBlock + Double(logicalBlocks) * Self.secondsPerDrawnLogicalBlock
                   + Double(dedupBlocks) * dedupSecondsPerBlock) / Double(n)
        }
    }

    /// `auto` for a plan as a whole: `replications` of each variant (one estimate each), run
    /// `referenceCores` at a time, within the budget (the rule of `choose`).
    public static func choosePlan(_ variants: [WorkEstimate], replications: Int, shardable: Bool) -> Sampling {
        guard shardable else { return .exact }
        return choose { sampling in planSeconds(variants, replications: replications, sampling) }
    }

    /// Seconds of a plan at `sampling` on `referenceCores`.
    public static func planSeconds(_ variants: [WorkEstimate], replications: Int, _ sampling: Sampling) -> Double {
        Double(replications) * variants.reduce(0) { $0 + $1.replicationSeconds(sampling) } / Double(referenceCores)
    }
}

extension Simulation {
    /// The pilot of `WorkEstimate`, or why there is none (the pilot itself failed).
    public static func estimate(_ spec: ScenarioSpec) throws(SimulationError) -> WorkEstimate {
        let pilot = Sharding(count: WorkEstimate.pilotShards, members: [0], sampled: true)
        // Unchecked: a pilot only counts, so effects across shards do not matter to it.
        let simulation = try Simulation(spec, storage: try storage(spec, sharding: pilot), sharding: pilot)
        simulation.isPilot = true
        let result = try simulation.run()
        return WorkEstimate(events: result.engineEvents, blocksWritten: result.blocksWritten * WorkEstimate.pilotShards,
                            logicalBlocks: result.objects.reduce(0) { $0 + ($1.kind == .file || $1.kind == .lun ? $1.logicalSize : 0) },
                            writes: result.writesDrawn + result.writesSampled * WorkEstimate.pilotShards,
                            inStepWrites: result.writesDrawn,
                            dedupBlocks: result.dedupRuns.reduce(0) { $0 + $1.run.processedBlocks } * WorkEstimate.pilotShards,
                            dedupSecondsPerBlock: WorkEstimate.secondsPerDedupBlock(spec.platform))
    }

    /// Whether an exact sharded run (`--jobs`, `--shard`) covers `spec`; nil when it does, else
    /// why not. A sampled run covers it then too.
    public static func shardingRefusal(_ spec: ScenarioSpec) -> String? {
        do { try check(spec, Sharding(count: 2, members: [0])) } catch { return error.description }
        return nil
    }

    /// Whether a sampled run covers `spec` (it covers quotas, which exact shards do not); nil
    /// when it does, else why not.
    public static func samplingRefusal(_ spec: ScenarioSpec) -> String? {
        do { try check(spec, Sharding(count: 4, members: [0], sampled: true)) } catch { return error.description }
        return nil
    }
}
