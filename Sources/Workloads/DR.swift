import BlockModel
import Engine
import Stochastic

/// Disaster recovery (the FlexClone seed's DR use case, MODEL.md §1 Replication): source
/// volumes replicated to a second ONTAP aggregate, dev/test clones and DR tests on the
/// destination copies while replication goes on.
///
/// Transfers share the link one at a time: an update leaves when the link is free and takes
/// its size over the bandwidth. An update that comes due while the relationship's previous
/// transfer is still running is skipped and counted as a missed recovery point. The
/// destination reflects an update from the moment it is scheduled [choice: the transfer time
/// decides the recovery point, not when the destination's space is taken].
///
/// Streams: `<workload>/source` for the sources' changes, `<workload>/<clone>` for a clone's,
/// `<workload>/tests` for the DR tests' writes.
final class DRDriver: WorkloadDriver {
    enum Action: Int { case update, sourceChange, createClones, cloneChange, refresh, test, endTest }

    struct Clone {
        var volume: String
        var group: Int
        var stream: RandomStream
        var planners: [String: WritePlanner] = [:]
        var exists = false
    }

    let name: String
    let index: Int
    let spec: DRSpec
    var destination: Aggregate
    var link = ReplicationLink()
    let sourceStream: RandomStream
    let testStream: RandomStream
    var sourcePlanners: [String: [String: WritePlanner]] = [:]
    let sourceRate: Sampler?
    let groupRates: [Sampler?]
    var clones: [Clone] = []
    /// When each relationship's last transfer ends, and when the link is next free.
    var busyUntil: [SimTime]
    var linkFree = SimTime.zero
    var tests = 0
    /// This workload's entry in `RunResult.replications`.
    var slot = 0

    init(name: String, index: Int, spec: DRSpec, sim: Simulation) throws(SimulationError) {
        self.name = name
        self.index = index
        self.spec = spec
        var profile = sim.spec.aggregate.ontap
        if let version = spec.ontapVersion { profile.version = version }
        profile.dedupBlocksPerSecond = sim.spec.aggregate.dedupThroughput / Double(profile.blockSize)
        destination = Aggregate(name: spec.destinationName, capacityBlocks: min(Simulation.storeLimit, Simulation.blocks(spec.destinationCapacityBytes, profile.blockSize)),
                                profile: profile)
        destination.checksInvariants = false
        sourceStream = sim.stream("\(name)/source")
        testStream = sim.stream("\(name)/tests")
        sourceRate = try spec.sourceChange.map { (c) throws(SimulationError) in try sim.sampler(c.rate, "\(name).change") }
        groupRates = try spec.clones.map { g throws(SimulationError) in
            try g.change.map { (c) throws(SimulationError) in try sim.sampler(c.rate, "\(name).clones.\(g.name).change") }
        }
        busyUntil = Array(repeating: .zero, count: spec.relationships.count)
        for r in spec.relationships {
            do {
                try link.addRelationship(source: r.source, destination: r.destination, kind: r.kind, keepSource: r.keepSource,
                                         keepDestination: r.keepDestination, destinationDedup: r.destinationDedup)
            } catch { throw SimulationError("\(name): \(error.description)") }
        }
        for (gi, g) in spec.clones.enumerated() {
            for i in 0..<g.count {
                let volume = "\(name)-\(g.name)-\(i + 1)"
                clones.append(Clone(volume: volume, group: gi, stream: sim.stream("\(name)/\(volume)")))
            }
        }
        var result = ReplicationResult(destination: spec.destinationName, capacityBlocks: destination.capacityBlocks, bandwidth: spec.bandwidth)
        result.relationships = spec.relationships.map { .init(source: $0.source, destination: $0.destination, kind: $0.kind, every: $0.every) }
        slot = sim.result.replications.count
        sim.result.replications.append(result)
    }

    func start(_ sim: Simulation) throws(SimulationError) {
        // A source that is a clone volume made later (by an events or devtest workload) is checked at
        // each update: the model refuses an update of a volume that does not exist (yet).
        let declared = Set(sim.spec.volumes.map(\.name))
        for r in spec.relationships where declared.contains(r.source) && !sim.storage.hasVolume(r.source) {
            throw SimulationError("\(name): source volume '\(r.source)' was not created")
        }
        for (k, r) in spec.relationships.enumerated() { sim.schedule(index, at: r.start, action: Action.update.rawValue, target: k) }
        if let c = spec.sourceChange { sim.schedule(index, at: c.interval, action: Action.sourceChange.rawValue) }
        for (gi, g) in spec.clones.enumerated() { sim.schedule(index, at: g.start, action: Action.createClones.rawValue, target: gi) }
        if let t = spec.tests { sim.schedule(index, at: t.start, action: Action.test.rawValue) }
    }

    func handle(action: Int, target: Int, in sim: Simulation) {
        switch Action(rawValue: action) {
        case .update:
            update(target, sim)
            sim.schedule(index, at: sim.now + spec.relationships[target].every, action: action, target: target)
        case .sourceChange:
            guard let c = spec.sourceChange, let sourceRate else { return }
            for volume in Set(spec.relationships.map(\.source)).sorted() {
                sim.change(name, volume: volume, fraction: sourceRate.draw(sourceStream), planners: &sourcePlanners[volume, default: [:]],
                           change: c, stream: sourceStream)
            }
            sim.schedule(index, at: sim.now + c.interval, action: action)
        case .createClones:
            for ci in clones.indices where clones[ci].group == target { createClone(ci, sim) }
            let g = spec.clones[target]
            if let r = g.refreshEvery { sim.schedule(index, at: sim.now + r, action: Action.refresh.rawValue, target: target) }
        case .cloneChange:
            guard let c = spec.clones[clones[target].group].change, let rate = groupRates[clones[target].group] else { return }
            if clones[target].exists {
                let fraction = rate.draw(clones[target].stream)
                write(clones[target].volume, fraction: fraction, planners: &clones[target].planners, change: c, stream: clones[target].stream, sim)
            }
            sim.schedule(index, at: sim.now + c.interval, action: action, target: target)
        case .refresh:
            for ci in clones.indices where clones[ci].group == target {
                destroy(clones[ci].volume, sim)
                clones[ci].exists = false
                createClone(ci, sim, rescheduleChange: false)
            }
            if let r = spec.clones[target].refreshEvery { sim.schedule(index, at: sim.now + r, action: action, target: target) }
        case .test:
            guard let t = spec.tests else { return }
            tests += 1
            let volume = "\(name)-drtest-\(tests)"
            if clone(volume, of: t.of, from: t.snapshot, sim) {
                var planners: [String: WritePlanner] = [:]
                var change = ChangeSpec(rate: .constant(t.change.doubleValue))
                change.writeSize = .constant(1_048_576)
                write(volume, fraction: t.change.doubleValue, exact: t.change, planners: &planners, change: change, stream: testStream, sim)
                sim.result.replications[slot].drTests += 1
                sim.schedule(index, at: sim.now + t.duration, action: Action.endTest.rawValue, target: tests)
            }
            sim.schedule(index, at: sim.now + t.every, action: action)
        case .endTest:
            destroy("\(name)-drtest-\(target)", sim)
        case nil:
            return
        }
    }

    /// One scheduled update of relationship `k`.
    func update(_ k: Int, _ sim: Simulation) {
        let r = spec.relationships[k]
        var record = ReplicationRecord(time: sim.now, destination: r.destination)
        guard busyUntil[k] <= sim.now else {
            record.missed = true
            sim.bound(.rpo)
            sim.result.replications[slot].updates.append(record)
            sim.record(name, "snapmirror_update", r.destination, outcome: "missed",
                       "the previous transfer runs \(Self.seconds(busyUntil[k] - sim.now)) more: recovery point missed")
            return
        }
        let outcome = sim.perform(name, "snapmirror_update", [r.destination, r.source], log: false) { storage in
            // The source aggregate is taken out of the simulation while it is updated, so it is
            // changed in place rather than copied.
            var source = storage as! Aggregate
            storage = Aggregate(name: "", capacityBlocks: 0)
            defer { storage = source }
            return try link.update(r.destination, source: &source, destination: &destination)
        }
        guard let u = outcome else {
            record.refusal = sim.result.events.last?.detail ?? "refused"
            sim.result.replications[slot].updates.append(record)
            return
        }
        record.baseline = u.baseline
        record.changedBlocks = u.changedBlocks
        record.transferredBlocks = u.transferredBlocks
        record.start = max(sim.now, linkFree)
        record.duration = SimTime(nanoseconds: Int64((Double(u.transferredBlocks * sim.blockSize) / spec.bandwidth * 1e9).rounded()))
        linkFree = record.start + record.duration
        busyUntil[k] = linkFree
        record.lockedSnapshots = u.lockedSnapshots.count
        record.storedBlocks = (try? destination.chargedBlocks(r.destination)) ?? 0
        record.lockedHeldBlocks = lockedHeld(r)
        sim.result.replications[slot].updates.append(record)
        sim.record(name, u.baseline ? "snapmirror_baseline" : "snapmirror_update", r.destination,
                   "\(u.transferredBlocks) blocks sent in \(Self.seconds(record.duration))"
                       + (u.lockedSnapshots.isEmpty ? "" : "; \(u.lockedSnapshots.count) Snapshot copies locked by clones"))
    }

    static func seconds(_ t: SimTime) -> String { "\(Int64((t.seconds).rounded())) s" }

    /// A FlexClone volume of destination volume `of` from the chosen replicated Snapshot copy.
    func clone(_ volume: String, of: String, from choice: SnapshotChoice, _ sim: Simulation) -> Bool {
        let names = (try? destination.snapshotNames(of)) ?? []
        let picked: String?
        switch choice {
        case .newest: picked = names.last
        case .oldest: picked = names.first
        case .named(let n): picked = n
        }
        guard let snapshot = picked else {
            sim.record(name, "clone_volume", volume, outcome: "failed", "no replicated Snapshot copy of '\(of)' yet")
            return false
        }
        do {
            try destination.createVolumeClone(volume, parent: of, snapshot: snapshot)
            sim.record(name, "clone_volume", "\(spec.destinationName):\(volume) \(of)@\(snapshot)")
            return true
        } catch {
            sim.record(name, "clone_volume", "\(spec.destinationName):\(volume)", outcome: "failed", refusalText(error))
            return false
        }
    }

    func createClone(_ ci: Int, _ sim: Simulation, rescheduleChange: Bool = true) {
        let g = spec.clones[clones[ci].group]
        clones[ci].exists = clone(clones[ci].volume, of: g.of, from: g.snapshot, sim)
        clones[ci].planners = [:]
        if rescheduleChange, let c = g.change { sim.schedule(index, at: sim.now + c.interval, action: Action.cloneChange.rawValue, target: ci) }
    }

    func destroy(_ volume: String, _ sim: Simulation) {
        guard destination.hasVolume(volume) else { return }
        do {
            try destination.destroyVolume(volume)
            sim.record(name, "destroy", "\(spec.destinationName):\(volume)")
        } catch {
            sim.record(name, "destroy", "\(spec.destinationName):\(volume)", outcome: "failed", refusalText(error))
        }
    }

    /// Overwrites `fraction` of every file of a destination volume with new data.
    func write(_ volume: String, fraction: Double, exact: Ratio? = nil, planners: inout [String: WritePlanner], change: ChangeSpec,
               stream: RandomStream, _ sim: Simulation) {
        for path in (try? destination.filePaths(volume)) ?? [] {
            guard let size = try? destination.fileSizeBlocks(volume, path) else { continue }
            let runs = sim.plan(name, path: path, size: size, fraction: fraction, exact: exact, planners: &planners, change: change, stream: stream)
            for run in runs {
                do {
                    let first = sim.newContent(run.count)
                    try destination.write(volume, path, at: run.start, contents: (0..<UInt64(run.count)).map { first + $0 })
                } catch {
                    sim.record(name, "write", "\(spec.destinationName):\(volume)/\(path)", outcome: "failed", refusalText(error))
                    sim.result.limits.failedWrites += 1
                    return
                }
            }
        }
    }

    /// The blocks only relationship `r`'s locked destination copies hold.
    /// - Complexity: reads every block of those copies; nothing when none is locked.
    func lockedHeld(_ r: RelationshipSpec) -> Int {
        guard let copies = link.relationships[r.destination]?.destinationSnapshots.dropLast(r.keepDestination), !copies.isEmpty
        else { return 0 }
        return (try? destination.blocksHeldOnly(by: Array(copies), of: r.destination)) ?? 0
    }

    /// The destination's use, and what its locked copies hold (at samples only: it reads
    /// every block of the volume's copies).
    func sample(_ sim: Simulation) {
        let locked = spec.relationships.reduce(0) { $0 + lockedHeld($1) }
        sim.result.replications[slot].samples.append(DestinationSample(time: sim.now, physicalUsed: destination.physicalUsedBlocks,
                                                                 logicalUsed: destination.logicalUsedBlocks, lockedBlocks: locked))
    }

    func finish(_ sim: Simulation) {
        var locked: [LockedSnapshot] = []
        for r in spec.relationships where destination.hasVolume(r.destination) {
            for s in (try? destination.snapshotNames(r.destination)) ?? [] {
                guard let c = try? destination.clones(of: r.destination, snapshot: s), !c.isEmpty,
                      !(link.relationships[r.destination]?.destinationSnapshots.suffix(r.keepDestination).contains(s) ?? false) else { continue }
                locked.append(LockedSnapshot(volume: r.destination, snapshot: s, clones: c,
                                             heldBlocks: (try? destination.blocksHeldOnly(by: [s], of: r.destination)) ?? 0))
            }
        }
        sim.result.replications[slot].lockedAtEnd = locked
        for (k, r) in spec.relationships.enumerated() where destination.hasVolume(r.destination) {
            sim.result.replications[slot].relationships[k].charged = (try? destination.chargedBlocks(r.destination)) ?? 0
            sim.result.replications[slot].relationships[k].logicalUsed = (try? destination.logicalUsedBlocks(r.destination)) ?? 0
        }
        #if CLONESIM_INVARIANTS
        let problems = destination.invariantViolations()
        precondition(problems.isEmpty, "destination invariants broken: \(problems.prefix(5))")
        #endif
        let sent = sim.result.replications[slot].updates.reduce(0) { $0 + $1.transferredBlocks } ?? 0
        sim.result.notes.append("\(name): \(spec.relationships.count) relationships to aggregate '\(spec.destinationName)', "
            + "\(sent) blocks sent; \(clones.filter(\.exists).count) dev/test clones and \(tests) DR tests on the destination.")
    }
}
