import Engine
import Foundation
import Testing
@testable import Planner
@testable import Reports
@testable import Workloads

/// A small dev/test scenario: a 16,384-block database, `clones` FlexClone volumes each writing
/// a lognormal share a day (uniform or sequential), 10 days.
func smallDevTest(clones: Int = 3, random: Bool = true) -> ScenarioSpec {
    var spec = ScenarioSpec(name: "small", horizon: .days(10), sampleInterval: .days(1),
                            aggregate: AggregateSpec(capacityBytes: 200_000 * 4096))
    var volume = VolumeSpec(name: "prod", sizeBytes: 40_000 * 4096)
    volume.files = [FileSpec(path: "db", sizeBytes: 16_384 * 4096)]
    spec.volumes = [volume]
    var devtest = DevTestSpec(source: "prod")
    var change = ChangeSpec(rate: random ? RandomVariable(.lognormal(zeta: log(0.03), sigma: 0.8)) : .constant(0.03))
    change.pattern = random ? .uniform : .sequential
    var group = CloneGroupSpec(name: "dev", count: clones)
    group.change = change
    devtest.groups = [group]
    devtest.sourceChange = change
    spec.workloads = [WorkloadSpec(name: "devtest", kind: .devtest(devtest))]
    return spec
}

@Suite struct PlannerTests {
    /// The percentiles `plan.md` shows are type-7 quantiles of the `plan.csv` column, computed
    /// here by hand: h = (n − 1) p, then linear between the neighbours.
    @Test func reportedPercentilesAreThoseOfTheCSV() throws {
        let plan = try Planner.run([PlanVariant(label: "base", spec: smallDevTest())], settings: PlanSettings(runs: 13, jobs: 2))
        let files = try PlanReport.files(plan)
        let csv = try #require(files.first { $0.name == "plan.csv" }?.text).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let column = try #require(csv[0].firstIndex(of: "peak_bytes"))
        let peaks = csv.dropFirst().map { Double($0[column])! }.sorted()
        #expect(peaks.count == 13 && Set(peaks).count > 1)
        func quantile(_ p: Double) -> Double {
            let h = Double(peaks.count - 1) * p
            let lo = Int(h.rounded(.down)), hi = min(lo + 1, peaks.count - 1)
            return peaks[lo] + (h - Double(lo)) * (peaks[hi] - peaks[lo])
        }
        let md = try #require(files.first { $0.name == "plan.md" }?.text)
        let row = try #require(md.split(separator: "\n").first { $0.hasPrefix("| peak use") })
        let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        let expected = [0.5, 0.9, 0.95, 0.99].map { "\(Format.fixed(quantile($0) / 1_073_741_824)) GiB" }
        #expect(Array(cells[1...4]) == expected)
        #expect(cells[5] == "\(Format.fixed(peaks.first! / 1_073_741_824)) GiB" && cells[6] == "\(Format.fixed(peaks.last! / 1_073_741_824)) GiB")
        // The recommendation: the 95% quantile over 85%, rounded up to a block.
        let buy = Int((quantile(0.95) / 4096 / 0.85).rounded(.up))
        #expect(Planner.capacityToBuy(plan.variants[0], plan.settings) == buy)
        #expect(md.contains("**Buy at least \(Format.fixed(Double(buy) * 4096 / 1_073_741_824)) GiB.**"))
    }

    /// Constant rates and sequential writes: every replication is the same, so no spread.
    @Test func aDeterministicScenarioHasNoSpread() throws {
        let plan = try Planner.run([PlanVariant(label: "base", spec: smallDevTest(random: false))], settings: PlanSettings(runs: 5, jobs: 2))
        let r = plan.variants[0].replications
        #expect(Set(r.map(\.seed)).count == 5)
        for x in r {
            #expect(x.peakUsed == r[0].peakUsed && x.finalUsed == r[0].finalUsed && x.samples == r[0].samples && x.peakTime == r[0].peakTime)
        }
        let md = PlanReport.markdown(plan)
        let row = try #require(md.split(separator: "\n").first { $0.hasPrefix("| peak use") })
        #expect(Set(row.split(separator: "|").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }).count == 1)
    }

    /// Common random numbers: replication i of every variant has the same seed, and clones 1-3
    /// draw the same numbers with 3 or 6 clones, so adding clones never lowers a replication's
    /// peak. The result does not depend on the number of jobs.
    @Test func addingClonesNeverLowersAPeak() throws {
        let variants = [PlanVariant(label: "3", spec: smallDevTest(clones: 3)), PlanVariant(label: "6", spec: smallDevTest(clones: 6))]
        let plan = try Planner.run(variants, settings: PlanSettings(runs: 30, jobs: 2))
        let (three, six) = (plan.variants[0].replications, plan.variants[1].replications)
        #expect(three.map(\.seed) == six.map(\.seed))
        for (a, b) in zip(three, six) { #expect(b.peakUsed >= a.peakUsed, "replication \(a.replication)") }
        #expect(zip(three, six).contains { $0.peakUsed < $1.peakUsed })
        let serial = try Planner.run(variants, settings: PlanSettings(runs: 30, jobs: 1))
        #expect(serial.variants == plan.variants, "the same replications with one job as with two")
    }

    /// Replication seeds are distinct, and not the base seed itself.
    @Test func seedsAreDistinct() {
        let seeds = (0..<10_000).map { Planner.seed(base: 42, replication: $0) }
        #expect(Set(seeds).count == 10_000 && !seeds.contains(42))
    }

    /// Shards take every n-th replication; merging refuses parts of different plans and
    /// repeated shards.
    @Test func shardsAndMerging() throws {
        #expect(Planner.shard(1, of: 3, runs: 7) == [0, 3, 6] && Planner.shard(3, of: 3, runs: 7) == [2, 5])
        let variants = [PlanVariant(label: "base", spec: smallDevTest())]
        let settings = PlanSettings(runs: 4, jobs: 1)
        let parts = try (1...2).map { k throws(SimulationError) in
            try Planner.run(variants, settings: settings, indices: Planner.shard(k, of: 2, runs: 4))
        }
        let whole = try Planner.run(variants, settings: settings)
        #expect(try Planner.merge(parts) == whole)
        #expect(throws: Planner.MergeError.self) { try Planner.merge([parts[0], parts[0]]) }
        var other = parts[1]
        other.baseSeed += 1
        #expect(throws: Planner.MergeError.self) { try Planner.merge([parts[0], other]) }
    }

    /// The limit that binds first: capacity when the aggregate is too small (at the first
    /// failed write, which is also the time to full); the clone limit when 260 desktops need a
    /// second copy of their image at the 256th.
    @Test func theBindingLimitIsReported() throws {
        var tight = smallDevTest()
        tight.aggregate.capacityBytes = 20_000 * 4096
        let full = try Planner.run([PlanVariant(label: "base", spec: tight)], settings: PlanSettings(runs: 3, jobs: 1))
        for r in full.variants[0].replications {
            #expect(r.firstBinding?.constraint == .capacity && r.fullTime != nil && r.firstBinding?.time == r.fullTime)
        }
        #expect(PlanReport.markdown(full).contains("| capacity |         3 of 3 | 3 of 3 |"))
        #expect(PlanReport.markdown(full).contains("In 3 of 3 replications the aggregate filled up and writes failed, so their peaks stop at its capacity: this is a lower bound."))
        var vdi = ScenarioSpec(name: "vdi", horizon: .days(1), sampleInterval: .days(1), aggregate: AggregateSpec(capacityBytes: 100_000 * 4096))
        var volume = VolumeSpec(name: "vdi", sizeBytes: 50_000 * 4096)
        volume.files = [FileSpec(path: "golden", sizeBytes: 10 * 4096)]
        vdi.volumes = [volume]
        var desktops = VDISpec(volume: "vdi", image: "golden", desktops: 260)
        desktops.cloneTime = .seconds(60)
        vdi.workloads = [WorkloadSpec(name: "d", kind: .vdi(desktops))]
        let clones = try Planner.run([PlanVariant(label: "base", spec: vdi)], settings: PlanSettings(runs: 2, jobs: 1))
        // Desktop 256 is provisioned at 255 × 60 s.
        #expect(clones.variants[0].replications.allSatisfy { $0.firstBinding?.constraint == .cloneLimit && $0.firstBinding?.time == .seconds(255 * 60) })
        #expect(try PlanReport.csv(clones).split(separator: "\n")[1].hasSuffix(",clone limit,15300"))
    }

    /// Sensitivity: each input alone around the base (its first values), the widest swing
    /// first; the fan chart has its two bands and the median.
    @Test func sensitivityVariesOneInputAtATime() throws {
        func spec(_ clones: Int, _ rate: Double) -> ScenarioSpec {
            var s = smallDevTest(clones: clones, random: false)
            guard case .devtest(var d) = s.workloads[0].kind else { return s }
            d.groups[0].change?.rate = .constant(rate)
            s.workloads[0].kind = .devtest(d)
            return s
        }
        var variants: [PlanVariant] = []
        for clones in [3, 1, 6] {
            for rate in [0.03, 0.06] {
                variants.append(PlanVariant(label: "\(clones), \(rate)", spec: spec(clones, rate), values: ["clones": "\(clones)", "rate": "\(rate)"]))
            }
        }
        var plan = try Planner.run(variants, settings: PlanSettings(runs: 2, jobs: 2))
        plan.dimensions = [PlanDimension(key: "clones", values: ["3", "1", "6"]), PlanDimension(key: "rate", values: ["0.03", "0.06"])]
        func buy(_ clones: Int, _ rate: Double) -> Int {
            Planner.capacityToBuy(plan.variants.first { $0.label == "\(clones), \(rate)" }!, plan.settings)
        }
        let s = try #require(PlanReport.sensitivity(plan))
        #expect(s.base == buy(3, 0.03))
        let clones = (key: "clones", low: buy(1, 0.03), high: buy(6, 0.03), values: "1 → 6")
        let rate = (key: "rate", low: buy(3, 0.03), high: buy(3, 0.06), values: "0.03 → 0.06")
        #expect(clones.high - clones.low > rate.high - rate.low)
        #expect(s.rows.map(\.key) == ["clones", "rate"] && s.rows[0].low == clones.low && s.rows[0].high == clones.high
                && s.rows[1].low == rate.low && s.rows[1].high == rate.high && s.rows[0].values == "1 → 6")
        let files = try PlanReport.files(plan)
        #expect(files.map(\.name) == ["plan.md", "plan.csv", "plan.svg", "variants.svg", "sensitivity.svg"])
        let fan = files[2].text
        #expect(fan.components(separatedBy: "<polygon").count == 3 && fan.contains("<polyline"))
        #expect(files[0].text.contains("## Sensitivity") && files[0].text.contains("| clones | 1 → 6 "))
    }
}

/// Sampled plans (issue 22): sampling folded into the replications.
@Suite struct SampledPlanTests {
    /// A hot-spot database whose hottest regions (4 granules each) are smaller than a stripe of
    /// the 1/16 sample (32 granules): one fixed set of granules would be far off on average.
    func hotDevTest() -> ScenarioSpec {
        var spec = smallDevTest(clones: 2)
        guard case .devtest(var d) = spec.workloads[0].kind else { return spec }
        d.groups[0].change?.pattern = .hotspot(regions: 16, exponent: 1.5)
        d.sourceChange?.pattern = .hotspot(regions: 16, exponent: 1.5)
        spec.workloads[0].kind = .devtest(d)
        return spec
    }

    /// Each replication samples its own granules, so the sampled replications' mean final use
    /// is the exact plan's within their standard errors, and their spread is at least the
    /// exact one's (sampling adds to it). Every sampled replication carries its errors.
    @Test func aSampledPlanAveragesOverTheGranulesToo() throws {
        let variants = [PlanVariant(label: "base", spec: hotDevTest())]
        let exact = try Planner.run(variants, settings: PlanSettings(runs: 40, jobs: 2))
        var settings = PlanSettings(runs: 40, jobs: 2)
        settings.sampleRate = 16
        let sampled = try Planner.run(variants, settings: settings)
        func stats(_ p: PlanResult) -> (mean: Double, sd: Double) {
            let x = p.variants[0].replications.map { Double($0.finalUsed) }
            let mean = x.reduce(0, +) / Double(x.count)
            return (mean, (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count - 1)).squareRoot())
        }
        let (e, s) = (stats(exact), stats(sampled))
        let standardError = ((e.sd * e.sd + s.sd * s.sd) / 40).squareRoot()
        #expect(abs(s.mean - e.mean) < 3 * standardError, "sampled mean \(s.mean), exact \(e.mean) ± \(standardError)")
        #expect(s.sd >= e.sd)
        #expect(sampled.variants[0].replications.allSatisfy { $0.peakStandardError != nil && $0.finalStandardError != nil })
        #expect(exact.variants[0].replications.allSatisfy { $0.peakStandardError == nil })
        // Not one fixed sample: the replications' own errors differ.
        #expect(Set(sampled.variants[0].replications.map(\.finalStandardError)).count > 20)
        // The same bytes with one job.
        var serial = settings
        serial.jobs = 1
        #expect(try Planner.run(variants, settings: serial).variants == sampled.variants)
    }

    /// A sampled replication whose estimated use passes the capacity is marked full there, held
    /// at the capacity, with the capacity binding first, as an exact one is (the exact plan
    /// fails writes instead); the plan does not fail.
    @Test func aSampledReplicationThatFillsTheAggregateIsMarkedFull() throws {
        var tight = hotDevTest()
        tight.aggregate.capacityBytes = 20_000 * 4096
        var settings = PlanSettings(runs: 3, jobs: 1)
        settings.sampleRate = 4
        let plan = try Planner.run([PlanVariant(label: "base", spec: tight)], settings: settings)
        let exact = try Planner.run([PlanVariant(label: "base", spec: tight)], settings: PlanSettings(runs: 3, jobs: 1))
        for (r, e) in zip(plan.variants[0].replications, exact.variants[0].replications) {
            #expect(r.fullTime != nil && r.firstBinding?.constraint == .capacity && r.firstBinding?.time == r.fullTime)
            #expect(r.peakUsed <= 20_000 && r.samples.allSatisfy { $0 <= 20_000 })
            // The exact plan fills up too, on the same day or within one.
            #expect(e.fullTime != nil && abs(e.fullTime!.nanoseconds - r.fullTime!.nanoseconds) <= SimTime.days(1).nanoseconds)
        }
    }

    /// The pooled error and the widening, by hand: errors 3 and 4 pool to √((9 + 16)/2) =
    /// 3.5355; values 0 and 2 have S = √2, so an error of 1 leaves the model 1, and the 95%
    /// quantile moves by 1.64485 · (√2 − 1) = 0.681321.
    @Test func samplingErrorAndWideningByHand() {
        #expect(abs(Planner.samplingError([3, 4])! - 3.535_533_9) < 1e-6)
        #expect(Planner.samplingError([3, nil]) == nil && Planner.samplingError([]) == nil)
        #expect(abs(Planner.widening([0, 2], error: 1, level: 0.95) - 0.681_321) < 1e-5)
        #expect(Planner.widening([5, 5], error: 1, level: 0.95) == 0)
    }

    /// The report's paragraph from two replications of 10⁶ and 3·10⁶ blocks (4 KiB) with peak
    /// errors 300,000 and 500,000 blocks and final errors 100,000: the peak's pooled error is
    /// √(17·10¹⁰) = 412,311 blocks (1.57 GiB), the final's 100,000 (0.38 GiB); the peaks'
    /// variance is 2·10¹², so sampling is 8.5% of it; the 95% quantile widens by
    /// 1.64485 · (1,414,214 − √(1.83·10¹²) = 1,352,775) = 101,058 blocks (0.39 GiB). The CSV gives
    /// each replication's errors in bytes.
    @Test func theReportStatesTheSamplingByHand() throws {
        func replication(_ i: Int, _ peak: Int, _ error: Double) -> ReplicationFigures {
            var r = ReplicationFigures(replication: i, seed: UInt64(i), peakUsed: peak, peakTime: .days(1), finalUsed: peak,
                                       traditionalFinal: 10_000_000, alertTimes: [], fullTime: nil, sentBlocks: nil, samples: [peak])
            r.peakStandardError = error
            r.finalStandardError = 100_000
            return r
        }
        var settings = PlanSettings(runs: 2, jobs: 1)
        settings.sampleRate = 8
        settings.sampleChoice = "auto: an exact plan is estimated at 99 s on 2 cores"
        let plan = PlanResult(scenario: "s", baseSeed: 1, settings: settings, blockSize: 4096, capacityBlocks: 10_000_000, reportUnit: .GiB,
                              horizon: .days(2), sampleInterval: .days(1), alertLevels: [],
                              variants: [VariantResult(label: "base", replications: [replication(0, 1_000_000, 300_000), replication(1, 3_000_000, 500_000)])])
        let md = PlanReport.markdown(plan)
        #expect(md.contains("**Sampled: each replication simulated 1/8 of the address space** (auto: an exact plan is estimated at 99 s on 2 cores): 2 shards of 1/16"))
        #expect(md.contains("one standard deviation of 1.57 GiB on the peak and 0.38 GiB on the final use."))
        #expect(md.contains("(8.5% of the peaks' variance)") && md.contains("by about 0.39 GiB over an exact plan's"))
        let csv = try PlanReport.csv(plan).split(separator: "\n")
        #expect(csv[0].hasSuffix(",peak_sampling_se_bytes,final_sampling_se_bytes") && csv[1].hasSuffix(",1228800000,409600000"))
    }

    /// `auto` for a plan by hand: 1,000 events, 10⁹ blocks written, 100 replications on two
    /// cores. Exact: 100 · (0.014 + 150) / 2 = 7,500 s. At 1/N each replication costs
    /// 2 · 0.014 + 160/N: the plan 1.4 + 8,000/N s, over 30 s at 1/256 (32.65), under at 1/512;
    /// twice that for two variants (1/1024); one replication, (0.028 + 160/N)/2: 40 s at 1/2, 20
    /// at 1/4.
    @Test func autoChoosesForThePlanAsAWhole() {
        let e = WorkEstimate(events: 1000, blocksWritten: 1_000_000_000, logicalBlocks: 0, writes: 0, inStepWrites: 0)
        #expect(abs(WorkEstimate.planSeconds([e], replications: 100, .exact) - 7500.7) < 0.01)
        #expect(abs(WorkEstimate.planSeconds([e], replications: 100, .rate(256)) - 32.65) < 0.01)
        #expect(WorkEstimate.choosePlan([e], replications: 100, shardable: true) == .rate(512))
        #expect(WorkEstimate.choosePlan([e, e], replications: 100, shardable: true) == .rate(1024))
        #expect(WorkEstimate.choosePlan([e], replications: 1, shardable: true) == .rate(4))
        #expect(WorkEstimate.choosePlan([e], replications: 100, shardable: false) == .exact)
    }
}
