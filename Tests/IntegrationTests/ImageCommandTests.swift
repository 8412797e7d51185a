import BoxCore
import BoxTestSupport
import Testing

/// `images`, `history`, `image prune`, `image exists`, `image inspect` and `rmi`, each on a root of its own
/// (these tests tag, untag and prune, which would disturb tests sharing a root).
@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct ImageCommandTests {
    /// A root with box-demo (2024) and, when asked, `old:1` (2020) and `new:1` (2025): one 10240-byte layer each,
    /// a label `made=test`, and two empty history steps after the layer's.
    static func root(extra: Bool = false) -> Harness {
        let h = Harness()
        if extra {
            let dir = TestSupport.tempDir()
            defer { TestSupport.removeTree(dir) }
            for (name, created) in [("old:1", "2020-01-01T00:00:00Z"), ("new:1", "2025-01-01T00:00:00Z")] {
                let out = dir + "/image.tar"
                let made = TestSupport.run(["/usr/bin/python3", "-c", makeImage, TestSupport.repoRoot + "/Fixtures/lib", name, created, out])
                #expect(made.status == 0, "\(made.stderr)")
                #expect(h.box("load", "-i", out).stdout == "Loaded image: \(name)\n")
            }
        }
        return h
    }

    static let makeImage = """
        import sys
        sys.path.insert(0, sys.argv[1])
        import ocifixture as o
        name, created, out = sys.argv[2:5]
        o.CREATED = created
        layer = o.Layer(o.make_tar([o.File("hello.txt", name + "\\n")]), created_by="/bin/sh -c echo " + name)
        cfg = o.image_config([layer], {"Cmd": ["/hello"], "Labels": {"made": "test"}})
        cfg["history"] += [{"created": created, "created_by": "/bin/sh -c #(nop)  ENV A=1", "empty_layer": True},
                           {"created": created, "created_by": "/bin/sh -c #(nop)  CMD [\\"/hello\\"]", "empty_layer": True,
                            "comment": "last step"}]
        o.write_file(out, o.oci_archive([o.Image(name, [layer], None, config_bytes=o.canonical_json(cfg))]))
        """

    static func lines(_ s: String) -> [String] { s.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }

    /// A table's cells, split at runs of two or more spaces.
    static func cells(_ line: String) -> [String] {
        line.split(separator: "  ").map { String($0.drop { $0 == " " }) }.filter { !$0.isEmpty }
    }

    // MARK: images

    @Test func imagesShowsDockersColumns() {
        let h = Self.root()
        defer { h.cleanup() }
        let out = Self.lines(h.box("images").stdout)
        #expect(out.count == 3)
        #expect(Self.cells(out[0]) == ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"])
        // same creation time: the later loaded first
        #expect(Self.cells(out[1]).prefix(2) == ["box-demo", "entrypoint"])
        #expect(Self.cells(out[2]).prefix(2) == ["box-demo", "latest"])
        #expect(Self.cells(out[2])[2].count == 12)
        #expect(out[2].hasSuffix(" ago   2.15MB"))
        // the same under Docker's other names
        #expect(h.box("image", "ls").stdout == h.box("images").stdout)
        #expect(h.box("image", "list").stdout == h.box("images").stdout)

        let digests = Self.lines(h.box("images", "--digests").stdout)
        #expect(Self.cells(digests[0]) == ["REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"])
        #expect(Self.cells(digests[1])[2] == "<none>")

        let full = Self.lines(h.box("images", "--no-trunc").stdout)
        #expect(Self.cells(full[1])[2].hasPrefix("sha256:") && Self.cells(full[1])[2].count == 71)
    }

    @Test func imagesQuietAndFormats() {
        let h = Self.root()
        defer { h.cleanup() }
        let ids = Self.lines(h.box("images", "-q").stdout)
        #expect(ids.count == 2 && ids.allSatisfy { $0.count == 12 })
        #expect(Self.lines(h.box("images", "-q", "--no-trunc").stdout).allSatisfy { $0.hasPrefix("sha256:") && $0.count == 71 })
        #expect(h.box("images", "-aq").stdout == h.box("images", "-q").stdout)
        #expect(h.box("images", "--format", "{{.Repository}}:{{.Tag}}").stdout == "box-demo:entrypoint\nbox-demo:latest\n")
        // a template wins over -q, as in Docker
        #expect(h.box("images", "-q", "--format", "{{.Tag}}").stdout == "entrypoint\nlatest\n")
        let table = Self.lines(h.box("images", "--format", "table {{.Tag}}\t{{.Size}}").stdout)
        #expect(table.map(Self.cells) == [["TAG", "SIZE"], ["entrypoint", "2.15MB"], ["latest", "2.15MB"]])
        // --digests adds its column to a table that lacks it
        #expect(Self.cells(Self.lines(h.box("images", "--digests", "--format", "table {{.Tag}}").stdout)[0]) == ["TAG", "DIGEST"])
        let json = Self.lines(h.box("images", "--format", "json").stdout)
        #expect(json.count == 2)
        #expect(json[1].hasPrefix("{\"Containers\":\"N/A\",\"CreatedAt\":\"2024-01-01 00:00:00 +0000 UTC\",\"CreatedSince\":"))
        #expect(json[1].contains("\"Digest\":\"<none>\",\"ID\":\"") && json[1].contains("\"Repository\":\"box-demo\""))
        #expect(json[1].hasSuffix("\"SharedSize\":\"N/A\",\"Size\":\"2.15MB\",\"Tag\":\"latest\",\"UniqueSize\":\"N/A\",\"VirtualSize\":\"2.15MB\"}"))
        #expect(h.box("images", "--format", "{{.Nope").status == 125)
    }

    @Test func imagesReferenceFilter() {
        let h = Self.root(extra: true)
        defer { h.cleanup() }
        func tags(_ args: String...) -> String { h.box(["images", "--format", "{{.Repository}}:{{.Tag}}"] + args).stdout }
        #expect(tags("box-demo") == "box-demo:entrypoint\nbox-demo:latest\n")
        #expect(tags("box-demo:latest") == "box-demo:latest\n")
        #expect(tags("docker.io/library/box-demo") == "box-demo:entrypoint\nbox-demo:latest\n")
        #expect(tags("--filter", "reference=box-*") == "box-demo:entrypoint\nbox-demo:latest\n")
        #expect(tags("--filter", "reference=box-demo:e*") == "box-demo:entrypoint\n")
        #expect(tags("-f", "reference=*:1") == "new:1\nold:1\n")
        #expect(tags("-f", "reference=old", "-f", "reference=new") == "new:1\nold:1\n")
        #expect(tags("-f", "reference=*/demo") == "")
        #expect(tags("nothing-like-it") == "")
        // one image with a name in two repositories: only the matching name is shown
        h.box("tag", "old:1", "lab/old:2")
        #expect(tags("-f", "reference=*/old") == "lab/old:2\n")
        #expect(tags("-f", "reference=old") == "old:1\n")
    }

    @Test func imagesOtherFilters() {
        let h = Self.root(extra: true)
        defer { h.cleanup() }
        func tags(_ args: String...) -> String { h.box(["images", "--format", "{{.Repository}}:{{.Tag}}"] + args).stdout }
        #expect(tags() == "new:1\nbox-demo:entrypoint\nbox-demo:latest\nold:1\n")
        #expect(tags("-f", "label=made") == "new:1\nold:1\n")
        #expect(tags("-f", "label=made=test", "-f", "label=com.example.fixture") == "")
        #expect(tags("-f", "label=com.example.fixture=yes") == "box-demo:entrypoint\nbox-demo:latest\n")
        #expect(tags("-f", "label=com.example.fixture=no") == "")
        #expect(tags("-f", "before=box-demo:latest") == "old:1\n")
        #expect(tags("-f", "since=box-demo:latest") == "new:1\n")
        #expect(tags("-f", "since=old:1", "-f", "before=new:1") == "box-demo:entrypoint\nbox-demo:latest\n")
        #expect(tags("-f", "until=2024-06-01") == "box-demo:entrypoint\nbox-demo:latest\nold:1\n")
        #expect(tags("-f", "until=2021-01-01T00:00:00Z") == "old:1\n")
        #expect(tags("-f", "dangling=true") == "")
        // moving a tag leaves its image without names: dangling, shown as <none>
        h.box("tag", "new:1", "old:1")
        #expect(tags("-f", "dangling=true") == "<none>:<none>\n")
        #expect(tags("-f", "dangling=false") == "new:1\nold:1\nbox-demo:entrypoint\nbox-demo:latest\n")
        #expect(Self.lines(h.box("images").stdout).last.map(Self.cells)?.prefix(2) == ["<none>", "<none>"])
    }

    @Test(arguments: [["-f", "bogus=1"], ["-f", "novalue"], ["-f", "dangling=maybe"], ["-f", "reference=["], ["-f", "before=no-such"],
                      ["-f", "until=someday"], ["-f", "label!=x"], ["a", "b"]])
    func imagesBadFilters(args: [String]) {
        let r = Harness.shared.box(["images"] + args)
        #expect(r.status == 125)
        #expect(r.stdout == "")
        #expect(r.stderr.hasPrefix("Error: ") && Self.lines(r.stderr).count == 1, "\(r.stderr)")
    }

    // MARK: history

    @Test func historyShowsNewestFirst() {
        let h = Self.root(extra: true)
        defer { h.cleanup() }
        let id = h.box("images", "-q", "box-demo:latest").stdout.split(separator: "\n").first.map(String.init) ?? "?"
        let out = Self.lines(h.box("history", "box-demo").stdout)
        #expect(out.count == 3)
        #expect(Self.cells(out[0]) == ["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"])
        let top = Self.cells(out[1])
        #expect(top[0] == id)
        #expect(top[2] == "/bin/sh -c rm /etc/obsolete.txt && rm -rf /o…" && top[2].count == 45)
        #expect(top[3] == "10.2kB" && top[4] == "box fixture layer 2: whiteout, opaque dir, greet")
        #expect(Self.cells(out[2])[0] == "<missing>" && Self.cells(out[2])[3] == "2.14MB")
        #expect(h.box("image", "history", "box-demo").stdout == h.box("history", "box-demo").stdout)

        // empty_layer steps take no layer's size
        let steps = Self.lines(h.box("history", "--format", "{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}", "new:1").stdout)
        #expect(steps.count == 3)
        #expect(steps[0].hasSuffix("|/bin/sh -c #(nop)  CMD [\"/hello\"]|0B|last step"))
        #expect(steps[1] == "<missing>|/bin/sh -c #(nop)  ENV A=1|0B|")
        #expect(steps[2] == "<missing>|/bin/sh -c echo new:1|10.2kB|")
    }

    @Test func historyFlags() {
        let h = Self.root()
        defer { h.cleanup() }
        let ids = Self.lines(h.box("history", "-q", "box-demo").stdout)
        #expect(ids.count == 2 && ids[0].count == 12 && ids[1] == "<missing>")
        #expect(Self.lines(h.box("history", "-q", "--no-trunc", "box-demo").stdout)[0].hasPrefix("sha256:"))
        let full = Self.lines(h.box("history", "--no-trunc", "box-demo").stdout)
        #expect(full[1].contains("install -m 0755 greet /usr/local/bin/greet"))
        for flag in ["--human=false", "-H=false"] {
            let raw = Self.lines(h.box("history", flag, "box-demo").stdout)
            #expect(Self.cells(raw[0]) == ["IMAGE", "CREATED AT", "CREATED BY", "SIZE", "COMMENT"], "\(flag)")
            #expect(Self.cells(raw[1])[1] == "2024-01-01T00:00:00Z" && Self.cells(raw[1])[3] == "10240", "\(flag)")
        }
        #expect(h.box("history", "-H", "box-demo").stdout == h.box("history", "box-demo").stdout)
        #expect(h.box("history", "--human=true", "box-demo").stdout == h.box("history", "box-demo").stdout)
        let json = Self.lines(h.box("history", "--format", "json", "box-demo").stdout)
        #expect(json.count == 2)
        #expect(json[1].hasPrefix("{\"Comment\":\"box fixture base layer\",\"CreatedAt\":\"2024-01-01T00:00:00Z\",\"CreatedBy\":"))
        #expect(json[1].hasSuffix("\"ID\":\"<missing>\",\"Size\":\"2.14MB\"}"))
    }

    @Test(arguments: [["no-such-image"], ["Bad:Ref:x"], [], ["box-demo", "extra"], ["--bogus", "box-demo"]])
    func historyFailures(args: [String]) {
        let r = Harness.shared.box(["history"] + args)
        #expect(r.status == 125)
        #expect(r.stderr.hasPrefix("Error: ") && Self.lines(r.stderr).count == 1, "\(r.stderr)")
    }

    // MARK: image prune

    static let danglingPrompt = "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] "

    @Test func pruneAsksFirst() {
        let h = Self.root()
        defer { h.cleanup() }
        h.box("tag", "box-demo:entrypoint", "box-demo:latest")
        let dangling = h.box("images", "-q", "-f", "dangling=true").stdout
        #expect(Self.lines(dangling).count == 1)
        for answer in ["n\n", "\n", "", "no\n"] {
            let r = h.box("image", "prune", stdin: answer)
            #expect(r.status == 0)
            #expect(r.stdout == Self.danglingPrompt)
            #expect(h.box("images", "-q", "-f", "dangling=true").stdout == dangling)
        }
        let r = h.box("image", "prune", stdin: "y\n")
        #expect(r.status == 0)
        let kept = h.box("images", "-q", "--no-trunc", "box-demo:latest").stdout.trimmingNewline
        #expect(r.stdout.hasPrefix(Self.danglingPrompt + "Deleted Images:\ndeleted: sha256:"))
        // both images shared every layer, so nothing is reclaimed
        #expect(r.stdout.hasSuffix("\n\nTotal reclaimed space: 0B\n"))
        #expect(!r.stdout.contains(kept))
        #expect(h.box("images", "-q", "-f", "dangling=true").stdout == "")
        #expect(h.box("images", "-q").stdout.split(separator: "\n").count == 2)
        #expect(h.box("image", "prune", "-f").stdout == "Total reclaimed space: 0B\n")
    }

    @Test func pruneAllSparesImagesInUse() throws {
        let h = Self.root(extra: true)
        defer { h.cleanup() }
        #expect(h.box("run", "--name", "user", "box-demo", "true").status == 0)
        let blobsBefore = try Files.list(h.root + "/blobs/sha256").count
        let r = h.box("image", "prune", "-a", stdin: "yes\n")
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("WARNING! This will remove all images without at least one container associated to them.\n"
            + "Are you sure you want to continue? [y/N] Deleted Images:\n"))
        for name in ["box-demo:entrypoint", "old:1", "new:1"] { #expect(r.stdout.contains("\nuntagged: \(name)\n"), "\(name)") }
        #expect(!r.stdout.contains("box-demo:latest"))
        // old and new each had a layer of their own; box-demo:entrypoint shared box-demo:latest's
        #expect(r.stdout.hasSuffix("\n\nTotal reclaimed space: 20.48kB\n"))
        #expect(h.box("images", "--format", "{{.Repository}}:{{.Tag}}").stdout == "box-demo:latest\n")
        // the blobs of the three images went: config, manifest, and for old and new a layer
        #expect(try Files.list(h.root + "/blobs/sha256").count == blobsBefore - 8)
        #expect(try Files.list(h.root + "/layers").filter { $0.count == 64 }.count == 2)
        #expect(h.box("run", "--rm", "box-demo").stdout == "Hello from box! hello from box\n")
    }

    @Test func pruneFilters() {
        let h = Self.root(extra: true)
        defer { h.cleanup() }
        func prune(_ args: String...) -> String { h.box(["image", "prune", "-a", "-f"] + args).stdout }
        #expect(prune("--filter", "label=made=nothing") == "Total reclaimed space: 0B\n")
        #expect(prune("--filter", "until=2019-01-01") == "Total reclaimed space: 0B\n")
        #expect(prune("--filter", "until=2021-01-01", "--filter", "label=made").contains("untagged: old:1\n"))
        #expect(prune("--filter", "label!=made").contains("untagged: box-demo:latest\n"))
        #expect(h.box("images", "--format", "{{.Repository}}").stdout == "new\n")
        for bad in ["reference=x", "dangling=true", "before=new:1", "nokey", "until=never"] {
            let r = h.box("image", "prune", "-f", "--filter", bad)
            #expect(r.status == 125, "\(bad)")
            #expect(r.stderr.hasPrefix("Error: "), "\(bad)")
        }
        #expect(h.box("image", "prune", "-f", "extra").status == 125)
    }

    // MARK: image exists

    @Test func existsAnswersByExitCode() {
        let h = Harness.shared
        for ref in ["box-demo", "box-demo:entrypoint", "docker.io/library/box-demo:latest"] {
            let r = h.box("image", "exists", ref)
            #expect(r.status == 0 && r.stdout == "" && r.stderr == "", "\(ref)")
        }
        let id = h.box("images", "-q", "box-demo:latest").stdout.trimmingNewline
        #expect(h.box("image", "exists", id).status == 0)
        let missing = h.box("image", "exists", "no-such-image")
        #expect(missing.status == 1 && missing.stdout == "" && missing.stderr == "")
        #expect(h.box("image", "exists", "box-demo:nope").status == 1)
        let bad = h.box("image", "exists", "Bad:Ref:x")
        #expect(bad.status == 125 && bad.stderr.hasPrefix("Error: "))
        #expect(h.box("image", "exists").status == 125)
    }

    // MARK: image inspect

    @Test func inspectHasDockersShape() {
        let h = Self.root()
        defer { h.cleanup() }
        let json = h.box("image", "inspect", "box-demo").stdout
        for key in ["Id", "RepoTags", "RepoDigests", "Parent", "Comment", "Created", "DockerVersion", "Author", "Config", "Architecture",
                    "Os", "Size", "GraphDriver", "RootFS", "Metadata", "LastTagTime", "History"] {
            #expect(json.contains("\"\(key)\""), "\(key) missing")
        }
        #expect(json.hasPrefix("[") && json.hasSuffix("]\n"))
        let f = "{{.Id}}|{{json .RepoTags}}|{{json .RepoDigests}}|{{.Config.Cmd}}|{{.Size}}|{{.RootFS.Type}}|{{len .History}}"
        let id = h.box("images", "-q", "--no-trunc", "box-demo:latest").stdout.trimmingNewline
        #expect(h.box("image", "inspect", "-f", f, "box-demo").stdout
            == "\(id)|[\"box-demo:latest\"]|[]|[/usr/local/bin/greet]|2150400|layers|2\n")
        #expect(h.box("image", "inspect", "--format", "{{.Config.Entrypoint}} {{.Metadata.LastTagTime}}", "box-demo:entrypoint").stdout
            .hasPrefix("[/bin/echo entry] 20"))
        #expect(h.box("inspect", "--type", "image", "-f", "{{.Id}}", "box-demo").stdout == id + "\n")

        // several: one array; the template once each
        let two = h.box("image", "inspect", "box-demo:latest", "box-demo:entrypoint").stdout
        #expect(two.occurrences(of: "\"Id\"") == 2)
        #expect(h.box("image", "inspect", "-f", "{{index .RepoTags 0}}", "box-demo:latest", "box-demo:entrypoint").stdout
            == "box-demo:latest\nbox-demo:entrypoint\n")
    }

    @Test func inspectMissingImages() {
        let h = Harness.shared
        let r = h.box("image", "inspect", "-f", "{{index .RepoTags 0}}", "box-demo:latest", "no-such-image", "box-demo:entrypoint")
        #expect(r.status == 1)
        #expect(r.stdout == "box-demo:latest\nbox-demo:entrypoint\n")
        #expect(r.stderr == "Error: No such image: no-such-image\n")
        let none = h.box("image", "inspect", "no-such-image")
        #expect(none.status == 1 && none.stdout.filter { !$0.isWhitespace } == "[]")
        #expect(none.stderr == "Error: No such image: no-such-image\n")
        #expect(h.box("image", "inspect", "Bad:Ref:x").status == 125)
        #expect(h.box("image", "inspect").status == 125)
    }

    // MARK: rmi

    @Test func rmiOfAnImageInUse() {
        let h = Self.root()
        defer { h.cleanup() }
        #expect(h.box("run", "--name", "holder", "box-demo", "true").status == 0)
        let refused = h.box("rmi", "box-demo:latest")
        #expect(refused.status == 125)
        #expect(refused.stderr.contains("container") && refused.stderr.contains("is using its referenced image"))
        #expect(h.box("image", "exists", "box-demo:latest").status == 0)

        // -f takes the name; the image stays, without names, for the container
        let forced = h.box("rmi", "-f", "box-demo:latest")
        #expect(forced.status == 0 && forced.stdout == "Untagged: box-demo:latest\n")
        #expect(h.box("image", "exists", "box-demo:latest").status == 1)
        #expect(h.box("images", "--format", "{{.Repository}}:{{.Tag}}", "-f", "dangling=true").stdout == "<none>:<none>\n")
        #expect(h.box("inspect", "-f", "{{.State.ExitCode}}", "holder").stdout == "0\n")
        // prune leaves it while the container is there, and takes it after
        #expect(h.box("image", "prune", "-f").stdout == "Total reclaimed space: 0B\n")
        h.box("rm", "holder")
        let pruned = h.box("image", "prune", "-f").stdout
        #expect(pruned.hasPrefix("Deleted Images:\ndeleted: sha256:"))
        #expect(h.box("images", "-q").stdout.split(separator: "\n").count == 1)
    }

    @Test func rmiByIDOfAnImageWithTwoNames() {
        let h = Self.root()
        defer { h.cleanup() }
        h.box("tag", "box-demo:latest", "second:1")
        let id = h.box("images", "-q", "second:1").stdout.trimmingNewline
        let fullID = h.box("images", "-q", "--no-trunc", "second:1").stdout.trimmingNewline
        let refused = h.box("rmi", id)
        #expect(refused.status == 125 && refused.stderr.contains("must be forced"))
        let forced = h.box("rmi", "-f", id)
        #expect(forced.status == 0)
        #expect(forced.stdout.contains("Untagged: box-demo:latest\n") && forced.stdout.contains("Untagged: second:1\n"))
        #expect(forced.stdout.hasSuffix("Deleted: \(fullID)\n"))
        #expect(h.box("image", "exists", id).status == 1)
    }
}

extension String {
    fileprivate var trimmingNewline: String { hasSuffix("\n") ? String(dropLast()) : self }

    fileprivate func occurrences(of s: String) -> Int {
        var n = 0
        var rest = self[...]
        while let r = rest.firstRange(of: s) {
            n += 1
            rest = rest[r.upperBound...]
        }
        return n
    }
}
