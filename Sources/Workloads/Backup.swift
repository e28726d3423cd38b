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
///
/// ## Shards (issue 22)
/// An incremental packs the changed blocks, so a block's offset in it is not its address, and
/// a synthetic full clones it back to its address: a shard by file offset would split a block
/// from its copies. So every block goes to the shard of its address in the protected data set
/// (its offset in a full), whichever file holds it: each backup file holds, in a shard, exactly
/// the blocks of the shard's addresses, and block figures add up over the shards.
/// - An exact shard (`run --jobs`, `--shard`) keeps the whole run's bookkeeping (the same
///   offsets, the same clone runs and counts) and writes and clones only its addresses' blocks:
///   merged, the shards are the unsharded run.
/// - A sampled shard keeps state for its own addresses only (`MemberBlocks`), so its work
///   follows its share. Its incrementals pack its own changed blocks; each is sized at its
///   changed blocks scaled to the data set (the merge takes the shards' mean); the clone calls of
///   a synthetic full, a whole-run figure, are estimated from the breaks between neighbouring
///   blocks inside its granules (`RunStarts`).
/// Effects that still cross shards: a refused block clone (the 8175-reference limit, space)
/// happens in the shard holding the cluster only, so the shards' events differ and the merge
/// refuses them (a sharded run then runs whole).
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
    /// For each data block (each member block in a sampled shard, by `MemberBlocks` index): the
    /// backup file holding its latest version, and where in it.
    var latestFile: [UInt32] = []
    var latestOffset: [Int] = []
    var files: [BackupFile] = []
    /// Restore points: (backup number, its chain), oldest first.
    var points: [(backup: Int, chain: Int)] = []
    var chain = 0
    var backups = 0
    var syntheticFulls = 0
    var cloneCalls = 0
    var cloneRefusals = 0
    /// A sampled shard's own addresses (nil when every block's bookkeeping is kept).
    var members: MemberBlocks?

    init(name: String, index: Int, spec: BackupSpec, sim: Simulation) throws(SimulationError) {
        self.name = name
        self.index = index
        self.spec = spec
        change = try ChangeDraws(spec.change, stream: sim.stream(name), what: "\(name).change", sim: sim)
        initialSize = Simulation.blocks(spec.dataBytes, sim.blockSize)
        size = initialSize
        if sim.sharding.sampled { members = MemberBlocks(sim.sharding) }
    }

    func fileName(_ k: Int, full: Bool) -> String { String(format: "%@-%05d.%@", name, k, full ? "vbk" : "vib") }

    func start(_ sim: Simulation) throws(SimulationError) {
        if var m = members {
            m.grow(to: size)
            members = m
            latestFile = [UInt32](repeating: 0, count: m.indexCount)
            latestOffset = (0..<m.indexCount).map { m.address($0) }
        } else {
            latestFile = [UInt32](repeating: 0, count: size)
            latestOffset = Array(0..<size)
        }
        let full = fileName(0, full: true)
        files.append(BackupFile(name: full, chain: 0, full: true, day: 0))
        if create(sim, full, blocks: size) { writeFull(sim, full) }
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

    /// Writes new data over a full's `0 ..< size`, where offsets are addresses: in a shard, its
    /// addresses' blocks.
    func writeFull(_ sim: Simulation, _ file: String) {
        for piece in sim.sharding.cut([BlockRun(start: 0, count: size)]) { writeNew(sim, file, at: piece.run.start, count: piece.run.count) }
    }

    func handle(action: Int, target: Int, in sim: Simulation) {
        backups += 1
        let k = backups - 1
        // Growth since the start, as new blocks at the end of the data set.
        let years = sim.now.days / 365
        let grown = max(size, Int((Double(initialSize) * pow(1 + spec.growthPerYear, years)).rounded()))
        if members != nil { sampledIncrement(sim, k, grown: grown) } else { increment(sim, k, grown: grown) }
        points.append((k, chain))
        if k % spec.syntheticFullEvery == 0 { syntheticFull(sim, k) }
        applyRetention(sim)
        sim.schedule(index, at: sim.now + spec.change.interval, action: 0)
    }

    /// Backup `k` as an incremental of the changed blocks, each once, in address order, then the
    /// grown ones: the whole run's, written in a shard where their addresses are its own.
    func increment(_ sim: Simulation, _ k: Int, grown: Int) {
        let runs = change.next(size: size, sim: sim)
        var changed = [Bool](repeating: false, count: size)
        for run in runs { for b in run.start..<(run.start + run.count) { changed[b] = true } }
        var blocks = changed.indices.filter { changed[$0] }
        if grown > size {
            blocks += size..<grown
            latestFile += [UInt32](repeating: 0, count: grown - size)
            latestOffset += [Int](repeating: 0, count: grown - size)
            size = grown
        }
        let inc = fileName(k, full: false)
        files.append(BackupFile(name: inc, chain: chain, full: false, day: k))
        if create(sim, inc, blocks: blocks.count) {
            if sim.sharding.isWhole {
                writeNew(sim, inc, at: 0, count: blocks.count)
            } else {
                // Runs of the file's offsets whose addresses are the shard's.
                var j = 0
                while j < blocks.count {
                    guard sim.sharding.contains(granule: blocks[j] >> Sharding.granuleShift) else { j += 1; continue }
                    var n = 1
                    while j + n < blocks.count && sim.sharding.contains(granule: blocks[j + n] >> Sharding.granuleShift) { n += 1 }
                    writeNew(sim, inc, at: j, count: n)
                    j += n
                }
            }
        }
        for (j, b) in blocks.enumerated() {
            latestFile[b] = UInt32(files.count - 1)
            latestOffset[b] = j
        }
    }

    /// Backup `k` in a sampled shard: the shard's changed and grown blocks, packed in address
    /// order into an incremental sized at their count scaled to the data set.
    func sampledIncrement(_ sim: Simulation, _ k: Int, grown: Int) {
        guard var m = members else { return }
        let runs = change.next(size: size, sim: sim)
        var indices: [Int] = []
        for run in runs {
            for b in run.start..<(run.start + run.count) { if let i = m.index(b) { indices.append(i) } }
        }
        if grown > size {
            let old = size
            m.grow(to: grown)
            members = m
            latestFile += [UInt32](repeating: 0, count: m.indexCount - latestFile.count)
            latestOffset += [Int](repeating: 0, count: m.indexCount - latestOffset.count)
            size = grown
            m.forEachGranule(from: old) { first, _, count in indices += first..<(first + count) }
        }
        indices.sort()
        var blocks: [Int] = []
        blocks.reserveCapacity(indices.count)
        for i in indices where blocks.last != i { blocks.append(i) }
        let inc = fileName(k, full: false)
        files.append(BackupFile(name: inc, chain: chain, full: false, day: k))
        let scaled = Int((Double(blocks.count) * Double(size) / Double(max(1, m.blockCount))).rounded())
        if create(sim, inc, blocks: max(blocks.count, scaled)) { writeNew(sim, inc, at: 0, count: blocks.count) }
        for (j, i) in blocks.enumerated() {
            latestFile[i] = UInt32(files.count - 1)
            latestOffset[i] = j
        }
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
            writeFull(sim, full)
            setLatest(to: files.count - 1)
            sim.record(name, "synthetic_full", full, "\(size) blocks copied")
            return
        }
        if members != nil { return sampledSyntheticFull(sim, full, maxRun: maxRun) }
        var b = 0
        var calls = 0, refused = 0
        while b < size {
            let file = latestFile[b], offset = latestOffset[b]
            var n = 1
            while b + n < size && n < maxRun && latestFile[b + n] == file && latestOffset[b + n] == offset + n { n += 1 }
            calls += 1
            // A shard clones the run's pieces at its addresses (the full's offsets).
            for piece in sim.sharding.isWhole ? [(run: BlockRun(start: b, count: n), from: 0)] : sim.sharding.cut([BlockRun(start: b, count: n)]) {
                let at = piece.run.start
                if !sim.repositoryClone(name, files[Int(file)].name, block: offset + (at - b), to: full, block: at, count: piece.run.count) {
                    refused += 1
                    writeNew(sim, full, at: at, count: piece.run.count)  // the backup software copies what it cannot clone
                }
            }
            b += n
        }
        cloneCalls += calls
        cloneRefusals += refused
        setLatest(to: files.count - 1)
        sim.record(name, "synthetic_full", full, "\(size) blocks in \(calls) block clones" + (refused > 0 ? ", \(refused) refused and copied" : ""))
    }

    /// A synthetic full in a sampled shard: its own blocks' runs cloned, and the whole run's
    /// clone calls estimated (see "Shards"), an event figure the merge adds up over the shards.
    func sampledSyntheticFull(_ sim: Simulation, _ full: String, maxRun: Int) {
        guard let m = members else { return }
        var refused = 0
        var starts = RunStarts()
        var run: (file: UInt32, offset: Int, address: Int, count: Int)?
        func flush() {
            guard let r = run else { return }
            if !sim.repositoryClone(name, files[Int(r.file)].name, block: r.offset, to: full, block: r.address, count: r.count) {
                refused += 1
                writeNew(sim, full, at: r.address, count: r.count)
            }
            run = nil
        }
        m.forEachGranule { first, address, count in
            for j in 0..<count {
                let file = latestFile[first + j], offset = latestOffset[first + j]
                starts.add(address + j, starts: j > 0 && (latestFile[first + j - 1] != file || latestOffset[first + j - 1] + 1 != offset))
                if let r = run, r.file == file, r.offset + r.count == offset, r.address + r.count == address + j, r.count < maxRun {
                    run!.count += 1
                } else {
                    flush()
                    run = (file, offset, address + j, 1)
                }
            }
        }
        flush()
        cloneRefusals += refused
        setLatest(to: files.count - 1)
        // This shard's part of the whole run's breaks, plus its share of the splits at the
        // longest clone.
        let part = starts.estimate + Double(m.blockCount) / Double(maxRun)
        sim.record(name, "synthetic_full", full, "\(size) blocks in about \(EventRecord.figureMark) block clones (estimated from the sample)",
                   figure: Int(part.rounded()), figureAtLeast: size / maxRun + (size % maxRun > 0 ? 1 : 0))
    }

    func setLatest(to file: Int) {
        for i in latestFile.indices {
            latestFile[i] = UInt32(file)
            latestOffset[i] = members?.address(i) ?? i
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
        let how = !spec.blockCloning ? "by copying"
            : members != nil ? "by block cloning (their clone calls estimated in their events)"
            : "by \(cloneCalls) block clones (\(cloneRefusals) refused)"
        sim.result.notes.append("\(name): \(backups) backups of a data set of \(size) blocks (\(initialSize) at the start), "
            + "\(syntheticFulls) synthetic fulls " + how + "; \(kept) backup files and \(points.count) restore points kept.")
    }
}
