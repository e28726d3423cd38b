import Foundation
import Testing

struct SampleCommandTests {
    /// The value on the summary line `label  value`.
    func value(_ label: String, in output: String) -> Double? {
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count == 2, parts[0] == label { return Double(parts[1]) }
        }
        return nil
    }

    @Test func lognormalChangeRateExampleFromTheIssue() throws {
        let args = ["sample", "lognormal", "--mean", "0.02", "--sd", "0.01", "-n", "200000", "--seed", "7"]
        let first = try CLI.run(args)
        #expect(first.status == 0, "\(first.stderr)")
        let mean = try #require(value("mean", in: first.stdout))
        #expect(abs(mean - 0.02) / 0.02 < 0.01)
        let sd = try #require(value("sd", in: first.stdout))
        #expect(abs(sd - 0.01) / 0.01 < 0.02)
        for label in ["count", "min", "P5", "P50", "P95", "P99", "max"] {
            #expect(value(label, in: first.stdout) != nil, "no \(label) line")
        }
        #expect(value("count", in: first.stdout) == 200_000)
        // A 20-bin text histogram follows the summary.
        #expect(first.stdout.split(separator: "\n").filter { $0.hasPrefix("[") }.count == 20)
        let second = try CLI.run(args)
        #expect(second.stdout == first.stdout)
    }

    @Test func differentSeedsDiffer() throws {
        let a = try CLI.run(["sample", "gamma", "--a", "2", "--b", "1", "-n", "5", "--seed", "1", "--csv"])
        let b = try CLI.run(["sample", "gamma", "--a", "2", "--b", "1", "-n", "5", "--seed", "2", "--csv"])
        #expect(a.status == 0 && b.status == 0)
        #expect(a.stdout != b.stdout)
    }

    @Test func csvPrintsTheRawDraws() throws {
        let r = try CLI.run(["sample", "binomial", "--p", "0.5", "--n", "10", "-n", "1000", "--seed", "3", "--csv"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first == "value")
        #expect(lines.count == 1001)
        let draws = lines.dropFirst().compactMap { Double($0) }
        #expect(draws.count == 1000)
        #expect(draws.allSatisfy { $0 >= 0 && $0 <= 10 && $0 == $0.rounded() })
    }

    @Test func truncationIsApplied() throws {
        let r = try CLI.run(["sample", "normal", "--mean", "1%", "--sd", "2%", "--min", "0", "--max", "100%",
                             "-n", "2000", "--csv"])
        #expect(r.status == 0, "\(r.stderr)")
        let draws = r.stdout.split(separator: "\n").dropFirst().compactMap { Double($0) }
        #expect(draws.count == 2000 && draws.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test func helpListsEveryDistributionAndItsParameters() throws {
        let sample = try CLI.run(["sample", "--help"])
        let root = try CLI.run(["--help"])
        for name in ["constant", "uniform", "normal", "lognormal", "gamma", "beta", "weibull", "pareto",
                     "exponential", "poisson", "binomial", "zipf", "empirical"] {
            #expect(sample.stdout.contains("  \(name) "), "sample --help lacks \(name)")
            #expect(root.stdout.contains("  \(name) "), "--help lacks \(name)")
        }
        #expect(sample.stdout.contains("--zeta ZETA --sigma SIGMA | --mean MEAN --sd SD"))
        #expect(sample.stdout.contains("--p P --n N"))
        #expect(sample.stdout.contains("--file FILE"))
    }

    /// Every bad input: exit code 1, nothing on stdout, the exact one-line message on stderr.
    @Test(arguments: [
        (["sample", "lognorm", "-n", "10"],
         "Error: unknown distribution 'lognorm'; allowed: constant, uniform, normal, lognormal, gamma, beta, weibull, pareto, exponential, poisson, binomial, zipf, empirical"),
        (["sample", "lognormal", "--mean", "0.02", "-n", "10"],
         "Error: lognormal: missing parameter 'sd'; allowed: --zeta ZETA --sigma SIGMA, or --mean MEAN --sd SD"),
        (["sample", "lognormal", "--mean", "0.02", "--sd", "0.01", "--p", "0.3", "-n", "10"],
         "Error: lognormal: unexpected parameter 'p' = 0.3; allowed: --zeta ZETA --sigma SIGMA, or --mean MEAN --sd SD"),
        (["sample", "normal", "--mean", "1", "--sd", "0", "-n", "10"],
         "Error: normal: 'sd' = 0 is out of range; allowed: sd > 0"),
        (["sample", "beta", "--a", "-1", "--b", "2", "-n", "10"],
         "Error: beta: 'a' = -1 is out of range; allowed: a > 0"),
        (["sample", "binomial", "--p", "1.5", "--n", "4", "-n", "10"],
         "Error: binomial: 'p' = 1.5 is out of range; allowed: 0 <= p <= 1"),
        (["sample", "lognormal", "--mean", "2", "--sd", "1", "--min", "0", "--max", "1", "-n", "10"],
         "Error: lognormal: truncation [0.0, 1.0] is not usable; allowed: a range that contains the mean 2.0"),
        (["sample", "normal", "--mean", "1", "--sd", "1", "-n", "0"],
         "Error: -n/--count = 0 is out of range; allowed: a whole number >= 1"),
        (["sample", "normal", "--mean", "1", "--sd", "1", "-n", "-5"],
         "Error: -n/--count = -5 is out of range; allowed: a whole number >= 1"),
        (["sample", "empirical", "--file", "/nonexistent/rates.csv", "-n", "10"],
         "Error: /nonexistent/rates.csv: no such file; allowed: a readable CSV file of lines 'lower,upper,weight'"),
        (["sample", "normal", "--mean", "1", "--sd", "1", "--rng", "mt1993", "-n", "10"],
         "Error: unknown random number generator 'mt1993'; allowed: a GSL generator name such as mt19937, ranlxd2, taus2 (see `gsl_rng_types_setup`)"),
    ])
    func badInput(_ arguments: [String], _ message: String) throws {
        let r = try CLI.run(arguments)
        #expect(r.status != 0)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.split(separator: "\n").first.map(String.init) == message, "\(r.stderr)")
    }

    @Test func emptyAndNonIncreasingHistogramFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clonesim-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "".write(to: dir.appendingPathComponent("empty.csv"), atomically: true, encoding: .utf8)
        try "0,0.01,4\n0.01,0.005,1\n".write(to: dir.appendingPathComponent("bad.csv"), atomically: true, encoding: .utf8)
        let empty = try CLI.run(["sample", "empirical", "--file", "empty.csv", "-n", "5"], in: dir)
        #expect(empty.status != 0)
        #expect(empty.stderr.hasPrefix("Error: empty.csv: file has no bins; allowed: at least one line 'lower,upper,weight'"))
        let bad = try CLI.run(["sample", "empirical", "--file", "bad.csv", "-n", "5"], in: dir)
        #expect(bad.status != 0)
        #expect(bad.stderr.hasPrefix("Error: bad.csv: line 2 has edges 0.01 .. 0.005, not increasing; allowed: strictly increasing edges"))
    }
}
