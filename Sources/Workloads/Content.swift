import Stochastic

/// A named set of contents that writes draw from with a Zipf-like popularity: a few contents
/// (OS files, common runtime blocks) are very common, most are rare. A shared pool gives
/// every object the same contents (the same OS in every desktop); a private pool gives each
/// object its own copy (repeats within one object only).
public struct ContentPoolSpec: Sendable, Equatable {
    public enum Scope: String, Sendable, CaseIterable {
        case shared, `private`
    }
    public var name: String
    /// Distinct contents in the pool, as bytes (blocks of the platform's size).
    public var sizeBytes: Int
    /// Zipf exponent: content k has weight 1/k^exponent (0 gives a uniform pool).
    public var exponent = 1.0
    public var scope = Scope.shared
    public init(name: String, sizeBytes: Int) {
        self.name = name
        self.sizeBytes = sizeBytes
    }
}

/// What the blocks an object writes contain: fractions of zero blocks, of blocks equal to the
/// golden image's block at the same offset (VDI desktops), and of draws from content pools;
/// the rest is unique data.
public struct ContentSpec: Sendable, Equatable {
    public struct PoolShare: Sendable, Equatable {
        public var pool: String
        public var share: Double
        public init(pool: String, share: Double) {
            self.pool = pool
            self.share = share
        }
    }
    public var zero = 0.0
    public var golden = 0.0
    public var pools: [PoolShare] = []
    public var unique: Double { max(0, 1 - zero - golden - pools.reduce(0) { $0 + $1.share }) }
    public init() {}
}

/// Content identities: unique data counts up from 1, zero blocks are 0, and pool contents live
/// in their own range so they never meet unique data: bit 62, the pool's namespace (one per
/// shared pool, one per object of a private pool) from bit 36, then the rank.
enum ContentID {
    static let zero: UInt64 = 0
    static let poolBit: UInt64 = 1 << 62
    static let rankBits = 36
    /// The largest pool (ranks must fit below bit 36).
    static let maxPoolBlocks = 1 << rankBits

    static func pool(namespace: Int, rank: Int) -> UInt64 {
        poolBit | UInt64(namespace) << UInt64(rankBits) | UInt64(rank)
    }
}

/// A content pool ready to draw from: its popularity sampler (`gsl_ran_discrete` over the
/// Zipf weights, shared by every object) and its namespace when shared.
final class ContentPool {
    let spec: ContentPoolSpec
    let blocks: Int
    let sampler: Sampler
    let namespace: Int

    init(_ spec: ContentPoolSpec, blockSize: Int, namespace: Int) throws(DistributionError) {
        self.spec = spec
        blocks = max(1, (spec.sizeBytes + blockSize - 1) / blockSize)
        sampler = try Sampler(.zipf(n: blocks, s: spec.exponent))
        self.namespace = namespace
    }
}

/// Draws the contents of one object's writes from its own named stream, so the same scenario
/// and seed give the same contents, and the write positions (drawn from another stream) do not
/// move when the content mix changes.
final class ContentDraws {
    let stream: RandomStream
    /// Cumulative shares: zero, golden, then each pool; unique above the last.
    let bounds: [Double]
    /// Each pool share's pool and namespace (a private pool's is this object's).
    let pools: [(pool: ContentPool, namespace: Int)]
    let hasGolden: Bool

    init(_ spec: ContentSpec, stream: RandomStream, pools: [(pool: ContentPool, namespace: Int)]) {
        self.stream = stream
        self.pools = pools
        var bounds = [spec.zero, spec.zero + spec.golden]
        for p in spec.pools { bounds.append(bounds[bounds.count - 1] + p.share) }
        self.bounds = bounds
        hasGolden = spec.golden > 0
    }

    /// The contents of `runs`, in run order. `golden` reads the golden image's contents for a
    /// run (nil for a hole, which reads as zeros); new unique identities come from `next`.
    func contents(_ runs: [BlockRun], next: inout UInt64, golden: (BlockRun) -> [UInt64?]) -> [UInt64] {
        var out: [UInt64] = []
        out.reserveCapacity(runs.reduce(0) { $0 + $1.count })
        for run in runs {
            let image = hasGolden ? golden(run) : []
            for k in 0..<run.count {
                // A hole in the image (or no image) reads as zeros.
                out.append(draw(image.isEmpty ? nil : image[k], next: &next))
            }
        }
        return out
    }

    func draw(_ golden: UInt64?, next: inout UInt64) -> UInt64 {
        let u = stream.uniform()
        if u < bounds[0] { return ContentID.zero }
        if u < bounds[1] { return golden ?? ContentID.zero }
        for (k, p) in pools.enumerated() where u < bounds[k + 2] {
            return ContentID.pool(namespace: p.namespace, rank: Int(p.pool.sampler.draw(stream)) - 1)
        }
        defer { next += 1 }
        return next
    }
}
