import Foundation
import Testing
@testable import Stochastic

/// Mean/sd forms convert to GSL parameters whose analytical mean and sd are the ones given.
struct DistributionParameterTests {
    static let roundTrips: [(String, Double, Double)] = [
        ("normal", -3, 2), ("lognormal", 0.02, 0.01), ("lognormal", 100, 250), ("gamma", 0.02, 0.005),
        ("gamma", 5, 20), ("beta", 0.1, 0.05), ("beta", 0.9, 0.001), ("weibull", 5, 2), ("weibull", 1, 3),
        ("weibull", 0.02, 0.0005), ("pareto", 3, 0.5), ("pareto", 10, 40),
    ]

    @Test("mean and sd round-trip through GSL's parameters", arguments: roundTrips.indices)
    func roundTrip(_ index: Int) throws {
        let (name, mean, sd) = Self.roundTrips[index]
        let d = try Distribution.make(name, parameters: [("mean", "\(mean)"), ("sd", "\(sd)")])
        #expect(abs(d.mean - mean) <= 1e-9 * abs(mean), "\(name): mean \(d.mean)")
        #expect(abs(d.standardDeviation - sd) <= 1e-7 * sd, "\(name): sd \(d.standardDeviation)")
    }

    @Test func lognormalConversionByHand() throws {
        // mean 0.02, sd 0.01: sigma² = ln(1.25), zeta = ln(0.02) − ln(1.25)/2.
        let d = try Distribution.make("lognormal", parameters: [("mean", "0.02"), ("sd", "0.01")])
        guard case .lognormal(let zeta, let sigma) = d else { Issue.record("not lognormal"); return }
        #expect(abs(sigma * sigma - log(1.25)) < 1e-15)
        #expect(abs(zeta - (log(0.02) - log(1.25) / 2)) < 1e-15)
    }

    @Test func gammaAndBetaConversionByHand() throws {
        // gamma mean 4, sd 2: shape 4²/2² = 4, scale 2²/4 = 1.
        #expect(try Distribution.make("gamma", parameters: [("mean", "4"), ("sd", "2")]) == .gamma(a: 4, b: 1))
        // beta mean 0.5, sd 0.25: nu = 0.25/0.0625 − 1 = 3, a = b = 1.5.
        #expect(try Distribution.make("beta", parameters: [("mean", "0.5"), ("sd", "0.25")]) == .beta(a: 1.5, b: 1.5))
        // pareto mean 3, sd 0.75: a = 1 + √(1 + 16) , b = 3(a − 1)/a.
        let a = 1 + 17.0.squareRoot()
        #expect(try Distribution.make("pareto", parameters: [("mean", "3"), ("sd", "0.75")]) == .pareto(a: a, b: 3 * (a - 1) / a))
    }

    @Test func percentValues() throws {
        #expect(try Distribution.make("normal", parameters: [("mean", "2%"), ("sd", "0.5%")]) == .normal(mu: 0.02, sigma: 0.005))
    }

    // MARK: Bad input: the exact message.

    static func message(_ name: String, _ params: [(String, String)]) -> String {
        do {
            _ = try Distribution.make(name, parameters: params)
            return "no error"
        } catch { return error.description }
    }

    @Test func badInputMessages() {
        #expect(Self.message("lognorm", []) ==
                "unknown distribution 'lognorm'; allowed: constant, uniform, normal, lognormal, gamma, beta, weibull, pareto, exponential, poisson, binomial, zipf, empirical")
        #expect(Self.message("lognormal", [("mean", "0.02")]) ==
                "lognormal: missing parameter 'sd'; allowed: --zeta ZETA --sigma SIGMA, or --mean MEAN --sd SD")
        #expect(Self.message("gamma", [("a", "1"), ("b", "2"), ("p", "0.5")]) ==
                "gamma: unexpected parameter 'p' = 0.5; allowed: --a A --b B, or --mean MEAN --sd SD")
        #expect(Self.message("normal", [("mu", "1"), ("sd", "2")]) ==
                "normal: parameters 'mu', 'sd' mix two forms; allowed: --mu MU --sigma SIGMA, or --mean MEAN --sd SD")
        #expect(Self.message("normal", [("mean", "1"), ("sd", "0")]) ==
                "normal: 'sd' = 0 is out of range; allowed: sd > 0")
        #expect(Self.message("lognormal", [("mean", "0.02"), ("sd", "-1")]) ==
                "lognormal: 'sd' = -1 is out of range; allowed: sd > 0")
        #expect(Self.message("beta", [("a", "0"), ("b", "2")]) == "beta: 'a' = 0 is out of range; allowed: a > 0")
        #expect(Self.message("beta", [("mean", "1.5"), ("sd", "0.1")]) ==
                "beta: 'mean' = 1.5 is out of range; allowed: 0 < mean < 1")
        #expect(Self.message("beta", [("mean", "0.5"), ("sd", "0.6")]) ==
                "beta: 'sd' = 0.6 is out of range; allowed: 0 < sd < sqrt(mean(1 - mean)) = 0.5")
        #expect(Self.message("binomial", [("p", "1.2"), ("n", "10")]) ==
                "binomial: 'p' = 1.2 is out of range; allowed: 0 <= p <= 1")
        #expect(Self.message("binomial", [("p", "0.5"), ("n", "2.5")]) ==
                "binomial: 'n' = 2.5 is out of range; allowed: a whole number from 1 to 4294967295")
        #expect(Self.message("uniform", [("a", "3"), ("b", "1")]) == "uniform: 'b' = 1 is out of range; allowed: b > a = 3.0")
        #expect(Self.message("zipf", [("n", "100"), ("s", "-1")]) ==
                "zipf: 's' = -1 is out of range; allowed: s >= 0 (0 gives equal popularity)")
        #expect(Self.message("exponential", [("mu", "abc")]) ==
                "exponential: 'mu' = 'abc' is not a number; allowed: a finite number such as 0.02 or 2%")
        #expect(Self.message("weibull", [("mean", "1"), ("sd", "0.0001")]).hasPrefix(
                "weibull: 'sd' = 0.0001 is out of range; allowed: sd/mean between 0.0025"))
    }

    @Test func generatorsByName() throws {
        #expect(try Generator.named("mt19937") == .mt19937)
        #expect(try Generator.named("ranlxd2").name == "ranlxd2")
        #expect(throws: DistributionError.self) { try Generator.named("mt1993") }
        #expect(Generator.all.count > 20)
    }
}
