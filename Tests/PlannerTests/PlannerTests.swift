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
