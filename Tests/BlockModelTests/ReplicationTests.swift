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

    /// Issue 21, defect 2: two volume SnapMirror relationships from one source into one DR
    /// aggregate. Blocks are never shared between volumes, so each baseline sends and stores the
    /// source's 100 blocks (a 400 KiB file): 200 on the destination. The old link-wide table
    /// made the second baseline send and store nothing.
    @Test mutating func twoRelationshipsFromOneSourceEachStoreTheirOwnCopy() throws {
        source = Aggregate(name: "prod", capacityBlocks: 10_000)
        try source.createVolume("src", sizeBlocks: 1000)
        try source.createFile("src", "f", sizeBlocks: 100)
        try write("f", 0..<100, volume: "src")
        try link.addRelationship(source: "src", destination: "m1", kind: .volumeSnapMirror)
        try link.addRelationship(source: "src", destination: "m2", kind: .volumeSnapMirror)
        let first = try update("m1"), second = try update("m2")
        #expect(first.transferredBlocks == 100 && second.transferredBlocks == 100)
        #expect(try target.chargedBlocks("m1") == 100 && target.chargedBlocks("m2") == 100)
        #expect(target.store.liveBlocks == 200)
        // No block of m1 is a block of m2.
        let m1 = Set(target.store.contents(target.volumes["m1"]!.files["f"]!.map))
        let m2 = Set(target.store.contents(target.volumes["m2"]!.files["f"]!.map))
        #expect(m1.count == 100 && m2.count == 100 && m1.isDisjoint(with: m2))
        // Updates stay separate too: 10 changed blocks cross once per relationship.
        try write("f", 0..<10, volume: "src")
        #expect(try update("m1").transferredBlocks == 10 && update("m2").transferredBlocks == 10)
        #expect(target.store.liveBlocks == 200 && target.invariantViolations().isEmpty)
    }

    /// The seed's FlexClone volume replicated with its parent, by ONTAP release. A clone `dev`
    /// of `vol` (1000 blocks) at Snapshot copy `base`, 100 blocks rewritten in the clone.
    /// From 8.0.1 the clone's replica is a FlexClone volume of the parent's replica and its
    /// baseline sends 100 blocks: 1100 on the destination, as on the source. Before 8.0.1 it is a
    /// full copy: 1000 sent (the clone maps 1000 blocks), 2000 on the destination.
    @Test(arguments: [("8.0", 1000, 2000, false), ("8.0.1", 100, 1100, true), ("9.15.1", 100, 1100, true)])
    mutating func aCloneVolumeWithItsParentByRelease(version: String, sent: Int, stored: Int, isClone: Bool) throws {
        var profile = ONTAPProfile()
        profile.version = ONTAPVersion(version)!
        target = Aggregate(name: "dr", capacityBlocks: 100_000, profile: profile)
        try source.createSnapshot("vol", "base")
        try source.createVolumeClone("dev", parent: "vol", snapshot: "base")
        try write("base", 0..<100, volume: "dev")
        try link.addRelationship(source: "vol", destination: "vol_dr", kind: .volumeSnapMirror)
        try link.addRelationship(source: "dev", destination: "dev_dr", kind: .volumeSnapMirror)
        #expect(try update().transferredBlocks == 1000)
        let u = try update("dev_dr")
        #expect(u.baseline && u.transferredBlocks == sent && u.changedBlocks == (isClone ? 100 : 1000))
        #expect(target.store.liveBlocks == stored && target.physicalUsedBlocks == stored)
        #expect(try target.contents("dev_dr", "base") == source.contents("dev", "base"))
        #expect(target.volumes["dev_dr"]!.parentVolume == (isClone ? "vol_dr" : nil))
        // The clone's replica locks the parent replica's Snapshot copy it was made from.
        try write("base", 0..<10)
        let next = try update()
        #expect(next.transferredBlocks == 10 && next.lockedSnapshots == (isClone ? ["snapmirror.vol_dr.1"] : []))
        #expect(target.invariantViolations().isEmpty && source.invariantViolations().isEmpty)
    }

    /// The parent changed after the clone's base and before the clone's baseline. `vol` rewrites
    /// 0..<200 after Snapshot copy `base`; its relationship's second update sends those 200.
    /// The clone still maps base's old 200 there, and 100 of its own at 500..<600: its baseline
    /// differs from the parent's common copy in 300 slots. With one copy kept on the destination
    /// the old 200 are gone there and cross again (300 sent); with two kept they are still held
    /// by `snapmirror.vol_dr.1` and are pointed at (100 sent). Either way the destination then
    /// holds each source block once: 1300 live, as on the source.
    @Test(arguments: [(1, 300, 1300), (2, 100, 1300)])
    mutating func aCloneBaselineReusesWhatTheParentSent(keep: Int, sent: Int, live: Int) throws {
        try source.createSnapshot("vol", "base")
        try source.createVolumeClone("dev", parent: "vol", snapshot: "base")
        try write("base", 500..<600, volume: "dev")
        try link.addRelationship(source: "vol", destination: "vol_dr", kind: .volumeSnapMirror, keepDestination: keep)
        try link.addRelationship(source: "dev", destination: "dev_dr", kind: .volumeSnapMirror)
        #expect(try update().transferredBlocks == 1000)
        try write("base", 0..<200)
        #expect(try update().transferredBlocks == 200)
        let u = try update("dev_dr")
        #expect(u.changedBlocks == 300 && u.transferredBlocks == sent)
        #expect(source.store.liveBlocks == 1300 && target.store.liveBlocks == live)
        #expect(try target.contents("dev_dr", "base") == source.contents("dev", "base"))
        #expect(target.invariantViolations().isEmpty)
    }

    /// A source destroyed and made again (a refreshed dev/test clone) has lost the common
    /// Snapshot copy: the next update is refused and changes nothing on either side.
    @Test mutating func aRecreatedSourceBreaksTheRelationship() throws {
        try source.createSnapshot("vol", "s1")
        try source.createVolumeClone("dev", parent: "vol", snapshot: "s1")
        try link.addRelationship(source: "dev", destination: "dev_dr", kind: .volumeSnapMirror)
        #expect(try update("dev_dr").transferredBlocks == 1000)
        try source.destroyVolume("dev")
        try source.createSnapshot("vol", "s2")
        try source.createVolumeClone("dev", parent: "vol", snapshot: "s2")
        let before = (source.store.liveBlocks, try source.snapshotNames("dev"), target.store.liveBlocks)
        #expect(throws: ModelError.invalidArgument("no common Snapshot copy of 'dev' with 'dev_dr' (the source was re-created): "
                                                   + "the relationship needs a new baseline")) { try self.update("dev_dr") }
        #expect(before == (source.store.liveBlocks, try source.snapshotNames("dev"), target.store.liveBlocks))
        #expect(link.relationships["dev_dr"]!.updates == 1)
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

    /// Random writes, file clones, deletions and creations between updates of two relationships
    /// from the one source: after every update each destination holds its replicated image
    /// exactly, once per physical block (volume SnapMirror) or once per mapped slot (logical),
    /// the two destinations share no block, and both sides keep their invariants.
    @Test(arguments: ReplicationKind.allCases)
    mutating func randomHistoriesReplicateExactly(kind: ReplicationKind) throws {
        for seed in UInt64(1)...12 {
            self = try ReplicationTests()
            var rng = BlockStoreTests.SplitMix(state: seed)
            try link.addRelationship(source: "vol", destination: "vol_dr", kind: kind)
            try link.addRelationship(source: "vol", destination: "vol_dr2", kind: kind)
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
                let destination = rng.next() % 2 == 0 ? "vol_dr" : "vol_dr2"
                let u = try update(destination)
                let image = "snapmirror.\(destination).\(link.relationships[destination]!.updates)"
                #expect(u.snapshot == image, "seed \(seed) step \(step)")
                // Each destination's last image, as the source's Snapshot copy of it.
                var expected = 0
                var held: [Set<BlockStore.Block>] = []
                for d in ["vol_dr", "vol_dr2"] {
                    guard let last = link.relationships[d]!.sourceSnapshots.last else { continue }
                    var blocks = Set<BlockStore.Block>()
                    var slots = 0
                    for path in try target.filePaths(d) {
                        let there = try target.contents(d, path)
                        #expect(there == (try source.contents("vol", snapshot: last, path)), "seed \(seed) step \(step) \(d)/\(path)")
                        source.store.forEachBlock(source.volumes["vol"]!.snapshots[last]!.files[path]!.map) { _, b in
                            blocks.insert(b)
                            slots += 1
                        }
                    }
                    expected += kind.isPhysical ? blocks.count : slots
                    var own = Set<BlockStore.Block>()
                    for path in try target.filePaths(d) { target.store.forEachBlock(target.volumes[d]!.files[path]!.map) { own.insert($1) } }
                    held.append(own)
                }
                #expect(try target.filePaths(destination) == source.filePaths("vol"), "seed \(seed) step \(step)")
                #expect(target.store.liveBlocks == expected, "seed \(seed) step \(step)")
                if held.count == 2 { #expect(held[0].isDisjoint(with: held[1]), "seed \(seed) step \(step): destinations share blocks") }
            }
        }
    }
}
