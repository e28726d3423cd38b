import Engine
import Testing
@testable import Scenario
@testable import Workloads

/// `aggregate.flash_cache` and a vdi workload's `reads`: what they read into, and each refusal
/// at its key.
struct ReadsLoaderTests {
    static let cache = ("  alerts: [80%, 90%]", "  alerts: [80%, 90%]\n  flash_cache: 512GiB")
    static let reads = ("    change: 1%", """
            change: 1%
            reads:
              boot_set: 300MiB
              boot_at: 7h
              boot_every: 12h
              boot_chunk: 1MiB
              steady: { rate: 5%, every: 1d, pattern: hotspot, read_size: 64KiB }
        """)

    @Test func cacheAndReadsReadAsWritten() throws {
        let spec = try parseEdited([Self.cache, Self.reads])
        #expect(spec.aggregate.flashCacheBytes == 512 << 30)
        guard case .vdi(let v) = spec.workloads[1].kind, let r = v.reads else { Issue.record("no reads"); return }
        #expect(r.bootSetBytes == 300 << 20 && r.bootAt == .hours(7) && r.bootEvery == .hours(12) && r.bootChunkBytes == 1 << 20)
        #expect(r.steady?.interval == .days(1) && r.steady?.pattern == .hotspot(regions: 100, exponent: 1))
        #expect(r.steady?.writeSize.distribution == .constant(value: 65536))
        let once = try parseEdited([Self.cache, ("    change: 1%", "    change: 1%\n    reads: { boot_set: 1GiB, boot_every: never }")])
        guard case .vdi(let w) = once.workloads[1].kind else { return }
        #expect(w.reads?.bootEvery == nil && w.reads?.bootAt == .hours(8) && w.reads?.steady == nil)
    }

    @Test func refusals() {
        #expect(problem([Self.reads]) == "s.yaml:35:7: workloads.desktops.reads: found reads without a Flash Cache; allowed: reads with aggregate.flash_cache set (they are counted against it)")
        #expect(problem([Self.cache, ("horizon: 30d", "horizon: 30d\nplatform: refs")]).contains(
            "flash_cache: found flash_cache on platform refs; allowed: flash_cache only on platform ontap"))
        #expect(problem([("  alerts: [80%, 90%]", "  alerts: [80%, 90%]\n  flash_cache: 0")])
            == "s.yaml:7:16: aggregate.flash_cache: found '0'; allowed: a positive size: a size such as 100GiB, 500 GB or 4096 (bytes); "
            + "KiB/MiB/GiB/TiB are powers of 2, KB/MB/GB/TB powers of 10")
        #expect(problem([Self.cache, ("    change: 1%", "    change: 1%\n    reads: { boot_at: 8h }")])
            .contains("no 'boot_set'"))
        #expect(problem([Self.cache, ("    change: 1%", "    change: 1%\n    reads: { boot_set: 1GiB, steady: { rate: 1%, content: { zero: 1% } } }")])
            .contains("content"))
        #expect(problem([Self.cache, ("    change: 1%", "    change: 1%\n    reads: { boot_set: 1GiB, steady: { rate: 1%, write_size: 4KiB } }")])
            .contains("write_size"))
    }
}
