/// The ReFS volumes of one Windows host: where a block clone between two volumes is refused.
public struct ReFSSystem: Sendable {
    public private(set) var volumes: [String: ReFSVolume] = [:]
    public init() {}

    public mutating func add(_ volume: ReFSVolume) throws(ReFSError) {
        guard volumes[volume.name] == nil else { throw .alreadyExists("volume '\(volume.name)' already exists") }
        volumes[volume.name] = volume
    }

    /// Runs `body` on volume `name`, in place.
    public mutating func on<T>(_ name: String, _ body: (inout ReFSVolume) throws(ReFSError) -> T) throws(ReFSError) -> T {
        guard var v = volumes.removeValue(forKey: name) else { throw .notFound("no volume '\(name)'") }
        defer { volumes[name] = v }
        return try body(&v)
    }

    /// A block clone between files given as (volume, path): both must be on one volume.
    public mutating func blockClone(source: (volume: String, path: String), sourceOffset: Int,
                                    destination: (volume: String, path: String), destinationOffset: Int, length: Int) throws(ReFSError) {
        guard volumes[source.volume] != nil else { throw .notFound("no volume '\(source.volume)'") }
        guard source.volume == destination.volume else {
            throw .invalidParameter("'\(source.path)' on volume '\(source.volume)' and '\(destination.path)' on volume '\(destination.volume)': block cloning works within one volume")
        }
        try on(source.volume) { (v: inout ReFSVolume) throws(ReFSError) in
            try v.blockClone(source: source.path, sourceOffset: sourceOffset, destination: destination.path,
                             destinationOffset: destinationOffset, length: length)
        }
    }
}
