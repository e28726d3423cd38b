import BlockModel
import Engine
import Stochastic

/// Virtual desktops from a golden image, provisioned one batch of `parallel` at a time as
/// FlexClone files (in the image's volume) or FlexClone volumes (of the image's volume, from a
/// base Snapshot copy). Past 255 clones of one source the limit strategy applies; the
/// seed's advice is to make a full copy and clone the next ones from it.
///
/// Non-persistent desktops are deleted and re-cloned at their refresh interval. A recompose
/// rewrites part of the image in place (a new version), then moves the desktops to it at the
/// provisioning rate: until the last has moved, both generations are on disk.
///
/// Reads (`reads`) go through the Flash Cache: boot storms of every desktop at once, and
/// steady reads of every desktop at the end of each interval (one record per interval).
///
/// Streams: `<workload>/<desktop>` per desktop, `<workload>/image` for the recompose,
/// `<workload>/<desktop>/reads` and `<workload>/boots` for reads (so reads change no write).
final class VDIDriver: WorkloadDriver {
    enum Action: Int { case provision, change, refresh, recompose, move, boot, read }

    struct Source {
        var volume: String
        var path: String
        /// Base Snapshot copy (volume clones).
        var snapshot: String?
        /// Clones of this generation made from it.
        var clones = 0
    }

    struct Desktop {
        var name: String
        var source: Int?
        var stream: RandomStream
        var planners: [String: WritePlanner] = [:]
        var generation = 0
        var readStream: RandomStream?
        var readPlanner: WritePlanner?
    }

    let name: String
    let index: Int
    let spec: VDISpec
    let rate: Sampler?
    var desktops: [Desktop] = []
    var sources: [Source] = []
    /// Index in `sources` where the current generation starts.
    var generationStart = 0
    var generation = 1
    var copies = 0
    var moved = 0
    /// Rewrites part of the image at a recompose: uniform 64 KiB writes.
    var imagePlanner: WritePlanner
    let imageStream: RandomStream
    let readRate: Sampler?
    let bootStream: RandomStream?
    var perDesktop: SimTime { spec.cloneTime + spec.customizeTime }
    var volumeClones: Bool { spec.provisioning == .volumeClones }

    init(name: String, index: Int, spec: VDISpec, sim: Simulation) throws(SimulationError) {
        self.name = name
        self.index = index
        self.spec = spec
        rate = try spec.change.map { (c) throws(SimulationError) in try sim.sampler(c.rate, "\(name).change") }
        var rewrite = ChangeSpec(rate: .constant(0))
        rewrite.writeSize = .constant(65536)
        imagePlanner = try sim.planner(rewrite, "\(name).recompose")
        imageStream = sim.stream("\(name)/image")
        readRate = try spec.reads?.steady.map { (c) throws(SimulationError) in try sim.sampler(c.rate, "\(name).reads.steady") }
        bootStream = spec.reads.map { _ in sim.stream("\(name)/boots") }
        let limit = sim.storage.maxClonesPerSource(volumeClones: spec.provisioning == .volumeClones)
        if spec.desktops > limit
            && (spec.limitStrategy == .none || (spec.provisioning == .volumeClones && spec.limitStrategy == .keepCloningSource)) {
            throw SimulationError("\(name): \(spec.desktops) desktops exceed the limit of \(limit) clones of one source")
        }
        let width = String(spec.desktops).count
        for i in 0..<spec.desktops {
            let number = String(i + 1)
            let desktop = "\(name)-desktop-\(String(repeating: "0", count: width - number.count))\(number)"
            var d = Desktop(name: desktop, stream: sim.stream("\(name)/\(desktop)"))
            if let steady = spec.reads?.steady {
                d.readStream = sim.stream("\(name)/\(desktop)/reads")
                d.readPlanner = try sim.planner(steady, "\(name).reads.steady")
            }
            desktops.append(d)
        }
    }

    func start(_ sim: Simulation) throws(SimulationError) {
        guard (try? sim.storage.fileSizeBlocks(spec.volume, spec.image)) != nil else {
            throw SimulationError("\(name): image '\(spec.image)' is not a file of volume '\(spec.volume)'")
        }
        sources = [Source(volume: spec.volume, path: spec.image)]
        if volumeClones { sources[0].snapshot = baseSnapshot(spec.volume, sim) }
        for i in desktops.indices { sim.schedule(index, at: perDesktop * Int64(i / spec.parallel), action: Action.provision.rawValue, target: i) }
        if let r = spec.recompose { sim.schedule(index, at: r.at, action: Action.recompose.rawValue) }
        if let r = spec.reads { sim.schedule(index, at: r.bootAt, action: Action.boot.rawValue) }
        if let steady = spec.reads?.steady { sim.schedule(index, at: steady.interval, action: Action.read.rawValue) }
        sim.result.provisioning.append(Provisioning(
            workload: name, desktops: spec.desktops, parallel: spec.parallel, perDesktopClone: perDesktop,
            perDesktopCopy: SimTime(nanoseconds: Int64(Double(imageBytes(sim)) / spec.copyThroughput * 1e9)) + spec.customizeTime))
    }

    func imageBytes(_ sim: Simulation) -> Int {
        ((try? sim.storage.fileSizeBlocks(spec.volume, spec.image)) ?? 0) * sim.blockSize
    }

    /// A Snapshot copy of `volume` for this generation's volume clones.
    func baseSnapshot(_ volume: String, _ sim: Simulation) -> String? {
        let snapshot = "\(name).base.\(generation)"
        return sim.perform(name, "snapshot", ["\(volume)@\(snapshot)"]) { try $0.createSnapshot(volume, snapshot)
        } != nil ? snapshot : nil
    }

    /// The source the next clone comes from, making a new full copy when the current one
    /// has had its 255 clones and the strategy says so.
    func currentSource(_ sim: Simulation) -> Int {
        let limit = sim.storage.maxClonesPerSource(volumeClones: volumeClones)
        guard spec.limitStrategy == .cloneNewestCopy, sources[sources.count - 1].clones >= limit else { return sources.count - 1 }
        copies += 1
        sim.result.limits.strategyCopies += 1
        sim.bound(.cloneLimit)
        if volumeClones {
            let copy = "\(spec.volume)-copy-\(copies)"
            guard let size = try? sim.storage.volumeSizeBlocks(spec.volume),
                  sim.perform(name, "create_volume", [copy], detail: "full copy of \(spec.volume) (limit strategy)", { try $0.createVolume(copy, sizeBlocks: size, guarantee: .none, snapLock: false)
                  }) != nil else { return sources.count - 1 }
            for path in (try? sim.storage.filePaths(spec.volume)) ?? [] {
                sim.perform(name, "copy_file", ["\(copy)/\(path)", "\(spec.volume)/\(path)"]) { try $0.copyFile(spec.volume, path, toVolume: copy, as: path)
                }
            }
            sources.append(Source(volume: copy, path: spec.image, snapshot: baseSnapshot(copy, sim)))
        } else {
            let copy = "\(spec.image).copy-\(copies)"
            guard sim.perform(name, "copy_file", ["\(spec.volume)/\(copy)", "\(spec.volume)/\(spec.image)"], detail: "limit strategy", { try $0.copyFile(spec.volume, spec.image, toVolume: spec.volume, as: copy)
            }) != nil else { return sources.count - 1 }
            sources.append(Source(volume: spec.volume, path: copy))
        }
        return sources.count - 1
    }

    /// Clones desktop `i` from source `s`; false when the model refused.
    @discardableResult
    func clone(_ i: Int, from s: Int, _ sim: Simulation) -> Bool {
        let source = sources[s]
        let desktop = desktops[i].name
        let ok: Bool
        if volumeClones {
            guard let snapshot = source.snapshot else { return false }
            ok = sim.perform(name, "clone_volume", [desktop, "\(source.volume)@\(snapshot)"]) { try $0.cloneVolume(desktop, parent: source.volume, snapshot: snapshot)
            } != nil
        } else {
            let result = sim.perform(name, "clone_file", ["\(source.volume)/\(desktop)", "\(source.volume)/\(source.path)"]) { try $0.cloneFile(source.volume, source.path, as: desktop)
            }
            ok = result != nil
            if let result { sim.noteLimits(name, "\(source.volume)/\(desktop)", result) }
        }
        if ok {
            desktops[i].source = s
            desktops[i].planners = [:]
            sources[s].clones += 1
        } else {
            desktops[i].source = nil
            sim.result.limits.refusedClones += 1
        }
        return ok
    }

    func remove(_ i: Int, _ sim: Simulation) {
        guard let s = desktops[i].source else { return }
        let desktop = desktops[i].name
        let volume = sources[s].volume
        if volumeClones {
            sim.perform(name, "destroy", [desktop]) { try $0.destroyVolume(desktop) }
        } else {
            sim.perform(name, "delete_file", ["\(volume)/\(desktop)"]) { try $0.deleteFile(volume, desktop)
            }
        }
        sources[s].clones -= 1
        desktops[i].source = nil
    }

    func handle(action: Int, target i: Int, in sim: Simulation) {
        switch Action(rawValue: action) {
        case .provision:
            guard clone(i, from: currentSource(sim), sim) else { return }
            desktops[i].generation = generation
            if let c = spec.change { sim.schedule(index, at: sim.now + c.interval, action: Action.change.rawValue, target: i) }
            if let r = spec.refreshEvery { sim.schedule(index, at: sim.now + r, action: Action.refresh.rawValue, target: i) }
        case .change:
            guard let c = spec.change, let rate else { return }
            if let s = desktops[i].source {
                let fraction = rate.draw(desktops[i].stream)
                let volume = volumeClones ? desktops[i].name : sources[s].volume
                sim.change(name, volume: volume, paths: volumeClones ? nil : [desktops[i].name], fraction: fraction,
                           planners: &desktops[i].planners, change: c, stream: desktops[i].stream,
                           golden: (sources[s].volume, sources[s].path))
            }
            sim.schedule(index, at: sim.now + c.interval, action: action, target: i)
        case .refresh:
            if let s = desktops[i].source {
                remove(i, sim)
                clone(i, from: s, sim)
            }
            if let r = spec.refreshEvery { sim.schedule(index, at: sim.now + r, action: action, target: i) }
        case .recompose:
            recompose(sim)
        case .move:
            remove(i, sim)
            if clone(i, from: currentSource(sim), sim) { desktops[i].generation = generation }
            moved += 1
            if moved == desktops.count { dropOldGeneration(sim) }
        case .boot:
            bootStorm(sim)
        case .read:
            guard let steady = spec.reads?.steady, let readRate else { return }
            var record = CacheRecord(time: sim.now, workload: name, kind: .steady)
            for d in desktops.indices { steadyReads(d, readRate, sim, &record) }
            sim.result.cacheReads.append(record)
            sim.schedule(index, at: sim.now + steady.interval, action: action)
        case nil:
            return
        }
    }

    /// Where desktop `i`'s disk is, while it exists.
    func disk(_ i: Int) -> (volume: String, path: String)? {
        guard let s = desktops[i].source else { return nil }
        return volumeClones ? (desktops[i].name, spec.image) : (sources[s].volume, desktops[i].name)
    }

    /// Every desktop reads its boot set at about the same time: chunk by chunk, all desktops
    /// in a random order each round.
    func bootStorm(_ sim: Simulation) {
        guard let r = spec.reads, let bootStream else { return }
        var record = CacheRecord(time: sim.now, workload: name, kind: .bootStorm)
        var order = desktops.indices.filter { disk($0) != nil }
        for k in stride(from: order.count - 1, to: 0, by: -1) {  // Fisher-Yates
            order.swapAt(k, Int(bootStream.uniformInt(below: UInt(k + 1))))
        }
        let setBlocks = Simulation.blocks(r.bootSetBytes, sim.blockSize)
        let chunk = max(1, Simulation.blocks(r.bootChunkBytes, sim.blockSize))
        for start in stride(from: 0, to: setBlocks, by: chunk) {
            let blocks = Array(start..<min(setBlocks, start + chunk))
            for i in order {
                let (volume, path) = disk(i)!
                sim.read(volume: volume, path: path, blocks: blocks, into: &record)
            }
        }
        sim.result.cacheReads.append(record)
        func tenths(_ rate: Double) -> String {
            let permille = Int((rate * 1000).rounded())
            return "\(permille / 10).\(permille % 10)%"
        }
        if sim.sharding.sampled {
            // The hit rates of a sample are the merged cache records' (the report's cache table).
            sim.record(name, "boot_storm", "\(order.count) desktops", "about \(EventRecord.figureMark) blocks read (estimated from the sample)",
                       figure: record.reads)
        } else {
            sim.record(name, "boot_storm", "\(order.count) desktops", "\(record.reads) blocks read, hit rate "
                + "\(tenths(record.hitRate)) (\(tenths(record.hitRateWithoutSharing)) without sharing)")
        }
        if let every = r.bootEvery { sim.schedule(index, at: sim.now + every, action: Action.boot.rawValue) }
    }

    /// One desktop's steady reads for one interval (the reads of the interval before it).
    func steadyReads(_ i: Int, _ rate: Sampler, _ sim: Simulation, _ record: inout CacheRecord) {
        guard let (volume, path) = disk(i), let stream = desktops[i].readStream,
              let size = try? sim.storage.fileSizeBlocks(volume, path) else { return }
        let fraction = rate.draw(stream)
        let runs = desktops[i].readPlanner!.plan(blocks: Int((fraction * Double(size)).rounded()), size: size, stream: stream)
        for run in runs { sim.read(volume: volume, path: path, blocks: Array(run.start..<(run.start + run.count)), into: &record) }
    }

    /// A new image version: `imageChange` of the image rewritten in place, a new base for
    /// volume clones, and every desktop scheduled to move to it.
    func recompose(_ sim: Simulation) {
        guard let r = spec.recompose, let size = try? sim.storage.fileSizeBlocks(spec.volume, spec.image) else { return }
        let blocks = r.imageChange.nearest(of: size)
        let runs = imagePlanner.plan(blocks: blocks, size: size, stream: imageStream)
        sim.write(name, volume: spec.volume, path: spec.image, runs: runs, first: sim.newContent(blocks))
        generation += 1
        generationStart = sources.count
        sources.append(Source(volume: spec.volume, path: spec.image, snapshot: volumeClones ? baseSnapshot(spec.volume, sim) : nil))
        sim.record(name, "recompose", "\(spec.volume)/\(spec.image)", "image version \(generation): \(blocks) blocks rewritten")
        moved = 0
        for i in desktops.indices {
            sim.schedule(index, at: sim.now + perDesktop * Int64(i / spec.parallel), action: Action.move.rawValue, target: i)
        }
    }

    /// After the last desktop moved: the previous generation's copies and base Snapshot copy go.
    func dropOldGeneration(_ sim: Simulation) {
        for s in 0..<generationStart where sources[s].clones == 0 {
            let source = sources[s]
            if volumeClones {
                if source.volume == spec.volume, let snapshot = source.snapshot {
                    sim.perform(name, "delete_snapshot", ["\(source.volume)@\(snapshot)"]) { try $0.deleteSnapshot(source.volume, snapshot)
                    }
                } else if sim.storage.hasVolume(source.volume) {
                    sim.perform(name, "destroy", [source.volume]) { try $0.destroyVolume(source.volume)
                    }
                }
            } else if source.path != spec.image {
                sim.perform(name, "delete_file", ["\(source.volume)/\(source.path)"]) { try $0.deleteFile(source.volume, source.path)
                }
            }
        }
    }

    func finish(_ sim: Simulation) {
        let live = desktops.filter { $0.source != nil }.count
        let kind = switch (sim.spec.platform, volumeClones) {
        case (.ontap, true): "FlexClone volumes"
        case (.ontap, false): "FlexClone files"
        case (.refs, _): "block clones"
        case (.reflink, true): "subvolume snapshots"
        case (.reflink, false): "reflinks"
        }
        let most = sim.storage.maxClonesPerSource(volumeClones: volumeClones)
        let limit = most == Int.max ? "no limit" : "the limit of \(most) clones of one source"
        sim.result.notes.append("\(name): \(live) of \(desktops.count) desktops as \(kind)"
            + " of '\(spec.volume)/\(spec.image)'; \(copies) full copies made for \(limit) (\(spec.limitStrategy.rawValue))"
            + (spec.recompose != nil ? "; recompose to image version \(generation), \(moved) desktops moved." : "."))
    }
}
