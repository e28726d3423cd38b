import BlockModel
import Testing
import Workloads
@testable import Scenario

/// The valid scenario with several edits applied.
func parseEdited(_ edits: [(String, String)]) throws(ScenarioError) -> ScenarioSpec {
    var text = validScenario
    for (old, new) in edits {
        precondition(text.contains(old), "test edit does not apply: \(old)")
        text = text.replacingOccurrences(of: old, with: new)
    }
    return try ScenarioLoader.parse(text, file: "s.yaml")
}

/// The error the edited scenario gives.
func problem(_ edits: [(String, String)]) -> String {
    do { _ = try parseEdited(edits); return "no error" } catch { return error.description }
}

/// `content_pools` and `content` keys: what they read into, and each refusal at its key.
struct ContentLoaderTests {
    static let pools = "content_pools:\n  os: { size: 1GiB, exponent: 1.2 }\n  temp: { size: 64MiB, scope: private }\nvolumes:"
    static let desktopChange = "    change: { rate: 1%, content: { zero: 10%, golden: 20%, pools: { os: 30%, temp: 5% } } }"

    @Test func poolsAndSharesReadAsWritten() throws {
        let spec = try parseEdited([("volumes:", Self.pools), ("    change: 1%", Self.desktopChange),
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

/// `dedup` on volumes and the aggregate's dedup settings.
struct DedupLoaderTests {
    @Test func scheduleAndSettingsReadAsWritten() throws {
        let spec = try parseEdited([("    size: 200GB", "    size: 200GB\n    dedup: { mode: post_process, start: 23h, every: 1d, window: 6h }"),
                              ("    size: 2TiB", "    size: 2TiB\n    dedup: inline"),
                              ("  alerts: [80%, 90%]", "  alerts: [80%, 90%]\n  dedup_metadata: 5%\n  dedup_throughput: 200MiB/s\n  dedup_zero_blocks: false")])
        let d = spec.volumes[0].dedup
        #expect(d?.mode == .postProcess && d?.start == .hours(23) && d?.every == .days(1) && d?.window == .hours(6))
        #expect(spec.volumes[1].dedup?.mode == .inline)
        #expect(spec.aggregate.ontap.dedupMetadataFraction == .percent(5) && spec.aggregate.dedupThroughput == 209_715_200 && !spec.aggregate.ontap.dedupZeroBlocks)
    }

    @Test func refusals() {
        #expect(problem([("    size: 2TiB", "    size: 2TiB\n    dedup: inline"), ("horizon: 30d", "horizon: 30d\nplatform: reflink")])
            == "s.yaml:15:12: volumes.vdi.dedup: found inline dedup on platform reflink; allowed: post_process (ReFS deduplication and FIDEDUPERANGE run as scheduled jobs; inline only on platform ontap)")
        #expect(problem([("    size: 2TiB", "    size: 2TiB\n    dedup: { mode: inline, window: 2h }")])
            == "s.yaml:14:20: volumes.vdi.dedup.mode: found a schedule with mode inline; allowed: start, every and window only with mode post_process")
        #expect(problem([("    size: 2TiB", "    size: 2TiB\n    dedup: { start: 40d }")])
            == "s.yaml:14:21: volumes.vdi.dedup.start: found '40d'; allowed: a duration from 0 to the horizon: a duration such as 90d, 12h, 30m, 45s or 2w")
        #expect(problem([("    size: 2TiB", "    size: 2TiB\n    dedup: nightly")])
            == "s.yaml:14:12: volumes.vdi.dedup: found 'nightly'; allowed: post_process, inline")
        #expect(problem([("  alerts: [80%, 90%]", "  alerts: [80%, 90%]\n  dedup_zero_blocks: false"), ("horizon: 30d", "horizon: 30d\nplatform: reflink")])
            == "s.yaml:8:22: aggregate.dedup_zero_blocks: found dedup_zero_blocks on platform reflink; allowed: dedup_zero_blocks only on platform ontap")
    }
}
