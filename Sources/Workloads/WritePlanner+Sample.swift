import Foundation
import Stochastic

/// Planning only the writes a sampled shard keeps (issue 22).
///
/// ## Why
/// A shard of an exact run draws every write of the object and keeps the part in its granules,
/// so that the shards add up to the unsharded run byte for byte. A sample of 1/N cannot afford
/// that: the seed's 9,000 desktops write 2.6 billion 64 KiB runs in 30 days, and drawing them
/// costs the same in every shard whatever N is. So a sampled shard draws, from a stream of its
/// own, only writes that touch its granules, with the distribution the whole run's writes have
/// there:
///
/// - *uniform*: a write of length L touches member granule g when its start lies in the window
///   [gG − L + 1, gG + G − 1] (G = 256 blocks). A granule drawn uniformly among the members, a
///   start uniform in its window, rejected when it leaves [0, size − L] (the whole run's range)
///   or when the write also touches an earlier member granule (so that a write across two
///   members is not drawn twice as often), is a start uniform over every write that touches a
///   member: the whole run's writes, restricted to them.
/// - *hotspot*: the same, with the granule drawn by its share of the start density (the Zipf
///   law's weight of its region over the region's size) and the start kept with the density at
///   it over the largest in the window (the density is flat within a region, so this rarely
///   rejects).
/// - *sequential*: the written set does not depend on the write sizes (one cursor, wrapping), so
///   it is planned exactly: the blocks from the cursor on, cut to the members.
///
/// How many: the whole run makes W writes (its blocks over the write length; the last one cut
/// to fit), each touching the members with probability p(L), the start density's mass over the
/// starts whose write touches a member granule. The shard draws K ~ Binomial(W, p) writes that
/// touch members, as above, and keeps each one's member part whole. That is the exact run's law
/// of the writes landing in the members, not just their mean: a fixed share per call, rounded or
/// not, spreads the same blocks over fewer, steadier writes, which overlap less and so use more
/// (0.6% more in a 300-desktop test where each shard sees about one write per desktop a day).
/// Counts, sizes and times of writes are not affected; only where blocks land differs from the
/// exact run's draws, as another seed's would.
///
/// When the object's stream draws anything else after the planner (a change rate that is not
/// constant draws each interval's fraction from it), drawing fewer writes would change those
/// fractions: the sample would be another realization of the rates than the exact run's, an
/// error its shards' spread cannot see. Such objects walk every write with the exact run's draws
/// and keep the parts in member granules (`planKept`): the exact run's blocks, at the cost of
/// the draws but not of building and cutting every run.
///
/// Lengths are drawn from the write-size law without the whole run's tilt toward long writes
/// (a long write touches a member more often): the blocks each member block receives, which
/// decide capacity, are the same; only how the kept parts cluster differs, for writes shorter
/// than a granule by at most (G + L − 1)/(G + L̄ − 1).
final class SampledWrites {
    let stream: RandomStream
    private(set) var size = -1
    /// Member granules holding blocks of the object, ascending.
    private(set) var granules: [Int] = []
    /// Cumulative start density over `granules` (hotspot only); its last value is the members'
    /// share of the starts.
    private(set) var cumulative: [Double] = []
    /// The members' share of the start density.
    private(set) var share = 0.0

    /// The mean write length in blocks (a random write size's, from 4,096 draws of its own).
    var meanLength = 1.0
    /// p(L) by write length L (see `touch`).
    private var touchByLength: [Int: Double] = [:]

    init(stream: RandomStream) { self.stream = stream }

    /// The probability that a write of `length` blocks, started as the whole run starts it,
    /// touches a member granule: the start mass over the windows [gG − L + 1, end − 1] of the
    /// runs of consecutive member granules, merged where they overlap, within [0, size − L].
    func touch(length: Int) -> Double {
        if let p = touchByLength[length] { return p }
        let g = 1 << Sharding.granuleShift
        let last = size - length
        var mass = 0.0
        var windowStart = -1, windowEnd = -1  // the open merged window, [start, end)
        var k = 0
        while k < granules.count {
            var j = k
            while j + 1 < granules.count && granules[j + 1] == granules[j] + 1 { j += 1 }
            let from = max(0, granules[k] * g - length + 1), to = min(last + 1, min(size, (granules[j] + 1) * g))
            if from < to {
                if from <= windowEnd {
                    windowEnd = max(windowEnd, to)
                } else {
                    if windowEnd > windowStart { mass += self.mass(from: windowStart, to: windowEnd) }
                    windowStart = from
                    windowEnd = to
                }
            }
            k = j + 1
        }
        if windowEnd > windowStart { mass += self.mass(from: windowStart, to: windowEnd) }
        let all = self.mass(from: 0, to: last + 1)
        let p = all > 0 ? min(1, mass / all) : 0
        touchByLength[length] = p
        return p
    }

    /// Start density per block of each hotspot region (empty: uniform), and the region size.
    private var regionDensity: [Double] = []
    private var regionSize = 1

    /// Member granules and their densities for an object of `size` blocks.
    func prepare(size: Int, sharding: Sharding, pattern: WritePattern) {
        self.size = size
        touchByLength = [:]
        granules = sharding.memberGranules(below: size)
        let g = 1 << Sharding.granuleShift
        if case .hotspot(let regions, let exponent) = pattern {
            // The planner's law: region min(rank − 1, last), rank by Zipf(regions, exponent).
            regionSize = max(1, size / regions)
            let used = min(regions, (size - 1) / regionSize + 1)
            let weights = (1...max(1, regions)).map { pow(Double($0), -exponent) }
            let norm = weights.reduce(0, +)
            regionDensity = (0..<used).map { r in
                (r < used - 1 ? weights[r] : weights[r...].reduce(0, +)) / norm / Double(regionSize)
            }
            var sum = 0.0
            cumulative = granules.map { granule in
                sum += mass(from: granule * g, to: min(size, (granule + 1) * g))
                return sum
            }
            share = sum
        } else {
            regionDensity = []
            cumulative = []
            share = Double(granules.reduce(0) { $0 + min(size, ($1 + 1) * g) - $1 * g }) / Double(size)
        }
    }

    private(set) var measuredLength = false

    /// The mean length in blocks of writes drawn from `writeSize`, from draws of this stream.
    func measure(_ writeSize: Sampler, blockSize: Int, size: Int) {
        var total = 0.0
        for _ in 0..<4096 {
            let bytes = writeSize.draw(stream)
            total += bytes.isFinite && bytes > 0 ? Double(max(1, Int(min((bytes / Double(blockSize)).rounded(.up), Double(size))))) : 1
        }
        meanLength = total / 4096
        measuredLength = true
    }

    /// A draw of Binomial(n, p) from this stream, in parts of fewer than 2^32 trials.
    func binomial(_ n: Int, _ p: Double) -> Int {
        guard n > 0, p > 0 else { return 0 }
        guard p < 1 else { return n }
        var left = n, count = 0
        while left > 0 {
            let part = min(left, Int(UInt32.max))
            count += Int(stream.binomial(trials: UInt32(part), p: p))
            left -= part
        }
        return count
    }

    /// The start density at block `b` (blocks past the last whole hotspot region are never a
    /// start).
    func density(at b: Int) -> Double {
        guard !regionDensity.isEmpty else { return 1 / Double(size) }
        let r = b / regionSize
        return r < regionDensity.count ? regionDensity[r] : 0
    }

    /// The largest start density in `from ..< to`.
    func largestDensity(from: Int, to: Int) -> Double {
        guard !regionDensity.isEmpty else { return 1 / Double(size) }
        var top = 0.0
        var b = from
        while b < to {
            top = max(top, density(at: b))
            b = (b / regionSize + 1) * regionSize
        }
        return top
    }

    /// The start density summed over `from ..< to`.
    func mass(from: Int, to: Int) -> Double {
        guard !regionDensity.isEmpty else { return Double(to - from) / Double(size) }
        var total = 0.0
        var b = from
        while b < to {
            let end = min(to, (b / regionSize + 1) * regionSize)
            total += density(at: b) * Double(end - b)
            b = end
        }
        return total
    }
}

extension WritePlanner {
    /// The runs of a sampled shard's part of a `blocks`-block write of an object of `size`
    /// blocks, in member granules only (see `SampledWrites`). Draws one number from `stream`
    /// when the planner first samples (the seed of its own stream), and none after, so the
    /// object's stream stays in step across shards.
    /// - Returns: the runs, and the writes drawn (each of which touches the members).
    public mutating func planSample(blocks: Int, size: Int, stream: RandomStream, sharding: Sharding) -> (runs: [BlockRun], writes: Int) {
        guard blocks > 0, size > 0 else { return ([], 0) }
        if sampled == nil {
            let seed = StreamSeeds.splitmix64(UInt64(stream.next()) ^ StreamSeeds.splitmix64(UInt64(sharding.members[0]) &+ UInt64(sharding.count) << 32))
            sampled = SampledWrites(stream: RandomStream(generator: stream.generator, seed: seed))
        }
        let s = sampled!
        if s.size != size { s.prepare(size: size, sharding: sharding, pattern: pattern) }
        guard !s.granules.isEmpty else { return ([], 0) }
        if case .sequential = pattern {
            let runs = sequentialSample(blocks: blocks, size: size, sharding: sharding)
            return (runs, runs.count)
        }
        // How many of the whole run's writes touch the members (see `SampledWrites`).
        var lengths: [Int] = []
        if case .constant(let bytes) = writeSize.distribution {
            let length = min(size, max(1, Int((bytes / Double(blockSize)).rounded(.up))))
            let whole = blocks / length, rest = blocks - whole * length
            lengths += Array(repeating: length, count: s.binomial(whole, s.touch(length: length)))
            if rest > 0 && s.stream.uniform() < s.touch(length: rest) { lengths.append(rest) }
        } else {
            if !s.measuredLength { s.measure(writeSize, blockSize: blockSize, size: size) }
            let writes = Int((Double(blocks) / s.meanLength).rounded())
            let count = s.binomial(writes, s.touch(length: max(1, Int(s.meanLength.rounded()))))
            for _ in 0..<count {
                let bytes = writeSize.draw(s.stream)
                lengths.append(bytes.isFinite && bytes > 0 ? max(1, Int(min((bytes / Double(blockSize)).rounded(.up), Double(size)))) : 1)
            }
        }
        let g = 1 << Sharding.granuleShift
        var runs: [BlockRun] = []
        var misses = 0
        var next = 0
        while next < lengths.count && misses < 10_000 {
            let length = lengths[next]
            let k: Int
            if s.cumulative.isEmpty {
                k = Int(s.stream.uniformInt(below: UInt(s.granules.count)))
            } else {
                let u = s.stream.uniform() * s.share
                k = min(s.granules.count - 1, s.cumulative.partitioningIndex { $0 > u })
            }
            let granule = s.granules[k]
            let start = granule * g - length + 1 + Int(s.stream.uniformInt(below: UInt(g + length - 1)))
            guard start >= 0, start <= size - length, k == 0 || s.granules[k - 1] < start >> Sharding.granuleShift else {
                misses += 1
                continue
            }
            if case .hotspot = pattern {
                // The largest density in the window: it is flat within each region.
                let here = s.density(at: start)
                let top = s.largestDensity(from: max(0, granule * g - length + 1), to: min(size, granule * g + g))
                guard top > 0, s.stream.uniform() * top < here else {
                    misses += 1
                    continue
                }
            }
            misses = 0
            next += 1
            for piece in sharding.cut([BlockRun(start: start, count: length)]) { runs.append(piece.run) }
        }
        return (runs, next)
    }

    /// The parts of the writes `plan` would make that land in member granules, with the same
    /// draws (see `SampledWrites`): `planKeptForAll` with this shard the only consumer.
    public mutating func planKept(blocks: Int, size: Int, stream: RandomStream, sharding: Sharding) -> (runs: [BlockRun], writes: Int) {
        if consumerMap?.size != size { consumerMap = ConsumerMap(size: size, shardings: [sharding]) }
        let (parts, writes) = planKeptForAll(blocks: blocks, size: size, stream: stream, map: consumerMap!, consumers: 1)
        return (parts[0], writes)
    }

    /// The sequential pattern's written set, exactly: `blocks` blocks from the cursor, wrapping
    /// at the end of the object, cut to the members.
    private mutating func sequentialSample(blocks: Int, size: Int, sharding: Sharding) -> [BlockRun] {
        var whole: [BlockRun] = []
        var left = blocks
        while left > 0 {
            if cursor >= size { cursor = 0 }
            let count = min(left, size - cursor)
            whole.append(BlockRun(start: cursor, count: count))
            cursor += count
            left -= count
        }
        return sharding.cut(whole).map(\.run)
    }
}

extension Array where Element == Double {
    /// The first index whose element satisfies `belongs` (the elements ascending).
    func partitioningIndex(where belongs: (Double) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if belongs(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
