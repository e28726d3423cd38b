import Testing
@testable import BlockModel

/// A post-process run decides in hash order (`DedupPass`); slot by slot (`sequential: true`) is
/// the reference. Random histories with file clones, Snapshot copies, a clone volume, low
/// pointer limits and repeated runs must leave both aggregates identical, block for block.
@Suite struct DedupPassTests {
    typealias LCG = ONTAPDifferentialTests.LCG

    /// Everything a run can change, in comparable form.
    static func state(_ a: Aggregate) -> [String] {
        var out: [String] = ["live \(a.store.liveBlocks) free \(a.store.freeCount) metadata \(a.metadataTotal)"]
        out.append("refs \(a.store.refCount.hashValue)")
        for name in a.volumeOrder {
            let v = a.volumes[name]!
            out.append("\(name) saved \(v.dedupSaved) sharing \(v.sharing.nonzero.map { "\($0.block):\($0.extra)" })")
            out.append("\(name) dedupExtra \(v.dedupExtra.nonzero.map { "\($0.block):\($0.extra)" })")
            out.append("\(name) fingerprints \(v.dedup?.fingerprints.count ?? -1) pending \(v.dedup?.changelog.count ?? -1)")
            for path in v.files.keys.sorted() {
                out.append("\(name)/\(path) \(a.store.contents(v.files[path]!.map))")
            }
        }
        return out + a.accounting().map { "\($0)" }
    }

    @Test("the hash-ordered run leaves the same state as slot by slot", arguments: 0..<40)
    func sameAsSlotBySlot(seed: UInt64) throws {
        var profile = ONTAPProfile()
        profile.maxPointersPerBlock = seed % 2 == 0 ? 4 : 256
        profile.dedupZeroBlocks = seed % 3 != 0
        var rng = LCG(state: seed &* 104_729 &+ 7)
        var model = Aggregate(name: "aggr", capacityBlocks: 200_000, profile: profile)
        try model.createVolume("v", sizeBlocks: 100_000)
        try model.setDedup("v", mode: .postProcess)
        try model.createFile("v", "f0", sizeBlocks: 3000)
        var reference = model, pass = model
        // Few contents (long donor chains, full donors) to half of them unique (a fuller table,
        // where probes run on past a region).
        let distinct = UInt64([3, 40, 2000, 0][Int(seed % 4)])
        func content() -> UInt64 { distinct > 0 ? rng.next() % distinct : rng.next() % (rng.below(2) == 0 ? 40 : 1 << 40) }
        var files = ["v": ["f0"]], counter = 0
        for step in 0..<50 {
            let volume = files.keys.sorted()[rng.below(files.count)]
            var op = ""
            func both(_ body: (inout Aggregate) throws -> Void) {
                let r = Result { try body(&reference) }, p = Result { try body(&pass) }
                #expect("\(r)" == "\(p)", "seed \(seed) step \(step): \(op)")
            }
            switch rng.below(13) {
            case 10:
                let mode = [DedupMode.postProcess, .postProcess, .inline, nil][rng.below(4)]
                op = "dedup \(mode?.rawValue ?? "off") on \(volume)"
                both { try $0.setDedup(volume, mode: mode) }
            case 11 where files[volume]!.count > 1:
                let file = rng.pick(files[volume]!)!
                op = "delete \(volume)/\(file)"
                both { try $0.deleteFile(volume, file) }
                files[volume]!.removeAll { $0 == file }
            case 12 where volume == "w":
                op = "split w"
                both { try $0.splitClone("w") }
            case 0...3:
                let file = rng.pick(files[volume]!)!
                let start = rng.below(2800), count = 1 + rng.below(200)
                let contents = (0..<count).map { _ in content() }
                op = "write \(volume)/\(file) \(start)+\(count)"
                both { try $0.write(volume, file, at: start, contents: contents) }
            case 4:
                counter += 1
                let source = rng.pick(files[volume]!)!, name = "c\(counter)"
                op = "clone \(volume)/\(source) to \(name)"
                both { try $0.cloneFile(volume, source, to: name) }
                if (try? reference.contents(volume, name)) != nil { files[volume]!.append(name) }
            case 5:
                counter += 1
                op = "snapshot \(volume) s\(counter)"
                both { try $0.createSnapshot(volume, "s\(counter)") }
                if files["w"] == nil && rng.below(2) == 0 {
                    op = "volume clone w of \(volume)@s\(counter)"
                    both { try $0.createVolumeClone("w", parent: volume, snapshot: "s\(counter)") }
                    files["w"] = files[volume]
                }
            default:
                op = "dedup \(volume)"
                // Several regions even on a small table, so the regrouping is exercised, and on
                // some seeds no margin past a region, so entries probed on past it (or wrapped
                // to the table's start) keep their counts on the slow side.
                let bits = 1 + Int(seed % 3), margin = seed % 5 < 2 ? 0 : nil
                let r = Result { try reference.runDedup(volume, sequential: true) }
                let p = Result { try pass.runDedup(volume, sequential: false, regionBits: bits, margin: margin) }
                #expect("\(r)" == "\(p)", "seed \(seed) step \(step): \(op)")
                let expected = Self.state(reference), actual = Self.state(pass)
                let differing = zip(expected, actual).filter { $0.0 != $0.1 }
                if !differing.isEmpty {
                    for (e, a) in differing.prefix(4) {
                        Issue.record("seed \(seed) step \(step) \(op):\n  slot by slot: \(e.prefix(300))\n  hash order:   \(a.prefix(300))")
                    }
                    return
                }
                #expect(pass.invariantViolations().isEmpty, "seed \(seed) step \(step)")
            }
        }
        #expect(Self.state(reference) == Self.state(pass))
    }

    @Test("a region's counts keep slots past its margin, or wrapped before it, on the slow side")
    func regionCounts() {
        let unseen = DedupPass.RegionCounts.unseen
        var counts = DedupPass.RegionCounts(regionSlots: 8, margin: 2)
        defer { counts.deallocate() }
        counts.reset(start: 16)
        #expect([16, 23, 25, 26, 3].map { counts.get($0) } == [unseen, unseen, unseen, unseen, unseen])
        counts.set(16, 1)
        counts.set(25, 2)  // the last slot of the margin
        counts.set(26, 3)  // past it
        counts.set(3, 4)  // wrapped to the table's start
        #expect([16, 25, 26, 3, 17].map { counts.get($0) } == [1, 2, 3, 4, unseen])
        #expect(counts.far.counts == [26: 3, 3: 4])
        counts.reset(start: 24)
        #expect([16, 24, 25, 26, 3].map { counts.get($0) } == [unseen, unseen, unseen, unseen, unseen])
        #expect(counts.far.counts.isEmpty)
    }
}
