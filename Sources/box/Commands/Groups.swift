import ArgumentParser

/// `box image …`: the image commands under one name, with Docker's `ls` and `rm` spellings.
struct ImageGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Manage images",
        subcommands: [ImageExists.self, HistoryCommand.self, ImagePrune.self, ImageInspectCommand.self, ImageLs.self, Load.self, ImageRm.self, Pull.self, Push.self, Tag.self,
                      Save.self, Import.self, Build.self])
}

/// `box container …`: the container commands under one name.
struct ContainerGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container", abstract: "Manage containers",
        subcommands: [Run.self, Exec.self, ContainerLs.self, Ps.self, Rm.self, Inspect.self, Logs.self,
                      Stop.self, Restart.self, Kill.self, Wait.self, Rename.self, Top.self, Pause.self, Unpause.self, ContainerPrune.self,
                      Export.self, CreateCommand.self, Start.self, Attach.self, Commit.self, Diff.self, Cp.self])
}

/// `box image ls`: `box images` by Docker's other name.
struct ImageLs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List images", aliases: ["list"])
    @OptionGroup var command: Images
    func run() throws { try command.run() }
}

/// `box image rm`: `box rmi` by Docker's other name.
struct ImageRm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more images", aliases: ["remove"])
    @OptionGroup var command: Rmi
    func run() throws { try command.run() }
}

/// `box container ls`: `box ps` by Docker's other name.
struct ContainerLs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List containers", aliases: ["list"])
    @OptionGroup var command: Ps
    func run() throws { try command.run() }
}
