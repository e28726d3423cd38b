import Foundation
import BlockModel
import Engine
import Stochastic

/// A scenario the simulation cannot run (the scenario layer normally catches these first).
public struct SimulationError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// An event on the queue: which workload, what it should do, to which of its objects.
struct SimEvent {
    static let sample = -1
    var workload: Int
    var action: Int
    var target: Int
}

/// A workload: turns its spec into model operations as its events come due.
protocol WorkloadDriver: AnyObject {
    var name: String { get }
    /// Creates its objects at time zero and schedules its first events.
    func start(_ sim: Simulation) throws(SimulationError)
    func handle(action: Int, target: Int, in sim: Simulation)
    /// Adds its summary lines and provisioning figures to the result.
    func finish(_ sim: Simulation)
    /// At every sample: anything of its own to record (a DR aggregate's use).
    func sample(_ sim: Simulation)
}

extension WorkloadDriver {
    func sample(_ sim: Simulation) {}
}

/// Runs a scenario: builds the aggregate and its volumes, lets each workload schedule its
/// events on the discrete-event engine, samples the aggregate at every sample interval, and
/// collects what happened into a `RunResult`.
///
/// A refused model operation is not a simulation error: it is recorded (events table, limit
/// counters, trace) and the run goes on, as a real system would.
public final class Simulation {
    public let spec: ScenarioSpec
    /// The platform's storage: an ONTAP aggregate, a ReFS volume or a reflink file system.
    var storage: any Storage
    var engine = Engine<SimEvent>()
    let seeds: StreamSeeds
    var result: RunResult
    var drivers: [any WorkloadDriver] = []
    let trace: ((TraceRecord) -> Void)?
    /// Called with the fraction of the horizon simulated so far, about every 1%.
    public var progress: ((Double) -> Void)?
    /// Next unused content identity: every written block of new data gets a fresh one.
    var nextContent: UInt64 = 1
    var nextAlert = 0
    var nextTraditionalAlert = 0
    /// Content pools by name, and each object's content draws (by `volume/path`).
    var pools: [String: ContentPool] = [:]
    var contentDraws: [String: ContentDraws] = [:]
    var privateNamespaces: [String: Int] = [:]
    var nextNamespace = 0
    /// The Flash Cache and its no-sharing twin, when the aggregate has one.
    var cache: FlashCache?

    static let samplePriority = 1_000
    #if CLONESIM_INVARIANTS
    static let checksOnlyAtEnd = ProcessInfo.processInfo.environment["CLONESIM_INVARIANT_CHECKS"] == "end"
    #endif
    /// Set when the store's use reaches a clamped capacity (`storage(_:sharding:)`).
    var reachedStoreLimit = false
    /// The shards this run simulates (`Sharding.whole`: all of them, unsharded).
    public let sharding: Sharding
    /// A sample's shared walks (`WalkTape`) and this shard's place among its consumers (nil:
    /// a walker).
    var tape: (WalkTape, consumer: Int?)?
    /// A walker of the tape (`WalkTape`'s "Walkers"): it writes nothing and walks the objects
    /// whose order of first walk is `index` modulo `count`.
    var walker: (index: Int, count: Int)?
    /// A walker's objects, by stream seed, in the order they first walked.
    var walkerStreams: [UInt64: Bool] = [:]
    /// Walks taken from the tape so far, by object stream.
    var tapeCalls: [UInt64: Int] = [:]
    /// A work-estimate pilot (`Simulation.estimate`): it samples every object's writes.
    var isPilot = false
    /// Whether a sampled shard walks every write of an object whose stream must stay in step
    /// with the exact run's (`planWrites`). Off for a pilot and for a plan's replications, which
    /// need a draw of the model, not the exact run's own draw.
    var keepsExactDraws = true

    public convenience init(_ spec: ScenarioSpec, trace: ((TraceRecord) -> Void)? = nil, sharding: Sharding = .whole) throws(SimulationError) {
        try Self.check(spec, sharding)
        try self.init(spec, storage: try Self.storage(spec, sharding: sharding), trace: trace, sharding: sharding)
    }

    /// A run on the given storage (tests give one with a smaller limit than the real profile).
    init(_ spec: ScenarioSpec, storage: any Storage, trace: ((TraceRecord) -> Void)? = nil, sharding: Sharding = .whole) throws(SimulationError) {
        self.spec = spec
        self.trace = trace
        self.sharding = sharding
        let generator: Generator
        do { generator = try Generator.named(spec.generator) } catch { throw SimulationError(error.description) }
        seeds = StreamSeeds(seed: spec.seed, generator: generator)
        self.storage = storage
        let framing = Self.framing(spec)
        result = RunResult(scenario: ScenarioSummary(
            name: spec.name, description: spec.description, seed: spec.seed, generator: spec.generator, platform: spec.platform,
            framing: framing, horizon: spec.horizon, sampleInterval: spec.sampleInterval, blockSize: storage.blockSize,
            capacityBlocks: Self.declaredCapacity(spec, storage), alertLevels: spec.aggregate.alerts.map(\.doubleValue), reportUnit: spec.reportUnit,
            assumptions: Self.assumptions(storage, spec.fileSystem, framing)))
        result.alerts = spec.aggregate.alerts.map { AlertCrossing(level: $0.doubleValue) }
        result.scenario.calibrations = spec.calibrations
        if spec.deduplicates { result.scenario.assumptions.append(Self.dedupAssumption(spec)) }
        if let bytes = spec.aggregate.flashCacheBytes {
            let blocks = Self.blocks(bytes, storage.blockSize)
            // A sampled shard reads its share of the addresses through its share of the cache:
            // SHARDS (Waldspurger et al., FAST '15) scales a cache with its spatial sample so
            // that the sample's hit rate stands for the whole cache's.
            cache = FlashCache(capacityBlocks: sharding.sampled ? Int((Double(blocks) * sharding.share.doubleValue).rounded()) : blocks)
            result.cacheBlocks = blocks
            result.scenario.assumptions.append("Flash Cache of \(blocks) blocks, least recently used first out, over physical blocks: a "
                + "block shared by clones is cached once for all. The hit rate without sharing comes from the same reads on a twin "
                + "cache of the same size in which every file's blocks are its own.")
        }
        for p in spec.contentPools {
            nextNamespace += 1
            do { pools[p.name] = try ContentPool(p, blockSize: storage.blockSize, namespace: nextNamespace, sharding: sharding) } catch {
                throw SimulationError("content pool '\(p.name)': \(error.description)")
            }
        }
        for (index, w) in spec.workloads.enumerated() {
            switch (w.kind, spec.platform) {
            case (.backup, .ontap), (.checkpoints, .ontap):
                throw SimulationError("workload '\(w.name)' cannot run on platform 'ontap': backup and checkpoints run on refs or reflink")
            case (.dr, .refs), (.dr, .reflink):
                throw SimulationError("workload '\(w.name)' cannot run on platform '\(spec.platform.rawValue)': SnapMirror and SnapVault are ONTAP's")
            case (.devtest, .refs):
                throw SimulationError("workload '\(w.name)' cannot run on platform 'refs': devtest clones volumes, and ReFS has no volume clones")
            default: break
            }
            switch w.kind {
            case .devtest(let d): drivers.append(try DevTestDriver(name: w.name, index: index, spec: d, sim: self))
            case .vdi(let v): drivers.append(try VDIDriver(name: w.name, index: index, spec: v, sim: self))
            case .events(let e): drivers.append(EventsDriver(name: w.name, index: index, spec: e))
            case .backup(let b): drivers.append(try BackupDriver(name: w.name, index: index, spec: b, sim: self))
            case .checkpoints(let c): drivers.append(try CheckpointsDriver(name: w.name, index: index, spec: c, sim: self))
            case .dr(let d): drivers.append(try DRDriver(name: w.name, index: index, spec: d, sim: self))
            }
        }
        if spec.deduplicates { drivers.append(DedupDriver(index: drivers.count, volumes: spec.volumes)) }
    }

    /// The platform's storage, empty. A sharded run's FlexClone files charge their shards' part
    /// of the metadata (`ChargePart`: the parts add up to the whole exactly).
    ///
    /// A store holds at most `storeLimit` blocks (32-bit block ids): a larger declared capacity
    /// is clamped here, and `run` refuses to go on when one run's use reaches the clamp. The
    /// declared capacity is the scenario's (`ScenarioSummary.capacityBlocks`), for alerts and
    /// free space.
    static func storage(_ spec: ScenarioSpec, sharding: Sharding = .whole) throws(SimulationError) -> any Storage {
        let blockSize = Self.blockSize(of: spec)
        let capacity = min(spec.aggregate.capacityBytes, storeLimit * blockSize)
        switch spec.platform {
        case .ontap:
            var profile = spec.aggregate.ontap
            profile.dedupBlocksPerSecond = spec.aggregate.dedupThroughput / Double(profile.blockSize)
            if !sharding.isWhole { profile.chargePart = ChargePart(parts: sharding.count, members: sharding.members) }
            var aggregate = Aggregate(name: spec.aggregate.name, capacityBlocks: min(storeLimit, blocks(capacity, profile.blockSize)), profile: profile)
            // The debug invariant check after every operation is O(everything): a long run checks
            // at each sample instead (see `takeSample`).
            aggregate.checksInvariants = false
            if sharding.sampled { aggregate.objectShare = ObjectShare { sharding.blocks(below: $0) } }
            return aggregate
        case .refs:
            do {
                var refs = ReFSStorage(try ReFSVolume(name: spec.aggregate.name, capacityBytes: capacity, clusterSize: spec.fileSystem.clusterSize,
                                                      version: spec.fileSystem.refsVersion))
                refs.dedupBlocksPerSecond = spec.aggregate.dedupThroughput / Double(refs.blockSize)
                return refs
            } catch { throw SimulationError(error.description) }
        case .reflink:
            var reflink = ReflinkStorage(ReflinkFileSystem(name: spec.aggregate.name, capacityBytes: capacity,
                                                           profile: ReflinkProfile(freeing: spec.fileSystem.freeing)))
            reflink.dedupBlocksPerSecond = spec.aggregate.dedupThroughput / Double(reflink.blockSize)
            return reflink
        }
    }

    /// Backup and checkpoints compare a repository with and without block cloning; the other
    /// workloads compare clones with full copies.
    static func framing(_ spec: ScenarioSpec) -> Framing {
        spec.workloads.contains {
            switch $0.kind {
            case .backup, .checkpoints: true
            default: false
            }
        } ? .repository : .clones
    }

    static func assumptions(_ storage: any Storage, _ fs: FileSystemSpec, _ framing: Framing) -> [String] {
        switch storage {
        case let a as Aggregate: return assumptions(a.profile)
        case let r as ReFSStorage:
            let v = r.volume
            return assumptions("ReFS \(v.version) volume with \(v.clusterSize)-byte clusters; block clones share clusters, at most "
                + "\(v.profile.maxReferencesPerCluster) file regions per cluster, each clone shorter than 4 GiB", framing,
                volumes: "volumes are top-level folders of the one ReFS volume (sizes not enforced); a file clone is block clones of the whole file, "
                    + "refused past the cluster limit; ReFS has no volume snapshots or clones")
        default:
            return assumptions("Linux reflink file system with 4096-byte blocks, freeing by \(fs.freeing.rawValue) "
                + "(\(fs.freeing == .block ? "XFS" : "btrfs bookend extents"))", framing,
                volumes: "volumes are subvolumes (sizes not enforced); a Snapshot copy is a subvolume snapshot and a volume clone a writable "
                    + "snapshot of it; a file clone is a reflink, with no sharing limit")
        }
    }

    static func assumptions(_ platform: String, _ framing: Framing, volumes: String) -> [String] {
        switch framing {
        case .repository:
            [
                "Platform \(platform); sizes are rounded up to whole blocks.",
                "Backup files are sparse; writes of new data allocate new blocks.",
                "Without block cloning every synthetic full is a physical copy: the use is the logical used of every backup file.",
                "Used capacity for alerts is the blocks allocated in the repository.",
            ]
        case .clones:
            [
                "Platform \(platform); sizes are rounded up to whole blocks.",
                "On this platform \(volumes).",
                "Files are sparse; changed data is new unique data and every write of a shared block allocates a new one.",
                "Traditional alternative: every clone is a full physical copy: its use is the logical used of every file.",
                "Used capacity for alerts is the blocks allocated in the file system.",
            ]
        }
    }

    static func assumptions(_ p: ONTAPProfile) -> [String] {
        [
            "Platform ONTAP/WAFL, \(p.blockSize)-byte blocks; sizes are rounded up to whole blocks.",
            "At most \(p.maxSnapshotsPerVolume) Snapshot copies per volume and \(p.maxClonesPerVolume) clones per parent volume.",
            "A block may have 1 + \(p.maxPointersPerBlock - 1) pointers in one volume; a file clone past that gets physical copies.",
            "A file or LUN clone writes metadata of \(p.fileCloneMetadataFraction.percentText) of its size.",
            "Changed data is new unique data; every write allocates new blocks (WAFL never overwrites in place).",
            "Traditional alternative: every clone is a full physical copy, overwritten in place, with no Snapshot copies; its use is the logical used of every file and LUN.",
            "Used capacity for alerts is physical use plus unused volume guarantees; the traditional alternative is checked at samples.",
        ]
    }

    static func dedupAssumption(_ spec: ScenarioSpec) -> String {
        let a = spec.aggregate
        let rate = "\(Int((a.dedupThroughput / 1_048_576).rounded())) MiB/s"
        switch spec.platform {
        case .ontap:
            let p = a.ontap
            let catalog = p.donorCatalog == .slot
                ? "the fingerprint catalog records each donor's file and block number, so a donor whose block was overwritten there is dropped"
                : "the fingerprint catalog records each donor's physical block, which stays a donor while any file of the volume maps it"
            return "Deduplication within each volume, inline at writes or in post-process runs over the blocks written since the last "
                + "run (every block the first time) at \(rate); fingerprint metadata is \(p.dedupMetadataFraction.percentText) of the volume's "
                + "physical data, counted in aggregate use; a block takes 1 + \(p.maxPointersPerBlock - 1) pointers, then the next copy becomes the donor; "
                + "\(catalog); zero blocks are \(p.dedupZeroBlocks ? "" : "not ")deduplicated. Clones inherit the setting and the savings."
        case .refs:
            return "Deduplication as ReFS deduplication jobs (Windows Server 2025): post-process over the clusters written since the "
                + "last job (every cluster the first time) at \(rate), within the volume's folder, sharing clusters as block clone does (at "
                + "most 8175 references a cluster); the job's own metadata is not modelled."
        case .reflink:
            return "Deduplication as a duperemove-style scan of the blocks written since the last scan (every block the first time; "
                + "a hash file keeps the others' fingerprints) at \(rate), issuing FIDEDUPERANGE calls of at most 16 MiB within the "
                + "subvolume; no sharing limit; the hash file's own space is not counted. Clones (writable snapshots) inherit the "
                + "setting and the savings."
        }
    }

    static func blocks(_ bytes: Int, _ blockSize: Int) -> Int { (bytes + blockSize - 1) / blockSize }
    /// The aggregate's capacity as declared: the store's, unless `storage` clamped it.
    static func declaredCapacity(_ spec: ScenarioSpec, _ storage: any Storage) -> Int {
        spec.aggregate.capacityBytes > storeLimit * storage.blockSize ? spec.aggregate.capacityBytes / storage.blockSize : storage.capacityBlocks
    }
    /// The most blocks one store (one run or one shard) holds: its block ids are 32-bit.
    static let storeLimit = Int(UInt32.max) - 2

    /// The block size a scenario's reports count in: the ReFS cluster, or 4 KiB.
    public static func blockSize(of spec: ScenarioSpec) -> Int { spec.platform == .refs ? spec.fileSystem.clusterSize : 4096 }
    var blockSize: Int { storage.blockSize }
    public var now: SimTime { engine.now }

    // MARK: Running

    public func run() throws(SimulationError) -> RunResult {
        setUpVolumes()
        for d in drivers { try d.start(self) }
        var t = SimTime.zero
        while t < spec.horizon {
            engine.schedule(at: t, priority: Self.samplePriority, SimEvent(workload: SimEvent.sample, action: 0, target: 0))
            t = t + spec.sampleInterval
        }
        engine.schedule(at: spec.horizon, priority: Self.samplePriority, SimEvent(workload: SimEvent.sample, action: 0, target: 0))
        checkAlerts()
        var reported = 0
        while let next = engine.nextTime, next <= spec.horizon, let (_, event) = engine.step() {
            result.engineEvents += 1
            if event.workload == SimEvent.sample {
                takeSample()
            } else {
                drivers[event.workload].handle(action: event.action, target: event.target, in: self)
                checkAlerts()
            }
            if let progress, spec.horizon.nanoseconds > 0 {
                let percent = Int(engine.now.nanoseconds * 100 / spec.horizon.nanoseconds)
                if percent > reported { reported = percent; progress(Double(percent) / 100) }
            }
        }
        for d in drivers { d.finish(self) }
        if reachedStoreLimit {
            throw SimulationError("one run's use reached \(storage.capacityBlocks) blocks, the most one run or shard holds (block ids are "
                                  + "32-bit), below the aggregate's \(result.scenario.capacityBlocks): run it in more shards (--jobs J) or sampled (--sample 1/N)")
        }
        result.objects = storage.accounting()
        if spec.deduplicates {
            result.volumeSavings = storage.volumeNames.map { v in
                let (logical, charged) = storage.usage(of: v, in: result.objects)
                return VolumeSavings(volume: v, dedup: (try? storage.dedupMode(v)) ?? nil, logicalUsed: logical, charged: charged,
                                     dedupSaved: (try? storage.dedupSavedBlocks(v)) ?? 0, dedupMetadata: (try? storage.dedupMetadataBlocks(v)) ?? 0)
            }
        }
        guard let aggregate = storage as? Aggregate else { return result }
        let totals = aggregate.totals
        result.limits.fallbackCopies = totals.fallbackCopies
        result.limits.oversubscribedQuotas = totals.oversubscribedQuotas
        result.limits.clonesWithoutACLs = totals.clonesWithoutACLs
        result.limits.clonesWithoutStreams = totals.clonesWithoutStreams
        return result
    }

    func schedule(_ workload: Int, at time: SimTime, action: Int, target: Int = 0) {
        guard time <= spec.horizon else { return }
        engine.schedule(at: max(time, engine.now), SimEvent(workload: workload, action: action, target: target))
    }

    func takeSample() {
        let used = storage.physicalUsedBlocks, reserved = storage.reservedBlocks
        let s = Sample(time: engine.now, physicalUsed: used, reserved: reserved, logicalUsed: storage.logicalUsedBlocks,
                       free: result.scenario.capacityBlocks - used - reserved, volumes: storage.volumeCount, files: storage.fileCount,
                       snapshots: storage.snapshotCount)
        result.samples.append(s)
        for d in drivers { d.sample(self) }
        if s.traditionalUsed > result.traditionalPeak.blocks { result.traditionalPeak = Peak(blocks: s.traditionalUsed, time: s.time) }
        let levels = spec.aggregate.alerts
        while nextTraditionalAlert < levels.count,
              levels[nextTraditionalAlert].isReached(by: s.traditionalUsed, of: result.scenario.capacityBlocks) {
            result.alerts[nextTraditionalAlert].traditional = s.time
            nextTraditionalAlert += 1
        }
        #if CLONESIM_INVARIANTS
        // The full check is O(everything): about eight times a run, and at the end; only at the
        // end with CLONESIM_INVARIANT_CHECKS=end (the suite's runs of every bundled scenario).
        let samples = Int(spec.horizon.nanoseconds / max(1, spec.sampleInterval.nanoseconds)) + 1
        if (!Self.checksOnlyAtEnd && (result.samples.count - 1) % max(1, samples / 8) == 0) || engine.now == spec.horizon {
            let problems = storage.invariantViolations()
            precondition(problems.isEmpty, "model invariants broken at \(engine.now): \(problems.prefix(5))")
        }
        #endif
    }

    /// Peak and alert levels after every event: exact simulated times, O(guaranteed volumes).
    /// A sharded run also logs its use after every event, so merged shards find the exact peak.
    func checkAlerts() {
        let (physical, reserved, storeCapacity) = storage.use()
        if physical + reserved >= storeCapacity, storeCapacity < result.scenario.capacityBlocks {
            reachedStoreLimit = true
        }
        if !sharding.isWhole {
            // The merge finds the peak and the alerts from the shards' sum; a shard's own
            // crossings mean nothing.
            result.useLog.append(UseStep(time: engine.now, physical: physical, reserved: reserved, events: result.events.count))
            return
        }
        if physical > result.peak.blocks { result.peak = Peak(blocks: physical, time: engine.now) }
        let used = physical + reserved
        let capacity = result.scenario.capacityBlocks
        let levels = spec.aggregate.alerts
        while nextAlert < levels.count, levels[nextAlert].isReached(by: used, of: capacity) {
            result.alerts[nextAlert].withClones = engine.now
            record("aggregate", "alert", spec.aggregate.name, outcome: "alert",
                   "used capacity reached \(levels[nextAlert].percentText) (\(used) of \(capacity) blocks)")
            nextAlert += 1
        }
    }

    // MARK: Streams and content

    func stream(_ name: String) -> RandomStream { seeds.stream(named: name) }

    func sampler(_ v: RandomVariable, _ what: String) throws(SimulationError) -> Sampler {
        do { return try Sampler(v.distribution, truncation: v.truncation) } catch {
            throw SimulationError("\(what): \(error.description)")
        }
    }

    func planner(_ change: ChangeSpec, _ what: String) throws(SimulationError) -> WritePlanner {
        do { return try WritePlanner(pattern: change.pattern, writeSize: change.writeSize, blockSize: blockSize) } catch {
            throw SimulationError("\(what): \(error.description)")
        }
    }

    /// `n` fresh content identities, the first returned.
    /// Reads blocks of a file through the Flash Cache (none: nothing counted), adding to `record`.
    func read(volume: String, path: String, blocks all: [Int], into record: inout CacheRecord) {
        guard cache != nil else { return }
        // A sampled shard reads its granules' blocks only.
        let blocks = sharding.isWhole ? all : all.filter { sharding.contains(granule: $0 >> Sharding.granuleShift) }
        let hits = cache!.shared.hits, twin = cache!.unshared.hits
        guard let n = try? storage.read(volume, path, blocks: blocks, cache: &cache!) else { return }
        record.reads += n
        record.hits += cache!.shared.hits - hits
        record.hitsWithoutSharing += cache!.unshared.hits - twin
    }

    func newContent(_ n: Int) -> UInt64 {
        defer { nextContent += UInt64(n) }
        return nextContent
    }

    // MARK: Operations, recorded

    /// `figure`, when given, stands for `EventRecord.figureMark` in `detail` and adds up when
    /// shards are merged.
    func record(_ workload: String, _ operation: String, _ object: String, outcome: String = "ok", _ detail: String = "",
                figure: Int? = nil, dropsAtZero: Bool = false, figureAtLeast: Int? = nil) {
        var e = EventRecord(time: engine.now, workload: workload, operation: operation, object: object, outcome: outcome, detail: detail,
                            figure: figure)
        e.dropsAtZero = dropsAtZero
        e.figureAtLeast = figureAtLeast
        result.events.append(e)
    }

    /// Applies one model operation: records it (when `log`), traces it, and turns a refusal
    /// into a failed event. Returns nil when the model refused.
    @discardableResult
    func perform<T>(_ workload: String, _ operation: String, _ objects: [String], log: Bool = true, detail: String = "",
                    figure: Int? = nil, _ body: (inout any Storage) throws -> T) -> T? {
        do {
            let value = try body(&storage)
            if log { record(workload, operation, objects.joined(separator: " "), detail, figure: figure) }
            trace?(TraceRecord(time: engine.now, workload: workload, operation: operation, objects: objects))
            return value
        } catch {
            if let c = Self.constraint(of: error) { bound(c) }
            let text = refusalText(error)
            record(workload, operation, objects.joined(separator: " "), outcome: "failed", text)
            trace?(TraceRecord(time: engine.now, workload: workload, operation: operation, objects: objects, error: text))
            return nil
        }
    }

    /// Notes that a limit bound now, if it had not before.
    func bound(_ c: Constraint) {
        if result.firstBinding[c] == nil { result.firstBinding[c] = engine.now }
    }

    /// The limit behind a refusal, if it is one a plan reports.
    static func constraint(of error: any Error) -> Constraint? {
        switch error {
        case let e as ModelError:
            switch e {
            case .outOfSpace, .cannotReserve: return .capacity
            case .cloneLimit: return .cloneLimit
            case .treeQuotaExceeded, .userQuotaExceeded: return .quota
            default: return nil
            }
        case let e as ReFSError:
            switch e {
            case .diskFull: return .capacity
            case .tooManyReferences: return .pointerLimit
            default: return nil
            }
        case let e as ReflinkError:
            if case .noSpace = e { return .capacity }
            return nil
        default: return nil
        }
    }

    /// Dates the limits a file clone hit: blocks copied at the pointer limit, quotas it
    /// oversubscribed.
    func noteLimits(_ workload: String, _ object: String, _ clone: CloneOutcome) {
        if !clone.oversubscribedQuotas.isEmpty { bound(.quota) }
        if clone.copiedBlocks > 0 { bound(.pointerLimit) }
        // Only ONTAP copies at a pointer limit. A shard may copy none where others do: it
        // records the event anyway, and the merge keeps it when the shards copied any.
        if clone.copiedBlocks > 0 || (!sharding.isWhole && storage is Aggregate) {
            record(workload, "fallback_copy", object, outcome: "limit",
                   "\(EventRecord.figureMark) blocks already had \(spec.aggregate.ontap.maxPointersPerBlock) pointers: copied",
                   figure: clone.copiedBlocks, dropsAtZero: true)
        }
        for quota in clone.oversubscribedQuotas {
            record(workload, "quota_oversubscribed", object, outcome: "limit", "the clone pushed \(quota) over its limit")
        }
    }

    /// Writes `runs` of new data into a file, run after run with consecutive content
    /// identities from `first`. Long runs go one call each (a later one can fail when space
    /// runs out, as on a real system); many short runs go as one batched call, all or nothing.
    @discardableResult
    func write(_ workload: String, volume: String, path: String, runs: [BlockRun], first: UInt64) -> Bool {
        write(workload, volume: volume, path: path, runs: runs, contents: .consecutive(first))
    }

    /// Writes `runs` with contents drawn by `content` (unique data when nil), `golden` being
    /// the file a `golden` share copies.
    @discardableResult
    func write(_ workload: String, volume: String, path: String, runs: [BlockRun], content: ContentSpec?,
               golden: (volume: String, path: String)? = nil) -> Bool {
        write(workload, volume: volume, path: path, runs: runs, contents: contents(runs, volume: volume, path: path, content, golden: golden))
    }

    /// Where written blocks' contents come from: consecutive new identities, or drawn ones.
    enum Contents {
        case consecutive(UInt64)
        case drawn([UInt64])

        func slice(_ from: Int, _ count: Int) -> [UInt64] {
            switch self {
            case .consecutive(let first): Array((first + UInt64(from))..<(first + UInt64(from + count)))
            case .drawn(let all): Array(all[from..<(from + count)])
            }
        }
    }

    @discardableResult
    func write(_ workload: String, volume: String, path: String, runs: [BlockRun], contents: Contents) -> Bool {
        guard sharding.isWhole else {
            // The shard's part of the write, with the contents the whole write gives those blocks.
            let parts = sharding.cut(runs)
            guard !parts.isEmpty else { return true }
            let kept: Contents
            switch contents {
            case .consecutive(let first) where parts.count == 1: kept = .consecutive(first + UInt64(parts[0].from))
            default: kept = .drawn(parts.flatMap { contents.slice($0.from, $0.run.count) })
            }
            return writeWhole(workload, volume: volume, path: path, runs: parts.map(\.run), contents: kept)
        }
        return writeWhole(workload, volume: volume, path: path, runs: runs, contents: contents)
    }

    func writeWhole(_ workload: String, volume: String, path: String, runs: [BlockRun], contents: Contents) -> Bool {
        let total = runs.reduce(0) { $0 + $1.count }
        guard total > 0 else { return true }
        result.blocksWritten += total
        let object = "\(volume)/\(path)"
        var failure: (any Error)?
        var written = 0
        if runs.count <= 4 || total / runs.count >= 64 {
            for run in runs {
                do { try storage.write(volume, path, at: run.start, contents: contents.slice(written, run.count)) } catch {
                    failure = error
                    break
                }
                written += run.count
            }
        } else {
            let ranges = runs.map { $0.start..<($0.start + $0.count) }
            do { try storage.write(volume, path, runs: ranges, contents: contents.slice(0, total)); written = total } catch { failure = error }
        }
        if let trace {
            var record = TraceRecord(time: engine.now, workload: workload, operation: "write", objects: [object], runs: runs,
                                     error: failure.map(refusalText))
            switch contents {
            case .consecutive(let first): record.firstContent = first
            case .drawn(let all): record.contents = all
            }
            trace(record)
        }
        guard let failure else { return true }
        result.limits.failedWrites += 1
        let constraint = Self.constraint(of: failure)
        if let constraint { bound(constraint) }
        if constraint == .capacity && result.limits.firstFailedWrite == nil { result.limits.firstFailedWrite = engine.now }
        result.limits.failedWriteBlocks += total - written
        record(workload, "write", object, outcome: "failed",
               "\(total - written) of \(total) blocks not written: \(refusalText(failure))")
        return false
    }

    /// The contents of a write of `runs` to `volume/path`: consecutive new identities without
    /// a content model, otherwise drawn from the object's own content stream.
    func contents(_ runs: [BlockRun], volume: String, path: String, _ content: ContentSpec?,
                  golden: (volume: String, path: String)?) -> Contents {
        let total = runs.reduce(0) { $0 + $1.count }
        guard let content else { return .consecutive(newContent(total)) }
        let key = "\(volume)/\(path)"
        let draws: ContentDraws
        if let d = contentDraws[key] {
            draws = d
        } else {
            draws = ContentDraws(content, stream: stream("content/\(key)"), pools: content.pools.compactMap { share in
                guard let pool = pools[share.pool] else { return nil }
                return (pool, pool.spec.scope == .shared ? pool.namespace : privateNamespace(share.pool, key))
            })
            contentDraws[key] = draws
        }
        return .drawn(draws.contents(runs, next: &nextContent) { run in
            guard let golden else { return [] }
            return (try? storage.contents(golden.volume, golden.path, blocks: run.start..<(run.start + run.count))) ?? []
        })
    }

    /// The namespace of `pool` private to one object, assigned on first use.
    func privateNamespace(_ pool: String, _ object: String) -> Int {
        let key = "\(pool)\u{0}\(object)"
        if let n = privateNamespaces[key] { return n }
        nextNamespace += 1
        privateNamespaces[key] = nextNamespace
        return nextNamespace
    }

    /// Overwrites `fraction` (drawn by the caller) of each file of `volume` (all its files, or
    /// `paths`) with new data planned by the given planners (one per path, created on demand).
    /// Where `fraction` (clamped to 0...1) of an object of `size` blocks is written: the path's
    /// planner, made on first use, places the blocks. Empty when nothing is to be written.
    /// A fixed share (`exact`) is applied on integers instead (the nearest block, halves up).
    func plan(_ workload: String, path: String, size: Int, fraction: Double, exact: Ratio? = nil, planners: inout [String: WritePlanner],
              change: ChangeSpec, stream: RandomStream) -> [BlockRun] {
        let blocks = exact.map { min($0, .one).nearest(of: size) } ?? Int((min(max(fraction, 0), 1) * Double(size)).rounded())
        guard size > 0, blocks > 0 else { return [] }
        if planners[path] == nil { planners[path] = try? planner(change, "\(workload) write size") }
        guard var p = planners[path] else { return [] }
        let runs = planWrites(&p, blocks: blocks, size: size, stream: stream, inStep: change.rate.distribution.isRandom)
        planners[path] = p
        return runs
    }

    /// A planner's runs: every write, or in a sampled shard only the writes in its granules
    /// (`Sharding.sampled`): drawn for the shard alone, or, when `stream` must stay in step with
    /// the exact run's because something else draws from it later, the exact run's writes cut.
    func planWrites(_ planner: inout WritePlanner, blocks: Int, size: Int, stream: RandomStream, inStep: Bool) -> [BlockRun] {
        guard sharding.sampled else {
            let runs = planner.plan(blocks: blocks, size: size, stream: stream)
            result.writesDrawn += runs.count
            return runs
        }
        if let walker {
            guard inStep && keepsExactDraws, let tape = tape?.0 else { return [] }
            let mine = walkerStreams[stream.seed] ?? (walkerStreams.count % walker.count == walker.index)
            walkerStreams[stream.seed] = mine
            if mine { _ = takeWalk(tape, consumer: nil, &planner, blocks: blocks, size: size, stream: stream) }
            return []
        }
        guard inStep && keepsExactDraws && !isPilot else {
            let (runs, writes) = planner.planSample(blocks: blocks, size: size, stream: stream, sharding: sharding)
            // A pilot counts, so it need not keep rates in step: it samples and scales what
            // an in-step object would walk.
            if inStep && isPilot { result.writesDrawn += writes * WorkEstimate.pilotShards } else { result.writesSampled += writes }
            return runs
        }
        guard let (tape, consumer) = tape else {
            let (runs, writes) = planner.planKept(blocks: blocks, size: size, stream: stream, sharding: sharding)
            result.writesDrawn += writes
            return runs
        }
        guard let runs = takeWalk(tape, consumer: consumer, &planner, blocks: blocks, size: size, stream: stream) else {
            // A walker's walk had other inputs: walk for this shard alone.
            let (runs, writes) = planner.planKept(blocks: blocks, size: size, stream: stream, sharding: sharding)
            result.writesDrawn += writes
            return runs
        }
        return runs
    }

    /// This shard's part of its next walk of `stream` from the tape (walked here, for every
    /// consumer, if no one has yet); nil when a walker made it with other inputs.
    func takeWalk(_ tape: WalkTape, consumer: Int?, _ planner: inout WritePlanner, blocks: Int, size: Int,
                  stream: RandomStream) -> [BlockRun]? {
        let call = tapeCalls[stream.seed, default: 0]
        tapeCalls[stream.seed] = call + 1
        guard let (runs, walked, cursor) = tape.take(WalkTape.Key(stream: stream.seed, call: call), consumer: consumer, stream: stream,
                                                     blocks: blocks, size: size, walk: {
            if planner.consumerMap?.size != size { planner.consumerMap = ConsumerMap(size: size, shardings: tape.shardings) }
            let (parts, writes) = planner.planKeptForAll(blocks: blocks, size: size, stream: stream, map: planner.consumerMap!,
                                                         consumers: tape.shardings.count)
            return (parts, writes, planner.cursor)
        }) else { return nil }
        planner.cursor = cursor
        result.writesDrawn += walked
        return runs
    }

    func change(_ workload: String, volume: String, paths only: [String]? = nil, fraction: Double,
                planners: inout [String: WritePlanner], change: ChangeSpec, stream: RandomStream, mirror: String? = nil,
                golden: (volume: String, path: String)? = nil) {
        guard let paths = only ?? (try? storage.filePaths(volume)) else { return }
        for path in paths {
            guard let size = try? storage.fileSizeBlocks(volume, path) else { continue }
            let runs = plan(workload, path: path, size: size, fraction: fraction, planners: &planners, change: change, stream: stream)
            guard !runs.isEmpty else { continue }
            let contents = contents(runs, volume: volume, path: path, change.content, golden: golden)
            write(workload, volume: volume, path: path, runs: runs, contents: contents)
            if let mirror { write(workload, volume: mirror, path: path, runs: runs, contents: contents) }
        }
    }

    // MARK: Set-up

    /// Creates the declared volumes, qtrees, quotas and files, and fills each file's `used`
    /// fraction sequentially with unique data, all at time zero.
    func setUpVolumes() {
        for v in spec.volumes {
            let size = Self.blocks(v.sizeBytes, blockSize)
            guard perform("setup", "create_volume", [v.name], detail: "\(size) blocks, guarantee \(v.guarantee.rawValue)", {
                try $0.createVolume(v.name, sizeBlocks: size, guarantee: v.guarantee, snapLock: v.snapLock)
            }) != nil else { continue }
            if let d = v.dedup {
                perform("setup", "set_dedup", [v.name], detail: d.mode.rawValue) { try $0.setDedup(v.name, mode: d.mode) }
            }
            // Sizes are converted before the closures, which must not read the aggregate they change.
            let blockSize = blockSize
            for q in v.qtrees {
                let limit = q.limitBytes.map { Self.blocks($0, blockSize) }
                perform("setup", "create_qtree", ["\(v.name)/\(q.name)"]) { try $0.createQtree(v.name, q.name, limitBlocks: limit) }
            }
            for q in v.quotas {
                let limit = Self.blocks(q.limitBytes, blockSize)
                perform("setup", "set_quota", [v.name, q.target]) { try $0.setQuota(v.name, target: q.target, limitBlocks: limit) }
            }
            for f in v.files { createFile("setup", volume: v.name, f) }
        }
    }

    /// Creates a file and fills its `used` part; false when anything was refused.
    @discardableResult
    func createFile(_ workload: String, volume: String, _ f: FileSpec) -> Bool {
        let size = Self.blocks(f.sizeBytes, blockSize)
        guard perform(workload, "create_file", ["\(volume)/\(f.path)"], detail: "\(size) blocks", {
            try $0.createFile(volume, f.path, sizeBlocks: size, attributes: f.attributes)
        }) != nil else { return false }
        let used = f.used.nearest(of: size)
        // Chunks of 1 Mi blocks keep each content array at 8 MiB.
        var start = 0
        while start < used {
            let n = min(1 << 20, used - start)
            guard write(workload, volume: volume, path: f.path, runs: [BlockRun(start: start, count: n)], content: f.content) else { return false }
            start += n
        }
        return true
    }
}
