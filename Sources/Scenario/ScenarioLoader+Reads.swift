import Engine
import Workloads

/// The Flash Cache (`aggregate.flash_cache`) and what desktops read through it (`reads`).
extension ScenarioLoader {
    static func readFlashCache(_ node: ScenarioNode, _ spec: inout ScenarioSpec) throws(ScenarioError) {
        let f = try Fields(node, allowed: aggregateKeys)
        guard let c = f["flash_cache"] else { return }
        try only([.ontap], c, spec, "flash_cache", "flash_cache only on platform ontap (ReFS and Linux cache pages per file)")
        let bytes = try c.bytes()
        guard bytes > 0 else { throw c.error(found: c.shown, allowed: "a size above zero") }
        spec.aggregate.flashCacheBytes = bytes
    }

    /// `reads: { boot_set, boot_at, boot_every, boot_chunk, steady }` of a vdi workload.
    static func readReads(_ node: ScenarioNode, spec: ScenarioSpec) throws(ScenarioError) -> VDIReadSpec {
        guard spec.aggregate.flashCacheBytes != nil else {
            throw node.error(found: "reads without a Flash Cache", allowed: "reads with aggregate.flash_cache set (they are counted against it)")
        }
        let f = try Fields(node, allowed: ["boot_set", "boot_at", "boot_every", "boot_chunk", "steady"])
        let set = try f.required("boot_set", "the bytes each desktop reads at boot, e.g. 512MiB")
        var reads = VDIReadSpec(bootSetBytes: try set.bytes())
        guard reads.bootSetBytes > 0 else { throw set.error(found: set.shown, allowed: "a size above zero") }
        if let a = f["boot_at"] { reads.bootAt = try a.string() == "0" ? .zero : try a.duration() }
        if let e = f["boot_every"] { reads.bootEvery = try e.string() == "never" ? nil : try e.duration() }
        if let c = f["boot_chunk"] {
            reads.bootChunkBytes = try c.bytes()
            guard reads.bootChunkBytes > 0 else { throw c.error(found: c.shown, allowed: "a size above zero") }
        }
        if let s = f["steady"] { reads.steady = try readChange(s, content: nil, reads: true) }
        return reads
    }
}
