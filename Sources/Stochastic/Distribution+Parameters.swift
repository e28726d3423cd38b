import CGSL
import Foundation

/// Building a `Distribution` from named parameters, as the command line and scenario files
/// give them, with mean/standard-deviation forms converted to GSL's parameters.
///
/// Conversions (tested as round trips in `DistributionParameterTests`):
///
/// | distribution | from mean m and sd s |
/// |---|---|
/// | normal      | mu = m, sigma = s |
/// | lognormal   | sigma² = ln(1 + s²/m²), zeta = ln m − sigma²/2 |
/// | gamma       | shape a = m²/s², scale b = s²/m |
/// | beta        | nu = m(1−m)/s² − 1, a = m·nu, b = (1−m)·nu (needs 0 < m < 1, s² < m(1−m)) |
/// | weibull     | shape b solves Γ(1+2/b)/Γ(1+1/b)² − 1 = (s/m)² (bisection), scale a = m/Γ(1+1/b) |
/// | pareto      | shape a = 1 + √(1 + m²/s²), scale b = m(a−1)/a (so a > 2: finite variance) |
/// | exponential, poisson | mu = m |
extension Distribution {
    /// One accepted way to give a distribution's parameters.
    public struct Form: Sendable {
        public let names: [String]
        public var usage: String { names.map { "--\($0) \($0.uppercased())" }.joined(separator: " ") }
    }

    /// What the command line and the docs list for one distribution.
    public struct CatalogueEntry: Sendable {
        public let name: String
        public let forms: [Form]
        public let summary: String
    }

    /// Every distribution, with its parameter forms, in the order the help text lists them.
    public static let catalogue: [CatalogueEntry] = [
        .init(name: "constant", forms: [.init(names: ["value"])], summary: "always VALUE"),
        .init(name: "uniform", forms: [.init(names: ["a", "b"])], summary: "uniform on [a, b)"),
        .init(name: "normal", forms: [.init(names: ["mu", "sigma"]), .init(names: ["mean", "sd"])],
              summary: "Gaussian"),
        .init(name: "lognormal", forms: [.init(names: ["zeta", "sigma"]), .init(names: ["mean", "sd"])],
              summary: "exp(normal(zeta, sigma)); mean/sd are of the lognormal itself"),
        .init(name: "gamma", forms: [.init(names: ["a", "b"]), .init(names: ["mean", "sd"])],
              summary: "shape a, scale b"),
        .init(name: "beta", forms: [.init(names: ["a", "b"]), .init(names: ["mean", "sd"])],
              summary: "on [0, 1]; mean in (0, 1), sd² < mean(1 − mean)"),
        .init(name: "weibull", forms: [.init(names: ["a", "b"]), .init(names: ["mean", "sd"])],
              summary: "scale a, shape b"),
        .init(name: "pareto", forms: [.init(names: ["a", "b"]), .init(names: ["mean", "sd"])],
              summary: "shape a, minimum b"),
        .init(name: "exponential", forms: [.init(names: ["mu"]), .init(names: ["mean"])], summary: "mean mu"),
        .init(name: "poisson", forms: [.init(names: ["mu"]), .init(names: ["mean"])], summary: "mean mu"),
        .init(name: "binomial", forms: [.init(names: ["p", "n"])], summary: "successes in n trials of probability p"),
        .init(name: "zipf", forms: [.init(names: ["n", "s"])],
              summary: "popularity rank 1...n, weight 1/k^s (gsl_ran_discrete)"),
        .init(name: "empirical", forms: [.init(names: ["file"])],
              summary: "histogram CSV of lines 'lower,upper,weight', contiguous bins"),
    ]

    /// The largest zipf population: the alias table costs about 16 bytes per item.
    public static let maxZipfItems = 50_000_000

    /// Builds a distribution from `name` and `(parameter, value)` pairs as the user wrote them.
    /// Numbers may carry a `%` suffix (`2%` is 0.02).
    ///
    /// - Throws: `DistributionError` naming the distribution, the parameter, the value given and
    ///   what is allowed.
    public static func make(_ name: String, parameters: [(name: String, value: String)]) throws(DistributionError) -> Distribution {
        guard let entry = catalogue.first(where: { $0.name == name }) else {
            throw DistributionError(subject: name, parameter: nil, found: "'\(name)'",
                                    allowed: catalogue.map(\.name).joined(separator: ", "),
                                    problem: .unknownDistribution)
        }
        let formsText = entry.forms.map(\.usage).joined(separator: ", or ")
        let given = parameters.map(\.name)
        let known = Set(entry.forms.flatMap(\.names))
        if let extra = parameters.first(where: { !known.contains($0.name) }) {
            throw DistributionError(subject: name, parameter: extra.name, found: extra.value,
                                    allowed: formsText, problem: .unexpectedParameter)
        }
        // The form that shares most names with what was given; the first one on a tie.
        let form = entry.forms.max { a, b in
            Set(a.names).intersection(given).count < Set(b.names).intersection(given).count
        } ?? entry.forms[0]
        if let stray = given.first(where: { !form.names.contains($0) }) {
            throw DistributionError(subject: name, parameter: stray,
                                    found: given.map { "'\($0)'" }.joined(separator: ", "),
                                    allowed: formsText, problem: .mixedForms)
        }
        if let missing = form.names.first(where: { !given.contains($0) }) {
            throw DistributionError(subject: name, parameter: missing, found: "", allowed: formsText,
                                    problem: .missingParameter)
        }
        var values: [String: String] = [:]
        for p in parameters { values[p.name] = p.value }
        let reader = ParameterReader(distribution: name, values: values)
        return try reader.build(form: form.names)
    }
}

/// Reads and range-checks one distribution's parameter values.
struct ParameterReader {
    let distribution: String
    let values: [String: String]

    func refuse(_ parameter: String, _ allowed: String) -> DistributionError {
        DistributionError(subject: distribution, parameter: parameter, found: values[parameter] ?? "",
                          allowed: allowed, problem: .outOfRange)
    }

    /// A finite number; `%` divides by 100.
    func number(_ parameter: String) throws(DistributionError) -> Double {
        let text = (values[parameter] ?? "").trimmingCharacters(in: .whitespaces)
        let parsed: Double? =
            text.hasSuffix("%") ? Double(text.dropLast()).map { $0 / 100 } : Double(text)
        guard let value = parsed, value.isFinite else {
            throw DistributionError(subject: distribution, parameter: parameter, found: "'\(text)'",
                                    allowed: "a finite number such as 0.02 or 2%", problem: .notANumber)
        }
        return value
    }

    func positive(_ parameter: String) throws(DistributionError) -> Double {
        let v = try number(parameter)
        guard v > 0 else { throw refuse(parameter, "\(parameter) > 0") }
        return v
    }

    func integer(_ parameter: String, in range: ClosedRange<Int>) throws(DistributionError) -> Int {
        let v = try number(parameter)
        guard v == v.rounded(), v >= Double(range.lowerBound), v <= Double(range.upperBound) else {
            throw refuse(parameter, "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(v)
    }

    func build(form: [String]) throws(DistributionError) -> Distribution {
        let byMoments = form == ["mean", "sd"]
        switch distribution {
        case "constant":
            return .constant(value: try number("value"))
        case "uniform":
            let a = try number("a"), b = try number("b")
            guard b > a else { throw refuse("b", "b > a = \(a)") }
            return .uniform(a: a, b: b)
        case "normal":
            if byMoments { return .normal(mu: try number("mean"), sigma: try positive("sd")) }
            return .normal(mu: try number("mu"), sigma: try positive("sigma"))
        case "lognormal":
            if byMoments {
                let m = try positive("mean"), s = try positive("sd")
                let s2 = log1p((s * s) / (m * m))
                return .lognormal(zeta: log(m) - s2 / 2, sigma: s2.squareRoot())
            }
            return .lognormal(zeta: try number("zeta"), sigma: try positive("sigma"))
        case "gamma":
            if byMoments {
                let m = try positive("mean"), s = try positive("sd")
                return .gamma(a: m * m / (s * s), b: s * s / m)
            }
            return .gamma(a: try positive("a"), b: try positive("b"))
        case "beta":
            if byMoments {
                let m = try number("mean")
                guard m > 0, m < 1 else { throw refuse("mean", "0 < mean < 1") }
                let s = try positive("sd")
                let limit = (m * (1 - m)).squareRoot()
                guard s < limit else { throw refuse("sd", "0 < sd < sqrt(mean(1 - mean)) = \(limit)") }
                let nu = m * (1 - m) / (s * s) - 1
                return .beta(a: m * nu, b: (1 - m) * nu)
            }
            return .beta(a: try positive("a"), b: try positive("b"))
        case "weibull":
            if byMoments {
                let m = try positive("mean"), s = try positive("sd")
                guard let shape = Self.weibullShape(cv: s / m) else {
                    let lo = Self.weibullCV(Self.weibullShapeRange.upperBound)
                    let hi = Self.weibullCV(Self.weibullShapeRange.lowerBound)
                    throw refuse("sd", "sd/mean between \(lo) and \(hi)")
                }
                return .weibull(a: m / exp(gsl_sf_lngamma(1 + 1 / shape)), b: shape)
            }
            return .weibull(a: try positive("a"), b: try positive("b"))
        case "pareto":
            if byMoments {
                let m = try positive("mean"), s = try positive("sd")
                let a = 1 + (1 + (m * m) / (s * s)).squareRoot()
                return .pareto(a: a, b: m * (a - 1) / a)
            }
            return .pareto(a: try positive("a"), b: try positive("b"))
        case "exponential":
            return .exponential(mu: try positive(form[0]))
        case "poisson":
            return .poisson(mu: try positive(form[0]))
        case "binomial":
            let p = try number("p")
            guard p >= 0, p <= 1 else { throw refuse("p", "0 <= p <= 1") }
            return .binomial(p: p, n: UInt32(try integer("n", in: 1...Int(UInt32.max))))
        case "zipf":
            let n = try integer("n", in: 1...Distribution.maxZipfItems)
            let s = try number("s")
            guard s >= 0 else { throw refuse("s", "s >= 0 (0 gives equal popularity)") }
            return .zipf(n: n, s: s)
        case "empirical":
            return .empirical(try EmpiricalHistogram(contentsOfCSV: values["file"] ?? ""))
        default:
            // `make` only calls this for names in the catalogue.
            preconditionFailure("no builder for \(distribution)")
        }
    }

    /// Weibull shapes the mean/sd form can reach.
    static let weibullShapeRange: ClosedRange<Double> = 0.05...500

    /// Coefficient of variation of a Weibull with shape b.
    static func weibullCV(_ b: Double) -> Double {
        (exp(gsl_sf_lngamma(1 + 2 / b) - 2 * gsl_sf_lngamma(1 + 1 / b)) - 1).squareRoot()
    }

    /// The shape whose CV is `cv`, by bisection on log(shape): the CV falls as the shape grows.
    static func weibullShape(cv: Double) -> Double? {
        var lo = log(weibullShapeRange.lowerBound), hi = log(weibullShapeRange.upperBound)
        guard cv <= weibullCV(exp(lo)), cv >= weibullCV(exp(hi)) else { return nil }
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if weibullCV(exp(mid)) > cv { lo = mid } else { hi = mid }
        }
        return exp((lo + hi) / 2)
    }
}
