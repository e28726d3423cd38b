import Foundation
import Testing
@testable import Stochastic

/// Maximum-likelihood fits to samples drawn from known distributions. Tolerances are four
/// standard errors of the estimators at n = 10,000: σ/√n for the lognormal ζ (0.02 at
/// σ = 0.5), σ/√(2n) for its σ (0.015), and about 4·a·√(2/n) ≈ 0.17 for a gamma shape of 3.
struct FitTests {
    static let n = 10_000

    @Test func lognormalParametersAreRecovered() throws {
        let xs = try Sampler(.lognormal(zeta: 2, sigma: 0.5)).draws(Self.n, from: RandomStream(seed: 11))
        let fit = try Fit.make(.lognormal, xs, source: "test")
        guard case .lognormal(let zeta, let sigma) = fit.distribution else { Issue.record("not lognormal"); return }
        #expect(abs(zeta - 2) < 0.02 && abs(sigma - 0.5) < 0.015)
        #expect(fit.samples == Self.n && (fit.ksP ?? 0) > 0.001)
        // The wrong family is rejected by the KS test.
        let normal = try Fit.make(.exponential, xs, source: "test")
        #expect((normal.ksP ?? 1) < 0.001)
    }

    @Test func gammaAndExponentialParametersAreRecovered() throws {
        let g = try Sampler(.gamma(a: 3, b: 2)).draws(Self.n, from: RandomStream(seed: 12))
        guard case .gamma(let a, let b) = try Fit.make(.gamma, g, source: "test").distribution else { Issue.record("not gamma"); return }
        #expect(abs(a - 3) < 0.17 && abs(a * b - 6) < 0.1)  // the mean a·b is the sample mean
        let e = try Sampler(.exponential(mu: 4)).draws(Self.n, from: RandomStream(seed: 13))
        guard case .exponential(let mu) = try Fit.make(.exponential, e, source: "test").distribution else { return }
        #expect(abs(mu - 4) < 4 * 4 / Double(Self.n).squareRoot())
    }

    @Test func aColumnOfACSVFileScaledAndBadInput() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fit-\(UUID().uuidString).csv").path
        try "day,bytes\n1,100\n2,300\n# comment\n3,200\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try Fit.samples(csv: path, column: "bytes", scale: 100) == [1, 3, 2])
        #expect(throws: DistributionError.self) { try Fit.samples(csv: path, column: "size") }
        #expect(throws: DistributionError.self) { try Fit.make(.lognormal, [1, -2, 3], source: "x") }
        let empirical = try Fit.make(.empirical, [1, 2, 3, 4], source: "x")
        guard case .empirical(let h) = empirical.distribution else { Issue.record("not empirical"); return }
        #expect(h.edges == [1, 2.5, 4] && h.weights == [2, 2] && empirical.ksD == nil)
    }
}
