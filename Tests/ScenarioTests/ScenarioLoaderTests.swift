import BlockModel
import Engine
import Testing
import Workloads
@testable import Scenario

/// A valid scenario with one of each workload; each bad-input test changes one line.
let validScenario = """
name: check
horizon: 30d
sample_interval: 1d
aggregate:
  capacity: 10TiB
  alerts: [80%, 90%]
volumes:
  prod:
    size: 200GB
    files:
      db.dat: { size: 100GB, used: 100% }
  vdi:
    size: 2TiB
    files:
      golden.vmdk: { size: 40GiB }
workloads:
  devtest:
    type: devtest
    source: prod
    mirror: true
    refresh_every: 7d
    clones:
      dev:
        count: 3
        change: { rate: { distribution: lognormal, mean: 2%, sd: 1% }, pattern: hotspot, write_size: 64KiB }
        resets: { distribution: exponential, mean: 3d }
  desktops:
    type: vdi
    volume: vdi
    image: golden.vmdk
    desktops: 100
    copy_throughput: 30MiB/s
    change: 1%
  whatif:
    type: events
    operations:
      - at: 1d
        snapshot: { volume: prod, name: s1 }
      - at: 2d
        clone_volume: { name: what1, parent: prod, snapshot: s1 }
      - at: 3d
        write: { volume: what1, file: db.dat, size: 1GiB, pattern: sequential }
"""

/// The error `text` (the valid scenario with `old` replaced by `new`) gives.
func problem(_ old: String, _ new: String) -> String {
    precondition(validScenario.contains(old), "test edit does not apply: \(old)")
    do {
        _ = try ScenarioLoader.parse(validScenario.replacingOccurrences(of: old, with: new), file: "s.yaml")
        return "no error"
    } catch {
        return error.description
    }
}

struct ScenarioLoaderTests {
    @Test func theValidScenarioReadsAsWritten() throws {
        let spec = try ScenarioLoader.parse(validScenario, file: "s.yaml")
        #expect(spec.name == "check" && spec.horizon == .days(30) && spec.sampleInterval == .days(1))
        #expect(spec.aggregate.capacityBytes == 10 * 1_099_511_627_776 && spec.aggregate.alerts == [.percent(80), .percent(90)])
        #expect(spec.volumes.map(\.name) == ["prod", "vdi"])
        #expect(spec.volumes[0].files[0].sizeBytes == 100_000_000_000 && spec.volumes[1].files[0].used == .one)
        guard case .devtest(let d) = spec.workloads[0].kind, case .vdi(let v) = spec.workloads[1].kind,
              case .events(let e) = spec.workloads[2].kind else { Issue.record("workload kinds"); return }
        #expect(d.source == "prod" && d.mirror && d.refreshEvery == .days(7) && d.groups[0].count == 3)
        #expect(d.groups[0].change?.pattern == .hotspot(regions: 100, exponent: 1))
        #expect(d.groups[0].change?.writeSize.distribution == .constant(value: 65536))
        #expect(d.groups[0].resetInterval?.distribution == .exponential(mu: 259_200))
        #expect(v.desktops == 100 && v.copyThroughput == 31_457_280 && v.limitStrategy == .cloneNewestCopy)
        #expect(v.change?.rate.distribution == .constant(value: 0.01))
        #expect(e.operations.count == 3 && e.operations[2].at == .days(3))
    }

    /// Capacities up to 64 PiB (issue 22) and the `sample` key: `1/N`, `exact`, `auto`.
    @Test func largeCapacitiesAndSampleRates() throws {
        #expect(problem("  capacity: 10TiB", "  capacity: 64PiB") == "no error")
        #expect(problem("  capacity: 10TiB", "  capacity: 65PiB") == "s.yaml:5:13: aggregate.capacity: found '65PiB'; allowed: at most 64 PiB")
        #expect(problem("horizon: 30d", "horizon: 30d\nsample: 1/64") == "no error")
        let spec = try ScenarioLoader.parse(validScenario.replacingOccurrences(of: "horizon: 30d", with: "horizon: 30d\nsample: 1/64"), file: "s.yaml")
        #expect(spec.sample == .rate(64))
        #expect(problem("horizon: 30d", "horizon: 30d\nsample: 3/64")
                == "s.yaml:3:9: sample: found '3/64'; allowed: auto, exact, or 1/N with N a whole number from 1 to 65536")
    }

    @Test func unknownKeyWithDidYouMean() {
        #expect(problem("horizon: 30d", "horizn: 30d") == "s.yaml:2:1: horizn: found unknown key 'horizn' (did you mean 'horizon'?); allowed: name, description, seed, generator, horizon, sample_interval, platform, platforms, report_unit, sample, aggregate, content_pools, volumes, workloads")
        #expect(problem("    mirror: true", "    mirorr: true") == "s.yaml:20:5: workloads.devtest.mirorr: found unknown key 'mirorr' (did you mean 'mirror'?); allowed: type, source, source_change, mirror, clones, refresh_every, retain_snapshots")
    }

    @Test func wrongType() {
        #expect(problem("count: 3", "count: many") == "s.yaml:24:16: workloads.devtest.clones.dev.count: found 'many'; allowed: a whole number from 1 to 255")
        #expect(problem("    mirror: true", "    mirror: maybe") == "s.yaml:20:13: workloads.devtest.mirror: found 'maybe'; allowed: true or false")
        #expect(problem("  alerts: [80%, 90%]", "  alerts: 80%") == "s.yaml:6:11: aggregate.alerts: found '80%'; allowed: a list")
    }

    @Test func badUnitsAndDurations() {
        #expect(problem("capacity: 10TiB", "capacity: 10 TX") == "s.yaml:5:13: aggregate.capacity: found '10 TX'; allowed: a positive size: a size such as 100GiB, 500 GB or 4096 (bytes); KiB/MiB/GiB/TiB are powers of 2, KB/MB/GB/TB powers of 10")
        #expect(problem("horizon: 30d", "horizon: 30 days") == "s.yaml:2:10: horizon: found '30 days'; allowed: a positive duration: a duration such as 90d, 12h, 30m, 45s or 2w")
        #expect(problem("copy_throughput: 30MiB/s", "copy_throughput: fast") == "s.yaml:32:22: workloads.desktops.copy_throughput: found 'fast'; allowed: a positive size per second such as 30MiB/s")
    }

    @Test func zeroOrNegativeSizes() {
        #expect(problem("    size: 200GB", "    size: 0GB") == "s.yaml:9:11: volumes.prod.size: found '0GB'; allowed: a positive size: a size such as 100GiB, 500 GB or 4096 (bytes); KiB/MiB/GiB/TiB are powers of 2, KB/MB/GB/TB powers of 10")
        #expect(problem("golden.vmdk: { size: 40GiB }", "golden.vmdk: { size: -40GiB }") == "s.yaml:15:28: volumes.vdi.files.golden.vmdk.size: found '-40GiB'; allowed: a positive size: a size such as 100GiB, 500 GB or 4096 (bytes); KiB/MiB/GiB/TiB are powers of 2, KB/MB/GB/TB powers of 10")
    }

    @Test func distributionWithBadParameters() {
        #expect(problem("mean: 2%, sd: 1%", "mean: 2%, sd: 0") == "s.yaml:25:66: workloads.devtest.clones.dev.change.rate.sd: found lognormal: 'sd' = 0 is out of range; allowed: sd > 0")
        #expect(problem("distribution: lognormal", "distribution: lognormol") == "s.yaml:25:41: workloads.devtest.clones.dev.change.rate.distribution: found unknown distribution 'lognormol' (did you mean 'lognormal'?); allowed: constant, uniform, normal, lognormal, gamma, beta, weibull, pareto, exponential, poisson, binomial, zipf, empirical, fit")
    }

    @Test func referencesToObjectsThatDoNotExist() {
        #expect(problem("    source: prod", "    source: prd") == "s.yaml:19:13: workloads.devtest.source: found volume 'prd', which is not declared (did you mean 'prod'?); allowed: prod, vdi")
        #expect(problem("    image: golden.vmdk", "    image: gold.vmdk") == "s.yaml:30:12: workloads.desktops.image: found 'gold.vmdk', which is not a file of volume 'vdi'; allowed: golden.vmdk")
        #expect(problem("clone_volume: { name: what1, parent: prod", "clone_volume: { name: what1, parent: dev") == "s.yaml:40:46: workloads.whatif.operations.1.clone_volume.parent: found volume 'dev', which is neither declared nor cloned by an earlier operation; allowed: prod, vdi")
    }

    @Test func workloadsThatCannotFit() {
        #expect(problem("    desktops: 100", "    desktops: 300\n    limit_strategy: none") == "s.yaml:31:15: workloads.desktops.desktops: found 300 desktops with limit_strategy none on platform ontap; allowed: at most 255 clones of one source, or limit_strategy clone_newest_copy or keep_cloning_source")
        #expect(problem("    desktops: 100", "    desktops: 300\n    provisioning: volume_clones\n    limit_strategy: keep_cloning_source") == "s.yaml:31:15: workloads.desktops.desktops: found 300 volume clones of one parent with keep_cloning_source; allowed: at most 255 (the 256th FlexClone volume fails), or limit_strategy clone_newest_copy")
        #expect(problem("        count: 3", "        count: 200\n      test:\n        count: 56") == "s.yaml:26:16: workloads.devtest.clones.test.count: found 256 clones of volume 'prod' in all; allowed: at most 255 clones of one volume (the 256th FlexClone volume of a parent fails)")
        #expect(problem("db.dat: { size: 100GB, used: 100% }", "db.dat: { size: 300GB, used: 100% }") == "s.yaml:11:15: volumes.prod.files.db.dat: found files using 300000000000 bytes in volume 'prod' of 200000000000 bytes; allowed: files whose used parts fit in the volume's size")
    }

    @Test func workloadsAndPlatformsMustMatch() {
        #expect(problem("horizon: 30d", "horizon: 30d\nplatform: netapp") == "s.yaml:3:11: platform: found 'netapp'; allowed: ontap, refs, reflink")
        #expect(problem("horizon: 30d", "horizon: 30d\nplatform: refs") == "s.yaml:19:11: workloads.devtest.type: found 'devtest' (volume clones) on platform refs; allowed: vdi, events, backup, checkpoints (ReFS has no volume clones; devtest runs on ontap or reflink)")
        #expect(problem("  capacity: 10TiB", "  capacity: 10TiB\n  cluster_size: 64KiB") == "s.yaml:6:17: aggregate.cluster_size: found cluster_size on platform ontap; allowed: cluster_size only with platform: refs")
        #expect(problem("    type: events", "    type: backup") == "s.yaml:35:11: workloads.whatif.type: found 'backup' on platform ontap; allowed: devtest, vdi, events (backup and checkpoints run on platform refs or reflink)")
    }

    /// The valid scenario on another platform, with more edits.
    func onPlatform(_ platform: String, _ edits: [(String, String)] = []) -> String {
        var text = validScenario.replacingOccurrences(of: "horizon: 30d", with: "horizon: 30d\nplatform: \(platform)")
        for (old, new) in edits {
            precondition(text.contains(old), "test edit does not apply: \(old)")
            text = text.replacingOccurrences(of: old, with: new)
        }
        do { _ = try ScenarioLoader.parse(text, file: "s.yaml"); return "no error" } catch { return error.description }
    }

    /// devtest, vdi and events run on reflink (subvolumes); on ReFS only file clones. Whatever
    /// a platform lacks is refused at its key, naming the platform.
    @Test func clonesWorkloadsOnFileSystems() {
        #expect(onPlatform("reflink") == "no error")
        #expect(onPlatform("reflink", [("    size: 200GB\n", "    size: 200GB\n    guarantee: volume\n")]) == "s.yaml:11:16: volumes.prod.guarantee: found 'guarantee' on platform reflink; allowed: guarantee only on platform ontap (ReFS folders and reflink subvolumes have none)")
        #expect(onPlatform("reflink", [("db.dat: { size: 100GB, used: 100% }", "db.dat: { size: 100GB, used: 100%, kind: lun }")]) == "s.yaml:12:48: volumes.prod.files.db.dat.kind: found 'kind' on platform reflink; allowed: size and used (kind only on platform ontap)")
        #expect(onPlatform("reflink", [("        snapshot: { volume: prod, name: s1 }", "        split: { volume: prod }")]) == "s.yaml:39:16: workloads.whatif.operations.0.split: found 'split' on platform reflink; allowed: no split: a subvolume snapshot is already independent, and ReFS has no volume clones")
        let noDevtest = ("  devtest:\n    type: devtest\n    source: prod\n    mirror: true\n    refresh_every: 7d\n    clones:\n      dev:\n        count: 3\n        change: { rate: { distribution: lognormal, mean: 2%, sd: 1% }, pattern: hotspot, write_size: 64KiB }\n        resets: { distribution: exponential, mean: 3d }\n", "")
        #expect(onPlatform("refs", [noDevtest]) == "s.yaml:29:19: workloads.whatif.operations.0.snapshot: found 'snapshot' on platform refs; allowed: clone_file, destroy, create_file, delete_file, write (ReFS has no volume snapshots or clones)")
        #expect(onPlatform("refs", [noDevtest, ("    desktops: 100\n", "    desktops: 100\n    provisioning: volume_clones\n")]) == "s.yaml:23:19: workloads.desktops.provisioning: found volume_clones on platform refs; allowed: file_clones (ReFS has no volume clones)")
        // ReFS allows 8174 clones of one source (8175 regions per cluster), not ONTAP's 255.
        #expect(onPlatform("refs", [noDevtest, ("    desktops: 100\n", "    desktops: 8175\n    limit_strategy: none\n")]) == "s.yaml:22:15: workloads.desktops.desktops: found 8175 desktops with limit_strategy none on platform refs; allowed: at most 8174 clones of one source, or limit_strategy clone_newest_copy or keep_cloning_source")
        #expect(onPlatform("refs", [noDevtest, ("    desktops: 100\n", "    desktops: 8174\n    limit_strategy: none\n"),
                                    ("      - at: 1d\n        snapshot: { volume: prod, name: s1 }\n      - at: 2d\n        clone_volume: { name: what1, parent: prod, snapshot: s1 }\n      - at: 3d\n        write: { volume: what1,", "      - at: 3d\n        write: { volume: prod,")]) == "no error")
    }

    static let backupScenario = """
    name: b
    horizon: 30d
    platform: reflink
    aggregate: { capacity: 1TiB, freeing: extent }
    workloads:
      job:
        type: backup
        data_size: 100GiB
        change: 5%
        restore_points: 7
    """

    @Test func platformsLists() throws {
        let base = ScenarioLoaderTests.backupScenario
        let both = try ScenarioLoader.parse(base.replacingOccurrences(of: "platform: reflink", with: "platforms: [refs, reflink]"), file: "b.yaml")
        #expect(both.platforms == [.refs, .reflink] && both.platform == .refs && both.fileSystem.freeing == .extent)
        func problem(_ line: String) -> String {
            do { _ = try ScenarioLoader.parse(base.replacingOccurrences(of: "platform: reflink", with: line), file: "b.yaml"); return "no error" } catch {
                return error.description
            }
        }
        // A backup has no ONTAP form: listing ontap names the workload's type.
        #expect(problem("platforms: [reflink, ontap]") == "b.yaml:7:11: workloads.job.type: found 'backup' on platform ontap; allowed: devtest, vdi, events (backup and checkpoints run on platform refs or reflink)")
        #expect(problem("platforms: [refs, refs]") == "b.yaml:3:19: platforms.1: found 'refs' twice; allowed: each platform once")
        #expect(problem("platform: refs\nplatforms: [refs]") == "b.yaml:3:11: platform: found both 'platform' and 'platforms'; allowed: one of them")
    }

    @Test func checkpointsOnReFS() throws {
        let text = """
        name: c
        horizon: 30d
        platform: refs
        aggregate: { capacity: 1TiB, cluster_size: 64KiB }
        workloads:
          vm:
            type: checkpoints
            disk_size: 100GiB
            used: 60%
            change: { rate: 0.1%, every: 1h }
            checkpoint_every: 12h
            keep: 3
            copy_throughput: 250MiB/s
            clone_call_time: 200us
        """
        let spec = try ScenarioLoader.parse(text, file: "c.yaml")
        #expect(spec.fileSystem.clusterSize == 65536)
        guard case .checkpoints(let c) = spec.workloads[0].kind else { Issue.record("kind"); return }
        #expect(c.diskBytes == 107_374_182_400 && c.used == .percent(60) && c.keep == 3 && c.checkpointEvery == .hours(12))
        #expect(c.copyThroughput == 262_144_000 && c.cloneCallTime == SimTime(nanoseconds: 200_000) && c.change.interval == .hours(1))
    }

    @Test func backupOnReflink() throws {
        let spec = try ScenarioLoader.parse(Self.backupScenario, file: "b.yaml")
        #expect(spec.platform == .reflink && spec.fileSystem.freeing == .extent)
        guard case .backup(let b) = spec.workloads[0].kind else { Issue.record("kind"); return }
        #expect(b.dataBytes == 107_374_182_400 && b.restorePoints == 7 && b.syntheticFullEvery == 7 && b.blockCloning)
        #expect(b.change.rate.distribution == .constant(value: 0.05))
        let devtest = Self.backupScenario.replacingOccurrences(of: "platform: reflink", with: "platform: refs")
            .replacingOccurrences(of: ", freeing: extent", with: "")
            .replacingOccurrences(of: "type: backup", with: "type: devtest")
        #expect(throws: ScenarioError.self) { try ScenarioLoader.parse(devtest, file: "b.yaml") }
        do { _ = try ScenarioLoader.parse(devtest, file: "b.yaml") } catch {
            #expect(error.description == "b.yaml:7:11: workloads.job.type: found 'devtest' (volume clones) on platform refs; allowed: vdi, events, backup, checkpoints (ReFS has no volume clones; devtest runs on ontap or reflink)")
        }
    }
}
