#if canImport(Glibc)
import Glibc
#endif
import BoxCgroups
import BoxCore
import BoxOS
import CBox

/// Running a container's health check once, as an exec, and recording what it found.
public struct HealthChecker {
    public let store: ContainerStore
    public let cgroups: any CgroupBackend
    /// Docker keeps the last five results and the first 4 KiB of each one's output.
    static let keptResults = 5
    static let keptOutput = 4096

    public init(store: ContainerStore, cgroups: any CgroupBackend) {
        self.store = store
        self.cgroups = cgroups
    }

    /// Runs the check of `ref` once and records it; returns the result and the container's health after it.
    public func run(_ ref: String) throws(BoxError) -> (result: HealthResult, health: HealthState) {
        let r = try store.resolve(ref)
        guard let hc = r.settings.healthcheck else {
            throw BoxError(.invalidArgument, "container \(ref) has no defined healthcheck")
        }
        guard r.state.status == .running else { throw BoxError(.conflict, "container \(ref) is not running") }
        let command = hc.test.first == "CMD-SHELL" ? ["/bin/sh", "-c", hc.test.dropFirst().joined(separator: " ")] : Array(hc.test.dropFirst())
        let start = Time.now()
        var (code, output) = try execute(r, command: command, timeout: hc.timeout)
        if code == -1 { output = "Health check exceeded timeout (\(Self.goDuration(hc.timeout)))" }
        let result = HealthResult(start: start, end: Time.now(), exitCode: code, output: output)
        let saved = try store.update(r.id) { (c) throws(BoxError) in
            var h = c.state.health ?? HealthState(status: "starting", failingStreak: 0, log: [])
            h.log = Array((h.log + [result]).suffix(Self.keptResults))
            let started = c.state.startedAt.flatMap(Time.parse) ?? 0
            let inStartPeriod = Time.nowSeconds() - started < Double(hc.startPeriod) / 1e9
            if code == 0 {
                h.status = "healthy"
                h.failingStreak = 0
            } else if !(inStartPeriod && h.status == "starting") {
                // failures in the start period do not count until the first success (Docker's rule)
                h.failingStreak += 1
                if h.failingStreak >= hc.retries { h.status = "unhealthy" }
            }
            c.state.health = h
        }
        return (result, saved.state.health ?? HealthState(status: "starting", failingStreak: 0, log: []))
    }

    /// Runs `command` in the container with output captured; -1 when it ran past `timeout` (then it is killed).
    private func execute(_ r: ContainerRecord, command: [String], timeout: Int64) throws(BoxError) -> (Int32, String) {
        var fds: [Int32] = [-1, -1]
        try check("pipe", "health check") { box_pipe_cloexec(&fds) }
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(fds[0]); if null >= 0 { close(null) } }
        var stdio = Executor.Stdio()
        stdio.stdin = null
        stdio.stdout = fds[1]
        stdio.stderr = fds[1]
        let started: StartedProcess?
        do throws(BoxError) {
            started = try Executor(cgroups: cgroups, paths: store.paths).start(r, ExecOptions(command: command), stdio: stdio)
        } catch {
            close(fds[1])
            // a command that cannot run is a failed check, as in Docker; a stopped container is an error
            if error.exitCode == 126 || error.exitCode == 127 { return (error.exitCode, error.message) }
            throw error
        }
        close(fds[1])
        guard let p = started else { return (0, "") }
        let deadline = Time.nowSeconds() + Double(timeout) / 1e9
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        var open = true
        var timedOut = false
        while open {
            let left = deadline - Time.nowSeconds()
            if left <= 0 { timedOut = true; break }
            var pfd = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
            let n = poll(&pfd, 1, Int32(min(left * 1000, 1_000_000)))
            if n < 0 && errno == EINTR { continue }
            if n == 0 { continue }
            let got = read(fds[0], &buf, buf.count)
            if got <= 0 { open = false } else if out.count < Self.keptOutput { out += buf[0..<min(got, Self.keptOutput - out.count)] }
        }
        if timedOut {
            box_pidfd_send_signal(p.pidfd, SIGKILL)
            _ = Launcher(store: store, cgroups: cgroups).reap(p)
            return (-1, "")
        }
        // the output ended; the process may still be finishing
        var pfd = pollfd(fd: p.pidfd, events: Int16(POLLIN), revents: 0)
        let left = max(0, deadline - Time.nowSeconds())
        if poll(&pfd, 1, Int32(left * 1000)) == 0 {
            box_pidfd_send_signal(p.pidfd, SIGKILL)
            _ = Launcher(store: store, cgroups: cgroups).reap(p)
            return (-1, "")
        }
        return (Launcher(store: store, cgroups: cgroups).reap(p), String(decoding: out, as: UTF8.self))
    }

    /// `30s`, `1.5s`, `2m0s`: a duration in nanoseconds as Go prints it, for the timeout message.
    static func goDuration(_ ns: Int64) -> String {
        let s = Double(ns) / 1e9
        if s < 60 { return s == s.rounded() ? "\(Int(s))s" : "\(s)s" }
        return "\(Int(s) / 60)m\(Int(s) % 60)s"
    }
}
