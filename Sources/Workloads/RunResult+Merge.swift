import BlockModel
import Engine

/// Summing the shards of one scenario (`Sharding`) into the result an unsharded run gives.
public struct MergeError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension RunResult {
    /// The shards `parts` (each run with the same scenario and seed on disjoint members of one
    /// shard count, together covering every shard) as one result.
    ///
    /// Block figures add up: samples, per-object physical, unique and snapshot-held blocks,
    /// volume charges, pointer-limit copies. Structure is the same in every shard and is taken
    /// from the first: events, provisioning, notes, structure counts, logical sizes. Peak and
    /// alert crossings come from the summed use after every event (`useLog`), so they fall at
    /// the exact simulated time, as in one run.
    /// - Throws: when the parts do not line up (another scenario or event count), or when the
    ///   summed use passes the capacity, where one run would have refused writes (the aggregate
    ///   filling up crosses shards).
    ///
    /// A sample (`shardCount` > parts) scales every block figure by shardCount / parts and
    /// carries the 95% interval of the headline figures (`SamplingSummary`).
    ///
    /// `holdAtCapacity` (a plan's sampled replications) does not throw where the summed use
    /// passes the capacity: the run is marked full there (`Limits.firstFailedWrite`) and its use
    /// held at the capacity, as the writes an exact run refuses would leave it, about.
    public static func merged(_ parts: [RunResult], aggregate: AggregateSpec, shardCount: Int? = nil,
                              holdAtCapacity: Bool = false) throws(MergeError) -> RunResult {
        guard var out = parts.first else { throw MergeError("no parts to merge") }
        let shards = shardCount ?? parts.count
        guard shards % parts.count == 0 else { throw MergeError("\(parts.count) parts do not divide \(shards) shards") }
        // Every block figure is the parts' sum times `scale` (1 when every shard ran).
        let scale = shards / parts.count
        func total(_ figure: (RunResult) -> Int) -> Int { parts.reduce(0) { $0 + figure($1) } * scale }
        guard parts.allSatisfy({ $0.samples.count == out.samples.count && $0.useLog.count == out.useLog.count
                                 && $0.events.count == out.events.count && $0.merges.count == out.merges.count
                                 && $0.objects.map(\.name) == out.objects.map(\.name) && $0.scenario.seed == out.scenario.seed }) else {
            throw MergeError("the parts do not line up: another scenario, seed or event count (shards whose estimates of a whole "
                             + "object fell on either side of a limit disagree on its refusals)")
        }
        // The edge term of a sample: a distinct file size that does not end on a stripe (every
        // shard's granule, `shards` granules) ends in a partial stripe, which the evenly spaced
        // shards sample within ±`scale` granules; at the figure's mean density per granule of the
        // largest data set that is figure·scale/granules per such size. Whole stripes give every
        // shard one granule each: no edge.
        // Sizes the shards take from their own blocks (a sample's backup incrementals) are no
        // address range: only the sizes every part agrees on have edges.
        let sizes = Set(out.objects.indices.filter { k in
            (out.objects[k].kind == .file || out.objects[k].kind == .lun) && parts.allSatisfy { $0.objects[k].logicalSize == out.objects[k].logicalSize }
        }.map { out.objects[$0].logicalSize })
        let granules = max(1, ((sizes.max() ?? 0) + (1 << Sharding.granuleShift) - 1) >> Sharding.granuleShift)
        let ragged = sizes.isEmpty ? 1 : sizes.filter { $0 % (shards << Sharding.granuleShift) != 0 }.count
        func estimate(_ figure: (RunResult) -> Int) -> Estimate {
            let values = parts.map(figure)
            let total = values.reduce(0, +) * scale
            let edge = Int((Double(total) * Double(scale * ragged) / Double(granules)).rounded(.up))
            return Estimate.of(values, of: shards, edge: edge)
        }
        let capacity = out.scenario.capacityBlocks
        let alertLevels = aggregate.alerts
        // Events: the same in every shard but for their block figures, which add up.
        for k in out.events.indices where out.events[k].figure != nil {
            out.events[k].figure = max(total { $0.events[k].figure ?? 0 }, out.events[k].figureAtLeast ?? 0)
        }
        var alertEvents: [(at: Int, event: EventRecord)] = []
        // Samples.
        for k in out.samples.indices {
            let reserved = total { $0.samples[k].reserved }
            var physical = total { $0.samples[k].physicalUsed }
            if holdAtCapacity { physical = min(physical, max(0, capacity - reserved)) }
            out.samples[k].physicalUsed = physical
            out.samples[k].reserved = reserved
            out.samples[k].logicalUsed = total { $0.samples[k].logicalUsed }
            out.samples[k].free = capacity - physical - reserved
        }
        // Peak and alerts after every event, as `Simulation.checkAlerts` does.
        out.peak = Peak()
        var peakStep: Int?
        var next = 0
        for k in out.alerts.indices { out.alerts[k].withClones = nil }
        for i in out.useLog.indices {
            var physical = total { $0.useLog[i].physical }
            let reserved = total { $0.useLog[i].reserved }
            if holdAtCapacity && physical + reserved > capacity {
                physical = max(0, capacity - reserved)
                if out.limits.firstFailedWrite == nil { out.limits.firstFailedWrite = out.useLog[i].time }
            }
            let used = physical + reserved
            guard used <= capacity else {
                throw MergeError("the shards together use \(used) of \(capacity) blocks at \(out.useLog[i].time): the aggregate fills, "
                                 + "which a sharded run does not cover yet")
            }
            if physical > out.peak.blocks {
                out.peak = Peak(blocks: physical, time: out.useLog[i].time)
                peakStep = i
            }
            while next < alertLevels.count, alertLevels[next].isReached(by: used, of: capacity) {
                out.alerts[next].withClones = out.useLog[i].time
                alertEvents.append((out.useLog[i].events, EventRecord(
                    time: out.useLog[i].time, workload: "aggregate", operation: "alert", object: aggregate.name, outcome: "alert",
                    detail: "used capacity reached \(alertLevels[next].percentText) (\(used) of \(capacity) blocks)")))
                next += 1
            }
            out.useLog[i].physical = physical
        }
        // The alerts in their places, and the events no shard's figure made real.
        var events: [EventRecord] = []
        var a = 0
        for (k, e) in out.events.enumerated() {
            while a < alertEvents.count && alertEvents[a].at == k { events.append(alertEvents[a].event); a += 1 }
            if !(e.dropsAtZero && e.figure == 0) { events.append(e) }
        }
        events += alertEvents[a...].map(\.event)
        out.events = events
        // A limit first bound when it first bound in any shard.
        for p in parts.dropFirst() {
            out.firstBinding.merge(p.firstBinding) { min($0, $1) }
        }
        // The traditional alternative, at samples.
        out.traditionalPeak = Peak()
        var nextTraditional = 0
        for k in out.alerts.indices { out.alerts[k].traditional = nil }
        var traditionalPeakSample: Int?
        for (k, s) in out.samples.enumerated() {
            if s.traditionalUsed > out.traditionalPeak.blocks {
                out.traditionalPeak = Peak(blocks: s.traditionalUsed, time: s.time)
                traditionalPeakSample = k
            }
            while nextTraditional < alertLevels.count, alertLevels[nextTraditional].isReached(by: s.traditionalUsed, of: capacity) {
                out.alerts[nextTraditional].traditional = s.time
                nextTraditional += 1
            }
        }
        // Objects: block figures add up; the logical size is the object's own, or, where a
        // sample's shards size it from their blocks (a backup's incrementals), their mean.
        var estimatedSizes = 0
        for k in out.objects.indices {
            let sizes = parts.map { $0.objects[k].logicalSize }
            if sizes.contains(where: { $0 != sizes[0] }) {
                out.objects[k].logicalSize = (sizes.reduce(0, +) + parts.count / 2) / parts.count
                estimatedSizes += 1
            }
            out.objects[k].logicalUsed = total { $0.objects[k].logicalUsed }
            out.objects[k].physicalUsed = total { $0.objects[k].physicalUsed }
            out.objects[k].unique = total { $0.objects[k].unique }
            out.objects[k].snapshotHeld = total { $0.objects[k].snapshotHeld }
            out.objects[k].reserved = total { $0.objects[k].reserved }
            out.objects[k].charged = total { $0.objects[k].charged }
        }
        out.limits.fallbackCopies = total(\.limits.fallbackCopies)
        // A sample's cache reads and hits (exact shards do not cover a cache).
        guard parts.allSatisfy({ $0.cacheReads.count == out.cacheReads.count }) else { throw MergeError("the parts' cache reads do not line up") }
        for k in out.cacheReads.indices {
            out.cacheReads[k].reads = total { $0.cacheReads[k].reads }
            out.cacheReads[k].hits = total { $0.cacheReads[k].hits }
            out.cacheReads[k].hitsWithoutSharing = total { $0.cacheReads[k].hitsWithoutSharing }
        }
        // A sample's checkpoint merges: each shard's blocks, bytes, calls and times are its part
        // (`CheckpointsDriver`, "Shards"); an exact shard's are the whole run's.
        if scale > 1 {
            for k in out.merges.indices {
                out.merges[k].blocks = total { $0.merges[k].blocks }
                // A merge of any block makes a call at least: runs that start exactly at granule
                // starts are unseen by the shards' estimate (`CheckpointsDriver`, "Shards").
                out.merges[k].cloneCalls = max(total { $0.merges[k].cloneCalls }, out.merges[k].blocks > 0 ? 1 : 0)
                out.merges[k].copyBytes = total { $0.merges[k].copyBytes }
                out.merges[k].copyDuration = SimTime(nanoseconds: Int64(total { Int($0.merges[k].copyDuration.nanoseconds) }))
                out.merges[k].cloneDuration = SimTime(nanoseconds: Int64(total { Int($0.merges[k].cloneDuration.nanoseconds) }))
            }
        }
        // A sample's dedup runs: each shard processed and shared its part of the blocks, and
        // the run time and window follow the sum (`ContentPool`: a shard's contents are
        // sampled by content, so its duplicates stand for the whole run's too).
        if scale > 1 && !out.dedupRuns.isEmpty {
            guard parts.allSatisfy({ $0.dedupRuns.count == out.dedupRuns.count }) else {
                throw MergeError("the parts' dedup runs do not line up")
            }
            for k in out.dedupRuns.indices {
                out.dedupRuns[k].run.processedBlocks = total { $0.dedupRuns[k].run.processedBlocks }
                out.dedupRuns[k].run.duplicates = total { $0.dedupRuns[k].run.duplicates }
                out.dedupRuns[k].run.freedBlocks = total { $0.dedupRuns[k].run.freedBlocks }
                out.dedupRuns[k].run.fullDonors = total { $0.dedupRuns[k].run.fullDonors }
                out.dedupRuns[k].run.metadataBlocks = total { $0.dedupRuns[k].run.metadataBlocks }
                out.dedupRuns[k].run.seconds = parts.reduce(0) { $0 + $1.dedupRuns[k].run.seconds } * Double(scale)
                out.dedupRuns[k].duration = SimTime(nanoseconds: Int64((out.dedupRuns[k].run.seconds * 1e9).rounded()))
            }
            // Their events, in the same order, told from the merged runs.
            var next = 0
            for k in out.events.indices where out.events[k].workload == "dedup" && out.events[k].operation == "dedup_run" {
                guard next < out.dedupRuns.count, out.dedupRuns[next].volume == out.events[k].object else { break }
                out.events[k].outcome = out.dedupRuns[next].outcome
                out.events[k].template = out.dedupRuns[next].detail
                next += 1
            }
        }
        if scale > 1 {
            guard parts.allSatisfy({ $0.volumeSavings.count == out.volumeSavings.count }) else { throw MergeError("the parts' savings do not line up") }
            for k in out.volumeSavings.indices {
                out.volumeSavings[k].logicalUsed = total { $0.volumeSavings[k].logicalUsed }
                out.volumeSavings[k].charged = total { $0.volumeSavings[k].charged }
                out.volumeSavings[k].dedupSaved = total { $0.volumeSavings[k].dedupSaved }
                out.volumeSavings[k].dedupMetadata = total { $0.volumeSavings[k].dedupMetadata }
            }
        }
        if scale > 1 {
            let last = out.samples.count - 1
            out.sampling = SamplingSummary(
                rate: scale, shards: parts.count, shardCount: shards,
                finalPhysical: last < 0 ? Estimate(value: 0, halfWidth: 0) : estimate { $0.samples[last].physicalUsed },
                finalTraditional: last < 0 ? Estimate(value: 0, halfWidth: 0) : estimate { $0.samples[last].traditionalUsed },
                peak: peakStep.map { i in estimate { $0.useLog[i].physical } } ?? Estimate(value: 0, halfWidth: 0),
                traditionalPeak: traditionalPeakSample.map { k in estimate { $0.samples[k].traditionalUsed } } ?? Estimate(value: 0, halfWidth: 0),
                objectPhysical: out.objects.indices.map { k in estimate { $0.objects[k].physicalUsed } })
            if let i = peakStep { out.sampling?.peakStandardError = Estimate.standardError(parts.map { $0.useLog[i].physical }, of: shards) }
            out.sampling?.estimatedSizes = estimatedSizes
            if out.volumeSavings.contains(where: { $0.dedup != nil }) { out.sampling?.contentsByContent = true }
            if last >= 0 { out.sampling?.finalStandardError = Estimate.standardError(parts.map { $0.samples[last].physicalUsed }, of: shards) }
        }
        return out
    }
}
