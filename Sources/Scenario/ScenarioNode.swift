import BlockModel
import Engine
import Stochastic
import Yams

/// A YAML node of a scenario file with its file, position and key path, and readers that turn
/// it into typed values or a `ScenarioError` that says exactly what is wrong where.
///
/// The scenario layer reads only through these, so every message has the same shape.
public struct ScenarioNode {
    public let node: Node
    public let file: String
    /// Dotted path of keys from the document root.
    public let path: String
    /// Where fitted distributions are noted while a file is read.
    var log: CalibrationLog? = nil

    /// Parses a whole file's text.
    /// - Throws: `ScenarioError` for YAML syntax errors (with their position) and empty files.
    public static func parse(_ text: String, file: String) throws(ScenarioError) -> ScenarioNode {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ScenarioError(SourceLocation(file: file, line: 1, column: 1), key: "", found: "an empty file",
                                    allowed: "a YAML mapping of scenario keys")
            }
            return ScenarioNode(node: node, file: file, path: "")
        } catch let error as ScenarioError {
            throw error
        } catch let error as YamlError {
            throw ScenarioNode.syntaxError(error, file: file, text: text)
        } catch {
            throw ScenarioError(SourceLocation(file: file, line: 1, column: 1), key: "", found: "\(error)", allowed: "valid YAML")
        }
    }

    static func syntaxError(_ error: YamlError, file: String, text: String) -> ScenarioError {
        switch error {
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Yams gives the mapping's position; the keys of a block mapping start in its
            // column, so the second line with `key:` there is the repeated one.
            var line = context.mark.line, column = context.mark.column
            if let key = duplicates.first {
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                let hits = lines.indices.dropFirst(max(0, context.mark.line - 1)).filter { i in
                    let l = lines[i]
                    return l.count >= column - 1 && l.dropFirst(column - 1).hasPrefix("\(key):")
                }
                if hits.count > 1 { line = hits[1] + 1 }
            }
            return ScenarioError(SourceLocation(file: file, line: line, column: column),
                                 key: duplicates.first ?? "", found: "\(duplicates.map { "'\($0)'" }.joined(separator: ", ")) more than once in one mapping",
                                 allowed: "each key once")
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            return ScenarioError(SourceLocation(file: file, line: mark.line, column: mark.column), key: "",
                                 found: "invalid YAML (\(what))", allowed: "valid YAML")
        default:
            return ScenarioError(SourceLocation(file: file, line: 1, column: 1), key: "", found: "invalid YAML (\(error))",
                                 allowed: "valid YAML")
        }
    }

    public var location: SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    /// An error about this node.
    public func error(found: String, allowed: String) -> ScenarioError {
        ScenarioError(location, key: path, found: found, allowed: allowed)
    }

    /// How the node reads in a message: a scalar quoted, otherwise its kind.
    public var shown: String {
        switch node {
        case .scalar(let s): "'\(s.string)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    func child(_ node: Node, key: String) -> ScenarioNode {
        ScenarioNode(node: node, file: file, path: path.isEmpty ? key : "\(path).\(key)", log: log)
    }

    // MARK: Structure

    /// The entries of a mapping, in file order, each checked against `allowed` keys (with a
    /// did-you-mean hint for a near miss). Duplicate keys never get here: parsing refuses them.
    public func mapping(allowed: [String]) throws(ScenarioError) -> [(key: String, value: ScenarioNode)] {
        guard case .mapping(let mapping) = node else { throw error(found: shown, allowed: "a mapping with keys \(allowed.joined(separator: ", "))") }
        var out: [(String, ScenarioNode)] = []
        for (k, v) in mapping {
            let key = k.string ?? ""
            let keyNode = ScenarioNode(node: k, file: file, path: path.isEmpty ? key : "\(path).\(key)")
            guard allowed.contains(key) else {
                let hint = closestMatch(to: key, in: allowed).map { " (did you mean '\($0)'?)" } ?? ""
                throw keyNode.error(found: "unknown key '\(key)'\(hint)", allowed: allowed.joined(separator: ", "))
            }
            out.append((key, child(v, key: key)))
        }
        return out
    }

    /// A mapping whose keys are names the user chooses (volumes, clone groups), in file order.
    public func namedEntries() throws(ScenarioError) -> [(name: String, value: ScenarioNode)] {
        guard case .mapping(let mapping) = node else { throw error(found: shown, allowed: "a mapping of names to entries") }
        var out: [(String, ScenarioNode)] = []
        for (k, v) in mapping {
            let name = k.string ?? ""
            out.append((name, child(v, key: name)))
        }
        return out
    }

    /// The items of a list.
    public func list() throws(ScenarioError) -> [ScenarioNode] {
        guard case .sequence(let seq) = node else { throw error(found: shown, allowed: "a list") }
        return seq.enumerated().map { child($0.element, key: "\($0.offset)") }
    }

    // MARK: Scalars

    public func string() throws(ScenarioError) -> String {
        guard case .scalar(let s) = node else { throw error(found: shown, allowed: "a text value") }
        return s.string
    }

    public func bool() throws(ScenarioError) -> Bool {
        switch try string().lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(found: shown, allowed: "true or false")
        }
    }

    public func integer(in range: ClosedRange<Int>) throws(ScenarioError) -> Int {
        guard let v = Int(try string()), range.contains(v) else {
            throw error(found: shown, allowed: "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return v
    }

    /// A positive size, in bytes.
    public func bytes() throws(ScenarioError) -> Int {
        guard let v = Units.bytes(try string()), v > 0 else { throw error(found: shown, allowed: "a positive size: \(Units.sizeHelp)") }
        return v
    }

    /// A positive duration.
    public func duration() throws(ScenarioError) -> SimTime {
        guard let s = Units.seconds(try string()), s > 0 else {
            throw error(found: shown, allowed: "a positive duration: \(Units.durationHelp)")
        }
        return SimTime(nanoseconds: Int64((s * 1e9).rounded()))
    }

    /// A percentage in `range` (fractions: 0...1 is 0%...100%).
    public func fraction(in range: ClosedRange<Double> = 0...1) throws(ScenarioError) -> Double {
        guard let f = Units.fraction(try string()), range.contains(f) else {
            // Plain decimal text, not `formatted()`: messages must not depend on the locale.
            func percent(_ x: Double) -> String {
                let p = x * 100
                return p == p.rounded() ? String(Int(p)) : String(p)
            }
            throw error(found: shown, allowed: "\(Units.percentHelp) from \(percent(range.lowerBound))% to \(percent(range.upperBound))%")
        }
        return f
    }

    /// A percentage in `range`, exactly as written (`7%` is 7/100, `0.4%` is 4/1000): for
    /// fixed shares of block counts, which are rounded on integers (see `Ratio`).
    public func ratio(in range: ClosedRange<Ratio>) throws(ScenarioError) -> Ratio {
        guard let r = Units.ratio(try string()), range.contains(r) else {
            throw error(found: shown, allowed: "\(Units.percentHelp) from \(range.lowerBound.percentText) to \(range.upperBound.percentText)")
        }
        return r
    }

    /// What the values of a distribution measure, so `64KiB` or `3d` can be written with units.
    public enum Quantity: Sendable {
        /// Numbers and percentages.
        case plain
        /// Sizes: a number with a size unit is converted to bytes; a bare number is bytes.
        case bytes
        /// Durations: a number with a duration unit is converted to seconds; a bare number is seconds.
        case seconds

        func convert(_ text: String) -> String {
            switch self {
            case .plain: text
            case .bytes: Units.bytes(text).map { String($0) } ?? text
            case .seconds: Units.seconds(text).map { String($0) } ?? text
            }
        }

        var help: String {
            switch self {
            case .plain: "a number, a percentage, or a mapping with 'distribution' and its parameters"
            case .bytes: "a size (\(Units.sizeHelp)), or a mapping with 'distribution' and its parameters in bytes or with size units"
            case .seconds: "a duration (\(Units.durationHelp)), or a mapping with 'distribution' and its parameters in seconds or with duration units"
            }
        }
    }

    /// A distribution: either a single value (a constant), or a mapping
    /// `{ distribution: NAME, PARAM: VALUE, ..., min:, max: }` with the parameters exactly as
    /// `clonesim sample` takes them (values may carry units of `quantity`). Errors from the
    /// distribution keep this node's location, or the offending parameter's.
    public func distribution(of quantity: Quantity = .plain) throws(ScenarioError) -> (Distribution, Truncation) {
        if case .scalar(let s) = node {
            let text = s.string
            let value: Double? = switch quantity {
            case .plain: Units.fraction(text) ?? Double(text)
            case .bytes: Units.bytes(text).map(Double.init)
            case .seconds: Units.seconds(text) ?? Double(text)
            }
            guard let value, value.isFinite else { throw error(found: shown, allowed: quantity.help) }
            return (.constant(value: value), Truncation())
        }
        guard case .mapping(let mapping) = node else { throw error(found: shown, allowed: quantity.help) }
        var name: String?
        var parameters: [(name: String, value: String)] = []
        var lower: String?, upper: String?
        for (k, v) in mapping {
            let key = k.string ?? ""
            let entry = child(v, key: key)
            let value = try entry.string()
            switch key {
            case "distribution": name = value
            case "file": parameters.append((key, value))
            case "min": lower = quantity.convert(value)
            case "max": upper = quantity.convert(value)
            default: parameters.append((key, quantity.convert(value)))
            }
        }
        if name == "fit" { return try fitted(parameters, lower: lower, upper: upper, quantity: quantity) }
        let names = Distribution.catalogue.map(\.name) + ["fit"]
        guard let name else {
            throw error(found: "no 'distribution' key", allowed: "distribution: one of \(names.joined(separator: ", "))")
        }
        if !names.contains(name), let (k, v) = mapping.first(where: { $0.0.string == "distribution" }) {
            let hint = closestMatch(to: name, in: names).map { " (did you mean '\($0)'?)" } ?? ""
            throw ScenarioNode(node: k, file: file, path: path).child(v, key: "distribution")
                .error(found: "unknown distribution '\(name)'\(hint)", allowed: names.joined(separator: ", "))
        }
        do {
            let distribution = try Distribution.make(name, parameters: parameters)
            let truncation = try Truncation.parse(name, min: lower, max: upper)
            _ = try Sampler(distribution, truncation: truncation)  // validates the truncation
            return (distribution, truncation)
        } catch {
            // Point at the offending parameter when there is one.
            let at: ScenarioNode = {
                guard let p = error.parameter else { return self }
                for (k, v) in mapping where k.string == p { return child(v, key: p) }
                return self
            }()
            // The message's own "; allowed: ..." becomes the error's allowed part.
            let found = error.description.components(separatedBy: "; allowed: ").first ?? error.description
            throw ScenarioError(at.location, key: at.path, found: found, allowed: error.allowed)
        }
    }
}
