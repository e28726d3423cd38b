import Testing
@testable import BlockModel

/// A deliberately naive ONTAP model: every map is an array of block numbers, a block is live iff
/// some map holds it, pointer counts are found by scanning. Slow and obviously right; the real
/// model must agree with it on every figure after every operation.
struct NaiveONTAP {
    struct Vol {
        var id: Int
        var files: [String: [Int?]] = [:]
        var snaps: [String: [String: [Int?]]] = [:]
        var snapOrder: [String] = []
        var snapClones: [String: [String]] = [:]
        var parent: String?
        var base: String?
        var children: [String] = []
        var metadata: [String: Int] = [:]
        /// File identities by path (the model's owner numbers: one per file created).
        var fileIDs: [String: Int] = [:]
        var dedup: DedupMode?
        var scanned = false
        var changelog: [(file: Int, offset: Int)] = []
        var fingerprints: [UInt64: (block: Int, file: Int, offset: Int)] = [:]
        var dedupMetadata = 0
    }

    let profile: ONTAPProfile
    var vols: [String: Vol] = [:]
    var order: [String] = []
    var nextVolumeID = 0
    var nextBlock = 0
    var owner: [Int: Int] = [:]
    var content: [Int: UInt64] = [:]
    var fallbackCopies = 0
    var nextFileID = 0

    mutating func newFileID() -> Int {
        nextFileID += 1
        return nextFileID
    }

    mutating func newBlock(_ value: UInt64, owner volumeID: Int) -> Int {
        nextBlock += 1
        owner[nextBlock] = volumeID
        content[nextBlock] = value
        return nextBlock
    }

    var allMaps: [[Int?]] {
        order.flatMap { name -> [[Int?]] in
            let v = vols[name]!
            return Array(v.files.values) + v.snaps.values.flatMap { Array($0.values) }
        }
    }

    var live: Set<Int> { Set(allMaps.flatMap { $0.compactMap { $0 } }) }

    // MARK: Operations; each returns the error's case name, or nil.

    mutating func createVolume(_ name: String) -> String? {
        guard vols[name] == nil else { return "alreadyExists" }
        vols[name] = Vol(id: nextVolumeID)
        nextVolumeID += 1
        order.append(name)
        return nil
    }

    mutating func createFile(_ volume: String, _ path: String, size: Int) -> String? {
        guard vols[volume]!.files[path] == nil else { return "alreadyExists" }
        vols[volume]!.files[path] = Array(repeating: nil, count: size)
        vols[volume]!.fileIDs[path] = newFileID()
        return nil
    }

    mutating func write(_ volume: String, _ path: String, at start: Int, _ values: [UInt64]) -> String? {
        let id = vols[volume]!.id
        for (k, value) in values.enumerated() {
            vols[volume]!.files[path]![start + k] = newBlock(value, owner: id)
        }
        let file = vols[volume]!.fileIDs[path]!
        switch vols[volume]!.dedup {
        case .postProcess?: vols[volume]!.changelog += (start..<(start + values.count)).map { (file, $0) }
        case .inline?:
            dedupSlots(volume, (start..<(start + values.count)).map { (file, $0) })
            updateMetadata(volume)
        case nil: break
        }
        return nil
    }

    mutating func snapshot(_ volume: String, _ name: String) -> String? {
        guard vols[volume]!.snaps[name] == nil else { return "alreadyExists" }
        guard vols[volume]!.snaps.count < profile.maxSnapshotsPerVolume else { return "snapshotLimit" }
        vols[volume]!.snaps[name] = vols[volume]!.files
        vols[volume]!.snapOrder.append(name)
        return nil
    }

    mutating func deleteSnapshot(_ volume: String, _ name: String) -> String? {
        guard vols[volume]!.snaps[name] != nil else { return "unknownSnapshot" }
        guard (vols[volume]!.snapClones[name] ?? []).isEmpty else { return "snapshotBusy" }
        vols[volume]!.snaps[name] = nil
        vols[volume]!.snapOrder.removeAll { $0 == name }
        return nil
    }

    mutating func cloneVolume(_ name: String, parent: String, snapshot: String?) -> String? {
        guard vols[name] == nil else { return "alreadyExists" }
        guard vols[parent]!.children.count < profile.maxClonesPerVolume else { return "cloneLimit" }
        let base = snapshot ?? "clone_\(name).0"
        if snapshot == nil, let error = self.snapshot(parent, base) { return error }
        guard let files = vols[parent]!.snaps[base] else { return "unknownSnapshot" }
        vols[parent]!.snapClones[base, default: []].append(name)
        vols[parent]!.children.append(name)
        var v = Vol(id: nextVolumeID, files: files, parent: parent, base: base)
        v.metadata = [:]
        for path in files.keys.sorted() { v.fileIDs[path] = newFileID() }
        v.dedup = vols[parent]!.dedup
        nextVolumeID += 1
        vols[name] = v
        order.append(name)
        return nil
    }

    mutating func destroy(_ name: String) -> String? {
        let v = vols[name]!
        guard v.children.isEmpty else { return "parentHasClones" }
        if let p = v.parent {
            vols[p]!.children.removeAll { $0 == name }
            vols[p]!.snapClones[v.base!]!.removeAll { $0 == name }
        }
        vols[name] = nil
        order.removeAll { $0 == name }
        return nil
    }

    mutating func split(_ name: String) -> String? {
        var v = vols[name]!
        guard let p = v.parent else { return "notAClone" }
        for s in v.snapOrder where !(v.snapClones[s] ?? []).isEmpty { return "snapshotBusy" }
        v.snaps = [:]
        v.snapOrder = []
        var copies: [Int: Int] = [:]
        for path in v.files.keys.sorted() {
            for (i, b) in v.files[path]!.enumerated() {
                guard let b, owner[b] != v.id else { continue }
                if copies[b] == nil { copies[b] = newBlock(content[b]!, owner: v.id) }
                v.files[path]![i] = copies[b]
            }
        }
        vols[p]!.children.removeAll { $0 == name }
        vols[p]!.snapClones[v.base!]!.removeAll { $0 == name }
        v.parent = nil
        v.base = nil
        vols[name] = v
        return nil
    }

    mutating func cloneFile(_ volume: String, _ source: String, _ destination: String) -> String? {
        var v = vols[volume]!
        guard v.files[destination] == nil else { return "alreadyExists" }
        var pointers: [Int: Int] = [:]
        for f in v.files.values { for case let b? in f { pointers[b, default: 0] += 1 } }
        var clone = v.files[source]!
        for (i, b) in clone.enumerated() {
            guard let b else { continue }
            if pointers[b]! >= profile.maxPointersPerBlock {
                clone[i] = newBlock(content[b]!, owner: v.id)
                fallbackCopies += 1
            } else {
                pointers[b]! += 1
            }
        }
        v.files[destination] = clone
        v.fileIDs[destination] = newFileID()
        let share = profile.fileCloneMetadataFraction  // ⌈count · p / q⌉ in plain integers
        v.metadata[destination] = (clone.count * share.numerator + share.denominator - 1) / share.denominator
        vols[volume] = v
        return nil
    }

    mutating func setDedup(_ volume: String, _ mode: DedupMode?) -> String? {
        vols[volume]!.dedup = mode
        vols[volume]!.scanned = false
        vols[volume]!.changelog = []
        vols[volume]!.fingerprints = [:]
        vols[volume]!.dedupMetadata = 0
        return nil
    }

    /// A post-process run: the change log (or every mapped slot the first time) by file and
    /// offset, then metadata as a fraction of the volume's own live blocks.
    mutating func runDedup(_ volume: String) -> String? {
        guard vols[volume]!.dedup != nil else { return "invalidArgument" }
        var entries = vols[volume]!.changelog
        if !vols[volume]!.scanned {
            entries = []
            for (path, map) in vols[volume]!.files {
                for (i, b) in map.enumerated() where b != nil { entries.append((vols[volume]!.fileIDs[path]!, i)) }
            }
            vols[volume]!.scanned = true
        }
        vols[volume]!.changelog = []
        dedupSlots(volume, entries.sorted { ($0.file, $0.offset) < ($1.file, $1.offset) })
        updateMetadata(volume)
        return nil
    }

    /// Dedup metadata: a fraction of the volume's own live blocks (after every run, and after
    /// every inline write).
    mutating func updateMetadata(_ volume: String) {
        let id = vols[volume]!.id
        let own = live.filter { owner[$0] == id }.count
        let share = profile.dedupMetadataFraction
        vols[volume]!.dedupMetadata = (own * share.numerator + share.denominator - 1) / share.denominator
    }

    /// Each slot in turn: a duplicate goes to the recorded donor when that donor is still at
    /// its slot (or, with a physical catalog, anywhere in the volume's active file system) and
    /// has fewer than the pointer limit in the active file system; otherwise (no donor, a stale
    /// one, a full one) the slot's block becomes the donor.
    mutating func dedupSlots(_ volume: String, _ slots: [(file: Int, offset: Int)]) {
        var v = vols[volume]!
        let paths = Dictionary(uniqueKeysWithValues: v.fileIDs.map { ($0.value, $0.key) })
        for (file, offset) in slots {
            guard let path = paths[file], let map = v.files[path], offset < map.count, let b = map[offset] else { continue }
            let c = content[b]!
            if c == 0 && !profile.dedupZeroBlocks { continue }
            func atSlot(_ d: (block: Int, file: Int, offset: Int)) -> Bool {
                guard let dp = paths[d.file], let dm = v.files[dp], d.offset < dm.count else { return false }
                return dm[d.offset] == d.block
            }
            func anywhere(_ d: (block: Int, file: Int, offset: Int)) -> Bool {
                profile.donorCatalog == .physical && v.files.values.contains { $0.contains(d.block) }
            }
            if let d = v.fingerprints[c], atSlot(d) || anywhere(d) {
                if d.block == b { continue }
                let pointers = v.files.values.reduce(0) { $0 + $1.filter { $0 == d.block }.count }
                if pointers < profile.maxPointersPerBlock {
                    v.files[path]![offset] = d.block
                    continue
                }
            }
            v.fingerprints[c] = (b, file, offset)
        }
        vols[volume] = v
    }

    mutating func deleteFile(_ volume: String, _ path: String) -> String? {
        vols[volume]!.fileIDs[path] = nil
        vols[volume]!.files[path] = nil
        vols[volume]!.metadata[path] = nil
        return nil
    }

    // MARK: Figures

    /// (logicalUsed, physicalUsed, unique) of a group of maps.
    func figures(_ maps: [[Int?]], readers: [Int: Int]) -> (Int, Int, Int) {
        var local: [Int: Int] = [:]
        var logical = 0
        for m in maps { for case let b? in m { local[b, default: 0] += 1; logical += 1 } }
        return (logical, local.count, local.filter { readers[$0.key] == $0.value }.count)
    }

    func rows() -> [String: [Int]] {
        var readers: [Int: Int] = [:]
        for m in allMaps { for case let b? in m { readers[b, default: 0] += 1 } }
        let liveBlocks = live
        var out: [String: [Int]] = [:]
        var aggregateLogical = 0
        var afsAll = Set<Int>()
        for name in order {
            let v = vols[name]!
            let afs = figures(Array(v.files.values), readers: readers)
            aggregateLogical += afs.0
            let afsSet = Set(v.files.values.flatMap { $0.compactMap { $0 } })
            afsAll.formUnion(afsSet)
            let snapSet = Set(v.snaps.values.flatMap { $0.values.flatMap { $0.compactMap { $0 } } })
            let charged = liveBlocks.filter { owner[$0] == v.id }.count + v.metadata.values.reduce(0, +)
            out[name] = [afs.0, afs.1, afs.2, snapSet.subtracting(afsSet).count, charged]
            for (path, map) in v.files {
                let f = figures([map], readers: readers)
                out["\(name)/\(path)"] = [f.0, f.1, f.2, 0, -1]
            }
            for (s, files) in v.snaps {
                let f = figures(Array(files.values), readers: readers)
                out["\(name)@\(s)"] = [f.0, f.1, f.2, 0, -1]
            }
        }
        let metadata = order.reduce(0) { $0 + vols[$1]!.metadata.values.reduce(0, +) + vols[$1]!.dedupMetadata }
        out["aggr"] = [aggregateLogical, liveBlocks.count + metadata, liveBlocks.count + metadata,
                       liveBlocks.subtracting(afsAll).count, liveBlocks.count + metadata]
        return out
    }
}

struct ONTAPDifferentialTests {
    struct LCG {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 11
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
        mutating func pick<T>(_ items: [T]) -> T? { items.isEmpty ? nil : items[below(items.count)] }
    }

    static func caseName(_ error: ModelError) -> String {
        Mirror(reflecting: error).children.first?.label ?? "\(error)"
    }

    static func modelRows(_ a: Aggregate) -> [String: [Int]] {
        var out: [String: [Int]] = [:]
        for r in a.accounting() {
            let key = r.kind == .aggregate ? "aggr" : r.name
            let charged = (r.kind == .volume || r.kind == .aggregate) ? r.charged : -1
            out[key] = [r.logicalUsed, r.physicalUsed, r.unique, r.snapshotHeld, charged]
        }
        return out
    }

    @Test("the model agrees with the naive reference model after every operation", arguments: 0..<60)
    func randomOperations(seed: UInt64) throws {
        var profile = ONTAPProfile()
        // Half the seeds keep donors by physical block (issue 21, defect 3).
        profile.donorCatalog = seed % 4 < 2 ? .slot : .physical
        profile.maxPointersPerBlock = 4
        profile.maxClonesPerVolume = 3
        profile.maxSnapshotsPerVolume = 4
        // Few distinct contents, so writes make duplicates for the dedup runs.
        let distinct: UInt64 = seed % 2 == 0 ? 7 : 300
        var rng = LCG(state: seed &* 7919 &+ 1)
        var model = Aggregate(name: "aggr", capacityBlocks: 10_000_000, profile: profile)
        var naive = NaiveONTAP(profile: profile)
        var counter = 0
        func name(_ prefix: String) -> String { counter += 1; return "\(prefix)\(counter)" }

        try model.createVolume("v0", sizeBlocks: 5_000_000)
        _ = naive.createVolume("v0")
        for step in 0..<120 {
            let volumes = naive.order
            let volume = rng.pick(volumes)!
            let files = naive.vols[volume]!.files.keys.sorted()
            let snaps = naive.vols[volume]!.snapOrder
            var op = ""
            var expected: String?
            var actual: String?
            func run(_ body: () throws -> Void) {
                do { try body() } catch let e as ModelError { actual = Self.caseName(e) } catch { actual = "\(error)" }
            }
            switch rng.below(15) {
            case 14:
                // A donor's slot overwritten: its block may live on in other slots.
                let donors = naive.vols[volume]!.fingerprints.values.sorted { ($0.file, $0.offset) < ($1.file, $1.offset) }
                let paths = Dictionary(uniqueKeysWithValues: naive.vols[volume]!.fileIDs.map { ($0.value, $0.key) })
                guard let d = rng.pick(donors), let path = paths[d.file], d.offset < naive.vols[volume]!.files[path]!.count else { continue }
                let value = rng.next() % distinct
                op = "overwrite donor slot \(volume)/\(path)@\(d.offset)"
                expected = naive.write(volume, path, at: d.offset, [value])
                run { try model.write(volume, path, at: d.offset, contents: [value]) }
            case 12:
                let mode = [DedupMode.postProcess, .inline, nil][rng.below(3)]
                op = "dedup \(mode?.rawValue ?? "off") on \(volume)"
                expected = naive.setDedup(volume, mode)
                run { try model.setDedup(volume, mode: mode) }
            case 13:
                op = "dedup run on \(volume)"
                expected = naive.runDedup(volume)
                run { _ = try model.runDedup(volume) }
            case 0...3 where !files.isEmpty:
                let path = rng.pick(files)!
                let size = naive.vols[volume]!.files[path]!.count
                let count = 1 + rng.below(rng.below(2) == 0 ? 5 : 400)
                let start = rng.below(max(1, size - count + 1))
                let n = min(count, size - start)
                let values = (0..<n).map { _ in rng.next() % distinct }
                op = "write \(n) at \(start) into \(volume)/\(path)"
                expected = naive.write(volume, path, at: start, values)
                run { try model.write(volume, path, at: start, contents: values) }
            case 4, 5:
                let path = name("f")
                let size = 1 + rng.below(2500)
                op = "create \(volume)/\(path) of \(size)"
                expected = naive.createFile(volume, path, size: size)
                run { try model.createFile(volume, path, sizeBlocks: size) }
            case 6:
                let s = name("s")
                op = "snapshot \(volume)@\(s)"
                expected = naive.snapshot(volume, s)
                run { try model.createSnapshot(volume, s) }
            case 7 where !snaps.isEmpty:
                let s = rng.pick(snaps)!
                op = "delete snapshot \(volume)@\(s)"
                expected = naive.deleteSnapshot(volume, s)
                run { try model.deleteSnapshot(volume, s) }
            case 8:
                let clone = name("c")
                let base = rng.below(2) == 0 ? rng.pick(snaps) : nil
                op = "clone \(clone) of \(volume)@\(base ?? "auto")"
                expected = naive.cloneVolume(clone, parent: volume, snapshot: base)
                run { try model.createVolumeClone(clone, parent: volume, snapshot: base) }
            case 9 where volumes.count > 1:
                op = "destroy \(volume)"
                expected = naive.destroy(volume)
                run { try model.destroyVolume(volume) }
            case 10:
                op = "split \(volume)"
                expected = naive.split(volume)
                run { try model.splitClone(volume) }
            case 11 where !files.isEmpty:
                let source = rng.pick(files)!
                if rng.below(3) == 0 {
                    op = "delete file \(volume)/\(source)"
                    expected = naive.deleteFile(volume, source)
                    run { try model.deleteFile(volume, source) }
                } else {
                    let destination = name("fc")
                    op = "clone file \(volume)/\(source) to \(destination)"
                    expected = naive.cloneFile(volume, source, destination)
                    run { try model.cloneFile(volume, source, to: destination) }
                }
            default:
                continue
            }
            #expect(actual == expected, "seed \(seed) step \(step): \(op)")
            let modelRows = Self.modelRows(model), naiveRows = naive.rows()
            if modelRows != naiveRows {
                let differing = Set(modelRows.keys).union(naiveRows.keys).sorted().filter { modelRows[$0] != naiveRows[$0] }
                Issue.record("seed \(seed) step \(step) after \(op): \(differing.prefix(4).map { "\($0): model \(modelRows[$0] ?? []) naive \(naiveRows[$0] ?? [])" })")
                return
            }
            #expect(model.fallbackCopies == naive.fallbackCopies, "seed \(seed) step \(step): \(op)")
            // Content: every file reads what the naive model says.
            for v in naive.order {
                for (path, map) in naive.vols[v]!.files {
                    let expectedContent = map.map { $0.map { naive.content[$0]! } }
                    if try model.contents(v, path) != expectedContent {
                        Issue.record("seed \(seed) step \(step) after \(op): contents of \(v)/\(path) differ")
                        return
                    }
                }
            }
        }
    }
}
