import Foundation
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
///
/// ## In a sampled shard: contents sampled by content
/// A pool's contents land at any address, so a shard of the address space (`Sharding`) sees
/// 1/M of each content's copies (M shards), and dedup, which shares equal contents wherever
/// they are, would find a rare content once in the shard where the whole run finds it n times
/// and shares them: scaled by M, the sample would count n blocks for one. So a sampled shard
/// samples pool contents by content, as SHARDS samples keys (Waldspurger et al., FAST '15):
/// content k belongs to the shard with probability 1/mₖ and, when it does, the shard draws it
/// mₖ times as often as the whole run (weight wₖ·mₖ over its D/M draws), so that it holds
/// n·mₖ/M copies of the n = D·wₖ of the whole run. Scaled by M as every block figure is, the
/// shard's blocks of content k estimate the whole run's: without bias when mₖ = M (the shard
/// holds all n copies, and dedup makes of them what the whole run makes), and where dedup's
/// blocks grow in proportion to the copies otherwise.
///
/// mₖ is M for every content whose weight allows it, and less for the popular ones, whose n
/// copies the shard's D/M draws cannot hold (wₖ·M > `headShare`): mₖ is then the largest divisor
/// of M with wₖ·mₖ ≤ `headShare`, down to 1 (plain address sampling) for the most popular.
/// Those have many copies in a shard, where dedup's blocks grow with the copies (a donor per
/// 256 at ONTAP's 255 pointers), so the scaling holds; the bias left is rounding, under M/mₖ
/// blocks per such content (a donor more in a shard than its share), and grows where a shard
/// holds few copies of them (a small run sampled finely).
///
/// Which contents a shard holds is stratified as its granules are: ranks are taken mₖ at a
/// time, and each run of mₖ consecutive ranks gives the shard one (from a start splitmix64
/// draws), so the weight a shard holds barely varies (neighbouring ranks weigh about alike).
/// The eight shards of a sample hold different contents at every level of eight or more, and
/// spread evenly over the few below (`Sharding.contentShard`). The shard's draws are
/// normalised over what it holds.
final class ContentPool {
    let spec: ContentPoolSpec
    let blocks: Int
    let sampler: Sampler
    let namespace: Int
    /// A sampled shard's contents (ranks, ascending) and its sampler over them; nil otherwise.
    let held: (ranks: [Int], choice: WeightedChoice)?

    /// The largest weight a content sampled by content may take in a shard's draws.
    static let headShare = 1.0 / 16

    init(_ spec: ContentPoolSpec, blockSize: Int, namespace: Int, sharding: Sharding = .whole) throws(DistributionError) {
        self.spec = spec
        blocks = max(1, (spec.sizeBytes + blockSize - 1) / blockSize)
        sampler = try Sampler(.zipf(n: blocks, s: spec.exponent))
        self.namespace = namespace
        held = sharding.sampled ? Self.held(blocks: blocks, exponent: spec.exponent, shards: sharding.count, shard: sharding.contentShard) : nil
    }

    /// The rank (from 0) of one draw.
    func drawRank(_ stream: RandomStream) -> Int {
        guard let held else { return Int(sampler.draw(stream)) - 1 }
        return held.ranks[held.choice.draw(stream)]
    }

    /// The ranks shard `shard` of `shards` holds, with their weights in its draws (see above).
    static func held(blocks: Int, exponent: Double, shards m: Int, shard: Int) -> (ranks: [Int], choice: WeightedChoice) {
        let divisors = (1...m).filter { m % $0 == 0 }
        var total = 0.0
        for k in 0..<blocks { total += pow(Double(k + 1), -exponent) }
        var ranks: [Int] = [], weights: [Double] = []
        var k = 0
        while k < blocks {
            let w = pow(Double(k + 1), -exponent) / total
            // The level of the stripe starting at k: its first (heaviest) rank's.
            let level = divisors.last { w * Double($0) <= headShare } ?? 1
            // Levels only grow with k, so the stripes tile the ranks; one past the end holds
            // nothing, as a partial stripe of granules does.
            let start = Int(StreamSeeds.splitmix64(UInt64(k) ^ 0x636F_6E74_656E_74) % UInt64(level))
            let pick = k + (shard + start) % level
            if pick < blocks {
                ranks.append(pick)
                weights.append(pow(Double(pick + 1), -exponent) / total * Double(level))
            }
            k += level
        }
        return (ranks, WeightedChoice(weights))
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
            return ContentID.pool(namespace: p.namespace, rank: p.pool.drawRank(stream))
        }
        defer { next += 1 }
        return next
    }
}
