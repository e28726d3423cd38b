/// A set of block ids as a bitset over `0 ..< limit`: 1 bit a block, so the distinct blocks of
/// a 100 GiB object fit in 3 MiB where a `Set<UInt32>` would take hundreds.
public struct BlockSet: Sendable {
    var words: [UInt64]
    /// Blocks in the set.
    public private(set) var count = 0

    public init(limit: Int) {
        words = [UInt64](repeating: 0, count: (limit + 63) >> 6)
    }

    public func contains(_ block: UInt32) -> Bool {
        words[Int(block) >> 6] & (1 << UInt64(block & 63)) != 0
    }

    /// Adds `block`; true if it was not there yet.
    @discardableResult
    public mutating func insert(_ block: UInt32) -> Bool {
        let w = Int(block) >> 6, bit: UInt64 = 1 << UInt64(block & 63)
        guard words[w] & bit == 0 else { return false }
        words[w] |= bit
        count += 1
        return true
    }

    /// Removes `block`; true if it was there.
    @discardableResult
    public mutating func remove(_ block: UInt32) -> Bool {
        let w = Int(block) >> 6, bit: UInt64 = 1 << UInt64(block & 63)
        guard w < words.count, words[w] & bit != 0 else { return false }
        words[w] &= ~bit
        count -= 1
        return true
    }
}
