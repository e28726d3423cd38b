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
    public var fileCloneMetadataFraction = 0.004
    /// A split deletes the clone's own Snapshot copies (FAS systems; AFF shares blocks
    /// instead, not modelled yet). [vendor]
    public var splitDeletesCloneSnapshots = true
    /// Dedup metadata (fingerprint database and change logs) as a fraction of the volume's
    /// physical data. [vendor: "up to 7 percent of the total physical data"]
    public var dedupMetadataFraction = 0.07
    /// Blocks a post-process dedup run processes per second (it sets each run's duration).
    /// [choice: 100 MiB/s per volume]
    public var dedupBlocksPerSecond = 25_600.0
    /// Zero-filled blocks (content identity 0) are deduplicated like any other content; when
    /// false a run leaves them alone. [choice]
    public var dedupZeroBlocks = true

    public init() {}
}
