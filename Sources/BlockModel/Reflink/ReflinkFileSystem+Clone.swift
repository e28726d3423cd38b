extension ReflinkFileSystem {
    /// FICLONE: `destination` becomes a reflinked copy of the whole of `source` (its old blocks
    /// lose a reference; it takes the source's size).
    public mutating func reflink(_ source: (sub: String, path: String), to destination: (sub: String, path: String)) throws(ReflinkError) {
        let src = try file(source.sub, source.path)
        var dst = try file(destination.sub, destination.path)
        guard source != destination else { throw .invalid("'\(source.sub)/\(source.path)' onto itself") }
        subvolumes[destination.sub]?[destination.path] = nil
        drop(dst.map)
        dst.map = store.copy(src.map)
        if extents { store.forEachBlock(src.map) { _, b in extentReferences[Int(extentOf[Int(b)])] += 1 } }
        dst.size = src.size
        subvolumes[destination.sub]?[destination.path] = dst
    }

    /// FICLONERANGE: maps `length` bytes of `destination` at `destinationOffset` onto the
    /// blocks of `source` at `sourceOffset`. A length of 0 means "to the source's end of
    /// file". The destination grows if the range runs past its size.
    /// - Throws: `invalid` (EINVAL) for unaligned offsets, an unaligned length that does not
    ///   end at the source's end of file, a range past the source's end of file, or
    ///   overlapping ranges in one file. Nothing changes then.
    public mutating func cloneRange(_ source: (sub: String, path: String), sourceOffset: Int, to destination: (sub: String, path: String),
                                    destinationOffset: Int, length: Int) throws(ReflinkError) {
        let (s0, d0, count, length) = try checkRange(source, sourceOffset, destination, destinationOffset, length)
        remap(source, s0, destination, d0, count, newSize: destinationOffset + length)
    }

    /// FIDEDUPERANGE: like `cloneRange`, but only when both ranges hold identical data.
    /// - Returns: the bytes deduplicated: `length`, or 0 when the contents differ
    ///   (FILE_DEDUPE_RANGE_DIFFERS, not an error; nothing changes).
    @discardableResult
    public mutating func dedupeRange(_ source: (sub: String, path: String), sourceOffset: Int, to destination: (sub: String, path: String),
                                     destinationOffset: Int, length: Int) throws(ReflinkError) -> Int {
        let (s0, d0, count, length) = try checkRange(source, sourceOffset, destination, destinationOffset, length)
        let dst = try file(destination.sub, destination.path)
        guard destinationOffset + length <= dst.size else { throw .invalid("the destination range runs past the end of '\(destination.path)'") }
        // Only the two ranges are compared (the kernel reads just those pages).
        let a = try contents(source.sub, source.path, blocks: s0..<(s0 + count))
        let b = try contents(destination.sub, destination.path, blocks: d0..<(d0 + count))
        if a != b { return 0 }
        remap(source, s0, destination, d0, count, newSize: dst.size)
        return length
    }

    /// Kernel checks shared by clone and dedupe; returns first blocks, block count and the
    /// resolved length.
    func checkRange(_ source: (sub: String, path: String), _ sourceOffset: Int, _ destination: (sub: String, path: String),
                    _ destinationOffset: Int, _ length: Int) throws(ReflinkError) -> (Int, Int, Int, Int) {
        let src = try file(source.sub, source.path)
        _ = try file(destination.sub, destination.path)
        let bs = profile.blockSize
        guard sourceOffset >= 0, destinationOffset >= 0, length >= 0 else { throw .invalid("negative offset or length") }
        guard sourceOffset % bs == 0, destinationOffset % bs == 0 else {
            throw .invalid("offsets \(sourceOffset) and \(destinationOffset) must be multiples of the block size \(bs)")
        }
        let length = length == 0 ? max(0, src.size - sourceOffset) : length
        guard sourceOffset + length <= src.size else {
            throw .invalid("the source range ends at \(sourceOffset + length), past the end of file \(src.size)")
        }
        guard length % bs == 0 || sourceOffset + length == src.size else {
            throw .invalid("length \(length) is not a multiple of the block size and does not end at the source's end of file")
        }
        if source == destination && sourceOffset < destinationOffset + length && destinationOffset < sourceOffset + length {
            throw .invalid("source and destination ranges of '\(source.path)' overlap")
        }
        return (sourceOffset / bs, destinationOffset / bs, blocks(length), length)
    }

    mutating func remap(_ source: (sub: String, path: String), _ s0: Int, _ destination: (sub: String, path: String), _ d0: Int,
                        _ count: Int, newSize: Int) {
        guard let src = subvolumes[source.sub]?[source.path], var dst = subvolumes[destination.sub]?[destination.path] else { return }
        let incoming = (0..<count).map { s0 + $0 < src.map.blockCount ? store.read(src.map, s0 + $0) : BlockStore.hole }
        subvolumes[destination.sub]?[destination.path] = nil
        if d0 + count > dst.map.blockCount { store.grow(&dst.map, to: d0 + count) }
        for (k, b) in incoming.enumerated() {
            gained(b)
            lost(store.set(&dst.map, d0 + k, to: b))
        }
        dst.size = max(dst.size, newSize)
        subvolumes[destination.sub]?[destination.path] = dst
    }

    /// The store's invariants, and for extent freeing: each live extent's count equals the
    /// file references to its blocks, and each of its blocks is still allocated.
    public func invariantViolations() -> [String] {
        var maps: [BlockMap] = []
        for sub in subvolumes.keys.sorted() { for path in subvolumes[sub]!.keys.sorted() { maps.append(subvolumes[sub]![path]!.map) } }
        var problems = store.invariantViolations(maps: maps, pinned: extentBlocks.flatMap { $0 })
        guard extents else { return problems }
        let readers = store.slotReaders()
        for (e, ids) in extentBlocks.enumerated() where !ids.isEmpty {
            let refs = ids.reduce(0) { $0 + Int(readers[Int($1)]) }
            if refs != extentReferences[e] { problems.append("extent \(e): \(extentReferences[e]) references counted, \(refs) exist") }
            if ids.contains(where: { store.referenceCount($0) == 0 }) { problems.append("extent \(e) has a freed block") }
        }
        return problems
    }
}

/// The file systems of one Linux host: a reflink between two of them fails with EXDEV.
public struct ReflinkHost: Sendable {
    public var fileSystems: [String: ReflinkFileSystem] = [:]
    public init() {}

    public mutating func cloneRange(_ fs: String, _ source: (sub: String, path: String), sourceOffset: Int, to destinationFS: String,
                                    _ destination: (sub: String, path: String), destinationOffset: Int, length: Int) throws(ReflinkError) {
        guard fs == destinationFS else { throw .crossDevice("'\(source.path)' on \(fs) and '\(destination.path)' on \(destinationFS)") }
        guard var f = fileSystems.removeValue(forKey: fs) else { throw .notFound("no file system '\(fs)'") }
        defer { fileSystems[fs] = f }
        try f.cloneRange(source, sourceOffset: sourceOffset, to: destination, destinationOffset: destinationOffset, length: length)
    }
}

extension ReflinkFileSystem {
    /// Figures for the file system (used includes bookend blocks under extent freeing), then
    /// each subvolume and its files, by name (MODEL.md §0), in blocks.
    public func accounting() -> [ObjectFigures] {
        var counter = ObjectCounter(readers: store.slotReaders())
        var rows = [ObjectFigures(kind: .aggregate, name: name, logicalSize: capacityBlocks, logicalUsed: logicalUsedBlocks,
                                  physicalUsed: store.liveBlocks, unique: store.liveBlocks, snapshotHeld: 0, reserved: 0,
                                  charged: store.liveBlocks)]
        for sub in subvolumes.keys.sorted() {
            let files = subvolumes[sub]!
            let paths = files.keys.sorted()
            let all = counter.count(paths.map { files[$0]!.map }, in: store)
            rows.append(ObjectFigures(kind: .volume, name: sub, logicalSize: paths.reduce(0) { $0 + blocks(files[$1]!.size) },
                                      logicalUsed: paths.reduce(0) { $0 + files[$1]!.map.mappedBlocks }, physicalUsed: all.distinct,
                                      unique: all.unique, snapshotHeld: 0, reserved: 0, charged: all.unique))
            for path in paths {
                let f = files[path]!
                let c = counter.count([f.map], in: store)
                rows.append(ObjectFigures(kind: .file, name: "\(sub)/\(path)", logicalSize: blocks(f.size), logicalUsed: f.map.mappedBlocks,
                                          physicalUsed: c.distinct, unique: c.unique, snapshotHeld: 0, reserved: 0, charged: c.unique))
            }
        }
        return rows
    }
}
