/// Why a ReFS operation was refused, with the Windows error it stands for (MODEL.md §2). A
/// refused operation changed nothing.
public enum ReFSError: Error, Equatable, Sendable, CustomStringConvertible {
    /// ERROR_INVALID_PARAMETER: misaligned range, 4 GiB or longer, past the destination's end
    /// of file, different volumes, different integrity-streams settings, negative sizes.
    case invalidParameter(String)
    /// ERROR_NOT_SUPPORTED: overlapping ranges in one file, a sparse source into a non-sparse
    /// destination.
    case notSupported(String)
    /// ERROR_BLOCK_TOO_MANY_REFERENCES: a source cluster would be mapped by more file regions
    /// than the limit. The clone fails; nothing falls back to a copy.
    case tooManyReferences(volume: String, cluster: UInt32, wouldHave: Int, limit: Int)
    /// ERROR_INVALID_DEVICE_REQUEST: the volume's format predates block cloning.
    case invalidDeviceRequest(volume: String, version: ReFSVersion)
    /// ERROR_DISK_FULL: not enough free clusters.
    case diskFull(volume: String, neededClusters: Int, freeClusters: Int)
    /// ERROR_FILE_NOT_FOUND / ERROR_FILE_EXISTS and unknown volumes.
    case notFound(String)
    case alreadyExists(String)

    /// The Windows name of the error.
    public var windowsName: String {
        switch self {
        case .invalidParameter: "ERROR_INVALID_PARAMETER"
        case .notSupported: "ERROR_NOT_SUPPORTED"
        case .tooManyReferences: "ERROR_BLOCK_TOO_MANY_REFERENCES"
        case .invalidDeviceRequest: "ERROR_INVALID_DEVICE_REQUEST"
        case .diskFull: "ERROR_DISK_FULL"
        case .notFound: "ERROR_FILE_NOT_FOUND"
        case .alreadyExists: "ERROR_FILE_EXISTS"
        }
    }

    public var description: String {
        let text: String = switch self {
        case .invalidParameter(let why), .notSupported(let why), .notFound(let why), .alreadyExists(let why): why
        case .tooManyReferences(let v, let c, let would, let limit):
            "cluster \(c) of volume '\(v)' would be mapped by \(would) file regions; at most \(limit)"
        case .invalidDeviceRequest(let v, let version):
            "volume '\(v)' has ReFS format \(version), which predates block cloning"
        case .diskFull(let v, let need, let free): "volume '\(v)' needs \(need) clusters, \(free) free"
        }
        return "\(windowsName): \(text)"
    }
}

/// A ReFS format version, e.g. 3.1 (Windows Server 2016, the first with block cloning).
public struct ReFSVersion: Comparable, Sendable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }
    public static func < (a: ReFSVersion, b: ReFSVersion) -> Bool { (a.major, a.minor) < (b.major, b.minor) }
    public var description: String { "\(major).\(minor)" }
}

/// ReFS settings; every [choice] of MODEL.md §2 is one of these.
public struct ReFSProfile: Sendable, Equatable {
    /// Cluster sizes a volume may be formatted with.
    public var clusterSizes = [4096, 65536]
    /// File regions that may map one cluster. [seed: 8175]
    public var maxReferencesPerCluster = 8175
    /// A block clone must be shorter than this many bytes. [seed: less than 4 GB]
    public var maxCloneBytes = 4 << 30
    /// The first format version with block cloning. [seed: formatted with Windows Server 2016]
    public var blockCloneVersion = ReFSVersion(3, 1)
    /// [choice] Shared (level 2) oplock breaks counted per successful clone: one per file
    /// involved (the source and, when different, the destination).
    public init() {}
}
