/// The settings of the ONTAP/WAFL profile. Every [choice] of MODEL.md §1 is one of these, so a
/// user can change it; the defaults are the documented behaviour.
public struct ONTAPProfile: Sendable, Equatable {
    /// WAFL block size in bytes. [vendor]
    public var blockSize = 4096
    /// Snapshot copies per volume. [vendor]
    public var maxSnapshotsPerVolume = 255
    /// FlexClone volumes of one parent volume; the next one fails. [seed]
    public var maxClonesPerVolume = 255
    /// Pointers one block may have from a volume's active file system: 1 + 255. A file/LUN
    /// clone that would add one more gets its own physical copy of that block instead. [choice,
    /// from the seed's "255 clones; the 256th is a full copy"]
    public var maxPointersPerBlock = 256
    /// Metadata a file/LUN clone writes, as a fraction of the clone's logical size. [vendor/choice]
    public var fileCloneMetadataFraction = Ratio(4, 1000)
    /// A split deletes the clone's own Snapshot copies (FAS systems; AFF shares blocks
    /// instead, not modelled yet). [vendor]
    public var splitDeletesCloneSnapshots = true
    /// Dedup metadata (fingerprint database and change logs) as a fraction of the volume's
    /// physical data. [vendor: "up to 7 percent of the total physical data"]
    public var dedupMetadataFraction = Ratio(7, 100)
    /// Blocks a post-process dedup run processes per second (it sets each run's duration).
    /// [choice: 100 MiB/s per volume]
    public var dedupBlocksPerSecond = 25_600.0
    /// Zero-filled blocks (content identity 0) are deduplicated like any other content; when
    /// false a run leaves them alone. [choice]
    public var dedupZeroBlocks = true

    /// Dedup's fingerprint catalog: what it records of a donor, and so when the donor is still
    /// usable. [choice; see `DonorCatalog`]
    public var donorCatalog = DonorCatalog.slot
    /// The ONTAP release both ends of a replication run. [vendor: from 8.0.1, a FlexClone
    /// volume replicated with volume SnapMirror together with its parent costs only its own
    /// blocks on the destination; before, its replica is a full copy]
    public var version = ONTAPVersion(9, 15, 1)
    public var replicatesClonesWithParent: Bool { version >= ONTAPVersion(8, 0, 1) }
    /// The part of each whole-object charge (a file clone's metadata) this aggregate holds when
    /// it simulates a part of every object's address space; nil for the whole.
    public var chargePart: ChargePart?

    public init() {}
}

/// `members` of `parts` equal parts of a whole. Part k of a total T is ⌈T(k+1)/N⌉ − ⌈Tk/N⌉, so
/// the parts of any total add up to it exactly, whatever is rounded.
public struct ChargePart: Sendable, Equatable {
    public let parts: Int
    public let members: [Int]
    public init(parts: Int, members: [Int]) {
        self.parts = parts
        self.members = members
    }
    /// The members' part of `total`.
    public func of(_ total: Int) -> Int {
        func upTo(_ k: Int) -> Int { Ratio(k, parts).ceil(of: total) }
        return members.reduce(0) { $0 + upTo($1 + 1) - upTo($1) }
    }
}

/// A sampled shard's share of every object: it holds, of an object of `size` blocks,
/// `blocks(size)` (its granules' blocks below the size), and stands for the whole object by
/// scaling: a limit on a whole object (a quota) is compared with `whole`. Exact for a fully
/// mapped file (a shard then maps exactly its blocks of it); an estimate otherwise. A shard
/// holding no block of an object (one smaller than a stripe of granules) takes it as fully
/// mapped: so every shard agrees on a fully mapped file, the usual case under a quota.
public struct ObjectShare: Sendable {
    public let blocks: @Sendable (Int) -> Int
    public init(blocks: @escaping @Sendable (Int) -> Int) { self.blocks = blocks }

    /// `mapped` blocks of this shard's part of an object of `size` blocks, scaled to the whole.
    public func whole(_ mapped: Int, size: Int) -> Int {
        let own = blocks(size)
        guard own > 0 else { return size }
        return own == mapped ? size : Int((Double(mapped) * Double(size) / Double(own)).rounded())
    }
}

/// What a dedup fingerprint catalog records of a donor block, which decides whether a donor
/// found for a duplicate is still there. [choice]
public enum DonorCatalog: String, Sendable, CaseIterable {
    /// The file and block number where the donor was fingerprinted (ONTAP: the fingerprint
    /// database holds the inode and file block number of each block, and a donor whose block
    /// was overwritten there is stale — NetApp TR-3505, "stale fingerprints"). A donor whose slot
    /// was rewritten is dropped even when other pointers still hold its block.
    case slot
    /// The physical block itself (as a reference-counted dedup table keyed by physical address
    /// does: ZFS's DDT, a block-address catalog). A donor stays usable while the volume's active
    /// file system still maps its block anywhere with the same content.
    case physical
}

/// An ONTAP release, compared part by part ("8.0.1" < "8.1" < "9.15.1").
public struct ONTAPVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let parts: [Int]
    public init(_ parts: Int...) { self.parts = parts }
    /// "9.15.1", "8.0", "8": one to three whole numbers separated by dots; nil otherwise.
    public init?(_ text: String) {
        let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(pieces.count) else { return nil }
        var parts: [Int] = []
        for p in pieces {
            guard !p.isEmpty, p.count <= 4, p.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(p) else { return nil }
            parts.append(n)
        }
        self.parts = parts
    }
    public static func < (l: ONTAPVersion, r: ONTAPVersion) -> Bool {
        for k in 0..<max(l.parts.count, r.parts.count) {
            let a = k < l.parts.count ? l.parts[k] : 0, b = k < r.parts.count ? r.parts[k] : 0
            if a != b { return a < b }
        }
        return false
    }
    public static func == (l: ONTAPVersion, r: ONTAPVersion) -> Bool { !(l < r) && !(r < l) }
    public func hash(into h: inout Hasher) {
        var p = parts
        while p.last == 0 { p.removeLast() }
        h.combine(p)
    }
    public var description: String { parts.map(String.init).joined(separator: ".") }
}
