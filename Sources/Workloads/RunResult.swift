import BlockModel
import Engine

/// Everything a run produced, as plain values for the report writers. Sizes in blocks of
/// `blockSize` bytes.
public struct RunResult: Sendable, Codable {
    public var scenario: ScenarioSummary
    public var samples: [Sample] = []
    /// Per-object figures at the end of the run.
    public var objects: [ObjectFigures] = []
    public var events: [EventRecord] = []
    public var alerts: [AlertCrossing] = []
    /// Highest physical use (data + clone metadata) and when it was first reached.
    public var peak = Peak()
    /// Highest use of the traditional alternative (full copies), at samples.
    public var traditionalPeak = Peak()
    public var limits = Limits()
    public var provisioning: [Provisioning] = []
    /// Checkpoint merges, in order.
    public var merges: [Merge] = []
    /// Post-process dedup runs, in order.
    public var dedupRuns: [DedupRecord] = []
    /// Each volume's savings at the end, split into clone and dedup savings (when any volume
    /// deduplicates).
    public var volumeSavings: [VolumeSavings] = []
    /// Workload-specific lines for the report's summary (one per fact).
    public var notes: [String] = []
    /// Flash Cache: its size in blocks (nil: none) and the reads counted, by event.
    public var cacheBlocks: Int?
    public var cacheReads: [CacheRecord] = []
    /// When each kind of limit first bound (a write, clone or update refused or degraded by it).
    public var firstBinding: [Constraint: SimTime] = [:]
    /// A sharded run's use after every event, for `merged` (empty when unsharded).
    public var useLog: [UseStep] = []
    /// Blocks the workloads wrote or cloned, and events the run handled: the measure of its work
    /// (`WorkEstimate`).
    public var blocksWritten = 0
    public var engineEvents = 0
    /// Writes whose offsets and sizes were drawn: every write the workloads make, but in a
    /// sampled shard only those of objects whose streams must stay in step (`planKept`).
    public var writesDrawn = 0
    /// Writes a sampled shard drew for its granules alone (`planSample`).
    public var writesSampled = 0
    /// What a sampled run simulated and its intervals; nil for an exact run.
    public var sampling: SamplingSummary?
    /// One per `dr` workload, in file order.
    public var replications: [ReplicationResult] = []
    /// The first `dr` workload's replication (scenarios have one, most often).
    public var replication: ReplicationResult? {
        get { replications.first }
        set {
            if let newValue { if replications.isEmpty { replications = [newValue] } else { replications[0] = newValue } } else { replications = [] }
        }
    }
}

public struct ScenarioSummary: Sendable, Codable {
    public var name: String
    public var description: String
    public var seed: UInt64
    public var generator: String
    public var platform: Platform
    /// What the report compares: clones with full copies, or a repository with and without
    /// block cloning.
    public var framing: Framing
    public var horizon: SimTime
    public var sampleInterval: SimTime
    public var blockSize: Int
    public var capacityBlocks: Int
    public var alertLevels: [Double]
    public var reportUnit: ByteUnit
    /// One line per modelling assumption the report should state.
    public var assumptions: [String]
    /// Distributions fitted to measured data.
    public var calibrations: [Calibration] = []
}

public enum Framing: String, Sendable, Codable {
    case clones, repository
}

/// The state of the aggregate at one sample time.
public struct Sample: Sendable, Codable, Equatable {
    public var time: SimTime
    /// Blocks in use with clones: data and clone metadata.
    public var physicalUsed: Int
    /// Blocks held back by unused volume guarantees.
    public var reserved: Int
    /// Logical used of every file and LUN: what full copies would occupy.
    public var logicalUsed: Int
    public var free: Int
    public var volumes: Int
    public var files: Int
    public var snapshots: Int
    /// Traditional alternative: every copy a full physical copy, overwritten in place.
    public var traditionalUsed: Int { logicalUsed }
}

public struct Peak: Sendable, Codable, Equatable {
    public var blocks = 0
    public var time = SimTime.zero
}

/// One thing that happened: an operation on the model, a refusal, a limit hit, an alert.
public struct EventRecord: Sendable, Codable, Equatable {
    public var time: SimTime
    public var workload: String
    public var operation: String
    public var object: String
    /// "ok", "failed", or "alert".
    public var outcome: String
    /// The text, with `figure` in place of `figureMark` when there is one.
    public var detail: String { figure.map { template.replacingOccurrences(of: Self.figureMark, with: String($0)) } ?? template }
    var template: String
    /// A block figure of the event that adds up across shards (a split estimate, blocks copied
    /// at the pointer limit); nil for none.
    public var figure: Int?
    /// Recorded by a sharded run even at a figure of 0, and dropped by the merge when the shards'
    /// figures sum to 0 (one run records it only above 0).
    var dropsAtZero = false
    /// The least the merged figure can be (a synthetic full of n blocks makes ⌈n / longest
    /// clone⌉ calls at least, whatever a sample's estimate says); nil for none.
    var figureAtLeast: Int?

    static let figureMark = "\u{1}"

    public init(time: SimTime, workload: String, operation: String, object: String, outcome: String, detail: String, figure: Int? = nil) {
        self.time = time
        self.workload = workload
        self.operation = operation
        self.object = object
        self.outcome = outcome
        template = detail
        self.figure = figure
    }
}

public struct AlertCrossing: Sendable, Codable, Equatable {
    public var level: Double
    /// First time used capacity (physical + reserved) reached the level with clones.
    public var withClones: SimTime?
    /// First sample at which the traditional alternative reached it.
    public var traditional: SimTime?
}

public struct Limits: Sendable, Codable, Equatable {
    /// Blocks copied because a block already had 1 + 255 pointers.
    public var fallbackCopies = 0
    /// Clone operations the model refused (limit, space, quota, SnapLock...).
    public var refusedClones = 0
    public var oversubscribedQuotas: [String] = []
    public var failedWrites = 0
    /// When a write to the scenario's aggregate first failed for lack of space (it is full, or
    /// a volume is).
    public var firstFailedWrite: SimTime?
    /// Blocks that failed writes did not write.
    public var failedWriteBlocks = 0
    public var clonesWithoutACLs = 0
    public var clonesWithoutStreams = 0
    /// Full copies of a golden image made by the clone-from-newest-copy strategy.
    public var strategyCopies = 0
}

/// Provisioning times of one VDI workload, with clones and with full copies.
public struct Provisioning: Sendable, Codable, Equatable {
    public var workload: String
    public var desktops: Int
    public var parallel: Int
    public var perDesktopClone: SimTime
    public var perDesktopCopy: SimTime
    public var totalClone: SimTime { perDesktopClone * Int64((desktops + parallel - 1) / parallel) }
    public var totalCopy: SimTime { perDesktopCopy * Int64((desktops + parallel - 1) / parallel) }
}

/// One merge of a differencing disk into its parent.
public struct Merge: Sendable, Codable, Equatable {
    public var time: SimTime
    public var workload: String
    /// Blocks the differencing disk held.
    public var blocks: Int
    /// Block-clone calls the merge made (runs of consecutive blocks).
    public var cloneCalls: Int
    /// Bytes a copy-based merge would have read, and the same again written.
    public var copyBytes: Int
    public var copyDuration: SimTime
    public var cloneDuration: SimTime
}

/// One post-process dedup run of one volume.
public struct DedupRecord: Sendable, Codable, Equatable {
    public var time: SimTime
    public var volume: String
    public var run: DedupRun
    public var duration: SimTime
    /// The window the run had, if the schedule sets one.
    public var window: SimTime?
    public var overran: Bool { window.map { duration > $0 } ?? false }
    /// The run's event: its outcome and text.
    var outcome: String { overran ? "limit" : "ok" }
    var detail: String {
        "\(run.processedBlocks) blocks processed, \(run.duplicates) duplicates, \(run.freedBlocks) freed, "
            + "\(Int(run.seconds.rounded())) s" + (overran ? ", longer than its \(Int(window!.seconds)) s window" : "")
    }
}

/// A volume's savings at the end of the run. Savings are logical used − charged; dedup
/// savings are the pointers dedup added that still stand; the rest are clone savings.
public struct VolumeSavings: Sendable, Codable, Equatable {
    public var volume: String
    public var dedup: DedupMode?
    public var logicalUsed: Int
    public var charged: Int
    public var dedupSaved: Int
    public var dedupMetadata: Int
    public var savings: Int { logicalUsed - charged }
    public var cloneSavings: Int { savings - dedupSaved }
}

/// Reads through the Flash Cache: one boot storm, or one period of steady reads.
public struct CacheRecord: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case bootStorm = "boot storm", steady }
    public var time: SimTime
    public var workload: String
    public var kind: Kind
    public var reads = 0
    /// Hits in the cache over physical blocks, and in its twin where no block is shared.
    public var hits = 0
    public var hitsWithoutSharing = 0
    public init(time: SimTime, workload: String, kind: Kind) {
        self.time = time
        self.workload = workload
        self.kind = kind
    }
    public var hitRate: Double { reads == 0 ? 0 : Double(hits) / Double(reads) }
    public var hitRateWithoutSharing: Double { reads == 0 ? 0 : Double(hitsWithoutSharing) / Double(reads) }
}

/// What a `dr` workload's replication did, and the destination aggregate over time.
public struct ReplicationResult: Sendable, Codable, Equatable {
    public var destination: String
    public var capacityBlocks: Int
    public var bandwidth: Double
    public var relationships: [Relationship] = []
    public var updates: [ReplicationRecord] = []
    public var samples: [DestinationSample] = []
    /// Destination Snapshot copies clones still lock at the end, and the blocks only they hold.
    public var lockedAtEnd: [LockedSnapshot] = []
    public var drTests = 0
    public init(destination: String, capacityBlocks: Int, bandwidth: Double) {
        self.destination = destination
        self.capacityBlocks = capacityBlocks
        self.bandwidth = bandwidth
    }

    public struct Relationship: Sendable, Codable, Equatable {
        public var source: String
        public var destination: String
        public var kind: ReplicationKind
        public var every: SimTime
        /// At the end: the blocks the destination volume is charged (its own blocks, what it
        /// costs on the DR aggregate) and its logical used.
        public var charged = 0
        public var logicalUsed = 0
        public init(source: String, destination: String, kind: ReplicationKind, every: SimTime) {
            self.source = source
            self.destination = destination
            self.kind = kind
            self.every = every
        }
    }
}

/// One scheduled update: sent, skipped because the previous transfer was still running (the
/// recovery point objective missed), or refused by the model.
public struct ReplicationRecord: Sendable, Codable, Equatable {
    public var time: SimTime
    public var destination: String
    public var baseline = false
    public var changedBlocks = 0
    public var transferredBlocks = 0
    /// When the transfer left (after earlier transfers on the link) and how long it took.
    public var start: SimTime
    public var duration = SimTime.zero
    public var missed = false
    public var refusal: String?
    /// Destination copies past retention kept by clones.
    public var lockedSnapshots = 0
    /// After the update: the blocks the destination volume is charged, and those only its
    /// locked copies (past retention, kept by clones) hold.
    public var storedBlocks = 0
    public var lockedHeldBlocks = 0
    public init(time: SimTime, destination: String) {
        self.time = time
        self.destination = destination
        start = time
    }
}

public struct DestinationSample: Sendable, Codable, Equatable {
    public var time: SimTime
    public var physicalUsed: Int
    public var logicalUsed: Int
    /// Blocks only the Snapshot copies clones lock past retention hold (what the locks cost).
    public var lockedBlocks: Int
    public init(time: SimTime, physicalUsed: Int, logicalUsed: Int, lockedBlocks: Int = 0) {
        self.time = time
        self.physicalUsed = physicalUsed
        self.logicalUsed = logicalUsed
        self.lockedBlocks = lockedBlocks
    }
}

public struct LockedSnapshot: Sendable, Codable, Equatable {
    public var volume: String
    public var snapshot: String
    public var clones: [String]
    public var heldBlocks: Int
    public init(volume: String, snapshot: String, clones: [String], heldBlocks: Int) {
        self.volume = volume
        self.snapshot = snapshot
        self.clones = clones
        self.heldBlocks = heldBlocks
    }
}

/// The limits a plan reports as binding first.
public enum Constraint: String, Sendable, Codable, CaseIterable, Comparable {
    /// Out of space: a write, clone or reservation refused, or the aggregate full.
    case capacity
    /// 1 + 255 pointers per WAFL block (fallback copies) or 8175 references per ReFS cluster.
    case pointerLimit = "pointer limit"
    /// 255 clones of one volume, or the limit strategy's full copy of an image.
    case cloneLimit = "clone limit"
    /// A tree, user or group quota.
    case quota
    /// A replication update missed its recovery point.
    case rpo = "RPO"

    public static func < (a: Constraint, b: Constraint) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
