import CGSL
import Foundation

/// Summary statistics of a sample, for reports and `clonesim sample`.
///
/// Quantiles use GSL's `gsl_stats_quantile_from_sorted_data`: linear interpolation between
/// order statistics, q(f) = x[i] + (x[i+1] − x[i])·δ with i = ⌊(n−1)f⌋, δ = (n−1)f − i
/// (Hyndman–Fan type 7, the default of R and NumPy).
public struct Summary: Sendable, Equatable {
    public let count: Int
    public let mean: Double
    /// Sample standard deviation (divisor n − 1); 0 for one value.
    public let sd: Double
    public let min: Double
    public let max: Double
    /// The sorted sample's quantiles at `Summary.standardLevels`.
    public let quantiles: [Double]

    /// P5, P50, P90, P95, P99: the levels reports print.
    public static let standardLevels: [Double] = [0.05, 0.50, 0.90, 0.95, 0.99]

    /// - Precondition: `values` is not empty and has no NaN.
    /// - Complexity: O(n log n) for the sort.
    public init(_ values: [Double], levels: [Double] = Summary.standardLevels) {
        precondition(!values.isEmpty, "Summary of an empty sample")
        let sorted = values.sorted()
        self.init(sorted: sorted, levels: levels)
    }

    /// From an already sorted sample.
    public init(sorted: [Double], levels: [Double] = Summary.standardLevels) {
        precondition(!sorted.isEmpty, "Summary of an empty sample")
        _ = GSL.ready
        count = sorted.count
        (mean, sd) = sorted.withUnsafeBufferPointer { buffer in
            let m = gsl_stats_mean(buffer.baseAddress, 1, buffer.count)
            let s = buffer.count > 1 ? gsl_stats_sd_m(buffer.baseAddress, 1, buffer.count, m) : 0
            return (m, s)
        }
        min = sorted[0]
        max = sorted[sorted.count - 1]
        quantiles = levels.map { Statistics.quantile(sorted: sorted, $0) }
    }

    /// The quantile at `level`, which must be one of the levels the summary was made with.
    public func quantile(_ level: Double, levels: [Double] = Summary.standardLevels) -> Double? {
        levels.firstIndex(of: level).map { quantiles[$0] }
    }
}

/// Equal-width bin counts over [lower, upper], from `gsl_histogram`.
public struct BinCounts: Sendable, Equatable {
    /// `counts.count + 1` edges.
    public let edges: [Double]
    public let counts: [Int]
}

public enum Statistics {
    /// The quantile at `p` of Student's t distribution with `degrees` degrees of freedom
    /// (GSL's `gsl_cdf_tdist_Pinv`): the factor of a confidence interval from a small sample.
    public static func studentT(_ p: Double, degrees: Int) -> Double {
        _ = GSL.ready
        return gsl_cdf_tdist_Pinv(p, Double(degrees))
    }

    /// The quantile at `p` of the standard normal distribution (GSL's `gsl_cdf_ugaussian_Pinv`).
    public static func normal(_ p: Double) -> Double {
        _ = GSL.ready
        return gsl_cdf_ugaussian_Pinv(p)
    }

    /// GSL's type-7 quantile of a sorted sample; `level` in [0, 1].
    public static func quantile(sorted: [Double], _ level: Double) -> Double {
        precondition(!sorted.isEmpty && (0...1).contains(level), "quantile arguments")
        _ = GSL.ready
        return sorted.withUnsafeBufferPointer {
            gsl_stats_quantile_from_sorted_data($0.baseAddress, 1, $0.count, level)
        }
    }

    /// Counts `values` in `bins` equal-width bins from their minimum to their maximum (the
    /// maximum falls in the last bin). One bin of width 1 around the value when all are equal.
    public static func histogram(_ values: [Double], bins: Int) -> BinCounts {
        precondition(bins >= 1 && !values.isEmpty, "histogram arguments")
        _ = GSL.ready
        var lower = values.min() ?? 0, upper = values.max() ?? 0
        if lower == upper { lower -= 0.5; upper += 0.5 }
        guard let h = gsl_histogram_alloc(bins) else { fatalError("gsl_histogram_alloc: out of memory") }
        defer { gsl_histogram_free(h) }
        _ = gsl_histogram_set_ranges_uniform(h, lower, upper)
        // GSL bins are half-open [lo, hi): the maximum itself belongs in the last bin.
        for v in values {
            if v >= upper { h.pointee.bin[bins - 1] += 1 } else { _ = gsl_histogram_increment(h, v) }
        }
        let edges = (0...bins).map { h.pointee.range[$0] }
        let counts = (0..<bins).map { Int(h.pointee.bin[$0]) }
        return BinCounts(edges: edges, counts: counts)
    }

    /// The one-sample Kolmogorov–Smirnov statistic D = sup |F_n(x) − F(x)| of a sorted sample
    /// against a continuous CDF, and its asymptotic p-value
    /// Q(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²} with λ = (√n + 0.12 + 0.11/√n)·D
    /// (Stephens' correction, as in Numerical Recipes).
    public static func kolmogorovSmirnov(sorted: [Double], cdf: (Double) -> Double) -> (d: Double, pValue: Double) {
        precondition(!sorted.isEmpty, "KS test of an empty sample")
        let n = Double(sorted.count)
        var d = 0.0
        for (i, x) in sorted.enumerated() {
            let f = cdf(x)
            d = Swift.max(d, Swift.max(f - Double(i) / n, Double(i + 1) / n - f))
        }
        let root = n.squareRoot()
        let lambda = (root + 0.12 + 0.11 / root) * d
        return (d, kolmogorovQ(lambda))
    }

    static func kolmogorovQ(_ lambda: Double) -> Double {
        if lambda < 0.2 { return 1 }
        var sum = 0.0, sign = 1.0
        for k in 1...100 {
            let term = sign * exp(-2 * Double(k * k) * lambda * lambda)
            sum += term
            if abs(term) < 1e-12 { break }
            sign = -sign
        }
        return Swift.min(1, Swift.max(0, 2 * sum))
    }
}
