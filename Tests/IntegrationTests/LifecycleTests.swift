#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

/// stop, kill, wait, rename, pause/unpause, top, container prune and rm -f, against containers that a
/// foreground `box run` started in the background.
@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct LifecycleTests {
    let h = Harness.shared
    let bin = TestSupport.boxBinary

    /// A fresh container name.
    func name(_ tag: String) -> String { "\(tag)-\(UInt32.random(in: 0...UInt32.max))" }

    /// Starts `box run --name NAME [flags] box-demo ARGS…` in the background and waits until it runs; returns
    /// the pid of that `box run` (the container's parent), or nil if the container never ran.
    @discardableResult
    func start(_ name: String, _ args: [String], flags: [String] = []) -> Int32? {
        let words = (flags + ["box-demo"] + args).map { "'\($0)'" }.joined(separator: " ")
        let script = """
        '\(bin)' --root '\(h.root)' run --name \(name) \(words) </dev/null >/dev/null 2>&1 & echo $!
        for i in $(seq 200); do
          [ "$('\(bin)' --root '\(h.root)' inspect -f '{{.State.Status}}' \(name) 2>/dev/null)" = running ] && exit 0; sleep 0.05
        done
        exit 1
        """
        let r = TestSupport.run(["/bin/sh", "-c", script])
        return r.status == 0 ? Int32(r.stdout.split(separator: "\n").first ?? "") : nil
    }

    func inspect(_ format: String, _ name: String) -> String {
        h.box("inspect", "-f", format, name).stdout
    }

    /// A file in the container's writable layer, as the host sees it.
    func upperFile(_ name: String, _ path: String) -> String? {
        let id = inspect("{{.Id}}", name).split(separator: "\n").first.map(String.init) ?? ""
        return (try? Files.read("\(h.root)/containers/\(id)/upper\(path)")).map { String(decoding: $0, as: UTF8.self) }
    }

    func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// PID 1 without a TERM handler ignores SIGTERM: stop waits the timeout, then SIGKILL gives 137.
    @Test func stopOfAProcessThatIgnoresTermTakesTheTimeout() throws {
        let c = name("stop-ign")
        defer { h.box("rm", "-f", c) }
        try #require(start(c, ["sleep", "30"]) != nil)
        let t0 = now()
        let r = h.box("stop", "-t", "2", c)
        let took = now() - t0
        #expect(r.status == 0)
        #expect(r.stdout == "\(c)\n")
        #expect(took >= 1.9 && took < 6, "stop took \(took) s")
        // the exit is recorded by the time stop returns
        #expect(inspect("{{.State.ExitCode}} {{.State.Status}} {{.State.Running}}", c) == "137 exited false\n")
    }

    @Test func stopOfATrappingShellIsQuickAndExitsWithItsCode() throws {
        let c = name("stop-trap")
        defer { h.box("rm", "-f", c) }
        try #require(start(c, ["sh", "-c", "trap \"exit 0\" TERM; while :; do sleep 0.1; done"]) != nil)
        let t0 = now()
        #expect(h.box("stop", c).stdout == "\(c)\n")
        #expect(now() - t0 < 3)
        #expect(inspect("{{.State.ExitCode}} {{.State.Status}}", c) == "0 exited\n")
        // a stopped container: Docker prints the name and succeeds
        let again = h.box("stop", c)
        #expect(again.status == 0 && again.stdout == "\(c)\n")
    }

    /// Whether `run` takes `--stop-signal` yet.
    static let hasStopSignal = Host.canRun && TestSupport.run([TestSupport.boxBinary, "help", "run"]).stdout.contains("--stop-signal")

    /// The container's `--stop-signal` is what stop sends.
    @Test(.enabled(if: hasStopSignal, "run --stop-signal is not available yet"))
    func stopSendsTheStopSignal() throws {
        let c = name("stop-sig")
        defer { h.box("rm", "-f", c) }
        try #require(start(c, ["sh", "-c", "trap \"exit 5\" USR2; while :; do sleep 0.1; done"], flags: ["--stop-signal", "USR2"]) != nil)
        #expect(h.box("stop", "-t", "5", c).status == 0)
        #expect(inspect("{{.State.ExitCode}}", c) == "5\n")
    }

    /// While a stop waits, other commands neither wait for it nor see a half-written record.
    @Test func stopDoesNotBlockOtherCommands() throws {
        let c = name("stop-conc")
        defer { h.box("rm", "-f", c) }
        try #require(start(c, ["sleep", "30"]) != nil)
        let b = "'\(bin)' --root '\(h.root)'"
        let script = """
        \(b) stop -t 2 \(c) >/dev/null & s=$!
        sleep 0.4
        t0=$(date +%s%N)
        st=$(\(b) inspect -f '{{.State.Status}}' \(c)); \(b) ps >/dev/null; \(b) ps -a >/dev/null
        t1=$(date +%s%N)
        wait $s
        echo "$st $(( (t1 - t0) / 1000000 ))"
        """
        let out = TestSupport.run(["/bin/sh", "-c", script]).stdout.split(separator: " ")
        try #require(out.count == 2)
        #expect(out[0] == "running")
        let ms = Int(out[1].split(separator: "\n").first ?? "") ?? 9999
        #expect(ms < 700, "inspect and ps took \(ms) ms during a stop")
        #expect(inspect("{{.State.Status}}", c) == "exited\n")
    }

    @Test func killSendsSignalsAndKillWaitsForTheRecord() throws {
        let c = name("kill")
        defer { h.box("rm", "-f", c) }
        try #require(start(c, ["sh", "-c", "trap \"echo usr1 >> /got\" USR1; while :; do sleep 0.1; done"]) != nil)
        let r = h.box("kill", "-s", "USR1", c)
        #expect(r.status == 0 && r.stdout == "\(c)\n")
        var got: String?
        for _ in 0..<100 {
            got = upperFile(c, "/got")
            if got != nil { break }
            usleep(50_000)
        }
        #expect(got == "usr1\n")
        #expect(inspect("{{.State.Status}}", c) == "running\n")
        #expect(h.box("kill", "-s", "SIGUSR1", c).status == 0)
        // SIGKILL by default; kill returns once the exit is recorded
        #expect(h.box("kill", c).stdout == "\(c)\n")
        #expect(inspect("{{.State.ExitCode}} {{.State.Status}}", c) == "137 exited\n")
        let again = h.box("kill", c)
        #expect(again.status == 125)
        #expect(again.stderr.hasPrefix("Error: cannot kill container: \(c): container "))
        #expect(again.stderr.hasSuffix(" is not running\n"))
    }

    @Test func invalidSignalIsRefusedBeforeAnythingIsSignalled() throws {
        let c = name("badsig")
        defer { h.box("rm", "-f", c) }
        try #require(start(c, ["sleep", "30"]) != nil)
        for sig in ["FOO", "0", "99", "SIGRTMIN+20"] {
            let r = h.box("kill", "-s", sig, c)
            #expect(r.status == 125)
            #expect(r.stderr == "Error: invalid signal: \(sig)\n")
            #expect(r.stdout == "")
        }
        #expect(h.box("stop", "-s", "NOPE", c).stderr == "Error: invalid signal: NOPE\n")
        #expect(inspect("{{.State.Status}}", c) == "running\n")
        let missing = h.box("kill", "no-such-container-x")
        #expect(missing.status == 125)
        #expect(missing.stderr == "Error: cannot kill container: no-such-container-x: no such container: no-such-container-x\n")
    }

    @Test func waitPrintsTheExitCode() throws {
        let c = name("wait")
        defer { h.box("rm", "-f", c) }
        try #require(start(c, ["sh", "-c", "sleep 1.5; exit 3"]) != nil)
        let t0 = now()
        let r = h.box("wait", c)
        #expect(r.status == 0)
        #expect(r.stdout == "3\n")
        #expect(now() - t0 > 0.3)
        // an exited container answers at once; a missing one is an error, and the others are still waited for
        let both = h.box("wait", "no-such-container-w", c)
        #expect(both.status == 125)
        #expect(both.stdout == "3\n")
        #expect(both.stderr == "Error: no such container: no-such-container-w\n")
    }

    @Test func renameMovesTheNameAndFreesTheOld() {
        let a = name("ren-a"), b = name("ren-b"), other = name("ren-o")
        defer { for n in [a, b, other] { h.box("rm", "-f", n) } }
        #expect(h.box("run", "--name", a, "box-demo", "true").status == 0)
        #expect(h.box("run", "--name", other, "box-demo", "true").status == 0)
        let id = inspect("{{.Id}}", a)
        let r = h.box("rename", a, b)
        #expect(r.status == 0 && r.stdout == "")
        #expect(inspect("{{.Id}} {{.Name}}", b) == "\(id.dropLast()) /\(b)\n")
        #expect(h.box("inspect", a).status == 125)
        #expect(h.box("ps", "-a", "--format", "{{.Names}}").stdout.split(separator: "\n").contains(Substring(b)))
        // the old name is free again
        #expect(h.box("run", "--name", a, "box-demo", "true").status == 0)
        let taken = h.box("rename", b, other)
        #expect(taken.status == 125)
        #expect(taken.stderr.hasPrefix("Error: error when allocating new name: "))
        #expect(inspect("{{.Name}}", b) == "/\(b)\n")
        let same = h.box("rename", b, b)
        #expect(same.stderr == "Error: renaming a container with the same name as its current name\n")
        #expect(h.box("rename", b, "bad/name").status == 125)
        #expect(h.box("rename", b).status == 125)
    }

    @Test func pauseFreezesTheProcessesAndUnpauseResumes() throws {
        let c = name("pause")
        defer { h.box("rm", "-f", c) }
        try #require(start(c, ["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /count; sleep 0.05; done"]) != nil)
        let id = inspect("{{.Id}}", c).split(separator: "\n").first.map(String.init) ?? ""
        #expect(h.box("pause", c).stdout == "\(c)\n")
        #expect(inspect("{{.State.Status}} {{.State.Paused}} {{.State.Running}}", c) == "paused true true\n")
        #expect(h.box("ps", "--format", "{{.Names}} {{.Status}}").stdout.contains("\(c) Up"))
        #expect(h.box("ps", "--format", "{{.Status}}", "-a").stdout.contains("(Paused)"))
        // the kernel says frozen: v1's freezer.state, or v2's cgroup.events
        let states = Host.cgroupDirs(id).compactMap { d -> String? in
            if let s = try? Files.read(d + "/freezer.state") { return String(decoding: s, as: UTF8.self) }
            if let s = try? Files.read(d + "/cgroup.events") { return String(decoding: s, as: UTF8.self) }
            return nil
        }
        #expect(states.contains { $0 == "FROZEN\n" || $0.contains("frozen 1") })
        let frozenAt = upperFile(c, "/count")
        usleep(500_000)
        #expect(upperFile(c, "/count") == frozenAt)
        let twice = h.box("pause", c)
        #expect(twice.status == 125 && twice.stderr == "Error: container \(id) is already paused\n")
        let rm = h.box("rm", c)
        #expect(rm.stderr == "Error: cannot remove container \"\(c)\": container is paused and must be unpaused first\n")
        #expect(h.box("unpause", c).stdout == "\(c)\n")
        #expect(inspect("{{.State.Status}}", c) == "running\n")
        usleep(500_000)
        #expect(upperFile(c, "/count") != frozenAt)
        let notPaused = h.box("unpause", c)
        #expect(notPaused.status == 125 && notPaused.stderr == "Error: container \(id) is not paused\n")
        // stop of a paused container thaws it so the signal is taken
        #expect(h.box("pause", c).status == 0)
        #expect(h.box("stop", "-t", "1", c).status == 0)
        #expect(inspect("{{.State.Status}}", c) == "exited\n")
        #expect(h.box("pause", c).stderr == "Error: container \(id) is not running\n")
    }

    @Test func topListsOnlyTheContainersProcesses() throws {
        let c = name("top")
        defer { h.box("rm", "-f", c) }
        try #require(start(c, ["sleep", "31"]) != nil)
        let pid = inspect("{{.State.Pid}}", c).split(separator: "\n").first.map(String.init) ?? ""
        let r = h.box("top", c)
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        try #require(lines.count == 2, "\(r.stdout)")
        #expect(lines[0].split(separator: " ") == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"])
        // Docker's columns: at least 20 wide, the command last and unpadded
        #expect(lines[0].hasPrefix("UID                 PID                 PPID"))
        let row = lines[1].split(separator: " ")
        #expect(row[1] == Substring(pid))
        #expect(lines[1].hasSuffix("sleep 31"))
        let custom = h.box("top", c, "-o", "pid,comm")
        #expect(custom.stdout == "PID                 COMMAND\n" + pid + String(repeating: " ", count: 20 - pid.count) + "sleep\n")
        #expect(h.box("top", c, "-o", "comm=PID").stderr == "Error: specifying \"comm=PID\" is not allowed\n")
        h.box("kill", c)
        #expect(h.box("top", c).stderr.hasSuffix(" is not running\n"))
    }

    @Test func pruneRemovesStoppedContainersOnly() throws {
        let label = "prune-test=\(UInt32.random(in: 0...UInt32.max))"
        let done = name("prune-done"), live = name("prune-live"), other = name("prune-other")
        defer { for n in [done, live, other] { h.box("rm", "-f", n) } }
        #expect(h.box("run", "--name", done, "-l", label, "box-demo", "sh", "-c", "echo data > /file").status == 0)
        #expect(h.box("run", "--name", other, "box-demo", "true").status == 0)
        try #require(start(live, ["sleep", "30"], flags: ["-l", label]) != nil)
        let doneID = inspect("{{.Id}}", done).split(separator: "\n").first.map(String.init) ?? ""
        // without -f: the prompt; an answer other than yes removes nothing
        let no = h.box("container", "prune", "--filter", "label=\(label)", stdin: "n\n")
        #expect(no.stdout == "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ")
        #expect(h.box("inspect", done).status == 0)
        // until= a time before the container was made keeps it
        let early = h.box("container", "prune", "-f", "--filter", "label=\(label)", "--filter", "until=2000-01-01T00:00:00Z")
        #expect(early.stdout == "Total reclaimed space: 0B\n")
        let yes = h.box("container", "prune", "--filter", "label=\(label)", stdin: "y\n")
        #expect(yes.stdout.hasSuffix("Deleted Containers:\n\(doneID)\n\nTotal reclaimed space: 5B\n"))
        #expect(h.box("inspect", done).status == 125)
        #expect(inspect("{{.State.Status}}", live) == "running\n")
        #expect(h.box("inspect", other).status == 0)
        #expect(h.box("container", "prune", "-f", "--filter", "bogus=1").status == 125)
    }

    @Test func rmForceOfARunningContainerKillsIt() throws {
        let c = name("rmf")
        let runPid = try #require(start(c, ["sleep", "30"]))
        let pid = Int32(inspect("{{.State.Pid}}", c).split(separator: "\n").first ?? "") ?? 0
        let plain = h.box("rm", c)
        #expect(plain.status == 125)
        #expect(plain.stderr == "Error: cannot remove container \"\(c)\": container is running: stop the container before removing or force remove\n")
        let t0 = now()
        let r = h.box("rm", "-f", c)
        #expect(r.status == 0 && r.stdout == "\(c)\n")
        #expect(now() - t0 < 3)
        #expect(!Files.exists("/proc/\(pid)/stat") || kill(pid, 0) != 0)
        #expect(h.box("inspect", c).status == 125)
        // the foreground run has ended too, and left no cgroup
        for _ in 0..<100 where kill(runPid, 0) == 0 { usleep(20_000) }
        #expect(kill(runPid, 0) != 0)
    }

    /// The container's parent cannot record the exit (here it is stopped): stop records it itself, after its
    /// bounded wait, so the container never stays "running".
    @Test func stopRecordsTheExitWhenTheParentCannot() throws {
        let c = name("orphan")
        defer { h.box("rm", "-f", c) }
        let runPid = try #require(start(c, ["sleep", "30"]))
        kill(runPid, SIGSTOP)
        defer { kill(runPid, SIGCONT) }
        let t0 = now()
        #expect(h.box("stop", "-t", "1", c).status == 0)
        let took = now() - t0
        #expect(took > 0.9 && took < 10, "stop took \(took) s")
        #expect(inspect("{{.State.Status}} {{.State.ExitCode}}", c) == "exited 137\n")
        kill(runPid, SIGCONT)
        // the parent, let go, records what it saw: the same exit
        for _ in 0..<100 where kill(runPid, 0) == 0 { usleep(20_000) }
        #expect(inspect("{{.State.Status}} {{.State.ExitCode}}", c) == "exited 137\n")
    }

    /// Whether `pid` is a live process (not gone, not a zombie).
    func alive(_ pid: Int32) -> Bool {
        guard pid > 0, let stat = try? Files.read("/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: UInt8(ascii: ")")), close + 2 < stat.count else { return false }
        return stat[close + 2] != UInt8(ascii: "Z")
    }

    /// A detached container's parent is its monitor: stop returns once the monitor has recorded the exit and
    /// ended, and neither stop nor kill lets a restart policy bring the container back.
    @Test func detachedContainersStopKillAndWait() throws {
        let s = name("det-stop"), k = name("det-kill"), w = name("det-wait")
        defer { for n in [s, k, w] { h.box("rm", "-f", n) } }
        try #require(h.box("run", "-d", "--restart", "always", "--name", s, "box-demo", "sleep", "30").status == 0)
        try #require(h.box("run", "-d", "--restart", "unless-stopped", "--name", k, "box-demo", "sleep", "30").status == 0)
        try #require(h.box("run", "-d", "--name", w, "box-demo", "sh", "-c", "sleep 1; exit 7").status == 0)
        let monitor = Int32(inspect("{{.State.MonitorPid}}", s).split(separator: "\n").first ?? "") ?? 0
        #expect(alive(monitor))
        #expect(h.box("stop", "-t", "1", s).stdout == "\(s)\n")
        #expect(!alive(monitor))
        #expect(inspect("{{.State.Status}} {{.State.ExitCode}}", s) == "exited 137\n")
        #expect(h.box("kill", k).stdout == "\(k)\n")
        #expect(inspect("{{.State.Status}} {{.State.ExitCode}}", k) == "exited 137\n")
        #expect(h.box("wait", w).stdout == "7\n")
        usleep(1_500_000)
        // still down: the restart policies saw manuallyStopped
        #expect(inspect("{{.State.Status}} {{.RestartCount}}", s) == "exited 0\n")
        #expect(inspect("{{.State.Status}} {{.RestartCount}}", k) == "exited 0\n")
    }
}
