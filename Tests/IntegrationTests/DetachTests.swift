#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

/// Polls `condition` every 50 ms for up to `seconds`; whether it became true.
func eventually(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
    let end = now() + seconds
    while now() < end {
        if condition() { return true }
        usleep(50_000)
    }
    return condition()
}

/// Detached containers and their monitor: `run -d`, `create`/`start`, restart policies, `--init`, recovery.
@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct DetachTests {
    let h = Harness.shared

    func unique(_ tag: String) -> String { "\(tag)-\(UInt32.random(in: 0...UInt32.max))" }

    func state(_ name: String, _ field: String = "{{.State.Status}}") -> String {
        h.box("inspect", "-f", field, name).stdout.trimmingSuffix("\n")
    }

    @Test func detachedRunReturnsTheIDAndTheMonitorRecordsTheExit() throws {
        let name = unique("d")
        defer { h.box("rm", "-f", name) }
        let r = h.box("run", "-d", "--name", name, "box-demo", "sh", "-c", "echo hello; echo oops >&2; sleep 0.3; exit 3")
        #expect(r.status == 0)
        #expect(r.stderr == "")
        let id = r.stdout.trimmingSuffix("\n")
        #expect(id.count == 64 && id.allSatisfy(\.isHexDigit))
        #expect(state(name) == "running")
        let monitor = state(name, "{{.State.MonitorPid}}")
        #expect(Int(monitor) ?? 0 > 0)
        #expect(eventually { state(name) == "exited" })
        #expect(state(name, "{{.State.ExitCode}} {{.State.Pid}}") == "3 0")
        // the monitor wrote both streams to the log, then went with its container
        let log = String(decoding: (try? Files.read(h.root + "/containers/\(id)/ctr.log")) ?? [], as: UTF8.self)
        #expect(log.contains(#""log":"hello\n","stream":"stdout""#))
        #expect(log.contains(#""log":"oops\n","stream":"stderr""#))
        #expect(eventually { Host.processes(matching: "container-monitor \(id)").isEmpty })
    }

    /// The monitor is a session leader with nothing of the caller's: stdio on /dev/null, no other inherited fd.
    @Test func theMonitorIsDetachedFromTheCaller() throws {
        let name = unique("m")
        defer { h.box("rm", "-f", name) }
        // a file the caller holds open must not reach the monitor
        let marker = TestSupport.tempDir("marker") + "/held"
        let r = TestSupport.run(["/bin/sh", "-c", "exec 7>'\(marker)'; '\(TestSupport.boxBinary)' --root '\(h.root)' run -d --name \(name) box-demo sleep 30"])
        #expect(r.status == 0)
        let pid = state(name, "{{.State.MonitorPid}}")
        let stat = String(decoding: (try? Files.read("/proc/\(pid)/stat")) ?? [], as: UTF8.self)
        let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
        // fields after the name: state, ppid, pgrp, session
        #expect(fields.count > 3 && String(fields[3]) == pid)
        var targets: [String] = []
        for fd in (try? Files.list("/proc/\(pid)/fd")) ?? [] {
            var buf = [CChar](repeating: 0, count: 512)
            let n = readlink("/proc/\(pid)/fd/\(fd)", &buf, 511)
            if n > 0 { targets.append("\(fd)=" + String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)) }
        }
        #expect(targets.contains("0=/dev/null") && targets.contains("1=/dev/null") && targets.contains("2=/dev/null"))
        #expect(!targets.contains { $0.contains("held") }, "\(targets)")
    }

    @Test func aDetachedRunThatCannotStartLeavesNothing() {
        let name = unique("f")
        let r = h.box("run", "-d", "--name", name, "box-demo", "no-such-command")
        #expect(r.status == 127)
        #expect(r.stdout == "")
        #expect(r.stderr.contains("executable file not found"))
        #expect(h.box("inspect", name).status == 125)
        #expect(!h.box("ps", "-a", "--format", "{{.Names}}").stdout.contains(name))
        #expect(Host.processes(matching: "container-monitor").allSatisfy { !$0.contains(h.root) || !$0.contains("no-such") })
    }

    @Test func createThenStartThenStartAttached() {
        let name = unique("c")
        defer { h.box("rm", "-f", name) }
        let c = h.box("create", "--name", name, "box-demo", "sh", "-c", "echo run; exit 2")
        #expect(c.status == 0 && c.stdout.count == 65)
        #expect(state(name) == "created")
        #expect(h.box("start", name).stdout == name + "\n")
        #expect(eventually { state(name) == "exited" })
        #expect(state(name, "{{.State.ExitCode}}") == "2")
        let a = h.box("start", "-a", name)
        #expect(a.status == 2)
        #expect(a.stdout == "run\n")
    }

    @Test func onFailureRestartsUpToItsLimit() {
        let name = unique("r")
        defer { h.box("rm", "-f", name) }
        #expect(h.box("run", "-d", "--name", name, "--restart", "on-failure:2", "box-demo", "sh", "-c", "exit 1").status == 0)
        #expect(eventually(10) { state(name) == "exited" && state(name, "{{.RestartCount}}") == "2" })
        #expect(state(name, "{{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}") == "1 on-failure")
        // three runs: the first and two restarts, each logged
        let log = h.box("inspect", "-f", "{{.LogPath}}", name).stdout.trimmingSuffix("\n")
        #expect(!log.isEmpty)
    }

    /// `run`, `create` and `exec` pass their arguments through, yet `--help` right after them shows their help.
    @Test(arguments: [["run", "--help"], ["create", "--help"], ["container", "exec", "--help"]])
    func helpOfPassThroughCommands(args: [String]) {
        let r = h.box(args)
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("OVERVIEW: "))
    }

    @Test func badRestartPolicyIsRefused() {
        let r = h.box("run", "-d", "--restart", "sometimes", "box-demo", "true")
        #expect(r.status == 125)
        #expect(r.stderr == "Error: invalid restart policy 'sometimes'\n")
    }

    /// `--init`: box's init is PID 1, passes SIGTERM to the command (which a PID 1 would ignore) and reaps orphans.
    @Test func initForwardsSignalsAndReapsZombies() {
        let name = unique("i")
        let plain = unique("p")
        defer { h.box("rm", "-f", name); h.box("rm", "-f", plain) }
        #expect(h.box("run", "-d", "--init", "--name", name, "box-demo", "sleep", "30").status == 0)
        #expect(h.box("run", "-d", "--name", plain, "box-demo", "sleep", "30").status == 0)
        for n in [name, plain] {
            let pid = Int32(state(n, "{{.State.Pid}}")) ?? 0
            #expect(pid > 0)
            kill(pid, SIGTERM)
        }
        #expect(eventually(3) { state(name) == "exited" })
        #expect(state(name, "{{.State.ExitCode}}") == "143")
        // without init, the sleep is PID 1 and ignores a signal it has no handler for
        #expect(state(plain) == "running")
        let z = h.sh("sh -c 'sleep 0.1 &' ; sleep 0.5; ps -o stat,comm | grep -c '^Z' || true", flags: ["--init"])
        #expect(z.stdout == "0\n")
        // PID 1 is box's init, and its command line shows no host path of box's
        let first = h.sh("tr -s '\\0' ' ' < /proc/1/cmdline; echo; echo $$; cat /proc/1/comm", flags: ["--init"])
        #expect(first.stdout == "init \n2\ninit\n")
    }

    /// A container the OOM killer ends shows `OOMKilled` and 137 (the limit is set by hand until `--memory` exists).
    @Test func anOOMKillIsRecorded() throws {
        let name = unique("oom")
        defer { h.box("rm", "-f", name) }
        let r = h.box("run", "-d", "--name", name, "box-demo", "sh", "-c", "sleep 1; exec sort /dev/zero")
        #expect(r.status == 0)
        let id = r.stdout.trimmingSuffix("\n")
        let v1 = "/sys/fs/cgroup/memory/box/\(id)/memory.limit_in_bytes"
        let v2 = "/sys/fs/cgroup/box/\(id)/memory.max"
        let file = Files.exists(v1) ? v1 : v2
        try #require(Files.exists(file), "no memory controller for the container's cgroup")
        try Files.write(file, Array("33554432".utf8))
        #expect(eventually(15) { state(name) == "exited" })
        #expect(state(name, "{{.State.OOMKilled}} {{.State.ExitCode}}") == "true 137")
    }

    /// A monitor killed with SIGKILL takes its container with it; the next command sees it exited.
    @Test func aKilledMonitorIsReconciled() {
        let name = unique("k")
        defer { h.box("rm", "-f", name) }
        #expect(h.box("run", "-d", "--name", name, "box-demo", "sleep", "31").status == 0)
        let monitor = Int32(state(name, "{{.State.MonitorPid}}")) ?? 0
        let pid = Int32(state(name, "{{.State.Pid}}")) ?? 0
        #expect(monitor > 0 && pid > 0)
        kill(monitor, SIGKILL)
        #expect(eventually { kill(pid, 0) != 0 })
        #expect(state(name) == "exited")
        #expect(h.box("ps", "-a", "--format", "{{.Names}} {{.State}}").stdout.contains("\(name) exited\n"))
    }

    /// After a reboot (`/run` wiped), containers show as exited and start again.
    @Test func aWipedRunRootIsRecovered() {
        let root = TestSupport.tempDir("box-wipe")
        defer { TestSupport.removeTree(root) }
        let run = root + "/run"
        func box(_ args: String...) -> TestSupport.Result {
            TestSupport.run([TestSupport.boxBinary, "--root", root, "--runroot", run] + args)
        }
        #expect(box("load", "-i", TestSupport.fixture("box-demo.oci.tar")).status == 0)
        #expect(box("run", "-d", "--name", "wiped", "box-demo", "sleep", "32").status == 0)
        let monitor = Int32(box("inspect", "-f", "{{.State.MonitorPid}}", "wiped").stdout.trimmingSuffix("\n")) ?? 0
        kill(monitor, SIGKILL)
        _ = eventually { box("inspect", "-f", "{{.State.Status}}", "wiped").stdout == "exited\n" }
        TestSupport.removeTree(run)
        #expect(box("ps", "-a", "--format", "{{.Names}} {{.State}}").stdout == "wiped exited\n")
        #expect(box("start", "wiped").status == 0)
        #expect(box("inspect", "-f", "{{.State.Status}}", "wiped").stdout == "running\n")
        #expect(box("rm", "-f", "wiped").status == 0)
        #expect(eventually { Host.processes(matching: "sleep 32").isEmpty })
    }
}

extension String {
    func trimmingSuffix(_ s: String) -> String { hasSuffix(s) ? String(dropLast(s.count)) : self }
}
