import CGSL
import Foundation

/// An optional range draws are confined to (a change rate is never negative nor above 100%).
/// The distribution's own parameters describe it before truncation.
public struct Truncation: Sendable, Equatable {
    public var min: Double?
    public var max: Double?
    public init(min: Double? = nil, max: Double? = nil) {
        self.min = min
        self.max = max
    }
    public var isActive: Bool { min != nil || max != nil }

    /// Bounds as the user wrote them (numbers, `%` allowed), parsed like any other parameter.
    public static func parse(_ distribution: String, min: String?, max: String?) throws(DistributionError) -> Truncation {
        var values: [String: String] = [:]
        values["min"] = min
        values["max"] = max
        let reader = ParameterReader(distribution: distribution, values: values)
        return Truncation(min: min == nil ? nil : try reader.number("min"), max: max == nil ? nil : try reader.number("max"))
    }
    var text: String { "[\(min.map { "\($0)" } ?? "-inf"), \(max.map { "\($0)" } ?? "+inf")]" }
}

/// Draws from one distribution. Holds the lookup tables GSL needs (the alias table of a zipf
/// popularity, the cumulative table of an empirical histogram) and frees them in `deinit`.
///
/// Truncated draws use rejection: draw, keep the value if it lies in the range. `init` refuses
/// a range that keeps less than `minimumKeptMass` of the probability, so the loop is short
/// (expected tries <= 1/0.001).
///
/// Immutable after `init`, and GSL only reads the tables while sampling, so one sampler can
/// serve many streams on many threads.
public final class Sampler: @unchecked Sendable {
    public let distribution: Distribution
    public let truncation: Truncation
    /// Probability the untruncated distribution gives to the truncation range.
    public let keptMass: Double

    public static let minimumKeptMass = 0.001

    private let discreteTable: UnsafeMutablePointer<gsl_ran_discrete_t>?
    private let histogramPDF: UnsafeMutablePointer<gsl_histogram_pdf>?

    /// - Throws: `DistributionError` when the truncation range is empty, excludes the mean, or
    ///   keeps too little probability.
    public init(_ distribution: Distribution, truncation: Truncation = .init()) throws(DistributionError) {
        _ = GSL.ready
        func refuse(_ allowed: String) -> DistributionError {
            DistributionError(subject: distribution.name, parameter: nil, found: truncation.text,
                              allowed: allowed, problem: .badTruncation)
        }
        let lower = truncation.min ?? -.infinity, upper = truncation.max ?? .infinity
        if truncation.isActive {
            guard !lower.isNaN, !upper.isNaN, lower < upper else {
                throw refuse("min < max")
            }
            let mean = distribution.mean
            if mean.isFinite, !(lower...upper).contains(mean) {
                throw refuse("a range that contains the mean \(mean)")
            }
            // P(lower <= X <= upper), counting an atom at `lower` for discrete distributions.
            var below = 0.0
            if lower.isFinite {
                below = distribution.isDiscrete ? distribution.cdf(lower.rounded(.up) - 1) : distribution.cdf(lower)
            }
            let mass: Double = distribution.cdf(upper) - below
            guard mass >= Self.minimumKeptMass else {
                let percent = mass * 100
                throw refuse("a range holding at least \(Self.minimumKeptMass * 100)% of the probability (this one holds \(percent)%)")
            }
            keptMass = mass
        } else {
            keptMass = 1
        }
        self.distribution = distribution
        self.truncation = truncation
        switch distribution {
        case .zipf(let n, let s):
            var weights = [Double](unsafeUninitializedCapacity: n) { buffer, count in
                for k in 0..<n { buffer[k] = pow(Double(k + 1), -s) }
                count = n
            }
            discreteTable = weights.withUnsafeMutableBufferPointer { gsl_ran_discrete_preproc(n, $0.baseAddress) }
            histogramPDF = nil
        case .empirical(let h):
            let bins = h.weights.count
            guard let hist = gsl_histogram_alloc(bins), let pdf = gsl_histogram_pdf_alloc(bins) else {
                fatalError("gsl_histogram_alloc failed: out of memory")
            }
            defer { gsl_histogram_free(hist) }
            h.edges.withUnsafeBufferPointer { _ = gsl_histogram_set_ranges(hist, $0.baseAddress, h.edges.count) }
            for (i, w) in h.weights.enumerated() { hist.pointee.bin[i] = w }
            _ = gsl_histogram_pdf_init(pdf, hist)
            discreteTable = nil
            histogramPDF = pdf
        default:
            discreteTable = nil
            histogramPDF = nil
        }
    }

    deinit {
        if let discreteTable { gsl_ran_discrete_free(discreteTable) }
        if let histogramPDF { gsl_histogram_pdf_free(histogramPDF) }
    }

    /// One draw from `stream`, within the truncation range.
    public func draw(_ stream: RandomStream) -> Double {
        guard truncation.isActive else { return rawDraw(stream.rng) }
        let lower = truncation.min ?? -.infinity, upper = truncation.max ?? .infinity
        // keptMass >= 0.001 makes 10^5 straight rejections a 10^-43 event; the bound only keeps
        // a bug from hanging a run.
        for _ in 0..<100_000 {
            let x = rawDraw(stream.rng)
            if x >= lower && x <= upper { return x }
        }
        return min(max(rawDraw(stream.rng), lower), upper)
    }

    /// `count` draws.
    public func draws(_ count: Int, from stream: RandomStream) -> [Double] {
        (0..<count).map { _ in draw(stream) }
    }

    private func rawDraw(_ r: UnsafeMutablePointer<gsl_rng>) -> Double {
        switch distribution {
        case .constant(let v): return v
        case .uniform(let a, let b): return gsl_ran_flat(r, a, b)
        case .normal(let mu, let sigma): return mu + gsl_ran_gaussian_ziggurat(r, sigma)
        case .lognormal(let zeta, let sigma): return gsl_ran_lognormal(r, zeta, sigma)
        case .gamma(let a, let b): return gsl_ran_gamma(r, a, b)
        case .beta(let a, let b): return gsl_ran_beta(r, a, b)
        case .weibull(let a, let b): return gsl_ran_weibull(r, a, b)
        case .pareto(let a, let b): return gsl_ran_pareto(r, a, b)
        case .exponential(let mu): return gsl_ran_exponential(r, mu)
        case .poisson(let mu): return Double(gsl_ran_poisson(r, mu))
        case .binomial(let p, let n): return Double(gsl_ran_binomial(r, p, n))
        case .zipf: return Double(gsl_ran_discrete(r, discreteTable) + 1)
        case .empirical: return gsl_histogram_pdf_sample(histogramPDF, gsl_rng_uniform(r))
        }
    }
}
