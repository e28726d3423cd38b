import BlockModel
import Engine
import Testing
@testable import Scenario
@testable import Workloads

/// `type: dr`: what it reads into, and each refusal at its key.
struct DRLoaderTests {
    static let dr = ("  whatif:\n    type: events", """
          dr:
            type: dr
            destination: { name: dr1, capacity: 4TiB }
            link: 100MiB/s
            change: { rate: 2%, every: 1d }
            relationships:
              - { source: prod, kind: volume_snapmirror, every: 1h, keep_destination: 3 }
              - { source: prod, destination: prod_vault, kind: snapvault, every: 1d, start: 2h, keep_destination: 30, destination_dedup: post_process }
            clones:
              dev: { of: prod_dr, count: 2, change: 1%, start: 1d, refresh_every: 7d }
            tests: { of: prod_dr, every: 14d, start: 7d, duration: 1d, change: 20% }
          whatif:
            type: events
        """)

    @Test func readsAsWritten() throws {
        let spec = try parseEdited([Self.dr])
        guard case .dr(let d) = spec.workloads[2].kind else { Issue.record("not dr"); return }
        #expect(d.destinationName == "dr1" && d.destinationCapacityBytes == 4 << 40 && d.bandwidth == 104_857_600)
        #expect(d.sourceChange?.interval == .days(1))
        let (a, b) = (d.relationships[0], d.relationships[1])
        #expect(a.destination == "prod_dr" && a.kind == .volumeSnapMirror && a.every == .hours(1) && a.start == .hours(1)
                && a.keepSource == 1 && a.keepDestination == 3 && a.destinationDedup == nil)
        #expect(b.destination == "prod_vault" && b.kind == .snapVault && b.start == .hours(2) && b.keepDestination == 30
                && b.destinationDedup == .postProcess)
        #expect(d.clones.map(\.of) == ["prod_dr"] && d.clones[0].count == 2 && d.clones[0].refreshEvery == .days(7))
        #expect(d.tests?.of == "prod_dr" && d.tests?.every == .days(14) && d.tests?.change == .percent(20))
    }

    @Test func refusals() {
        #expect(problem([Self.dr, ("horizon: 30d", "horizon: 30d\nplatform: reflink")])
            == "s.yaml:36:11: workloads.dr.type: found 'dr' (SnapMirror and SnapVault) on platform reflink; allowed: devtest, vdi, events (dr runs on platform ontap)")
        #expect(problem([Self.dr, ("kind: volume_snapmirror, every: 1h", "kind: syncmirror, every: 1h")])
            == "s.yaml:40:31: workloads.dr.relationships.0.kind: found 'syncmirror'; allowed: volume_snapmirror, qtree_snapmirror, snapvault")
        #expect(problem([Self.dr, ("{ of: prod_dr, count: 2", "{ of: prod_copy, count: 2")])
            == "s.yaml:43:18: workloads.dr.clones.dev.of: found 'prod_copy', which no relationship replicates to; allowed: prod_dr, prod_vault")
        #expect(problem([Self.dr, ("destination: prod_vault, kind: snapvault", "destination: prod_dr, kind: snapvault")])
            .contains("found destination volume 'prod_dr' twice"))
        #expect(problem([Self.dr, ("kind: volume_snapmirror, every: 1h, keep_destination: 3", "kind: volume_snapmirror, destination_dedup: inline")])
            .contains("found destination_dedup with kind volume_snapmirror"))
        #expect(problem([Self.dr, ("link: 100MiB/s", "link: fast")]).contains("workloads.dr.link: found 'fast'"))
    }
}
