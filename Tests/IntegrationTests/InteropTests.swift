import BoxCore
import BoxTestSupport
import Testing

private let podman = ["/usr/bin/podman"].first { Files.exists($0) }

/// Archives written by `podman save`, in each archive format it offers, load in box and run.
@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"),
       .enabled(if: podman != nil, "podman is not installed (apt-get install podman)"),
       .serialized)  // podman instances share /var/lib/containers/cache, whatever their --root
struct InteropTests {
    @Test(arguments: [["--format", "oci-archive"], ["--format", "docker-archive"], ["-m", "--format", "docker-archive"]])
    func podmanSaveLoadsAndRuns(format: [String]) throws {
        let dir = TestSupport.tempDir("box-pm")
        defer { TestSupport.removeTree(dir) }
        let p = [podman!, "--root", dir + "/root", "--runroot", dir + "/run", "--storage-driver", "overlay",
                 "--cgroup-manager", "cgroupfs", "--events-backend", "none"]
        defer { TestSupport.run(p + ["system", "reset", "-f"]) }
        let pload = TestSupport.run(p + ["load", "-i", TestSupport.fixture("box-demo.docker.tar")])
        #expect(pload.status == 0, "\(pload.stderr)")
        let images = format.contains("-m") ? ["box-demo:latest", "box-demo:entrypoint"] : ["box-demo:latest"]
        let save = TestSupport.run(p + ["save"] + format + ["-o", dir + "/out.tar"] + images)
        #expect(save.status == 0, "\(save.stderr)")
        let h = Harness(load: false)
        defer { h.cleanup() }
        let load = h.box("load", "-i", dir + "/out.tar")
        #expect(load.status == 0, "\(load.stderr)")
        #expect(load.stdout.contains("Loaded image: localhost/box-demo:latest"))
        #expect(h.box("run", "--rm", "localhost/box-demo").stdout == "Hello from box! hello from box\n")
    }
}

/// The fixture script gives the same bytes every time.
@Suite(.enabled(if: TestSupport.fixturesBuilt, "fixtures not built: run `make fixtures`"))
struct FixtureTests {
    @Test func imagesAreReproducible() throws {
        let a = TestSupport.tempDir("fx"), b = TestSupport.tempDir("fx")
        defer { TestSupport.removeTree(a); TestSupport.removeTree(b) }
        for d in [a, b] {
            #expect(TestSupport.run(["/usr/bin/python3", TestSupport.repoRoot + "/Fixtures/images/build.py", d]).status == 0)
        }
        for f in ["box-demo.oci.tar", "box-demo.docker.tar"] {
            let x = try Files.read(a + "/" + f), y = try Files.read(b + "/" + f)
            #expect(!x.isEmpty && x == y, "\(f) differs between two builds")
            #expect(x == (try Files.read(TestSupport.fixture(f))))
        }
    }
}
