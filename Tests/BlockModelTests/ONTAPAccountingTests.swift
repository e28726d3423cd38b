import Testing
@testable import BlockModel

@Suite("Accounting: figures pinned on hand-worked cases")
struct ONTAPAccountingTests {
    /// The seed's dev/test example: a 100 GB production database, a full mirror, 3 developer
    /// and 3 tester copies. Full copies: 8 × 100 = 800 GB. With FlexClone (clones of the
    /// mirror, 10% change each): 100 + 100 + 6 × 10 = 260 GB.
    /// One block here is 1 GiB (a profile setting) so the test stays small; the arithmetic is
    /// the model's.
    @Test func theSeedsDevTestExample260Versus800() throws {
        var profile = ONTAPProfile()
        profile.blockSize = 1 << 30
        var a = Aggregate(name: "aggr1", capacityBlocks: 2000, profile: profile)
        try a.createVolume("prod", sizeBlocks: 200)
        try a.createFile("prod", "db", sizeBlocks: 100)
        try a.write("prod", "db", at: 0, contents: (0..<100).map { UInt64($0) })
        // The mirror is a full copy: same content, its own blocks.
        try a.createVolume("mirror", sizeBlocks: 200)
        try a.createFile("mirror", "db", sizeBlocks: 100)
        try a.write("mirror", "db", at: 0, contents: try a.contents("prod", "db").map { $0! })
        try a.createSnapshot("mirror", "golden")
        for name in ["dev1", "dev2", "dev3", "test1", "test2", "test3"] {
            try a.createVolumeClone(name, parent: "mirror", snapshot: "golden")
            // 10% change: 10 of the 100 blocks overwritten.
            try a.write(name, "db", at: 40, contents: Array(repeating: 7, count: 10))
        }
        #expect(a.physicalUsedBlocks == 260)
        let traditional = 8 * 100
        #expect(traditional == 800)
        #expect(a.physicalUsedBlocks * a.blockSize == 260 << 30)
        let aggr = try #require(Fixture.row(a, "aggr1"))
        #expect(aggr.logicalUsed == 800 && aggr.physicalUsed == 260 && aggr.savings == 540)
        for name in ["dev1", "test3"] {
            let clone = try #require(Fixture.row(a, name))
            #expect(clone.charged == 10 && clone.unique == 10 && clone.physicalUsed == 100 && clone.shared == 90)
            #expect(clone.logicalUsed == 100 && clone.savings == 0)
        }
        let mirror = try #require(Fixture.row(a, "mirror"))
        #expect(mirror.unique == 0 && mirror.charged == 100, "every mirror block is shared with the Snapshot copy")
        let golden = try #require(Fixture.row(a, "mirror@golden"))
        #expect(golden.unique == 0 && golden.physicalUsed == 100)
    }

    /// Every column for a small volume: a 10-block file, a Snapshot copy, 3 blocks overwritten,
    /// a file clone, 2 blocks of the clone overwritten, a volume clone writing 1 block.
    ///
    /// Blocks: f's original 1...10 (b1..b10); f overwrites slots 0-2 → n1..n3 (b1..b3 now only in
    /// the Snapshot copy); g = clone of f (n1 n2 n3 b4..b10); g overwrites slots 8-9 → g9, g10.
    /// Metadata: ceil(10 × 0.004) = 1 block. Then clone volume c of vol@s (f = b1..b10),
    /// c writes slot 0 → c1.
    @Test func everyColumnOnASmallCase() throws {
        var a = try Fixture.volumeWithFile(blocks: 10)
        try a.createSnapshot("vol", "s")
        try a.write("vol", "f", at: 0, contents: [101, 102, 103])
        try a.cloneFile("vol", "f", to: "g")
        try a.write("vol", "g", at: 8, contents: [209, 210])
        try a.createVolumeClone("c", parent: "vol", snapshot: "s")
        try a.write("c", "f", at: 0, contents: [301])

        // Live data blocks: b1..b10, n1..n3, g9, g10, c1 = 16; plus 1 metadata block.
        #expect(a.physicalUsedBlocks == 17)
        let f = try #require(Fixture.row(a, "vol/f"))
        // f reads n1 n2 n3 b4..b10: n1..n3 and b4..b8 shared with g; b9, b10 shared with s and c.
        #expect(f.logicalSize == 10 && f.logicalUsed == 10 && f.physicalUsed == 10 && f.unique == 0 && f.savings == 0)
        let g = try #require(Fixture.row(a, "vol/g"))
        #expect(g.physicalUsed == 10 && g.unique == 2 && g.shared == 8)
        let vol = try #require(Fixture.row(a, "vol"))
        // AFS reads n1..n3, b4..b10, g9, g10 = 12 distinct for 20 logical; unique: n1..n3, g9, g10.
        #expect(vol.logicalUsed == 20 && vol.physicalUsed == 12 && vol.savings == 8 && vol.unique == 5)
        #expect(vol.snapshotHeld == 3, "b1..b3 are held only by the Snapshot copy")
        // Charged: b1..b10, n1..n3, g9, g10 (15 written by vol) + 1 metadata.
        #expect(vol.charged == 16 && vol.reserved == 0)
        let s = try #require(Fixture.row(a, "vol@s"))
        // s reads b1..b10. c overwrote slot 0, so b1 is s's alone; c still reads b2, b3 and
        // b4..b10 are shared with f, g and c.
        #expect(s.physicalUsed == 10 && s.unique == 1 && s.logicalUsed == 10, "\(s)")
        let c = try #require(Fixture.row(a, "c"))
        // c reads c1, b2..b10: c1 unique; charged only c1.
        #expect(c.physicalUsed == 10 && c.unique == 1 && c.charged == 1 && c.snapshotHeld == 0)
        let aggr = try #require(Fixture.row(a, "aggr1"))
        #expect(aggr.logicalUsed == 30 && aggr.physicalUsed == 17 && aggr.savings == 13)
        // Held only by Snapshot copies anywhere: b1 (c overwrote it too)... b1, b2, b3 are read
        // by s; c still reads b2, b3. So only b1 is snapshot-only.
        #expect(aggr.snapshotHeld == 1)
        #expect(a.freeBlocks == 100_000 - 17)
    }

    @Test func savingsAreLogicalUsedMinusPhysicalUsedForEveryRow() throws {
        var a = try Fixture.volumeWithFile(blocks: 40)
        try a.cloneFile("vol", "f", to: "g")
        try a.createSnapshot("vol", "s")
        try a.write("vol", "f", at: 0, contents: [1, 2, 3])
        for row in a.accounting() { #expect(row.savings == row.logicalUsed - row.physicalUsed) }
    }
}

@Suite("Copy-on-write safety")
struct CopyOnWriteSafetyTests {
    /// swift-collections' `withHiddenCopies`: mutate a value while a copy of it is alive; the
    /// copy must not change.
    @Test func aHiddenCopyOfTheModelIsNeverChangedByMutations() throws {
        var a = try Fixture.volumeWithFile(blocks: 3000)
        try a.cloneFile("vol", "f", to: "g")
        try a.createSnapshot("vol", "s")
        let hidden = a
        let hiddenRows = hidden.accounting()
        let hiddenContents = try hidden.contents("vol", "g")
        try a.write("vol", "g", at: 100, contents: Array(repeating: 9, count: 50))
        try a.cloneFile("vol", "g", to: "h")
        try a.createVolumeClone("c", parent: "vol", snapshot: "s")
        try a.write("c", "f", at: 0, contents: [1])
        try a.deleteFile("vol", "f")
        #expect(hidden.accounting() == hiddenRows)
        #expect(try hidden.contents("vol", "g") == hiddenContents)
        #expect(hidden.invariantViolations().isEmpty)
        #expect(a.invariantViolations().isEmpty)
    }

    @Test(arguments: [false, true])
    func writesToAParentNeverChangeACloneOrSnapshotAndViceVersa(writeToClone: Bool) throws {
        var a = try Fixture.volumeWithFile(blocks: 4096)
        try a.createSnapshot("vol", "s")
        try a.createVolumeClone("c", parent: "vol", snapshot: "s")
        try a.cloneFile("vol", "f", to: "fc")
        let watched: [(String, String)] = writeToClone ? [("vol", "f"), ("vol", "fc")] : [("c", "f"), ("vol", "fc")]
        let rowsBefore = watched.map { Fixture.row(a, $0.0 == "c" ? "c/\($0.1)" : "\($0.0)/\($0.1)") }
        let contentsBefore = try watched.map { try a.contents($0.0, $0.1) }
        let snapBefore = try a.contents("vol", snapshot: "s", "f")
        let snapRow = Fixture.row(a, "vol@s")?.physicalUsed
        var state: UInt64 = 17
        for _ in 0..<200 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let at = Int(state >> 33) % 4000
            if writeToClone {
                try a.write("c", "f", at: at, contents: [state])
            } else {
                try a.write("vol", "f", at: at, contents: [state, state &+ 1])
            }
        }
        #expect(try watched.map { try a.contents($0.0, $0.1) } == contentsBefore)
        #expect(try a.contents("vol", snapshot: "s", "f") == snapBefore)
        #expect(Fixture.row(a, "vol@s")?.physicalUsed == snapRow)
        let rowsAfter = watched.map { Fixture.row(a, $0.0 == "c" ? "c/\($0.1)" : "\($0.0)/\($0.1)") }
        #expect(rowsAfter.map { $0?.logicalUsed } == rowsBefore.map { $0?.logicalUsed })
        #expect(rowsAfter.map { $0?.physicalUsed } == rowsBefore.map { $0?.physicalUsed })
    }
}
