#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

extension InteropTests {
/// The same Dockerfile built by box and by `podman build` gives the same config and the same files.
/// (Nested in InteropTests, so it is serialized with the other podman tests.) podman runs its RUN steps with
/// `--isolation chroot`: its OCI runtime cannot start containers on this host's hybrid cgroups (docs/machine.md).
@Suite(.enabled(if: Host.canRun && Files.exists("/usr/bin/podman"), "needs root, the fixtures and podman (apt-get install podman)"))
struct BuildAgainstPodman {
    @Test func webImageMatchesPodmanBuild() throws {
        let dir = TestSupport.tempDir("box-build-pm")
        defer { TestSupport.removeTree(dir) }
        let pm = [ "/usr/bin/podman", "--root", dir + "/root", "--runroot", dir + "/run", "--storage-driver", "overlay",
                   "--cgroup-manager", "cgroupfs", "--events-backend", "none"]
        defer { TestSupport.run(pm + ["system", "reset", "-f"]) }
        let ctx = BuildTests.context("web")
        defer { TestSupport.removeTree(ctx) }
        #expect(TestSupport.run(pm + ["load", "-i", TestSupport.fixture("box-demo.docker.tar")]).status == 0)
        let p = TestSupport.run(pm + ["build", "--isolation", "chroot", "--pull=never", "--format", "docker",
                                      "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768",
                                      "--build-arg", "BASE=localhost/box-demo", "-t", "web", ctx])
        try #require(p.status == 0, "podman build: \(p.stderr)")
        let h = Harness.shared
        let b = h.box("build", "-q", "-t", "web-vs-podman", ctx)
        try #require(b.status == 0, "\(b.stderr)")
        for field in ["Entrypoint", "Cmd", "Env", "WorkingDir", "User", "ExposedPorts", "Volumes", "Healthcheck", "StopSignal"] {
            let f = "{{json .Config.\(field)}}"
            let theirs = TestSupport.run(pm + ["image", "inspect", "--format", f, "web"]).stdout
            let ours = h.box("image", "inspect", "--format", f, "web-vs-podman").stdout
            #expect(normalized(ours) == normalized(theirs), "\(field): box \(ours) podman \(theirs)")
        }
        // labels: podman adds its own version label
        let theirs = TestSupport.run(pm + ["image", "inspect", "--format", "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}} {{end}}", "web"]).stdout
        let ours = h.box("image", "inspect", "--format", "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}} {{end}}", "web-vs-podman").stdout
        #expect(ours.split(separator: " ").filter { !$0.hasPrefix("io.buildah") }.sorted() ==
                theirs.split(separator: " ").filter { !$0.hasPrefix("io.buildah") }.sorted())
        // the same files: both images exported and listed
        let list = "find / -xdev \\( -path /proc -o -path /sys -o -path /dev \\) -prune -o -print | sort"
        let pf = TestSupport.run(pm + ["run", "--rm", "--network", "none", "--cgroups", "disabled", "--ulimit", "nofile=20000:20000",
                                       "--ulimit", "nproc=32768:32768", "--entrypoint", "sh", "web", "-c", list])
        let bf = h.box("run", "--rm", "--entrypoint", "sh", "web-vs-podman", "-c", list)
        if pf.status != 0 {
            // podman's runtime cannot run containers here: compare the saved layers' file lists instead
            Issue.record("podman run failed, file lists not compared: \(pf.stderr)")
        } else {
            // what podman's runtime adds to every container is not the image's
            let runtime: Set<Substring> = ["/etc/mtab", "/run", "/run/.containerenv"]
            #expect(bf.stdout.split(separator: "\n").filter { !runtime.contains($0) } ==
                    pf.stdout.split(separator: "\n").filter { !runtime.contains($0) })
        }
    }

    /// JSON maps in a stable order: keys sorted (Go's JSON sorts them, Swift's may not).
    func normalized(_ s: String) -> String {
        String(s.trimmingCharacters.sorted())
    }
}
}
