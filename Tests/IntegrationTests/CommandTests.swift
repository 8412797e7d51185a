import BoxCore
import BoxTestSupport
import Testing

@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct CommandTests {
    let h = Harness.shared

    @Test func psShowsDockerColumnsAndFormats() {
        let name = "ps-\(UInt32.random(in: 0...UInt32.max))"
        defer { h.box("rm", "-f", name) }
        #expect(h.box("run", "--name", name, "--label", "tier=test", "box-demo", "sh", "-c", "exit 4").status == 4)
        let table = h.box("ps", "-a")
        let header = table.stdout.split(separator: "\n").first ?? ""
        #expect(header.hasPrefix("CONTAINER ID   IMAGE"))
        for col in ["COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"] { #expect(header.contains(col)) }
        #expect(table.stdout.contains(name))
        #expect(!h.box("ps").stdout.contains(name))
        let f = h.box("ps", "-a", "--filter-not-supported")
        #expect(f.status == 125)
        let fmt = h.box("ps", "-a", "--format", "{{.Names}} {{.Status}} {{.Labels}}").stdout
        #expect(fmt.split(separator: "\n").contains { $0.hasPrefix("\(name) Exited (4) ") && $0.hasSuffix("tier=test") })
        let json = h.box("ps", "-a", "--format", "json").stdout
        #expect(json.contains("\"Names\":\"\(name)\""))
    }

    @Test func inspectHasDockersShape() {
        let name = "insp-\(UInt32.random(in: 0...UInt32.max))"
        defer { h.box("rm", "-f", name) }
        h.box("run", "--name", name, "-e", "X=1", "-v", "/tmp:/data:ro", "box-demo", "sh", "-c", "exit 2")
        #expect(h.box("inspect", "-f", "{{json .HostConfig.Binds}} {{range .Mounts}}{{.Destination}} {{.RW}}{{end}}", name).stdout
            == "[\"/tmp:/data:ro\"] /data false\n")
        #expect(h.box("ps", "-a", "--format", "{{.Names}} {{.Mounts}}").stdout.contains("\(name) /tmp\n"))
        #expect(h.box("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.Name}} {{.Config.WorkingDir}}", name).stdout
            == "exited 2 /\(name) /srv\n")
        let json = h.box("inspect", name).stdout
        for key in ["\"Id\"", "\"State\"", "\"StartedAt\"", "\"FinishedAt\"", "\"Config\"", "\"HostConfig\"", "\"Mounts\"", "\"GraphDriver\""] {
            #expect(json.contains(key), "\(key) missing")
        }
        #expect(h.box("inspect", "-f", "{{json .Config.Env}}", name).stdout.contains("\"X=1\""))
        let img = h.box("image", "inspect", "-f", "{{.Id}} {{index .RepoTags 0}} {{len .RootFS.Layers}} {{.Config.WorkingDir}}", "box-demo")
        #expect(img.stdout.hasSuffix(" box-demo:latest 2 /srv\n"))
    }

    @Test func infoAndVersionFormats() {
        #expect(h.box("info", "--format", "{{.Store.GraphRoot}}").stdout == h.root + "\n")
        #expect(h.box("info", "--format", "{{.Store.GraphDriverName}}").stdout == "overlay\n")
        #expect(h.box("info", "--format", "{{.Host.OCIRuntime.Name}}").stdout == "box\n")
        let v = h.box("version")
        #expect(v.status == 0 && v.stdout.hasPrefix("Version:"))
        #expect(h.box("version", "--format", "{{.Client.Version}}").stdout.split(separator: ".").count == 3)
    }

    @Test func imagesListsAndFormats() {
        let r = h.box("images")
        // other tests add images to the shared root meanwhile, which widens the columns: compare fields
        let rows = r.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.first?.prefix(4) == ["REPOSITORY", "TAG", "IMAGE", "ID"])
        #expect(rows.contains { $0.prefix(2) == ["box-demo", "latest"] })
        #expect(r.stdout.contains("   TAG ") && r.stdout.contains("   IMAGE ID   "))
        #expect(h.box("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.contains("box-demo:entrypoint\n"))
        #expect(h.box("images", "-q").stdout.split(separator: "\n").allSatisfy { $0.count == 12 })
        // Docker's other spellings
        #expect(h.box("image", "ls").stdout == r.stdout)
        #expect(h.box("container", "ls", "-a", "--format", "{{.ID}}").status == 0)
        #expect(h.box("image", "rm", "no-such-image").status == 125)
    }

    @Test func cidfileHoldsTheID() throws {
        let dir = TestSupport.tempDir()
        defer { TestSupport.removeTree(dir) }
        let name = "cid-\(UInt32.random(in: 0...UInt32.max))"
        defer { h.box("rm", "-f", name) }
        #expect(h.box("run", "--name", name, "--cidfile", dir + "/cid", "box-demo", "true").status == 0)
        let id = String(decoding: try Files.read(dir + "/cid"), as: UTF8.self)
        #expect(h.box("inspect", "-f", "{{.Id}}", name).stdout == id + "\n")
    }
}

@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct BadInputTests {
    /// Each bad command: one line on stderr, exit 125, and the store as it was.
    @Test(arguments: [
        ["run", "--rm", "no-such-image"],
        ["run", "--rm", "Bad:Ref:x"],
        ["run", "--rm", "--no-such-flag", "box-demo"],
        ["run", "--rm", "-v", "bad/name:/x", "box-demo"],
        ["run", "--rm", "-w", "relative", "box-demo"],
        ["run", "--rm", "--network", "nosuchnet", "box-demo"],
        ["run", "--rm", "--cap-add", "NOT_A_CAP", "box-demo"],
        ["run", "--rm", "--name", "a/b", "box-demo"],
        ["run"],
        ["rmi", "no-such-image"],
        ["rm", "no-such-container"],
        ["tag", "no-such-image", "x:1"],
        ["inspect", "no-such-thing"],
        ["load", "-i", "/no/such/file.tar"],
        ["ps", "--format", "{{.Nope"],
        ["no-such-command"],
    ])
    func failsCleanly(args: [String]) throws {
        let h = Harness()
        defer { h.cleanup() }
        let before = TestSupport.run(["/usr/bin/find", h.root]).stdout
        let r = h.box(args)
        #expect(r.status == 125, "\(args): \(r.status) \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
        #expect(r.stderr.hasPrefix("Error: "))
        #expect(TestSupport.run(["/usr/bin/find", h.root]).stdout == before)
    }

    @Test(arguments: ["not-a-tar.tar", "truncated.oci.tar", "corrupt-digest.oci.tar", "bad-manifest.oci.tar", "dotdot.oci.tar"])
    func badArchivesFailCleanly(file: String) {
        let h = Harness()
        defer { h.cleanup() }
        let before = TestSupport.run(["/usr/bin/find", h.root]).stdout
        let r = h.box("load", "-i", TestSupport.fixture("hostile/" + file))
        #expect(r.status == 125)
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(TestSupport.run(["/usr/bin/find", h.root]).stdout == before)
    }

    @Test func nameInUse() {
        let h = Harness()
        defer { h.cleanup() }
        h.box("run", "--name", "taken", "box-demo", "true")
        let r = h.box("run", "--name", "taken", "box-demo", "true")
        #expect(r.status == 125)
        #expect(r.stderr.contains("is already in use"))
        #expect(h.box("ps", "-aq").stdout.split(separator: "\n").count == 1)
    }

    @Test func loadFromStdin() {
        let h = Harness(load: false)
        defer { h.cleanup() }
        let r = TestSupport.run(["/bin/sh", "-c", "'\(TestSupport.boxBinary)' --root '\(h.root)' load < '\(TestSupport.fixture("box-demo.docker.tar"))'"])
        #expect(r.status == 0)
        #expect(r.stdout == "Loaded image: box-demo:latest\nLoaded image: box-demo:entrypoint\n")
    }
}
