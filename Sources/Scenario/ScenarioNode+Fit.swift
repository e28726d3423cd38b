import Foundation
import Stochastic
import Workloads

/// Fitted distributions noted while a scenario file is read, for its report.
final class CalibrationLog {
    var items: [Calibration] = []
}

extension ScenarioNode {
    /// `{ distribution: fit, file: CSV, column: NAME, family: lognormal, of: SIZE }`: the
    /// family (or `empirical`) fitted to one column of measured values, each divided by `of`
    /// when given (daily changed bytes become a change rate of a data set of that size).
    func fitted(_ parameters: [(name: String, value: String)], lower: String?, upper: String?,
                quantity: Quantity) throws(ScenarioError) -> (Distribution, Truncation) {
        let allowed = ["file", "column", "family", "of"]
        if let extra = parameters.first(where: { !allowed.contains($0.name) }) {
            throw error(found: "parameter '\(extra.name)' of a fit", allowed: allowed.joined(separator: ", ") + ", min, max")
        }
        func value(_ name: String) -> String? { parameters.first { $0.name == name }?.value }
        guard let file = value("file") else { throw error(found: "a fit without 'file'", allowed: "file: a CSV of measured values") }
        let familyName = value("family") ?? "lognormal"
        guard let family = Fit.Family(rawValue: familyName) else {
            throw error(found: "family '\(familyName)'", allowed: Fit.Family.allCases.map(\.rawValue).joined(separator: ", "))
        }
        var scale = 1.0
        if let of = value("of") {
            guard let bytes = Units.bytes(of), bytes > 0 else { throw error(found: "of: \(of)", allowed: "a size such as 2TiB") }
            scale = Double(bytes)
        }
        // A relative path is read next to the scenario file.
        let here = (self.file as NSString).deletingLastPathComponent
        let path = file.hasPrefix("/") || here.isEmpty ? file : (here as NSString).appendingPathComponent(file)
        let fit: Fit
        do {
            let raw = try Fit.samples(csv: path, named: file, column: value("column"))
            fit = try Fit.make(family, raw, scale: scale, source: file)
        } catch {
            let found = error.description.components(separatedBy: "; allowed: ").first ?? error.description
            throw self.error(found: found, allowed: error.allowed)
        }
        let truncation: Truncation
        do {
            truncation = try Truncation.parse(family == .empirical ? "empirical" : family.rawValue, min: lower.map(quantity.convert) ?? lower,
                                              max: upper.map(quantity.convert) ?? upper)
            _ = try Sampler(fit.distribution, truncation: truncation)
        } catch {
            throw self.error(found: error.description.components(separatedBy: "; allowed: ").first ?? error.description, allowed: error.allowed)
        }
        log?.items.append(Calibration(key: self.path, file: file, column: value("column") ?? "(first)",
                                      family: family.rawValue, samples: fit.samples, parameters: Self.parameterText(fit.distribution),
                                      ksD: fit.ksD, ksP: fit.ksP))
        return (fit.distribution, truncation)
    }

    static func parameterText(_ d: Distribution) -> String {
        func f(_ x: Double) -> String { String(format: "%.6g", x) }
        switch d {
        case .lognormal(let zeta, let sigma): return "zeta = \(f(zeta)), sigma = \(f(sigma))"
        case .normal(let mu, let sigma): return "mu = \(f(mu)), sigma = \(f(sigma))"
        case .gamma(let a, let b): return "a = \(f(a)), b = \(f(b))"
        case .exponential(let mu): return "mu = \(f(mu))"
        case .empirical(let h): return "\(h.weights.count) bins from \(f(h.edges.first!)) to \(f(h.edges.last!))"
        default: return "\(d)"
        }
    }
}
