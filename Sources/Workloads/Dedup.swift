import BlockModel
import Engine

/// Runs each deduplicating volume's post-process schedule. A run covers the volume and the
/// clones made from it (they inherit its dedup setting, as FlexClone volumes do), and its
/// duration is checked against the window.
final class DedupDriver: WorkloadDriver {
    let name = "dedup"
    let index: Int
    let volumes: [VolumeSpec]

    init(index: Int, volumes: [VolumeSpec]) {
        self.index = index
        self.volumes = volumes.filter { $0.dedup?.mode == .postProcess }
    }

    func start(_ sim: Simulation) throws(SimulationError) {
        for (k, v) in volumes.enumerated() { sim.schedule(index, at: v.dedup!.start, action: 0, target: k) }
    }

    func handle(action: Int, target k: Int, in sim: Simulation) {
        let v = volumes[k], schedule = v.dedup!
        for name in family(v.name, sim) {
            // A pilot only counts: what the run would process is what the estimate needs.
            let runDedup: (inout any Storage) throws -> DedupRun = sim.isPilot
                ? { var run = DedupRun(); run.processedBlocks = try $0.skipDedupRun(name); return run }
                : { try $0.runDedup(name) }
            guard let run = sim.perform(name, "dedup_run", [name], log: false, runDedup) else { continue }
            let record = DedupRecord(time: sim.now, volume: name, run: run, duration: SimTime(nanoseconds: Int64((run.seconds * 1e9).rounded())),
                                     window: schedule.window)
            sim.result.dedupRuns.append(record)
            sim.record(self.name, "dedup_run", name, outcome: record.outcome, record.detail)
        }
        sim.schedule(index, at: sim.now + schedule.every, action: 0, target: k)
    }

    /// The volume and every deduplicating clone descended from it, by name.
    func family(_ root: String, _ sim: Simulation) -> [String] {
        sim.storage.volumeNames.filter { name in
            guard (try? sim.storage.dedupMode(name)) == .postProcess else { return false }
            var v = name
            while let p = sim.storage.cloneParent(v) { v = p }
            return v == root
        }.sorted()
    }

    func finish(_ sim: Simulation) {}
}
