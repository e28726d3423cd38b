/// The entries of one mapping, checked against its allowed keys, with readers that say which
/// required key is missing.
struct Fields {
    let node: ScenarioNode
    private let entries: [(key: String, value: ScenarioNode)]

    init(_ node: ScenarioNode, allowed: [String]) throws(ScenarioError) {
        self.node = node
        entries = try node.mapping(allowed: allowed)
    }

    subscript(_ key: String) -> ScenarioNode? { entries.first { $0.key == key }?.value }

    func required(_ key: String, _ allowed: String) throws(ScenarioError) -> ScenarioNode {
        guard let value = self[key] else {
            throw ScenarioError(node.location, key: node.path.isEmpty ? key : "\(node.path).\(key)", found: "no '\(key)'",
                                allowed: allowed)
        }
        return value
    }

    /// A value from a fixed set of words.
    static func choice<T: RawRepresentable & CaseIterable>(_ node: ScenarioNode, _: T.Type) throws(ScenarioError) -> T
    where T.RawValue == String {
        let text = try node.string()
        if let value = T(rawValue: text) { return value }
        let names = T.allCases.map(\.rawValue)
        let hint = closestMatch(to: text, in: names).map { " (did you mean '\($0)'?)" } ?? ""
        throw node.error(found: "\(node.shown)\(hint)", allowed: names.joined(separator: ", "))
    }
}
