import Testing
@testable import BlockModel

/// Helpers shared by the ONTAP tests.
enum Fixture {
    /// An aggregate with one thin volume holding one fully written file of `blocks` blocks,
    /// contents 1...blocks.
    static func volumeWithFile(blocks: Int, capacity: Int = 100_000, volumeSize: Int = 50_000,
                               profile: ONTAPProfile = ONTAPProfile(), attributes: FileAttributes = FileAttributes())
        throws -> Aggregate
    {
        var a = Aggregate(name: "aggr1", capacityBlocks: capacity, profile: profile)
        try a.createVolume("vol", sizeBlocks: volumeSize)
        try a.createFile("vol", "f", sizeBlocks: blocks, attributes: attributes)
        try a.write("vol", "f", at: 0, contents: (1...UInt64(blocks)).map { $0 })
        return a
    }

    static func row(_ a: Aggregate, _ name: String) -> ObjectFigures? {
        a.accounting().first { $0.name == name }
    }

    /// Runs `body` and returns the ModelError it threw (nil if none).
    static func error(_ body: () throws -> Void) -> ModelError? {
        do { try body(); return nil } catch let error as ModelError { return error } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }
}

@Suite("MODEL.md §1: aggregates, volumes, Snapshot copies")
struct AggregateAndSnapshotRules {
    @Test func writesThatNeedABlockWhenTheAggregateHasNoneFailWithOutOfSpace() throws {
        var a = Aggregate(name: "aggr1", capacityBlocks: 100)
        try a.createVolume("vol", sizeBlocks: 1000)
        try a.createFile("vol", "f", sizeBlocks: 200)
        try a.write("vol", "f", at: 0, contents: Array(repeating: 7, count: 90))
        let before = a.accounting()
        #expect(Fixture.error { try a.write("vol", "f", at: 90, contents: Array(repeating: 7, count: 20)) }
                == .outOfSpace(volume: "vol", neededBlocks: 20, availableBlocks: 10, inAggregate: true))
        #expect(a.accounting() == before, "a refused write changes nothing")
    }

    @Test func aVolumeGuaranteeReservesItsWholeSize() throws {
        var a = Aggregate(name: "aggr1", capacityBlocks: 1000)
        try a.createVolume("thick", sizeBlocks: 600, guarantee: .volume)
        #expect(a.freeBlocks == 400 && a.reservedBlocks == 600)
        try a.createFile("thick", "f", sizeBlocks: 100)
        try a.write("thick", "f", at: 0, contents: Array(repeating: 1, count: 100))
        #expect(a.freeBlocks == 400 && a.reservedBlocks == 500 && a.physicalUsedBlocks == 100)
        #expect(Fixture.error { try a.createVolume("other", sizeBlocks: 401, guarantee: .volume) }
                == .cannotReserve(volume: "other", object: "other", neededBlocks: 401, availableBlocks: 400))
        try a.createVolume("thin", sizeBlocks: 5000)
        #expect(abs(a.overcommitment - 5.6) < 1e-12)
    }

    @Test func waflNeverOverwritesInPlace() throws {
        var a = try Fixture.volumeWithFile(blocks: 10)
        try a.write("vol", "f", at: 3, contents: [100])
        // The old block had no other reference: freed; the new one took its place.
        #expect(a.physicalUsedBlocks == 10)
        #expect(try a.contents("vol", "f")[3] == 100)
    }

    @Test func aSnapshotCopiesNoDataAndHoldsOverwrittenBlocks() throws {
        var a = try Fixture.volumeWithFile(blocks: 10)
        try a.createSnapshot("vol", "s1")
        #expect(a.physicalUsedBlocks == 10, "creating a Snapshot copy copies no data block")
        try a.write("vol", "f", at: 0, contents: [101, 102, 103])
        #expect(a.physicalUsedBlocks == 13)
        let snap = try #require(Fixture.row(a, "vol@s1"))
        #expect(snap.unique == 3, "its size is the blocks only it still references")
        #expect(snap.physicalUsed == 10 && snap.logicalUsed == 10)
        #expect(try a.contents("vol", snapshot: "s1", "f") == (1...10).map { UInt64($0) })
        try a.deleteSnapshot("vol", "s1")
        #expect(a.physicalUsedBlocks == 10)
    }

    @Test func atMost255SnapshotCopiesPerVolume() throws {
        var a = try Fixture.volumeWithFile(blocks: 4)
        for i in 0..<255 { try a.createSnapshot("vol", "s\(i)") }
        #expect(Fixture.error { try a.createSnapshot("vol", "s255") } == .snapshotLimit(volume: "vol", limit: 255))
        #expect(try a.snapshotNames("vol").count == 255)
    }
}

@Suite("MODEL.md §1: FlexClone volumes")
struct FlexCloneVolumeRules {
    @Test func creatingACloneCopiesNoDataBlocks() throws {
        var a = try Fixture.volumeWithFile(blocks: 1000)
        try a.createVolumeClone("c1", parent: "vol")
        #expect(a.physicalUsedBlocks == 1000)
        #expect(try a.chargedBlocks("c1") == 0)
        #expect(try a.snapshotNames("vol") == ["clone_c1.0"], "a base Snapshot copy was created automatically")
        #expect(try a.cloneBase(of: "c1")! == ("vol", "clone_c1.0"))
        #expect(try a.contents("c1", "f") == (1...1000).map { UInt64($0) })
    }

    @Test func parentAndCloneChangeIndependently() throws {
        var a = try Fixture.volumeWithFile(blocks: 100)
        try a.createVolumeClone("c1", parent: "vol")
        try a.write("c1", "f", at: 0, contents: [500, 501])
        try a.write("vol", "f", at: 50, contents: [600])
        let clone = try a.contents("c1", "f"), parent = try a.contents("vol", "f")
        #expect(clone[0] == 500 && clone[1] == 501 && clone[50] == 51)
        #expect(parent[0] == 1 && parent[1] == 2 && parent[50] == 600)
        #expect(try a.chargedBlocks("c1") == 2)
        // vol: 100 own blocks, one overwritten but held by the base Snapshot copy.
        #expect(try a.chargedBlocks("vol") == 101)
        #expect(a.physicalUsedBlocks == 103)
    }

    @Test func oneSnapshotBacksSeveralClonesAndClonesNest() throws {
        var a = try Fixture.volumeWithFile(blocks: 50)
        try a.createSnapshot("vol", "base")
        try a.createVolumeClone("c1", parent: "vol", snapshot: "base")
        try a.createVolumeClone("c2", parent: "vol", snapshot: "base")
        try a.write("c1", "f", at: 0, contents: [900])
        try a.createSnapshot("c1", "c1snap")
        try a.createVolumeClone("c1a", parent: "c1", snapshot: "c1snap")
        #expect(try a.contents("c1a", "f")[0] == 900)
        #expect(try a.contents("c2", "f")[0] == 1)
        #expect(try a.clones(of: "vol") == ["c1", "c2"])
        #expect(try a.clones(of: "c1") == ["c1a"])
        #expect(a.physicalUsedBlocks == 51)
    }

    @Test func atMost255ClonesOfOneVolume() throws {
        var a = try Fixture.volumeWithFile(blocks: 8)
        try a.createSnapshot("vol", "base")
        for i in 0..<255 { try a.createVolumeClone("c\(i)", parent: "vol", snapshot: "base") }
        let before = a.accounting()
        #expect(Fixture.error { try a.createVolumeClone("c255", parent: "vol") } == .cloneLimit(parent: "vol", limit: 255))
        #expect(a.accounting() == before)
        #expect(try a.snapshotNames("vol") == ["base"], "the refused clone made no automatic Snapshot copy")
        #expect(a.volumeNames.count == 256)
    }

    @Test func theBaseSnapshotIsLockedWhileACloneUsesIt() throws {
        var a = try Fixture.volumeWithFile(blocks: 8)
        try a.createVolumeClone("c1", parent: "vol")
        #expect(Fixture.error { try a.deleteSnapshot("vol", "clone_c1.0") }
                == .snapshotBusy(volume: "vol", snapshot: "clone_c1.0", clones: ["c1"]))
        #expect(Fixture.error { try a.destroyVolume("vol") } == .parentHasClones(volume: "vol", clones: ["c1"]))
    }

    @Test func destroyingACloneFreesOnlyItsBlocksAndKeepsTheBaseSnapshot() throws {
        var a = try Fixture.volumeWithFile(blocks: 100)
        try a.createVolumeClone("c1", parent: "vol")
        try a.write("c1", "f", at: 0, contents: Array(repeating: 5, count: 10))
        #expect(a.physicalUsedBlocks == 110)
        try a.destroyVolume("c1")
        #expect(a.physicalUsedBlocks == 100)
        #expect(try a.snapshotNames("vol") == ["clone_c1.0"], "not deleted automatically")
        try a.deleteSnapshot("vol", "clone_c1.0")  // now unlocked
    }

    @Test func splitEstimateEqualsTheSpaceTheSplitTakes() throws {
        var a = try Fixture.volumeWithFile(blocks: 100)
        try a.createVolumeClone("c1", parent: "vol")
        try a.write("c1", "f", at: 0, contents: Array(repeating: 5, count: 30))
        #expect(try a.splitEstimate("c1") == 70)
        let before = a.physicalUsedBlocks
        try a.splitClone("c1")
        #expect(a.physicalUsedBlocks - before == 70)
        #expect(try a.chargedBlocks("c1") == 100)
        #expect(try a.cloneBase(of: "c1") == nil)
        #expect(try a.snapshotNames("vol") == ["clone_c1.0"], "the base Snapshot copy stays after a split")
        try a.deleteSnapshot("vol", "clone_c1.0")
        #expect(try a.contents("c1", "f") == Array(repeating: 5, count: 30) + (31...100).map { UInt64($0) })
    }

    @Test func aSplitFailsCleanlyWithoutSpace() throws {
        var a = try Fixture.volumeWithFile(blocks: 100, capacity: 150)
        try a.createVolumeClone("c1", parent: "vol")
        let before = a.accounting()
        #expect(Fixture.error { try a.splitClone("c1") }
                == .outOfSpace(volume: "c1", neededBlocks: 100, availableBlocks: 50, inAggregate: true))
        #expect(a.accounting() == before)
    }

    @Test func aSplitDeletesTheClonesOwnSnapshotCopies() throws {
        var a = try Fixture.volumeWithFile(blocks: 10)
        try a.createVolumeClone("c1", parent: "vol")
        try a.createSnapshot("c1", "mine")
        try a.splitClone("c1")
        #expect(try a.snapshotNames("c1").isEmpty)
    }

    @Test func snapLockVolumesCannotBeCloned() throws {
        var a = Aggregate(name: "aggr1", capacityBlocks: 100)
        try a.createVolume("worm", sizeBlocks: 50, snapLock: true)
        #expect(Fixture.error { try a.createVolumeClone("c", parent: "worm") } == .snapLock(volume: "worm"))
        #expect(a.volumeNames == ["worm"])
    }

    @Test func aNewCloneCarriesTheParentsOwnershipAndPermissions() throws {
        var a = try Fixture.volumeWithFile(blocks: 4, attributes: FileAttributes(user: "oracle", group: "dba"))
        try a.createVolumeClone("c1", parent: "vol")
        #expect(try a.hasInheritedPermissions("c1"))
        #expect(try !a.hasInheritedPermissions("vol"))
        #expect(try a.attributes("c1", "f").user == "oracle")
    }
}

@Suite("MODEL.md §1: FlexClone files and LUNs, the sharing limit, quotas")
struct FlexCloneFileRules {
    @Test func aFileCloneSharesTheSourceBlocksAndWritesOnlyMetadata() throws {
        var a = try Fixture.volumeWithFile(blocks: 1000)
        let result = try a.cloneFile("vol", "f", to: "g")
        #expect(result == .init(sharedBlocks: 1000, copiedBlocks: 0, metadataBlocks: 4, oversubscribedQuotas: []))
        // 0.4% of 1000 blocks = 4 metadata blocks; no data block.
        #expect(a.physicalUsedBlocks == 1004)
        #expect(try a.chargedBlocks("vol") == 1004)
        let f = try #require(Fixture.row(a, "vol/f")), g = try #require(Fixture.row(a, "vol/g"))
        #expect(f.unique == 0 && g.unique == 0 && g.physicalUsed == 1000 && g.logicalUsed == 1000)
        let vol = try #require(Fixture.row(a, "vol"))
        #expect(vol.logicalUsed == 2000 && vol.physicalUsed == 1000 && vol.savings == 1000 && vol.unique == 1000)
    }

    @Test func theSeeds255ClonesShareThe256thIsAFullCopyAndItsClonesShareAgain() throws {
        var a = try Fixture.volumeWithFile(blocks: 20, capacity: 10_000, volumeSize: 10_000)
        for i in 1...255 {
            let r = try a.cloneFile("vol", "f", to: "clone\(i)")
            #expect(r.copiedBlocks == 0 && r.sharedBlocks == 20)
        }
        #expect(a.fallbackCopies == 0)
        let r256 = try a.cloneFile("vol", "f", to: "clone256")
        #expect(r256.copiedBlocks == 20 && r256.sharedBlocks == 0, "the 256th clone is a full copy")
        #expect(a.fallbackCopies == 20)
        for i in 1...255 {
            let r = try a.cloneFile("vol", "clone256", to: "copy-clone\(i)")
            #expect(r.copiedBlocks == 0, "the copy can be cloned 255 times")
        }
        #expect(try a.cloneFile("vol", "clone256", to: "copy-clone256").copiedBlocks == 20)
        #expect(a.fallbackCopies == 40)
        // Data blocks: the original 20, its copy, the copy's copy.
        let vol = try #require(Fixture.row(a, "vol"))
        #expect(vol.physicalUsed == 60 && vol.logicalUsed == 20 * 513)
    }

    @Test func fileClonesAreNeverSpaceReservedLunClonesInheritTheReservation() throws {
        var a = Aggregate(name: "aggr1", capacityBlocks: 10_000)
        try a.createVolume("vol", sizeBlocks: 1000)
        try a.createFile("vol", "lun0", sizeBlocks: 300, attributes: FileAttributes(kind: .lun, spaceReserved: true))
        #expect(try a.chargedBlocks("vol") == 300, "an unwritten reserved LUN reserves its size")
        try a.write("vol", "lun0", at: 0, contents: Array(repeating: 1, count: 300))
        #expect(try a.chargedBlocks("vol") == 300)
        try a.cloneFile("vol", "lun0", to: "lun1")
        // The LUN clone owns nothing alone yet: it reserves all 300 blocks, plus 2 metadata.
        #expect(try a.chargedBlocks("vol") == 602)
        #expect(try a.attributes("vol", "lun1").spaceReserved)
        try a.cloneFile("vol", "lun0", to: "lun2")
        #expect(try a.chargedBlocks("vol") == 904)
        let before = a.accounting()
        #expect(Fixture.error { try a.cloneFile("vol", "lun0", to: "lun3") }
                == .cannotReserve(volume: "vol", object: "lun3", neededBlocks: 302, availableBlocks: 96))
        #expect(a.accounting() == before)
        try a.createFile("vol", "plain", sizeBlocks: 10, attributes: FileAttributes(kind: .file, spaceReserved: true))
        try a.cloneFile("vol", "plain", to: "plain-clone")
        #expect(try !a.attributes("vol", "plain-clone").spaceReserved)
    }

    @Test func quotasAreChargedAtLogicalSize() throws {
        // 10 GiB = 2,621,440 blocks would be slow here; 10 "GiB" of 1 MiB blocks is the same rule.
        var profile = ONTAPProfile()
        profile.blockSize = 1 << 20
        var a = Aggregate(name: "aggr1", capacityBlocks: 100_000, profile: profile)
        try a.createVolume("vol", sizeBlocks: 50_000)
        try a.createQtree("vol", "proj")
        try a.createFile("vol", "db", sizeBlocks: 10_240, attributes: FileAttributes(qtree: "proj"))
        try a.write("vol", "db", at: 0, contents: Array(repeating: 3, count: 10_240))
        try a.cloneFile("vol", "db", to: "db-clone")
        #expect(a.treeUsage(a.volumes["vol"]!, "proj") * a.blockSize == 20 << 30, "10 GiB + one clone charges 20 GiB")
    }

    @Test func aCloneOverATreeQuotaFailsOverAUserQuotaSucceedsOversubscribed() throws {
        var a = Aggregate(name: "aggr1", capacityBlocks: 10_000)
        try a.createVolume("vol", sizeBlocks: 5000)
        try a.createQtree("vol", "q", limitBlocks: 150)
        try a.createFile("vol", "f", sizeBlocks: 100, attributes: FileAttributes(user: "alice", qtree: "q"))
        try a.write("vol", "f", at: 0, contents: Array(repeating: 1, count: 100))
        let before = a.accounting()
        #expect(Fixture.error { try a.cloneFile("vol", "f", to: "g") }
                == .treeQuotaExceeded(volume: "vol", qtree: "q", limitBlocks: 150, wouldUseBlocks: 200))
        #expect(a.accounting() == before)
        try a.setQuota("vol", target: "user:alice", limitBlocks: 150)
        let r = try a.cloneFile("vol", "f", to: "g", qtree: .some(nil))
        #expect(r.oversubscribedQuotas == ["user:alice"])
        #expect(a.oversubscribedQuotas == ["vol/user:alice"])
        // Writes, unlike clones, stop at the user quota.
        try a.createFile("vol", "h", sizeBlocks: 10, attributes: FileAttributes(user: "alice"))
        #expect(Fixture.error { try a.write("vol", "h", at: 0, contents: [1]) }
                == .userQuotaExceeded(volume: "vol", user: "user:alice", limitBlocks: 150, wouldUseBlocks: 201))
    }

    @Test func aclsAndStreamsAreNotCopiedToAFileClone() throws {
        var a = try Fixture.volumeWithFile(blocks: 5, attributes: FileAttributes(hasACL: true, hasStreams: true))
        try a.cloneFile("vol", "f", to: "g")
        try a.cloneFile("vol", "f", to: "h")
        #expect(try !a.attributes("vol", "g").hasACL && !a.attributes("vol", "g").hasStreams)
        #expect(a.clonesWithoutACLs == 2 && a.clonesWithoutStreams == 2)
    }

    @Test func sourceCloneOrBothCanBeDeletedWithNoEffectOnTheOthers() throws {
        var a = try Fixture.volumeWithFile(blocks: 50)
        try a.cloneFile("vol", "f", to: "g")
        try a.cloneFile("vol", "f", to: "h")
        try a.deleteFile("vol", "f")
        #expect(try a.contents("vol", "g") == (1...50).map { UInt64($0) })
        try a.deleteFile("vol", "g")
        #expect(try a.contents("vol", "h") == (1...50).map { UInt64($0) })
        #expect(a.physicalUsedBlocks == 50 + 1, "data + h's metadata block")
        try a.deleteFile("vol", "h")
        #expect(a.physicalUsedBlocks == 0)
    }

    @Test func snapshotsAndVolumeClonesDoNotRaiseTheSharingCount() throws {
        var profile = ONTAPProfile()
        profile.maxPointersPerBlock = 2
        var a = try Fixture.volumeWithFile(blocks: 10, profile: profile)
        try a.createSnapshot("vol", "s")
        try a.createVolumeClone("c", parent: "vol", snapshot: "s")
        #expect(try a.cloneFile("vol", "f", to: "g").copiedBlocks == 0)
        #expect(try a.cloneFile("vol", "f", to: "h").copiedBlocks == 10)
        // The clone volume started from the Snapshot copy's counts (1 pointer each).
        #expect(try a.cloneFile("c", "f", to: "g").copiedBlocks == 0)
    }
}

@Suite("Scattered writes")
struct ScatteredWriteTests {
    @Test func aBurstOfScatteredWritesEqualsTheSameSingleWrites() throws {
        var a = try Fixture.volumeWithFile(blocks: 3000)
        var b = a
        try a.createSnapshot("vol", "s")
        try b.createSnapshot("vol", "s")
        let indices = [5, 2999, 17, 5, 1024, 1023]
        let contents: [UInt64] = [1, 2, 3, 4, 5, 6]
        try a.write("vol", "f", indices: indices, contents: contents)
        for (i, c) in zip(indices, contents) { try b.write("vol", "f", at: i, contents: [c]) }
        #expect(a.accounting() == b.accounting())
        #expect(try a.contents("vol", "f") == b.contents("vol", "f"))
        #expect(try a.contents("vol", "f")[5] == 4, "the later write to the same block wins")
        #expect(Fixture.error { try a.write("vol", "f", indices: [3000], contents: [1]) }
                == .outOfRange(volume: "vol", path: "f", start: 3000, count: 1, sizeBlocks: 3000))
    }

    /// A long burst into a clone grows delta leaves through the entry arena's chunk sizes and
    /// past promotion (over `promoteThreshold` entries in a leaf), with many writes per leaf.
    @Test func aLongBurstIntoACloneEqualsTheSameSingleWrites() throws {
        var a = try Self.cloneOfAnImage()
        var b = a
        var state: UInt64 = 7
        var indices: [Int] = [], contents: [UInt64] = []
        for k in 0..<6000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            // Half of them into one leaf, so it passes the promotion threshold.
            indices.append(k % 2 == 0 ? Int(state >> 33) % 1024 : Int(state >> 33) % 4096)
            contents.append(100_000 + UInt64(k))
        }
        try a.write("c", "f", indices: indices, contents: contents)
        for (i, c) in zip(indices, contents) { try b.write("c", "f", at: i, contents: [c]) }
        #expect(a.accounting() == b.accounting())
        #expect(try a.contents("c", "f") == b.contents("c", "f"))
        #expect(try a.contents("vol", "f") == (1...4096).map { UInt64($0) }, "the parent is untouched")
    }

    /// A 4096-block file "f" in "vol" (contents 1...4096), Snapshot copy "s" and clone volume "c".
    static func cloneOfAnImage() throws -> Aggregate {
        var a = try Fixture.volumeWithFile(blocks: 4096, capacity: 60_000)
        try a.createSnapshot("vol", "s")
        try a.createVolumeClone("c", parent: "vol", snapshot: "s")
        return a
    }

    /// Writes `runs` of file "f" of `volume` into `a` in one call and into `b` one call per run,
    /// and expects the two to agree on every figure and block.
    static func writeRunsBothWays(_ a: inout Aggregate, _ b: inout Aggregate, _ volume: String, runs: [Range<Int>],
                                  contents: [UInt64]) throws {
        try a.write(volume, "f", runs: runs, contents: contents)
        var done = 0
        for run in runs {
            try b.write(volume, "f", at: run.lowerBound, contents: Array(contents[done..<(done + run.count)]))
            done += run.count
        }
        #expect(a.accounting() == b.accounting())
        #expect(try a.contents(volume, "f") == b.contents(volume, "f"))
    }

    /// Enough runs for the look-ahead of `writeRuns` to prefetch, into a clone: short runs that
    /// merge into deltas, long ones that privatise, empty ones (one at the file's end).
    @Test func manyRunsIntoACloneEqualTheSameRunsOneCallEach() throws {
        var a = try Self.cloneOfAnImage()
        var b = a
        var state: UInt64 = 11
        var runs: [Range<Int>] = [4096..<4096]
        for k in 0..<300 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let count = k % 10 == 0 ? 100 : (k % 7 == 0 ? 0 : 1 + Int(state >> 60))
            let start = Int(state >> 33) % (4096 - count + 1)
            runs.append(start..<(start + count))
        }
        let total = runs.reduce(0) { $0 + $1.count }
        let contents = (0..<total).map { 200_000 + UInt64($0) }
        try Self.writeRunsBothWays(&a, &b, "c", runs: runs, contents: contents)
        #expect(try a.contents("vol", "f") == (1...4096).map { UInt64($0) }, "the parent is untouched")
    }

    @Test func aBurstOfRunsEqualsTheSameRunsOneCallEach() throws {
        var a = try Fixture.volumeWithFile(blocks: 3000)
        try a.createSnapshot("vol", "s")
        var b = a
        // Within a leaf, across two leaves, overlapping the first (the later run wins), one long
        // enough to make its leaf private, and the file's last blocks.
        let runs = [10..<26, 1020..<1030, 15..<20, 100..<200, 2990..<3000]
        var contents: [UInt64] = []
        for run in runs { contents += run.map { UInt64(50_000 + $0 * 10 + contents.count) } }
        try Self.writeRunsBothWays(&a, &b, "vol", runs: runs, contents: contents)
        // The third run starts after 16 + 10 contents: its first block is contents[26].
        #expect(try a.contents("vol", "f")[15] == contents[26], "the third run's first block")
        #expect(try a.contents("vol", "f")[14] == 50_000 + 140, "the first run's fifth block")
        #expect(try a.contents("vol", snapshot: "s", "f")[15] == 16, "the Snapshot copy keeps the old block")
        // Refused whole: nothing changes.
        let before = a.accounting()
        #expect(Fixture.error { try a.write("vol", "f", runs: [0..<2, 2999..<3001], contents: [1, 2, 3, 4]) }
                == .outOfRange(volume: "vol", path: "f", start: 2999, count: 2, sizeBlocks: 3000))
        #expect(Fixture.error { try a.write("vol", "f", runs: [0..<2], contents: [1]) }
                == .invalidArgument("runs of 2 blocks for 1 contents"))
        #expect(a.accounting() == before)
    }
}
