#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

/// A pull from a registry that misbehaves: each fault gives one error line and exit 125 within a bounded
/// time, no image appears, no staging is left, and a later pull from a good registry completes the job.
@Suite(.enabled(if: Host.canRun, "needs root, the fixtures and the built binary"), .serialized)
struct PullFaultTests {
    static let oci = TestSupport.fixture("box-demo.oci.tar")

    func faulty(_ fault: String) throws -> TestRegistry {
        try #require(TestRegistry.faulty(oci: Self.oci, fault: fault), "\(TestRegistry.lastSkipReason ?? TestRegistry.lastFailure ?? "")")
    }

    /// `box pull` with a short stall limit; returns the result and the seconds it took.
    func pull(_ h: Harness, _ ref: String) -> (TestSupport.Result, Double) {
        let t0 = Self.now()
        let r = TestSupport.run([TestSupport.boxBinary, "--root", h.root, "pull", ref], env: ["BOX_REGISTRY_TIMEOUT": "2"])
        return (r, Self.now() - t0)
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// No image, and nothing left in tmp/.
    func expectClean(_ h: Harness, _ what: String) {
        #expect(h.box("images", "-q").stdout == "", "\(what): an image appeared")
        #expect(((try? Files.list(h.root + "/tmp")) ?? []).isEmpty, "\(what): staging left in tmp/")
    }

    @Test(arguments: [
        ("blob-digest", "content has digest"),
        ("manifest-size", "descriptor declares"),
        ("media-type", "unsupported manifest media type"),
        ("manifest-large", "larger than"),
        ("manifest-not-json", "not valid json"),
        ("status-401", "access denied"),
        ("status-404", "not found"),
        ("status-500", "500"),
        ("hang", "pinging container registry"),
        ("cut-blob", "transfer closed"),
    ])
    func faultGivesOneLine(fault: String, says: String) throws {
        let reg = try faulty(fault)
        defer { reg.stop() }
        let h = Harness(load: false)
        defer { h.cleanup() }
        let (r, seconds) = pull(h, "\(reg.host)/test/demo:latest")
        #expect(r.status == 125, "\(fault): \(r.stdout) \(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1 && r.stderr.hasPrefix("Error: "), "\(fault): \(r.stderr)")
        #expect(r.stderr.contains(says), "\(fault): \(r.stderr)")
        #expect(seconds < 20, "\(fault) took \(seconds) s")
        expectClean(h, fault)

        // the same store then pulls the image from a good registry
        let good = try faulty("none")
        defer { good.stop() }
        let (ok, _) = pull(h, "\(good.host)/test/demo:latest")
        #expect(ok.status == 0, "after \(fault): \(ok.stderr)")
        #expect(h.box("run", "--rm", "\(good.host)/test/demo:latest", "true").status == 0)
    }

    @Test func killedHalfwayThenCompleted() throws {
        let reg = try faulty("slow-blob")
        defer { reg.stop() }
        let h = Harness(load: false)
        defer { h.cleanup() }
        let script = "\"$0\" --root \"$1\" pull -q \"$2\" >/dev/null 2>&1 & p=$!; sleep 1.5; kill -9 $p; wait $p; exit 0"
        let killed = TestSupport.run(["/bin/sh", "-c", script, TestSupport.boxBinary, h.root, "\(reg.host)/test/demo:latest"])
        #expect(killed.status == 0)
        #expect(h.box("images", "-q").stdout == "", "a killed pull left an image")
        #expect(h.box("run", "--rm", "--pull=never", "\(reg.host)/test/demo:latest", "true").status == 125)
        // the next pull sweeps the dead pull's staging and completes
        let good = try faulty("none")
        defer { good.stop() }
        let (ok, _) = pull(h, "\(good.host)/test/demo:latest")
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(((try? Files.list(h.root + "/tmp")) ?? []).isEmpty)
        #expect(h.box("run", "--rm", "\(good.host)/test/demo:latest").stdout == "Hello from box! hello from box\n")
    }

    @Test func fullDisk() throws {
        let reg = try faulty("none")
        defer { reg.stop() }
        let dir = TestSupport.tempDir("box-full")
        defer { TestSupport.removeTree(dir) }
        // a store too small for the image's layers
        let m = TestSupport.run(["/bin/mount", "-t", "tmpfs", "-o", "size=1200k", "tmpfs", dir])
        try #require(m.status == 0, "mount tmpfs: \(m.stderr)")
        defer { _ = TestSupport.run(["/bin/umount", "-l", dir]) }
        let r = TestSupport.run([TestSupport.boxBinary, "--root", dir + "/root", "pull", "\(reg.host)/test/demo:latest"])
        #expect(r.status == 125)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("no space left on device"), "\(r.stderr)")
        let images = TestSupport.run([TestSupport.boxBinary, "--root", dir + "/root", "images", "-q"])
        #expect(images.stdout == "")
        #expect(((try? Files.list(dir + "/root/tmp")) ?? []).isEmpty, "staging left on a full disk")
    }
}
