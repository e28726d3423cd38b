import Foundation
import Workloads

/// Writes `--trace` as JSON Lines, one object per model operation, through a temporary file
/// renamed at `finish()`, so a failed run leaves no half-written trace. See
/// `Scenarios/TRACE.md` for the fields.
public final class TraceWriter {
    struct Line: Encodable {
        var t: Double
        var time_ns: Int64
        var workload: String
        var op: String
        var objects: [String]
        var runs: [[Int]]?
        var first_content: UInt64?
        var contents: [UInt64]?
        var result: String
    }

    let path: String
    let temporary: String
    let handle: FileHandle
    let encoder = JSONEncoder()
    var buffer = Data()

    public init(path: String) throws(FileOutput.Failure) {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        temporary = ((folder.isEmpty ? "." : folder) as NSString)
            .appendingPathComponent(".\((path as NSString).lastPathComponent).tmp-\(getpid())")
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary) else {
            throw FileOutput.Failure(description: "cannot write the trace file '\(path)': its folder is missing or not writable")
        }
        self.handle = handle
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    public func write(_ r: TraceRecord) {
        let line = Line(t: r.time.seconds, time_ns: r.time.nanoseconds, workload: r.workload, op: r.operation, objects: r.objects,
                        runs: r.runs.isEmpty ? nil : r.runs.map { [$0.start, $0.count] }, first_content: r.firstContent,
                        contents: r.contents,
                        result: r.error ?? "ok")
        // Encoding plain strings and numbers cannot fail.
        guard let data = try? encoder.encode(line) else { return }
        buffer.append(data)
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 { flush() }
    }

    func flush() {
        handle.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    public func finish() throws(FileOutput.Failure) {
        flush()
        try? handle.close()
        guard rename(temporary, path) == 0 else {
            abandon()
            throw FileOutput.Failure(description: "cannot rename the trace to '\(path)': \(String(cString: strerror(errno)))")
        }
    }

    /// Removes the temporary file (the run failed).
    public func abandon() {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: temporary)
    }
}
