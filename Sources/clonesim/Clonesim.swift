import ArgumentParser

@main
struct Clonesim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clonesim",
        abstract: "Discrete-event storage simulator and capacity planner for copy-on-write clones.",
        discussion: """
            clonesim replays clone workloads block by block against a model of NetApp FlexClone, \
            ReFS block cloning and Linux reflinks, with change rates drawn from GNU Scientific \
            Library distributions.

            \(Sample.distributionList)
            """,
        subcommands: [Run.self, Plan.self, Merge.self, Validate.self, Sample.self]
    )
}
