/// Why a distribution (or its parameters, its truncation or its data file) was refused.
///
/// The message always says what was given and what is allowed. The scenario layer adds the
/// file, line and column of the key; the command line prints it as it is.
public struct DistributionError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Problem: Sendable, Equatable {
        case unknownDistribution, unknownGenerator, missingParameter, unexpectedParameter
        case mixedForms, notANumber, outOfRange, badTruncation, badFile
    }

    /// The distribution (or "rng", or the data file) the message is about.
    public var subject: String
    /// The parameter at fault, if one is.
    public var parameter: String?
    /// What was given, as the user wrote it.
    public var found: String
    /// What would have been accepted.
    public var allowed: String
    public var problem: Problem

    public init(subject: String, parameter: String?, found: String, allowed: String, problem: Problem) {
        self.subject = subject
        self.parameter = parameter
        self.found = found
        self.allowed = allowed
        self.problem = problem
    }

    public var description: String {
        switch problem {
        case .unknownDistribution:
            return "unknown distribution \(found); allowed: \(allowed)"
        case .unknownGenerator:
            return "unknown random number generator \(found); allowed: \(allowed)"
        case .missingParameter:
            return "\(subject): missing parameter '\(parameter ?? "")'; allowed: \(allowed)"
        case .unexpectedParameter:
            return "\(subject): unexpected parameter '\(parameter ?? "")' = \(found); allowed: \(allowed)"
        case .mixedForms:
            return "\(subject): parameters \(found) mix two forms; allowed: \(allowed)"
        case .notANumber:
            return "\(subject): '\(parameter ?? "")' = \(found) is not a number; allowed: \(allowed)"
        case .outOfRange:
            return "\(subject): '\(parameter ?? "")' = \(found) is out of range; allowed: \(allowed)"
        case .badTruncation:
            return "\(subject): truncation \(found) is not usable; allowed: \(allowed)"
        case .badFile:
            return "\(subject): \(found); allowed: \(allowed)"
        }
    }
}
