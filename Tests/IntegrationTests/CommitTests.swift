#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

/// `box commit` and `box diff` against real containers.
@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct CommitTests {
    let bin = TestSupport.boxBinary

    /// A fresh name for a container or an image.
    func name(_ tag: String) -> String { "\(tag)-\(UInt32.random(in: 0...UInt32.max))" }

    /// The lines of a command's output.
    func lines(_ r: TestSupport.Result) -> [String] { r.stdout.split(separator: "\n").map(String.init) }

    /// Every path under a directory, sorted: the state of a store, to compare before and after.
    func tree(_ dir: String) -> [String] {
        TestSupport.run(["/usr/bin/find", dir]).stdout.split(separator: "\n").map(String.init).sorted()
    }

    /// The entries of the top layer blob of an image, read from the store's files.
    func newLayerEntries(_ h: Harness, _ ref: String) throws -> [String] {
        struct Index: Decodable {
            struct Image: Decodable { var manifest: String; var names: [String] }
            var images: [Image]
        }
        struct Manifest: Decodable {
            struct Layer: Decodable { var digest: String }
            var layers: [Layer]
        }
        let index = try JSON.read(Index.self, from: h.root + "/images.json")
        let image = try #require(index.images.first { $0.names.contains("docker.io/library/" + ref) })
        let manifest = try JSON.read(Manifest.self, from: "\(h.root)/blobs/sha256/\(image.manifest.dropFirst(7))")
        let blob = "\(h.root)/blobs/sha256/\(try #require(manifest.layers.last).digest.dropFirst(7))"
        return lines(TestSupport.run(["/bin/tar", "tzf", blob])).map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    /// The classic exercise: a user appends a line to a file of the image and exits; the commit keeps it.
    @Test func aCommittedChangeIsInTheNewImage() throws {
        let h = Harness.shared
        let c = name("classic"), ref = name("classic") + ":v1"
        defer { h.box("rm", "-f", c); h.box("rmi", "-f", ref) }
        #expect(h.box("run", "--name", c, "box-demo", "sh", "-c", "echo 'a new line' >> /opt/data/c.txt").status == 0)
        let r = h.box("commit", c, ref)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("sha256:") && r.stdout.count == 72 && r.stderr.isEmpty)
        #expect(h.box("run", "--rm", ref, "cat", "/opt/data/c.txt").stdout == "c\na new line\n")
        #expect(h.box("image", "inspect", "-f", "{{.Id}}", ref).stdout == r.stdout)
        // the image the container came from is unchanged
        #expect(h.box("run", "--rm", "box-demo", "cat", "/opt/data/c.txt").stdout == "c\n")
    }

    /// A deleted file becomes a whiteout, a directory removed and made again an opaque directory.
    @Test func deletionsAreWhiteoutsAndAReplacedDirectoryIsOpaque() throws {
        let h = Harness.shared
        let c = name("delete"), ref = name("deleted") + ":v1"
        defer { h.box("rm", "-f", c); h.box("rmi", "-f", ref) }
        let script = "rm /usr/local/bin/greet && rm -rf /opt/data && mkdir /opt/data && echo n > /opt/data/n"
        #expect(h.box("run", "--name", c, "box-demo", "sh", "-c", script).status == 0)
        #expect(h.box("commit", c, ref).status == 0)
        #expect(h.box("run", "--rm", ref, "sh", "-c", "test -e /usr/local/bin/greet || echo gone; ls /opt/data").stdout == "gone\nn\n")
        // the layer blob has OCI whiteouts; its unpacked directory in the store has the overlay whiteout device
        let entries = try newLayerEntries(h, ref)
        #expect(entries.contains("usr/local/bin/.wh.greet") && entries.contains("opt/data/.wh..wh..opq") && entries.contains("opt/data/n"), "\(entries)")
        #expect(!entries.contains { $0.hasPrefix("etc") || $0.hasPrefix("proc") || $0.hasPrefix("dev") }, "\(entries)")
        let diffID = lines(h.box("image", "inspect", "-f", "{{range .RootFS.Layers}}{{println .}}{{end}}", ref)).last ?? ""
        let layer = "\(h.root)/layers/\(diffID.dropFirst("sha256:".count))"
        #expect(TestSupport.run(["/usr/bin/stat", "-c", "%F %t:%T", layer + "/usr/local/bin/greet"]).stdout == "character special file 0:0\n")
    }

    /// `-c`, `-m` and `-a` show in the config and the history.
    @Test func changesMessageAndAuthor() throws {
        let h = Harness.shared
        let c = name("meta"), ref = name("meta") + ":v1"
        defer { h.box("rm", "-f", c); h.box("rmi", "-f", ref) }
        #expect(h.box("run", "--name", c, "-e", "FROM_RUN=yes", "box-demo", "sh", "-c", "echo x > /x").status == 0)
        let r = h.box("commit", "-c", "CMD [\"echo\",\"hi\"]", "-c", "ENV A=1", "-m", "my message", "-a", "Ann <ann@example.com>", c, ref)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(h.box("run", "--rm", ref).stdout == "hi\n")
        #expect(h.box("run", "--rm", ref, "sh", "-c", "echo $A $FROM_RUN $GREETING").stdout == "1 yes hello from box\n")
        #expect(h.box("image", "inspect", "-f", "{{.Author}}|{{.Comment}}", ref).stdout == "Ann <ann@example.com>|my message\n")
        #expect(h.box("image", "inspect", "-f", "{{json .Config.Cmd}}", ref).stdout == "[\"echo\",\"hi\"]\n")
        // the container's own settings are kept: the image's WorkingDir and labels, the run's env
        #expect(h.box("image", "inspect", "-f", "{{.Config.WorkingDir}} {{index .Config.Labels \"com.example.fixture\"}}", ref).stdout == "/srv yes\n")
        let env = h.box("image", "inspect", "-f", "{{json .Config.Env}}", ref).stdout
        #expect(env.contains("\"FROM_RUN=yes\"") && env.contains("\"A=1\"") && !env.contains("HOSTNAME="), "\(env)")
        let history = lines(h.box("history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Comment}}", ref))
        #expect(history.first == "sh -c echo x > /x|my message")
        #expect(history.count == lines(h.box("history", "-q", "box-demo")).count + 1)
        // box container commit is the same command; a second commit of the same container makes the same layer
        #expect(h.box("container", "commit", c, ref).status == 0)
    }

    /// The new image stacks one layer on the old one's: the same DiffIDs and directories, nothing copied.
    @Test func lowerLayersAreShared() throws {
        let h = Harness()
        defer { h.cleanup() }
        let baseLayers = lines(h.box("image", "inspect", "-f", "{{range .RootFS.Layers}}{{println .}}{{end}}", "box-demo"))
        let dirs = try Files.list(h.root + "/layers").sorted()
        let inode = TestSupport.run(["/usr/bin/stat", "-c", "%i", "\(h.root)/layers/\(baseLayers[0].dropFirst(7))/bin/busybox"]).stdout
        #expect(h.box("run", "--name", "c1", "box-demo", "sh", "-c", "echo 1 > /one").status == 0)
        #expect(h.box("commit", "c1", "shared:v1").status == 0)
        let newLayers = lines(h.box("image", "inspect", "-f", "{{range .RootFS.Layers}}{{println .}}{{end}}", "shared:v1"))
        #expect(Array(newLayers.dropLast()) == baseLayers && newLayers.count == baseLayers.count + 1)
        let after = try Files.list(h.root + "/layers").sorted()
        #expect(after.count == dirs.count + 1 && Set(dirs).isSubset(of: Set(after)))
        #expect(TestSupport.run(["/usr/bin/stat", "-c", "%i", "\(h.root)/layers/\(baseLayers[0].dropFirst(7))/bin/busybox"]).stdout == inode)
        // an unchanged container adds a history step and no layer; without a name the image is dangling
        #expect(h.box("run", "--name", "c2", "box-demo", "true").status == 0)
        #expect(h.box("diff", "c2").stdout.isEmpty)
        let id = h.box("commit", "c2").stdout.trimmingSuffix("\n")
        #expect(lines(h.box("image", "inspect", "-f", "{{range .RootFS.Layers}}{{println .}}{{end}}", id)) == baseLayers)
        #expect(h.box("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}").stdout.contains("<none>:<none> \(id.dropFirst(7).prefix(12))"))
        #expect(try Files.list(h.root + "/layers").count == after.count)
    }

    /// Commits `container` while polling its status; returns the statuses seen and the commit's exit status.
    func commitWatching(_ h: Harness, _ flags: [String], _ container: String, _ ref: String) -> ([String], Int32) {
        let box = "'\(bin)' --root '\(h.root)'"
        let script = """
        \(box) commit \(flags.joined(separator: " ")) \(container) \(ref) >/dev/null 2>&1 & pid=$!
        while kill -0 $pid 2>/dev/null; do \(box) inspect -f '{{.State.Status}}' \(container); sleep 0.02; done
        wait $pid; echo "exit=$?"
        """
        let out = lines(TestSupport.run(["/bin/sh", "-c", script]))
        let code = out.last.flatMap { $0.hasPrefix("exit=") ? Int32($0.dropFirst(5)) : nil } ?? -1
        return (Array(out.dropLast()), code)
    }

    /// A running container is frozen while its layer is read and thawed after; `--pause=false` leaves it running.
    @Test func aRunningContainerIsPausedDuringTheCommit() throws {
        let h = Harness.shared
        let c = name("live"), ref = name("live") + ":v1", ref2 = name("live") + ":v2"
        defer { h.box("rm", "-f", c); h.box("rmi", "-f", ref); h.box("rmi", "-f", ref2) }
        let script = "dd if=/dev/urandom of=/big bs=1M count=24 2>/dev/null; touch /ready; while :; do echo . >> /log; sleep 0.05; done"
        #expect(h.box("run", "-d", "--name", c, "box-demo", "sh", "-c", script).status == 0)
        #expect(TestSupport.run(["/bin/sh", "-c", "for i in $(seq 200); do '\(bin)' --root '\(h.root)' exec \(c) test -e /ready && exit 0; sleep 0.05; done; exit 1"]).status == 0)
        let (seen, code) = commitWatching(h, [], c, ref)
        #expect(code == 0)
        #expect(seen.contains("paused"), "\(seen)")
        #expect(h.box("inspect", "-f", "{{.State.Status}}", c).stdout == "running\n")
        // thawed: the loop goes on
        let before = h.box("exec", c, "wc", "-l", "/log").stdout
        usleep(300_000)
        #expect(h.box("exec", c, "wc", "-l", "/log").stdout != before)
        #expect(h.box("run", "--rm", ref, "sh", "-c", "wc -c < /big").stdout == "25165824\n")
        let (unpaused, code2) = commitWatching(h, ["--pause=false"], c, ref2)
        #expect(code2 == 0 && !unpaused.isEmpty && !unpaused.contains("paused"), "\(unpaused)")
        // a container the user paused stays paused
        #expect(h.box("pause", c).status == 0)
        #expect(h.box("commit", c, ref2).status == 0)
        #expect(h.box("inspect", "-f", "{{.State.Status}}", c).stdout == "paused\n")
        #expect(h.box("unpause", c).status == 0)
    }

    /// `box diff`: what a container added, changed and deleted, in path order, without the mount points box made.
    @Test func diffListsAddedChangedAndDeleted() throws {
        let h = Harness.shared
        let c = name("diff"), idle = name("idle")
        defer { h.box("rm", "-f", c); h.box("rm", "-f", idle) }
        let script = "echo x >> /opt/data/c.txt; rm /usr/local/bin/greet; mkdir /new; echo y > /new/f"
        #expect(h.box("run", "--name", c, "box-demo", "sh", "-c", script).status == 0)
        let out = lines(h.box("diff", c))
        #expect(out == ["A /new", "A /new/f", "C /opt/data/c.txt", "C /usr/local/bin", "D /usr/local/bin/greet"], "\(out)")
        #expect(h.box("container", "diff", c).stdout == h.box("diff", c).stdout)
        let json = h.box("diff", "--format", "json", c).stdout
        #expect(json.contains("\"added\": [\n        \"/new\",\n        \"/new/f\"\n    ]"), "\(json)")
        #expect(json.contains("\"deleted\": [\n        \"/usr/local/bin/greet\"\n    ]"))
        // a running container, with nothing changed but its mounts
        #expect(h.box("run", "-d", "--name", idle, "box-demo", "sleep", "30").status == 0)
        let running = h.box("diff", idle)
        #expect(running.status == 0 && running.stdout.isEmpty, "\(running.stdout)")
        #expect(h.box("exec", idle, "touch", "/tmp/t").status == 0)
        #expect(lines(h.box("diff", idle)) == ["C /tmp", "A /tmp/t"])
    }

    @Test func errorsAreDockers() throws {
        // a root of its own: no other test adds images to it meanwhile
        let h = Harness()
        let c = name("errs")
        defer { h.cleanup() }
        #expect(h.box("run", "--name", c, "box-demo", "true").status == 0)
        let images = h.box("images", "-aq").stdout
        for (args, message) in [
            (["commit", "no-such-container"], "Error: no such container: no-such-container\n"),
            (["commit", c, "Bad:Ref"], nil),
            (["commit", c, "a@sha256:" + String(repeating: "a", count: 64)], "Error: refusing to create a tag with a digest reference\n"),
            (["commit", "-c", "RUN echo hi", c], "Error: run is not a valid change command\n"),
            (["commit", "--format", "v2s1", c], "Error: unrecognized image type \"v2s1\"\n"),
            (["commit"], "Error: \"box commit\" requires at least 1 and at most 2 arguments\n"),
            (["diff", "no-such-container"], "Error: no such container: no-such-container\n"),
            (["diff"], "Error: \"box diff\" requires exactly 1 argument\n"),
        ] as [([String], String?)] {
            let r = h.box(args)
            #expect(r.status == 125 && r.stdout.isEmpty, "\(args)")
            if let message { #expect(r.stderr == message) } else {
                #expect(r.stderr.hasPrefix("Error: invalid reference format") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            }
        }
        #expect(h.box("images", "-aq").stdout == images)
    }

    /// A commit that runs out of space leaves no blob, layer, record or temp file, and the container as it was.
    @Test func aFullDiskLeavesNothingBehind() throws {
        let dir = TestSupport.tempDir("box-full")
        defer { TestSupport.run(["/bin/umount", dir]); TestSupport.removeTree(dir) }
        try #require(TestSupport.run(["/bin/mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", dir]).status == 0)
        let root = dir + "/root"
        func box(_ args: String...) -> TestSupport.Result { TestSupport.run([bin, "--root", root] + args) }
        #expect(box("load", "-i", TestSupport.fixture("box-demo.oci.tar")).status == 0)
        // 12 MB of random data fits; its layer (a blob and an unpacked copy) does not
        #expect(box("run", "--name", "big", "box-demo", "sh", "-c", "dd if=/dev/urandom of=/big bs=1M count=12 2>/dev/null").status == 0)
        let before = tree(root)
        let r = box("commit", "big", "big:v1")
        #expect(r.status == 125 && r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("Error: ") && r.stderr.hasSuffix("no space left on device\n") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(tree(root) == before)
        #expect(box("images", "-q").stdout.split(separator: "\n").count == 2)
        #expect(box("inspect", "-f", "{{.State.Status}}", "big").stdout == "exited\n")
        _ = box("rm", "-f", "big")
    }

    /// A committed image saves, loads into a fresh root and runs there.
    @Test func aCommittedImageSavesAndLoads() throws {
        let a = Harness.shared, b = Harness(load: false)
        let c = name("saved"), ref = name("saved") + ":v1"
        defer { a.box("rm", "-f", c); a.box("rmi", "-f", ref); b.cleanup() }
        let dir = TestSupport.tempDir("box-commit-save")
        defer { TestSupport.removeTree(dir) }
        #expect(a.box("run", "--name", c, "box-demo", "sh", "-c", "echo saved > /opt/data/c.txt && rm /etc/group").status == 0)
        #expect(a.box("commit", "--format", "docker", "-c", "CMD cat /opt/data/c.txt", c, ref).status == 0)
        #expect(a.box("save", "-o", dir + "/img.tar", ref).status == 0)
        #expect(b.box("load", "-i", dir + "/img.tar").status == 0)
        #expect(b.box("run", "--rm", ref).stdout == "saved\n")
        #expect(b.box("run", "--rm", ref, "sh", "-c", "test -e /etc/group || echo gone").stdout == "gone\n")
        #expect(b.box("image", "inspect", "-f", "{{.Id}}", ref).stdout == a.box("image", "inspect", "-f", "{{.Id}}", ref).stdout)
    }
}
