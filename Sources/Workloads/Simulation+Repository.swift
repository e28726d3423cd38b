/// File operations on the `refs` / `reflink` repository, each traced, and a refusal recorded
/// as a failed event (the file-level counterpart of `perform` and `write`).
extension Simulation {
    /// Applies `body` to the repository (in place) and traces it; returns the refusal, if any.
    func onRepository(_ workload: String, _ operation: String, _ objects: [String], runs: [BlockRun] = [], firstContent: UInt64? = nil,
                      _ body: (inout Repository) throws(Repository.Refusal) -> Void) -> String? {
        guard var r = repository else { return "no repository on platform \(spec.platform.rawValue)" }
        repository = nil  // so the file system is uniquely referenced and changed in place
        var failure: String?
        do { try body(&r) } catch { failure = error.description }
        repository = r
        trace?(TraceRecord(time: now, workload: workload, operation: operation, objects: objects, runs: runs,
                           firstContent: firstContent, error: failure))
        return failure
    }

    /// Creates an empty sparse repository file of `blocks`; false when refused.
    @discardableResult
    func repositoryCreate(_ workload: String, _ file: String, blocks: Int) -> Bool {
        guard let failure = onRepository(workload, "create_file", [file], { (r) throws(Repository.Refusal) in try r.createFile(file, blocks: blocks) })
        else { return true }
        record(workload, "create_file", file, outcome: "failed", failure)
        return false
    }

    func repositoryDelete(_ workload: String, _ file: String) {
        if let failure = onRepository(workload, "delete_file", [file], { (r) throws(Repository.Refusal) in try r.delete(file) }) {
            record(workload, "delete_file", file, outcome: "failed", failure)
        }
    }

    /// A write into a repository file; a refusal is a failed write.
    @discardableResult
    func repositoryWrite(_ workload: String, _ file: String, block start: Int, contents: [UInt64]) -> Bool {
        guard let failure = onRepository(workload, "write", [file], runs: [BlockRun(start: start, count: contents.count)],
                                         firstContent: contents.first, { (r) throws(Repository.Refusal) in
                                             try r.write(file, block: start, contents: contents)
                                         }) else { return true }
        result.limits.failedWrites += 1
        result.limits.failedWriteBlocks += contents.count
        record(workload, "write", file, outcome: "failed", "\(contents.count) blocks not written: \(failure)")
        return false
    }

    /// Writes `count` blocks of new data at `start` in writes of `chunk` blocks; stops at the
    /// first refused one.
    func repositoryFill(_ workload: String, _ file: String, at start: Int, count: Int, chunk: Int) {
        var done = 0
        while done < count {
            let n = min(chunk, count - done)
            let first = newContent(n)
            guard repositoryWrite(workload, file, block: start + done, contents: Array(first..<(first + UInt64(n)))) else { return }
            done += n
        }
    }

    /// A block clone between repository files; false (and recorded) when refused.
    func repositoryClone(_ workload: String, _ source: String, block s: Int, to destination: String, block d: Int, count: Int) -> Bool {
        guard let failure = onRepository(workload, "clone_range", [destination, source],
                                         runs: [BlockRun(start: d, count: count), BlockRun(start: s, count: count)], {
                                             (r) throws(Repository.Refusal) in try r.clone(source, block: s, to: destination, block: d, count: count)
                                         }) else { return true }
        result.limits.refusedClones += 1
        record(workload, "clone_range", "\(destination) \(source)", outcome: "failed", failure)
        return false
    }
}
