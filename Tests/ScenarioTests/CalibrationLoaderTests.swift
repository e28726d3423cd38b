import Foundation
import Stochastic
import Testing
@testable import Scenario
@testable import Workloads

/// `distribution: fit`: measured values next to the scenario file, fitted where a distribution
/// goes, noted for the report; and each refusal at its key.
struct CalibrationLoaderTests {
    static let fitRate = "    change: { rate: { distribution: fit, file: transfers.csv, column: bytes, family: lognormal, of: 100GB } }"

    func load(_ edits: [(String, String)], csv: String = "day,bytes\n1,1000000000\n2,3000000000\n3,2000000000\n4,2500000000\n") throws(ScenarioError) -> ScenarioSpec {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fit-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try? csv.write(to: folder.appendingPathComponent("transfers.csv"), atomically: true, encoding: .utf8)
        var text = validScenario
        for (old, new) in edits { text = text.replacingOccurrences(of: old, with: new) }
        let path = folder.appendingPathComponent("s.yaml").path
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
        return try ScenarioLoader.load(path: path)
    }

    /// 1, 3, 2 and 2.5 GB a day of a 100 GB data set: rates 1%, 3%, 2%, 2.5%; the lognormal
    /// fit is the mean and deviation of their logarithms.
    @Test func aRateFittedToDailyTransfers() throws {
        let spec = try load([("    change: 1%", Self.fitRate)])
        guard case .vdi(let v) = spec.workloads[1].kind, case .lognormal(let zeta, let sigma) = v.change?.rate.distribution else {
            Issue.record("no lognormal rate")
            return
        }
        let logs = [0.01, 0.03, 0.02, 0.025].map { log($0) }
        let mean = logs.reduce(0, +) / 4
        let sd = (logs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 4).squareRoot()
        #expect(abs(zeta - mean) < 1e-12 && abs(sigma - sd) < 1e-12)
        let c = try #require(spec.calibrations.first)
        #expect(spec.calibrations.count == 1 && c.key == "workloads.desktops.change.rate" && c.file == "transfers.csv" && c.column == "bytes")
        #expect(c.family == "lognormal" && c.samples == 4 && c.ksD != nil && c.parameters == "zeta = -3.92816, sigma = 0.416415")
    }

    @Test func refusals() {
        func problem(_ edits: [(String, String)], csv: String? = nil) -> String {
            do throws(ScenarioError) {
                if let csv { _ = try load(edits, csv: csv) } else { _ = try load(edits) }
                return "no error"
            } catch { return error.description }
        }
        #expect(problem([("    change: 1%", Self.fitRate.replacingOccurrences(of: "column: bytes", with: "column: size"))])
            .hasSuffix("workloads.desktops.change.rate: found transfers.csv: no column 'size'; allowed: day, bytes"))
        #expect(problem([("    change: 1%", Self.fitRate.replacingOccurrences(of: "family: lognormal", with: "family: cauchy"))])
            .contains("found family 'cauchy'; allowed: lognormal, normal, gamma, exponential, empirical"))
        #expect(problem([("    change: 1%", Self.fitRate)], csv: "bytes\n5\n-1\n").hasSuffix("found transfers.csv: the value -1.0; allowed: values > 0 for a lognormal fit"))
    }
}
