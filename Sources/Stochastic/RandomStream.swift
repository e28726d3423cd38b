import CGSL

/// A GSL random number generator algorithm, chosen by its GSL name ("mt19937", "ranlxd2", ...).
public struct Generator: Sendable, Equatable, CustomStringConvertible {
    /// GSL's own name for the algorithm.
    public let name: String
    // The gsl_rng_type tables are immutable static data inside libgsl.
    nonisolated(unsafe) let type: UnsafePointer<gsl_rng_type>

    public static func == (lhs: Generator, rhs: Generator) -> Bool { lhs.type == rhs.type }
    public var description: String { name }

    /// MT19937, the default of MODEL.md §4.
    public static var mt19937: Generator {
        _ = GSL.ready
        // The accessor returns a valid pointer to a static table: GSL always ships MT19937.
        return Generator(name: "mt19937", type: cgsl_rng_mt19937()!)
    }

    /// Every generator this GSL build offers, in GSL's order.
    public static var all: [Generator] {
        _ = GSL.ready
        var result: [Generator] = []
        guard var cursor = gsl_rng_types_setup() else { return result }
        while let type = cursor.pointee {
            result.append(Generator(name: String(cString: type.pointee.name), type: type))
            cursor += 1
        }
        return result
    }

    /// Looks a generator up by its GSL name.
    public static func named(_ name: String) throws(DistributionError) -> Generator {
        if let found = all.first(where: { $0.name == name }) { return found }
        throw DistributionError(
            subject: "rng", parameter: nil, found: "'\(name)'",
            allowed: "a GSL generator name such as mt19937, ranlxd2, taus2 (see `gsl_rng_types_setup`)",
            problem: .unknownGenerator)
    }
}

/// One GSL generator state. Owns its `gsl_rng` and frees it in `deinit`.
///
/// Not `Sendable`: a stream is mutable state that belongs to one simulation object.
public final class RandomStream {
    let rng: UnsafeMutablePointer<gsl_rng>
    /// The generator algorithm.
    public let generator: Generator
    /// The seed passed to `gsl_rng_set` (see `StreamSeeds` for how it is derived).
    public let seed: UInt64

    /// - Complexity: O(generator state), about 2.5 KiB for MT19937.
    public init(generator: Generator = .mt19937, seed: UInt64) {
        _ = GSL.ready
        // gsl_rng_alloc only fails when malloc does; there is nothing sensible left to do then.
        guard let rng = gsl_rng_alloc(generator.type) else {
            fatalError("gsl_rng_alloc failed: out of memory")
        }
        self.rng = rng
        self.generator = generator
        self.seed = seed
        range = gsl_rng_max(rng) - gsl_rng_min(rng) + 1
        gsl_rng_set(rng, UInt(truncatingIfNeeded: seed))
    }

    deinit { gsl_rng_free(rng) }

    /// How many values a raw draw takes, read once: `uniformInt` checks its bound against it on
    /// every draw, and two calls through the generator's table per draw showed in walks of
    /// billions of writes.
    private let range: UInt

    /// A uniform double in [0, 1).
    public func uniform() -> Double { gsl_rng_uniform(rng) }

    /// The generator's state, to be set into another stream of the same generator (`restore`):
    /// where it stands after draws another stream made in its place.
    public func state() -> [UInt8] {
        let size = gsl_rng_size(rng)
        guard let base = gsl_rng_state(rng) else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: size))
    }

    /// Sets the state `state()` gave. - Precondition: from a stream of the same generator.
    public func restore(_ state: [UInt8]) {
        let size = gsl_rng_size(rng)
        precondition(state.count == size, "a state of another generator")
        guard let base = gsl_rng_state(rng) else { return }
        state.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: size) }
    }

    /// A draw of Binomial(`trials`, `p`) (GSL's `gsl_ran_binomial`).
    public func binomial(trials: UInt32, p: Double) -> UInt32 { gsl_ran_binomial(rng, p, trials) }

    /// A uniform integer in 0 ..< n. `n` must be in 1 ... the generator's range.
    public func uniformInt(below n: UInt) -> UInt {
        precondition(n >= 1 && n <= range, "uniformInt range")
        return gsl_rng_uniform_int(rng, n)
    }

    /// The raw next integer of the generator.
    public func next() -> UInt { gsl_rng_get(rng) }
}

/// Derives independent, named random streams from one scenario seed.
///
/// Each simulation object draws from its own stream, named after the object
/// (e.g. `"clone/dev-3/writes"`), so adding or removing an object never changes the draws of
/// the others: the common random numbers that make what-if comparisons fair.
///
/// Seed derivation (stable across versions; changing it changes every report):
///
///     h     = FNV-1a 64-bit hash of the UTF-8 bytes of the name
///     seed' = splitmix64(scenarioSeed ^ splitmix64(h))
///
/// and `seed'` is passed to `gsl_rng_set`. MT19937 in GSL uses the low 32 bits of its seed,
/// so two different names collide with probability 2^-32 per pair; splitmix64 mixes all 64
/// input bits into those 32.
public struct StreamSeeds: Sendable, Equatable {
    /// The scenario seed.
    public let seed: UInt64
    /// The generator every derived stream uses.
    public let generator: Generator

    public init(seed: UInt64, generator: Generator = .mt19937) {
        self.seed = seed
        self.generator = generator
    }

    /// The seed of the stream with this name.
    public func derivedSeed(for name: String) -> UInt64 {
        Self.splitmix64(seed ^ Self.splitmix64(Self.fnv1a64(name)))
    }

    /// A fresh stream for `name`; the same name always gives the same draws.
    public func stream(named name: String) -> RandomStream {
        RandomStream(generator: generator, seed: derivedSeed(for: name))
    }

    static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    public static func splitmix64(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
