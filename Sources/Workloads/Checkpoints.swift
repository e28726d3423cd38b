import Engine
import Stochastic

/// Hyper-V checkpoints on a block-cloning file system. The base disk `<workload>.vhdx` is
/// written up to `used` at the start. Each checkpoint starts a differencing disk
/// `<workload>-<n>.avhdx`: the guest's writes land there (a block first written since the
/// checkpoint is appended; a rewrite stays in place), and reads of other blocks fall through
/// to older disks. Past `keep` checkpoints the oldest differencing disk is merged into the base
/// by block cloning each run of its blocks into place, then deleted — where a copy-based merge
/// would read and write every one of them.
///
/// Stream: `<workload>` for the change rate and the written blocks.
final class CheckpointsDriver: WorkloadDriver {
    enum Action: Int { case change, checkpoint }

    struct Differencing {
        var file: String
        /// Disk block → block in this file.
        var map: [Int: Int] = [:]
    }

    let name: String
    let index: Int
    let spec: CheckpointsSpec
    var change: ChangeDraws
    var size = 0
    var base: String { "\(name).vhdx" }
    var chain: [Differencing] = []
    var checkpoints = 0

    init(name: String, index: Int, spec: CheckpointsSpec, sim: Simulation) throws(SimulationError) {
        self.name = name
        self.index = index
        self.spec = spec
        change = try ChangeDraws(spec.change, stream: sim.stream(name), what: "\(name).change", sim: sim)
    }

    func start(_ sim: Simulation) throws(SimulationError) {
        size = Simulation.blocks(spec.diskBytes, sim.blockSize)
        guard sim.repositoryCreate(name, base, blocks: size) else { return }
        sim.repositoryFill(name, base, at: 0, count: spec.used.nearest(of: size), chunk: 1 << 20)
        sim.schedule(index, at: spec.change.interval, action: Action.change.rawValue)
        sim.schedule(index, at: spec.checkpointEvery, action: Action.checkpoint.rawValue)
    }

    func handle(action: Int, target: Int, in sim: Simulation) {
        switch Action(rawValue: action) {
        case .change:
            let runs = change.next(size: size)
            write(runs, sim)
            sim.schedule(index, at: sim.now + spec.change.interval, action: action)
        case .checkpoint:
            checkpoints += 1
            let file = "\(name)-\(checkpoints).avhdx"
            if sim.repositoryCreate(name, file, blocks: 0) {
                chain.append(Differencing(file: file))
                sim.record(name, "checkpoint", file)
            }
            if chain.count > spec.keep { merge(sim) }
            sim.schedule(index, at: sim.now + spec.checkpointEvery, action: action)
        case nil:
            return
        }
    }

    /// The guest's writes: to the base disk before the first checkpoint, else to the newest
    /// differencing disk (new blocks appended in one write, rewrites in place).
    func write(_ runs: [BlockRun], _ sim: Simulation) {
        guard var top = chain.popLast() else {
            let total = runs.reduce(0) { $0 + $1.count }
            var first = sim.newContent(total)
            for run in runs {
                sim.repositoryWrite(name, base, block: run.start, contents: Array(first..<(first + UInt64(run.count))))
                first += UInt64(run.count)
            }
            return
        }
        defer { chain.append(top) }
        var appended: [Int] = []
        var rewritten: [Int] = []
        for run in runs {
            for b in run.start..<(run.start + run.count) {
                if let at = top.map[b] { rewritten.append(at) } else {
                    top.map[b] = top.map.count
                    appended.append(b)
                }
            }
        }
        let end = top.map.count
        if !appended.isEmpty {
            let first = sim.newContent(appended.count)
            sim.repositoryWrite(name, top.file, block: end - appended.count, contents: Array(first..<(first + UInt64(appended.count))))
        }
        // Rewrites in place, one write per run of consecutive blocks of the file.
        rewritten.sort()
        var i = 0
        while i < rewritten.count {
            var n = 1
            while i + n < rewritten.count && rewritten[i + n] == rewritten[i] + n { n += 1 }
            let first = sim.newContent(n)
            sim.repositoryWrite(name, top.file, block: rewritten[i], contents: Array(first..<(first + UInt64(n))))
            i += n
        }
    }

    /// Folds the oldest differencing disk into the base: one block clone per run of blocks
    /// consecutive in both files, then the file goes.
    func merge(_ sim: Simulation) {
        let oldest = chain.removeFirst()
        let pairs = oldest.map.sorted { $0.key < $1.key }
        var calls = 0
        var k = 0
        while k < pairs.count {
            var n = 1
            while k + n < pairs.count && pairs[k + n].key == pairs[k].key + n && pairs[k + n].value == pairs[k].value + n { n += 1 }
            calls += 1
            if !sim.repositoryClone(name, oldest.file, block: pairs[k].value, to: base, block: pairs[k].key, count: n) {
                let first = sim.newContent(n)  // refused: the blocks are copied
                sim.repositoryWrite(name, base, block: pairs[k].key, contents: Array(first..<(first + UInt64(n))))
            }
            k += n
        }
        sim.repositoryDelete(name, oldest.file)
        let bytes = pairs.count * sim.blockSize
        let merge = Merge(time: sim.now, workload: name, blocks: pairs.count, cloneCalls: calls, copyBytes: bytes,
                          copyDuration: SimTime(nanoseconds: Int64(Double(2 * bytes) / spec.copyThroughput * 1e9)),
                          cloneDuration: spec.cloneCallTime * Int64(calls))
        sim.result.merges.append(merge)
        sim.record(name, "merge", "\(oldest.file) \(base)", "\(pairs.count) blocks in \(calls) block clones")
    }

    func finish(_ sim: Simulation) {
        let merges = sim.result.merges.filter { $0.workload == name }
        sim.result.notes.append("\(name): \(checkpoints) checkpoints, \(merges.count) merges of \(merges.reduce(0) { $0 + $1.blocks }) blocks "
            + "by \(merges.reduce(0) { $0 + $1.cloneCalls }) block clones; \(chain.count) differencing disks at the end.")
    }
}
