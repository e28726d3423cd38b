import BlockModel
import Foundation

/// Sizes, durations and percentages as scenario files write them.
///
/// - Sizes: a number with a unit. KiB, MiB, GiB, TiB, PiB are powers of 2; KB, MB, GB, TB, PB
///   powers of 10 (MODEL.md §0: both accepted, the docs say which is which); `B` or no unit is
///   bytes. `100GiB`, `100 GB`, `1.5TiB`, `4096`.
/// - Durations: a number with s, m (minutes), h, d or w: `90d`, `12h`, `30m`, `1.5h`.
/// - Percentages: a number with `%`: `10%`, `0.5%`.
public enum Units {
    static let sizeUnits: [(String, Double)] = [
        ("KiB", 1024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("TiB", 1_099_511_627_776), ("PiB", 1_125_899_906_842_624),
        ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("PB", 1e15), ("B", 1),
    ]
    static let durationUnits: [(String, Double)] = [("us", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800)]

    public static let sizeHelp = "a size such as 100GiB, 500 GB or 4096 (bytes); KiB/MiB/GiB/TiB are powers of 2, KB/MB/GB/TB powers of 10"
    public static let durationHelp = "a duration such as 90d, 12h, 30m, 45s or 2w"
    public static let percentHelp = "a percentage such as 10% or 0.5%"

    /// Splits "12.5 GiB" into (12.5, "GiB"); nil unless it is a non-negative number and a unit
    /// from `units` (or no unit when `unitless` is allowed).
    static func quantity(_ text: String, units: [(String, Double)], unitless: Bool) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let digits = t.prefix { $0.isNumber || $0 == "." }
        guard !digits.isEmpty, let value = Double(digits), value.isFinite else { return nil }
        let unit = t.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        if unit.isEmpty { return unitless ? value : nil }
        guard let factor = units.first(where: { $0.0 == unit })?.1 else { return nil }
        return value * factor
    }

    /// Bytes, rounded up to a whole byte; nil if malformed.
    public static func bytes(_ text: String) -> Int? {
        quantity(text, units: sizeUnits, unitless: true).flatMap { $0 <= Double(Int.max / 2) ? Int($0.rounded(.up)) : nil }
    }

    /// Whole blocks of `blockSize` bytes holding `bytes` (rounded up).
    public static func blocks(bytes: Int, blockSize: Int) -> Int { (bytes + blockSize - 1) / blockSize }

    /// Seconds; nil if malformed.
    public static func seconds(_ text: String) -> Double? {
        quantity(text, units: durationUnits, unitless: false)
    }

    /// A percentage as an exact ratio (10% is 1/10, 0.4% is 1/250); nil unless it is a plain
    /// decimal number followed by %.
    public static func ratio(_ text: String) -> Ratio? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.hasSuffix("%") else { return nil }
        return Ratio(decimal: t.dropLast().trimmingCharacters(in: .whitespaces))?.percentOf
    }

    /// A fraction (10% is 0.1); nil unless it ends in %.
    public static func fraction(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.hasSuffix("%"), let v = Double(t.dropLast().trimmingCharacters(in: .whitespaces)), v.isFinite else { return nil }
        return v / 100
    }
}
