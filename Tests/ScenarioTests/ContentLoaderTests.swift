import Testing
import Workloads
@testable import Scenario

/// `content_pools` and `content` keys: what they read into, and each refusal at its key.
struct ContentLoaderTests {
    static let pools = "content_pools:\n  os: { size: 1GiB, exponent: 1.2 }\n  temp: { size: 64MiB, scope: private }\nvolumes:"
    static let desktopChange = "    change: { rate: 1%, content: { zero: 10%, golden: 20%, pools: { os: 30%, temp: 5% } } }"

    func parse(_ edits: [(String, String)]) throws(ScenarioError) -> ScenarioSpec {
        var text = validScenario
        for (old, new) in edits {
            precondition(text.contains(old), "test edit does not apply: \(old)")
            text = text.replacingOccurrences(of: old, with: new)
        }
        return try ScenarioLoader.parse(text, file: "s.yaml")
    }

    func problem(_ edits: [(String, String)]) -> String {
        do { _ = try parse(edits); return "no error" } catch { return error.description }
    }

    @Test func poolsAndSharesReadAsWritten() throws {
        let spec = try parse([("volumes:", Self.pools), ("    change: 1%", Self.desktopChange),
                              ("{ size: 100GB, used: 100% }", "{ size: 100GB, used: 100%, content: { zero: 25% } }")])
        var os = ContentPoolSpec(name: "os", sizeBytes: 1 << 30)
        os.exponent = 1.2
        var temp = ContentPoolSpec(name: "temp", sizeBytes: 64 << 20)
        temp.scope = .private
        #expect(spec.contentPools == [os, temp])
        guard case .vdi(let v) = spec.workloads[1].kind, let c = v.change?.content else { Issue.record("vdi content"); return }
        #expect(c.zero == 0.1 && c.golden == 0.2 && c.pools == [.init(pool: "os", share: 0.3), .init(pool: "temp", share: 0.05)])
        #expect(abs(c.unique - 0.35) < 1e-12)
        #expect(spec.volumes[0].files[0].content?.zero == 0.25)
    }

    @Test func refusals() {
        #expect(problem([("volumes:", Self.pools), ("    change: 1%", "    change: { rate: 1%, content: { pools: { linux: 30% } } }")])
            == "s.yaml:36:52: workloads.desktops.change.content.pools.linux: found pool 'linux'; allowed: os, temp")
        #expect(problem([("    change: 1%", "    change: { rate: 1%, content: { pools: { os: 30% } } }")])
            == "s.yaml:33:49: workloads.desktops.change.content.pools.os: found pool 'os'; allowed: a pool declared under content_pools (none is)")
        #expect(problem([("volumes:", Self.pools), ("    change: 1%", "    change: { rate: 1%, content: { zero: 50%, pools: { os: 60% } } }")])
            == "s.yaml:36:34: workloads.desktops.change.content: found shares adding up to 110%; allowed: shares adding up to at most 100% (the rest is unique data)")
        #expect(problem([("pattern: hotspot, write_size: 64KiB }", "pattern: hotspot, write_size: 64KiB, content: { golden: 5% } }")])
            == "s.yaml:25:128: workloads.devtest.clones.dev.change.content.golden: found a golden share here; allowed: golden only in a vdi workload's change (desktops copy their image)")
        #expect(problem([("volumes:", "content_pools:\n  os: { size: 1TiB }\nvolumes:")])
            == "s.yaml:8:15: content_pools.os.size: found '1TiB'; allowed: at most 190 GiB (50000000 blocks of 4 KiB)")
        #expect(problem([("volumes:", "content_pools:\n  os: { size: 1GiB, exponent: -1 }\nvolumes:")])
            == "s.yaml:8:31: content_pools.os.exponent: found '-1'; allowed: a number from 0 (uniform) to 10")
        #expect(problem([("volumes:", "content_pools:\n  os: { size: 1GiB, scope: global }\nvolumes:")])
            == "s.yaml:8:28: content_pools.os.scope: found 'global'; allowed: shared, private")
    }
}
