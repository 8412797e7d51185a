import ArgumentParser
import BoxCore

/// The root command: `box COMMAND`.
struct Box: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "box",
        abstract: "A daemonless container tool: run containers from OCI and Docker images.",
        discussion: "Global options, before the command: --root DIR (state, default /var/lib/box), --runroot DIR (runtime state, default /run/box).",
        subcommands: [
            Run.self, CreateCommand.self, Start.self, Attach.self, Ps.self, Rm.self, Inspect.self, ContainerMonitorCommand.self, HealthcheckGroup.self,
            Stop.self, Restart.self, Kill.self, Wait.self, Rename.self, Top.self, Pause.self, Unpause.self,
            Load.self, Pull.self, Push.self, Login.self, Logout.self, Images.self, Rmi.self, Tag.self, ImageGroup.self, ContainerGroup.self,
            HistoryCommand.self, Exec.self, VolumeGroup.self, Cp.self,
            Save.self, Import.self, Export.self, Logs.self, Commit.self, Diff.self, Build.self,
            Update.self, Stats.self, Version.self, Info.self,
        ])

    /// Parses and runs a command line; returns the process exit code.
    /// Usage errors and box's own failures exit 125; a container's exit code passes through.
    static func execute(_ args: [String]) -> Int32 {
        do {
            var command = try parseAsRoot(args)
            try command.run()
            return 0
        } catch let exit as ContainerExit {
            return exit.code
        } catch let e as BoxError {
            Output.error(e.message)
            return e.exitCode
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                return 0
            }
            // ArgumentParser's usage errors: Docker exits 125 for bad flags
            Output.error(message.split(separator: "\n").first.map(String.init)?.replacingOccurrences(of: "Error: ", with: "") ?? "invalid arguments")
            return 125
        }
    }
}

/// A container's own exit code, carried out of a command without an error message.
struct ContainerExit: Error {
    let code: Int32
}

/// Writing to the terminal.
enum Output {
    /// One line on stderr: `Error: message`.
    static func error(_ message: String) {
        write(2, "Error: \(message)\n")
    }

    /// Text on stdout, written at once (not through a buffer that a later exec or exit could lose).
    static func out(_ text: String) { write(1, text) }

    /// Text on a file descriptor, written at once.
    static func write(_ fd: Int32, _ text: String) {
        try? Files.writeAll(fd: fd, Array(text.utf8), name: "output")
    }
}

extension String {
    /// A simple literal replacement (FoundationEssentials has no replacingOccurrences).
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = self[...]
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
