/// Where something is in a scenario file.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// A scenario file the tool cannot use: where, which key, what was found, what is allowed.
///
/// Printed as `file:line:column: key: found …; allowed: …`, the form compilers use, so editors
/// can jump to it.
public struct ScenarioError: Error, Equatable, Sendable, CustomStringConvertible {
    public var location: SourceLocation
    /// The key's path, e.g. `workloads.devtest.clones.dev.count`.
    public var key: String
    public var found: String
    public var allowed: String

    public init(_ location: SourceLocation, key: String, found: String, allowed: String) {
        self.location = location
        self.key = key
        self.found = found
        self.allowed = allowed
    }

    public var description: String {
        "\(location): \(key.isEmpty ? "(document)" : key): found \(found); allowed: \(allowed)"
    }
}

/// The closest of `candidates` to `word` when it is close enough to be a typo — one edit, or
/// two in a word of five letters or more — for "did you mean" hints.
public func closestMatch(to word: String, in candidates: [String]) -> String? {
    let best = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }.min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
    guard let (candidate, distance) = best, distance <= (word.count >= 5 ? 2 : 1) else { return nil }
    return candidate
}

/// Levenshtein distance.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
