import Foundation
import Testing
@testable import Stochastic

struct TruncationTests {
    @Test func truncatedDrawsStayInRangeAndFollowTheTruncatedCDF() throws {
        let dist = Distribution.normal(mu: 0.02, sigma: 0.03)
        let sampler = try Sampler(dist, truncation: .init(min: 0, max: 1))
        let draws = sampler.draws(100_000, from: RandomStream(seed: 8))
        #expect(draws.allSatisfy { $0 >= 0 && $0 <= 1 })
        let f0 = dist.cdf(0), f1 = dist.cdf(1)
        let truncatedCDF = { (x: Double) in (dist.cdf(x) - f0) / (f1 - f0) }
        #expect(Statistics.kolmogorovSmirnov(sorted: draws.sorted(), cdf: truncatedCDF).pValue > 0.001)
        #expect(abs(sampler.keptMass - (f1 - f0)) < 1e-15)
    }

    @Test func discreteTruncationCountsTheLowerAtom() throws {
        // poisson(2) restricted to [2, 3]: mass P(2) + P(3) = e^-2 (2 + 4/3).
        let sampler = try Sampler(.poisson(mu: 2), truncation: .init(min: 2, max: 3))
        #expect(abs(sampler.keptMass - exp(-2) * (2 + 4.0 / 3.0)) < 1e-12)
        let draws = sampler.draws(10_000, from: RandomStream(seed: 1))
        #expect(Set(draws) == [2, 3])
    }

    static func message(_ d: Distribution, _ t: Truncation) -> String {
        do { _ = try Sampler(d, truncation: t); return "no error" } catch { return error.description }
    }

    @Test func badTruncationMessages() {
        #expect(Self.message(.normal(mu: 5, sigma: 1), .init(min: 0, max: 1)) ==
                "normal: truncation [0.0, 1.0] is not usable; allowed: a range that contains the mean 5.0")
        #expect(Self.message(.normal(mu: 0, sigma: 1), .init(min: 1, max: 1)) ==
                "normal: truncation [1.0, 1.0] is not usable; allowed: min < max")
        #expect(Self.message(.normal(mu: 0, sigma: 1), .init(min: -0.0001, max: 0.0001)).hasPrefix(
                "normal: truncation [-0.0001, 0.0001] is not usable; allowed: a range holding at least 0.1% of the probability (this one holds 0.00797"))
    }
}

struct EmpiricalFileTests {
    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("clonesim-hist-\(UUID().uuidString).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func message(_ path: String) -> String {
        do { _ = try Distribution.make("empirical", parameters: [("file", path)]); return "no error" } catch {
            return error.description.replacingOccurrences(of: path, with: "FILE")
        }
    }

    @Test func readsAHistogramWithHeaderAndComments() throws {
        let path = try write("# daily change, fraction\nlower,upper,weight\n0,0.01,5\n0.01,0.02,3\n0.02,0.05,2\n")
        let d = try Distribution.make("empirical", parameters: [("file", path)])
        guard case .empirical(let h) = d else { Issue.record("not empirical"); return }
        #expect(h.edges == [0, 0.01, 0.02, 0.05])
        #expect(h.weights == [5, 3, 2])
    }

    @Test func badFiles() throws {
        #expect(message("/nonexistent/h.csv").replacingOccurrences(of: "FILE", with: "/nonexistent/h.csv") ==
                "/nonexistent/h.csv: no such file; allowed: a readable CSV file of lines 'lower,upper,weight'")
        #expect(message(try write("")) == "FILE: file has no bins; allowed: at least one line 'lower,upper,weight'")
        #expect(message(try write("lower,upper,weight\n")) ==
                "FILE: file has no bins; allowed: at least one line 'lower,upper,weight'")
        #expect(message(try write("0,1,1\n1,0.5,1\n")) ==
                "FILE: line 2 has edges 1.0 .. 0.5, not increasing; allowed: strictly increasing edges")
        #expect(message(try write("0,1,1\n2,3,1\n")) ==
                "FILE: line 2 starts at 2.0 but the previous bin ends at 1.0; allowed: contiguous bins: each lower edge equal to the previous upper edge")
        #expect(message(try write("0,1,1\n1,2,x\n")) ==
                "FILE: line 2 is '1,2,x'; allowed: three numbers 'lower,upper,weight'")
        #expect(message(try write("0,1,-1\n")) == "FILE: bin 1 has weight -1.0; allowed: finite weights >= 0")
        #expect(message(try write("0,1,0\n")) == "FILE: all weights are 0; allowed: a positive total weight")
    }
}
