import ArgumentParser
import Foundation
import Reports
import Stochastic

/// `clonesim sample`: draw from a distribution and show its summary, histogram or raw draws.
struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw from a distribution to see what it looks like before using it in a scenario.",
        discussion: distributionList + """

            Numbers may end in % (2% is 0.02). --min/--max truncate the distribution (draws \
            outside are rejected); its parameters describe it before truncation.
            """
    )

    static var distributionList: String {
        let width = Distribution.catalogue.map(\.name.count).max() ?? 0
        let lines = Distribution.catalogue.map { entry in
            "  " + entry.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                + entry.forms.map(\.usage).joined(separator: " | ") + "\n"
                + String(repeating: " ", count: width + 4) + entry.summary
        }
        return "DISTRIBUTIONS (parameters as GSL names them, or mean and sd where listed):\n"
            + lines.joined(separator: "\n") + "\n"
    }

    @Argument(help: "Distribution name (listed below).")
    var distribution: String

    @Option(name: [.customShort("n"), .customLong("count")], parsing: .unconditional, help: "Number of draws.")
    var count: Int

    @Option(help: "Seed of the random stream.")
    var seed: UInt64 = 1

    @Option(help: "GSL generator name.")
    var rng: String = "mt19937"

    @Option(help: "Name of the stream, combined with the seed as scenario objects are.")
    var stream: String = "sample"

    @Flag(help: "Print the raw draws as CSV instead of a summary.")
    var csv = false

    @Option(help: "Histogram bins.")
    var bins: Int = 20

    @Option(parsing: .unconditional, help: "Truncate: lowest value a draw may take.") var min: String?
    @Option(parsing: .unconditional, help: "Truncate: highest value a draw may take.") var max: String?

    @Option(parsing: .unconditional, help: .hidden) var value: String?
    @Option(parsing: .unconditional, help: .hidden) var a: String?
    @Option(parsing: .unconditional, help: .hidden) var b: String?
    @Option(parsing: .unconditional, help: .hidden) var mu: String?
    @Option(parsing: .unconditional, help: .hidden) var sigma: String?
    @Option(parsing: .unconditional, help: .hidden) var zeta: String?
    @Option(parsing: .unconditional, help: .hidden) var mean: String?
    @Option(parsing: .unconditional, help: .hidden) var sd: String?
    @Option(parsing: .unconditional, help: .hidden) var p: String?
    @Option(name: .customLong("n"), parsing: .unconditional, help: .hidden) var n: String?
    @Option(parsing: .unconditional, help: .hidden) var s: String?
    @Option(parsing: .unconditional, help: .hidden) var file: String?

    func validate() throws {
        guard count > 0 else { throw ValidationError("-n/--count = \(count) is out of range; allowed: a whole number >= 1") }
        guard count <= 100_000_000 else {
            throw ValidationError("-n/--count = \(count) is out of range; allowed: at most 100000000 draws")
        }
        guard (1...1000).contains(bins) else { throw ValidationError("--bins = \(bins) is out of range; allowed: 1 to 1000") }
    }

    /// The distribution parameters given, in a fixed order so messages are deterministic.
    var parameters: [(name: String, value: String)] {
        let all: [(String, String?)] = [("value", value), ("a", a), ("b", b), ("mu", mu), ("sigma", sigma),
                                        ("zeta", zeta), ("mean", mean), ("sd", sd), ("p", p), ("n", n),
                                        ("s", s), ("file", file)]
        return all.compactMap { name, value in value.map { (name, $0) } }
    }

    func run() throws {
        let dist = try Distribution.make(distribution, parameters: parameters)
        let bound = try Truncation.parse(distribution, min: min, max: max)
        let sampler = try Sampler(dist, truncation: bound)
        let generator = try Generator.named(rng)
        let draws = sampler.draws(count, from: StreamSeeds(seed: seed, generator: generator).stream(named: stream))
        if csv {
            print(SampleText.csv(draws), terminator: "")
            return
        }
        print("\(distribution): \(describe(dist))\(bound.isActive ? ", truncated to \(bound.min.map(SampleText.format) ?? "-inf") .. \(bound.max.map(SampleText.format) ?? "+inf")" : "")")
        print("seed \(seed), stream '\(stream)', generator \(generator.name)")
        let summary = Summary(draws)
        let exact = !bound.isActive && dist.mean.isFinite && dist.variance.isFinite
        print(SampleText.summary(summary, expectedMean: exact ? dist.mean : nil, expectedSD: exact ? dist.standardDeviation : nil),
              terminator: "")
        print("")
        print(SampleText.histogram(Statistics.histogram(draws, bins: bins)), terminator: "")
    }

    /// GSL parameters as resolved, so a user sees what mean/sd became.
    func describe(_ d: Distribution) -> String {
        let f = SampleText.format
        switch d {
        case .constant(let v): return "value=\(f(v))"
        case .uniform(let a, let b): return "a=\(f(a)) b=\(f(b))"
        case .normal(let mu, let sigma): return "mu=\(f(mu)) sigma=\(f(sigma))"
        case .lognormal(let zeta, let sigma): return "zeta=\(f(zeta)) sigma=\(f(sigma))"
        case .gamma(let a, let b), .beta(let a, let b), .weibull(let a, let b), .pareto(let a, let b):
            return "a=\(f(a)) b=\(f(b))"
        case .exponential(let mu), .poisson(let mu): return "mu=\(f(mu))"
        case .binomial(let p, let n): return "p=\(f(p)) n=\(n)"
        case .zipf(let n, let s): return "n=\(n) s=\(f(s))"
        case .empirical(let h): return "\(h.weights.count) bins from \(h.source)"
        }
    }
}
