// swift-tools-version: 6.1
//
// clonesim: a discrete-event storage simulator and capacity planner.
//
// Module graph (dependencies point one way, see STYLE.md in the project notes):
//   CGSL (system library over libgsl-dev)  <- Stochastic (the only importer of CGSL)
//   BlockModel (copy-on-write store + ONTAP profile; depends only on CPrefetch, a C prefetch hint)
//   Engine     (discrete-event clock and queue; knows nothing of storage)
//   Workloads  (dev/test, VDI, events: drive BlockModel through Engine with Stochastic streams)
//   Scenario   (YAML scenario files -> Workloads' spec values with file:line:column errors; Yams)
//   Planner    (Monte Carlo replications of a scenario and its variants, on all cores)
//   Reports    (CSV via CSV.swift, Markdown tables via TextTable, SVG; over plain result values)
//   clonesim   (command line: wiring only)
//
// Compile-time flags:
//   CLONESIM_INVARIANTS  defined in debug builds (so in `swift test`): model types check their
//                        stated invariants after every mutation. Release builds skip the checks.
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .define("CLONESIM_INVARIANTS", .when(configuration: .debug)),
]

// The block model is the hot path of every test that replays a workload: optimise it even in
// debug builds (overflow checks stay on; only -Ounchecked would remove them), so the test
// suite with invariant checks after every operation stays within minutes.
let optimisedModel: [SwiftSetting] = strictSwift + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "clonesim",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "clonesim", targets: ["clonesim"]),
        .library(name: "Stochastic", targets: ["Stochastic"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/ordo-one/TextTable", from: "0.0.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CGSL",
            pkgConfig: "gsl",
            providers: [.apt(["libgsl-dev"])]
        ),
        .target(name: "Stochastic", dependencies: ["CGSL"], swiftSettings: strictSwift),
        // A header-only software prefetch hint for the model's batched table lookups.
        .target(name: "CPrefetch"),
        .target(name: "BlockModel", dependencies: ["CPrefetch"], swiftSettings: optimisedModel),
        .target(name: "Engine", dependencies: [.product(name: "HeapModule", package: "swift-collections")],
                swiftSettings: strictSwift),
        // Workloads drive the block model through the engine; compiled like the model (see
        // `optimisedModel`) because every scenario test replays workloads.
        .target(name: "Workloads", dependencies: ["BlockModel", "Engine", "Stochastic"], swiftSettings: optimisedModel),
        .target(name: "Scenario", dependencies: ["Workloads", "Engine", "Stochastic", .product(name: "Yams", package: "Yams")],
                swiftSettings: strictSwift),
        .target(name: "Planner", dependencies: ["Workloads", "Stochastic", "Engine"], swiftSettings: strictSwift),
        .target(name: "Reports",
                dependencies: ["Stochastic", "Workloads", "BlockModel", "Engine", "Planner", .product(name: "CSV", package: "CSV.swift"),
                               .product(name: "TextTable", package: "TextTable")],
                swiftSettings: strictSwift),
        .executableTarget(
            name: "clonesim",
            dependencies: [
                "Stochastic", "Reports", "Scenario", "Workloads", "Planner",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift
        ),
        // Benchmarks: run on demand with `swift run -c release clonesim-bench`; never timed in tests.
        .executableTarget(name: "clonesim-bench", dependencies: ["BlockModel", "Planner", "Workloads", "Engine", "Stochastic"], path: "Benchmarks/BlockModelBench",
                          swiftSettings: strictSwift),
        .testTarget(name: "StochasticTests", dependencies: ["Stochastic"], swiftSettings: strictSwift),
        .testTarget(name: "BlockModelTests", dependencies: ["BlockModel"], swiftSettings: optimisedModel),
        .testTarget(name: "EngineTests", dependencies: ["Engine"], swiftSettings: strictSwift),
        .testTarget(name: "WorkloadsTests", dependencies: ["Workloads"], swiftSettings: optimisedModel),
        .testTarget(name: "ScenarioTests", dependencies: ["Scenario"], swiftSettings: strictSwift),
        .testTarget(name: "PlannerTests", dependencies: ["Planner", "Reports", "Workloads", "Engine"], swiftSettings: strictSwift),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Workloads", "BlockModel", "Engine"], swiftSettings: strictSwift),
        .testTarget(
            name: "ClonesimCLITests",
            dependencies: ["clonesim"],
            swiftSettings: strictSwift
        ),
    ],
    swiftLanguageModes: [.v6]
)
