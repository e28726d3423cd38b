import CGSL

/// One-time GSL set-up, shared by every type that calls into GSL.
///
/// GSL's default error handler calls `abort()`. We switch it off once, before the first GSL
/// call, and validate every parameter in Swift beforehand, so a bad input becomes a Swift
/// error with a message instead of a dead process.
enum GSL {
    /// Touch this before any GSL call; Swift initialises globals exactly once, thread-safely.
    static let ready: Void = {
        _ = gsl_set_error_handler_off()
    }()
}
