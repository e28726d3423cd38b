/// An exact non-negative rational number: the percentages a scenario states (7% dedup
/// metadata, 0.4% clone metadata, an 80% alert level, a file 60% used) applied to block counts.
///
/// Why not a `Double`: 0.07 × 100 is 7.000000000000001 in binary floating point, so "7% of 100
/// blocks, rounded up" came out as 8. A percentage written in decimal is a ratio of integers;
/// every rounding here is done on integers (`n × numerator / denominator` with a 128-bit
/// intermediate), so the rule stated in the reference — ⌈n·p⌉, ⌊n·p + ½⌋, n ≥ p·total — is
/// what runs, for any block count up to `Int.max`.
///
/// Random rates drawn from a distribution stay `Double`: they are not exact to begin with.
public struct Ratio: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let numerator: Int
    /// Always positive; the fraction is kept in lowest terms, so equal values compare equal.
    public let denominator: Int

    /// `numerator / denominator` in lowest terms.
    /// - Precondition: `numerator >= 0`, `denominator > 0`.
    public init(_ numerator: Int, _ denominator: Int) {
        precondition(numerator >= 0 && denominator > 0, "a ratio is a non-negative number over a positive one")
        let g = Self.gcd(numerator, denominator)
        self.numerator = numerator / g
        self.denominator = denominator / g
    }

    public static let zero = Ratio(0, 1)
    public static let one = Ratio(1, 1)

    /// `p` percent, exactly.
    public static func percent(_ p: Int) -> Ratio { Ratio(p, 100) }

    /// The ratio a decimal text states: "7" is 7, "0.4" is 4/10, "12.5" is 125/10. Plain
    /// decimal notation only (no sign, no exponent), at most 15 digits after the point; nil
    /// otherwise.
    public init?(decimal text: some StringProtocol) {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = String(parts[0]), fraction = parts.count == 2 ? String(parts[1]) : ""
        guard !(whole.isEmpty && fraction.isEmpty), fraction.count <= 15,
              (whole + fraction).allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        var value = 0, denominator = 1
        for c in whole + fraction {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (plus, o2) = times.addingReportingOverflow(Int(c.asciiValue ?? 48) - 48)  // digits only, checked above
            guard !o1 && !o2 else { return nil }
            value = plus
        }
        for _ in 0..<fraction.count { denominator *= 10 }
        self.init(value, denominator)
    }

    /// This ratio divided by 100 (a percentage's value as a fraction).
    public var percentOf: Ratio {
        let (d, overflow) = denominator.multipliedReportingOverflow(by: 100)
        precondition(!overflow, "ratio denominator overflow")
        return Ratio(numerator, d)
    }

    public var doubleValue: Double { Double(numerator) / Double(denominator) }

    /// ⌊n · self⌋, ⌈n · self⌉ and the nearest integer (halves up), computed on integers.
    /// - Precondition: `n >= 0` and the result fits in an `Int`.
    public func floor(of n: Int) -> Int { Self.divide(n, numerator, by: denominator, adding: 0) }
    public func ceil(of n: Int) -> Int { Self.divide(n, numerator, by: denominator, adding: denominator - 1) }
    public func nearest(of n: Int) -> Int {
        // ⌊(2·n·p + q) / 2q⌋, with 2q kept from overflowing by halving when q is even.
        if denominator % 2 == 0 { return Self.divide(n, numerator, by: denominator, adding: denominator / 2) }
        let twice = Self.divide(n, numerator * 2, by: denominator, adding: 0)  // ⌊2np/q⌋
        return (twice + 1) / 2
    }

    /// True when `part ≥ self × total`: a level reached (an alert at 80% of capacity).
    public func isReached(by part: Int, of total: Int) -> Bool {
        // part · q ≥ p · total, in 128 bits.
        let left = part.multipliedFullWidth(by: denominator)
        let right = total.multipliedFullWidth(by: numerator)
        return (left.high, left.low) >= (right.high, right.low)
    }

    /// ⌊(n·m + add) / d⌋ in 128 bits.
    static func divide(_ n: Int, _ m: Int, by d: Int, adding add: Int) -> Int {
        precondition(n >= 0, "a ratio applies to a non-negative count")
        let product = n.multipliedFullWidth(by: m)
        let (low, carry) = product.low.addingReportingOverflow(UInt(add))
        let high = product.high + (carry ? 1 : 0)
        precondition(high < d, "ratio result overflow")
        return d.dividingFullWidth((high: high, low: low)).quotient
    }

    static func gcd(_ a: Int, _ b: Int) -> Int {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return max(a, 1)
    }

    public static func < (l: Ratio, r: Ratio) -> Bool {
        let a = l.numerator.multipliedFullWidth(by: r.denominator)
        let b = r.numerator.multipliedFullWidth(by: l.denominator)
        return (a.high, a.low) < (b.high, b.low)
    }

    /// As a percentage in plain decimal: "7%", "0.4%", "12.5%" (exact when the denominator's
    /// only prime factors are 2 and 5, which every decimal text gives; otherwise 6 decimals).
    public var percentText: String {
        // Decimal digits of the value: max(a, b) for a denominator 2^a·5^b.
        var digits = 0
        var q = denominator
        while q % 10 == 0 { q /= 10; digits += 1 }
        while q % 2 == 0 || q % 5 == 0 { q = q % 2 == 0 ? q / 2 : q / 5; digits += 1 }
        if q != 1 { digits = 8 }
        digits = max(0, digits - 2)
        var unit = 1
        for _ in 0..<digits { unit *= 10 }
        // value × 100 × 10^digits, rounded half up.
        let v = nearest(of: 100 * unit)
        let whole = v / unit, rest = v % unit
        guard digits > 0, rest != 0 else { return "\(whole)%" }
        var tail = String(rest)
        tail = String(repeating: "0", count: digits - tail.count) + tail
        while tail.hasSuffix("0") { tail.removeLast() }
        return "\(whole).\(tail)%"
    }

    public var description: String { "\(numerator)/\(denominator)" }
}

/// Written as `[numerator, denominator]`; a read checks what the initialiser requires.
extension Ratio: Codable {
    public init(from decoder: any Decoder) throws {
        var pair = try decoder.unkeyedContainer()
        let n = try pair.decode(Int.self), d = try pair.decode(Int.self)
        guard n >= 0, d > 0 else {
            throw DecodingError.dataCorruptedError(in: pair, debugDescription: "a ratio is a non-negative number over a positive one; found \(n)/\(d)")
        }
        self.init(n, d)
    }

    public func encode(to encoder: any Encoder) throws {
        var pair = encoder.unkeyedContainer()
        try pair.encode(numerator)
        try pair.encode(denominator)
    }
}
