// Block-model benchmarks for issue 3's targets. Run on demand, in release:
//
//     swift run -c release clonesim-bench [--quick] [--only WORD] [--image GIB]
//
// --only WORD keeps the rows whose name contains WORD (for profiling one of them).
// --image GIB sets the size of the image the clone rows (2-4) write into (40 GiB, 4 with
// --quick): a smaller one shows the same code with less of it waiting on memory.
// Prints one Markdown table row per measurement. Times are the median of several runs where
// an operation is cheap enough to repeat. Memory is the growth of the resident set
// (/proc/self/statm) while the measured objects are built, so it counts everything the model
// allocates for them.
import BlockModel
import Engine
import Planner
import Stochastic
import Workloads
import Foundation
#if canImport(Glibc)
import Glibc
#endif

let quick = CommandLine.arguments.contains("--quick")
let only: String? = CommandLine.arguments.firstIndex(of: "--only").flatMap {
    $0 + 1 < CommandLine.arguments.count ? CommandLine.arguments[$0 + 1] : nil
}
func wanted(_ name: String) -> Bool { only.map { name.contains($0) } ?? true }
let imageGiB: Int? = CommandLine.arguments.firstIndex(of: "--image").map { i in
    guard i + 1 < CommandLine.arguments.count, let n = Int(CommandLine.arguments[i + 1]), n > 0 else {
        FileHandle.standardError.write(Data("clonesim-bench: --image takes a whole number of GiB above 0\n".utf8))
        exit(2)
    }
    return n
}
let gib = 262_144  // 4 KiB blocks per GiB

func heapBytes() -> Int {
    // Resident pages × page size, from /proc/self/statm ("size resident shared ...").
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func time(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    return seconds(clock.now - start)
}

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

/// CPU seconds of this process so far, in user code and in the kernel (page faults).
func cpuSeconds() -> (user: Double, system: Double) {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return (s(usage.ru_utime), s(usage.ru_stime))
}

struct LCG {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 11
    }
}

/// Set while the clone rows run on an image of `--image` size: their targets are for the
/// default image, so they are not judged ("-").
nonisolated(unsafe) var notJudged = false

func report(_ what: String, _ measured: String, _ target: String, _ ok: Bool?) {
    let met = notJudged ? "-" : ok.map { $0 ? "yes" : "no" } ?? "-"
    print("| \(what) | \(measured) | \(target) | \(met) |")
}

/// A volume holding one file of `blocks` blocks, written sequentially in runs of 256.
func image(blocks: Int, capacity: Int) throws -> (Aggregate, Double) {
    var a = Aggregate(name: "aggr", capacityBlocks: capacity)
    try a.createVolume("img", sizeBlocks: capacity)
    try a.createFile("img", "disk", sizeBlocks: blocks)
    var buffer = [UInt64](repeating: 0, count: 256)
    let t = try time {
        var start = 0
        while start < blocks {
            let n = min(256, blocks - start)
            for k in 0..<n { buffer[k] = UInt64(start + k) }
            try a.write("img", "disk", at: start, contents: n == 256 ? buffer : Array(buffer[0..<n]))
            start += n
        }
    }
    return (a, Double(blocks) / t)
}

/// Two rows on the machine itself, printed before the model's rows and after them, so each
/// table says how fast this machine's memory was while it ran (on a VM it changes from one
/// minute to the next, and the write and dedup rows follow it):
/// - a dependent random read in 512 MiB (a pointer chase over cache lines in random order):
///   what each miss of a random write costs when nothing overlaps it;
/// - mapping 512 MiB of fresh memory (`MAP_POPULATE`): what the kernel charges for the pages a
///   dedup run touches first.
var sink = 0
@MainActor func machineRows(_ when: String) {
    let lines = 1 << 23  // 512 MiB of 64-byte lines
    let perLine = 8  // Ints per line
    var chase = [Int](repeating: 0, count: lines * perLine)
    // A random cyclic order of the lines (Sattolo's shuffle), each line's first word the next.
    var order = Array(0..<lines)
    var rng = LCG(state: 7)
    for i in stride(from: lines - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i))) }
    for k in 0..<lines { chase[order[k] * perLine] = order[(k + 1) % lines] * perLine }
    let steps = 4_000_000
    var at = 0
    let t = chase.withUnsafeBufferPointer { c in
        time { for _ in 0..<steps { at = c[at] } }
    }
    sink &+= at  // the chase is used, so it is not optimised away
    report("machine (\(when)): dependent random read in 512 MiB", String(format: "%.0f ns", t / Double(steps) * 1e9), "-", nil)
    let bytes = 512 << 20
    let tm = time {
        guard let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0), p != MAP_FAILED else { return }
        munmap(p, bytes)
    }
    report("machine (\(when)): mapping 512 MiB of fresh memory", String(format: "%.2f s per GiB", tm * Double(1 << 30) / Double(bytes)), "-", nil)
}

print("| measurement | measured | target | met |")
print("| --- | --- | --- | --- |")
if wanted("machine") { machineRows("before") }

// 1. Snapshot copy and FlexClone volume of a 100 GiB volume.
if wanted("Snapshot copy") {
    let blocks = quick ? 10 * gib : 100 * gib
    var (a, fill) = try image(blocks: blocks, capacity: blocks + 40 * gib)
    report("sequential first write of a \(blocks / gib) GiB file, runs of 256", String(format: "%.1f M blocks/s", fill / 1e6), "-", nil)
    var snapTimes: [Double] = []
    for i in 0..<21 {
        snapTimes.append(try time { try a.createSnapshot("img", "s\(i)") })
        try a.deleteSnapshot("img", "s\(i)")
    }
    let snapMs = median(snapTimes) * 1000
    report("Snapshot copy of a \(blocks / gib) GiB volume", String(format: "%.3f ms", snapMs), "≤ 1 ms", snapMs <= 1)
    try a.createSnapshot("img", "base")
    var cloneTimes: [Double] = []
    for i in 0..<21 { cloneTimes.append(try time { try a.createVolumeClone("c\(i)", parent: "img", snapshot: "base") }) }
    let cloneMs = median(cloneTimes) * 1000
    report("FlexClone volume of a \(blocks / gib) GiB volume (existing Snapshot copy)", String(format: "%.3f ms", cloneMs), "≤ 1 ms", cloneMs <= 1)
    let autoMs = try time { try a.createVolumeClone("auto", parent: "img") } * 1000
    report("FlexClone volume with its automatic Snapshot copy", String(format: "%.3f ms", autoMs), "≤ 1 ms", autoMs <= 1)
}

// 2-4. A 40 GiB image: file clone, random and sequential overwrites into clones, memory.
do {
    let blocks = (imageGiB ?? (quick ? 4 : 40)) * gib
    notJudged = imageGiB != nil
    defer { notJudged = false }
    var (a, _) = try image(blocks: blocks, capacity: 3 * blocks)
    var rng = LCG(state: 42)
    var indices = [Int](repeating: 0, count: 4096), contents = [UInt64](repeating: 0, count: 4096)
    // New data gets new identities counting up past the image's, as the simulator's content
    // model gives unique data (random 64-bit identities would widen the content column).
    var nextContent = UInt64(blocks)
    func unique() -> UInt64 { nextContent += 1; return nextContent }
    // Memory per clone after 1% uniform random divergence.
    let clones = quick ? 10 : 40
    let perClone = blocks / 100
    try a.createSnapshot("img", "golden")
    if wanted("memory") {
    /// Clones of the golden image, each diverging by `perClone` random blocks.
    func divergentClones(_ range: Range<Int>, perClone: Int = perClone) throws {
        for c in range {
            try a.createVolumeClone("vdi\(c)", parent: "img", snapshot: "golden")
            var done = 0
            while done < perClone {
                let n = min(4096, perClone - done)
                for k in 0..<n { indices[k] = Int(rng.next() % UInt64(blocks)); contents[k] = unique() }
                try a.write("vdi\(c)", "disk", indices: Array(indices[0..<n]), contents: Array(contents[0..<n]))
                done += n
            }
        }
    }
    let before = heapBytes()
    try divergentClones(0..<clones)
    let middle = heapBytes()
    // The same again: the marginal cost of further clones, without one-time costs (the
    // golden image's per-leaf shadow counts are allocated by the first clone that diverges).
    try divergentClones(clones..<(2 * clones))
    let first = Double(middle - before) / Double(clones) / 1_048_576
    let marginal = Double(heapBytes() - middle) / Double(clones) / 1_048_576
    report("memory per clone of a \(blocks / gib) GiB image after 1% random divergence: first \(clones) clones / next \(clones)",
           String(format: "%.2f / %.2f MiB", first, marginal), "≤ 2 MiB", marginal <= 2)
    // Past 12.5% of a leaf, deltas become dense leaves (`promoteThreshold`): what a clone costs
    // there, for the record (no target).
    let beforeTen = heapBytes()
    try divergentClones((2 * clones)..<(2 * clones + 4), perClone: blocks / 10)
    let ten = Double(heapBytes() - beforeTen) / 4 / 1_048_576
    report("memory per clone of a \(blocks / gib) GiB image after 10% random divergence (4 more clones)",
           String(format: "%.1f MiB", ten), "-", nil)
    for c in 0..<(2 * clones + 4) { try a.destroyVolume("vdi\(c)") }
    }
    if wanted("FlexClone file") {
    let firstClone = try time { try a.cloneFile("img", "disk", to: "fc1") } * 1000
    let secondClone = try time { try a.cloneFile("img", "disk", to: "fc2") } * 1000
    report("FlexClone file of a \(blocks / gib) GiB file (first / second)", String(format: "%.1f / %.1f ms", firstClone, secondClone),
           "≤ 100 ms", max(firstClone, secondClone) <= 100)
    try a.deleteFile("img", "fc1")
    try a.deleteFile("img", "fc2")
    }

    if wanted("random") {
    try a.createVolumeClone("rand", parent: "img", snapshot: "golden")
    let total = quick ? 500_000 : 4_000_000
    let batched = try time {
        for _ in 0..<(total / 4096) {
            for k in 0..<4096 { indices[k] = Int(rng.next() % UInt64(blocks)); contents[k] = unique() }
            try a.write("rand", "disk", indices: indices, contents: contents)
        }
    }
    report("random 4 KiB overwrites into a clone, bursts of 4096", String(format: "%.2f M blocks/s", Double(total / 4096 * 4096) / batched / 1e6),
           "≥ 5 M blocks/s", Double(total / 4096 * 4096) / batched >= 5e6)
    try a.createVolumeClone("rand1", parent: "img", snapshot: "golden")
    let singles = quick ? 100_000 : 500_000
    let single = try time {
        for _ in 0..<singles { try a.write("rand1", "disk", at: Int(rng.next() % UInt64(blocks)), contents: [unique()]) }
    }
    report("random 4 KiB overwrites into a clone, one call per block", String(format: "%.2f M blocks/s", Double(singles) / single / 1e6),
           "≥ 5 M blocks/s", Double(singles) / single >= 5e6)
    try a.destroyVolume("rand")
    try a.destroyVolume("rand1")
    }

    // A warm-up clone written and destroyed first, so every row below reuses freed block ids as
    // a long simulation does, rather than the first row alone paying the page faults of fresh
    // per-block metadata (the full run's earlier rows leave freed ids behind anyway).
    if wanted("runs of") {
        try a.createVolumeClone("warm", parent: "img", snapshot: "golden")
        let warm = [UInt64](repeating: 7, count: 4096)
        for _ in 0..<((quick ? 1_000_000 : 8_000_000) / 4096) {
            try a.write("warm", "disk", at: Int(rng.next() % UInt64(blocks - 4096)), contents: warm)
        }
        try a.destroyVolume("warm")
    }
    for run in [16, 256] where wanted("runs of \(run)") {
        let name = "seq\(run)"
        try a.createVolumeClone(name, parent: "img", snapshot: "golden")
        let buffer = [UInt64](repeating: 7, count: run)
        let count = (quick ? 1_000_000 : 8_000_000) / run
        let t = try time {
            for _ in 0..<count {
                let start = Int(rng.next() % UInt64(blocks - run))
                try a.write(name, "disk", at: start, contents: buffer)
            }
        }
        report("sequential runs of \(run) blocks into a clone, one call per run", String(format: "%.1f M blocks/s", Double(count * run) / t / 1e6),
               "≥ 50 M blocks/s", Double(count * run) / t >= 50e6)
        try a.destroyVolume(name)
        // The same as bursts of 4096 blocks, one call each (as a simulated event writes its runs).
        try a.createVolumeClone(name, parent: "img", snapshot: "golden")
        let perCall = 4096 / run
        let contents = [UInt64](repeating: 7, count: perCall * run)
        var runs = [Range<Int>](repeating: 0..<0, count: perCall)
        let tb = try time {
            for _ in 0..<(count / perCall) {
                for r in 0..<perCall {
                    let start = Int(rng.next() % UInt64(blocks - run))
                    runs[r] = start..<(start + run)
                }
                try a.write(name, "disk", runs: runs, contents: contents)
            }
        }
        let written = Double(count / perCall * perCall * run)
        report("sequential runs of \(run) blocks into a clone, bursts of \(perCall) runs", String(format: "%.1f M blocks/s", written / tb / 1e6),
               "≥ 50 M blocks/s", written / tb >= 50e6)
        try a.destroyVolume(name)
    }
}

// 5. Per-object report of a 100 GiB volume holding a file and 255 file clones.
if wanted("report") {
    let logical = quick ? 10 * gib : 100 * gib
    let fileBlocks = logical / 256
    var (a, _) = try image(blocks: fileBlocks, capacity: 2 * fileBlocks + 10 * gib)
    for i in 1...255 { try a.cloneFile("img", "disk", to: "clone\(i)") }
    var figures: [ObjectFigures] = []
    let t = time { figures = a.accounting() }
    report("per-object report: \(logical / gib) GiB volume = 1 file + 255 file clones (\(figures.count) rows)",
           String(format: "%.3f s", t), "≤ 2 s", t <= 2)
}

// 6. Post-process dedup (issue 6): a 100 GiB volume whose data is 30% duplicates (each
// duplicate repeats one of 1 Mi popular contents), first run over every block.
if wanted("dedup") {
    let blocks = quick ? 10 * gib : 100 * gib
    var a = Aggregate(name: "aggr", capacityBlocks: blocks + 10 * gib)
    try a.createVolume("v", sizeBlocks: blocks + 5 * gib)
    try a.setDedup("v", mode: .postProcess)
    try a.createFile("v", "data", sizeBlocks: blocks)
    var rng = LCG(state: 42)
    var buffer = [UInt64](repeating: 0, count: 4096)
    var next: UInt64 = 1 << 40
    /// 30% one of the popular contents, 70% new.
    func content() -> UInt64 {
        let r = rng.next()
        if r % 10 < 3 { return r % (1 << 20) }
        next += 1
        return next - 1
    }
    for start in stride(from: 0, to: blocks, by: buffer.count) {
        for k in buffer.indices { buffer[k] = content() }
        try a.write("v", "data", at: start, contents: buffer)
    }
    var run = DedupRun()
    // User and system time apart: on a VM that backs guest memory on first touch, the run's
    // fresh pages (~1.3 GB: table, records, counts) can cost more than the run's own work.
    let cpu = cpuSeconds()
    let t = try time { run = try a.runDedup("v") }
    let after = cpuSeconds()
    report("post-process dedup run, \(blocks / gib) GiB volume, 30% duplicates (\(run.duplicates) deduplicated)",
           String(format: "%.1f M blocks/s (%.2f s: user %.2f s, system %.2f s)", Double(run.processedBlocks) / t / 1e6, t,
                  after.user - cpu.user, after.system - cpu.system), "≥ 20 M blocks/s",
           Double(run.processedBlocks) / t >= 20e6)
    // A nightly run after it: 1% of the volume rewritten at random, 30% of it duplicates.
    let changed = blocks / 100
    var indices = [Int](repeating: 0, count: 4096)
    for _ in stride(from: 0, to: changed, by: buffer.count) {
        for k in buffer.indices {
            indices[k] = Int(rng.next() % UInt64(blocks))
            buffer[k] = content()
        }
        try a.write("v", "data", indices: indices, contents: buffer)
    }
    var nightly = DedupRun()
    let tn = try time { nightly = try a.runDedup("v") }
    report("post-process dedup, next run after 1% of the volume was rewritten (\(nightly.processedBlocks) blocks, \(nightly.duplicates) deduplicated)",
           String(format: "%.1f ms, %.1f M blocks/s", tn * 1000, Double(nightly.processedBlocks) / tn / 1e6), "-", nil)
}

// 7. Plan replications per second (issue 8): a dev/test scenario (a 1 GiB database, 4 clones
// with lognormal daily change, weekly refresh, 30 days), 8 replications with one job and with
// two. Target: two jobs at least 1.7 times as fast.
if wanted("plan") {
    var spec = ScenarioSpec(name: "bench", horizon: .days(30), sampleInterval: .days(1),
                            aggregate: AggregateSpec(capacityBytes: 40 * gib * 4096))
    var volume = VolumeSpec(name: "prod", sizeBytes: 4 * gib * 4096)
    volume.files = [FileSpec(path: "db", sizeBytes: (quick ? gib / 4 : gib) * 4096)]
    spec.volumes = [volume]
    var devtest = DevTestSpec(source: "prod")
    var change = ChangeSpec(rate: RandomVariable(.lognormal(zeta: log(0.03), sigma: 0.6)))
    change.pattern = .hotspot(regions: 64, exponent: 1)
    change.writeSize = .constant(65536)
    var group = CloneGroupSpec(name: "dev", count: 4)
    group.change = change
    devtest.groups = [group]
    devtest.sourceChange = change
    devtest.refreshEvery = .days(7)
    spec.workloads = [WorkloadSpec(name: "devtest", kind: .devtest(devtest))]
    let runs = quick ? 4 : 8
    var rates: [Double] = []
    for jobs in [1, 2] {
        let t = try time { _ = try Planner.run([PlanVariant(label: "base", spec: spec)], settings: PlanSettings(runs: runs, jobs: jobs)) }
        rates.append(Double(runs) / t)
        report("plan replications, dev/test scenario, --jobs \(jobs)", String(format: "%.2f /s", Double(runs) / t), jobs == 1 ? "-" : "≥ 1.7 × one job",
               jobs == 1 ? nil : rates[1] >= 1.7 * rates[0])
    }
    report("plan speed-up, 2 jobs over 1", String(format: "%.2f×", rates[1] / rates[0]), "≥ 1.7×", rates[1] >= 1.7 * rates[0])
}

// Issue 22's accuracy battery: seeded random dev/test, VDI, VDI with dedup, events, backup and
// checkpoints scenarios on ONTAP, reflink and ReFS (VDI on all three, the repositories on ReFS and reflink),
// each run exact and sampled at 1/16, 1/64 and 1/256; a figure counts as covered when
// the exact value lies within the sample's reported 95% interval. Figures: final and peak
// physical use, final traditional use, and each volume's physical use.
if wanted("sampling") {
    var state: UInt64 = 22
    func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    func pick(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    func scenario(_ i: Int) -> ScenarioSpec {
        let kind = (i / 2) % 6
        let platform: Platform = switch kind {
        case 1, 5: [.ontap, .refs, .reflink][i % 3]
        case 3, 4: i % 2 == 0 ? .refs : .reflink
        default: i % 2 == 0 ? .ontap : .reflink
        }
        var spec = ScenarioSpec(name: "battery-\(i)", horizon: .days(Int64(pick(7...21))), sampleInterval: .days(1),
                                aggregate: AggregateSpec(capacityBytes: 4 << 40))
        spec.seed = next()
        spec.platform = platform
        // Half with a random rate (a sampled shard walks the exact draws), half constant (it
        // draws only its own writes, `WritePlanner.planSample`).
        let percent = Double(pick(1...5)) / 100
        var change = ChangeSpec(rate: pick(0...1) == 0 ? RandomVariable(.lognormal(zeta: log(percent), sigma: 0.5), truncation: Truncation(max: 0.3))
                                                      : RandomVariable(.constant(value: percent)))
        change.writeSize = RandomVariable.constant(Double([4096, 16384, 65536, 1_048_576][pick(0...3)]))
        let patterns: [WritePattern] = [.uniform, .hotspot(regions: 32, exponent: 1.1), .sequential]
        change.pattern = patterns[pick(0...2)]
        let sizeGiB = pick(1...16)
        switch kind {
        case 0:
            var volume = VolumeSpec(name: "prod", sizeBytes: 64 << 30)
            volume.files = [FileSpec(path: "db", sizeBytes: sizeGiB << 30)]
            spec.volumes = [volume]
            var devtest = DevTestSpec(source: "prod")
            var group = CloneGroupSpec(name: "dev", count: pick(2...8))
            group.change = change
            devtest.groups = [group]
            devtest.sourceChange = change
            if pick(0...1) == 1 { devtest.refreshEvery = .days(7) }
            spec.workloads = [WorkloadSpec(name: "devtest", kind: .devtest(devtest))]
        case 1:
            var volume = VolumeSpec(name: "vdi", sizeBytes: 2 << 40)
            volume.files = [FileSpec(path: "golden", sizeBytes: min(sizeGiB, 4) << 30)]
            spec.volumes = [volume]
            var v = VDISpec(volume: "vdi", image: "golden", desktops: platform == .ontap ? pick(20...300) : pick(20...60))
            v.cloneTime = .seconds(30)
            v.parallel = 50
            v.change = change
            spec.workloads = [WorkloadSpec(name: "desktops", kind: .vdi(v))]
        case 5:
            // Dedup of desktops' shared contents: a pool's contents land at any address, and a
            // sample takes them by content (`ContentPool`).
            var volume = VolumeSpec(name: "vdi", sizeBytes: 2 << 40)
            volume.files = [FileSpec(path: "golden", sizeBytes: min(sizeGiB, 2) << 30)]
            var dedup = DedupSpec()
            dedup.start = .hours(1)
            volume.dedup = dedup
            spec.volumes = [volume]
            var pool = ContentPoolSpec(name: "patches", sizeBytes: pick(4...64) << 22)
            pool.exponent = [0, 0.8, 1.1][pick(0...2)]
            spec.contentPools = [pool]
            var content = ContentSpec()
            content.zero = Double(pick(0...10)) / 100
            content.golden = Double(pick(0...20)) / 100
            content.pools = [ContentSpec.PoolShare(pool: "patches", share: Double(pick(10...50)) / 100)]
            change.content = content
            var v = VDISpec(volume: "vdi", image: "golden", desktops: pick(20...60))
            v.cloneTime = .seconds(30)
            v.parallel = 50
            v.change = change
            spec.workloads = [WorkloadSpec(name: "desktops", kind: .vdi(v))]
        case 3:
            var backup = BackupSpec(dataBytes: sizeGiB << 30, change: change)
            backup.syntheticFullEvery = pick(3...7)
            backup.restorePoints = pick(3...10)
            backup.weeklyFulls = pick(0...2)
            backup.growthPerYear = Double(pick(0...2)) / 2
            spec.workloads = [WorkloadSpec(name: "job", kind: .backup(backup))]
        case 4:
            // The day's change spread over intervals of a few hours.
            let hours = pick(1...6), share = percent * Double(hours) / 24
            change.interval = .hours(Int64(hours))
            change.rate = change.rate.distribution.isRandom ? RandomVariable(.lognormal(zeta: log(share), sigma: 0.5), truncation: Truncation(max: 0.3))
                                                            : RandomVariable(.constant(value: share))
            var checkpoints = CheckpointsSpec(diskBytes: sizeGiB << 30, change: change)
            checkpoints.used = .percent(pick(30...90))
            checkpoints.keep = pick(1...3)
            spec.workloads = [WorkloadSpec(name: "vm", kind: .checkpoints(checkpoints))]
        default:
            var volume = VolumeSpec(name: "v", sizeBytes: 64 << 30)
            volume.files = [FileSpec(path: "f", sizeBytes: sizeGiB << 30)]
            spec.volumes = [volume]
            var list = EventsSpec()
            list.operations = [
                TimedOperation(at: .days(1), operation: .snapshot(volume: "v", name: "s")),
                TimedOperation(at: .days(1), operation: .cloneVolume(name: "c", parent: "v", snapshot: "s")),
                TimedOperation(at: .days(1), operation: .cloneFile(volume: "v", source: "f", destination: "g")),
                TimedOperation(at: .days(2), operation: .write(volume: "c", path: "f", bytes: (sizeGiB << 30) / 10, pattern: change.pattern,
                                                               writeSize: change.writeSize)),
                TimedOperation(at: .days(3), operation: .write(volume: "v", path: "g", bytes: (sizeGiB << 30) / 20, pattern: .uniform,
                                                               writeSize: .constant(65536))),
                TimedOperation(at: .days(4), operation: .deleteFile(volume: "v", path: "f")),
            ]
            spec.workloads = [WorkloadSpec(name: "w", kind: .events(list))]
            spec.horizon = .days(5)
        }
        return spec
    }
    let count = quick ? 12 : 48
    var inside: [Int: (Int, Int)] = [:]
    var worst: [Int: Double] = [:]
    // The scenarios with dedup (kind 5), whose pool contents a sample takes by content.
    var dedupInside: [Int: (Int, Int)] = [:]
    for i in 0..<count {
        let spec = scenario(i)
        let exact = try Simulation(spec).run()
        for rate in [16, 64, 256] {
            let sampled = try Simulation.runSampled(spec, rate: rate, jobs: 2)
            guard let z = sampled.sampling else { continue }
            var figures: [(Estimate, Int)] = [(z.finalPhysical, exact.samples.last!.physicalUsed), (z.peak, exact.peak.blocks),
                                              (z.finalTraditional, exact.samples.last!.traditionalUsed)]
            for (k, o) in exact.objects.enumerated() where o.kind == .volume { figures.append((z.objectPhysical[k], o.physicalUsed)) }
            let hits = figures.filter { abs($0.0.value - $0.1) <= $0.0.halfWidth }.count
            inside[rate, default: (0, 0)].0 += hits
            inside[rate, default: (0, 0)].1 += figures.count
            if !spec.contentPools.isEmpty {
                dedupInside[rate, default: (0, 0)].0 += hits
                dedupInside[rate, default: (0, 0)].1 += figures.count
            }
            let error = Double(abs(z.finalPhysical.value - exact.samples.last!.physicalUsed)) / Double(max(1, exact.samples.last!.physicalUsed))
            worst[rate] = max(worst[rate] ?? 0, error)
        }
    }
    for rate in [16, 64, 256] {
        let (hits, all) = inside[rate] ?? (0, 0)
        let (dedupHits, dedupAll) = dedupInside[rate] ?? (0, 0)
        report("sampling battery 1/\(rate): figures inside their 95% interval (\(count) scenarios)",
               String(format: "%d of %d (%.1f%%; with dedup %d of %d); worst final-use error %.2f%%", hits, all, 100 * Double(hits) / Double(max(1, all)),
                      dedupHits, dedupAll, 100 * (worst[rate] ?? 0)),
               "≥ 95%", Double(hits) >= 0.95 * Double(all))
    }
}

if wanted("machine") { machineRows("after") }
