import CGSL
import Foundation

/// A distribution fitted to measured data (calibration input): maximum likelihood for a named
/// family, or the data's own histogram, with a Kolmogorov–Smirnov test of the fit.
public struct Fit: Sendable, Equatable {
    public enum Family: String, Sendable, CaseIterable {
        case lognormal, normal, gamma, exponential, empirical
    }

    public var family: Family
    public var distribution: Distribution
    public var samples: Int
    /// KS statistic and its asymptotic p-value against the sample (nil for `empirical`).
    public var ksD: Double?
    public var ksP: Double?

    /// Fits `family` to `raw` divided by `scale`, by maximum likelihood (`empirical`: a
    /// histogram of √n equal bins).
    /// - Throws: `DistributionError` for too few values or values the family cannot take,
    ///   quoting them as `raw` has them.
    public static func make(_ family: Family, _ raw: [Double], scale: Double = 1, source: String) throws(DistributionError) -> Fit {
        func refuse(_ found: String, _ allowed: String) -> DistributionError {
            DistributionError(subject: source, parameter: nil, found: found, allowed: allowed, problem: .badFile)
        }
        guard raw.count >= 2 else { throw refuse("\(raw.count) values", "at least 2 values to fit") }
        guard raw.allSatisfy(\.isFinite) else { throw refuse("a value that is not a finite number", "finite numbers") }
        let xs = scale == 1 ? raw : raw.map { $0 / scale }
        let n = Double(xs.count)
        let mean = xs.reduce(0, +) / n
        func positive() throws(DistributionError) {
            guard let bad = raw.first(where: { $0 <= 0 }) else { return }
            throw refuse("the value \(bad)", "values > 0 for a \(family.rawValue) fit")
        }
        let distribution: Distribution
        switch family {
        case .normal:
            let sigma = (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
            guard sigma > 0 else { throw refuse("values that are all equal", "values that vary") }
            distribution = .normal(mu: mean, sigma: sigma)
        case .lognormal:
            try positive()
            let logs = xs.map { Foundation.log($0) }
            let zeta = logs.reduce(0, +) / n
            let sigma = (logs.reduce(0) { $0 + ($1 - zeta) * ($1 - zeta) } / n).squareRoot()
            guard sigma > 0 else { throw refuse("values that are all equal", "values that vary") }
            distribution = .lognormal(zeta: zeta, sigma: sigma)
        case .exponential:
            try positive()
            distribution = .exponential(mu: mean)
        case .gamma:
            try positive()
            // ln a − ψ(a) = s, solved by Newton's method from Minka's starting point.
            let s = Foundation.log(mean) - xs.reduce(0) { $0 + Foundation.log($1) } / n
            guard s > 0 else { throw refuse("values that are all equal", "values that vary") }
            _ = GSL.ready
            var a = (3 - s + ((s - 3) * (s - 3) + 24 * s).squareRoot()) / (12 * s)
            for _ in 0..<50 {
                let step = (Foundation.log(a) - gsl_sf_psi(a) - s) / (1 / a - gsl_sf_psi_1(a))
                a = max(a - step, a / 10)
                if abs(step) < 1e-12 * a { break }
            }
            distribution = .gamma(a: a, b: mean / a)
        case .empirical:
            let lo = xs.min()!, hi = xs.max()!
            guard hi > lo else { throw refuse("values that are all equal", "values that vary") }
            let bins = max(1, Int(n.squareRoot().rounded(.up)))
            var weights = [Double](repeating: 0, count: bins)
            for x in xs { weights[min(bins - 1, Int((x - lo) / (hi - lo) * Double(bins)))] += 1 }
            let edges = (0...bins).map { lo + (hi - lo) * Double($0) / Double(bins) }
            let histogram = try EmpiricalHistogram(edges: edges, weights: weights, source: source)
            return Fit(family: family, distribution: .empirical(histogram), samples: xs.count, ksD: nil, ksP: nil)
        }
        let ks = Statistics.kolmogorovSmirnov(sorted: xs.sorted(), cdf: distribution.cdf)
        return Fit(family: family, distribution: distribution, samples: xs.count, ksD: ks.d, ksP: ks.pValue)
    }

    /// One column of numbers from a CSV file with a header line (`column` by name; the first
    /// column without one), each value divided by `scale`.
    public static func samples(csv path: String, named name: String? = nil, column: String?, scale: Double = 1) throws(DistributionError) -> [Double] {
        func refuse(_ found: String, _ allowed: String) -> DistributionError {
            DistributionError(subject: name ?? path, parameter: "file", found: found, allowed: allowed, problem: .badFile)
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw refuse(FileManager.default.fileExists(atPath: path) ? "a file that cannot be read as UTF-8" : "no such file",
                         "a readable CSV file with a header line")
        }
        var lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !lines.isEmpty else { throw refuse("an empty file", "a header line and one value per line") }
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let index: Int
        if let column {
            guard let i = header.firstIndex(of: column) else { throw refuse("no column '\(column)'", header.joined(separator: ", ")) }
            index = i
        } else {
            index = 0
        }
        var values: [Double] = []
        for (k, line) in lines.enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard index < fields.count, let x = Double(fields[index]) else {
                throw refuse("line \(k + 2): '\(line)'", "a number in column \(header[index])")
            }
            values.append(x / scale)
        }
        return values
    }
}
