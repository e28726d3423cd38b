import CGSL
import Foundation

/// A probability distribution with GSL's own parameters, already validated.
///
/// Build one from user input with `Distribution.make(_:parameters:)`, which also accepts mean
/// and standard deviation where people think in those (see `Distribution+Parameters.swift`
/// for the conversions). Draw from it with a `Sampler`.
///
/// Each case names its parameters as the GSL function does (`gsl_ran_<name>`).
public enum Distribution: Sendable, Equatable {
    /// Always `value`.
    case constant(value: Double)
    /// `gsl_ran_flat(a, b)`: uniform on [a, b).
    case uniform(a: Double, b: Double)
    /// `mu + gsl_ran_gaussian(sigma)`.
    case normal(mu: Double, sigma: Double)
    /// `gsl_ran_lognormal(zeta, sigma)`: exp of a normal(zeta, sigma).
    case lognormal(zeta: Double, sigma: Double)
    /// `gsl_ran_gamma(a, b)`: shape a, scale b.
    case gamma(a: Double, b: Double)
    /// `gsl_ran_beta(a, b)` on [0, 1].
    case beta(a: Double, b: Double)
    /// `gsl_ran_weibull(a, b)`: scale a, shape b.
    case weibull(a: Double, b: Double)
    /// `gsl_ran_pareto(a, b)`: shape a, scale (minimum) b.
    case pareto(a: Double, b: Double)
    /// `gsl_ran_exponential(mu)`: mean mu.
    case exponential(mu: Double)
    /// `gsl_ran_poisson(mu)`.
    case poisson(mu: Double)
    /// `gsl_ran_binomial(p, n)`.
    case binomial(p: Double, n: UInt32)
    /// Zipf-like popularity over ranks 1 ... n with weight 1/k^s, drawn by `gsl_ran_discrete`.
    case zipf(n: Int, s: Double)
    /// A histogram: `gsl_histogram_pdf_sample`, uniform within each bin.
    case empirical(EmpiricalHistogram)

    /// The name used on the command line and in scenario files.
    public var name: String {
        switch self {
        case .constant: "constant"
        case .uniform: "uniform"
        case .normal: "normal"
        case .lognormal: "lognormal"
        case .gamma: "gamma"
        case .beta: "beta"
        case .weibull: "weibull"
        case .pareto: "pareto"
        case .exponential: "exponential"
        case .poisson: "poisson"
        case .binomial: "binomial"
        case .zipf: "zipf"
        case .empirical: "empirical"
        }
    }

    /// Whether a draw uses the stream (every law but a constant).
    public var isRandom: Bool {
        if case .constant = self { return false }
        return true
    }

    /// True when draws are integers (poisson, binomial, zipf ranks).
    public var isDiscrete: Bool {
        switch self {
        case .poisson, .binomial, .zipf: true
        default: false
        }
    }

    /// The analytical mean; `.infinity` where it does not exist (pareto with a <= 1).
    public var mean: Double {
        switch self {
        case .constant(let v): return v
        case .uniform(let a, let b): return (a + b) / 2
        case .normal(let mu, _): return mu
        case .lognormal(let zeta, let sigma): return exp(zeta + sigma * sigma / 2)
        case .gamma(let a, let b): return a * b
        case .beta(let a, let b): return a / (a + b)
        case .weibull(let a, let b): return a * exp(gsl_sf_lngamma(1 + 1 / b))
        case .pareto(let a, let b): return a > 1 ? a * b / (a - 1) : .infinity
        case .exponential(let mu): return mu
        case .poisson(let mu): return mu
        case .binomial(let p, let n): return p * Double(n)
        case .zipf(let n, let s): return Self.zipfMoment(n: n, s: s, power: 1)
        case .empirical(let h): return h.mean
        }
    }

    /// The analytical variance; `.infinity` where it does not exist.
    public var variance: Double {
        switch self {
        case .constant: return 0
        case .uniform(let a, let b): return (b - a) * (b - a) / 12
        case .normal(_, let sigma): return sigma * sigma
        case .lognormal(let zeta, let sigma):
            let s2 = sigma * sigma
            return (exp(s2) - 1) * exp(2 * zeta + s2)
        case .gamma(let a, let b): return a * b * b
        case .beta(let a, let b): return a * b / ((a + b) * (a + b) * (a + b + 1))
        case .weibull(let a, let b):
            let g1 = exp(gsl_sf_lngamma(1 + 1 / b))
            let g2 = exp(gsl_sf_lngamma(1 + 2 / b))
            return a * a * (g2 - g1 * g1)
        case .pareto(let a, let b):
            return a > 2 ? b * b * a / ((a - 1) * (a - 1) * (a - 2)) : .infinity
        case .exponential(let mu): return mu * mu
        case .poisson(let mu): return mu
        case .binomial(let p, let n): return Double(n) * p * (1 - p)
        case .zipf(let n, let s):
            let m = Self.zipfMoment(n: n, s: s, power: 1)
            return Self.zipfMoment(n: n, s: s, power: 2) - m * m
        case .empirical(let h): return h.variance
        }
    }

    /// The standard deviation.
    public var standardDeviation: Double { variance.squareRoot() }

    /// P(X <= x), from GSL's `gsl_cdf_*` where GSL has one.
    ///
    /// - Complexity: O(1), except zipf: O(n).
    public func cdf(_ x: Double) -> Double {
        _ = GSL.ready
        switch self {
        case .constant(let v): return x >= v ? 1 : 0
        case .uniform(let a, let b): return gsl_cdf_flat_P(x, a, b)
        case .normal(let mu, let sigma): return gsl_cdf_gaussian_P(x - mu, sigma)
        case .lognormal(let zeta, let sigma): return x <= 0 ? 0 : gsl_cdf_lognormal_P(x, zeta, sigma)
        case .gamma(let a, let b): return x <= 0 ? 0 : gsl_cdf_gamma_P(x, a, b)
        case .beta(let a, let b): return x <= 0 ? 0 : (x >= 1 ? 1 : gsl_cdf_beta_P(x, a, b))
        case .weibull(let a, let b): return x <= 0 ? 0 : gsl_cdf_weibull_P(x, a, b)
        case .pareto(let a, let b): return x <= b ? 0 : gsl_cdf_pareto_P(x, a, b)
        case .exponential(let mu): return x <= 0 ? 0 : gsl_cdf_exponential_P(x, mu)
        case .poisson(let mu):
            return x < 0 ? 0 : gsl_cdf_poisson_P(UInt32(min(x, Double(UInt32.max)).rounded(.down)), mu)
        case .binomial(let p, let n):
            return x < 0 ? 0 : gsl_cdf_binomial_P(UInt32(min(x, Double(n)).rounded(.down)), p, n)
        case .zipf(let n, let s):
            guard x >= 1 else { return 0 }
            let top = min(n, Int(min(x, Double(n)).rounded(.down)))
            return Self.zipfWeightSum(n: top, s: s) / Self.zipfWeightSum(n: n, s: s)
        case .empirical(let h): return h.cdf(x)
        }
    }

    static func zipfWeightSum(n: Int, s: Double) -> Double {
        var total = 0.0
        // Smallest terms first, for accuracy.
        for k in stride(from: n, through: 1, by: -1) { total += pow(Double(k), -s) }
        return total
    }

    static func zipfMoment(n: Int, s: Double, power: Double) -> Double {
        var weighted = 0.0
        for k in stride(from: n, through: 1, by: -1) { weighted += pow(Double(k), power - s) }
        return weighted / zipfWeightSum(n: n, s: s)
    }
}
