import Foundation

/// A histogram to draw from: contiguous bins [edges[i], edges[i+1]) with non-negative weights.
///
/// Invariant: `edges.count == weights.count + 1`, edges strictly increase, weights are finite
/// and non-negative with a positive sum. Draws are uniform within a bin, as
/// `gsl_histogram_pdf_sample` does, so the CDF is piecewise linear.
public struct EmpiricalHistogram: Sendable, Equatable {
    public let edges: [Double]
    public let weights: [Double]
    /// Where the bins came from, for messages and reports.
    public let source: String

    /// - Throws: `DistributionError` naming the bin at fault.
    public init(edges: [Double], weights: [Double], source: String = "histogram") throws(DistributionError) {
        func refuse(_ found: String, _ allowed: String) -> DistributionError {
            DistributionError(subject: source, parameter: nil, found: found, allowed: allowed, problem: .badFile)
        }
        guard !weights.isEmpty, edges.count == weights.count + 1 else {
            throw refuse("no bins", "at least one line 'lower,upper,weight'")
        }
        for i in 1..<edges.count where !(edges[i] > edges[i - 1]) || !edges[i].isFinite || !edges[i - 1].isFinite {
            throw refuse("bin \(i) has edges \(edges[i - 1]) .. \(edges[i]), not increasing",
                         "finite, strictly increasing edges")
        }
        for (i, w) in weights.enumerated() where !(w >= 0) || !w.isFinite {
            throw refuse("bin \(i + 1) has weight \(w)", "finite weights >= 0")
        }
        guard weights.reduce(0, +) > 0 else { throw refuse("all weights are 0", "a positive total weight") }
        self.edges = edges
        self.weights = weights
        self.source = source
    }

    /// Reads a histogram CSV: one bin a line, `lower,upper,weight`; bins contiguous (each
    /// lower edge equals the previous upper edge); an optional header line; `#` comments.
    public init(contentsOfCSV path: String) throws(DistributionError) {
        func refuse(_ found: String, _ allowed: String) -> DistributionError {
            DistributionError(subject: path, parameter: nil, found: found, allowed: allowed, problem: .badFile)
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw refuse(FileManager.default.fileExists(atPath: path) ? "file cannot be read as UTF-8 text" : "no such file",
                         "a readable CSV file of lines 'lower,upper,weight'")
        }
        var edges: [Double] = []
        var weights: [Double] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let numbers = fields.compactMap(Double.init)
            if numbers.count != fields.count || fields.count != 3 {
                // A header line is allowed only before the first bin.
                if weights.isEmpty && edges.isEmpty && numbers.isEmpty { continue }
                throw refuse("line \(lineNumber) is '\(line)'", "three numbers 'lower,upper,weight'")
            }
            let (lower, upper, weight) = (numbers[0], numbers[1], numbers[2])
            if let last = edges.last, lower != last {
                throw refuse("line \(lineNumber) starts at \(lower) but the previous bin ends at \(last)",
                             "contiguous bins: each lower edge equal to the previous upper edge")
            }
            if !(upper > lower) {
                throw refuse("line \(lineNumber) has edges \(lower) .. \(upper), not increasing",
                             "strictly increasing edges")
            }
            if edges.isEmpty { edges.append(lower) }
            edges.append(upper)
            weights.append(weight)
        }
        if weights.isEmpty { throw refuse("file has no bins", "at least one line 'lower,upper,weight'") }
        try self.init(edges: edges, weights: weights, source: path)
    }

    var totalWeight: Double { weights.reduce(0, +) }

    /// Mean of the piecewise-uniform density.
    public var mean: Double {
        var sum = 0.0
        for i in weights.indices { sum += weights[i] * (edges[i] + edges[i + 1]) / 2 }
        return sum / totalWeight
    }

    /// Variance of the piecewise-uniform density: E[X^2] - mean^2, with
    /// E[X^2 | bin] = (lo^2 + lo*hi + hi^2) / 3.
    public var variance: Double {
        var second = 0.0
        for i in weights.indices {
            let (lo, hi) = (edges[i], edges[i + 1])
            second += weights[i] * (lo * lo + lo * hi + hi * hi) / 3
        }
        let m = mean
        return second / totalWeight - m * m
    }

    /// Piecewise-linear CDF.
    public func cdf(_ x: Double) -> Double {
        guard x > edges[0] else { return 0 }
        var below = 0.0
        for i in weights.indices {
            let (lo, hi) = (edges[i], edges[i + 1])
            if x >= hi { below += weights[i]; continue }
            below += weights[i] * (x - lo) / (hi - lo)
            break
        }
        return min(1, below / totalWeight)
    }
}
