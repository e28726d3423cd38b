import BlockModel
import Engine
import Workloads

/// `type: dr`: replication relationships to a destination aggregate, dev/test clones and DR
/// tests on the destination copies.
extension ScenarioLoader {
    static let drKeys = ["type", "destination", "link", "change", "relationships", "clones", "tests"]

    static func readDR(_ node: ScenarioNode, spec: ScenarioSpec) throws(ScenarioError) -> DRSpec {
        let f = try Fields(node, allowed: drKeys)
        let destinationNode = try f.required("destination", "{ name, capacity } of the DR aggregate")
        let df = try Fields(destinationNode, allowed: ["name", "capacity", "ontap_version"])
        let capacityNode = try df.required("capacity", "the DR aggregate's capacity, e.g. 2TiB")
        let capacity = try capacityNode.bytes()
        guard capacity <= AggregateSpec.largestCapacity else { throw capacityNode.error(found: capacityNode.shown, allowed: "at most 64 PiB") }
        var dr = DRSpec(destinationCapacityBytes: capacity,
                        bandwidth: Double(try rate(try f.required("link", "the link's bandwidth, e.g. 100MiB/s"))))
        if let n = df["name"] { dr.destinationName = try n.string() }
        if let v = df["ontap_version"] { dr.ontapVersion = try ontapVersion(v) }
        if let c = f["change"] { dr.sourceChange = try readChange(c, content: contentContext(spec)) }
        let list = try f.required("relationships", "a list of { source, destination, kind, every, ... }")
        for item in try list.list() {
            let r = try readRelationship(item, spec: spec)
            let elsewhere = spec.workloads.contains { w in
                if case .dr(let d) = w.kind { return d.relationships.contains { $0.destination == r.destination } }
                return false
            }
            if elsewhere || dr.relationships.contains(where: { $0.destination == r.destination }) || spec.volumes.contains(where: { $0.name == r.destination }) {
                throw item.error(found: "destination volume '\(r.destination)' twice", allowed: "a new volume name for each relationship")
            }
            dr.relationships.append(r)
        }
        if dr.relationships.isEmpty { throw list.error(found: "an empty list", allowed: "at least one relationship") }
        let destinations = dr.relationships.map(\.destination)
        func copy(_ node: ScenarioNode) throws(ScenarioError) -> String {
            let name = try node.string()
            guard destinations.contains(name) else {
                throw node.error(found: "'\(name)', which no relationship replicates to", allowed: destinations.joined(separator: ", "))
            }
            return name
        }
        if let clonesNode = f["clones"] {
            for (group, g) in try clonesNode.namedEntries() {
                let gf = try Fields(g, allowed: ["of", "count", "change", "start", "refresh_every", "snapshot"])
                var c = DRCloneSpec(name: group, of: try copy(try gf.required("of", "the destination volume to clone")),
                                    count: try gf.required("count", "a whole number of clones from 1 to 255").integer(in: 1...255))
                if let ch = gf["change"] { c.change = try readChange(ch, content: nil) }
                if let st = gf["start"] { c.start = try st.duration() }
                if let r = gf["refresh_every"] { c.refreshEvery = try r.duration() }
                if let s = gf["snapshot"] { c.snapshot = try snapshotChoice(s) }
                dr.clones.append(c)
            }
        }
        if let t = f["tests"] {
            let tf = try Fields(t, allowed: ["of", "every", "start", "duration", "change", "snapshot"])
            var test = DRTestSpec(of: try copy(try tf.required("of", "the destination volume a DR test clones")))
            if let e = tf["every"] { test.every = try e.duration() }
            if let s = tf["start"] { test.start = try s.duration() }
            if let d = tf["duration"] { test.duration = try d.duration() }
            if let c = tf["change"] { test.change = try c.ratio(in: .zero...(.one)) }
            if let s = tf["snapshot"] { test.snapshot = try snapshotChoice(s) }
            dr.tests = test
        }
        return dr
    }

    /// A relationship's source: a declared volume, or a FlexClone volume an events or devtest
    /// workload listed before this one makes (replicated once it exists; an update before is
    /// refused, and so is one after a devtest refresh re-made it: the common copy is gone).
    static func relationshipSource(_ node: ScenarioNode, _ spec: ScenarioSpec) throws(ScenarioError) -> String {
        let name = try node.string()
        var clones: [String] = []
        for w in spec.workloads {
            switch w.kind {
            case .events(let e):
                for o in e.operations { if case .cloneVolume(let n, _, _) = o.operation { clones.append(n) } }
            case .devtest(let d):
                for g in d.groups { clones += (1...max(1, g.count)).map { "\(w.name)-\(g.name)-\($0)" } }
            default: break
            }
        }
        if spec.volumes.contains(where: { $0.name == name }) || clones.contains(name) { return name }
        let names = spec.volumes.map(\.name) + clones
        let hint = closestMatch(to: name, in: names).map { " (did you mean '\($0)'?)" } ?? ""
        throw node.error(found: "volume '\(name)', which is neither declared nor cloned by an earlier events or devtest workload\(hint)",
                         allowed: names.isEmpty ? "a volume declared under 'volumes' (none is)" : names.joined(separator: ", "))
    }

    /// Which replicated Snapshot copy a destination clone is made from: `newest` (the default),
    /// `oldest` (the oldest kept), or a copy's name (`snapmirror.DESTINATION.N`).
    static func snapshotChoice(_ node: ScenarioNode) throws(ScenarioError) -> SnapshotChoice {
        let text = try node.string()
        switch text {
        case "newest": return .newest
        case "oldest": return .oldest
        case "": throw node.error(found: node.shown, allowed: "newest, oldest or a Snapshot copy's name (snapmirror.DESTINATION.N)")
        default: return .named(text)
        }
    }

    static func readRelationship(_ node: ScenarioNode, spec: ScenarioSpec) throws(ScenarioError) -> RelationshipSpec {
        let f = try Fields(node, allowed: ["source", "destination", "kind", "every", "start", "keep_source", "keep_destination",
                                           "destination_dedup"])
        let source = try relationshipSource(try f.required("source", "the name of a declared volume or of a clone volume an earlier workload makes"), spec)
        var r = RelationshipSpec(source: source, destination: try f["destination"]?.string() ?? "\(source)_dr",
                                 kind: try Fields.choice(try f.required("kind", "volume_snapmirror, qtree_snapmirror or snapvault"),
                                                         ReplicationKind.self))
        if let e = f["every"] { r.every = try e.duration() }
        r.start = r.every
        if let s = f["start"] { r.start = try s.duration() }
        if let k = f["keep_source"] { r.keepSource = try k.integer(in: 1...250) }
        if let k = f["keep_destination"] { r.keepDestination = try k.integer(in: 1...250) }
        if let d = f["destination_dedup"] {
            let mode = try Fields.choice(d, DedupMode.self)
            guard !r.kind.isPhysical else {
                throw d.error(found: "destination_dedup with kind volume_snapmirror",
                              allowed: "destination_dedup with qtree_snapmirror or snapvault (volume SnapMirror keeps the source's savings)")
            }
            r.destinationDedup = mode
        }
        return r
    }
}
