#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import CBox
import Testing

/// `box logs` on log files written with the C writer at known times (formats, tail, since/until, -t, rotated
/// files, drivers); `LogsOfRealContainers` below reads what containers wrote.
@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct LogsCommandTests {
    let h = Harness.shared

    /// 2025-06-01T12:00:00Z.
    static let t0: Int64 = 1_748_779_200

    func unique(_ tag: String) -> String { "\(tag)-\(UInt32.random(in: 0...UInt32.max))" }

    /// A container that has run and exited, with an empty log; its ID.
    func container(_ name: String, flags: [String] = []) -> String {
        _ = h.box(["run"] + flags + ["--name", name, "box-demo", "true"])
        let id = String(h.box("inspect", "-f", "{{.Id}}", name).stdout.prefix(64))
        _ = unlink(dir(id) + "/ctr.log")
        return id
    }

    func dir(_ id: String) -> String { h.root + "/containers/" + id }

    /// Writes entries (stream, text, seconds after t0) with box's writer into the container's log.
    func writeLog(_ id: String, file: String = "ctr.log", format: Int32 = Int32(BOX_LOG_JSON),
                  _ entries: [(Int32, String, Int64)]) {
        var log = box_log()
        #expect(box_log_open(&log, dir(id) + "/" + file, format, 0, 1) == 0)
        for (stream, text, at) in entries {
            #expect(box_log_write_at(&log, stream, text, text.utf8.count, Self.t0 + at, 0) == 0)
        }
        box_log_close(&log)
    }

    static let sample: [(Int32, String, Int64)] = [
        (1, "out1\n", 0), (2, "err1\n", 1), (1, "out2\npart", 2), (1, "ial\n", 3), (2, "err2\n", 4),
    ]

    @Test func printsEachStreamWhereItBelongs() {
        let name = unique("logs")
        defer { h.box("rm", "-f", name) }
        let id = container(name)
        writeLog(id, Self.sample)
        let r = h.box("logs", name)
        #expect(r.status == 0)
        #expect(r.stdout == "out1\nout2\npartial\n")
        #expect(r.stderr == "err1\nerr2\n")
        #expect(h.box("container", "logs", String(id.prefix(12))).stdout == r.stdout)
        // the partial entry and its continuation are one line
        #expect(h.box("logs", "--tail", "2", name).stdout == "partial\n")
        #expect(h.box("logs", "--tail", "2", name).stderr == "err2\n")
        #expect(h.box("logs", "-n", "3", name).stdout == "out2\npartial\n")
        #expect(h.box("logs", "--tail", "0", name).stdout == "")
        #expect(h.box("logs", "--tail", "all", name).stdout == r.stdout)
        #expect(h.box("logs", "--tail", "-1", name).stdout == r.stdout)
        #expect(h.box("logs", "--tail=-1", name).stdout == r.stdout)
    }

    @Test func timestampsSinceAndUntil() {
        let name = unique("logt")
        defer { h.box("rm", "-f", name) }
        let id = container(name)
        writeLog(id, Self.sample)
        let t = h.box("logs", "-t", "--tail", "3", name)
        #expect(t.stdout == "2025-06-01T12:00:02.000000000Z out2\n2025-06-01T12:00:02.000000000Z partial\n")
        #expect(t.stderr == "2025-06-01T12:00:04.000000000Z err2\n")
        let window = h.box("logs", "--since", "2025-06-01T12:00:01Z", "--until", "2025-06-01T12:00:02.5Z", name)
        #expect(window.stdout == "out2\npart")
        #expect(window.stderr == "err1\n")
        #expect(h.box("logs", "--since", String(Self.t0 + 3), name).stdout == "ial\n")
        #expect(h.box("logs", "--since", "\(Self.t0 + 2).5", name).stdout == "ial\n")
        #expect(h.box("logs", "--until", "2025-06-01T12:00:00Z", name).stdout == "out1\n")
        // relative to now: all of it is older than a minute
        #expect(h.box("logs", "--since", "1m", name).stdout == "")
        #expect(h.box("logs", "--until", "1m", name).stdout == "out1\nout2\npartial\n")
        #expect(h.box("logs", "--details", "--tail", "2", name).stdout == " partial\n")
        let bad = h.box("logs", "--since", "yesterday", name)
        #expect(bad.status == 125)
        #expect(bad.stderr == "Error: invalid value for \"since\": failed to parse value as time or duration: \"yesterday\"\n")
    }

    @Test func rotatedFilesAreReadOldestFirst() {
        let name = unique("logr")
        defer { h.box("rm", "-f", name) }
        let id = container(name)
        writeLog(id, file: "ctr.log.2", [(1, "a\n", 0)])
        writeLog(id, file: "ctr.log.1", [(1, "b\n", 1), (2, "c\n", 2)])
        writeLog(id, [(1, "d\n", 3)])
        #expect(h.box("logs", name).stdout == "a\nb\nd\n")
        #expect(h.box("logs", "--tail", "3", name).stdout == "b\nd\n")
        #expect(h.box("logs", "--tail", "3", name).stderr == "c\n")
    }

    @Test func k8sFileAndNoneDrivers() throws {
        let name = unique("logk")
        defer { h.box("rm", "-f", name) }
        let id = container(name, flags: ["--log-driver", "k8s-file"])
        writeLog(id, format: Int32(BOX_LOG_K8S), Self.sample)
        #expect(try Files.read(dir(id) + "/ctr.log").starts(with: Array("2025-06-01T12:00:00.000000000+00:00 stdout F out1\n".utf8)))
        let r = h.box("logs", "-t", name)
        #expect(r.stdout == "2025-06-01T12:00:00.000000000Z out1\n2025-06-01T12:00:02.000000000Z out2\n2025-06-01T12:00:02.000000000Z partial\n")
        #expect(r.stderr.hasSuffix("err2\n"))

        let other = unique("logn")
        defer { h.box("rm", "-f", other) }
        _ = container(other, flags: ["--log-driver", "none"])
        #expect(!Files.exists(dir(other) + "/ctr.log"))
        let none = h.box("logs", other)
        #expect(none.status == 125)
        #expect(none.stderr == "Error: configured logging driver does not support reading\n")
    }

    @Test func missingContainerAndArguments() {
        let r = h.box("logs", "no-such-container-here")
        #expect(r.status == 125)
        #expect(r.stderr == "Error: no such container: no-such-container-here\n")
        #expect(h.box("logs").stderr == "Error: \"box logs\" requires exactly 1 argument\n")
        #expect(h.box("logs", "--tail", "x", "c").stderr.hasPrefix("Error: invalid value for \"tail\""))
    }
}

/// `box logs` on what containers really wrote: the foreground `run` and the monitor log their output.
@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct LogsOfRealContainers {
    let h = Harness.shared

    func unique(_ tag: String) -> String { "\(tag)-\(UInt32.random(in: 0...UInt32.max))" }

    @Test func bothStreamsOfARun() {
        let name = unique("logo")
        defer { h.box("rm", "-f", name) }
        // the pauses order the two pipes' output in the log
        let run = h.box("run", "--name", name, "box-demo", "sh", "-c", "echo out; sleep 0.1; echo err >&2; sleep 0.1; echo out2; printf 'no newline'")
        #expect(run.stdout == "out\nout2\nno newline")
        let r = h.box("logs", name)
        #expect(r.status == 0)
        #expect(r.stdout == "out\nout2\nno newline")
        #expect(r.stderr == "err\n")
        #expect(h.box("logs", "--tail", "1", name).stdout == "no newline")
        let t = h.box("logs", "-t", "--tail", "2", name).stdout
        #expect(t.hasSuffix("Z no newline") && t.split(separator: " ").first?.count == 30)
        // every entry is after the container's start, and none is in the future
        #expect(h.box("logs", "--since", "1m", name).stdout == r.stdout)
        #expect(h.box("logs", "--until", "1m", name).stdout == "")
    }

    /// `-f` prints what is there, then what comes, and returns when the container ends.
    @Test func followsARunningContainerUntilItEnds() {
        let name = unique("logf")
        defer { h.box("rm", "-f", name) }
        let bin = TestSupport.boxBinary
        let script = """
        '\(bin)' --root '\(h.root)' run --name \(name) box-demo sh -c 'echo one; sleep 1.5; echo two; echo three >&2; sleep 0.5' >/dev/null 2>&1 & bg=$!
        for i in $(seq 100); do
          [ "$('\(bin)' --root '\(h.root)' inspect -f '{{.State.Status}}' \(name) 2>/dev/null)" = running ] && break; sleep 0.05
        done
        '\(bin)' --root '\(h.root)' logs -f \(name) 2>&1; echo "logs=$?"
        '\(bin)' --root '\(h.root)' inspect -f '{{.State.Status}}' \(name)
        wait $bg
        """
        let r = TestSupport.run(["/bin/sh", "-c", script])
        #expect(r.stdout == "one\ntwo\nthree\nlogs=0\nexited\n")
    }

    /// The monitor of a detached container writes the log; `-f` returns when the container ends.
    @Test func followsADetachedContainer() {
        let name = unique("logd")
        defer { h.box("rm", "-f", name) }
        let d = h.box("run", "-d", "--name", name, "box-demo", "sh", "-c", "echo one; sleep 1; echo two >&2; echo three")
        #expect(d.status == 0)
        let r = h.box("logs", "-f", name)
        #expect(r.status == 0)
        #expect(r.stdout == "one\nthree\n")
        #expect(r.stderr == "two\n")
        #expect(h.box("inspect", "-f", "{{.State.Status}}", name).stdout == "exited\n")
    }

    /// `--log-opt max-size` and `max-file`: the writer rotates, the reader reads the files oldest first.
    @Test(arguments: [("k8s-file", "3"), ("json-file", "1")])
    func rotatedOutput(driver: String, maxFile: String) {
        let name = unique("logrot")
        defer { h.box("rm", "-f", name) }
        let run = h.box("run", "--log-driver", driver, "--log-opt", "max-size=1k", "--log-opt", "max-file=\(maxFile)",
                        "--name", name, "box-demo", "seq", "1", "500")
        #expect(run.status == 0)
        let dir = h.root + "/containers/" + String(h.box("inspect", "-f", "{{.Id}}", name).stdout.prefix(64)) + "/ctr.log"
        #expect(Files.exists(dir + ".1") == (maxFile == "3"))
        #expect(Files.exists(dir + ".2") == (maxFile == "3"))
        #expect(!Files.exists(dir + ".3"))
        for f in [dir, dir + ".1", dir + ".2"] where Files.exists(f) { #expect(((try? Files.read(f))?.count ?? 0) <= 1024) }
        // what is kept is the end of the output, every line once, in order
        let lines = h.box("logs", name).stdout.split(separator: "\n").compactMap { Int($0) }
        #expect(lines.last == 500)
        // (with max-file=1 the file is emptied when full, so as little as the last line may be left)
        #expect(lines.count >= 1 && lines.count < 500)
        #expect(lines == Array((501 - lines.count)...500))
        #expect(h.box("logs", "--tail", "2", name).stdout == "499\n500\n")
    }

    /// `-f --tail 0` shows only what comes after it started.
    @Test func followWithTailZero() {
        let name = unique("logz")
        defer { h.box("rm", "-f", name) }
        let bin = TestSupport.boxBinary
        let script = """
        '\(bin)' --root '\(h.root)' run --name \(name) box-demo sh -c 'echo early; sleep 1.5; echo late' >/dev/null 2>&1 & bg=$!
        for i in $(seq 100); do
          [ "$('\(bin)' --root '\(h.root)' logs \(name) 2>/dev/null)" = early ] && break; sleep 0.05
        done
        '\(bin)' --root '\(h.root)' logs -f --tail 0 \(name); wait $bg
        """
        #expect(TestSupport.run(["/bin/sh", "-c", script]).stdout == "late\n")
    }
}
