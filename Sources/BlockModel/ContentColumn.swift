/// The content identity of every block, five bytes a block while the identities' high halves
/// take few values.
///
/// Identities are structured (see the workloads' content model): unique data counts up from 1,
/// so its high 32 bits stay 0 for the first 4 G blocks written, and a pool's identities share
/// the high bits of its namespace. So a block keeps its identity's low 32 bits and a one-byte
/// index into `highs`, the distinct high halves seen so far. At 1% divergence of a 40 GiB image
/// that is 0.3 MiB less per clone than eight bytes a block. The first time a 257th distinct high
/// half is stored (random 64-bit identities, thousands of private pools), the column is widened
/// to eight bytes a block, once, by copying, as `OwnerColumn` widens.
struct ContentColumn: Sendable {
    static let maxHighs = 256

    private(set) var low: [UInt32] = []
    private(set) var page: [UInt8] = []
    /// The distinct high halves, by index.
    private(set) var highs: [UInt32] = []
    private(set) var wide: [UInt64] = []
    private(set) var isWide = false

    var count: Int { isWide ? wide.count : low.count }

    mutating func reserveCapacity(_ n: Int) {
        if isWide {
            wide.reserveCapacity(n)
        } else {
            low.reserveCapacity(n)
            page.reserveCapacity(n)
        }
    }

    subscript(_ block: Int) -> UInt64 {
        @inline(__always) get {
            isWide ? wide[block] : UInt64(highs[Int(page[block])]) << 32 | UInt64(low[block])
        }
        set {
            if !isWide, let p = pageIndex(of: newValue) {
                low[block] = UInt32(truncatingIfNeeded: newValue)
                page[block] = p
            } else {
                widen()
                wide[block] = newValue
            }
        }
    }

    mutating func append(_ value: UInt64) {
        if !isWide, let p = pageIndex(of: value) {
            low.append(UInt32(truncatingIfNeeded: value))
            page.append(p)
        } else {
            widen()
            wide.append(value)
        }
    }

    mutating func append(contentsOf values: UnsafeBufferPointer<UInt64>) {
        let first = count
        if isWide {
            wide.append(contentsOf: values)
        } else {
            low.append(contentsOf: repeatElement(0, count: values.count))
            page.append(contentsOf: repeatElement(0, count: values.count))
        }
        set((first..<(first + values.count)).lazy.map { BlockStore.Block($0) }, to: values)
    }

    /// Sets block `blocks[k]`'s identity to `values[k]`, through buffers.
    mutating func set(_ blocks: some Collection<BlockStore.Block>, to values: UnsafeBufferPointer<UInt64>) {
        if !isWide {
            // Mostly one high half (unique data), so the page is looked up once per change of it.
            // `lastHigh` starts out of the 32-bit range, so the first identity always looks up.
            var lastHigh = UInt64.max, lastPage: UInt8 = 0, k = 0
            // Out of the column while its other arrays are borrowed (one access to self each).
            var known: [UInt32] = []
            swap(&known, &highs)
            let done: Bool = low.withUnsafeMutableBufferPointer { lows in
                page.withUnsafeMutableBufferPointer { pages in
                    for block in blocks {
                        let value = values[k]
                        let high = value >> 32
                        if high != lastHigh {
                            guard let p = Self.pageIndex(ofHigh: UInt32(truncatingIfNeeded: high), in: &known) else { return false }
                            lastHigh = high
                            lastPage = p
                        }
                        lows[Int(block)] = UInt32(truncatingIfNeeded: value)
                        pages[Int(block)] = lastPage
                        k &+= 1
                    }
                    return true
                }
            }
            swap(&known, &highs)
            if done { return }
            // A 257th high half: widen (what was set so far stays set) and finish wide.
            widen()
            for (j, block) in blocks.enumerated() where j >= k { wide[Int(block)] = values[j] }
            return
        }
        wide.withUnsafeMutableBufferPointer { w in
            for (k, block) in blocks.enumerated() { w[Int(block)] = values[k] }
        }
    }

    /// The identities through plain pointers, for a pass that reads many.
    func withReader<R>(_ body: (Reader) -> R) -> R {
        if isWide {
            return wide.withUnsafeBufferPointer { body(Reader(wide: $0.baseAddress, low: nil, page: nil, highs: nil)) }
        }
        return low.withUnsafeBufferPointer { l in
            page.withUnsafeBufferPointer { p in
                highs.withUnsafeBufferPointer { h in
                    body(Reader(wide: nil, low: l.baseAddress, page: p.baseAddress, highs: h.baseAddress))
                }
            }
        }
    }

    struct Reader {
        let wide: UnsafePointer<UInt64>?
        let low: UnsafePointer<UInt32>?
        let page: UnsafePointer<UInt8>?
        let highs: UnsafePointer<UInt32>?

        subscript(_ block: Int) -> UInt64 {
            @inline(__always) get {
                if let wide { return wide[block] }
                return UInt64(highs.unsafelyUnwrapped[Int(page.unsafelyUnwrapped[block])]) << 32
                    | UInt64(low.unsafelyUnwrapped[block])
            }
        }
    }

    /// The page of `value`'s high half, added if new; nil when the pages are full.
    private mutating func pageIndex(of value: UInt64) -> UInt8? {
        Self.pageIndex(ofHigh: UInt32(truncatingIfNeeded: value >> 32), in: &highs)
    }

    private static func pageIndex(ofHigh high: UInt32, in highs: inout [UInt32]) -> UInt8? {
        // A handful of high halves in practice: a scan is cheaper than hashing.
        if let i = highs.firstIndex(of: high) { return UInt8(i) }
        guard highs.count < maxHighs else { return nil }
        highs.append(high)
        return UInt8(highs.count - 1)
    }

    private mutating func widen() {
        guard !isWide else { return }
        var w: [UInt64] = []
        w.reserveCapacity(low.capacity)
        for b in low.indices { w.append(UInt64(highs[Int(page[b])]) << 32 | UInt64(low[b])) }
        wide = w
        low = []
        page = []
        highs = []
        isWide = true
    }
}
