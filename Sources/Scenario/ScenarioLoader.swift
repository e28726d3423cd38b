import BlockModel
import Engine
import Foundation
import Stochastic
import Workloads
import Yams

/// Reads a scenario file into a `ScenarioSpec`, checking every key, type, unit and reference
/// on the way. The first problem found is thrown as a `ScenarioError` with its file, line,
/// column and key; nothing is run. The keys are documented in `Scenarios/REFERENCE.md`.
public enum ScenarioLoader {
    /// Reads and checks the file at `path`.
    public static func load(path: String) throws(ScenarioError) -> ScenarioSpec {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ScenarioError(SourceLocation(file: path, line: 1, column: 1), key: "", found: "a file that cannot be read",
                                allowed: "a readable UTF-8 YAML file")
        }
        return try parse(text, file: path)
    }

    /// Checks scenario text; `file` names it in messages.
    public static func parse(_ text: String, file: String) throws(ScenarioError) -> ScenarioSpec {
        try read(try ScenarioNode.parse(text, file: file))
    }

    /// Checks scenario text with some keys set to other values first (`clonesim plan --vary`).
    public static func parse(_ text: String, file: String, overrides: [Override]) throws(ScenarioError) -> ScenarioSpec {
        var node = try ScenarioNode.parse(text, file: file).node
        for o in overrides { node = try o.apply(to: node, file: file) }
        return try read(ScenarioNode(node: node, file: file, path: ""))
    }

    static func read(_ node: ScenarioNode) throws(ScenarioError) -> ScenarioSpec {
        var root = node
        let calibrations = CalibrationLog()
        root.log = calibrations
        let top = try Fields(root, allowed: ["name", "description", "seed", "generator", "horizon", "sample_interval", "platform", "platforms",
                                            "report_unit", "sample", "aggregate", "content_pools", "volumes", "workloads"])
        let nameNode = try top.required("name", "a scenario name (letters, digits, '-', '_', '.')")
        let name = try nameNode.string()
        if name.isEmpty || name.hasPrefix(".") || !name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) {
            throw nameNode.error(found: nameNode.shown, allowed: "letters, digits, '-', '_' and '.', not starting with '.' (it names the report folder)")
        }
        let horizonNode = try top.required("horizon", "a duration: \(Units.durationHelp)")
        let horizon = try horizonNode.duration()
        let sampleInterval = try top["sample_interval"]?.duration() ?? min(.days(1), horizon)
        if sampleInterval > horizon, let node = top["sample_interval"] {
            throw node.error(found: node.shown, allowed: "a duration no longer than the horizon")
        }
        if horizon > .days(36_500) { throw horizonNode.error(found: horizonNode.shown, allowed: "a duration up to 100 years") }
        let aggregate = try readAggregate(try top.required("aggregate", "a mapping with 'capacity' and optional 'name', 'alerts'"))
        var spec = ScenarioSpec(name: name, horizon: horizon, sampleInterval: sampleInterval, aggregate: aggregate)
        spec.description = try top["description"]?.string() ?? ""
        if let seed = top["seed"] {
            guard let value = UInt64(try seed.string()) else { throw seed.error(found: seed.shown, allowed: "a whole number from 0 to \(UInt64.max)") }
            spec.seed = value
        }
        if let g = top["generator"] {
            let text = try g.string()
            do { _ = try Generator.named(text) } catch { throw g.error(found: g.shown, allowed: Generator.all.map(\.name).joined(separator: ", ")) }
            spec.generator = text
        }
        if let p = top["platform"] { spec.platform = try Fields.choice(p, Platform.self) }
        if let list = top["platforms"] {
            if let p = top["platform"] { throw p.error(found: "both 'platform' and 'platforms'", allowed: "one of them") }
            for item in try list.list() {
                let p = try Fields.choice(item, Platform.self)
                if spec.platforms.contains(p) { throw item.error(found: "'\(p.rawValue)' twice", allowed: "each platform once") }
                spec.platforms.append(p)
            }
            guard let first = spec.platforms.first else { throw list.error(found: "an empty list", allowed: "one or more of ontap, refs, reflink") }
            spec.platform = first
            if spec.platforms.count == 1 { spec.platforms = [] }
        }
        spec.fileSystem = try readFileSystem(try top.required("aggregate", "a mapping with 'capacity'"), platforms: spec.runPlatforms)
        try readDedupSettings(try top.required("aggregate", "a mapping with 'capacity'"), &spec)
        try readFlashCache(try top.required("aggregate", "a mapping with 'capacity'"), &spec)
        if let u = top["report_unit"] { spec.reportUnit = try Fields.choice(u, ByteUnit.self) }
        if let n = top["sample"] {
            guard let sample = Sampling(try n.string()) else { throw n.error(found: n.shown, allowed: Sampling.allowed) }
            spec.sample = sample
        }
        if let pools = top["content_pools"] { spec.contentPools = try readContentPools(pools) }
        if let volumes = top["volumes"] {
            for (volumeName, node) in try volumes.namedEntries() { spec.volumes.append(try readVolume(volumeName, node, spec: spec)) }
        }
        if let workloads = top["workloads"] {
            for (workloadName, node) in try workloads.namedEntries() {
                spec.workloads.append(try readWorkload(workloadName, node, spec: spec))
            }
        }
        spec.calibrations = calibrations.items
        return spec
    }

    // MARK: Aggregate and volumes

    /// `cluster_size` (refs) and `freeing` (reflink) of the aggregate mapping.
    static func readFileSystem(_ node: ScenarioNode, platforms: [Platform]) throws(ScenarioError) -> FileSystemSpec {
        let platform = platforms.contains(.refs) ? Platform.refs : platforms[0]
        let f = try Fields(node, allowed: aggregateKeys)
        var fs = FileSystemSpec()
        if let c = f["cluster_size"] {
            guard platform == .refs else { throw c.error(found: "cluster_size on platform \(platform.rawValue)", allowed: "cluster_size only with platform: refs") }
            let bytes = try c.bytes()
            guard [4096, 65536].contains(bytes) else { throw c.error(found: c.shown, allowed: "4KiB or 64KiB") }
            fs.clusterSize = bytes
        }
        if let r = f["freeing"] {
            guard platforms.contains(.reflink) else { throw r.error(found: "freeing on platform \(platforms.map(\.rawValue).joined(separator: ", "))", allowed: "freeing only with platform: reflink") }
            fs.freeing = try Fields.choice(r, FreeingGranularity.self)
        }
        return fs
    }

    static let aggregateKeys = ["name", "capacity", "alerts", "cluster_size", "freeing", "dedup_metadata", "dedup_throughput",
                                "dedup_zero_blocks", "flash_cache", "file_clone_metadata", "pointer_limit", "split_deletes_clone_snapshots",
                                "dedup_catalog", "ontap_version"]

    static func readAggregate(_ node: ScenarioNode) throws(ScenarioError) -> AggregateSpec {
        let f = try Fields(node, allowed: aggregateKeys)
        let capacity = try f.required("capacity", "a positive size: \(Units.sizeHelp)")
        var aggregate = AggregateSpec(capacityBytes: try capacity.bytes())
        if aggregate.capacityBytes > AggregateSpec.largestCapacity {
            throw capacity.error(found: capacity.shown, allowed: "at most 64 PiB")
        }
        if let n = f["name"] { aggregate.name = try n.string() }
        if let alerts = f["alerts"] {
            var levels: [Ratio] = []
            for item in try alerts.list() {
                let level = try item.ratio(in: .percent(1)...(.one))
                if let last = levels.last, level <= last { throw item.error(found: item.shown, allowed: "levels in ascending order") }
                levels.append(level)
            }
            aggregate.alerts = levels
        }
        return aggregate
    }

    /// Refuses `node` when a platform the scenario runs on lacks what it asks for.
    static func only(_ allowed: Set<Platform>, _ node: ScenarioNode, _ spec: ScenarioSpec, _ what: String,
                     _ instead: String) throws(ScenarioError) {
        for p in spec.runPlatforms where !allowed.contains(p) {
            throw node.error(found: "\(what) on platform \(p.rawValue)", allowed: instead)
        }
    }

    static func readVolume(_ name: String, _ node: ScenarioNode, spec: ScenarioSpec) throws(ScenarioError) -> VolumeSpec {
        let f = try Fields(node, allowed: ["size", "guarantee", "snaplock", "qtrees", "quotas", "dedup", "files"])
        let sizeNode = try f.required("size", "a positive size: \(Units.sizeHelp)")
        var volume = VolumeSpec(name: name, sizeBytes: try sizeNode.bytes())
        if name.contains("@") || name.contains("/") {
            throw node.error(found: "volume name '\(name)'", allowed: "a name without '@' or '/' (they name Snapshot copies and files)")
        }
        for key in ["guarantee", "snaplock", "qtrees", "quotas"] {
            if let n = f[key] {
                try only([.ontap], n, spec, "'\(key)'", "\(key) only on platform ontap (ReFS folders and reflink subvolumes have none)")
            }
        }
        if let g = f["guarantee"] { volume.guarantee = try Fields.choice(g, SpaceGuarantee.self) }
        if let s = f["snaplock"] { volume.snapLock = try s.bool() }
        if let qtrees = f["qtrees"] {
            for (q, limit) in try qtrees.namedEntries() {
                let text = try limit.string()
                volume.qtrees.append((q, text == "none" ? nil : try limit.bytes()))
            }
        }
        if let quotas = f["quotas"] {
            for (target, limit) in try quotas.namedEntries() {
                guard target.hasPrefix("user:") || target.hasPrefix("group:") else {
                    throw limit.error(found: "quota target '\(target)'", allowed: "user:NAME or group:NAME")
                }
                volume.quotas.append((target, try limit.bytes()))
            }
        }
        if let d = f["dedup"] { volume.dedup = try readDedup(d, spec) }
        var usedBytes = 0
        if let files = f["files"] {
            for (path, fileNode) in try files.namedEntries() {
                let file = try readFile(path, fileNode, qtrees: volume.qtrees.map(\.name), spec: spec)
                usedBytes += file.used.nearest(of: file.sizeBytes)
                if usedBytes > volume.sizeBytes {
                    throw fileNode.error(found: "files using \(usedBytes) bytes in volume '\(name)' of \(volume.sizeBytes) bytes",
                                         allowed: "files whose used parts fit in the volume's size")
                }
                volume.files.append(file)
            }
        }
        return volume
    }

    static let fileKeys = ["size", "used", "content", "kind", "reserved", "user", "group", "qtree", "acl", "streams"]

    /// File keys that only ONTAP models (LUNs, reservations, quota charging, ACLs and streams).
    static let ontapFileKeys = ["kind", "reserved", "user", "group", "qtree", "acl", "streams"]

    static func readFile(_ path: String, _ node: ScenarioNode, qtrees: [String], spec: ScenarioSpec) throws(ScenarioError) -> FileSpec {
        let f = try Fields(node, allowed: fileKeys)
        for key in ontapFileKeys {
            if let n = f[key] { try only([.ontap], n, spec, "'\(key)'", "size and used (\(key) only on platform ontap)") }
        }
        var file = FileSpec(path: path, sizeBytes: try f.required("size", "a positive size: \(Units.sizeHelp)").bytes())
        if let u = f["used"] { file.used = try u.ratio(in: .zero...(.one)) }
        if let c = f["content"] { file.content = try readContent(c, contentContext(spec)) }
        if let k = f["kind"] { file.attributes.kind = try Fields.choice(k, FileKind.self) }
        if let r = f["reserved"] { file.attributes.spaceReserved = try r.bool() }
        if let u = f["user"] { file.attributes.user = try u.string() }
        if let g = f["group"] { file.attributes.group = try g.string() }
        if let q = f["qtree"] {
            let name = try q.string()
            guard qtrees.contains(name) else {
                throw q.error(found: "'\(name)', which is not a qtree of this volume", allowed: qtrees.isEmpty ? "no qtree: declare it under qtrees" : qtrees.joined(separator: ", "))
            }
            file.attributes.qtree = name
        }
        if let a = f["acl"] { file.attributes.hasACL = try a.bool() }
        if let s = f["streams"] { file.attributes.hasStreams = try s.bool() }
        return file
    }

    // MARK: Workloads

    static func readWorkload(_ name: String, _ node: ScenarioNode, spec: ScenarioSpec) throws(ScenarioError) -> WorkloadSpec {
        guard case .mapping = node.node else { throw node.error(found: node.shown, allowed: "a mapping with 'type' and the workload's keys") }
        // The type first: it decides which keys are allowed.
        guard case .mapping(let mapping) = node.node, let typeEntry = mapping.first(where: { $0.key.string == "type" }) else {
            throw node.error(found: "no 'type'", allowed: "type: devtest, vdi, events, backup, checkpoints or dr")
        }
        let typeNode = node.child(typeEntry.value, key: "type")
        let type = try typeNode.string()
        if type == "devtest" {
            try only([.ontap, .reflink], typeNode, spec, "'devtest' (volume clones)",
                     "vdi, events, backup, checkpoints (ReFS has no volume clones; devtest runs on ontap or reflink)")
        }
        if ["backup", "checkpoints"].contains(type) {
            try only([.refs, .reflink], typeNode, spec, "'\(type)'",
                     "devtest, vdi, events (backup and checkpoints run on platform refs or reflink)")
        }
        if type == "dr" {
            try only([.ontap], typeNode, spec, "'dr' (SnapMirror and SnapVault)", "devtest, vdi, events (dr runs on platform ontap)")
        }
        switch type {
        case "dr": return WorkloadSpec(name: name, kind: .dr(try readDR(node, spec: spec)))
        case "backup": return WorkloadSpec(name: name, kind: .backup(try readBackup(node)))
        case "checkpoints": return WorkloadSpec(name: name, kind: .checkpoints(try readCheckpoints(node)))
        case "devtest": return WorkloadSpec(name: name, kind: .devtest(try readDevTest(node, spec: spec)))
        case "vdi": return WorkloadSpec(name: name, kind: .vdi(try readVDI(node, spec: spec)))
        case "events": return WorkloadSpec(name: name, kind: .events(try readEvents(node, spec: spec)))
        default:
            let types = ["devtest", "vdi", "events", "backup", "checkpoints", "dr"]
            let hint = closestMatch(to: type, in: types).map { " (did you mean '\($0)'?)" } ?? ""
            throw typeNode.error(found: "\(typeNode.shown)\(hint)", allowed: types.joined(separator: ", "))
        }
    }

    /// The volume a workload key names, which must be declared under `volumes`.
    static func volumeReference(_ node: ScenarioNode, _ spec: ScenarioSpec) throws(ScenarioError) -> VolumeSpec {
        let name = try node.string()
        guard let v = spec.volumes.first(where: { $0.name == name }) else {
            let names = spec.volumes.map(\.name)
            let hint = closestMatch(to: name, in: names).map { " (did you mean '\($0)'?)" } ?? ""
            throw node.error(found: "volume '\(name)', which is not declared\(hint)",
                             allowed: names.isEmpty ? "a volume declared under 'volumes' (none is)" : names.joined(separator: ", "))
        }
        return v
    }

    static func randomVariable(_ node: ScenarioNode, _ quantity: ScenarioNode.Quantity = .plain) throws(ScenarioError) -> RandomVariable {
        let (d, t) = try node.distribution(of: quantity)
        return RandomVariable(d, truncation: t)
    }

    /// A change spec; `content` says whether and how a `content` key may appear (nil: not here).
    /// Steady reads use the same keys, with `read_size` for `write_size` and no content.
    static func readChange(_ node: ScenarioNode, content: ContentContext?, reads: Bool = false) throws(ScenarioError) -> ChangeSpec {
        // Shorthand: `change: 10%` or a bare distribution of the rate.
        if case .scalar = node.node { return ChangeSpec(rate: try randomVariable(node)) }
        let sizeKey = reads ? "read_size" : "write_size"
        let f = try Fields(node, allowed: ["rate", "every", "pattern", "hotspot", sizeKey] + (reads ? [] : ["content"]))
        var change = ChangeSpec(rate: try randomVariable(try f.required("rate", "a percentage of the object's size or a distribution of it")))
        if let e = f["every"] { change.interval = try e.duration() }
        if let w = f[sizeKey] { change.writeSize = try randomVariable(w, .bytes) }
        let patternName = try f["pattern"]?.string() ?? "uniform"
        switch patternName {
        case "uniform": change.pattern = .uniform
        case "sequential": change.pattern = .sequential
        case "hotspot":
            var regions = 100, exponent = 1.0
            if let h = f["hotspot"] {
                let hf = try Fields(h, allowed: ["regions", "exponent"])
                if let r = hf["regions"] { regions = try r.integer(in: 1...1_000_000) }
                if let e = hf["exponent"] {
                    guard let x = Double(try e.string()), x > 0, x.isFinite else { throw e.error(found: e.shown, allowed: "a number > 0") }
                    exponent = x
                }
            }
            change.pattern = .hotspot(regions: regions, exponent: exponent)
        default:
            let p = f["pattern"] ?? node
            let hint = closestMatch(to: patternName, in: ["uniform", "sequential", "hotspot"]).map { " (did you mean '\($0)'?)" } ?? ""
            throw p.error(found: "\(p.shown)\(hint)", allowed: "uniform, sequential, hotspot")
        }
        if let h = f["hotspot"], patternName != "hotspot" {
            throw h.error(found: "hotspot settings with pattern '\(patternName)'", allowed: "hotspot only with pattern: hotspot")
        }
        if let c = f["content"] {
            guard let content else {
                throw c.error(found: "a content model in this workload", allowed: "content in devtest, vdi and events writes and in files (backup and checkpoints write unique data)")
            }
            change.content = try readContent(c, content)
        }
        return change
    }

    static let backupKeys = ["type", "data_size", "change", "growth_per_year", "synthetic_full_every", "restore_points", "weekly_fulls",
                             "monthly_fulls", "block_cloning", "write_size"]

    static func readBackup(_ node: ScenarioNode) throws(ScenarioError) -> BackupSpec {
        let f = try Fields(node, allowed: backupKeys)
        var b = BackupSpec(dataBytes: try f.required("data_size", "the protected data set's size").bytes(),
                           change: try readChange(try f.required("change", "the daily change rate, a percentage or distribution"), content: nil))
        if let g = f["growth_per_year"] { b.growthPerYear = try g.fraction(in: 0...10) }
        if let s = f["synthetic_full_every"] { b.syntheticFullEvery = try s.integer(in: 1...10_000) }
        if let r = f["restore_points"] { b.restorePoints = try r.integer(in: 1...100_000) }
        if let w = f["weekly_fulls"] { b.weeklyFulls = try w.integer(in: 0...10_000) }
        if let m = f["monthly_fulls"] { b.monthlyFulls = try m.integer(in: 0...10_000) }
        if let c = f["block_cloning"] { b.blockCloning = try c.bool() }
        if let w = f["write_size"] { b.writeBytes = try w.bytes() }
        return b
    }

    static let checkpointKeys = ["type", "disk_size", "used", "change", "checkpoint_every", "keep", "copy_throughput", "clone_call_time"]

    static func readCheckpoints(_ node: ScenarioNode) throws(ScenarioError) -> CheckpointsSpec {
        let f = try Fields(node, allowed: checkpointKeys)
        var c = CheckpointsSpec(diskBytes: try f.required("disk_size", "the virtual disk's size").bytes(),
                                change: try readChange(try f.required("change", "the guest's writes: a rate of the disk per interval"), content: nil))
        if let u = f["used"] { c.used = try u.ratio(in: .zero...(.one)) }
        if let e = f["checkpoint_every"] { c.checkpointEvery = try e.duration() }
        if let k = f["keep"] { c.keep = try k.integer(in: 0...1000) }
        if let t = f["copy_throughput"] { c.copyThroughput = Double(try rate(t)) }
        if let t = f["clone_call_time"] { c.cloneCallTime = try t.duration() }
        return c
    }

    /// A size per second such as `200MiB/s`.
    static func rate(_ node: ScenarioNode) throws(ScenarioError) -> Int {
        guard let bytes = Units.bytes(try node.string().replacingOccurrences(of: "/s", with: "")), bytes > 0 else {
            throw node.error(found: node.shown, allowed: "a positive size per second such as 30MiB/s")
        }
        return bytes
    }

    static let devtestKeys = ["type", "source", "source_change", "mirror", "clones", "refresh_every", "retain_snapshots"]

    static func readDevTest(_ node: ScenarioNode, spec: ScenarioSpec) throws(ScenarioError) -> DevTestSpec {
        let f = try Fields(node, allowed: devtestKeys)
        let sourceNode = try f.required("source", "the name of a declared volume")
        let source = try volumeReference(sourceNode, spec)
        var d = DevTestSpec(source: source.name)
        if source.snapLock { throw sourceNode.error(found: "SnapLock volume '\(source.name)'", allowed: "a volume without SnapLock (SnapLock volumes cannot be cloned)") }
        if let c = f["source_change"] { d.sourceChange = try readChange(c, content: contentContext(spec)) }
        if let m = f["mirror"] { d.mirror = try m.bool() }
        if let r = f["refresh_every"] { d.refreshEvery = try r.duration() }
        if let r = f["retain_snapshots"] { d.retainSnapshots = try r.integer(in: 0...253) }
        let clonesNode = try f.required("clones", "a mapping of clone group names to { count, change, resets }")
        var total = 0
        for (group, g) in try clonesNode.namedEntries() {
            let gf = try Fields(g, allowed: ["count", "change", "resets"])
            let ontap = spec.runPlatforms.contains(.ontap)
            let countNode = try gf.required("count", "a whole number of clones from 1 to \(ontap ? 255 : 10_000)")
            var clone = CloneGroupSpec(name: group, count: try countNode.integer(in: 1...(ontap ? 255 : 10_000)))
            total += clone.count
            if ontap && total > 255 {
                throw countNode.error(found: "\(total) clones of volume '\(source.name)' in all",
                                      allowed: "at most 255 clones of one volume (the 256th FlexClone volume of a parent fails)")
            }
            if let c = gf["change"] { clone.change = try readChange(c, content: contentContext(spec)) }
            if let r = gf["resets"] { clone.resetInterval = try randomVariable(r, .seconds) }
            d.groups.append(clone)
        }
        if d.groups.isEmpty { throw clonesNode.error(found: "no clone groups", allowed: "at least one group") }
        return d
    }

    static let vdiKeys = ["type", "volume", "image", "desktops", "provisioning", "limit_strategy", "copy_throughput", "clone_time",
                          "customize_time", "parallel", "change", "refresh_every", "recompose", "reads"]

    static func readVDI(_ node: ScenarioNode, spec: ScenarioSpec) throws(ScenarioError) -> VDISpec {
        let f = try Fields(node, allowed: vdiKeys)
        let volumeNode = try f.required("volume", "the name of a declared volume holding the golden image")
        let volume = try volumeReference(volumeNode, spec)
        let imageNode = try f.required("image", "the path of a file declared in that volume")
        let image = try imageNode.string()
        guard volume.files.contains(where: { $0.path == image }) else {
            throw imageNode.error(found: "'\(image)', which is not a file of volume '\(volume.name)'",
                                  allowed: volume.files.isEmpty ? "a file declared under the volume's 'files' (none is)" : volume.files.map(\.path).joined(separator: ", "))
        }
        let desktopsNode = try f.required("desktops", "a whole number of desktops")
        var v = VDISpec(volume: volume.name, image: image, desktops: try desktopsNode.integer(in: 1...100_000))
        if let p = f["provisioning"] { v.provisioning = try Fields.choice(p, VDISpec.Provisioning.self) }
        if let s = f["limit_strategy"] { v.limitStrategy = try Fields.choice(s, VDISpec.LimitStrategy.self) }
        if v.provisioning == .volumeClones && volume.snapLock {
            throw volumeNode.error(found: "SnapLock volume '\(volume.name)'", allowed: "a volume without SnapLock for volume clones")
        }
        if v.provisioning == .volumeClones, let p = f["provisioning"] {
            try only([.ontap, .reflink], p, spec, "volume_clones", "file_clones (ReFS has no volume clones)")
        }
        // Clones of one source before the strategy must act: on ONTAP 255 volume clones, or the
        // pointer limit for file clones (255 unless `pointer_limit` says otherwise); 8174 on ReFS.
        let ontapLimit = v.provisioning == .volumeClones ? 255 : spec.aggregate.ontap.maxPointersPerBlock - 1
        for (platform, limit) in [(Platform.ontap, ontapLimit), (.refs, 8174)] where spec.runPlatforms.contains(platform) && v.desktops > limit {
            if v.limitStrategy == .none {
                throw desktopsNode.error(found: "\(v.desktops) desktops with limit_strategy none on platform \(platform.rawValue)",
                                         allowed: "at most \(limit) clones of one source, or limit_strategy clone_newest_copy or keep_cloning_source")
            }
        }
        if v.desktops > 255 && spec.runPlatforms.contains(.ontap) {
            if v.provisioning == .volumeClones && v.limitStrategy == .keepCloningSource {
                throw desktopsNode.error(found: "\(v.desktops) volume clones of one parent with keep_cloning_source",
                                         allowed: "at most 255 (the 256th FlexClone volume fails), or limit_strategy clone_newest_copy")
            }
        }
        if let t = f["copy_throughput"] { v.copyThroughput = Double(try rate(t)) }
        if let c = f["clone_time"] { v.cloneTime = try c.duration() }
        if let c = f["customize_time"] {
            v.customizeTime = try c.string() == "0" ? .zero : try c.duration()
        }
        if let p = f["parallel"] { v.parallel = try p.integer(in: 1...10_000) }
        if let c = f["change"] { v.change = try readChange(c, content: contentContext(spec, golden: true)) }
        if let r = f["refresh_every"] { v.refreshEvery = try r.duration() }
        if let r = f["recompose"] {
            let rf = try Fields(r, allowed: ["at", "image_change"])
            let at = try rf.required("at", "a duration from the start").duration()
            v.recompose = RecomposeSpec(at: at, imageChange: try rf["image_change"]?.ratio(in: .zero...(.one)) ?? .percent(10))
        }
        if let r = f["reads"] { v.reads = try readReads(r, spec: spec) }
        return v
    }

    static let operationKeys = ["snapshot", "delete_snapshot", "clone_volume", "clone_file", "split", "destroy", "create_file",
                                "delete_file", "write", "set_quota"]

    static func readEvents(_ node: ScenarioNode, spec: ScenarioSpec) throws(ScenarioError) -> EventsSpec {
        let f = try Fields(node, allowed: ["type", "operations"])
        var events = EventsSpec()
        // Volumes known at each point: declared ones, then those the list clones.
        var known = Set(spec.volumes.map(\.name))
        func volume(_ node: ScenarioNode) throws(ScenarioError) -> String {
            let name = try node.string()
            guard known.contains(name) else {
                let hint = closestMatch(to: name, in: known.sorted()).map { " (did you mean '\($0)'?)" } ?? ""
                throw node.error(found: "volume '\(name)', which is neither declared nor cloned by an earlier operation\(hint)",
                                 allowed: known.sorted().joined(separator: ", "))
            }
            return name
        }
        for item in try f.required("operations", "a list of { at: DURATION, OPERATION: {...} }").list() {
            let itemFields = try Fields(item, allowed: ["at"] + operationKeys)
            let atNode = try itemFields.required("at", "a time from the start: \(Units.durationHelp)")
            let at: SimTime = try atNode.string() == "0" ? .zero : try atNode.duration()
            let present = operationKeys.filter { itemFields[$0] != nil }
            guard present.count == 1, let kind = present.first, let body = itemFields[kind] else {
                throw item.error(found: present.isEmpty ? "no operation" : "operations \(present.joined(separator: ", ")) in one item",
                                 allowed: "exactly one of \(operationKeys.joined(separator: ", "))")
            }
            // The file name only: reports must not depend on where the file was run from.
            let origin = "\((body.location.file as NSString).lastPathComponent):\(body.location.line)"
            let operation: Workloads.Operation
            switch kind {
            case "snapshot", "delete_snapshot", "clone_volume":
                try only([.ontap, .reflink], body, spec, "'\(kind)'", "clone_file, destroy, create_file, delete_file, write "
                         + "(ReFS has no volume snapshots or clones)")
            case "split", "set_quota":
                try only([.ontap], body, spec, "'\(kind)'",
                         kind == "split" ? "no split: a subvolume snapshot is already independent, and ReFS has no volume clones"
                             : "no quota: quotas are only modelled on ontap")
            default: break
            }
            switch kind {
            case "snapshot", "delete_snapshot":
                let o = try Fields(body, allowed: ["volume", "name"])
                let v = try volume(try o.required("volume", "a volume name"))
                let n = try o.required("name", "a Snapshot copy name").string()
                operation = kind == "snapshot" ? .snapshot(volume: v, name: n) : .deleteSnapshot(volume: v, name: n)
            case "clone_volume":
                let o = try Fields(body, allowed: ["name", "parent", "snapshot"])
                let p = try volume(try o.required("parent", "the parent volume"))
                let n = try o.required("name", "the new clone volume's name").string()
                operation = .cloneVolume(name: n, parent: p, snapshot: try o["snapshot"]?.string())
                known.insert(n)
            case "clone_file":
                let o = try Fields(body, allowed: ["volume", "source", "destination"])
                operation = .cloneFile(volume: try volume(try o.required("volume", "a volume name")),
                                       source: try o.required("source", "a file path").string(),
                                       destination: try o.required("destination", "the clone's path").string())
            case "split", "destroy":
                let o = try Fields(body, allowed: ["volume"])
                let v = try volume(try o.required("volume", "a volume name"))
                operation = kind == "split" ? .split(volume: v) : .destroy(volume: v)
            case "create_file":
                let o = try Fields(body, allowed: ["volume", "path"] + fileKeys)
                let v = try volume(try o.required("volume", "a volume name"))
                let path = try o.required("path", "the new file's path").string()
                let qtrees = spec.volumes.first { $0.name == v }?.qtrees.map(\.name) ?? []
                let fileNode = ScenarioNode(node: stripping(body.node, ["volume", "path"]), file: body.file, path: body.path)
                operation = .createFile(volume: v, file: try readFile(path, fileNode, qtrees: qtrees, spec: spec))
            case "delete_file":
                let o = try Fields(body, allowed: ["volume", "path"])
                operation = .deleteFile(volume: try volume(try o.required("volume", "a volume name")),
                                        path: try o.required("path", "a file path").string())
            case "write":
                let o = try Fields(body, allowed: ["volume", "file", "size", "pattern", "write_size", "hotspot", "content", "at_block", "offset"])
                let v = try volume(try o.required("volume", "a volume name"))
                let path = try o.required("file", "a file path").string()
                let bytes = try o.required("size", "the amount of data to write: \(Units.sizeHelp)").bytes()
                var offset: WriteStart?
                if o["at_block"] != nil, let x = o["offset"] {
                    throw x.error(found: "both at_block and offset", allowed: "one of at_block and offset")
                }
                if let b = o["at_block"] { offset = .block(try b.integer(in: 0...(1 << 40))) }
                if let x = o["offset"] {
                    guard let value = Units.bytes(try x.string()) else {
                        throw x.error(found: x.shown, allowed: "a byte offset: 0 or \(Units.sizeHelp)")
                    }
                    offset = .byte(value)
                }
                if offset != nil, let pattern = o["pattern"] ?? o["write_size"] ?? o["hotspot"] {
                    throw pattern.error(found: "\(pattern.path.split(separator: ".").last ?? "pattern") with a fixed offset",
                                        allowed: "at_block or offset alone (the write is one run from there), or a pattern without them")
                }
                var changeNode = stripping(body.node, ["volume", "file", "size", "at_block", "offset"])
                changeNode = adding(changeNode, "rate", "0")
                let change = try readChange(ScenarioNode(node: changeNode, file: body.file, path: body.path), content: contentContext(spec))
                operation = .write(volume: v, path: path, bytes: bytes, pattern: change.pattern, writeSize: change.writeSize,
                                   content: change.content, at: offset)
            default:  // set_quota
                let o = try Fields(body, allowed: ["volume", "target", "limit"])
                let v = try volume(try o.required("volume", "a volume name"))
                let targetNode = try o.required("target", "user:NAME or group:NAME")
                let target = try targetNode.string()
                guard target.hasPrefix("user:") || target.hasPrefix("group:") else {
                    throw targetNode.error(found: targetNode.shown, allowed: "user:NAME or group:NAME")
                }
                operation = .setQuota(volume: v, target: target, limitBytes: try o.required("limit", "a size").bytes())
            }
            if at > spec.horizon { throw atNode.error(found: "\(atNode.shown), after the horizon", allowed: "a time within the horizon") }
            events.operations.append(TimedOperation(at: at, operation: operation, origin: origin))
        }
        return events
    }

    /// A mapping node without some keys (so a nested reader sees only its own).
    static func stripping(_ node: Yams.Node, _ keys: [String]) -> Yams.Node {
        guard case .mapping(var m) = node else { return node }
        for k in keys { m[Yams.Node(k)] = nil }
        return .mapping(m)
    }

    static func adding(_ node: Yams.Node, _ key: String, _ value: String) -> Yams.Node {
        guard case .mapping(var m) = node else { return node }
        m[Yams.Node(key)] = Yams.Node(value)
        return .mapping(m)
    }
}
