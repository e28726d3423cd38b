import Foundation
import Testing
@testable import Stochastic

/// Sample moments and goodness of fit against the analytical values, at a fixed seed.
///
/// Tolerances (stated, not tuned to pass):
/// - mean: within 5 standard errors, 5·σ/√n;
/// - variance: within 5 standard errors of the sample variance, 5·√((μ4 − σ⁴)/n), with the
///   fourth central moment μ4 estimated from the same sample (all test cases have finite μ4);
/// - continuous distributions: KS test against GSL's CDF with p-value > 0.001.
struct DistributionMomentTests {
    static let n = 400_000

    static let cases: [(String, [(String, String)])] = [
        ("constant", [("value", "3.5")]),
        ("uniform", [("a", "-2"), ("b", "5")]),
        ("normal", [("mu", "10"), ("sigma", "3")]),
        ("normal", [("mean", "-1"), ("sd", "0.25")]),
        ("lognormal", [("zeta", "0.5"), ("sigma", "0.4")]),
        ("lognormal", [("mean", "2%"), ("sd", "1%")]),
        ("gamma", [("a", "2"), ("b", "3")]),
        ("gamma", [("mean", "0.02"), ("sd", "0.03")]),
        ("beta", [("a", "2"), ("b", "5")]),
        ("beta", [("mean", "0.1"), ("sd", "0.05")]),
        ("weibull", [("a", "2"), ("b", "1.5")]),
        ("weibull", [("mean", "5"), ("sd", "2")]),
        ("pareto", [("a", "6"), ("b", "1")]),
        ("pareto", [("mean", "3"), ("sd", "0.5")]),
        ("exponential", [("mu", "4")]),
        ("exponential", [("mean", "0.5")]),
        ("poisson", [("mu", "7.5")]),
        ("binomial", [("p", "0.3"), ("n", "40")]),
        ("zipf", [("n", "1000"), ("s", "1.1")]),
    ]

    @Test("sample mean and variance match the analytical values", arguments: cases.indices)
    func moments(_ index: Int) throws {
        let (name, params) = Self.cases[index]
        let dist = try Distribution.make(name, parameters: params)
        let sampler = try Sampler(dist)
        let draws = sampler.draws(Self.n, from: StreamSeeds(seed: 2026).stream(named: "moments/\(index)"))
        let n = Double(draws.count)
        let mean = draws.reduce(0, +) / n
        let centered = draws.map { $0 - mean }
        let variance = centered.reduce(0) { $0 + $1 * $1 } / (n - 1)
        let mu4 = centered.reduce(0) { $0 + $1 * $1 * $1 * $1 } / n

        let meanTolerance = 5 * (dist.variance / n).squareRoot()
        #expect(abs(mean - dist.mean) <= meanTolerance, "\(name) \(params): mean \(mean) vs \(dist.mean)")
        let varianceTolerance = 5 * (max(mu4 - variance * variance, 0) / n).squareRoot()
        #expect(abs(variance - dist.variance) <= varianceTolerance,
                "\(name) \(params): variance \(variance) vs \(dist.variance)")
    }

    @Test("continuous draws pass a Kolmogorov-Smirnov test against GSL's CDF", arguments: cases.indices)
    func kolmogorovSmirnov(_ index: Int) throws {
        let (name, params) = Self.cases[index]
        let dist = try Distribution.make(name, parameters: params)
        guard !dist.isDiscrete, dist.variance > 0 else { return }
        let draws = try Sampler(dist).draws(100_000, from: StreamSeeds(seed: 99).stream(named: "ks/\(index)"))
        let result = Statistics.kolmogorovSmirnov(sorted: draws.sorted(), cdf: dist.cdf)
        #expect(result.pValue > 0.001, "\(name) \(params): D = \(result.d), p = \(result.pValue)")
    }

    @Test func kolmogorovSmirnovRejectsTheWrongDistribution() throws {
        // The test must be able to fail: normal draws against an exponential CDF.
        let draws = try Sampler(.normal(mu: 1, sigma: 1)).draws(20_000, from: RandomStream(seed: 5))
        let result = Statistics.kolmogorovSmirnov(sorted: draws.sorted(), cdf: Distribution.exponential(mu: 1).cdf)
        #expect(result.pValue < 1e-6)
    }

    @Test func zipfFrequenciesFollowTheWeights() throws {
        // Ranks 1..5 with s = 1: weights 1, 1/2, 1/3, 1/4, 1/5 over H5 = 137/60.
        let sampler = try Sampler(.zipf(n: 5, s: 1))
        let draws = sampler.draws(300_000, from: RandomStream(seed: 11))
        let h5 = 137.0 / 60.0
        for k in 1...5 {
            let expected = 1.0 / Double(k) / h5
            let observed = Double(draws.filter { $0 == Double(k) }.count) / Double(draws.count)
            // 5 standard errors of a proportion.
            let tolerance = 5 * (expected * (1 - expected) / Double(draws.count)).squareRoot()
            #expect(abs(observed - expected) <= tolerance, "rank \(k): \(observed) vs \(expected)")
        }
    }

    @Test func empiricalHistogramMatchesItsMomentsAndCDF() throws {
        let h = try EmpiricalHistogram(edges: [0, 1, 3, 4], weights: [1, 2, 1])
        // Hand-computed: mean = (1·0.5 + 2·2 + 1·3.5)/4 = 2.
        #expect(abs(h.mean - 2) < 1e-12)
        // E[X²] = (1·(1/3) + 2·(13/3) + 1·(37/3))/4 = 64/12; variance = 64/12 − 4 = 4/3.
        #expect(abs(h.variance - 4.0 / 3.0) < 1e-12)
        #expect(abs(h.cdf(2) - 0.5) < 1e-12)
        let draws = try Sampler(.empirical(h)).draws(100_000, from: RandomStream(seed: 3))
        #expect(Statistics.kolmogorovSmirnov(sorted: draws.sorted(), cdf: h.cdf).pValue > 0.001)
        #expect(draws.allSatisfy { (0..<4).contains($0) })
    }
}
