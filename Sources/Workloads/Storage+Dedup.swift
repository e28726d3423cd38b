import BlockModel

/// Deduplication through the `Storage` vocabulary. ONTAP's engine lives in the block model
/// (`Aggregate+Dedup.swift`); ReFS (Windows Server 2025 ReFS deduplication jobs) and reflink
/// (a duperemove-style scan issuing FIDEDUPERANGE) share the post-process engine below, which
/// shares blocks by range clones after comparing contents, within one volume.
protocol DedupStorage {
    /// Every volume (ONTAP volumes, ReFS folders, reflink subvolumes), snapshots excluded.
    var volumeNames: [String] { get }
    /// The volume a clone volume was made from.
    func cloneParent(_ volume: String) -> String?
    func dedupMode(_ volume: String) throws -> DedupMode?
    mutating func setDedup(_ volume: String, mode: DedupMode?) throws
    mutating func runDedup(_ volume: String) throws -> DedupRun
    /// The blocks a run would process, taken as processed without deduplicating them (a work
    /// estimate's pilot, which only counts).
    mutating func skipDedupRun(_ volume: String) throws -> Int
    /// Blocks the volume's files map to a donor because of dedup, still standing.
    func dedupSavedBlocks(_ volume: String) throws -> Int
    func dedupMetadataBlocks(_ volume: String) throws -> Int
    /// Logical used and charged blocks of a volume, from the accounting rows.
    func usage(of volume: String, in rows: [ObjectFigures]) -> (logical: Int, charged: Int)
}

extension DedupStorage {
    func usage(of volume: String, in rows: [ObjectFigures]) -> (logical: Int, charged: Int) {
        guard let row = rows.first(where: { $0.kind == .volume && $0.name == volume }) else { return (0, 0) }
        return (row.logicalUsed, row.charged)
    }
}

extension Aggregate: DedupStorage {
    func cloneParent(_ volume: String) -> String? { (try? cloneBase(of: volume))??.parent }
}

// MARK: ReFS and reflink

/// One volume's post-process dedup on a file system: files written since the last run (all of
/// them the first time), the fingerprints seen, and the slots dedup pointed at a donor.
struct FileSystemDedup: Sendable {
    struct Donor: Sendable {
        var path: String
        var offset: Int
        var block: UInt32
    }
    /// Ranges written since the last run, by file (the hash file keeps the rest's fingerprints).
    var dirty: [String: [Range<Int>]] = [:]
    var scanned = false
    var fingerprints: [UInt64: Donor] = [:]
    var deduped: [String: Set<Int>] = [:]
    var saved: Int { deduped.values.reduce(0) { $0 + $1.count } }

    /// A write of `range` to `path`: fingerprinted next run; dedup's pointers there are gone.
    mutating func wrote(_ path: String, _ range: Range<Int>) {
        dirty[path, default: []].append(range)
        // In place: a copy of the set per write would cost O(its size) each time.
        guard let n = deduped[path]?.count, n > 0 else { return }
        if range.count < n {
            for k in range { deduped[path]?.remove(k) }
        } else {
            deduped[path] = deduped[path]!.filter { !range.contains($0) }
        }
    }

    mutating func deleted(_ path: String) {
        dirty[path] = nil
        deduped[path] = nil
    }
}

/// The ReFS and reflink storages: dedup state per volume, and their primitives the engine uses.
protocol FileSystemDedupStorage: FileSystemStorage {
    var dedup: [String: FileSystemDedup] { get set }
    var clonedFrom: [String: String] { get set }
    /// Blocks a post-process run processes per second.
    var dedupBlocksPerSecond: Double { get }
    /// Longest range one dedupe call shares (btrfs: 16 MiB; ReFS block clone: under 4 GiB).
    var maxDedupeBlocks: Int { get }
    /// Physical blocks some file blocks map (nil for holes).
    func physicalBlocks(_ volume: String, _ path: String, blocks: Range<Int>) throws -> [UInt32?]
    /// Ranges holding every mapped block of a file (holes may lie in them too).
    func mappedRanges(_ volume: String, _ path: String) throws -> [Range<Int>]
    /// Shares `count` blocks of `destination` at `d` with those of `source` at `s`, which hold
    /// the same contents (FIDEDUPERANGE, or a ReFS dedup job's block sharing).
    mutating func dedupe(_ volume: String, _ source: String, block s: Int, to destination: String, block d: Int, count: Int) throws
}

extension FileSystemDedupStorage {
    func cloneParent(_ volume: String) -> String? { clonedFrom[volume] }
    func dedupMode(_ volume: String) throws -> DedupMode? { dedup[volume] == nil ? nil : .postProcess }
    func dedupSavedBlocks(_ volume: String) throws -> Int { dedup[volume]?.saved ?? 0 }
    /// The hash file or chunk index is not modelled on these platforms.
    func dedupMetadataBlocks(_ volume: String) throws -> Int { 0 }

    mutating func setDedup(_ volume: String, mode: DedupMode?) throws {
        guard hasVolume(volume) else { throw unsupported("no volume '\(volume)'") }
        switch mode {
        case nil: dedup[volume] = nil
        case .postProcess: if dedup[volume] == nil { dedup[volume] = FileSystemDedup() }
        case .inline: throw unsupported("dedup runs as a post-process job (ReFS deduplication jobs, FIDEDUPERANGE scans), never inline")
        }
    }

    /// What a run scans of one file: every mapped block the first time (`dirty` nil; holes are
    /// skipped either way, and a sampled shard's files are mostly holes, `Sharding`), else the
    /// mapped blocks written since the last run.
    func scanRanges(_ volume: String, _ path: String, size: Int, dirty: [Range<Int>]?) throws -> [Range<Int>] {
        let mapped = try mappedRanges(volume, path)
        guard let dirty else { return Ranges.union(mapped, within: 0..<size) }
        return Ranges.intersection(Ranges.union(dirty, within: 0..<size), mapped)
    }

    mutating func skipDedupRun(_ volume: String) throws -> Int {
        guard var state = dedup[volume] else { throw unsupported("dedup is not enabled on volume '\(volume)'") }
        var processed = 0
        for path in state.scanned ? state.dirty.keys.sorted() : try filePaths(volume) {
            guard let size = try? fileSizeBlocks(volume, path) else { continue }
            for r in try scanRanges(volume, path, size: size, dirty: state.scanned ? state.dirty[path] ?? [] : nil) { processed += try physicalBlocks(volume, path, blocks: r).lazy.filter { $0 != nil }.count }
        }
        state.dirty = [:]
        state.scanned = true
        dedup[volume] = state
        return processed
    }

    /// A post-process run: every block written since the last run (every block the first
    /// time) is fingerprinted; a duplicate of a donor that still holds its content
    /// is shared with it by a range clone of consecutive duplicates (at most `maxDedupeBlocks`
    /// a call). A refused call (ReFS: the cluster already has its 8175 references) makes those
    /// blocks donors instead.
    mutating func runDedup(_ volume: String) throws -> DedupRun {
        guard var state = dedup[volume] else { throw unsupported("dedup is not enabled on volume '\(volume)'") }
        dedup[volume] = nil
        defer { dedup[volume] = state }
        let paths = state.scanned ? state.dirty.keys.sorted() : try filePaths(volume)
        let dirty = state.dirty
        state.dirty = [:]
        let full = !state.scanned
        state.scanned = true
        let before = physicalUsedBlocks
        var run = DedupRun()
        // Physical blocks fingerprinted in this run: a block clones share is looked up once.
        // A bit per block id up to the highest seen: ids are handed out low first, so this
        // follows the blocks in use, not the declared capacity (up to 64 PiB).
        var seen: [UInt64] = []
        for path in paths {
            guard let size = try? fileSizeBlocks(volume, path) else { continue }
            let ranges = try scanRanges(volume, path, size: size, dirty: full ? nil : dirty[path] ?? [])
            var pending: (donor: String, from: Int, to: Int, count: Int, contents: [UInt64])?
            func flush(_ s: inout Self) {
                guard let p = pending else { return }
                pending = nil
                do {
                    try s.dedupe(volume, p.donor, block: p.from, to: path, block: p.to, count: p.count)
                    state.deduped[path, default: []].formUnion(p.to..<(p.to + p.count))
                    run.duplicates += p.count
                } catch {
                    run.fullDonors += 1
                    let blocks = (try? s.physicalBlocks(volume, path, blocks: p.to..<(p.to + p.count))) ?? []
                    for (k, c) in p.contents.enumerated() where k < blocks.count {
                        if let b = blocks[k] { state.fingerprints[c] = .init(path: path, offset: p.to + k, block: b) }
                    }
                }
            }
            for (at, end) in ranges.flatMap({ r in stride(from: r.lowerBound, to: r.upperBound, by: 1 << 20).map { ($0, min(r.upperBound, $0 + (1 << 20))) } }) {
                let range = at..<end
                let contents = try self.contents(volume, path, blocks: range)
                let blocks = try physicalBlocks(volume, path, blocks: range)
                for (k, offset) in range.enumerated() {
                    guard let c = contents[k], let b = blocks[k] else { continue }
                    run.processedBlocks += 1
                    let word = Int(b >> 6), bit = UInt64(1) << UInt64(b & 63)
                    if word >= seen.count { seen += repeatElement(0, count: max(word + 1 - seen.count, seen.count)) }
                    if seen[word] & bit != 0 { continue }
                    seen[word] |= bit
                    // Block ids are reused: even a donor with this block's id is checked.
                    if let d = state.fingerprints[c], donorHolds(volume, d, c) {
                        if d.block == b { continue }  // already shares the donor's block
                        // Consecutive in both files, and not overlapping when both are this file.
                        if let p = pending, p.donor == d.path, p.from + p.count == d.offset, p.to + p.count == offset,
                           p.count < maxDedupeBlocks, d.path != path || p.from >= p.to + p.count + 1 || p.to >= p.from + p.count + 1 {
                            pending!.count += 1
                            pending!.contents.append(c)
                        } else {
                            flush(&self)
                            pending = (d.path, d.offset, offset, 1, [c])
                        }
                        continue
                    }
                    state.fingerprints[c] = .init(path: path, offset: offset, block: b)
                }
            }
            flush(&self)
        }
        run.freedBlocks = before - physicalUsedBlocks
        run.seconds = Double(run.processedBlocks) / dedupBlocksPerSecond
        return run
    }

    /// True when the donor slot still maps its block with content `c`.
    func donorHolds(_ volume: String, _ d: FileSystemDedup.Donor, _ c: UInt64) -> Bool {
        guard let blocks = try? physicalBlocks(volume, d.path, blocks: d.offset..<(d.offset + 1)),
              let content = try? contents(volume, d.path, blocks: d.offset..<(d.offset + 1)) else { return false }
        return blocks.first == d.block && content.first == c
    }
}
