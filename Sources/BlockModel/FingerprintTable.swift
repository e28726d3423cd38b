import CPrefetch

/// A dedup fingerprint database: content identity → the donor block and where the active file
/// system maps it (file owner number, block offset), so a run can check the donor is still
/// there before pointing a duplicate at it (ONTAP compares the bytes for the same reason).
///
/// Open addressing with linear probing: a run does one lookup per block processed, and a Swift
/// `Dictionary` of tuples costs several times more per lookup.
///
/// A key's home slot is the top bits of its hash, so keys taken in hash order walk the table
/// from one end to the other: a post-process run sorts its blocks that way (`DedupPass`) and
/// its probes then stream through memory. That is also why the table may fill to 80%: longer
/// probe runs cost little when they are read in order.
///
/// The entries live in zero-filled memory mapped on demand (an empty slot is all zeros): a
/// table reserved for a 100 GiB volume costs nothing until its pages are used, where an array
/// would write all 0.8 GB up front.
public struct FingerprintTable: Sendable {
    public struct Donor: Sendable, Equatable {
        public var block: BlockStore.Block
        public var owner: UInt32
        public var offset: UInt32
    }

    /// Key and donor side by side, so a probe touches one cache line. 20 bytes: the key is
    /// kept in two halves so nothing pads the entry (a run's own counts live in `DedupPass`).
    struct Entry: Sendable {
        /// The content identity plus one; 0 marks an empty slot (so no identity may be `.max`).
        var storedLow: UInt32
        var storedHigh: UInt32
        var donor: Donor

        init(key: UInt64, donor: Donor) {
            let stored = key &+ 1
            storedLow = UInt32(truncatingIfNeeded: stored)
            storedHigh = UInt32(truncatingIfNeeded: stored >> 32)
            self.donor = donor
        }
        @inline(__always) var stored: UInt64 { UInt64(storedHigh) << 32 | UInt64(storedLow) }
        var isEmpty: Bool { stored == 0 }
        var key: UInt64 { stored &- 1 }
    }

    /// Zero-filled entries, shared copy-on-write between values.
    final class Storage: @unchecked Sendable {
        let memory: ZeroedMemory<Entry>
        init(count: Int) { memory = ZeroedMemory(count: count) }
        var base: UnsafeMutablePointer<Entry> { memory.base }
        var count: Int { memory.count }

        func copy() -> Storage {
            let s = Storage(count: count)
            s.base.update(from: base, count: count)
            return s
        }
    }

    var storage: Storage?
    public private(set) var count = 0

    public init() {}

    var size: Int { storage?.count ?? 0 }
    /// log2 of the table size (0 while empty).
    var sizeBits: Int { size == 0 ? 0 : size.trailingZeroBitCount }
    /// Most keys a table of `size` slots holds: 80%.
    static func capacity(_ size: Int) -> Int { size / 5 * 4 }

    @inline(__always)
    static func hash(_ key: UInt64) -> UInt64 {
        // Fibonacci hashing: content identities are often consecutive.
        key &* 0x9E37_79B9_7F4A_7C15
    }

    /// The top `bits` bits of `key`'s hash: its home slot when `bits` is the size's log2, its
    /// region of the table when fewer.
    @inline(__always)
    static func prefix(_ key: UInt64, bits: Int) -> Int {
        bits == 0 ? 0 : Int(truncatingIfNeeded: hash(key) >> UInt64(64 - bits))
    }

    var buffer: UnsafeMutableBufferPointer<Entry> {
        guard let storage else { return UnsafeMutableBufferPointer(start: nil, count: 0) }
        return UnsafeMutableBufferPointer(start: storage.base, count: storage.count)
    }

    /// The slot holding `key`, or the empty slot where it would go.
    @inline(__always)
    static func find(_ key: UInt64, in e: UnsafeMutableBufferPointer<Entry>, bits: Int) -> (index: Int, found: Bool) {
        var i = prefix(key, bits: bits)
        let mask = e.count - 1
        let stored = key &+ 1
        while e[i].stored != 0 {
            if e[i].stored == stored { return (i, true) }
            i = (i + 1) & mask
        }
        return (i, false)
    }

    public subscript(key: UInt64) -> Donor? {
        guard storage != nil else { return nil }
        let (i, found) = Self.find(key, in: buffer, bits: sizeBits)
        return found ? buffer[i].donor : nil
    }

    /// Starts loading the cache line `key` probes first, so a batch of lookups waits for memory
    /// once instead of once per key (the table is far larger than the caches).
    @inline(__always)
    public func prefetch(_ key: UInt64) {
        guard let storage else { return }
        clonesim_prefetch(storage.base + Self.prefix(key, bits: sizeBits))
    }

    /// Sets the donor of `key` (a new donor replaces a full or stale one).
    public mutating func set(_ key: UInt64, _ donor: Donor) {
        precondition(key != .max, "reserved content identity")
        if count + 1 > Self.capacity(size) { grow(to: max(1024, size * 2)) }
        makeUnique()
        let (i, found) = Self.find(key, in: buffer, bits: sizeBits)
        if !found { count += 1 }
        buffer[i] = Entry(key: key, donor: donor)
    }

    /// Room for `n` fingerprints without growing on the way (a run knows how many it may add).
    public mutating func reserve(_ n: Int) {
        var target = max(1024, size)
        while n > Self.capacity(target) { target *= 2 }
        if target > size { grow(to: target) }
    }

    /// Direct access for a run's decision pass, which probes and updates entries in place.
    /// - Precondition: `count` stays within `capacity(size)` (the run reserved room first).
    mutating func withEntries<R>(_ body: (UnsafeMutableBufferPointer<Entry>, _ bits: Int, _ count: inout Int) -> R) -> R {
        makeUnique()
        var n = count
        defer { count = n }
        return body(buffer, sizeBits, &n)
    }

    mutating func makeUnique() {
        if storage != nil && !isKnownUniquelyReferenced(&storage!) { storage = storage!.copy() }
    }

    mutating func grow(to newSize: Int) {
        let old = buffer
        let keep = storage  // alive until its entries are moved
        storage = Storage(count: newSize)
        count = 0
        let e = buffer, bits = sizeBits
        for entry in old where !entry.isEmpty {
            let (i, _) = Self.find(entry.key, in: e, bits: bits)
            e[i] = entry
            count += 1
        }
        withExtendedLifetime(keep) {}
    }
}
