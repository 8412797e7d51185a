#if canImport(Glibc)
import Glibc
#endif
@testable import BoxCore
import BoxTestSupport
import Testing

@Suite struct CoreTests {
    @Test func atomicWriteReplacesWholeFileAndLeavesNoTemp() throws {
        let dir = TestSupport.tempDir()
        defer { TestSupport.removeTree(dir) }
        let path = dir + "/state.json"
        try Files.writeAtomic(path, Array("first".utf8))
        try Files.writeAtomic(path, Array("second".utf8))
        #expect(String(decoding: try Files.read(path), as: UTF8.self) == "second")
        #expect(try Files.list(dir) == ["state.json"])
    }

    @Test func errorsNameStepAndObject() {
        #expect(throws: BoxError.self) { try Files.read("/nonexistent/file") }
        do {
            _ = try Files.read("/nonexistent/file")
        } catch {
            #expect(error.message == "open /nonexistent/file: no such file or directory")
            #expect(error.code == .notFound)
            #expect(error.exitCode == 125)
        }
    }

    @Test func exitCodes() {
        #expect(BoxError(.commandNotFound, "x").exitCode == 127)
        #expect(BoxError(.cannotInvoke, "x").exitCode == 126)
        #expect(BoxError(.invalidArgument, "x").exitCode == 125)
    }

    @Test func pathsFollowOverrides() {
        let p = BoxPaths.resolve(root: "/x/root", runRoot: nil, environment: [:])
        #expect(p.root == "/x/root")
        #expect(p.runRoot == "/x/root/run")
        let e = BoxPaths.resolve(root: nil, runRoot: nil, environment: ["BOX_ROOT": "/r", "BOX_RUNROOT": "/rr"])
        #expect(e == BoxPaths(root: "/r", runRoot: "/rr"))
        // naming the default root keeps the default run root
        if geteuid() == 0 { #expect(BoxPaths.resolve(root: "/var/lib/box", runRoot: nil, environment: [:]).runRoot == "/run/box") }
    }

    @Test func lockIsExclusiveAcrossProcesses() throws {
        let dir = TestSupport.tempDir()
        defer { TestSupport.removeTree(dir) }
        let lock = try FileLock(dir)
        // flock(1) from another process must fail to take the lock while we hold it
        let busy = TestSupport.run(["/usr/bin/flock", "-n", dir, "true"])
        #expect(busy.status != 0)
        lock.unlock()
        let free = TestSupport.run(["/usr/bin/flock", "-n", dir, "true"])
        #expect(free.status == 0)
    }

    @Test(arguments: [
        ("2024-01-01T00:00:00Z", 1704067200.0),
        ("2024-01-01T01:00:00+01:00", 1704067200.0),
        ("1970-01-01T00:00:01.5Z", 1.5),
    ])
    func parsesRFC3339(s: String, want: Double) {
        #expect(Time.parse(s) == want)
    }

    @Test func formatsRFC3339() {
        #expect(Time.format(seconds: 1704067200) == "2024-01-01T00:00:00Z")
        #expect(Time.format(seconds: 0, nanos: 5) == "1970-01-01T00:00:00.000000005Z")
    }
}
