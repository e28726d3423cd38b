import Testing
@testable import BlockModel

/// Deduplication on the ONTAP profile (MODEL.md §1, Deduplication), on cases counted by hand.
/// The dedup metadata is ceil(7% × the volume's own live blocks) after each run.
@Suite struct ONTAPDedupTests {
    func aggregate(_ mode: DedupMode? = nil) throws -> Aggregate {
        var a = Aggregate(name: "aggr", capacityBlocks: 100_000)
        try a.createVolume("v", sizeBlocks: 50_000)
        if let mode { try a.setDedup("v", mode: mode) }
        return a
    }

    /// 600 blocks of one content: 1 + 255 pointers per block, so donors of 256, 256 and 88.
    @Test func sixHundredIdenticalBlocksBecomeThree() throws {
        var a = try aggregate(.postProcess)
        try a.createFile("v", "f", sizeBlocks: 600)
        try a.write("v", "f", at: 0, contents: Array(repeating: 42, count: 600))
        let pending = try a.pendingDedupBlocks("v")
        #expect(a.physicalUsedBlocks == 600 && pending == 600)
        let run = try a.runDedup("v")
        var expected = DedupRun()
        expected.processedBlocks = 600
        expected.duplicates = 597
        expected.freedBlocks = 597
        expected.fullDonors = 2
        expected.metadataBlocks = 1  // ceil(0.07 × 3)
        expected.seconds = 600 / 25_600
        #expect(run == expected)
        #expect(a.store.liveBlocks == 3 && a.physicalUsedBlocks == 4)
        // Pointers per physical block, in the order the donors filled.
        var pointers: [BlockStore.Block: Int] = [:]
        for b in a.store.contents(a.volumes["v"]!.files["f"]!.map) { pointers[b, default: 0] += 1 }
        #expect(pointers.values.sorted() == [88, 256, 256])
        // The full donors' counts are past one byte: kept in the count column's overflow table.
        #expect(pointers.keys.map { a.store.referenceCount($0) }.sorted() == [88, 256, 256])
        #expect(a.store.refCount.overflow.count == 2)
        #expect(try a.dedupSavedBlocks("v") == 597)
        #expect(try a.contents("v", "f") == Array(repeating: 42, count: 600))
        #expect(a.invariantViolations().isEmpty)
    }

    /// Nothing is logged before the first run, which takes every mapped slot: overwriting
    /// 100 of 600 slots leaves 600 pending (a log would hold 700); after the run each write is
    /// logged, repeats included.
    @Test func theFirstRunTakesEverySlotAndLaterRunsTheLog() throws {
        var a = try aggregate(.postProcess)
        try a.createFile("v", "f", sizeBlocks: 1000)
        try a.write("v", "f", at: 0, contents: (0..<600).map { UInt64($0 % 300) })
        try a.write("v", "f", at: 0, contents: (0..<100).map { UInt64($0 % 300) })
        #expect(try a.pendingDedupBlocks("v") == 600)
        #expect(try a.runDedup("v").processedBlocks == 600)
        #expect(try a.pendingDedupBlocks("v") == 0)
        try a.write("v", "f", at: 590, contents: Array(repeating: 7, count: 20))
        try a.write("v", "f", at: 595, contents: Array(repeating: 7, count: 5))
        #expect(try a.pendingDedupBlocks("v") == 25)
        let run = try a.runDedup("v")
        // Slots 590..<610 now hold content 7: 20 distinct slots, 5 of them logged twice, all
        // pointed at content 7's donor (slot 7, which slot 307 already points at).
        #expect(run.processedBlocks == 25 && run.duplicates == 20)
        #expect(a.invariantViolations().isEmpty)
    }

    /// The same case inline: the write ends with the three blocks, no run needed.
    @Test func inlineDedupAtWriteTime() throws {
        var a = try aggregate(.inline)
        try a.createFile("v", "f", sizeBlocks: 600)
        try a.write("v", "f", at: 0, contents: Array(repeating: 42, count: 600))
        let saved = try a.dedupSavedBlocks("v"), pending = try a.pendingDedupBlocks("v")
        #expect(a.store.liveBlocks == 3 && saved == 597 && pending == 0)
    }

    /// Two files: f holds contents 0..<100 where 50..<100 repeat 0..<50; g repeats 0..<20
    /// and adds 20 new ones. 50 + 20 duplicates: 200 logical blocks on 130 physical.
    @Test(arguments: [DedupMode.postProcess, .inline])
    func knownDuplicatesGiveExactSavings(mode: DedupMode) throws {
        var a = try aggregate(mode)
        try a.createFile("v", "f", sizeBlocks: 100)
        try a.createFile("v", "g", sizeBlocks: 100)
        try a.write("v", "f", at: 0, contents: (0..<100).map { UInt64(1000 + $0 % 50) })
        try a.write("v", "g", at: 0, contents: (0..<40).map { UInt64(1000 + $0 % 20) } + (0..<20).map { UInt64(2000 + $0) })
        if mode == .postProcess {
            #expect(a.store.liveBlocks == 160)
            let run = try a.runDedup("v")
            #expect(run.processedBlocks == 160 && run.duplicates == 90 && run.freedBlocks == 90)
        }
        // f: 50 distinct; g's first 40 are duplicates of f's first 20 (twice); 20 new.
        let saved = try a.dedupSavedBlocks("v")
        #expect(a.store.liveBlocks == 70 && saved == 90)
        let rows = Dictionary(uniqueKeysWithValues: a.accounting().map { ($0.name, $0) })
        #expect(rows["v"]?.logicalUsed == 160 && rows["v"]?.physicalUsed == 70)
        #expect(rows["v/g"]?.physicalUsed == 40 && rows["v/g"]?.unique == 20)
        #expect(try a.contents("v", "g").prefix(3) == [1000, 1001, 1002])
    }

    /// Blocks a Snapshot copy holds are pointed at their donor but stay allocated until the
    /// Snapshot copy goes.
    @Test func snapshotsHoldTheReplacedBlocks() throws {
        var a = try aggregate(.postProcess)
        try a.createFile("v", "f", sizeBlocks: 10)
        try a.write("v", "f", at: 0, contents: Array(repeating: 7, count: 10))
        try a.createSnapshot("v", "s")
        let run = try a.runDedup("v")
        #expect(run.duplicates == 9 && run.freedBlocks == 0 && a.store.liveBlocks == 10)
        try a.deleteSnapshot("v", "s")
        #expect(a.store.liveBlocks == 1)
    }

    /// A clone volume of a deduplicated volume starts with its savings; deduplicating the
    /// clone's own writes changes no figure of the parent. [seed]
    @Test func aCloneInheritsSavingsAndItsDedupLeavesTheParentAlone() throws {
        var a = try aggregate(.postProcess)
        try a.createFile("v", "f", sizeBlocks: 600)
        try a.write("v", "f", at: 0, contents: Array(repeating: 42, count: 300) + (0..<300).map { UInt64(5000 + $0) })
        _ = try a.runDedup("v")
        #expect(try a.dedupSavedBlocks("v") == 298)  // 300 identical: donors of 256 and 44
        try a.createVolumeClone("c", parent: "v")
        let inherited = try a.dedupSavedBlocks("c"), mode = try a.dedupMode("c")
        #expect(inherited == 298 && mode == .postProcess)
        let clone = try #require(a.accounting().first { $0.name == "c" })
        #expect(clone.logicalUsed - clone.physicalUsed == 298)
        // The clone rewrites 100 unique blocks (310..<410) with copies of the 10 contents it
        // still holds at 300..<310, shared with the parent: each becomes a pointer to those.
        try a.write("c", "f", at: 310, contents: (0..<100).map { UInt64(5000 + $0 % 10) })
        let parentBefore = a.accounting().filter { $0.name == "v" || $0.name.hasPrefix("v/") || $0.name.hasPrefix("v@") }
        let run = try a.runDedup("c")
        #expect(run.duplicates == 100)  // the first run scans the clone's 600 slots
        let parentAfter = a.accounting().filter { $0.name == "v" || $0.name.hasPrefix("v/") || $0.name.hasPrefix("v@") }
        #expect(parentBefore == parentAfter)
        let cloneSaved = try a.dedupSavedBlocks("c"), parentSaved = try a.dedupSavedBlocks("v")
        #expect(cloneSaved == 398 && parentSaved == 298)
        #expect(a.invariantViolations().isEmpty)
    }

    /// A donor whose slot was rewritten is not used: the next duplicate becomes the donor.
    @Test func aStaleDonorIsReplaced() throws {
        var a = try aggregate(.postProcess)
        try a.createFile("v", "f", sizeBlocks: 4)
        try a.write("v", "f", at: 0, contents: [9, 1])
        _ = try a.runDedup("v")
        try a.write("v", "f", at: 0, contents: [2])  // the donor of 9 is gone
        try a.write("v", "f", at: 2, contents: [9, 9])
        let run = try a.runDedup("v")
        #expect(run.duplicates == 1 && a.store.liveBlocks == 3)
        #expect(try a.contents("v", "f") == [2, 1, 9, 9])
    }

    /// Zero blocks are deduplicated unless the profile says not to.
    @Test(arguments: [true, false])
    func zeroBlocksFollowTheSetting(dedupZeros: Bool) throws {
        var profile = ONTAPProfile()
        profile.dedupZeroBlocks = dedupZeros
        var a = Aggregate(name: "aggr", capacityBlocks: 1000, profile: profile)
        try a.createVolume("v", sizeBlocks: 500)
        try a.setDedup("v", mode: .postProcess)
        try a.createFile("v", "f", sizeBlocks: 20)
        try a.write("v", "f", at: 0, contents: Array(repeating: 0, count: 10) + Array(repeating: 3, count: 10))
        _ = try a.runDedup("v")
        #expect(a.store.liveBlocks == (dedupZeros ? 2 : 11))
    }

    @Test func aRunNeedsDedupOn() throws {
        var a = try aggregate()
        #expect(throws: ModelError.invalidArgument("dedup is not enabled on volume 'v'")) { try a.runDedup("v") }
    }

    /// A volume with a `volume` guarantee: a run, and an inline write into a reserved LUN, read
    /// the aggregate's free space while the volume (and the LUN) are out being changed, and
    /// count their reservation from them. By hand: 600 blocks of one content into a 600-block
    /// reserved LUN of a 50,000-block volume in a 100,000-block aggregate leave 3 blocks and
    /// ceil(7% × 3) = 1 metadata block; the LUN's unused reservation is 600 − 3 = 597, so the
    /// volume is charged 600 and holds back 49,400; free: 100,000 − 4 − 49,400 = 50,596.
    @Test(arguments: [DedupMode.postProcess, .inline])
    func aGuaranteedVolumeCountsItsOwnReservation(mode: DedupMode) throws {
        var a = Aggregate(name: "aggr", capacityBlocks: 100_000)
        try a.createVolume("v", sizeBlocks: 50_000, guarantee: .volume)
        try a.setDedup("v", mode: mode)
        try a.createFile("v", "lun", sizeBlocks: 600, attributes: FileAttributes(kind: .lun, spaceReserved: true))
        try a.write("v", "lun", at: 0, contents: Array(repeating: 42, count: 600))
        if mode == .postProcess { _ = try a.runDedup("v") }
        let metadata = try a.dedupMetadataBlocks("v")
        #expect(a.store.liveBlocks == 3 && metadata == 1)
        #expect(a.physicalUsedBlocks == 4 && a.reservedBlocks == 49_400 && a.freeBlocks == 50_596)
        #expect(a.invariantViolations().isEmpty)
    }
}

/// Issue 21, defect 1: fingerprint metadata of 7% of 100 blocks is 7 blocks, not 8.
@Suite struct DedupMetadataShareTests {
    /// The issue's reproduction at the model level: a 400 KiB file (100 blocks of unique data),
    /// one post-process run: 100 live blocks, ⌈7% × 100⌉ = 7 metadata blocks, 107 used.
    @Test func sevenPercentOfOneHundredBlocksIsSeven() throws {
        var a = Aggregate(name: "aggr", capacityBlocks: 262_144)
        try a.createVolume("v", sizeBlocks: 10_000)
        try a.setDedup("v", mode: .postProcess)
        try a.createFile("v", "f", sizeBlocks: 100)
        try a.write("v", "f", at: 0, contents: (1...100).map { UInt64($0) })
        let run = try a.runDedup("v")
        #expect(run.metadataBlocks == 7 && run.duplicates == 0)
        #expect(a.physicalUsedBlocks == 107)
    }

    /// A FlexClone file of 250 blocks writes ⌈0.4% × 250⌉ = 1 metadata block; of 1,000
    /// blocks exactly 4; of 1,001, 4.004 rounded up: 5.
    @Test(arguments: [(250, 1), (1000, 4), (1001, 5)])
    func cloneMetadataIsExact(blocks: Int, metadata: Int) throws {
        var a = Aggregate(name: "aggr", capacityBlocks: 100_000)
        try a.createVolume("v", sizeBlocks: 10_000)
        try a.createFile("v", "f", sizeBlocks: blocks)
        try a.cloneFile("v", "f", to: "g")
        #expect(a.volumes["v"]!.files["g"]!.metadataBlocks == metadata)
    }
}

/// Issue 21, defect 3: what the fingerprint catalog records of a donor decides whether a donor
/// whose slot was overwritten is still used. f1 and f2 each hold one block of content 9; a run
/// shares them (donor f1:0, f2 points at f1's block); f1 is overwritten; f3 writes 9; the next
/// run finds the donor's slot stale. A `slot` catalog (ONTAP's inode and block number) drops
/// it and f3 becomes the new donor: 3 physical blocks (f1's new one, the shared 9, f3's 9). A
/// `physical` catalog finds the block f2 still maps and points f3 at it: 2 blocks.
@Suite struct DonorCatalogTests {
    /// Volume `v` deduplicating in `mode`, with one-block files `files`.
    func aggregate(_ catalog: DonorCatalog, _ mode: DedupMode, files: [String]) throws -> Aggregate {
        var profile = ONTAPProfile()
        profile.donorCatalog = catalog
        var a = Aggregate(name: "aggr", capacityBlocks: 1000, profile: profile)
        try a.createVolume("v", sizeBlocks: 500)
        try a.setDedup("v", mode: mode)
        for f in files { try a.createFile("v", f, sizeBlocks: 1) }
        return a
    }

    @Test(arguments: [(DonorCatalog.slot, 3, 0), (.physical, 2, 1)])
    func anOverwrittenDonorSlot(catalog: DonorCatalog, blocks: Int, duplicates: Int) throws {
        var a = try aggregate(catalog, .postProcess, files: ["f1", "f2", "f3"])
        try a.write("v", "f1", at: 0, contents: [9])
        try a.write("v", "f2", at: 0, contents: [9])
        #expect(try a.runDedup("v").duplicates == 1 && a.store.liveBlocks == 1)
        try a.write("v", "f1", at: 0, contents: [5])
        try a.write("v", "f3", at: 0, contents: [9])
        #expect(a.store.liveBlocks == 3)
        let run = try a.runDedup("v")
        #expect(run.duplicates == duplicates && a.store.liveBlocks == blocks)
        #expect(try a.contents("v", "f1") == [5] && a.contents("v", "f2") == [9] && a.contents("v", "f3") == [9])
        // f1's overwrite took back the first run's saving (its block has one pointer left).
        #expect(try a.dedupSavedBlocks("v") == duplicates)
        #expect(a.invariantViolations().isEmpty)
    }

    /// The same case inline: the write of f3 is deduplicated as it is applied.
    @Test(arguments: [(DonorCatalog.slot, 3), (.physical, 2)])
    func anOverwrittenDonorSlotInline(catalog: DonorCatalog, blocks: Int) throws {
        var a = try aggregate(catalog, .inline, files: ["f1", "f2", "f3"])
        try a.write("v", "f1", at: 0, contents: [9])
        try a.write("v", "f2", at: 0, contents: [9])
        try a.write("v", "f1", at: 0, contents: [5])
        try a.write("v", "f3", at: 0, contents: [9])
        #expect(a.store.liveBlocks == blocks)
        #expect(try a.contents("v", "f3") == [9] && a.invariantViolations().isEmpty)
    }

    /// A block held only by a Snapshot copy is not a donor, whatever the catalog: dedup shares
    /// within the active file system. f1 holds 9, a run makes it the donor, a Snapshot copy
    /// keeps it, f1 is overwritten, f2 writes 9: the next run makes f2's block the donor.
    @Test(arguments: DonorCatalog.allCases)
    func aBlockOnlyASnapshotHoldsIsNoDonor(catalog: DonorCatalog) throws {
        var a = try aggregate(catalog, .postProcess, files: ["f1", "f2"])
        try a.write("v", "f1", at: 0, contents: [9])
        _ = try a.runDedup("v")
        try a.createSnapshot("v", "s")
        try a.write("v", "f1", at: 0, contents: [5])
        try a.write("v", "f2", at: 0, contents: [9])
        #expect(try a.runDedup("v").duplicates == 0 && a.store.liveBlocks == 3)
    }
}
