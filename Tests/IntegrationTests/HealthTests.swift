#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

/// Health checks: run by the monitor as execs, shown in `ps` and `inspect`, and on demand by `healthcheck run`.
@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct HealthTests {
    let h = Harness.shared

    func unique(_ tag: String) -> String { "\(tag)-\(UInt32.random(in: 0...UInt32.max))" }

    func status(_ name: String) -> String {
        h.box("ps", "-a", "--format", "{{.Names}}|{{.Status}}").stdout.split(separator: "\n")
            .first { $0.hasPrefix(name + "|") }.map { String($0.dropFirst(name.count + 1)) } ?? ""
    }

    @Test func theMonitorChecksAndPsShowsTheResult() {
        let name = unique("hc")
        defer { h.box("rm", "-f", name) }
        let r = h.box("run", "-d", "--name", name, "--health-cmd", "test -f /tmp/ok", "--health-interval", "200ms",
                      "--health-retries", "2", "box-demo", "sh", "-c", "touch /tmp/ok; sleep 1.5; rm /tmp/ok; sleep 30")
        #expect(r.status == 0)
        #expect(status(name).hasSuffix("(health: starting)"))
        #expect(eventually { status(name).hasSuffix("(healthy)") })
        #expect(h.box("inspect", "-f", "{{.State.Health.Status}} {{.State.Health.FailingStreak}}", name).stdout == "healthy 0\n")
        #expect(eventually(5) { status(name).hasSuffix("(unhealthy)") })
        let health = h.box("inspect", "-f", "{{.State.Health.Status}} {{(index .State.Health.Log 0).ExitCode}}", name).stdout
        #expect(health.hasPrefix("unhealthy "))
        #expect(h.box("inspect", "-f", "{{len .State.Health.Log}}", name).stdout == "5\n")
        #expect(h.box("healthcheck", "run", name).status == 1)
    }

    @Test func healthcheckRunOnDemand() {
        let name = unique("hr")
        defer { h.box("rm", "-f", name) }
        #expect(h.box("run", "-d", "--name", name, "--health-cmd", "echo fine; exit 0", "--health-interval", "60s",
                      "box-demo", "sleep", "30").status == 0)
        let ok = h.box("healthcheck", "run", name)
        #expect(ok.status == 0 && ok.stdout == "")
        #expect(h.box("inspect", "-f", "{{.State.Health.Status}} {{(index .State.Health.Log 0).Output}}", name).stdout == "healthy fine\n\n")
        #expect(status(name).hasSuffix("(healthy)"))
    }

    /// A check that hangs is ended at its timeout and counts as a failure.
    @Test func aHangingCheckIsTimedOut() {
        let name = unique("ht")
        defer { h.box("rm", "-f", name) }
        #expect(h.box("run", "-d", "--name", name, "--health-cmd", "sleep 20", "--health-timeout", "300ms",
                      "--health-interval", "60s", "box-demo", "sleep", "30").status == 0)
        let start = Time.nowSeconds()
        let r = h.box("healthcheck", "run", name)
        #expect(r.status == 1 && r.stdout == "unhealthy\n")
        #expect(Time.nowSeconds() - start < 5)
        #expect(h.box("inspect", "-f", "{{(index .State.Health.Log 0).ExitCode}} {{(index .State.Health.Log 0).Output}}", name).stdout
                == "-1 Health check exceeded timeout (0.3s)\n")
    }

    @Test func noHealthcheckAndBadFlags() {
        let name = unique("hn")
        defer { h.box("rm", "-f", name) }
        #expect(h.box("run", "-d", "--name", name, "--no-healthcheck", "box-demo", "sleep", "30").status == 0)
        let r = h.box("healthcheck", "run", name)
        #expect(r.status == 125 && r.stderr == "Error: container \(name) has no defined healthcheck\n")
        #expect(h.box("inspect", "-f", "{{.State.Health}}", name).stdout == "<nil>\n" || h.box("inspect", "-f", "{{.State.Health}}", name).stdout == "<no value>\n")
        let bad = h.box("run", "-d", "--health-cmd", "true", "--health-interval", "soon", "box-demo", "true")
        #expect(bad.status == 125 && bad.stderr.contains("invalid duration \"soon\""))
        let missing = h.box("healthcheck", "run", "no-such-container-h")
        #expect(missing.status == 125)
    }
}
