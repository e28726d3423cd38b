import Testing
@testable import BlockModel

/// MODEL.md §2, one test per rule, on small volumes counted by hand.
@Suite("MODEL.md §2: ReFS block cloning")
struct ReFSRuleTests {
    /// A volume of `clusters` clusters with files whose clusters hold consecutive content.
    func volume(clusterSize: Int = 4096, clusters: Int = 100, version: ReFSVersion = ReFSVersion(3, 4)) throws -> ReFSVolume {
        try ReFSVolume(name: "R", capacityBytes: clusters * clusterSize, clusterSize: clusterSize, version: version)
    }

    func addFile(_ v: inout ReFSVolume, _ path: String, clusters: Int, firstContent: UInt64, sparse: Bool = false,
                 integrity: Bool = false) throws {
        try v.createFile(path, sparse: sparse, integrityStreams: integrity)
        try v.write(path, cluster: 0, contents: (0..<UInt64(clusters)).map { firstContent + $0 })
    }

    /// Everything a refused operation must leave as it was.
    func state(_ v: ReFSVolume) throws -> [String] {
        var lines = ["used \(v.usedClusters)", "oplocks \(v.oplockBreaks)"]
        for p in v.filePaths {
            let contents = try v.contents(p)
            lines.append("\(p): \(contents.map { $0.map(String.init) ?? "-" })")
            lines.append("\(p) counts: \(try contents.indices.map { try v.referenceCount(p, cluster: $0) })")
        }
        return lines
    }

    @Test func theSeedsWorkedExample() throws {
        // X = A, B, C and Y = D, E, F; each region 2 clusters with count 1.
        var v = try volume()
        try addFile(&v, "X", clusters: 6, firstContent: 100)  // A = 100,101  B = 102,103  C = 104,105
        try addFile(&v, "Y", clusters: 6, firstContent: 200)  // D = 200,201  E = 202,203  F = 204,205
        #expect(v.usedClusters == 12)
        let a0 = try #require(try v.volumeCluster("X", cluster: 0))
        // Clone A and B of X onto Y at E's offset: Y reads D, A, B.
        try v.blockClone(source: "X", sourceOffset: 0, destination: "Y", destinationOffset: 2 * 4096, length: 4 * 4096)
        #expect(try v.contents("Y") == [200, 201, 100, 101, 102, 103])
        #expect(try (0..<4).map { try v.referenceCount("X", cluster: $0) } == [2, 2, 2, 2])
        #expect(try v.referenceCount("X", cluster: 4) == 1 && v.referenceCount("Y", cluster: 0) == 1)
        // E's and F's clusters dropped to 0 and are free; nothing was copied.
        #expect(v.usedClusters == 8 && v.freeClusters == 92)
        #expect(v.oplockBreaks == 2 && v.clonedClusters == 4)
        // Overwrite the first cluster of A in X: only that cluster moves (G, count 1).
        try v.write("X", cluster: 0, contents: [300])
        #expect(try v.contents("X") == [300, 101, 102, 103, 104, 105])
        #expect(try v.contents("Y") == [200, 201, 100, 101, 102, 103])
        #expect(try v.referenceCount("X", cluster: 0) == 1)
        #expect(try v.volumeCluster("Y", cluster: 2) == a0 && v.referenceCount("Y", cluster: 2) == 1)
        #expect(try v.referenceCount("X", cluster: 1) == 2 && v.referenceCount("X", cluster: 2) == 2)
        #expect(v.usedClusters == 9)
        #expect(v.invariantViolations().isEmpty)
        // Figures: X and Y share A's second cluster and B: 3 clusters; each has 3 of its own.
        let rows = v.accounting()
        #expect(rows[0].physicalUsed == 9 && rows[0].logicalUsed == 12 && rows[0].savings == 3)
        #expect(rows.first { $0.name == "R/X" }.map { [$0.unique, $0.shared] } == [3, 3])
        #expect(rows.first { $0.name == "R/Y" }.map { [$0.unique, $0.shared] } == [3, 3])
    }

    @Test(arguments: [4096, 65536])
    func allocateOnWriteMovesOnlyTheWrittenCluster(clusterSize: Int) throws {
        var v = try volume(clusterSize: clusterSize)
        try addFile(&v, "src", clusters: 4, firstContent: 1)
        try v.createFile("dst")
        try v.setEndOfFile("dst", bytes: 4 * clusterSize)
        try v.blockClone(source: "src", sourceOffset: 0, destination: "dst", destinationOffset: 0, length: 4 * clusterSize)
        let before = try (0..<4).map { try v.volumeCluster("dst", cluster: $0) }
        try v.write("dst", cluster: 2, contents: [99])
        let after = try (0..<4).map { try v.volumeCluster("dst", cluster: $0) }
        #expect(after[0] == before[0] && after[1] == before[1] && after[3] == before[3] && after[2] != before[2])
        #expect(try (0..<4).map { try v.referenceCount("src", cluster: $0) } == [2, 2, 1, 2])
        #expect(v.usedClusters == 5)
        // An unshared cluster is written in place.
        let own = try v.volumeCluster("dst", cluster: 2)
        try v.write("dst", cluster: 2, contents: [100])
        #expect(try v.volumeCluster("dst", cluster: 2) == own && v.usedClusters == 5)
    }

    @Test func atMost8175FileRegionsMapOneCluster() throws {
        var v = try volume(clusters: 10_000)
        try addFile(&v, "src", clusters: 1, firstContent: 1)
        // 8174 clones spread over two files: with the original, 8175 regions.
        try v.createFile("a", sparse: true)
        try v.setEndOfFile("a", bytes: 4000 * 4096)
        try v.createFile("b", sparse: true)
        try v.setEndOfFile("b", bytes: 4175 * 4096)
        for k in 0..<4000 { try v.blockClone(source: "src", sourceOffset: 0, destination: "a", destinationOffset: k * 4096, length: 4096) }
        for k in 0..<4174 { try v.blockClone(source: "src", sourceOffset: 0, destination: "b", destinationOffset: k * 4096, length: 4096) }
        #expect(try v.referenceCount("src", cluster: 0) == 8175)
        let before = try state(v)
        #expect(throws: ReFSError.tooManyReferences(volume: "R", cluster: try #require(try v.volumeCluster("src", cluster: 0)),
                                                    wouldHave: 8176, limit: 8175)) {
            try v.blockClone(source: "src", sourceOffset: 0, destination: "b", destinationOffset: 4174 * 4096, length: 4096)
        }
        #expect(try state(v) == before)
        // Re-cloning onto a slot that already maps the cluster adds nothing, so it is allowed.
        try v.blockClone(source: "src", sourceOffset: 0, destination: "a", destinationOffset: 0, length: 4096)
        #expect(try v.referenceCount("src", cluster: 0) == 8175)
        #expect(v.invariantViolations().isEmpty)
    }

    /// Each restriction: the Windows error, and nothing changed.
    @Test func everyRestrictionRefusesTheWholeClone() throws {
        var v = try volume(clusterSize: 65536)
        try addFile(&v, "x", clusters: 4, firstContent: 1)
        try addFile(&v, "y", clusters: 4, firstContent: 10)
        try addFile(&v, "i", clusters: 4, firstContent: 20, integrity: true)
        try addFile(&v, "s", clusters: 4, firstContent: 30, sparse: true)
        let before = try state(v)
        func refused(_ name: String, _ source: String, _ so: Int, _ destination: String, _ doff: Int, _ length: Int) throws {
            do {
                try v.blockClone(source: source, sourceOffset: so, destination: destination, destinationOffset: doff, length: length)
                Issue.record("expected \(name)")
            } catch {
                #expect(error.windowsName == name, "\(error)")
            }
            #expect(try state(v) == before)
        }
        let c = 65536
        try refused("ERROR_INVALID_PARAMETER", "x", 4096, "y", 0, c)  // offset not on a cluster boundary
        try refused("ERROR_INVALID_PARAMETER", "x", 0, "y", 0, c + 4096)  // length not whole clusters
        try refused("ERROR_INVALID_PARAMETER", "x", 0, "y", 3 * c, 2 * c)  // past the destination's end of file
        try refused("ERROR_INVALID_PARAMETER", "x", 0, "y", 0, 4 << 30)  // 4 GiB or more
        try refused("ERROR_NOT_SUPPORTED", "x", 0, "x", c, 2 * c)  // overlapping ranges in one file
        try refused("ERROR_INVALID_PARAMETER", "x", 0, "i", 0, c)  // integrity streams differ
        try refused("ERROR_NOT_SUPPORTED", "s", 0, "y", 0, c)  // sparse into non-sparse
        // Non-overlapping ranges in one file are fine.
        var w = v
        try w.blockClone(source: "x", sourceOffset: 0, destination: "x", destinationOffset: 2 * c, length: 2 * c)
        #expect(try w.contents("x") == [1, 2, 1, 2] && w.oplockBreaks == 1)
        // A format before block cloning.
        var old = try volume(version: ReFSVersion(1, 2))
        try addFile(&old, "x", clusters: 1, firstContent: 1)
        try addFile(&old, "y", clusters: 1, firstContent: 2)
        #expect(throws: ReFSError.invalidDeviceRequest(volume: "R", version: ReFSVersion(1, 2))) {
            try old.blockClone(source: "x", sourceOffset: 0, destination: "y", destinationOffset: 0, length: 4096)
        }
        // Two volumes.
        var system = ReFSSystem()
        try system.add(v)
        var other = try ReFSVolume(name: "S", capacityBytes: 10 * c, clusterSize: c)
        try addFile(&other, "z", clusters: 1, firstContent: 50)
        try system.add(other)
        do {
            try system.blockClone(source: ("R", "x"), sourceOffset: 0, destination: ("S", "z"), destinationOffset: 0, length: c)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.windowsName == "ERROR_INVALID_PARAMETER")
        }
        #expect(try state(try #require(system.volumes["R"])) == before)
    }

    @Test func writesAndEndOfFileNeedFreeClusters() throws {
        var v = try volume(clusters: 10)
        try addFile(&v, "x", clusters: 8, firstContent: 1)
        let before = try state(v)
        #expect(throws: ReFSError.diskFull(volume: "R", neededClusters: 3, freeClusters: 2)) {
            try v.write("x", cluster: 7, contents: [9, 9, 9, 9])  // 1 in place, 3 new
        }
        #expect(throws: ReFSError.diskFull(volume: "R", neededClusters: 3, freeClusters: 2)) {
            try v.setEndOfFile("x", bytes: 11 * 4096)
        }
        #expect(try state(v) == before)
        // Truncating frees the clusters past the new end; a sparse file allocates nothing.
        try v.setEndOfFile("x", bytes: 5 * 4096)
        #expect(v.usedClusters == 5)
        try v.createFile("s", sparse: true)
        try v.setEndOfFile("s", bytes: 100 * 4096)
        #expect(v.usedClusters == 5 && v.invariantViolations().isEmpty)
    }
}
