import CGSL

/// Draws an index with probability proportional to its weight (`gsl_ran_discrete`, Walker's
/// alias table: O(1) a draw). For weights computed at run time, where `Distribution` names only
/// the laws a scenario may write.
public final class WeightedChoice: @unchecked Sendable {
    public let count: Int
    private let table: UnsafeMutablePointer<gsl_ran_discrete_t>

    /// - Precondition: `weights` non-empty, each finite and ≥ 0, not all 0.
    public init(_ weights: [Double]) {
        precondition(!weights.isEmpty && weights.allSatisfy { $0.isFinite && $0 >= 0 } && weights.contains { $0 > 0 },
                     "weights: finite, non-negative, one positive")
        _ = GSL.ready
        count = weights.count
        var w = weights
        table = w.withUnsafeMutableBufferPointer { gsl_ran_discrete_preproc($0.count, $0.baseAddress) }
    }

    deinit { gsl_ran_discrete_free(table) }

    /// One index in `0 ..< count`.
    public func draw(_ stream: RandomStream) -> Int { Int(gsl_ran_discrete(stream.rng, table)) }
}
