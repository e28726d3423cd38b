import Engine
import Foundation
import Stochastic

/// A backup repository (ReFS or reflink): backup 0 is an active full; every later backup is
/// a forward incremental holding the blocks changed (and grown) since the previous one; every
/// `syntheticFullEvery`-th backup is followed by a synthetic full assembled from the chain —
/// by block cloning each run of blocks from the file that holds its latest version, or by
/// copying when block cloning is off — and a new chain starts from it.
///
/// Retention: the last `restorePoints` backups stay restorable, so a chain goes once none of
/// its backups is among them; the last `weeklyFulls` synthetic fulls, and the last
/// `monthlyFulls` that were the first full of their 30-day period, are kept on their own.
///
/// Stream: `<workload>` for the change rate and the changed blocks.
final class BackupDriver: WorkloadDriver {
    struct BackupFile {
        var name: String
        var chain: Int
        var full: Bool
        var day: Int
        var deleted = false
    }

    let name: String
    let index: Int
    let spec: BackupSpec
    var change: ChangeDraws
    /// Blocks in the protected data set now.
    var size: Int
    let initialSize: Int
    /// For each data block: the backup file holding its latest version, and where in it.
    var latestFile: [UInt32] = []
    var latestOffset: [UInt32] = []
    var files: [BackupFile] = []
    /// Restore points: (backup number, its chain), oldest first.
    var points: [(backup: Int, chain: Int)] = []
    var chain = 0
    var backups = 0
    var syntheticFulls = 0
    var cloneCalls = 0
    var cloneRefusals = 0

    init(name: String, index: Int, spec: BackupSpec, sim: Simulation) throws(SimulationError) {
        self.name = name
        self.index = index
        self.spec = spec
        change = try ChangeDraws(spec.change, stream: sim.stream(name), what: "\(name).change", sim: sim)
        initialSize = Simulation.blocks(spec.dataBytes, sim.blockSize)
        size = initialSize
    }

    func fileName(_ k: Int, full: Bool) -> String { String(format: "%@-%05d.%@", name, k, full ? "vbk" : "vib") }

    func start(_ sim: Simulation) throws(SimulationError) {
        latestFile = [UInt32](repeating: 0, count: size)
        latestOffset = (0..<UInt32(size)).map { $0 }
        let full = fileName(0, full: true)
        files.append(BackupFile(name: full, chain: 0, full: true, day: 0))
        if create(sim, full, blocks: size) { writeNew(sim, full, at: 0, count: size) }
        points.append((0, 0))
        backups = 1
        sim.record(name, "active_full", full, "\(size) blocks")
        sim.schedule(index, at: spec.change.interval, action: 0)
    }

    func create(_ sim: Simulation, _ file: String, blocks: Int) -> Bool { sim.repositoryCreate(name, file, blocks: blocks) }

    /// Writes `count` blocks of new data at `start`, in the application's write size.
    func writeNew(_ sim: Simulation, _ file: String, at start: Int, count: Int) {
        sim.repositoryFill(name, file, at: start, count: count, chunk: max(1, spec.writeBytes / sim.blockSize))
    }

    func handle(action: Int, target: Int, in sim: Simulation) {
        backups += 1
        let k = backups - 1
        // Growth since the start, as new blocks at the end of the data set.
        let years = sim.now.days / 365
        let grown = max(size, Int((Double(initialSize) * pow(1 + spec.growthPerYear, years)).rounded()))
        // The changed blocks, each once, in order; then the grown ones.
        let runs = change.next(size: size)
        var changed = [Bool](repeating: false, count: size)
        for run in runs { for b in run.start..<(run.start + run.count) { changed[b] = true } }
        var blocks = changed.indices.filter { changed[$0] }
        if grown > size {
            blocks += size..<grown
            latestFile += [UInt32](repeating: 0, count: grown - size)
            latestOffset += [UInt32](repeating: 0, count: grown - size)
            size = grown
        }
        let inc = fileName(k, full: false)
        files.append(BackupFile(name: inc, chain: chain, full: false, day: k))
        if create(sim, inc, blocks: blocks.count) { writeNew(sim, inc, at: 0, count: blocks.count) }
        for (j, b) in blocks.enumerated() {
            latestFile[b] = UInt32(files.count - 1)
            latestOffset[b] = UInt32(j)
        }
        points.append((k, chain))
        if k % spec.syntheticFullEvery == 0 { syntheticFull(sim, k) }
        applyRetention(sim)
        sim.schedule(index, at: sim.now + spec.change.interval, action: 0)
    }

    /// The state after backup `k` as one new file: runs of blocks whose latest versions sit
    /// consecutively in one file become one clone each (split below the platform's longest).
    func syntheticFull(_ sim: Simulation, _ k: Int) {
        let full = fileName(k, full: true)
        chain += 1
        files.append(BackupFile(name: full, chain: chain, full: true, day: k))
        guard create(sim, full, blocks: size) else { return }
        syntheticFulls += 1
        guard spec.blockCloning, let maxRun = sim.storage.maxCloneRangeBlocks else {
            writeNew(sim, full, at: 0, count: size)
            setLatest(to: files.count - 1)
            sim.record(name, "synthetic_full", full, "\(size) blocks copied")
            return
        }
        var b = 0
        var calls = 0, refused = 0
        while b < size {
            let file = latestFile[b], offset = latestOffset[b]
            var n = 1
            while b + n < size && n < maxRun && latestFile[b + n] == file && latestOffset[b + n] == offset + UInt32(n) { n += 1 }
            calls += 1
            if !sim.repositoryClone(name, files[Int(file)].name, block: Int(offset), to: full, block: b, count: n) {
                refused += 1
                writeNew(sim, full, at: b, count: n)  // the backup software copies what it cannot clone
            }
            b += n
        }
        cloneCalls += calls
        cloneRefusals += refused
        setLatest(to: files.count - 1)
        sim.record(name, "synthetic_full", full, "\(size) blocks in \(calls) block clones" + (refused > 0 ? ", \(refused) refused and copied" : ""))
    }

    func setLatest(to file: Int) {
        for b in 0..<size {
            latestFile[b] = UInt32(file)
            latestOffset[b] = UInt32(b)
        }
    }

    /// Deletes the files no kept restore point and no kept full needs.
    func applyRetention(_ sim: Simulation) {
        while points.count > spec.restorePoints { points.removeFirst() }
        guard let oldestChain = points.first?.chain else { return }
        let fulls = files.indices.filter { files[$0].full && !files[$0].deleted && files[$0].chain > 0 }
        var keep = Set(fulls.suffix(spec.weeklyFulls))
        var monthlies: [Int] = []
        var lastPeriod = -1
        for i in fulls {
            let period = Int(Double(files[i].day) * spec.change.interval.days / 30)
            if period != lastPeriod { monthlies.append(i); lastPeriod = period }
        }
        keep.formUnion(monthlies.suffix(spec.monthlyFulls))
        for i in files.indices where !files[i].deleted && files[i].chain < oldestChain && !keep.contains(i) {
            files[i].deleted = true
            sim.repositoryDelete(name, files[i].name)
            sim.record(name, "retention_delete", files[i].name)
        }
    }

    func finish(_ sim: Simulation) {
        let kept = files.filter { !$0.deleted }.count
        sim.result.notes.append("\(name): \(backups) backups of a data set of \(size) blocks (\(initialSize) at the start), "
            + "\(syntheticFulls) synthetic fulls " + (spec.blockCloning ? "by \(cloneCalls) block clones (\(cloneRefusals) refused)" : "by copying")
            + "; \(kept) backup files and \(points.count) restore points kept.")
    }
}
