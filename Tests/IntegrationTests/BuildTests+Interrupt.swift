#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

extension BuildTests {
    /// Ctrl-C during a RUN: box stops the step's container and exits at once, and leaves no container, mount,
    /// cgroup, staging directory or image behind. A private root, so that nothing else changes its state.
    @Test func interruptedBuildLeavesNothing() throws {
        let h = Harness()
        defer { h.cleanup() }
        let ctx = try Self.context(dockerfile: "FROM box-demo\nRUN echo step-started; sleep 30\n")
        defer { TestSupport.removeTree(ctx) }
        let imagesBefore = h.box("images", "-aq", "--no-trunc").stdout
        let tmpBefore = try Files.list(h.root + "/tmp").sorted()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, ctx + "/out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, ctx + "/err", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let (pid, rc) = TestSupport.spawn([TestSupport.boxBinary, "--root", h.root, "build", "-t", "interrupted", ctx],
                                          actions: &actions, env: Environment.current)
        try #require(rc == 0)
        func output(_ name: String) -> String {
            (try? Files.read(ctx + "/" + name)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        // the step's container runs: its id, while it exists
        let started = eventually(20) { output("out").contains("step-started") }
        let ids = (try? Files.list(h.root + "/containers").filter { $0 != "names" }) ?? []
        #expect(started && ids.count == 1, "\(output("out")) \(output("err"))")
        // the step's processes, from its cgroups
        var stepPids: Set<Int32> = []
        #expect(eventually {
            let procs = ids.flatMap { Host.cgroupDirs($0) }.map { $0 + "/cgroup.procs" }
            stepPids = Set(TestSupport.run(["/bin/cat"] + procs).stdout.split(separator: "\n").compactMap { Int32($0) })
            return !stepPids.isEmpty
        })
        kill(pid, SIGINT)
        var status: Int32 = 0
        let exited = eventually(5) { waitpid(pid, &status, WNOHANG) == pid }
        if !exited {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
        }
        #expect(exited, "box build did not exit within 5 s of SIGINT")
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        #expect(code == 130, "box exits 128 + SIGINT, as a shell reports an interrupted command")
        #expect(output("err").hasPrefix("Error: ") && output("err").split(separator: "\n").count == 1, "\(output("err"))")
        // nothing left: container, its mounts and cgroups, staging, a new image, the step's process
        #expect(h.box("ps", "-aq").stdout.isEmpty)
        #expect(try Files.list(h.root + "/containers").filter { $0 != "names" }.isEmpty)
        #expect(Host.mounts(containing: h.root).isEmpty, "\(Host.mounts(containing: h.root))")
        for id in ids { #expect(Host.cgroupDirs(id).isEmpty, "\(Host.cgroupDirs(id))") }
        #expect(try Files.list(h.root + "/tmp").sorted() == tmpBefore)
        #expect(h.box("images", "-aq", "--no-trunc").stdout == imagesBefore)
        for p in stepPids { #expect(kill(p, 0) != 0, "the step's process \(p) still runs") }
    }
}
