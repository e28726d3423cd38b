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
///
/// ## Shards (issue 22)
/// A differencing disk appends the blocks the guest writes, so a block's offset in it is not its
/// disk address, and a merge clones it back to its address in the base: like a backup, every
/// block goes to the shard of its disk address, whichever file holds it.
/// - An exact shard keeps the whole run's bookkeeping (the same offsets, runs and counts),
///   writes and clones its addresses' blocks only, and sizes each differencing disk as the whole
///   run does: merged, the shards are the unsharded run.
/// - A sampled shard sees only its addresses' writes (`Simulation.planWrites`), so its
///   differencing disks pack its own blocks, each sized at their count scaled to the disk. A
///   merge's blocks, bytes and times are its own, added up and scaled by the merge of the shards;
///   its clone calls (runs consecutive in both files, a whole-run figure) are this shard's part,
///   estimated as a backup's synthetic full's are (`RunStarts`).
final class CheckpointsDriver: WorkloadDriver {
    enum Action: Int { case change, checkpoint }

    struct Differencing {
        var file: String
        /// Disk block → block in this file.
        var map: [Int: Int] = [:]
        /// Block in this file → disk block.
        var addresses: [Int] = []
    }

    let name: String
    let index: Int
    let spec: CheckpointsSpec
    var change: ChangeDraws
    var size = 0
    var base: String { "\(name).vhdx" }
    var chain: [Differencing] = []
    var checkpoints = 0
    /// The disk's blocks this run keeps state for: all of them, or a sampled shard's own.
    var memberBlocks = 0

    init(name: String, index: Int, spec: CheckpointsSpec, sim: Simulation) throws(SimulationError) {
        self.name = name
        self.index = index
        self.spec = spec
        change = try ChangeDraws(spec.change, stream: sim.stream(name), what: "\(name).change", sim: sim)
    }

    func start(_ sim: Simulation) throws(SimulationError) {
        size = Simulation.blocks(spec.diskBytes, sim.blockSize)
        memberBlocks = sim.sharding.sampled ? sim.sharding.blocks(below: size) : size
        guard sim.repositoryCreate(name, base, blocks: size) else { return }
        for piece in sim.sharding.cut([BlockRun(start: 0, count: spec.used.nearest(of: size))]) {
            sim.repositoryFill(name, base, at: piece.run.start, count: piece.run.count, chunk: 1 << 20)
        }
        sim.schedule(index, at: spec.change.interval, action: Action.change.rawValue)
        sim.schedule(index, at: spec.checkpointEvery, action: Action.checkpoint.rawValue)
    }

    func handle(action: Int, target: Int, in sim: Simulation) {
        switch Action(rawValue: action) {
        case .change:
            let runs = change.next(size: size, sim: sim)
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
    /// differencing disk (new blocks appended in one write, rewrites in place). A shard writes
    /// its addresses' blocks only.
    func write(_ runs: [BlockRun], _ sim: Simulation) {
        guard var top = chain.popLast() else {
            let total = runs.reduce(0) { $0 + $1.count }
            let first = sim.newContent(total)
            for piece in sim.sharding.cut(runs) {
                sim.repositoryWrite(name, base, block: piece.run.start, contents: Array((first + UInt64(piece.from))..<(first + UInt64(piece.from + piece.run.count))))
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
                    top.addresses.append(b)
                    appended.append(b)
                }
            }
        }
        let end = top.map.count
        if !appended.isEmpty { writeOwn(sim, top, positions: (end - appended.count)..<end) }
        // Rewrites in place, one write per run of consecutive blocks of the file.
        rewritten.sort()
        var i = 0
        while i < rewritten.count {
            var n = 1
            while i + n < rewritten.count && rewritten[i + n] == rewritten[i] + n { n += 1 }
            writeOwn(sim, top, positions: rewritten[i]..<(rewritten[i] + n))
            i += n
        }
        if !sim.sharding.isWhole && !appended.isEmpty {
            // The file's size is the whole run's (an exact shard), or its blocks scaled (a sample).
            let scaled = sim.sharding.sampled ? Int((Double(end) * Double(size) / Double(max(1, memberBlocks))).rounded()) : end
            sim.repositoryResize(name, top.file, blocks: max(end, scaled))
        }
    }

    /// New data at `positions` of a differencing disk: the runs of them whose disk addresses are
    /// this shard's.
    func writeOwn(_ sim: Simulation, _ disk: Differencing, positions: Range<Int>) {
        var j = positions.lowerBound
        while j < positions.upperBound {
            guard sim.sharding.contains(granule: disk.addresses[j] >> Sharding.granuleShift) else { j += 1; continue }
            var n = 1
            while j + n < positions.upperBound && sim.sharding.contains(granule: disk.addresses[j + n] >> Sharding.granuleShift) { n += 1 }
            let first = sim.newContent(n)
            sim.repositoryWrite(name, disk.file, block: j, contents: Array(first..<(first + UInt64(n))))
            j += n
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
            // A shard clones the run's pieces at its addresses (the base's offsets).
            for piece in sim.sharding.cut([BlockRun(start: pairs[k].key, count: n)]) {
                let at = piece.run.start, from = pairs[k].value + piece.from
                if !sim.repositoryClone(name, oldest.file, block: from, to: base, block: at, count: piece.run.count) {
                    let first = sim.newContent(piece.run.count)  // refused: the blocks are copied
                    sim.repositoryWrite(name, base, block: at, contents: Array(first..<(first + UInt64(piece.run.count))))
                }
            }
            k += n
        }
        if sim.sharding.sampled {
            // Where runs start, for the estimate of the whole run's calls (see "Shards").
            var starts = RunStarts()
            for (j, pair) in pairs.enumerated() {
                starts.add(pair.key, starts: j == 0 || pairs[j - 1].key != pair.key - 1 || pairs[j - 1].value != pair.value - 1)
            }
            calls = Int(starts.estimate.rounded())
        }
        sim.repositoryDelete(name, oldest.file)
        let bytes = pairs.count * sim.blockSize
        let merge = Merge(time: sim.now, workload: name, blocks: pairs.count, cloneCalls: calls, copyBytes: bytes,
                          copyDuration: SimTime(nanoseconds: Int64(Double(2 * bytes) / spec.copyThroughput * 1e9)),
                          cloneDuration: spec.cloneCallTime * Int64(calls))
        sim.result.merges.append(merge)
        if sim.sharding.sampled {
            sim.record(name, "merge", "\(oldest.file) \(base)", "about \(EventRecord.figureMark) blocks by block clones (estimated from the sample)",
                       figure: pairs.count)
        } else {
            sim.record(name, "merge", "\(oldest.file) \(base)", "\(pairs.count) blocks in \(calls) block clones")
        }
    }

    func finish(_ sim: Simulation) {
        let merges = sim.result.merges.filter { $0.workload == name }
        let what = sim.sharding.sampled ? "(their blocks and clone calls estimated in the merges table)"
            : "of \(merges.reduce(0) { $0 + $1.blocks }) blocks by \(merges.reduce(0) { $0 + $1.cloneCalls }) block clones"
        sim.result.notes.append("\(name): \(checkpoints) checkpoints, \(merges.count) merges " + what + "; \(chain.count) differencing disks at the end.")
    }
}
