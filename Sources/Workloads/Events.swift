import BlockModel
import Engine
import Stochastic

/// An explicit, timed list of operations for exact what-ifs. Operations at the same time run
/// in file order. Write offsets come from the stream `<workload>/<volume>/<path>`.
final class EventsDriver: WorkloadDriver {
    let name: String
    let index: Int
    let spec: EventsSpec
    var planners: [String: WritePlanner] = [:]
    var streams: [String: RandomStream] = [:]
    var applied = 0
    var failed = 0

    init(name: String, index: Int, spec: EventsSpec) {
        self.name = name
        self.index = index
        self.spec = spec
    }

    func start(_ sim: Simulation) throws(SimulationError) {
        // Stable order by time: the queue keeps scheduling order for equal times.
        let order = spec.operations.indices.sorted { (spec.operations[$0].at, $0) < (spec.operations[$1].at, $1) }
        for k in order { sim.schedule(index, at: spec.operations[k].at, action: 0, target: k) }
    }

    func handle(action: Int, target: Int, in sim: Simulation) {
        let timed = spec.operations[target]
        let op = timed.operation
        let blockSize = sim.blockSize
        let ok: Bool
        func run<T>(_ objects: [String], _ body: (inout any Storage) throws -> T) -> Bool {
            sim.perform(name, op.name, objects, detail: timed.origin, body) != nil
        }
        switch op {
        case .snapshot(let v, let s):
            ok = run(["\(v)@\(s)"]) { try $0.createSnapshot(v, s) }
        case .deleteSnapshot(let v, let s):
            ok = run(["\(v)@\(s)"]) { try $0.deleteSnapshot(v, s) }
        case .cloneVolume(let n, let p, let s):
            ok = run([n, s.map { "\(p)@\($0)" } ?? p]) { try $0.cloneVolume(n, parent: p, snapshot: s)
            }
            if !ok { sim.result.limits.refusedClones += 1 }
        case .cloneFile(let v, let src, let dst):
            let result = sim.perform(name, op.name, ["\(v)/\(dst)", "\(v)/\(src)"], detail: timed.origin) { try $0.cloneFile(v, src, as: dst)
            }
            ok = result != nil
            if let result { sim.noteLimits(name, "\(v)/\(dst)", result) } else { sim.result.limits.refusedClones += 1 }
        case .split(let v):
            let estimate = (try? sim.storage.splitEstimate(v)) ?? 0
            ok = sim.perform(name, op.name, [v], detail: "\(timed.origin) estimate \(EventRecord.figureMark) blocks", figure: estimate, { try $0.splitClone(v)
            }) != nil
        case .destroy(let v):
            ok = run([v]) { try $0.destroyVolume(v) }
        case .createFile(let v, let f):
            ok = sim.createFile(name, volume: v, f)
        case .deleteFile(let v, let p):
            ok = run(["\(v)/\(p)"]) { try $0.deleteFile(v, p) }
        case .setQuota(let v, let target, let limit):
            ok = run([v, target]) { try $0.setQuota(v, target: target, limitBlocks: Simulation.blocks(limit, blockSize))
            }
        case .write(let v, let p, let bytes, let pattern, let writeSize, let content, let at):
            if let at {
                let offset = switch at { case .byte(let b): b; case .block(let k): k * blockSize }
                ok = write(sim, v, p, from: offset, bytes: bytes, content: content, origin: timed.origin)
            } else {
                ok = write(sim, v, p, blocks: Simulation.blocks(bytes, blockSize), pattern: pattern, writeSize: writeSize, content: content,
                           origin: timed.origin)
            }
        }
        if ok { applied += 1 } else { failed += 1 }
    }

    /// A write of the byte range `offset ..< offset + bytes`: the blocks it touches, as one run.
    /// A range past the end of the file is refused (recorded), as the model refuses it.
    func write(_ sim: Simulation, _ v: String, _ p: String, from offset: Int, bytes: Int, content: ContentSpec?, origin: String) -> Bool {
        let key = "\(v)/\(p)"
        let first = offset / sim.blockSize
        let count = Simulation.blocks(offset + bytes, sim.blockSize) - first
        guard let size = try? sim.storage.fileSizeBlocks(v, p) else {
            sim.record(name, "write", key, outcome: "failed", "unknown object: no file or LUN '\(p)' in volume '\(v)'")
            return false
        }
        guard first + count <= size else {
            sim.record(name, "write", key, outcome: "failed",
                       "out of range: blocks \(first)..<\(first + count) of a \(size)-block object")
            return false
        }
        let ok = sim.write(name, volume: v, path: p, runs: [BlockRun(start: first, count: count)], content: content)
        if ok { sim.record(name, "write", key, "\(origin) \(count) blocks at block \(first)") }
        return ok
    }

    func write(_ sim: Simulation, _ v: String, _ p: String, blocks: Int, pattern: WritePattern, writeSize: RandomVariable,
               content: ContentSpec?, origin: String) -> Bool {
        let key = "\(v)/\(p)"
        guard let size = try? sim.storage.fileSizeBlocks(v, p) else {
            sim.record(name, "write", key, outcome: "failed", "unknown object: no file or LUN '\(p)' in volume '\(v)'")
            return false
        }
        if planners[key] == nil || planners[key]?.pattern != pattern {
            planners[key] = try? WritePlanner(pattern: pattern, writeSize: writeSize, blockSize: sim.blockSize)
        }
        let stream = streams[key] ?? sim.stream("\(name)/\(key)")
        streams[key] = stream
        guard var planner = planners[key] else { return false }
        let runs = sim.planWrites(&planner, blocks: blocks, size: size, stream: stream, inStep: false)
        planners[key] = planner
        let ok = sim.write(name, volume: v, path: p, runs: runs, content: content)
        if ok { sim.record(name, "write", key, "\(origin) \(blocks) blocks, \(pattern.name)") }
        return ok
    }

    func finish(_ sim: Simulation) {
        sim.result.notes.append("\(name): \(applied) operations applied, \(failed) refused.")
    }
}
