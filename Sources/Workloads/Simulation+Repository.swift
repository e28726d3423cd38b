import BlockModel

/// File operations of the repository workloads (backup, checkpoints) on the `repo` volume of
/// the storage, each traced, and a refusal recorded as a failed event (the file-level
/// counterpart of `perform` and `write`).
extension Simulation {
    /// The volume (ReFS folder, reflink subvolume) that holds repository files.
    static let repositoryVolume = "repo"

    /// Applies `body` to the storage and traces it; returns the refusal, if any.
    func onRepository(_ workload: String, _ operation: String, _ objects: [String], runs: [BlockRun] = [], firstContent: UInt64? = nil,
                      _ body: (inout any Storage) throws -> Void) -> String? {
        var failure: String?
        do { try body(&storage) } catch {
            failure = refusalText(error)
            let constraint = Self.constraint(of: error)
            if let constraint { bound(constraint) }
            if constraint == .capacity, operation == "write", result.limits.firstFailedWrite == nil {
                result.limits.firstFailedWrite = now
            }
        }
        trace?(TraceRecord(time: now, workload: workload, operation: operation, objects: objects, runs: runs,
                           firstContent: firstContent, error: failure))
        return failure
    }

    /// Creates an empty sparse repository file of `blocks` (and the repository volume with the
    /// first); false when refused.
    @discardableResult
    func repositoryCreate(_ workload: String, _ file: String, blocks: Int) -> Bool {
        let volume = Self.repositoryVolume
        if !storage.hasVolume(volume) {
            try? storage.createVolume(volume, sizeBlocks: storage.capacityBlocks, guarantee: .none, snapLock: false)
        }
        guard let failure = onRepository(workload, "create_file", [file], {
            try $0.createFile(volume, file, sizeBlocks: blocks, attributes: FileAttributes())
        }) else { return true }
        record(workload, "create_file", file, outcome: "failed", failure)
        return false
    }

    func repositoryDelete(_ workload: String, _ file: String) {
        if let failure = onRepository(workload, "delete_file", [file], { try $0.deleteFile(Self.repositoryVolume, file) }) {
            record(workload, "delete_file", file, outcome: "failed", failure)
        }
    }

    /// Sets a repository file's size (a shard's differencing disk to the whole run's size).
    func repositoryResize(_ workload: String, _ file: String, blocks: Int) {
        if let failure = onRepository(workload, "resize_file", [file], { try $0.resizeFile(Self.repositoryVolume, file, blocks: blocks) }) {
            record(workload, "resize_file", file, outcome: "failed", failure)
        }
    }

    /// A write into a repository file; a refusal is a failed write.
    @discardableResult
    func repositoryWrite(_ workload: String, _ file: String, block start: Int, contents: [UInt64]) -> Bool {
        result.blocksWritten += contents.count
        guard let failure = onRepository(workload, "write", [file], runs: [BlockRun(start: start, count: contents.count)],
                                         firstContent: contents.first, {
                                             try $0.write(Self.repositoryVolume, file, at: start, contents: contents)
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
        result.blocksWritten += count  // a clone remaps block by block: work as a write's
        guard let failure = onRepository(workload, "clone_range", [destination, source],
                                         runs: [BlockRun(start: d, count: count), BlockRun(start: s, count: count)], {
                                             try $0.cloneRange(Self.repositoryVolume, source, block: s, to: destination, block: d, count: count)
                                         }) else { return true }
        result.limits.refusedClones += 1
        record(workload, "clone_range", "\(destination) \(source)", outcome: "failed", failure)
        return false
    }
}
