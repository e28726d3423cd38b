import Yams

/// A scenario key set to another value before the file is read: `KEY=VALUE` of
/// `clonesim plan --vary`, the key a dotted path from the top (`workloads.devtest.clones.dev.count`,
/// list items by number). The value is YAML (`6`, `10%`, `{ rate: 2%, every: 1d }`). A missing
/// last key is added; a missing key on the way is an error. The new value keeps the position of
/// the one it replaces, so a bad value is reported where the key is.
public struct Override: Sendable, Equatable {
    public var key: String
    public var value: String
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    func apply(to root: Node, file: String) throws(ScenarioError) -> Node {
        let value: Node
        do {
            guard let v = try Yams.compose(yaml: self.value) else { throw ScenarioError.override(self, file: file, found: "an empty value", allowed: "a YAML value") }
            value = v
        } catch let e as ScenarioError { throw e } catch {
            throw ScenarioError.override(self, file: file, found: "'\(self.value)', which is not valid YAML", allowed: "a YAML value")
        }
        return try set(Array(key.split(separator: ".").map(String.init)), in: root, to: value, file: file, done: [])
    }

    func set(_ path: [String], in node: Node, to value: Node, file: String, done: [String]) throws(ScenarioError) -> Node {
        guard let first = path.first else { return Self.moved(value, to: node.mark) }
        let here = done.isEmpty ? "the top level" : done.joined(separator: ".")
        switch node {
        case .mapping(var mapping):
            guard let child = mapping[first] else {
                guard path.count == 1 else {
                    let keys = mapping.keys.compactMap(\.string)
                    throw ScenarioError.override(self, file: file, found: "no key '\(first)' in \(here)", allowed: keys.joined(separator: ", "))
                }
                mapping[first] = Self.moved(value, to: node.mark)
                return .mapping(mapping)
            }
            mapping[first] = try set(Array(path.dropFirst()), in: child, to: value, file: file, done: done + [first])
            return .mapping(mapping)
        case .sequence(var sequence):
            guard let i = Int(first), sequence.indices.contains(i) else {
                throw ScenarioError.override(self, file: file, found: "'\(first)' in the list \(here)", allowed: "an item number from 0 to \(sequence.count - 1)")
            }
            sequence[i] = try set(Array(path.dropFirst()), in: sequence[i], to: value, file: file, done: done + [first])
            return .sequence(sequence)
        default:
            throw ScenarioError.override(self, file: file, found: "\(here) is a single value, with no key '\(first)'", allowed: "a path to a key of the scenario")
        }
    }

    /// The value with the position of what it replaces.
    static func moved(_ value: Node, to mark: Mark?) -> Node {
        guard case .scalar(let s) = value else { return value }
        return .scalar(Node.Scalar(s.string, s.tag, s.style, mark))
    }
}

extension ScenarioError {
    static func override(_ o: Override, file: String, found: String, allowed: String) -> ScenarioError {
        ScenarioError(SourceLocation(file: file, line: 1, column: 1), key: "--vary \(o.key)", found: found, allowed: allowed)
    }
}
