import Testing
@testable import Workloads
@testable import Reports

extension RunReportTests {
    /// A fitted distribution is listed with its data, parameters and KS test.
    @Test func calibrationSection() {
        var r = result()
        r.scenario.calibrations = [Calibration(key: "workloads.dev.change.rate", file: "transfers.csv", column: "bytes", family: "lognormal",
                                               samples: 90, parameters: "zeta = -3.9, sigma = 0.4", ksD: 0.0712, ksP: 0.7391)]
        let md = RunReport.markdown(r)
        #expect(table(md, after: "## Calibration input") == [
            ["`workloads.dev.change.rate`", "transfers.csv (bytes)", "90", "lognormal", "zeta = -3.9, sigma = 0.4", "0.0712", "0.7391"],
        ])
        #expect(!RunReport.markdown(result()).contains("## Calibration input"))
    }
}
