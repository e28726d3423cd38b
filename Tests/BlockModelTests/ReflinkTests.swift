import Testing
@testable import BlockModel

/// MODEL.md §3 on small file systems counted by hand (4 KiB blocks).
@Suite("MODEL.md §3: reflink file systems")
struct ReflinkTests {
    let bs = 4096

    func fs(_ freeing: FreeingGranularity = .block, blocks: Int = 1000) throws -> ReflinkFileSystem {
        var f = ReflinkFileSystem(name: "fs", capacityBytes: blocks * 4096, profile: ReflinkProfile(freeing: freeing))
        try f.createSubvolume("home")
        return f
    }

    func state(_ f: ReflinkFileSystem) throws -> [String] {
        var lines = ["used \(f.usedBlocks)"]
        for sub in f.subvolumes.keys.sorted() {
            for path in f.subvolumes[sub]!.keys.sorted() {
                lines.append("\(sub)/\(path) \(try f.size(sub, path)) \(try f.contents(sub, path))")
            }
        }
        return lines
    }

    @Test func snapshotsAreWritableSharedAndUnlimited() throws {
        var f = try fs()
        try f.createFile("home", "a")
        try f.write("home", "a", block: 0, contents: Array(1...10))
        for k in 1...300 { try f.snapshot("home", as: "snap\(k)") }
        #expect(f.usedBlocks == 10)
        try f.write("snap7", "a", block: 3, contents: [99])
        #expect(try f.contents("snap7", "a")[3] == 99 && f.contents("home", "a")[3] == 4)
        #expect(f.usedBlocks == 11 && f.referencedBlocks == 11)
        try f.deleteSubvolume("home")
        #expect(f.usedBlocks == 11)
        #expect(f.invariantViolations().isEmpty)
    }

    @Test func ficloneAndRangeClonesShareBlocksAndTheDestinationGrows() throws {
        var f = try fs()
        try f.createFile("home", "a")
        try f.write("home", "a", block: 0, contents: Array(1...8))
        try f.createFile("home", "b")
        try f.reflink(("home", "a"), to: ("home", "b"))
        #expect(try f.usedBlocks == 8 && f.size("home", "b") == 8 * bs)
        try f.createFile("home", "c")
        try f.write("home", "c", block: 0, contents: [50, 51])
        // Blocks 2...5 of a onto c at block 1: c grows to 5 blocks; its block 1 (51) is freed.
        try f.cloneRange(("home", "a"), sourceOffset: 2 * bs, to: ("home", "c"), destinationOffset: bs, length: 4 * bs)
        #expect(try f.contents("home", "c") == [50, 3, 4, 5, 6])
        #expect(f.usedBlocks == 9)
        #expect(f.invariantViolations().isEmpty)
    }

    @Test func kernelChecksRefuseWithTheErrnoAndChangeNothing() throws {
        var f = try fs()
        try f.createFile("home", "a")
        try f.write("home", "a", block: 0, contents: Array(1...4))
        try f.truncate("home", "a", bytes: 3 * bs + 100)  // the last block is partial
        try f.createFile("home", "b")
        try f.write("home", "b", block: 0, contents: [9])
        let before = try state(f)
        func refused(_ errno: String, _ so: Int, _ dst: String, _ doff: Int, _ length: Int) throws {
            do {
                try f.cloneRange(("home", "a"), sourceOffset: so, to: ("home", dst), destinationOffset: doff, length: length)
                Issue.record("expected \(errno)")
            } catch {
                #expect(error.errno == errno, "\(error)")
            }
            #expect(try state(f) == before)
        }
        try refused("EINVAL", 100, "b", 0, bs)  // unaligned offset
        try refused("EINVAL", 0, "b", 0, bs + 1)  // unaligned length not ending at the source's end
        try refused("EINVAL", 0, "b", 0, 5 * bs)  // past the source's end of file
        try refused("EINVAL", 0, "a", bs, 2 * bs)  // overlapping ranges in one file
        var host = ReflinkHost()
        host.fileSystems = ["fs": f, "other": try fs()]
        #expect(throws: ReflinkError.crossDevice("'a' on fs and 'x' on other")) {
            try host.cloneRange("fs", ("home", "a"), sourceOffset: 0, to: "other", ("home", "x"), destinationOffset: 0, length: bs)
        }
        // An unaligned length that ends at the source's end of file is allowed; length 0
        // means "to the end of file".
        try f.cloneRange(("home", "a"), sourceOffset: 3 * bs, to: ("home", "b"), destinationOffset: bs, length: 100)
        #expect(try f.size("home", "b") == bs + 100 && f.contents("home", "b") == [9, 4])
        try f.createFile("home", "c")
        try f.cloneRange(("home", "a"), sourceOffset: 0, to: ("home", "c"), destinationOffset: 0, length: 0)
        #expect(try f.size("home", "c") == 3 * bs + 100 && f.usedBlocks == 5)
    }

    @Test func dedupeSharesOnlyIdenticalRanges() throws {
        var f = try fs()
        // 600 one-block files with the same data dedupe to one block: no sharing limit.
        for k in 0..<600 {
            try f.createFile("home", "f\(k)")
            try f.write("home", "f\(k)", block: 0, contents: [7])
        }
        for k in 1..<600 { #expect(try f.dedupeRange(("home", "f0"), sourceOffset: 0, to: ("home", "f\(k)"), destinationOffset: 0, length: bs) == bs) }
        #expect(f.usedBlocks == 1)
        try f.createFile("home", "other")
        try f.write("home", "other", block: 0, contents: [8])
        let before = try state(f)
        #expect(try f.dedupeRange(("home", "f0"), sourceOffset: 0, to: ("home", "other"), destinationOffset: 0, length: bs) == 0)
        #expect(try state(f) == before)
    }

    /// btrfs keeps a whole extent while any block of it is referenced; XFS frees blocks.
    @Test(arguments: [FreeingGranularity.block, .extent])
    func extentFreeingKeepsBookendExtents(freeing: FreeingGranularity) throws {
        var f = try fs(freeing)
        try f.createFile("home", "a")
        try f.write("home", "a", block: 0, contents: Array(1...8))  // one extent of 8 blocks
        try f.createFile("home", "b")
        try f.cloneRange(("home", "a"), sourceOffset: 6 * bs, to: ("home", "b"), destinationOffset: 0, length: 2 * bs)
        try f.write("home", "a", block: 0, contents: Array(11...18))  // a rewritten whole
        // Per block: b's 2 blocks + a's 8 new. Per extent: the old extent stays for b's sake.
        #expect(f.usedBlocks == (freeing == .block ? 10 : 16))
        #expect(f.referencedBlocks == 10)
        try f.deleteFile("home", "b")
        #expect(f.usedBlocks == 8)
        #expect(f.invariantViolations().isEmpty)
    }
}

extension ReflinkTests {
    @Test func accountingRowsCountedByHand() throws {
        var f = try fs(.extent)
        try f.createFile("home", "a")
        try f.write("home", "a", block: 0, contents: Array(1...4))  // one extent of 4
        try f.createFile("home", "b")
        try f.cloneRange(("home", "a"), sourceOffset: 0, to: ("home", "b"), destinationOffset: 0, length: 2 * bs)
        try f.write("home", "a", block: 0, contents: [9, 9, 9, 9])  // a: 4 new blocks; b keeps the old extent
        let rows = f.accounting()
        // File system: 8 allocated (the old extent whole, as b still uses 2 of its 4, plus a's 4
        // new), 6 mapped slots.
        #expect(rows[0].kind == .aggregate && rows[0].physicalUsed == 8 && rows[0].logicalUsed == 6)
        // The subvolume references 6 distinct blocks, each by one file only.
        #expect(rows[1].name == "home" && rows[1].physicalUsed == 6 && rows[1].unique == 6)
        #expect(rows.filter { $0.kind == .file }.map { [$0.logicalUsed, $0.physicalUsed, $0.unique] } == [[4, 4, 4], [2, 2, 2]])
    }
}
