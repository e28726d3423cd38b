import CPrefetch

/// A dedup fingerprint database: content identity → the donor block and where the active file
/// system maps it (file owner number, block offset), so a run can check the donor is still
/// there before pointing a duplicate at it (ONTAP compares the bytes for the same reason).
///
/// Open addressing with linear probing over parallel arrays: a run does one lookup per block
/// processed, and a Swift `Dictionary` of tuples costs several times more per lookup.
public struct FingerprintTable: Sendable {
    public struct Donor: Sendable, Equatable {
        public var block: BlockStore.Block
        public var owner: UInt32
        public var offset: UInt32
    }

    /// Marks an empty slot; no content identity takes this value.
    static let empty = UInt64.max
    /// Key and donor side by side, so a probe touches one cache line.
    struct Entry: Sendable {
        var key: UInt64
        var donor: Donor
    }
    var entries: [Entry] = []
    public private(set) var count = 0

    public init() {}

    @inline(__always)
    func slot(_ key: UInt64) -> Int {
        // Fibonacci hashing: content identities are often consecutive.
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - entries.count.trailingZeroBitCount))
    }

    public subscript(key: UInt64) -> Donor? {
        guard !entries.isEmpty else { return nil }
        return entries.withUnsafeBufferPointer { e in
            var i = slot(key)
            let mask = e.count - 1
            while e[i].key != Self.empty {
                if e[i].key == key { return e[i].donor }
                i = (i + 1) & mask
            }
            return nil
        }
    }

    /// Starts loading the cache line `key` probes first, so a batch of lookups waits for memory
    /// once instead of once per key (the table is far larger than the caches).
    @inline(__always)
    public func prefetch(_ key: UInt64) {
        guard !entries.isEmpty else { return }
        entries.withUnsafeBufferPointer { clonesim_prefetch($0.baseAddress! + slot(key)) }
    }

    /// Sets the donor of `key` (a new donor replaces a full or stale one).
    public mutating func set(_ key: UInt64, _ donor: Donor) {
        precondition(key != Self.empty, "reserved content identity")
        if (count + 1) * 2 > entries.count { grow() }
        let i = entries.withUnsafeBufferPointer { e in
            var i = slot(key)
            let mask = e.count - 1
            while e[i].key != Self.empty && e[i].key != key { i = (i + 1) & mask }
            return i
        }
        if entries[i].key == Self.empty { count += 1 }
        entries[i] = Entry(key: key, donor: donor)
    }

    /// Room for `n` fingerprints without growing on the way (a run knows how many it may add).
    public mutating func reserve(_ n: Int) {
        var size = max(1024, entries.count)
        while n * 2 > size { size *= 2 }
        if size > entries.count { grow(to: size) }
    }

    mutating func grow(to size: Int? = nil) {
        let old = entries
        entries = [Entry](repeating: Entry(key: Self.empty, donor: Donor(block: 0, owner: 0, offset: 0)),
                          count: size ?? max(1024, entries.count * 2))
        count = 0
        for e in old where e.key != Self.empty { set(e.key, e.donor) }
    }
}
