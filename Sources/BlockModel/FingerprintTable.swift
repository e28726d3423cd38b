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
    var keys: [UInt64] = []
    var donors: [Donor] = []
    public private(set) var count = 0

    public init() {}

    @inline(__always)
    func slot(_ key: UInt64) -> Int {
        // Fibonacci hashing: content identities are often consecutive.
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - keys.count.trailingZeroBitCount))
    }

    public subscript(key: UInt64) -> Donor? {
        guard !keys.isEmpty else { return nil }
        var i = slot(key)
        let mask = keys.count - 1
        while keys[i] != Self.empty {
            if keys[i] == key { return donors[i] }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Sets the donor of `key` (a new donor replaces a full or stale one).
    public mutating func set(_ key: UInt64, _ donor: Donor) {
        precondition(key != Self.empty, "reserved content identity")
        if (count + 1) * 2 > keys.count { grow() }
        var i = slot(key)
        let mask = keys.count - 1
        while keys[i] != Self.empty && keys[i] != key { i = (i + 1) & mask }
        if keys[i] == Self.empty { count += 1 }
        keys[i] = key
        donors[i] = donor
    }

    mutating func grow() {
        let oldKeys = keys, oldDonors = donors
        let size = max(1024, keys.count * 2)
        keys = [UInt64](repeating: Self.empty, count: size)
        donors = [Donor](repeating: Donor(block: 0, owner: 0, offset: 0), count: size)
        count = 0
        for (k, key) in oldKeys.enumerated() where key != Self.empty { set(key, oldDonors[k]) }
    }
}
