import Foundation
import BlockModel
import Engine
import Stochastic

/// Address-space shards (issue 22, first step): the logical address space of every data set cut
/// into granules, each granule given to one of `count` shards, and a run that simulates only the
/// writes landing in its `members`' granules.
///
/// ## Why it is exact
/// In the copy-on-write model a block's sharing, copying and freeing depend only on what happened
/// at its own address in the file and in everything derived from it (Snapshot copies, volume and
/// file clones, the limit strategy's full copies). Every structure operation of the workloads
/// this step covers keeps a block at its offset, so the shard of a block is a function of its
/// offset alone: the hash below takes the granule index and nothing else, and a file, its clones
/// and its copies fall into the same shard granule by granule. Every shard runs the same events,
/// the same structure operations and the same random draws (the write planners and content
/// models draw for the whole object, then the writes are cut to the shard), so the shards never
/// disagree on structure, and their block figures add up to the unsharded run's.
///
/// ## Granule
/// 256 blocks (1 MiB at 4 KiB): write runs of the workloads (64 KiB to 1 MiB) stay whole or split
/// in two, and the hash is computed once per granule a run touches, not per block.
///
/// ## Effects that cross shards, and how this step handles them
/// - Figures computed from a whole object (a FlexClone file's metadata, 0.4% of its size): each
///   shard charges its part of the whole figure (`ChargePart`), so the parts add up to it
///   exactly; a single shard's part is not proportional to its own blocks.
/// - Events that carry a block figure (a split estimate, blocks copied at the pointer limit)
///   carry it as `EventRecord.figure`, summed by the merge; the alert events are the merge's.
/// - The aggregate filling up, quotas, volume guarantees and LUN reservations compare block
///   counts with whole-object limits. A sampled shard compares its estimate of each whole file
///   (its blocks of the file scaled by the file's size over its share of it, `ObjectShare`) with a
///   quota's limit: exact for fully mapped files, so that quota refusals of clones fire at the
///   same clone and date as in the exact run; for partly mapped ones the shards may disagree
///   near the limit, and the merge then refuses the sample. Exact shards, guarantees and
///   reservations: not covered yet — `check` refuses them.
/// - Dedup shares equal content at different addresses. Content drawn from a pool lands at any
///   address, so a sampled shard samples pool contents by content (`ContentPool`): it holds all
///   the copies of the contents it holds, and dedup makes of them what the whole run makes.
///   Zero blocks and the most popular contents are sampled by address (every shard holds them,
///   many copies each): a shard keeps one donor more than its share, a bias under M blocks per
///   such content. Golden rewrites match the image at their own address, which is in the same
///   shard. Dedup runs' figures and times are the shards' sum scaled (`RunResult.merged`).
///   Exact shards: not covered (refused), as contents there cannot be split by content.
/// - A Flash Cache's hit rate depends on what else is cached. A sampled shard reads its granules'
///   blocks through a cache scaled to its share, as SHARDS scales a cache with its sample: its
///   reads and hits, added up and scaled, estimate the whole cache's (an approximation: LRU over
///   a spatial sample). Exact shards: not covered (refused).
/// - A backup's incrementals pack changed blocks and its synthetic fulls clone them back to
///   their addresses: it shards by the address in the protected data set, not by file offset
///   (`BackupDriver`, "Shards"); checkpoint merges move data between offsets too, and shard
///   alike (`CheckpointsDriver`). Replication copies into another aggregate: not covered yet
///   (refused).
/// - btrfs bookend extents (extent freeing) keep a whole write allocated while any of its blocks
///   is referenced, and a write's extent may hold blocks of several shards (a write across a
///   granule's end; an incremental packs blocks of many addresses): not covered (refused).
/// - A block clone refused at a cluster's reference limit (ReFS's 8175) is refused in the shard
///   that holds the cluster only: the shards' events then differ, the merge refuses them, and a
///   sharded run runs whole. Clones of whole files reach the limit in every shard alike (every
///   cluster of a cloned file gains one reference).
public struct Sharding: Sendable, Equatable {
    /// Blocks per granule: 2^8.
    public static let granuleShift = 8
    public let count: Int
    /// The shards simulated, ascending.
    public let members: [Int]

    /// A sampled run's shard plans only the writes that land in its granules
    /// (`WritePlanner.planSample`): the same distribution of writes as the whole run, not the
    /// same draws, so its cost follows its share. Off, every shard draws every write and keeps
    /// its part, so that the shards of an exact run add up to the unsharded run byte for byte.
    public let sampled: Bool

    /// - Precondition: `count >= 1`; `members` non-empty, distinct, each in `0 ..< count`.
    public init(count: Int, members: [Int], sampled: Bool = false) {
        self.sampled = sampled && members.count < count
        precondition(count >= 1 && !members.isEmpty && Set(members).count == members.count && members.allSatisfy { (0..<count).contains($0) },
                     "shards: members of 0..<count")
        self.count = count
        self.members = members.sorted()
        memberSet = members.reduce(into: 0) { $0 |= $1 < 64 ? UInt64(1) << UInt64($1) : 0 }
        wide = count > 64 ? Set(members) : []
        contentShard = self.members[0]
    }

    /// Which of `count` shards of a pool's contents this run holds when it samples contents
    /// (`ContentPool`): the member, unless a sample's spacing (`Sampling.shards`) transposes it.
    public var contentShard: Int

    /// Every shard: the unsharded run.
    public static let whole = Sharding(count: 1, members: [0])
    public var isWhole: Bool { members.count == count }
    /// The share of every data set this run simulates, exactly.
    public var share: Ratio { Ratio(members.count, count) }

    private let memberSet: UInt64
    private let wide: Set<Int>

    /// The shard of granule `g`. Granules are taken `count` at a time (a stripe); within each
    /// stripe the shards follow one another from a starting shard that splitmix64 of the stripe
    /// index draws. So every shard holds exactly one granule of every stripe — a stratified
    /// sample, in which a shard's share of any object differs from 1/count by at most one
    /// granule (a plain hash of each granule would let it vary by √granules, the largest part of
    /// a sample's error on small data sets) — and which granule of a stripe it holds is random.
    @inline(__always)
    public func shard(ofGranule g: Int) -> Int {
        let stripe = g / count, within = g - stripe * count
        return (within + rotation(ofStripe: stripe)) % count
    }

    /// Where stripe `stripe`'s shards start: splitmix64 of the stripe index.
    @inline(__always)
    func rotation(ofStripe stripe: Int) -> Int {
        var z = UInt64(bitPattern: Int64(stripe)) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(z % UInt64(count))
    }

    /// The member granules that hold blocks of `0 ..< size`, ascending.
    /// - Complexity: O(stripes · members), not O(granules): one granule per member per stripe.
    public func memberGranules(below size: Int) -> [Int] {
        let granules = (size + (1 << Self.granuleShift) - 1) >> Self.granuleShift
        var out: [Int] = []
        out.reserveCapacity((granules / count + 1) * members.count)
        var stripe = 0
        while stripe * count < granules {
            let r = rotation(ofStripe: stripe)
            let base = out.count
            for m in members {
                let g = stripe * count + (m - r + count) % count
                if g < granules { out.append(g) }
            }
            if members.count > 1 { out[base...].sort() }
            stripe += 1
        }
        return out
    }

    @inline(__always)
    public func contains(granule g: Int) -> Bool {
        let s = shard(ofGranule: g)
        return count <= 64 ? memberSet & (1 << UInt64(s)) != 0 : wide.contains(s)
    }

    /// The parts of `runs` in member granules, each with its position in the runs' blocks taken
    /// in order (where its contents start).
    /// - Complexity: O(runs + granules they touch).
    public func cut(_ runs: [BlockRun]) -> [(run: BlockRun, from: Int)] {
        var out: [(BlockRun, Int)] = []
        var position = 0
        for run in runs {
            var start = run.start
            let end = run.start + run.count
            while start < end {
                let g = start >> Self.granuleShift
                let stop = min(end, (g + 1) << Self.granuleShift)
                if contains(granule: g) {
                    // Merge with the previous piece when it ends here (a run across member granules).
                    if let last = out.last, last.0.start + last.0.count == start, last.1 + last.0.count == position + (start - run.start) {
                        out[out.count - 1].0.count += stop - start
                    } else {
                        out.append((BlockRun(start: start, count: stop - start), position + (start - run.start)))
                    }
                }
                start = stop
            }
            position += run.count
        }
        return out
    }

    /// Blocks of `0 ..< size` in member granules.
    /// - Complexity: O(count): whole stripes give every member one granule each; only the last,
    ///   partial stripe is looked at granule by granule.
    public func blocks(below size: Int) -> Int {
        guard size > 0 else { return 0 }
        let granule = 1 << Self.granuleShift
        let granules = (size + granule - 1) >> Self.granuleShift
        let stripes = granules / count
        var total = stripes * members.count * granule
        for g in (stripes * count)..<granules where contains(granule: g) { total += granule }
        // The data set's last granule may be partial.
        if contains(granule: granules - 1) { total -= granules * granule - size }
        return total
    }
}

/// Physical use and unused guarantees after one event of a sharded run.
public struct UseStep: Sendable, Codable, Equatable {
    public var time: SimTime
    public var physical: Int
    public var reserved: Int
    /// Events recorded before it: where an alert it raises goes in the merged list.
    public var events: Int
}

extension Simulation {
    /// What a sharded run covers in this step; the rest is refused with the effect that crosses
    /// shards (see `Sharding`).
    static func check(_ spec: ScenarioSpec, _ sharding: Sharding) throws(SimulationError) {
        guard !sharding.isWhole else { return }
        func refuse(_ what: String, _ why: String) throws(SimulationError) {
            throw SimulationError("a sharded run does not cover \(what) yet: \(why)")
        }
        if spec.platform == .reflink && spec.fileSystem.freeing == .extent {
            try refuse("extent freeing", "a btrfs extent stays allocated while any of its blocks is referenced, and one write's extent "
                       + "may hold blocks of several shards (an incremental packs blocks of many addresses)")
        }
        for w in spec.workloads {
            switch w.kind {
            case .dr: try refuse("workload '\(w.name)'", "replication copies into a second aggregate")
            case .vdi(let v) where v.reads != nil && !sharding.sampled:
                try refuse("reads of workload '\(w.name)'", "a cache's hits depend on every shard's blocks")
            case .events(let e):
                for o in e.operations {
                    switch o.operation {
                    case .setQuota where !sharding.sampled:
                        try refuse("quotas (workload '\(w.name)')", "a quota compares a whole-object limit with a shard's blocks")
                    case .createFile(_, let f) where f.attributes.spaceReserved:
                        try refuse("reserved LUNs (workload '\(w.name)')", "a reservation holds back a whole-object figure")
                    default: break
                    }
                }
            default: break
            }
        }
        if spec.deduplicates && !sharding.sampled {
            try refuse("dedup", "equal content at different addresses is shared across shards (a sample covers it: pool contents are "
                       + "sampled by content)")
        }
        if spec.aggregate.flashCacheBytes != nil && !sharding.sampled {
            try refuse("a Flash Cache", "a cache's hits depend on every shard's blocks")
        }
        for v in spec.volumes {
            if v.guarantee != .none { try refuse("volume guarantees ('\(v.name)')", "a guarantee holds back a whole-volume figure") }
            if !sharding.sampled && (!v.quotas.isEmpty || v.qtrees.contains(where: { $0.limitBytes != nil })) {
                try refuse("quotas ('\(v.name)')", "a quota compares a whole-object limit with a shard's blocks")
            }
            if v.files.contains(where: { $0.attributes.spaceReserved }) {
                try refuse("reserved LUNs ('\(v.name)')", "a reservation holds back a whole-object figure")
            }
        }
    }
}

/// What `Simulation.runSharded` gave: the merged result, or why the scenario needs one run.
public enum ShardedOutcome: Sendable {
    case merged(RunResult)
    case notCovered(String)
}

extension Simulation {
    /// Runs `spec` as `jobs` shards, one per thread, and merges them into the result one run
    /// gives, byte for byte (see `Sharding` and `RunResult.merged`). `.notCovered` when the
    /// scenario uses what sharded runs do not cover yet, or when the shards together fill the
    /// aggregate: run it whole then. `progress` hears the first shard's progress.
    /// - Complexity: each shard repeats the structure operations (clones, Snapshot copies) and
    ///   the write planning, and writes about 1/jobs of the blocks.
    public static func runSharded(_ spec: ScenarioSpec, jobs: Int, progress: (@Sendable (Double) -> Void)? = nil)
        throws(SimulationError) -> ShardedOutcome {
        precondition(jobs >= 2, "a sharded run has two shards or more")
        do { try check(spec, Sharding(count: jobs, members: [0])) } catch { return .notCovered(error.description) }
        let parts = try runShards(spec, (0..<jobs).map { Sharding(count: jobs, members: [$0]) }, jobs: jobs, progress: progress)
        do { return .merged(try RunResult.merged(parts, aggregate: spec.aggregate)) } catch { return .notCovered(error.description) }
    }

    /// A sample of 1/`rate` of the address space (`Sampling`), on `jobs` threads: block figures
    /// scaled, with their 95% intervals in `RunResult.sampling`.
    /// - Throws: when the scenario uses what sharded runs do not cover yet, or when the
    ///   estimated use reaches the capacity (where one run would refuse writes).
    ///
    /// A plan's replication (`draw`) is a sample of the model, not of one exact run: it takes
    /// `shardsPerReplication` shards, shifted by an offset drawn from the seed (the stripes'
    /// rotations are fixed, so without it every replication would sample the same granules and
    /// the plan would carry that one sample's error in every replication: 6% on a hot-spot
    /// database at 1/2048); every object's writes are drawn for the shard alone (no object walks
    /// in step with the exact run: its rates are another draw of the same law); and a use past
    /// the capacity marks it full instead of failing it.
    public static func runSampled(_ spec: ScenarioSpec, rate: Int, jobs: Int, draw: Bool = false, progress: (@Sendable (Double) -> Void)? = nil)
        throws(SimulationError) -> RunResult {
        precondition(rate >= 2, "a sample of 1/2 or less")
        let shards = draw ? Sampling.shards(rate: rate, count: Sampling.shardsPerReplication,
                                            offset: Int(StreamSeeds.splitmix64(spec.seed ^ 0x5348_4152_4453) % UInt64(rate)))
                          : Sampling.shards(rate: rate)
        do { try check(spec, shards[0]) } catch { throw SimulationError("cannot sample \(spec.name): \(error.description); run it exact") }
        let parts = try runShards(spec, shards, jobs: jobs, keepsExactDraws: !draw, progress: progress)
        do { return try RunResult.merged(parts, aggregate: spec.aggregate, shardCount: shards[0].count, holdAtCapacity: draw) } catch {
            throw SimulationError("cannot sample \(spec.name): \(error.description); run it exact")
        }
    }

    /// Each of `shards` simulated on its own, at most `jobs` at a time, in order.
    static func runShards(_ spec: ScenarioSpec, _ shards: [Sharding], jobs: Int, keepsExactDraws: Bool = true,
                          progress: (@Sendable (Double) -> Void)?) throws(SimulationError) -> [RunResult] {
        let box = ShardResults(count: shards.count)
        // A sample's shards share the walks of the objects that keep their streams in step,
        // made ahead by one walker per job when there are such objects (`WalkTape`).
        let shared = keepsExactDraws && shards.count > 1 && shards.count <= 127 && shards.allSatisfy { $0.sampled && $0.members.count == 1 }
        let walkers = shared && jobs > 1 && walksInStep(spec) ? min(jobs, shards.count) : 0
        let tape = shared ? WalkTape(shardings: shards, walkers: walkers) : nil
        let walking = DispatchGroup()
        if let tape {
            for w in 0..<walkers {
                walking.enter()
                let thread = Thread {
                    // A walker that fails leaves its walks to the shards.
                    if let simulation = try? Simulation(spec, sharding: shards[0]) {
                        simulation.tape = (tape, nil)
                        simulation.walker = (w, walkers)
                        _ = try? simulation.run()
                    }
                    walking.leave()
                }
                thread.stackSize = 8 << 20
                thread.start()
            }
        }
        defer { walking.wait() }
        let workers = max(1, min(jobs, shards.count))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for k in stride(from: worker, to: shards.count, by: workers) {
                do throws(SimulationError) {
                    let simulation = try Simulation(spec, sharding: shards[k])
                    simulation.keepsExactDraws = keepsExactDraws
                    if let tape { simulation.tape = (tape, k) }
                    // The first worker's shards, one after another, stand for the run's progress.
                    if worker == 0 {
                        let done = Double(k / workers), of = Double((shards.count + workers - 1) / workers)
                        simulation.progress = progress.map { p in { p((done + $0) / of) } }
                    }
                    box.set(k, .success(try simulation.run()))
                } catch {
                    box.set(k, .failure(error))
                }
            }
        }
        var parts: [RunResult] = []
        for r in box.values {
            switch r {
            case .success(let part): parts.append(part)
            case .failure(let error): throw error
            case nil: throw SimulationError("a shard did not finish")
            }
        }
        return parts
    }
}

extension Simulation {
    /// Whether some object of `spec` keeps its stream in step with the exact run's in a sample
    /// (a random change rate: `planWrites`), so that walkers pay.
    static func walksInStep(_ spec: ScenarioSpec) -> Bool {
        spec.workloads.contains { w in
            switch w.kind {
            case .devtest(let d): ([d.sourceChange] + d.groups.map(\.change)).contains { $0?.rate.distribution.isRandom ?? false }
            case .vdi(let v): v.change?.rate.distribution.isRandom ?? false
            case .backup(let b): b.change.rate.distribution.isRandom
            default: false
            }
        }
    }
}

/// The shards' results, filled from several threads.
final class ShardResults: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Result<RunResult, SimulationError>?]
    init(count: Int) { items = Array(repeating: nil, count: count) }
    func set(_ k: Int, _ r: Result<RunResult, SimulationError>) { lock.withLock { items[k] = r } }
    var values: [Result<RunResult, SimulationError>?] { lock.withLock { items } }
}

/// The blocks of one data set in a shard's member granules, numbered densely in address order:
/// a repository workload keeps its per-block state by these indices in a sampled shard, so the
/// state and the work follow the shard's share, not the data set's size (`BackupDriver`).
///
/// Index `i` is the rank of its granule among the member granules, shifted, plus the offset in
/// the granule; the last member granule may end before the data set's size, so some indices
/// below `indexCount` hold no block (`address(i) >= size`).
struct MemberBlocks {
    let sharding: Sharding
    private(set) var size = 0
    /// Member granules below `size`, ascending.
    private(set) var granules: [Int] = []
    /// Blocks of `0 ..< size` in member granules.
    private(set) var blockCount = 0

    init(_ sharding: Sharding) { self.sharding = sharding }

    static let shift = Sharding.granuleShift
    static let mask = (1 << shift) - 1

    var indexCount: Int { granules.count << Self.shift }

    /// The data set grown to `size` blocks (never shrinks): later member granules appended.
    mutating func grow(to size: Int) {
        guard size > self.size else { return }
        self.size = size
        granules = sharding.memberGranules(below: size)
        blockCount = sharding.blocks(below: size)
    }

    @inline(__always)
    func address(_ i: Int) -> Int { granules[i >> Self.shift] << Self.shift | (i & Self.mask) }

    /// The index of `address`; nil when its granule is not a member or it is past the size.
    func index(_ address: Int) -> Int? {
        let g = address >> Self.shift
        guard address < size, sharding.contains(granule: g) else { return nil }
        // One member: one granule per stripe, so a granule's rank is its stripe.
        let rank: Int
        if sharding.members.count == 1 {
            rank = g / sharding.count
        } else {
            var lo = 0, hi = granules.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if granules[mid] < g { lo = mid + 1 } else { hi = mid }
            }
            rank = lo
        }
        return rank << Self.shift | (address & Self.mask)
    }

    /// The indices of blocks in `0 ..< size`, ascending, granule by granule: `body(firstIndex,
    /// firstAddress, count)`.
    func forEachGranule(from address: Int = 0, _ body: (Int, Int, Int) -> Void) {
        for (rank, g) in granules.enumerated() {
            let start = max(g << Self.shift, address), end = min((g + 1) << Self.shift, size)
            if start < end { body(rank << Self.shift | (start & Self.mask), start, end - start) }
        }
    }
}

/// A whole-run count of run starts (one block clone each) estimated from a sampled shard's
/// blocks, taken in address order: starts inside its granules are counted; at a granule's first
/// block, whose predecessor lies in another shard, a start is taken to occur as often as at the
/// granule's middle block (writes aligned to any power of two up to half a granule treat both
/// alike; the interior as a whole starts runs less often, at write boundaries only). Blind to
/// runs that start on granule starts and nowhere else (`BackupDriver`, `CheckpointsDriver`).
struct RunStarts {
    private var inside = 0, middles = 0, middleStarts = 0, granuleStarts = 0
    static let mask = (1 << Sharding.granuleShift) - 1
    static let middle = 1 << (Sharding.granuleShift - 1)

    /// The block at `address`, and whether a run starts there (unknown, and ignored, at a
    /// granule's first block).
    mutating func add(_ address: Int, starts: Bool) {
        switch address & Self.mask {
        case 0: granuleStarts += 1
        case Self.middle:
            middles += 1
            if starts { middleStarts += 1; inside += 1 }
        default: if starts { inside += 1 }
        }
    }

    /// This shard's part of the whole run's run starts.
    var estimate: Double { Double(inside) + Double(granuleStarts * middleStarts) / Double(max(1, middles)) }
}
