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
        let df = try Fields(destinationNode, allowed: ["name", "capacity"])
        let capacityNode = try df.required("capacity", "the DR aggregate's capacity, e.g. 2TiB")
        let capacity = try capacityNode.bytes()
        guard capacity <= 16 << 40 else { throw capacityNode.error(found: capacityNode.shown, allowed: "at most 16 TiB (block ids are 32-bit)") }
        var dr = DRSpec(destinationCapacityBytes: capacity,
                        bandwidth: Double(try rate(try f.required("link", "the link's bandwidth, e.g. 100MiB/s"))))
        if let n = df["name"] { dr.destinationName = try n.string() }
        if let c = f["change"] { dr.sourceChange = try readChange(c, content: contentContext(spec)) }
        let list = try f.required("relationships", "a list of { source, destination, kind, every, ... }")
        for item in try list.list() {
            let r = try readRelationship(item, spec: spec)
            if dr.relationships.contains(where: { $0.destination == r.destination }) || spec.volumes.contains(where: { $0.name == r.destination }) {
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
                let gf = try Fields(g, allowed: ["of", "count", "change", "start", "refresh_every"])
                var c = DRCloneSpec(name: group, of: try copy(try gf.required("of", "the destination volume to clone")),
                                    count: try gf.required("count", "a whole number of clones from 1 to 255").integer(in: 1...255))
                if let ch = gf["change"] { c.change = try readChange(ch, content: nil) }
                if let st = gf["start"] { c.start = try st.duration() }
                if let r = gf["refresh_every"] { c.refreshEvery = try r.duration() }
                dr.clones.append(c)
            }
        }
        if let t = f["tests"] {
            let tf = try Fields(t, allowed: ["of", "every", "start", "duration", "change"])
            var test = DRTestSpec(of: try copy(try tf.required("of", "the destination volume a DR test clones")))
            if let e = tf["every"] { test.every = try e.duration() }
            if let s = tf["start"] { test.start = try s.duration() }
            if let d = tf["duration"] { test.duration = try d.duration() }
            if let c = tf["change"] { test.change = try c.fraction(in: 0...1) }
            dr.tests = test
        }
        return dr
    }

    static func readRelationship(_ node: ScenarioNode, spec: ScenarioSpec) throws(ScenarioError) -> RelationshipSpec {
        let f = try Fields(node, allowed: ["source", "destination", "kind", "every", "start", "keep_source", "keep_destination",
                                           "destination_dedup"])
        let source = try volumeReference(try f.required("source", "the name of a declared volume"), spec)
        var r = RelationshipSpec(source: source.name, destination: try f["destination"]?.string() ?? "\(source.name)_dr",
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
