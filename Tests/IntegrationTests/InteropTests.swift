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

extension InteropTests {
/// Images move between box, podman and skopeo through a real registry, in both directions, and run.
/// (Nested, so it is serialized with the other podman tests.)
@Suite(.enabled(if: TestRegistry.registryInstalled, "docker-registry is not installed (apt-get install docker-registry)"),
       .enabled(if: Files.exists("/usr/bin/skopeo"), "skopeo is not installed (apt-get install skopeo)"))
struct Registry {
    /// podman with private state; runs need no cgroups and the hard rlimits this host allows (docs/machine.md).
    struct Podman {
        let dir: String
        var base: [String] {
            [podman!, "--root", dir + "/root", "--runroot", dir + "/run", "--storage-driver", "overlay",
             "--cgroup-manager", "cgroupfs", "--events-backend", "none"]
        }

        @discardableResult
        func callAsFunction(_ args: String...) -> TestSupport.Result { TestSupport.run(base + args) }

        func run(_ image: String) -> TestSupport.Result {
            TestSupport.run(base + ["run", "--rm", "--network", "none", "--cgroups", "disabled",
                                    "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768", image])
        }
    }

    @Test func boxPushesPodmanAndSkopeoPull() throws {
        let dir = TestSupport.tempDir("box-pm")
        defer { TestSupport.removeTree(dir) }
        let reg = try #require(TestRegistry.start(mode: "plain", dir: dir + "/reg"), "\(TestRegistry.lastSkipReason ?? TestRegistry.lastFailure ?? "")")
        defer { reg.stop() }
        let pm = Podman(dir: dir)
        defer { pm("system", "reset", "-f") }
        let ref = "\(reg.host)/interop/from-box:1"
        let push = Harness.shared.box("push", "box-demo:latest", ref)
        #expect(push.status == 0, "\(push.stderr)")
        let pull = pm("pull", "-q", "--tls-verify=false", ref)
        #expect(pull.status == 0, "\(pull.stderr)")
        // the same image: podman's ID is the config digest, as box's is
        let boxID = Harness.shared.box("image", "inspect", "--format", "{{.Id}}", "box-demo:latest").stdout
        #expect(pull.stdout.trimmingCharacters == String(boxID.trimmingCharacters.dropFirst(7)))
        let run = pm.run(ref)
        #expect(run.stdout == "Hello from box! hello from box\n", "\(run.stderr)")
        // skopeo copies it out as an OCI archive, which box loads and runs
        let archive = dir + "/skopeo.tar"
        let copy = TestSupport.run(["/usr/bin/skopeo", "--insecure-policy", "copy", "-q", "--src-tls-verify=false",
                                    "docker://\(ref)", "oci-archive:\(archive):skopeo/demo:1"])
        #expect(copy.status == 0, "\(copy.stderr)")
        let h = Harness(load: false)
        defer { h.cleanup() }
        #expect(h.box("load", "-i", archive).status == 0)
        #expect(h.box("run", "--rm", "skopeo/demo:1").stdout == "Hello from box! hello from box\n")
    }

    @Test func podmanPushesBoxPulls() throws {
        let dir = TestSupport.tempDir("box-pm")
        defer { TestSupport.removeTree(dir) }
        let reg = try #require(TestRegistry.start(mode: "plain", dir: dir + "/reg"), "\(TestRegistry.lastSkipReason ?? TestRegistry.lastFailure ?? "")")
        defer { reg.stop() }
        let pm = Podman(dir: dir)
        defer { pm("system", "reset", "-f") }
        #expect(pm("load", "-i", TestSupport.fixture("box-demo.docker.tar")).status == 0)
        let ref = "\(reg.host)/interop/from-podman:1"
        // podman recompresses the layers itself: new blobs, same DiffIDs
        let push = pm("push", "--tls-verify=false", "box-demo:latest", ref)
        #expect(push.status == 0, "\(push.stderr)")
        let h = Harness(load: false)
        defer { h.cleanup() }
        let pull = h.box("pull", ref)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(h.box("run", "--rm", ref).stdout == "Hello from box! hello from box\n")
    }
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
