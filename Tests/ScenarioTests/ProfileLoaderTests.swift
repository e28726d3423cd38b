import BlockModel
import Engine
import Testing
@testable import Scenario
@testable import Workloads

/// Issue 21: every ONTAP [choice] as a scenario key, writes at a chosen offset, replicating a
/// clone volume, and destination clones from a chosen Snapshot copy.
struct ProfileLoaderTests {
    static let aggregateLine = "  alerts: [80%, 90%]"

    @Test func profileKeysReadAsWritten() throws {
        let spec = try parseEdited([(Self.aggregateLine, """
          alerts: [80%, 90%]
          file_clone_metadata: 0.5%
          pointer_limit: 1023
          split_deletes_clone_snapshots: false
          dedup_catalog: physical
          ontap_version: 8.0.1
        """)])
        let p = spec.aggregate.ontap
        #expect(p.fileCloneMetadataFraction == Ratio(1, 200) && p.maxPointersPerBlock == 1024 && !p.splitDeletesCloneSnapshots)
        #expect(p.donorCatalog == .physical && p.version == ONTAPVersion(8, 0, 1) && p.replicatesClonesWithParent)
        // The defaults are the documented behaviour.
        let plain = try parseEdited([]).aggregate.ontap
        #expect(plain == ONTAPProfile() && plain.donorCatalog == .slot && plain.maxPointersPerBlock == 256)
        #expect(plain.fileCloneMetadataFraction == Ratio(4, 1000) && plain.dedupMetadataFraction == Ratio(7, 100))
    }

    @Test func profileKeyRefusals() {
        func with(_ line: String) -> String { problem(Self.aggregateLine, "  alerts: [80%, 90%]\n  \(line)") }
        #expect(with("dedup_catalog: inode") == "s.yaml:7:18: aggregate.dedup_catalog: found 'inode'; allowed: slot, physical")
        #expect(with("ontap_version: 9.x") == "s.yaml:7:18: aggregate.ontap_version: found '9.x'; allowed: a release such as 9.15.1, 8.0.1 or 8.0 (one to three numbers separated by dots)")
        #expect(with("pointer_limit: 0") == "s.yaml:7:18: aggregate.pointer_limit: found '0'; allowed: a whole number from 1 to 65534")
        #expect(with("file_clone_metadata: 0.4") == "s.yaml:7:24: aggregate.file_clone_metadata: found '0.4'; allowed: a percentage such as 10% or 0.5% from 0% to 10%")
        #expect(with("dedup_metadata: 1e1%").hasSuffix("aggregate.dedup_metadata: found '1e1%'; allowed: a percentage such as 10% or 0.5% from 0% to 50%"))
    }

    @Test func percentagesAreExact() throws {
        let spec = try parseEdited([(Self.aggregateLine, "  alerts: [7%, 12.5%]\n  dedup_metadata: 0.7%")])
        #expect(spec.aggregate.alerts == [Ratio(7, 100), Ratio(1, 8)] && spec.aggregate.ontap.dedupMetadataFraction == Ratio(7, 1000))
    }

    static let write = "write: { volume: what1, file: db.dat, size: 1GiB, pattern: sequential }"

    @Test func writesAtAChosenOffset() throws {
        func operation(_ text: String) throws -> Workloads.Operation? {
            let spec = try parseEdited([(Self.write, text)])
            guard case .events(let e) = spec.workloads[2].kind else { return nil }
            return e.operations.last?.operation
        }
        guard case .write(_, _, let bytes, _, _, _, let at)? = try operation("write: { volume: what1, file: db.dat, size: 8KiB, at_block: 10 }")
        else { Issue.record("not a write"); return }
        #expect(bytes == 8192 && at == .block(10))
        guard case .write(_, _, _, _, _, _, let byte)? = try operation("write: { volume: what1, file: db.dat, size: 1MiB, offset: 6KiB }")
        else { Issue.record("not a write"); return }
        #expect(byte == .byte(6144))
        #expect(problem(Self.write, "write: { volume: what1, file: db.dat, size: 1MiB, at_block: 1, offset: 0 }")
            == "s.yaml:42:80: workloads.whatif.operations.2.write.offset: found both at_block and offset; allowed: one of at_block and offset")
        #expect(problem(Self.write, "write: { volume: what1, file: db.dat, size: 1MiB, at_block: 1, pattern: uniform }")
            .contains("write.pattern: found pattern with a fixed offset"))
        #expect(problem(Self.write, "write: { volume: what1, file: db.dat, size: 1MiB, at_block: -1 }")
            .contains("write.at_block: found '-1'; allowed: a whole number from 0 to"))
    }

    /// A relationship's source may be a clone volume an earlier events workload makes;
    /// destination clones and DR tests may pick the Snapshot copy; the DR aggregate may run
    /// another release.
    @Test func replicatingACloneVolumeFromAChosenCopy() throws {
        let dr = """
          whatif:
            type: events
            operations:
              - at: 1d
                clone_volume: { name: what1, parent: prod }
          dr:
            type: dr
            destination: { name: dr1, capacity: 4TiB, ontap_version: "8.0" }
            link: 100MiB/s
            relationships:
              - { source: prod, kind: volume_snapmirror }
              - { source: what1, kind: volume_snapmirror, start: 2d }
            clones:
              dev: { of: prod_dr, count: 1, snapshot: oldest }
            tests: { of: what1_dr, snapshot: snapmirror.what1_dr.2 }
        """
        let spec = try parseEdited([(validScenario[validScenario.range(of: "  whatif:")!.lowerBound...].description, dr + "\n")])
        guard case .dr(let d) = spec.workloads.last!.kind else { Issue.record("not dr"); return }
        #expect(d.relationships.map(\.source) == ["prod", "what1"] && d.relationships[1].destination == "what1_dr")
        #expect(d.ontapVersion == ONTAPVersion(8, 0) && d.clones[0].snapshot == .oldest && d.tests?.snapshot == .named("snapmirror.what1_dr.2"))
        let undeclared = dr.replacingOccurrences(of: "source: what1,", with: "source: what2,")
        #expect(throws: ScenarioError.self) {
            try parseEdited([(validScenario[validScenario.range(of: "  whatif:")!.lowerBound...].description, undeclared + "\n")])
        }
        do {
            _ = try parseEdited([(validScenario[validScenario.range(of: "  whatif:")!.lowerBound...].description, undeclared + "\n")])
        } catch {
            #expect(error.description.contains("found volume 'what2', which is neither declared nor cloned by an earlier events or devtest workload (did you mean 'what1'?)"))
        }
    }
}
