/// Why a reflink file-system operation was refused, named after the errno Linux returns
/// (MODEL.md §3). A refused operation changed nothing.
public enum ReflinkError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalid(String)
    case crossDevice(String)
    case noSpace(neededBlocks: Int, freeBlocks: Int)
    case notFound(String)
    case exists(String)

    public var errno: String {
        switch self {
        case .invalid: "EINVAL"
        case .crossDevice: "EXDEV"
        case .noSpace: "ENOSPC"
        case .notFound: "ENOENT"
        case .exists: "EEXIST"
        }
    }

    public var description: String {
        let text: String = switch self {
        case .invalid(let why), .crossDevice(let why), .notFound(let why), .exists(let why): why
        case .noSpace(let need, let free): "\(need) blocks needed, \(free) free"
        }
        return "\(errno): \(text)"
    }
}

/// When space comes back (MODEL.md §3, measured on kernel 6.18).
public enum FreeingGranularity: String, Sendable, CaseIterable {
    /// XFS: a block is free as soon as nothing references it.
    case block
    /// btrfs: a data extent (one write, split at `maxExtentBlocks`) stays allocated while any
    /// of its blocks is referenced ("bookend" extents).
    case extent
}

public struct ReflinkProfile: Sendable, Equatable {
    public var blockSize = 4096
    public var freeing = FreeingGranularity.block
    /// btrfs splits a write into extents of at most 128 MiB.
    public var maxExtentBlocks = (128 << 20) / 4096
    public init(freeing: FreeingGranularity = .block) { self.freeing = freeing }
}
