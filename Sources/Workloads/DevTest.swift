import BlockModel
import Engine
import Stochastic

/// Dev/test clones of a production volume: an optional full mirror, groups of FlexClone
/// volumes from a shared Snapshot copy, each with its own change rate and pattern, periodic
/// refreshes from a new Snapshot copy, and destructive-test resets at random intervals.
///
/// Streams (MODEL.md §4): `<workload>/source` for the source's changes, `<workload>/<clone>`
/// for a clone's changes and `<workload>/<clone>/reset` for its reset times, so adding a clone
/// changes no other object's draws.
final class DevTestDriver: WorkloadDriver {
    enum Action: Int { case sourceChange, cloneChange, reset, refresh }

    struct Clone {
        var volume: String
        var group: Int
        var stream: RandomStream
        var resetStream: RandomStream
        var planners: [String: WritePlanner] = [:]
        var resets = 0
    }

    let name: String
    let index: Int
    let spec: DevTestSpec
    let sourceStream: RandomStream
    var sourcePlanners: [String: WritePlanner] = [:]
    let sourceRate: Sampler?
    let groupRates: [Sampler?]
    let resetSamplers: [Sampler?]
    var clones: [Clone] = []
    var mirror: String?
    /// Refresh Snapshot copies, oldest first; the last is the clones' base.
    var snapshots: [String] = []
    var refreshes = 0

    init(name: String, index: Int, spec: DevTestSpec, sim: Simulation) throws(SimulationError) {
        self.name = name
        self.index = index
        self.spec = spec
        sourceStream = sim.stream("\(name)/source")
        sourceRate = try spec.sourceChange.map { (c) throws(SimulationError) in try sim.sampler(c.rate, "\(name).source.change") }
        var rates: [Sampler?] = [], resets: [Sampler?] = []
        for g in spec.groups {
            rates.append(try g.change.map { (c) throws(SimulationError) in try sim.sampler(c.rate, "\(name).clones.\(g.name).change") })
            resets.append(try g.resetInterval.map { (r) throws(SimulationError) in try sim.sampler(r, "\(name).clones.\(g.name).resets") })
        }
        groupRates = rates
        resetSamplers = resets
        for (gi, g) in spec.groups.enumerated() {
            for i in 0..<g.count {
                let volume = "\(name)-\(g.name)-\(i + 1)"
                clones.append(Clone(volume: volume, group: gi, stream: sim.stream("\(name)/\(volume)"),
                                    resetStream: sim.stream("\(name)/\(volume)/reset")))
            }
        }
    }

    func start(_ sim: Simulation) throws(SimulationError) {
        guard sim.storage.hasVolume(spec.source) else {
            throw SimulationError("\(name): source volume '\(spec.source)' was not created")
        }
        if spec.mirror { makeMirror(sim) }
        takeSnapshot(sim)
        for ci in clones.indices { createClone(ci, sim) }
        if let c = spec.sourceChange { sim.schedule(index, at: c.interval, action: Action.sourceChange.rawValue) }
        for (ci, clone) in clones.enumerated() {
            if let c = spec.groups[clone.group].change { sim.schedule(index, at: c.interval, action: Action.cloneChange.rawValue, target: ci) }
            scheduleReset(ci, sim)
        }
        if let r = spec.refreshEvery { sim.schedule(index, at: r, action: Action.refresh.rawValue) }
    }

    func makeMirror(_ sim: Simulation) {
        let name = "\(spec.source)-mirror"
        guard let size = try? sim.storage.volumeSizeBlocks(spec.source),
              let paths = try? sim.storage.filePaths(spec.source) else { return }
        let guarantee = sim.spec.volumes.first { $0.name == spec.source }?.guarantee ?? .none
        guard sim.perform(self.name, "create_volume", [name], detail: "full mirror of \(spec.source)", { try $0.createVolume(name, sizeBlocks: size, guarantee: guarantee, snapLock: false)
        }) != nil else { return }
        for path in paths {
            sim.perform(self.name, "copy_file", ["\(name)/\(path)", "\(spec.source)/\(path)"]) { try $0.copyFile(spec.source, path, toVolume: name, as: path)
            }
        }
        mirror = name
    }

    func takeSnapshot(_ sim: Simulation) {
        let snapshot = "\(name).refresh.\(refreshes)"
        if sim.perform(name, "snapshot", ["\(spec.source)@\(snapshot)"], { try $0.createSnapshot(spec.source, snapshot)
        }) != nil {
            snapshots.append(snapshot)
        }
    }

    func createClone(_ ci: Int, _ sim: Simulation) {
        guard let base = snapshots.last else { return }
        let volume = clones[ci].volume
        if sim.perform(name, "clone_volume", [volume, "\(spec.source)@\(base)"], { try $0.cloneVolume(volume, parent: spec.source, snapshot: base)
        }) == nil {
            sim.result.limits.refusedClones += 1
        }
        clones[ci].planners = [:]
    }

    func destroyClone(_ ci: Int, _ sim: Simulation) {
        let volume = clones[ci].volume
        guard sim.storage.hasVolume(volume) else { return }
        sim.perform(name, "destroy", [volume]) { try $0.destroyVolume(volume) }
    }

    func scheduleReset(_ ci: Int, _ sim: Simulation) {
        guard let sampler = resetSamplers[clones[ci].group] else { return }
        // Interval in seconds; at least one second so a bad draw cannot stall the clock.
        let seconds = max(1, sampler.draw(clones[ci].resetStream))
        sim.schedule(index, at: sim.now + SimTime(nanoseconds: Int64(min(seconds, 1e10) * 1e9)), action: Action.reset.rawValue,
                     target: ci)
    }

    func handle(action: Int, target: Int, in sim: Simulation) {
        switch Action(rawValue: action) {
        case .sourceChange:
            guard let c = spec.sourceChange, let rate = sourceRate else { return }
            sim.change(name, volume: spec.source, fraction: rate.draw(sourceStream), planners: &sourcePlanners, change: c,
                       stream: sourceStream, mirror: mirror)
            sim.schedule(index, at: sim.now + c.interval, action: action)
        case .cloneChange:
            let g = clones[target].group
            guard let c = spec.groups[g].change, let rate = groupRates[g] else { return }
            if sim.storage.hasVolume(clones[target].volume) {
                let fraction = rate.draw(clones[target].stream)
                sim.change(name, volume: clones[target].volume, fraction: fraction, planners: &clones[target].planners, change: c,
                           stream: clones[target].stream)
            }
            sim.schedule(index, at: sim.now + c.interval, action: action, target: target)
        case .reset:
            destroyClone(target, sim)
            createClone(target, sim)
            clones[target].resets += 1
            scheduleReset(target, sim)
        case .refresh:
            refreshes += 1
            takeSnapshot(sim)
            for ci in clones.indices {
                destroyClone(ci, sim)
                createClone(ci, sim)
            }
            // Old refresh Snapshot copies beyond the retained number go, oldest first.
            while snapshots.count > spec.retainSnapshots + 1 {
                let old = snapshots.removeFirst()
                sim.perform(name, "delete_snapshot", ["\(spec.source)@\(old)"]) { try $0.deleteSnapshot(spec.source, old)
                }
            }
            if let r = spec.refreshEvery { sim.schedule(index, at: sim.now + r, action: action) }
        case nil:
            return
        }
    }

    func finish(_ sim: Simulation) {
        let resets = clones.reduce(0) { $0 + $1.resets }
        sim.result.notes.append("\(name): \(clones.count) clone volumes of '\(spec.source)'"
            + (mirror.map { ", full mirror '\($0)'" } ?? "") + ", \(refreshes) refreshes, \(resets) destructive-test resets.")
    }
}
