/// Why a model operation was refused. Each case is one rule of MODEL.md and names the objects
/// involved; a refused operation changed nothing.
public enum ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownVolume(String)
    case unknownFile(volume: String, path: String)
    case unknownSnapshot(volume: String, snapshot: String)
    case unknownQtree(volume: String, qtree: String)
    case alreadyExists(kind: String, name: String)
    case invalidArgument(String)
    case outOfRange(volume: String, path: String, start: Int, count: Int, sizeBlocks: Int)
    case snapshotLimit(volume: String, limit: Int)
    case cloneLimit(parent: String, limit: Int)
    case snapshotBusy(volume: String, snapshot: String, clones: [String])
    case parentHasClones(volume: String, clones: [String])
    case snapLock(volume: String)
    case notAClone(volume: String)
    case treeQuotaExceeded(volume: String, qtree: String, limitBlocks: Int, wouldUseBlocks: Int)
    case userQuotaExceeded(volume: String, user: String, limitBlocks: Int, wouldUseBlocks: Int)
    case cannotReserve(volume: String, object: String, neededBlocks: Int, availableBlocks: Int)
    case outOfSpace(volume: String, neededBlocks: Int, availableBlocks: Int, inAggregate: Bool)

    /// The MODEL.md rule the error stands for.
    public var rule: String {
        switch self {
        case .unknownVolume, .unknownFile, .unknownSnapshot, .unknownQtree: "unknown object"
        case .alreadyExists: "names are unique"
        case .invalidArgument: "invalid argument"
        case .outOfRange: "writes stay within the object's size"
        case .snapshotLimit: "at most 255 Snapshot copies per volume"
        case .cloneLimit: "at most 255 clones of one volume"
        case .snapshotBusy: "a Snapshot copy backing a clone is locked"
        case .parentHasClones: "a parent volume with clones cannot be deleted"
        case .snapLock: "SnapLock volumes cannot be cloned"
        case .notAClone: "only a clone can be split"
        case .treeQuotaExceeded: "a tree quota is a hard limit"
        case .userQuotaExceeded: "a user or group quota is a hard limit for writes"
        case .cannotReserve: "a space reservation must fit"
        case .outOfSpace: "writes need free blocks"
        }
    }

    public var description: String {
        switch self {
        case .unknownVolume(let v): "no volume '\(v)'"
        case .unknownFile(let v, let p): "no file or LUN '\(p)' in volume '\(v)'"
        case .unknownSnapshot(let v, let s): "no Snapshot copy '\(s)' of volume '\(v)'"
        case .unknownQtree(let v, let q): "no qtree '\(q)' in volume '\(v)'"
        case .alreadyExists(let kind, let name): "\(kind) '\(name)' already exists"
        case .invalidArgument(let text): text
        case .outOfRange(let v, let p, let start, let count, let size):
            "blocks \(start)..<\(start + count) are outside '\(p)' in volume '\(v)' (\(size) blocks)"
        case .snapshotLimit(let v, let limit): "volume '\(v)' already has \(limit) Snapshot copies"
        case .cloneLimit(let parent, let limit): "volume '\(parent)' already has \(limit) clones"
        case .snapshotBusy(let v, let s, let clones):
            "Snapshot copy '\(s)' of volume '\(v)' is busy: it backs \(clones.joined(separator: ", "))"
        case .parentHasClones(let v, let clones):
            "volume '\(v)' has clones: \(clones.joined(separator: ", "))"
        case .snapLock(let v): "volume '\(v)' is a SnapLock volume and cannot be cloned"
        case .notAClone(let v): "volume '\(v)' is not a FlexClone volume"
        case .treeQuotaExceeded(let v, let q, let limit, let would):
            "tree quota of qtree '\(q)' in volume '\(v)' would be exceeded: \(would) blocks > limit \(limit)"
        case .userQuotaExceeded(let v, let u, let limit, let would):
            "quota of '\(u)' in volume '\(v)' would be exceeded: \(would) blocks > limit \(limit)"
        case .cannotReserve(let v, let o, let need, let avail):
            "cannot reserve \(need) blocks for '\(o)' in volume '\(v)': \(avail) available"
        case .outOfSpace(let v, let need, let avail, let inAggregate):
            "out of space writing to volume '\(v)': \(need) blocks needed, \(avail) free in the \(inAggregate ? "aggregate" : "volume")"
        }
    }
}
