import BlockModel
import Engine
import Testing
@testable import Workloads

/// The seed's dev/test example as a workload: a 100 GB database volume, a full mirror, 3 dev
/// and 3 test FlexClone volumes each overwriting 10% → 260 GB with clones vs 800 GB with
/// eight full copies.
func seedDevTest(gb: Int = 100, dev: Int = 3, test: Int = 3) -> ScenarioSpec {
    var spec = ScenarioSpec(name: "seed", horizon: .days(1), sampleInterval: .days(1),
                            aggregate: AggregateSpec(capacityBytes: 2_000_000_000_000))
    spec.reportUnit = .GB
    var volume = VolumeSpec(name: "prod", sizeBytes: 2 * gb * 1_000_000_000)
    volume.files = [FileSpec(path: "db.dat", sizeBytes: gb * 1_000_000_000)]
    spec.volumes = [volume]
    var devtest = DevTestSpec(source: "prod")
    devtest.mirror = true
    var change = ChangeSpec(rate: .constant(0.10))
    change.pattern = .sequential
    change.writeSize = .constant(1_048_576)
    for (name, count) in [("dev", dev), ("test", test)] {
        var group = CloneGroupSpec(name: name, count: count)
        group.change = change
        devtest.groups.append(group)
    }
    spec.workloads = [WorkloadSpec(name: "devtest", kind: .devtest(devtest))]
    return spec
}

@Suite struct DevTestWorkloadTests {
    @Test func seedExampleGives260Versus800() throws {
        let result = try Simulation(seedDevTest()).run()
        // 100 GB = 24,414,062.5 blocks of 4 KiB → 24,414,063; 10% of it → 2,441,406.
        let db = 24_414_063, changed = 2_441_406
        let last = try #require(result.samples.last)
        #expect(last.time == .days(1))
        #expect(last.physicalUsed == 2 * db + 6 * changed)
        #expect(last.traditionalUsed == 8 * db)
        #expect(abs(Double(last.physicalUsed * 4096) / 1e9 - 260) < 0.001)
        #expect(abs(Double(last.traditionalUsed * 4096) / 1e9 - 800) < 0.001)
        // Before the clones write (time 0): source + mirror only.
        #expect(result.samples.first?.physicalUsed == 2 * db)
        let clones = result.objects.filter { $0.kind == .volume && $0.name.hasPrefix("devtest-") }
        #expect(clones.count == 6)
        #expect(clones.allSatisfy { $0.charged == changed && $0.logicalUsed == db })
        #expect(result.limits == Limits())
    }

    @Test func sameSeedSameResultDifferentSeedDifferentDraws() throws {
        func run(seed: UInt64) throws -> RunResult {
            var spec = seedDevTest(gb: 1)
            spec.seed = seed
            spec.horizon = .days(5)
            guard case .devtest(var d) = spec.workloads[0].kind else { throw SimulationError("shape") }
            var change = ChangeSpec(rate: RandomVariable(.lognormal(zeta: -4, sigma: 0.5)))
            change.writeSize = .constant(65536)
            d.groups[0].change = change
            spec.workloads[0].kind = .devtest(d)
            return try Simulation(spec).run()
        }
        let a = try run(seed: 1), b = try run(seed: 1), c = try run(seed: 2)
        #expect(a.samples == b.samples && a.objects == b.objects && a.events == b.events)
        #expect(a.samples.last?.physicalUsed != c.samples.last?.physicalUsed)
    }
}
