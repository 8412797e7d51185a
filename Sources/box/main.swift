#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore

// Global flags come before the command, as for podman: `box --root DIR run …`.
var arguments = Array(CommandLine.arguments.dropFirst())
while let first = arguments.first, first.hasPrefix("--root") || first.hasPrefix("--runroot") {
    let key = first.hasPrefix("--runroot") ? "BOX_RUNROOT" : "BOX_ROOT"
    if let eq = first.firstIndex(of: "=") {
        setenv(key, String(first[first.index(after: eq)...]), 1)
        arguments.removeFirst()
    } else if arguments.count > 1 {
        setenv(key, arguments[1], 1)
        arguments.removeFirst(2)
    } else {
        break
    }
}
// `run`, `create` and `exec` pass everything after the image through, `--help` too: ask for their help instead
if let i = arguments.firstIndex(where: { ["run", "create", "exec"].contains($0) }), i + 1 < arguments.count,
   arguments[i + 1] == "--help" {
    arguments = ["help"] + arguments[...i]
}
// a container that fails early closes its end of the sync pipe: box sees EPIPE and reads the child's report
signal(SIGPIPE, SIG_IGN)
exit(Box.execute(arguments))
