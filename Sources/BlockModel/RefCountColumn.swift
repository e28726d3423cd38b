/// The reference count of every block (leaf objects reading it), one byte a block.
///
/// Counts are small: a leaf shared by many maps reads its blocks once, so only private copies
/// of leaves, file clones within a volume and dedup donors (at most 1 + 255 pointers a volume)
/// raise them. A count of 255 or more is kept in `overflow`, with 255 in its byte as the mark.
/// At 1% divergence of a 40 GiB image that is 0.3 MiB less per clone than four bytes a block.
///
/// The representation is canonical (a count below 255 is never in `overflow`), so two columns
/// with the same counts are equal.
struct RefCountColumn: Sendable, Hashable {
    static let mark: UInt8 = .max

    private(set) var narrow: [UInt8] = []
    private(set) var overflow: [UInt32: UInt32] = [:]

    var count: Int { narrow.count }

    mutating func reserveCapacity(_ n: Int) { narrow.reserveCapacity(n) }

    /// `n` new blocks with count 0.
    mutating func appendZeros(_ n: Int) { narrow.append(contentsOf: repeatElement(0, count: n)) }

    subscript(_ block: Int) -> UInt32 {
        let v = narrow[block]
        return v == Self.mark ? overflow[UInt32(block)]! : UInt32(v)
    }

    // The single changes repeat `Access`'s rules on purpose: going through `withAccess` for
    // one block (a dictionary swapped out and back, a closure) made random bursts ~20% slower.
    mutating func increment(_ block: Int) {
        let v = narrow[block]
        if v < Self.mark - 1 { narrow[block] = v + 1 } else { add(block, 1) }
    }

    mutating func add(_ block: Int, _ n: UInt32) {
        let total = self[block] + n
        store(total, at: block)
    }

    /// One reader fewer; true when the count reached 0.
    mutating func decrement(_ block: Int) -> Bool {
        let v = narrow[block]
        if v != Self.mark {
            precondition(v > 0, "reference count of block \(block) below 0")
            narrow[block] = v - 1
            return v == 1
        }
        store(overflow[UInt32(block)]! - 1, at: block)
        return false
    }

    private mutating func store(_ value: UInt32, at block: Int) {
        if value >= UInt32(Self.mark) {
            narrow[block] = Self.mark
            overflow[UInt32(block)] = value
        } else {
            narrow[block] = UInt8(value)
            if !overflow.isEmpty { overflow[UInt32(block)] = nil }
        }
    }

    /// The address of `block`'s byte, for a prefetch hint.
    func address(of block: Int) -> UnsafeRawPointer? {
        narrow.withUnsafeBufferPointer { $0.baseAddress.map { UnsafeRawPointer($0 + block) } }
    }

    /// The counts through plain pointers for a bulk pass: one uniqueness check for the pass
    /// instead of one per block. The overflow table is taken out meanwhile (and put back), so
    /// the pass can change it without a second access to this column.
    mutating func withAccess<R>(_ body: (Access) -> R) -> R {
        var over: [UInt32: UInt32] = [:]
        swap(&over, &overflow)
        defer { swap(&over, &overflow) }
        return narrow.withUnsafeMutableBufferPointer { rc in
            withUnsafeMutablePointer(to: &over) { body(Access(rc: rc, over: $0)) }
        }
    }

    struct Access {
        let rc: UnsafeMutableBufferPointer<UInt8>
        let over: UnsafeMutablePointer<[UInt32: UInt32]>

        subscript(_ block: Int) -> UInt32 {
            let v = rc[block]
            return v == RefCountColumn.mark ? over.pointee[UInt32(block)]! : UInt32(v)
        }

        @inline(__always)
        func increment(_ block: Int) {
            let v = rc[block]
            if v < RefCountColumn.mark - 1 { rc[block] = v + 1 } else { store(self[block] + 1, at: block) }
        }

        @inline(__always)
        func add(_ block: Int, _ n: UInt32) {
            let v = rc[block]
            if v < RefCountColumn.mark && UInt32(v) + n < UInt32(RefCountColumn.mark) {
                rc[block] = v + UInt8(n)
            } else {
                store(self[block] + n, at: block)
            }
        }

        /// One reader fewer; true when the count reached 0.
        @inline(__always)
        func decrement(_ block: Int) -> Bool {
            let v = rc[block]
            if v != RefCountColumn.mark {
                precondition(v > 0, "reference count of block \(block) below 0")
                rc[block] = v - 1
                return v == 1
            }
            store(over.pointee[UInt32(block)]! - 1, at: block)
            return false
        }

        /// One more reader for each block of `blocks`, holes skipped.
        ///
        /// The allocator hands ids out in ascending runs, so the blocks of a leaf written in
        /// order are mostly consecutive ids, whose counts are consecutive bytes: eight such are
        /// raised with one word add when none is near the overflow mark. Any other group goes
        /// block by block.
        @inline(__always)
        func incrementEach(_ blocks: UnsafeBufferPointer<BlockStore.Block>) {
            guard let p = blocks.baseAddress, let counts = rc.baseAddress else { return }
            #if _endian(little)
            let n = blocks.count
            #else
            let n = 0  // the pairs below are laid out little-endian: block by block
            #endif
            var k = 0
            while k &+ 8 <= n {
                let first = p[k]
                // Ids compared two to a word (the first id in the low half); a hole (the largest
                // id) never starts a group, so no half wraps.
                let pair = UInt64(first) | UInt64(first &+ 1) << 32, two: UInt64 = 0x2_0000_0002
                let ids = UnsafeRawPointer(p + k)
                if first < BlockStore.hole &- 8,
                   ids.loadUnaligned(as: UInt64.self) == pair,
                   ids.loadUnaligned(fromByteOffset: 8, as: UInt64.self) == pair &+ two,
                   ids.loadUnaligned(fromByteOffset: 16, as: UInt64.self) == pair &+ 2 &* two,
                   ids.loadUnaligned(fromByteOffset: 24, as: UInt64.self) == pair &+ 3 &* two {
                    // With every byte below 128 (almost always), adding 1 to each carries into
                    // no other byte and comes nowhere near the mark.
                    let at = UnsafeMutableRawPointer(counts + Int(first))
                    let word = UnsafeRawPointer(at).loadUnaligned(as: UInt64.self)
                    if word & 0x8080_8080_8080_8080 == 0 {
                        at.storeBytes(of: word &+ 0x0101_0101_0101_0101, as: UInt64.self)
                        k &+= 8
                        continue
                    }
                }
                for j in k..<(k &+ 8) where p[j] != BlockStore.hole { increment(Int(p[j])) }
                k &+= 8
            }
            for j in k..<blocks.count where p[j] != BlockStore.hole { increment(Int(p[j])) }
        }

        /// A fresh block's first reader: its count is 0 (never the overflow mark), now 1.
        @inline(__always)
        func setFresh(_ block: Int) {
            assert(rc[block] == 0, "block \(block) is not fresh")
            rc[block] = 1
        }

        private func store(_ value: UInt32, at block: Int) {
            if value >= UInt32(RefCountColumn.mark) {
                rc[block] = RefCountColumn.mark
                over.pointee[UInt32(block)] = value
            } else {
                rc[block] = UInt8(value)
                over.pointee[UInt32(block)] = nil
            }
        }
    }
}
