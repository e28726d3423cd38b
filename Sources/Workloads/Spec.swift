import BlockModel
import Engine
import Stochastic

/// A scenario as plain values: what the YAML layer produces and the simulation consumes.
/// Sizes are bytes (rounded up to blocks when the model is built), times are `SimTime`,
/// rates are fractions. Nothing here knows about files or YAML.
public struct ScenarioSpec: Sendable {
    public var name: String
    public var description: String = ""
    public var seed: UInt64 = 1
    /// GSL generator name (`mt19937` unless the scenario names another).
    public var generator: String = "mt19937"
    public var horizon: SimTime
    public var sampleInterval: SimTime
    public var platform: Platform = .ontap
    /// When the scenario is to be run on several platforms and compared (`platforms:`); the
    /// first is also `platform`. Empty for a single platform.
    public var platforms: [Platform] = []
    /// True when some volume deduplicates (the run then schedules dedup and splits savings).
    public var deduplicates: Bool { volumes.contains { $0.dedup != nil } }
    /// Every platform the scenario runs on.
    public var runPlatforms: [Platform] { platforms.isEmpty ? [platform] : platforms }
    /// How reports show sizes: GiB (powers of 2) or GB (powers of 10).
    /// How much of the address space runs simulate (`run --sample` overrides it).
    public var sample: Sampling = .auto
    public var reportUnit: ByteUnit = .GiB
    public var aggregate: AggregateSpec
    /// Settings of the ReFS volume or reflink file system (platforms `refs` and `reflink`).
    public var fileSystem = FileSystemSpec()
    /// Content pools that writes may draw from (`content_pools`).
    public var contentPools: [ContentPoolSpec] = []
    /// Distributions fitted to measured data (`distribution: fit`), for the report.
    public var calibrations: [Calibration] = []
    public var volumes: [VolumeSpec] = []
    public var workloads: [WorkloadSpec] = []

    public init(name: String, horizon: SimTime, sampleInterval: SimTime, aggregate: AggregateSpec) {
        self.name = name
        self.horizon = horizon
        self.sampleInterval = sampleInterval
        self.aggregate = aggregate
    }
}

/// Storage platforms. Only ONTAP runs today; the others are reserved names (issue 5) so
/// scenario files can already say which they mean.
public enum Platform: String, Sendable, Codable, CaseIterable {
    case ontap, refs, reflink
}

/// The repository file system of the `refs` and `reflink` platforms; its capacity is the
/// aggregate's.
public struct FileSystemSpec: Sendable {
    /// ReFS cluster size: 4096 or 65536.
    public var clusterSize = 4096
    public var refsVersion = ReFSVersion(3, 4)
    /// Reflink: when space comes back (XFS `block`, btrfs `extent`).
    public var freeing = FreeingGranularity.block
    public init() {}
}

public enum ByteUnit: String, Sendable, Codable, CaseIterable {
    case GiB, GB
    public var bytes: Double { self == .GiB ? 1_073_741_824 : 1e9 }
}

public struct AggregateSpec: Sendable {
    public var name: String = "aggr1"
    public var capacityBytes: Int
    /// The largest capacity a scenario declares: what must fit 32-bit block ids is one run's or
    /// one shard's use, not this (`Simulation.storage`).
    public static let largestCapacity = 64 << 50
    /// Used-capacity fractions that raise an alert when crossed, ascending.
    public var alerts: [Ratio] = [.percent(80), .percent(90)]
    /// Throughput of a post-process dedup run in bytes per second (every platform).
    public var dedupThroughput = 100.0 * 1_048_576
    /// The ONTAP profile's settings (its [choice]s and release); `dedupBlocksPerSecond` is
    /// set from `dedupThroughput` when the aggregate is built.
    public var ontap = ONTAPProfile()
    /// Flash Cache size in bytes (ONTAP; nil: none). Reads are counted against it.
    public var flashCacheBytes: Int?
    public init(capacityBytes: Int) { self.capacityBytes = capacityBytes }
}

public struct VolumeSpec: Sendable {
    public var name: String
    public var sizeBytes: Int
    public var guarantee: SpaceGuarantee = .none
    public var snapLock = false
    /// Qtree name → tree quota in bytes (nil: no limit).
    public var qtrees: [(name: String, limitBytes: Int?)] = []
    /// "user:NAME" / "group:NAME" → hard limit in bytes.
    public var quotas: [(target: String, limitBytes: Int)] = []
    public var files: [FileSpec] = []
    /// Deduplication of the volume (nil: off). Clones of the volume inherit it.
    public var dedup: DedupSpec?
    public init(name: String, sizeBytes: Int) {
        self.name = name
        self.sizeBytes = sizeBytes
    }
}

/// How a volume deduplicates: inline at every write, or post-process runs from `start`
/// every `every`, each expected to finish within `window`.
public struct DedupSpec: Sendable {
    public var mode: DedupMode = .postProcess
    public var start: SimTime = .zero
    public var every: SimTime = .days(1)
    public var window: SimTime?
    public init(mode: DedupMode = .postProcess) { self.mode = mode }
}

public struct FileSpec: Sendable {
    public var path: String
    public var sizeBytes: Int
    public var attributes = FileAttributes()
    /// Fraction of the file written before the run starts (exact: rounded to the nearest block).
    public var used = Ratio.one
    /// What that data contains (nil: unique data).
    public var content: ContentSpec?
    public init(path: String, sizeBytes: Int) {
        self.path = path
        self.sizeBytes = sizeBytes
    }
}

/// A random quantity: a distribution with its truncation (a constant is `.constant`).
public struct RandomVariable: Sendable {
    public var distribution: Distribution
    public var truncation: Truncation
    public init(_ distribution: Distribution, truncation: Truncation = Truncation()) {
        self.distribution = distribution
        self.truncation = truncation
    }
    public static func constant(_ value: Double) -> RandomVariable { RandomVariable(.constant(value: value)) }
}

/// Where the blocks of a burst of writes land.
public enum WritePattern: Sendable, Equatable {
    /// Start offsets uniform over the object.
    case uniform
    /// The object cut into `regions` equal regions picked by a Zipf law of exponent `exponent`
    /// (region 1 the hottest), the offset uniform within the region.
    case hotspot(regions: Int, exponent: Double)
    /// One cursor per object that advances and wraps: a log or a sequential load.
    case sequential

    public var name: String {
        switch self {
        case .uniform: "uniform"
        case .hotspot: "hotspot"
        case .sequential: "sequential"
        }
    }
}

/// How an object changes: every `interval`, a fraction drawn from `rate` of its size is
/// overwritten with new data, in writes whose sizes (bytes) are drawn from `writeSize`.
public struct ChangeSpec: Sendable {
    public var rate: RandomVariable
    public var interval: SimTime = .days(1)
    public var pattern: WritePattern = .uniform
    public var writeSize: RandomVariable = .constant(4096)
    /// What the new data contains (nil: unique data).
    public var content: ContentSpec?
    public init(rate: RandomVariable) { self.rate = rate }
}

public struct WorkloadSpec: Sendable {
    public var name: String
    public var kind: Kind
    public enum Kind: Sendable {
        case devtest(DevTestSpec)
        case vdi(VDISpec)
        case events(EventsSpec)
        case backup(BackupSpec)
        case checkpoints(CheckpointsSpec)
        case dr(DRSpec)
    }
    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }
}

/// Dev/test copies of a production volume (the FlexClone seed's first use case).
public struct DevTestSpec: Sendable {
    /// The production volume (declared under `volumes`).
    public var source: String
    public var sourceChange: ChangeSpec?
    /// Keep a full physical copy of the source, updated with its writes.
    public var mirror = false
    public var groups: [CloneGroupSpec] = []
    /// Destroy every clone and re-clone from a new Snapshot copy this often.
    public var refreshEvery: SimTime?
    /// Refresh Snapshot copies kept after the clones move off them (0: deleted at once).
    public var retainSnapshots = 0
    public init(source: String) { self.source = source }
}

public struct CloneGroupSpec: Sendable {
    public var name: String
    public var count: Int
    public var change: ChangeSpec?
    /// Time between destructive-test resets of each clone (re-cloned from its base), if any.
    public var resetInterval: RandomVariable?
    public init(name: String, count: Int) {
        self.name = name
        self.count = count
    }
}

/// Virtual desktops cloned from a golden image (the seed's VDI use case).
public struct VDISpec: Sendable {
    public enum Provisioning: String, Sendable, CaseIterable {
        case fileClones = "file_clones", volumeClones = "volume_clones"
    }
    /// What to do when the 255 limit is reached. [seed: "clone from the newest full copy"]
    public enum LimitStrategy: String, Sendable, CaseIterable {
        /// No strategy: more than 255 desktops is an input error.
        case none
        /// Go on cloning the image: each file clone past the limit gets physical copies.
        case keepCloningSource = "keep_cloning_source"
        /// Make a full copy of the image and clone the next 255 from it.
        case cloneNewestCopy = "clone_newest_copy"
    }
    /// The volume holding the golden image.
    public var volume: String
    /// The golden image's path in that volume.
    public var image: String
    public var desktops: Int
    public var provisioning: Provisioning = .fileClones
    public var limitStrategy: LimitStrategy = .cloneNewestCopy
    /// Throughput of a full copy of the image, bytes per second.
    public var copyThroughput: Double = 30 * 1_048_576
    /// Time to create one clone (the seed: about 3 minutes per clone, all steps included).
    public var cloneTime: SimTime = .seconds(180)
    /// Guest customization per desktop, added to both methods.
    public var customizeTime: SimTime = .zero
    /// Desktops provisioned at the same time.
    public var parallel = 1
    public var change: ChangeSpec?
    /// Non-persistent desktops are re-cloned from the image at this interval.
    public var refreshEvery: SimTime?
    public var recompose: RecomposeSpec?
    /// Reads through the Flash Cache: boot storms and steady-state reads.
    public var reads: VDIReadSpec?
    public init(volume: String, image: String, desktops: Int) {
        self.volume = volume
        self.image = image
        self.desktops = desktops
    }
}

/// What the desktops read. A boot storm: from `bootAt` (then every `bootEvery`), every
/// desktop reads the first `bootSetBytes` of its disk at about the same time — in rounds of
/// `bootChunkBytes` per desktop, the desktops in a new random order each storm. Steady reads:
/// every `steady.interval`, each desktop reads a fraction of its disk drawn from `steady.rate`,
/// placed by `steady.pattern` (a hotspot pattern gives locality) in reads of `steady.writeSize`.
public struct VDIReadSpec: Sendable {
    public var bootSetBytes: Int
    public var bootAt: SimTime = .hours(8)
    public var bootEvery: SimTime? = .days(1)
    public var bootChunkBytes = 262_144
    public var steady: ChangeSpec?
    public init(bootSetBytes: Int) { self.bootSetBytes = bootSetBytes }
}

/// A new golden image version at `at`: a full copy of the image with `imageChange` of its
/// blocks rewritten; desktops move to it at the provisioning rate; the old image is deleted
/// once the last desktop has moved.
public struct RecomposeSpec: Sendable {
    public var at: SimTime
    public var imageChange: Ratio
    public init(at: SimTime, imageChange: Ratio) {
        self.at = at
        self.imageChange = imageChange
    }
}

/// An explicit, timed list of operations.
public struct EventsSpec: Sendable {
    public var operations: [TimedOperation] = []
    public init() {}
}

public struct TimedOperation: Sendable {
    public var at: SimTime
    public var operation: Operation
    /// Where it came from (e.g. `file:line:column`), for the events table.
    public var origin: String
    public init(at: SimTime, operation: Operation, origin: String = "") {
        self.at = at
        self.operation = operation
        self.origin = origin
    }
}

public enum Operation: Sendable {
    case snapshot(volume: String, name: String)
    case deleteSnapshot(volume: String, name: String)
    case cloneVolume(name: String, parent: String, snapshot: String?)
    case cloneFile(volume: String, source: String, destination: String)
    case split(volume: String)
    case destroy(volume: String)
    case createFile(volume: String, file: FileSpec)
    case deleteFile(volume: String, path: String)
    /// Writes `bytes` of new data into a file with a pattern and write size.
    /// `bytes` of new data; from `at` when given (one sequential run over the blocks the byte
    /// range touches), otherwise placed by `pattern`.
    case write(volume: String, path: String, bytes: Int, pattern: WritePattern, writeSize: RandomVariable, content: ContentSpec? = nil,
               at: WriteStart? = nil)
    case setQuota(volume: String, target: String, limitBytes: Int)

    public var name: String {
        switch self {
        case .snapshot: "snapshot"
        case .deleteSnapshot: "delete_snapshot"
        case .cloneVolume: "clone_volume"
        case .cloneFile: "clone_file"
        case .split: "split"
        case .destroy: "destroy"
        case .createFile: "create_file"
        case .deleteFile: "delete_file"
        case .write: "write"
        case .setQuota: "set_quota"
        }
    }
}

/// A backup repository on ReFS or reflink: a daily forward-incremental chain with periodic
/// synthetic fulls built by block cloning (or, with `blockCloning` off, by copying), and
/// retention of restore points and of older synthetic fulls.
public struct BackupSpec: Sendable {
    /// The protected data set at the start, bytes.
    public var dataBytes: Int
    /// Daily change: the rate is a fraction of the data set; `interval` is the backup interval.
    public var change: ChangeSpec
    /// Growth of the data set per year (0.2 is 20%), added as new data before each backup.
    public var growthPerYear = 0.0
    /// Every n-th backup is a synthetic full (the chain restarts from it).
    public var syntheticFullEvery = 7
    /// Restore points kept (each backup is one).
    public var restorePoints = 14
    /// Further synthetic fulls kept beyond the restore points (weekly and monthly points).
    public var weeklyFulls = 0
    public var monthlyFulls = 0
    public var blockCloning = true
    /// Size of the backup application's writes, bytes (each is one extent on btrfs).
    public var writeBytes = 1_048_576
    public init(dataBytes: Int, change: ChangeSpec) {
        self.dataBytes = dataBytes
        self.change = change
    }
}

/// Hyper-V checkpoints on a ReFS (or reflink) volume: a VM disk whose writes go to the newest
/// differencing disk; beyond `keep` checkpoints the oldest differencing disk is merged into
/// the base disk by block cloning its blocks into place, instead of reading and writing them.
public struct CheckpointsSpec: Sendable {
    /// The VM's virtual disk, bytes, and the part of it written before the run.
    public var diskBytes: Int
    public var used = Ratio.one
    /// The guest's writes: a fraction of the disk per interval.
    public var change: ChangeSpec
    public var checkpointEvery: SimTime = .days(1)
    /// Checkpoints kept; a new one past this merges the oldest.
    public var keep = 2
    /// Read and write throughput of a copy-based merge, bytes per second.
    public var copyThroughput: Double = 200 * 1_048_576
    /// [choice] Time of one block-clone call during a merge (metadata only; 50 µs by default).
    public var cloneCallTime: SimTime = SimTime(nanoseconds: 50_000)
    public init(diskBytes: Int, change: ChangeSpec) {
        self.diskBytes = diskBytes
        self.change = change
    }
}

/// Disaster recovery on ONTAP: source volumes replicated to a destination aggregate by
/// SnapMirror or SnapVault over a link of `bandwidth` bytes per second, FlexClone volumes of the
/// destination copies for dev/test, and DR tests (clone, destructive writes, destroy).
public struct DRSpec: Sendable {
    public var destinationName = "dr"
    /// The ONTAP release the replication runs on (nil: the scenario's).
    public var ontapVersion: ONTAPVersion?
    public var destinationCapacityBytes: Int
    public var bandwidth: Double
    public var relationships: [RelationshipSpec] = []
    /// Changes of every source volume's files.
    public var sourceChange: ChangeSpec?
    public var clones: [DRCloneSpec] = []
    public var tests: DRTestSpec?
    public init(destinationCapacityBytes: Int, bandwidth: Double) {
        self.destinationCapacityBytes = destinationCapacityBytes
        self.bandwidth = bandwidth
    }
}

/// Where an exact write starts: a byte offset, or a block number of the platform's blocks.
public enum WriteStart: Sendable, Equatable {
    case byte(Int)
    case block(Int)
}

/// Which replicated Snapshot copy of a destination volume a clone is made from.
public enum SnapshotChoice: Sendable, Equatable {
    case newest, oldest
    case named(String)
}

/// One relationship: updates from `start`, then every `every`.
public struct RelationshipSpec: Sendable {
    public var source: String
    public var destination: String
    public var kind: ReplicationKind
    public var every: SimTime = .hours(1)
    public var start: SimTime = .hours(1)
    public var keepSource = 1
    public var keepDestination = 1
    public var destinationDedup: DedupMode?
    public init(source: String, destination: String, kind: ReplicationKind) {
        self.source = source
        self.destination = destination
        self.kind = kind
    }
}

/// Dev/test FlexClone volumes of a destination copy, from its newest replicated Snapshot copy,
/// made at `start` and re-made every `refreshEvery`.
public struct DRCloneSpec: Sendable {
    public var name: String
    /// The relationship's destination volume.
    public var of: String
    public var count: Int
    public var change: ChangeSpec?
    public var start: SimTime = .days(1)
    public var refreshEvery: SimTime?
    /// The replicated Snapshot copy each clone is made from.
    public var snapshot = SnapshotChoice.newest
    public init(name: String, of: String, count: Int) {
        self.name = name
        self.of = of
        self.count = count
    }
}

/// A DR test every `every` from `start`: a FlexClone volume of the destination copy, `change`
/// of it overwritten (the destructive test), destroyed after `duration`.
public struct DRTestSpec: Sendable {
    public var of: String
    public var every: SimTime = .days(30)
    public var start: SimTime = .days(7)
    public var duration: SimTime = .days(1)
    /// The share of each file the test overwrites (exact: the nearest block).
    public var change = Ratio.percent(20)
    public var snapshot = SnapshotChoice.newest
    public init(of: String) { self.of = of }
}

/// A distribution fitted to measured data: where it is used, the data, and how well it fits.
public struct Calibration: Sendable, Equatable, Codable {
    public var key: String
    public var file: String
    public var column: String
    public var family: String
    public var samples: Int
    /// The fitted parameters, e.g. "zeta = 1.2, sigma = 0.4".
    public var parameters: String
    public var ksD: Double?
    public var ksP: Double?
    public init(key: String, file: String, column: String, family: String, samples: Int, parameters: String, ksD: Double?, ksP: Double?) {
        self.key = key
        self.file = file
        self.column = column
        self.family = family
        self.samples = samples
        self.parameters = parameters
        self.ksD = ksD
        self.ksP = ksP
    }
}
