import Testing
@testable import BlockModel

/// Naive ReFS: every file an array of cluster numbers, reference counts found by scanning.
struct NaiveReFS {
    struct File { var eof = 0; var sparse: Bool; var integrity: Bool; var clusters: [Int?] = [] }
    let clusterSize: Int, limit: Int, maxClone: Int, capacity: Int
    var files: [String: File] = [:]
    var content: [Int: UInt64] = [:]
    var next = 0

    var allIDs: [Int] { files.values.flatMap { $0.clusters.compactMap { $0 } } }
    var used: Int { Set(allIDs).count }
    func count(_ id: Int) -> Int { allIDs.filter { $0 == id }.count }
    func clusters(_ bytes: Int) -> Int { (bytes + clusterSize - 1) / clusterSize }
    mutating func make(_ value: UInt64) -> Int { next += 1; content[next] = value; return next }

    mutating func create(_ path: String, sparse: Bool, integrity: Bool) -> String? {
        if files[path] != nil { return "ERROR_FILE_EXISTS" }
        files[path] = File(sparse: sparse, integrity: integrity)
        return nil
    }

    mutating func setEOF(_ path: String, _ bytes: Int) -> String? {
        guard var f = files[path] else { return "ERROR_FILE_NOT_FOUND" }
        let old = clusters(f.eof), wanted = clusters(bytes)
        if wanted > old && !f.sparse && wanted - old > capacity - used { return "ERROR_DISK_FULL" }
        if wanted > old {
            for _ in old..<wanted { f.clusters.append(f.sparse ? nil : make(0)) }
        } else {
            f.clusters.removeLast(old - wanted)
        }
        f.eof = bytes
        files[path] = f
        return nil
    }

    mutating func write(_ path: String, _ start: Int, _ values: [UInt64]) -> String? {
        guard var f = files[path] else { return "ERROR_FILE_NOT_FOUND" }
        let end = start + values.count
        var needed = f.sparse ? 0 : max(0, start - f.clusters.count)
        for k in start..<end {
            if k >= f.clusters.count || f.clusters[k] == nil || count(f.clusters[k]!) > 1 { needed += 1 }
        }
        if needed > capacity - used { return "ERROR_DISK_FULL" }
        while f.clusters.count < start { f.clusters.append(f.sparse ? nil : make(0)) }
        while f.clusters.count < end { f.clusters.append(nil) }
        files[path] = f
        for (k, v) in values.enumerated() {
            if let id = files[path]!.clusters[start + k], count(id) == 1 { content[id] = v } else { files[path]!.clusters[start + k] = make(v) }
        }
        files[path]!.eof = max(f.eof, end * clusterSize)
        return nil
    }

    mutating func clone(_ s: String, _ so: Int, _ d: String, _ doff: Int, _ length: Int) -> String? {
        guard let src = files[s], let dst = files[d] else { return "ERROR_FILE_NOT_FOUND" }
        if [so, doff, length].contains(where: { $0 < 0 || $0 % clusterSize != 0 }) { return "ERROR_INVALID_PARAMETER" }
        if length >= maxClone || doff + length > dst.eof || so + length > src.eof { return "ERROR_INVALID_PARAMETER" }
        if s == d && so < doff + length && doff < so + length { return "ERROR_NOT_SUPPORTED" }
        if src.integrity != dst.integrity { return "ERROR_INVALID_PARAMETER" }
        if src.sparse && !dst.sparse { return "ERROR_NOT_SUPPORTED" }
        let n = length / clusterSize, s0 = so / clusterSize, d0 = doff / clusterSize
        let incoming = Array(src.clusters[s0..<(s0 + n)])
        for id in Set(incoming.compactMap { $0 }) {
            let would = count(id) + incoming.filter { $0 == id }.count - dst.clusters[d0..<(d0 + n)].filter { $0 == id }.count
            if would > limit { return "ERROR_BLOCK_TOO_MANY_REFERENCES" }
        }
        for k in 0..<n { files[d]!.clusters[d0 + k] = incoming[k] }
        return nil
    }
}

/// Naive reflink file system: arrays of block numbers, extents as lists of members.
struct NaiveReflink {
    typealias File = (size: Int, blocks: [Int?])
    let bs = 4096
    let capacity: Int
    let extents: Bool
    let maxExtent: Int
    var subs: [String: [String: File]] = [:]
    var content: [Int: UInt64] = [:]
    var extentOf: [Int: Int] = [:]
    var members: [Int: [Int]] = [:]
    var next = 0, nextExtent = 0

    var referenced: Set<Int> { Set(subs.values.flatMap { $0.values.flatMap { $0.blocks.compactMap { $0 } } }) }
    var used: Int {
        let r = referenced
        return extents ? members.values.filter { $0.contains(where: r.contains) }.reduce(0) { $0 + $1.count } : r.count
    }
    func blocks(_ bytes: Int) -> Int { (bytes + bs - 1) / bs }

    mutating func write(_ sub: String, _ path: String, _ start: Int, _ values: [UInt64]) -> String? {
        guard var f = subs[sub]?[path] else { return "ENOENT" }
        if values.count > capacity - used { return "ENOSPC" }
        while f.blocks.count < start + values.count { f.blocks.append(nil) }
        var k = 0
        while k < values.count {
            let n = min(maxExtent, values.count - k)
            nextExtent += 1
            for j in k..<(k + n) {
                next += 1
                content[next] = values[j]
                extentOf[next] = nextExtent
                members[nextExtent, default: []].append(next)
                f.blocks[start + j] = next
            }
            k += n
        }
        f.size = max(f.size, (start + values.count) * bs)
        subs[sub]![path] = f
        return nil
    }

    mutating func cloneRange(_ s: (String, String), _ so: Int, _ d: (String, String), _ doff: Int, _ length: Int) -> String? {
        guard let src = subs[s.0]?[s.1], var dst = subs[d.0]?[d.1] else { return "ENOENT" }
        if so % bs != 0 || doff % bs != 0 { return "EINVAL" }
        let length = length == 0 ? max(0, src.size - so) : length
        if so + length > src.size { return "EINVAL" }
        if length % bs != 0 && so + length != src.size { return "EINVAL" }
        if s == d && so < doff + length && doff < so + length { return "EINVAL" }
        let n = blocks(length)
        while dst.blocks.count < doff / bs + n { dst.blocks.append(nil) }
        for k in 0..<n { dst.blocks[doff / bs + k] = so / bs + k < src.blocks.count ? src.blocks[so / bs + k] : nil }
        dst.size = max(dst.size, doff + length)
        subs[d.0]![d.1] = dst
        return nil
    }
}

struct ProfileDifferentialTests {
    typealias LCG = ONTAPDifferentialTests.LCG

    @Test("ReFS agrees with the naive model after every operation", arguments: 0..<30)
    func refs(seed: UInt64) throws {
        var profile = ReFSProfile()
        profile.maxReferencesPerCluster = 3
        profile.maxCloneBytes = 40 * 4096
        var model = try ReFSVolume(name: "R", capacityBytes: 600 * 4096, clusterSize: 4096, profile: profile)
        var naive = NaiveReFS(clusterSize: 4096, limit: 3, maxClone: 40 * 4096, capacity: 600)
        var rng = LCG(state: seed &* 104_729 &+ 3)
        for step in 0..<150 {
            let paths = naive.files.keys.sorted()
            var op = "", expected: String?, actual: String?
            func run(_ body: () throws(ReFSError) -> Void) { do { try body() } catch { actual = error.windowsName } }
            switch rng.below(10) {
            case 0, 1:
                let path = "f\(step)", sparse = rng.below(4) == 0, integrity = rng.below(6) == 0
                op = "create \(path) sparse \(sparse) integrity \(integrity)"
                expected = naive.create(path, sparse: sparse, integrity: integrity)
                run { () throws(ReFSError) in try model.createFile(path, sparse: sparse, integrityStreams: integrity) }
            case 2 where !paths.isEmpty:
                let path = rng.pick(paths)!, bytes = rng.below(80) * 4096 + (rng.below(3) == 0 ? rng.below(4096) : 0)
                op = "eof \(path) \(bytes)"
                expected = naive.setEOF(path, bytes)
                run { () throws(ReFSError) in try model.setEndOfFile(path, bytes: bytes) }
            case 3...5 where !paths.isEmpty:
                let path = rng.pick(paths)!, start = rng.below(70), values = (0..<(1 + rng.below(20))).map { _ in rng.next() }
                op = "write \(values.count) at \(start) into \(path)"
                expected = naive.write(path, start, values)
                run { () throws(ReFSError) in try model.write(path, cluster: start, contents: values) }
            case 6...8 where !paths.isEmpty:
                let s = rng.pick(paths)!, d = rng.below(4) == 0 ? s : rng.pick(paths)!
                let unit = rng.below(8) == 0 ? 1024 : 4096
                let so = rng.below(30) * unit, doff = rng.below(30) * unit, length = (1 + rng.below(rng.below(5) == 0 ? 50 : 10)) * unit
                op = "clone \(s)@\(so) -> \(d)@\(doff) len \(length)"
                expected = naive.clone(s, so, d, doff, length)
                run { () throws(ReFSError) in try model.blockClone(source: s, sourceOffset: so, destination: d, destinationOffset: doff, length: length) }
            case 9 where !paths.isEmpty:
                let path = rng.pick(paths)!
                op = "delete \(path)"
                naive.files[path] = nil
                run { () throws(ReFSError) in try model.deleteFile(path) }
            default:
                continue
            }
            #expect(actual == expected, "seed \(seed) step \(step): \(op)")
            guard model.usedClusters == naive.used else {
                Issue.record("seed \(seed) step \(step) after \(op): used \(model.usedClusters) vs \(naive.used)")
                return
            }
            for (path, f) in naive.files {
                let want = f.clusters.map { $0.map { naive.content[$0]! } }
                let counts = f.clusters.map { $0.map { naive.count($0) } ?? 0 }
                if try model.contents(path) != want || (try f.clusters.indices.map { try model.referenceCount(path, cluster: $0) }) != counts {
                    Issue.record("seed \(seed) step \(step) after \(op): \(path) differs")
                    return
                }
            }
            if actual != expected { return }
        }
        #expect(model.invariantViolations().isEmpty)
    }

    /// Even seeds free by block (XFS), odd ones by extent (btrfs).
    @Test("reflink agrees with the naive model after every operation", arguments: 0..<30)
    func reflink(seed: UInt64) throws {
        let freeing: FreeingGranularity = seed % 2 == 0 ? .block : .extent
        var profile = ReflinkProfile(freeing: freeing)
        profile.maxExtentBlocks = 8
        var model = ReflinkFileSystem(name: "fs", capacityBytes: 500 * 4096, profile: profile)
        var naive = NaiveReflink(capacity: 500, extents: freeing == .extent, maxExtent: 8)
        try model.createSubvolume("s0")
        naive.subs["s0"] = [:]
        var rng = LCG(state: seed &* 7_919 &+ 11)
        for step in 0..<150 {
            let subs = naive.subs.keys.sorted()
            let sub = rng.pick(subs)!
            let paths = naive.subs[sub]!.keys.sorted()
            var op = "", expected: String?, actual: String?
            func run(_ body: () throws(ReflinkError) -> Void) { do { try body() } catch { actual = error.errno } }
            switch rng.below(10) {
            case 0:
                let path = "f\(step)"
                op = "create \(sub)/\(path)"
                naive.subs[sub]![path] = (0, [])
                run { () throws(ReflinkError) in try model.createFile(sub, path) }
            case 1...3 where !paths.isEmpty:
                let path = rng.pick(paths)!, start = rng.below(40), values = (0..<(1 + rng.below(20))).map { _ in rng.next() }
                op = "write \(values.count) at \(start) into \(sub)/\(path)"
                expected = naive.write(sub, path, start, values)
                run { () throws(ReflinkError) in try model.write(sub, path, block: start, contents: values) }
            case 4...5 where !paths.isEmpty:
                let s = (sub, rng.pick(paths)!)
                let dsub = rng.pick(subs)!
                guard let dpath = rng.pick(naive.subs[dsub]!.keys.sorted()) else { continue }
                let d = (dsub, dpath)
                let unit = rng.below(8) == 0 ? 100 : 4096
                let so = rng.below(20) * unit, doff = rng.below(20) * unit, length = rng.below(6) == 0 ? 0 : rng.below(15) * unit + (rng.below(4) == 0 ? 50 : 0)
                op = "clone \(s)@\(so) -> \(d)@\(doff) len \(length)"
                expected = naive.cloneRange(s, so, d, doff, length)
                run { () throws(ReflinkError) in try model.cloneRange(s, sourceOffset: so, to: d, destinationOffset: doff, length: length) }
            case 6:
                let new = "snap\(step)"
                op = "snapshot \(sub) as \(new)"
                naive.subs[new] = naive.subs[sub]
                run { () throws(ReflinkError) in try model.snapshot(sub, as: new) }
            case 7 where subs.count > 1:
                op = "delete subvolume \(sub)"
                naive.subs[sub] = nil
                run { () throws(ReflinkError) in try model.deleteSubvolume(sub) }
            case 8 where !paths.isEmpty:
                let path = rng.pick(paths)!, bytes = rng.below(30) * 4096 + (rng.below(3) == 0 ? 7 : 0)
                op = "truncate \(sub)/\(path) \(bytes)"
                var f = naive.subs[sub]![path]!
                f.blocks = Array(f.blocks.prefix(naive.blocks(bytes))) + Array(repeating: nil, count: max(0, naive.blocks(bytes) - f.blocks.count))
                f.size = bytes
                naive.subs[sub]![path] = f
                run { () throws(ReflinkError) in try model.truncate(sub, path, bytes: bytes) }
            case 9 where !paths.isEmpty:
                let path = rng.pick(paths)!
                op = "delete \(sub)/\(path)"
                naive.subs[sub]![path] = nil
                run { () throws(ReflinkError) in try model.deleteFile(sub, path) }
            default:
                continue
            }
            #expect(actual == expected, "seed \(seed) step \(step): \(op)")
            guard model.usedBlocks == naive.used && model.referencedBlocks == naive.referenced.count else {
                Issue.record("seed \(seed) step \(step) after \(op): used \(model.usedBlocks) vs \(naive.used), referenced \(model.referencedBlocks) vs \(naive.referenced.count)")
                return
            }
            for (s, files) in naive.subs {
                for (path, f) in files {
                    let want = (0..<naive.blocks(f.size)).map { k in k < f.blocks.count ? f.blocks[k].map { naive.content[$0]! } : nil }
                    if try model.contents(s, path) != want || model.size(s, path) != f.size {
                        Issue.record("seed \(seed) step \(step) after \(op): \(s)/\(path) differs")
                        return
                    }
                }
            }
            if actual != expected { return }
        }
        #expect(model.invariantViolations().isEmpty)
    }
}
