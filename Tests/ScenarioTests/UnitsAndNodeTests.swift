import Engine
import Stochastic
import Testing
@testable import Scenario

struct UnitsTests {
    @Test func sizesPowersOfTwoAndOfTen() {
        #expect(Units.bytes("100GiB") == 107_374_182_400)
        #expect(Units.bytes("100 GB") == 100_000_000_000)
        #expect(Units.bytes("4KiB") == 4096 && Units.bytes("4KB") == 4000)
        #expect(Units.bytes("1.5TiB") == 1_649_267_441_664)
        #expect(Units.bytes("4096") == 4096 && Units.bytes("4096B") == 4096)
        #expect(Units.bytes("12 gib") == nil, "units are case-sensitive: GiB, not gib")
        #expect(Units.bytes("-5GiB") == nil && Units.bytes("GiB") == nil && Units.bytes("5 parsecs") == nil)
    }

    @Test func sizesRoundUpToWholeBlocks() {
        #expect(Units.blocks(bytes: 1, blockSize: 4096) == 1)
        #expect(Units.blocks(bytes: 4096, blockSize: 4096) == 1)
        #expect(Units.blocks(bytes: 4097, blockSize: 4096) == 2)
        #expect(Units.blocks(bytes: 107_374_182_400, blockSize: 4096) == 26_214_400)
    }

    @Test func durationsAndPercentages() {
        #expect(Units.seconds("90d") == 7_776_000)
        #expect(Units.seconds("12h") == 43_200 && Units.seconds("30m") == 1800 && Units.seconds("2w") == 1_209_600)
        #expect(Units.seconds("1.5h") == 5400)
        #expect(Units.seconds("90") == nil, "a duration needs its unit")
        #expect(Units.fraction("10%") == 0.1 && Units.fraction("0.5%") == 0.005)
        #expect(Units.fraction("10") == nil)
    }

    @Test func didYouMean() {
        #expect(closestMatch(to: "horizn", in: ["horizon", "seed", "name"]) == "horizon")
        #expect(closestMatch(to: "sead", in: ["horizon", "seed", "name"]) == "seed")
        #expect(closestMatch(to: "xyz", in: ["horizon", "seed", "name"]) == nil)
    }
}

struct ScenarioNodeTests {
    static let text = """
        name: devtest
        seed: 42
        horizon: 90d
        sizes:
          db: 100GiB
          bad: -3GiB
        change: 10%
        rate:
          distribution: lognormal
          mean: 2%
          sd: 0
        """

    func root() throws -> ScenarioNode { try ScenarioNode.parse(Self.text, file: "dev.yaml") }

    func entry(_ root: ScenarioNode, _ key: String) throws -> ScenarioNode {
        try #require(try root.mapping(allowed: ["name", "seed", "horizon", "sizes", "change", "rate"]).first { $0.key == key }?.value)
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    @Test func readsTypedValues() throws {
        let r = try root()
        #expect(try entry(r, "name").string() == "devtest")
        #expect(try entry(r, "seed").integer(in: 0...Int.max) == 42)
        #expect(try entry(r, "horizon").duration() == .days(90))
        #expect(try entry(r, "change").fraction() == 0.1)
        let db = try #require(try entry(r, "sizes").namedEntries().first)
        let bytes = try db.value.bytes()
        #expect(db.name == "db" && bytes == 107_374_182_400)
    }

    @Test func errorsNameFileLineColumnKeyFoundAndAllowed() throws {
        let r = try root()
        #expect(message { _ = try r.mapping(allowed: ["name", "seed", "horizon", "sizes", "change"]) } ==
                "dev.yaml:8:1: rate: found unknown key 'rate'; allowed: name, seed, horizon, sizes, change")
        #expect(message { _ = try r.mapping(allowed: ["name", "seeds", "horizon", "sizes", "change", "rate"]) } ==
                "dev.yaml:2:1: seed: found unknown key 'seed' (did you mean 'seeds'?); allowed: name, seeds, horizon, sizes, change, rate")
        let bad = try #require(try entry(r, "sizes").namedEntries().last?.value)
        #expect(message { _ = try bad.bytes() } ==
                "dev.yaml:6:8: sizes.bad: found '-3GiB'; allowed: a positive size: \(Units.sizeHelp)")
        #expect(message { _ = try entry(r, "horizon").fraction() } ==
                "dev.yaml:3:10: horizon: found '90d'; allowed: \(Units.percentHelp) from 0% to 100%")
        #expect(message { _ = try entry(r, "name").duration() } ==
                "dev.yaml:1:7: name: found 'devtest'; allowed: a positive duration: \(Units.durationHelp)")
        #expect(message { _ = try entry(r, "sizes").string() } == "dev.yaml:5:3: sizes: found a mapping; allowed: a text value")
    }

    @Test func distributionErrorsPointAtTheParameter() throws {
        let r = try root()
        #expect(message { _ = try entry(r, "rate").distribution() } ==
                "dev.yaml:11:7: rate.sd: found lognormal: 'sd' = 0 is out of range; allowed: sd > 0")
        let (constant, _) = try entry(r, "change").distribution()
        #expect(constant == .constant(value: 0.1))
    }

    @Test func distributionsAsClonesimSampleTakesThem() throws {
        let node = try ScenarioNode.parse("distribution: lognormal\nmean: 2%\nsd: 1%\nmin: 0\nmax: 100%\n", file: "d.yaml")
        let (d, t) = try node.distribution()
        let expected = try Distribution.make("lognormal", parameters: [("mean", "0.02"), ("sd", "0.01")])
        #expect(d == expected)
        #expect(t == Truncation(min: 0, max: 1))
        let missing = try ScenarioNode.parse("mean: 2%\n", file: "d.yaml")
        #expect(message { _ = try missing.distribution() }.hasPrefix("d.yaml:1:1: (document): found no 'distribution' key; allowed: distribution: one of constant, uniform"))
    }

    @Test func yamlSyntaxErrorsHaveTheirPosition() {
        #expect(message { _ = try ScenarioNode.parse("name: a\n  seed: [1, 2\n", file: "broken.yaml") }.hasPrefix("broken.yaml:2:"))
        #expect(message { _ = try ScenarioNode.parse("", file: "empty.yaml") } ==
                "empty.yaml:1:1: (document): found an empty file; allowed: a YAML mapping of scenario keys")
    }

    @Test func duplicateKeysAreRefusedWhereTheyRepeat() {
        #expect(message { _ = try ScenarioNode.parse("name: x\nseed: 1\nhorizon: 9d\nseed: 2\n", file: "dup.yaml") } ==
                "dup.yaml:4:1: seed: found 'seed' more than once in one mapping; allowed: each key once")
        #expect(message { _ = try ScenarioNode.parse("volumes:\n  db:\n    size: 1GiB\n    size: 2GiB\n", file: "dup.yaml") } ==
                "dup.yaml:4:5: size: found 'size' more than once in one mapping; allowed: each key once")
    }
}
