import Engine

/// One operation applied to the block model, for `--trace`: enough to audit a run line by
/// line or replay it against a real system. Written runs carry consecutive content
/// identities starting at `firstContent` (run after run), or, when the scenario sets a
/// content model, the identities in `contents`.
public struct TraceRecord: Sendable, Equatable {
    public var time: SimTime
    public var workload: String
    public var operation: String
    /// Objects involved, as `volume`, `volume/path` or `volume@snapshot`.
    public var objects: [String]
    public var runs: [BlockRun] = []
    public var firstContent: UInt64?
    /// Content of every written block in run order, when drawn by a content model.
    public var contents: [UInt64]?
    /// nil when the operation succeeded; otherwise the rule and message of the error.
    public var error: String?
}
