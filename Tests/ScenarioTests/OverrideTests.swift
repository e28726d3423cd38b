import Engine
import Testing
@testable import Scenario
@testable import Workloads

/// `--vary` overrides: a key set by its dotted path before the file is read.
struct OverrideTests {
    func parse(_ overrides: [(String, String)]) throws(ScenarioError) -> ScenarioSpec {
        try ScenarioLoader.parse(validScenario, file: "s.yaml", overrides: overrides.map { Override(key: $0.0, value: $0.1) })
    }

    @Test func valuesReplaceWhatTheFileSays() throws {
        let spec = try parse([("workloads.devtest.clones.dev.count", "12"), ("aggregate.capacity", "12TiB"),
                              ("workloads.whatif.operations.0.at", "2d"), ("seed", "77")])
        guard case .devtest(let d) = spec.workloads[0].kind, case .events(let e) = spec.workloads[2].kind else {
            Issue.record("workload kinds")
            return
        }
        #expect(d.groups[0].count == 12 && spec.aggregate.capacityBytes == 12 << 40 && e.operations[0].at == .days(2) && spec.seed == 77)
        // A flow mapping as the value, and a key the file leaves at its default.
        let more = try parse([("workloads.desktops.change", "{ rate: 3%, every: 12h }"), ("workloads.devtest.retain_snapshots", "2")])
        guard case .vdi(let v) = more.workloads[1].kind, case .devtest(let d2) = more.workloads[0].kind else { return }
        #expect(v.change?.interval == .hours(12) && d2.retainSnapshots == 2)
    }

    @Test func badPathsAndValuesSayWhere() {
        func problem(_ key: String, _ value: String) -> String {
            do { _ = try parse([(key, value)]); return "no error" } catch { return error.description }
        }
        #expect(problem("workloads.devtset.clones.dev.count", "3")
            == "s.yaml:1:1: --vary workloads.devtset.clones.dev.count: found no key 'devtset' in workloads; allowed: devtest, desktops, whatif")
        #expect(problem("workloads.whatif.operations.5.at", "1d")
            == "s.yaml:1:1: --vary workloads.whatif.operations.5.at: found '5' in the list workloads.whatif.operations; allowed: an item number from 0 to 2")
        // A bad value is reported where the key is in the file.
        #expect(problem("workloads.devtest.clones.dev.count", "300")
            == "s.yaml:24:16: workloads.devtest.clones.dev.count: found '300'; allowed: a whole number from 1 to 255")
    }
}
