import Testing
@testable import BlockModel

/// SnapMirror and SnapVault (MODEL.md §1, Replication and caching) on cases counted by hand.
/// Each file clone of a 1000-block file writes ceil(0.4% × 1000) = 4 metadata blocks.
@Suite struct ReplicationTests {
    var source = Aggregate(name: "prod", capacityBlocks: 100_000)
    var target = Aggregate(name: "dr", capacityBlocks: 100_000)
    var link = ReplicationLink()
    var next: UInt64 = 1

    init() throws {
        try source.createVolume("vol", sizeBlocks: 20_000)
        try source.createFile("vol", "base", sizeBlocks: 1000)
        try write("base", 0..<1000)
    }

    mutating func write(_ path: String, _ range: Range<Int>, volume: String = "vol") throws {
        try source.write(volume, path, at: range.lowerBound, contents: (0..<range.count).map { UInt64($0) + next })
        next += UInt64(range.count)
    }

    mutating func update(_ destination: String = "vol_dr") throws -> ReplicationUpdate {
        try link.update(destination, source: &source, destination: &target)
    }

    /// The seed: volume SnapMirror keeps file-clone savings, SnapVault sends full copies.
    @Test(arguments: ReplicationKind.allCases)
    mutating func tenFileClonesCostTheSameOnlyUnderVolumeSnapMirror(kind: ReplicationKind) throws {
        for k in 1...10 { try source.cloneFile("vol", "base", to: "clone\(k)") }
        #expect(source.physicalUsedBlocks == 1040 && source.logicalUsedBlocks == 11_000)
        try link.addRelationship(source: "vol", destination: "vol_dr", kind: kind)
        let u = try update()
        #expect(u.baseline && u.snapshot == "snapmirror.vol_dr.1" && u.changedBlocks == 11_000)
        if kind.isPhysical {
            #expect(u.transferredBlocks == 1040)
            #expect(target.physicalUsedBlocks == source.physicalUsedBlocks)
        } else {
            #expect(u.transferredBlocks == 11_000)
            #expect(target.physicalUsedBlocks == 11_000)
        }
        #expect(target.logicalUsedBlocks == 11_000)
        for path in try source.filePaths("vol") {
            #expect(try target.contents("vol_dr", path) == source.contents("vol", path))
        }
        #expect(try target.snapshotNames("vol_dr") == ["snapmirror.vol_dr.1"])
        #expect(target.invariantViolations().isEmpty && source.invariantViolations().isEmpty)
    }

    /// An update sends the blocks changed since the last common Snapshot copy; a block written
    /// twice in between crosses once.
    @Test(arguments: ReplicationKind.allCases)
    mutating func anUpdateSendsWhatChangedSinceTheCommonSnapshotCopy(kind: ReplicationKind) throws {
        try source.cloneFile("vol", "base", to: "copy")
        try link.addRelationship(source: "vol", destination: "vol_dr", kind: kind)
        _ = try update()
        try write("base", 0..<100)
        try write("base", 50..<150)  // 50..<100 a second time
        try write("copy", 900..<1000)
        let u = try update()
        #expect(!u.baseline && u.changedBlocks == 250 && u.transferredBlocks == 250)
        #expect(try source.snapshotNames("vol") == ["snapmirror.vol_dr.2"])  // keeps the common one
        #expect(try target.snapshotNames("vol_dr") == ["snapmirror.vol_dr.2"] && u.deletedSnapshots == ["snapmirror.vol_dr.1"])
        #expect(try target.contents("vol_dr", "base") == source.contents("vol", "base"))
        #expect(try target.contents("vol_dr", "copy") == source.contents("vol", "copy"))
        // Nothing changed: nothing crosses.
        let idle = try update()
        #expect(idle.changedBlocks == 0 && idle.transferredBlocks == 0)
        // Physical: the 1000 first blocks (copy still maps 0..<900, base 150..<1000), base's 150
        // and copy's 100 new ones, as on the source. Logical: two files of 1000.
        #expect(source.store.liveBlocks == 1250)
        #expect(target.store.liveBlocks == (kind.isPhysical ? 1250 : 2000))
        #expect(target.invariantViolations().isEmpty && source.invariantViolations().isEmpty)
    }

    /// A dedup run on the source changes block pointers, not data: volume SnapMirror sends
    /// nothing, logical replication sends every remapped block again.
    @Test(arguments: ReplicationKind.allCases)
    mutating func theFirstSourceDedupRunIsALargeLogicalTransfer(kind: ReplicationKind) throws {
        try source.createFile("vol", "twin", sizeBlocks: 1000)
        try source.write("vol", "twin", at: 0, contents: (0..<1000).map { UInt64($0) + 1 })  // base's contents
        try source.setDedup("vol", mode: .postProcess)
        try link.addRelationship(source: "vol", destination: "vol_dr", kind: kind)
        _ = try update()
        let run = try source.runDedup("vol")
        #expect(run.duplicates == 1000)
        let u = try update()
        #expect(u.changedBlocks == 1000 && u.transferredBlocks == (kind.isPhysical ? 0 : 1000))
        #expect(target.store.liveBlocks == (kind.isPhysical ? 1000 : 2000))
        #expect(target.invariantViolations().isEmpty)
    }

    /// Logical replication to a deduplicating destination gets the savings back there.
    @Test mutating func snapVaultToADeduplicatingDestination() throws {
        for k in 1...10 { try source.cloneFile("vol", "base", to: "clone\(k)") }
        try link.addRelationship(source: "vol", destination: "vol_dr", kind: .snapVault, destinationDedup: .postProcess)
        let u = try update()
        #expect(u.transferredBlocks == 11_000 && u.dedup?.duplicates == 10_000)
        #expect(target.store.liveBlocks == 1000)
        #expect(target.invariantViolations().isEmpty)
    }

    /// A FlexClone volume replicated with its parent on the same link costs only its own blocks.
    @Test mutating func aCloneVolumeReplicatedWithItsParentCostsItsOwnBlocks() throws {
        try source.createSnapshot("vol", "base")
        try source.createVolumeClone("dev", parent: "vol", snapshot: "base")
        try write("base", 0..<100, volume: "dev")
        try link.addRelationship(source: "vol", destination: "vol_dr", kind: .volumeSnapMirror)
        try link.addRelationship(source: "dev", destination: "dev_dr", kind: .volumeSnapMirror)
        #expect(try update().transferredBlocks == 1000)
        #expect(try update("dev_dr").transferredBlocks == 100)
        #expect(target.store.liveBlocks == 1100 && source.store.liveBlocks == 1100)
        #expect(try target.contents("dev_dr", "base") == source.contents("dev", "base"))
        #expect(target.invariantViolations().isEmpty)
    }

    /// A clone on the destination locks its base Snapshot copy past retention; replication goes
    /// on, and the copy holds the blocks the source has since overwritten.
    @Test mutating func aCloneOnTheDestinationKeepsItsBaseSnapshotCopy() throws {
        try link.addRelationship(source: "vol", destination: "vol_dr", kind: .volumeSnapMirror)
        _ = try update()
        try target.createVolumeClone("drtest", parent: "vol_dr", snapshot: "snapmirror.vol_dr.1")
        try write("base", 0..<300)
        let second = try update()
        #expect(second.transferredBlocks == 300 && second.lockedSnapshots == ["snapmirror.vol_dr.1"])
        #expect(try target.snapshotNames("vol_dr") == ["snapmirror.vol_dr.1", "snapmirror.vol_dr.2"])
        #expect(try target.blocksHeldOnly(by: ["snapmirror.vol_dr.1"], of: "vol_dr") == 300)
        try write("base", 0..<100)
        let third = try update()
        #expect(third.deletedSnapshots == ["snapmirror.vol_dr.2"] && third.lockedSnapshots == ["snapmirror.vol_dr.1"])
        #expect(try target.blocksHeldOnly(by: ["snapmirror.vol_dr.1"], of: "vol_dr") == 300)
        // 1000 mapped now and the 300 the clone's copy holds; update 2's 100 overwritten blocks
        // went with its copy.
        #expect(target.store.liveBlocks == 1300)
        try target.destroyVolume("drtest")
        let fourth = try update()
        #expect(fourth.deletedSnapshots == ["snapmirror.vol_dr.1", "snapmirror.vol_dr.3"] && fourth.lockedSnapshots.isEmpty)
        #expect(target.store.liveBlocks == 1000)
        #expect(target.invariantViolations().isEmpty)
    }

    /// A destination without room refuses the update and nothing changes on either side.
    @Test mutating func anUpdateThatDoesNotFitChangesNothing() throws {
        target = Aggregate(name: "dr", capacityBlocks: 1200)
        try link.addRelationship(source: "vol", destination: "vol_dr", kind: .snapVault)
        _ = try update()
        try write("base", 0..<300)
        #expect(throws: ModelError.self) { try self.update() }
        #expect(try source.snapshotNames("vol") == ["snapmirror.vol_dr.1"])
        #expect(try target.snapshotNames("vol_dr") == ["snapmirror.vol_dr.1"] && target.store.liveBlocks == 1000)
        #expect(link.relationships["vol_dr"]!.updates == 1)
    }

    /// Random writes, file clones, deletions and creations between updates: after every update
    /// the destination holds the replicated image exactly, once per physical block (volume
    /// SnapMirror) or once per mapped slot (logical), and both sides keep their invariants.
    @Test(arguments: ReplicationKind.allCases)
    mutating func randomHistoriesReplicateExactly(kind: ReplicationKind) throws {
        for seed in UInt64(1)...12 {
            self = try ReplicationTests()
            var rng = BlockStoreTests.SplitMix(state: seed)
            try link.addRelationship(source: "vol", destination: "vol_dr", kind: kind)
            var files = ["base"]
            for step in 0..<30 {
                let path = files[Int(rng.below(files.count))]
                switch rng.next() % 5 {
                case 0 where files.count < 8:
                    let name = "f\(step)"
                    _ = try source.cloneFile("vol", path, to: name)
                    files.append(name)
                case 1 where files.count > 1:
                    try source.deleteFile("vol", path)
                    files.removeAll { $0 == path }
                case 2 where files.count < 8:
                    let name = "n\(step)"
                    try source.createFile("vol", name, sizeBlocks: 500 + Int(rng.next() % 1000))
                    files.append(name)
                default:
                    let size = try source.fileSizeBlocks("vol", path)
                    let start = Int(rng.next() % UInt64(size))
                    try write(path, start..<min(size, start + 1 + Int(rng.next() % 200)))
                }
                guard rng.next() % 3 == 0 else { continue }
                let u = try update()
                let image = "snapmirror.vol_dr.\(link.relationships["vol_dr"]!.updates)"
                #expect(u.snapshot == image, "seed \(seed) step \(step)")
                var blocks = Set<BlockStore.Block>()
                var slots = 0
                for path in try source.filePaths("vol") {
                    let there = try target.contents("vol_dr", path)
                    #expect(there == (try source.contents("vol", snapshot: image, path)), "seed \(seed) step \(step) \(path)")
                    source.store.forEachBlock(source.volumes["vol"]!.snapshots[image]!.files[path]!.map) { _, b in
                        blocks.insert(b)
                        slots += 1
                    }
                }
                #expect(try target.filePaths("vol_dr") == source.filePaths("vol"), "seed \(seed) step \(step)")
                #expect(target.store.liveBlocks == (kind.isPhysical ? blocks.count : slots), "seed \(seed) step \(step)")
            }
        }
    }
}
