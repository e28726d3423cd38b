import Foundation
import Testing

/// Runs the built `clonesim` binary, as a user would, and captures what it prints.
/// The test target depends on the executable, so `swift test` builds it next to the tests.
struct CLIResult {
    let stdout: String
    let stderr: String
    let status: Int32
}

enum CLI {
    static var binary: URL {
        // On Linux the test runner lives in the build products folder, next to `clonesim`.
        let products = Bundle.main.bundleURL
        return products.appendingPathComponent("clonesim")
    }

    /// One launch at a time: the suite runs CLI tests on several threads, and Foundation's
    /// `Process` on Linux is not safe to set up and launch from several threads at once (the
    /// suite crashed in unrelated tests, at random, once more tests launched processes).
    static let launching = NSLock()

    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws -> CLIResult {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do {
            launching.lock()
            defer { launching.unlock() }
            try process.run()
        }
        // Read before waiting so a large output cannot fill the pipe and stall the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIResult(stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self),
                         status: process.terminationStatus)
    }
}
