import BoxCore
@testable import BoxRuntime
import Testing

/// The parsers behind `kill -s`, `stop -s` and `top`.
@Suite struct LifecycleParseTests {
    @Test(arguments: [
        ("SIGTERM", Int32(15)), ("TERM", 15), ("term", 15), ("SigTerm", 15), ("15", 15), ("9", 9), ("KILL", 9),
        ("sigkill", 9), ("USR1", 10), ("SIGUSR2", 12), ("HUP", 1), ("CLD", 17), ("IOT", 6), ("POLL", 29),
        ("SIGRTMIN", 34), ("SIGRTMIN+3", 37), ("rtmin+15", 49), ("RTMAX-1", 63), ("SIGRTMAX", 64), ("64", 64), ("34", 34),
        ("+2", 2),
    ])
    func parsesSignals(text: String, want: Int32) throws {
        #expect(try Signals.parse(text) == want)
    }

    @Test(arguments: ["FOO", "", "0", "-1", "65", "32", "33", "SIG", "SIGSIGTERM", "RTMIN+16", "RTMAX-15", "TERM ", "1.5"])
    func rejectsSignals(text: String) {
        #expect(throws: BoxError.self) { try Signals.parse(text) }
        do { _ = try Signals.parse(text) } catch { #expect(error.message == "invalid signal: \(text)") }
    }

    @Test func psKeepsHeaderAndContainerRowsAndJoinsTheCommand() throws {
        let out = """
        UID          PID    PPID  C STIME TTY          TIME CMD
        root           1       0  0 10:00 ?        00:00:01 /sbin/init splash
        root         200     100  0 10:01 ?        00:00:00 sh -c sleep 30
        root         201     200  0 10:01 ?        00:00:00 sleep 30

        """
        let t = try Lifecycle.parsePS(out, pids: [200, 201])
        #expect(t.titles == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"])
        #expect(t.rows == [["root", "200", "100", "0", "10:01", "?", "00:00:00", "sh -c sleep 30"],
                           ["root", "201", "200", "0", "10:01", "?", "00:00:00", "sleep 30"]])
    }

    @Test func psThreadRowsFollowTheirProcess() throws {
        let out = "PID TID CMD\n7 - a\n- 7 a\n8 - b\n- 8 b\n"
        let t = try Lifecycle.parsePS(out, pids: [8])
        #expect(t.rows == [["8", "-", "b"], ["-", "8", "b"]])
    }

    @Test func psWithoutPIDColumnIsAnError() {
        #expect(throws: BoxError.self) { try Lifecycle.parsePS("USER COMMAND\nroot sh\n", pids: [1]) }
    }

    @Test(arguments: [(["-o", "pid,comm"], true), (["-o", "pid=PID,comm"], true), (["-o", "comm=PID"], false),
                      (["-o", "comm=", "PIDX"], false), (["aux"], true)])
    func psArgs(args: [String], allowed: Bool) {
        if allowed {
            #expect(throws: Never.self) { try Lifecycle.validatePSArgs(args) }
        } else {
            #expect(throws: BoxError.self) { try Lifecycle.validatePSArgs(args) }
        }
    }
}
