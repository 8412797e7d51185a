#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

/// What a copy test works with: containers prepared by a script, and their writable layer read from the host.
struct CopyFixture {
    let h = Harness.shared

    /// The container's content for the semantic cases: sources under /src, destinations under /dst.
    static let setup = """
        mkdir -p /src/dir/sub /dst/exdir /dst/hasdir/file.txt /dst/hasfile
        echo file > /src/file.txt; echo a > /src/dir/a; echo b > /src/dir/sub/b
        echo old > /dst/exfile; echo x > /dst/hasfile/dir; ln -s /src/file.txt /src/link
        """

    /// A container named `prefix-N` whose `script` has run: still running (`run -d`, its script then execs
    /// `sleep`), or stopped (a foreground `run` that exited).
    func container(_ prefix: String, running: Bool, flags: [String] = [], script: String = CopyFixture.setup) -> String {
        let name = "\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
        if running {
            let r = h.box(["run", "-d", "--name", name] + flags + ["box-demo", "sh", "-c", script + "\ntouch /tmp/.ready; exec sleep 300"])
            #expect(r.status == 0, "run -d: \(r.stderr)")
            let ready = upper(name) + "/tmp/.ready"
            for _ in 0..<200 where !Files.exists(ready) { usleep(25_000) }
        } else {
            let r = h.box(["run", "--name", name] + flags + ["box-demo", "sh", "-c", script])
            #expect(r.status == 0, "run: \(r.stderr)")
        }
        return name
    }

    func id(_ c: String) -> String {
        String(h.box("inspect", "-f", "{{.Id}}", c).stdout.prefix { $0 != "\n" })
    }

    /// The container's writable layer on the host: where what is copied in lands (outside its mounts).
    func upper(_ c: String) -> String { "\(h.root)/containers/\(id(c))/upper" }

    func read(_ path: String) -> String? {
        (try? Files.read(path)).map { String(decoding: $0, as: UTF8.self) }
    }

    func owner(_ path: String) -> (UInt32, UInt32)? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return (st.st_uid, st.st_gid)
    }

    func isLink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    /// A symlink's target, or nil.
    func link(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buf, buf.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A host directory like the container's /src and /dst.
    func hostTree() throws -> String {
        let d = TestSupport.tempDir("box-cp")
        for sub in ["src/dir/sub", "dst/exdir", "dst/hasdir/file.txt", "dst/hasfile"] { try Files.mkdirAll(d + "/" + sub) }
        try Files.write(d + "/src/file.txt", Array("file\n".utf8))
        try Files.write(d + "/src/dir/a", Array("a\n".utf8))
        try Files.write(d + "/src/dir/sub/b", Array("b\n".utf8))
        try Files.write(d + "/dst/exfile", Array("old\n".utf8))
        try Files.write(d + "/dst/hasfile/dir", Array("x\n".utf8))
        symlink(d + "/src/file.txt", d + "/src/link")
        return d
    }

    /// Runs `box cp ARGS…` and expects it to fail with exactly `message`.
    func fails(_ args: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let r = h.box(["cp"] + args)
        #expect(r.status == 125, "box cp \(args): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr == "Error: \(message)\n", sourceLocation: sourceLocation)
    }

    func ok(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let r = h.box(["cp"] + args)
        #expect(r.status == 0 && r.stderr.isEmpty, "box cp \(args): \(r.stderr)", sourceLocation: sourceLocation)
    }
}

/// `box cp` with Docker's semantics, both ways, on running and stopped containers.
@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct CopyTests {
    let f = CopyFixture()
    var h: Harness { f.h }

    @Test(arguments: [true, false])
    func outOfAContainer(running: Bool) throws {
        let c = f.container("cpout", running: running)
        defer { h.box("rm", "-f", c) }
        let d = try f.hostTree()
        defer { TestSupport.removeTree(d) }
        let dst = d + "/dst"
        f.ok(["\(c):/src/file.txt", dst + "/new.txt"])
        #expect(f.read(dst + "/new.txt") == "file\n")
        f.ok(["\(c):/src/file.txt", dst + "/exdir"])
        #expect(f.read(dst + "/exdir/file.txt") == "file\n")
        f.ok(["\(c):src/file.txt", dst + "/exfile"])
        #expect(f.read(dst + "/exfile") == "file\n")
        f.ok(["\(c):/src/dir", dst + "/newdir"])
        #expect(f.read(dst + "/newdir/a") == "a\n" && f.read(dst + "/newdir/sub/b") == "b\n")
        f.ok(["\(c):/src/dir", dst + "/exdir"])
        #expect(f.read(dst + "/exdir/dir/sub/b") == "b\n")
        // a second copy of a directory into the same place merges into the copy
        f.ok(["\(c):/src/dir/", dst + "/exdir/"])
        #expect(f.read(dst + "/exdir/dir/a") == "a\n")
        f.ok(["\(c):/src/dir/.", dst + "/exdir"])
        #expect(f.read(dst + "/exdir/a") == "a\n" && f.read(dst + "/exdir/sub/b") == "b\n")
        f.ok(["\(c):/src/dir/.", dst + "/newdir2"])
        #expect(f.read(dst + "/newdir2/sub/b") == "b\n")
        // nothing temporary is left beside what was copied
        #expect(try Files.list(dst).filter { $0.hasPrefix(".box-cp") }.isEmpty)

        f.fails(["\(c):/src/file.txt", dst + "/missing/"], "destination \"\(dst)/missing/\" must be a directory")
        f.fails(["\(c):/nope", dst], "Could not find the file /nope in container \(c)")
        f.fails(["\(c):/src/dir", dst + "/exfile"], "cannot copy directory")
        f.fails(["\(c):/src/file.txt", dst + "/hasdir"],
                "cannot overwrite directory \"\(dst)/hasdir/file.txt\" with non-directory \"\(dst)/hasdir\"")
        f.fails(["\(c):/src/dir", dst + "/hasfile"],
                "cannot overwrite non-directory \"\(dst)/hasfile/dir\" with directory \"\(dst)/hasfile\"")
        f.fails(["\(c):/src/file.txt", dst + "/nodir/x"], "invalid output path: directory \"\(dst)/nodir\" does not exist")
        #expect(!Files.exists(dst + "/missing") && !Files.exists(dst + "/nodir"))
    }

    @Test(arguments: [true, false])
    func intoAContainer(running: Bool) throws {
        let c = f.container("cpin", running: running)
        defer { h.box("rm", "-f", c) }
        let d = try f.hostTree()
        defer { TestSupport.removeTree(d) }
        let src = d + "/src", up = f.upper(c) + "/dst"
        f.ok([src + "/file.txt", "\(c):/dst/new.txt"])
        #expect(f.read(up + "/new.txt") == "file\n")
        f.ok([src + "/file.txt", "\(c):/dst/exdir"])
        #expect(f.read(up + "/exdir/file.txt") == "file\n")
        f.ok([src + "/file.txt", "\(c):dst/exfile"])
        #expect(f.read(up + "/exfile") == "file\n")
        f.ok([src + "/dir", "\(c):/dst/newdir"])
        #expect(f.read(up + "/newdir/a") == "a\n" && f.read(up + "/newdir/sub/b") == "b\n")
        f.ok([src + "/dir", "\(c):/dst/exdir/"])
        #expect(f.read(up + "/exdir/dir/sub/b") == "b\n")
        f.ok([src + "/dir/.", "\(c):/dst/exdir"])
        #expect(f.read(up + "/exdir/a") == "a\n" && f.read(up + "/exdir/sub/b") == "b\n")
        f.ok([src + "/dir/.", "\(c):/dst/newdir2"])
        #expect(f.read(up + "/newdir2/sub/b") == "b\n")
        // a relative host path is taken from the working directory
        let rel = TestSupport.run(["/bin/sh", "-c", "cd '\(src)' && '\(TestSupport.boxBinary)' --root '\(h.root)' cp dir/sub '\(c):/dst/rel'"])
        #expect(rel.status == 0, "\(rel.stderr)")
        #expect(f.read(up + "/rel/b") == "b\n")
        #expect(try Files.list(up).filter { $0.hasPrefix(".box-cp") }.isEmpty)

        f.fails([src + "/file.txt", "\(c):/dst/missing/"], "destination \"\(c):/dst/missing/\" must be a directory")
        f.fails([src + "/nope", "\(c):/dst"], "lstat \(src)/nope: no such file or directory")
        f.fails([src + "/dir", "\(c):/dst/exfile"], "cannot copy directory")
        f.fails([src + "/file.txt", "\(c):/dst/hasdir"],
                "cannot overwrite directory \"/dst/hasdir/file.txt\" with non-directory \"/dst/hasdir\"")
        f.fails([src + "/dir", "\(c):/dst/hasfile"], "cannot overwrite non-directory \"/dst/hasfile/dir\" with directory \"/dst/hasfile\"")
        f.fails([src + "/file.txt", "\(c):/nodir/x"], "Could not find the file /nodir in container \(c)")
        f.fails([src + "/file.txt", "\(c):/dst/exfile/x"], "extraction point is not a directory")
        if running {
            // a stopped container's /dev is its image's: only a running one has device nodes there
            f.fails([src + "/file.txt", "\(c):/dev/null"], "destination \"\(c):/dev/null\" must be a directory or a regular file: got a device")
        }
        #expect(!Files.exists(up + "/missing"))
    }

    @Test func argumentErrors() {
        let c = f.container("cparg", running: false)
        defer { h.box("rm", "-f", c) }
        f.fails(["\(c):/a", "\(c):/b"], "copying between containers is not supported")
        f.fails(["/etc/hostname", "/tmp/x"], "must specify at least one container source")
        f.fails(["/etc/hostname"], "\"box cp\" requires exactly 2 arguments")
        f.fails(["/etc/hostname", "nosuchcontainer-cp:/x"], "no such container: nosuchcontainer-cp")
        // `./a:b` is a local path with a colon in it
        f.fails(["./a:b", "\(c):/tmp"], "lstat \(CopyTests.cwd())/a:b: no such file or directory")
    }

    static func cwd() -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        return String(cString: getcwd(&buf, buf.count))
    }

    /// The classic exercise: two containers of one image each write a random number; each copy has its own.
    @Test func randomNumbersFromTwoContainers() throws {
        let script = "mkdir -p /random; cat /proc/sys/kernel/random/uuid > /random/number.txt"
        let rn1 = f.container("rn1", running: true, script: script)
        let rn2 = f.container("rn2", running: true, script: script)
        defer { h.box("rm", "-f", rn1, rn2) }
        let d = TestSupport.tempDir("box-cp")
        defer { TestSupport.removeTree(d) }
        f.ok(["\(rn1):/random/number.txt", d + "/number1.txt"])
        f.ok(["\(rn2):/random/number.txt", d + "/number2.txt"])
        let n1 = try #require(f.read(d + "/number1.txt")), n2 = try #require(f.read(d + "/number2.txt"))
        #expect(n1.count == 37 && n2.count == 37 && n1 != n2)
        #expect(h.box("exec", rn1, "cat", "/random/number.txt").stdout == n1)
        #expect(h.box("exec", rn2, "cat", "/random/number.txt").stdout == n2)
    }

    /// `-` both ways: a tar of the source on stdout, a tar from stdin extracted into a directory.
    @Test(arguments: [true, false])
    func tarStreams(running: Bool) throws {
        let c = f.container("cptar", running: running)
        defer { h.box("rm", "-f", c) }
        let d = try f.hostTree()
        defer { TestSupport.removeTree(d) }
        let box = "'\(TestSupport.boxBinary)' --root '\(h.root)'"
        let list = TestSupport.run(["/bin/sh", "-c", "\(box) cp \(c):/src/dir - | tar -tf -"])
        #expect(list.status == 0 && list.stdout == "dir/\ndir/a\ndir/sub/\ndir/sub/b\n", "\(list.stdout)\(list.stderr)")
        let one = TestSupport.run(["/bin/sh", "-c", "\(box) cp \(c):/src/file.txt - | tar -xOf -"])
        #expect(one.stdout == "file\n")
        let contents = TestSupport.run(["/bin/sh", "-c", "\(box) cp \(c):/src/dir/. - | tar -tf -"])
        #expect(contents.stdout == "./\n./a\n./sub/\n./sub/b\n")

        let put = TestSupport.run(["/bin/sh", "-c", "tar -C '\(d)/src' -czf - dir file.txt | \(box) cp - \(c):/dst/exdir"])
        #expect(put.status == 0, "\(put.stderr)")
        #expect(f.read(f.upper(c) + "/dst/exdir/dir/sub/b") == "b\n" && f.read(f.upper(c) + "/dst/exdir/file.txt") == "file\n")
        let notDir = TestSupport.run(["/bin/sh", "-c", "tar -C '\(d)/src' -cf - dir | \(box) cp - \(c):/dst/exfile"])
        #expect(notDir.status == 125 && notDir.stderr == "Error: destination \"\(c):/dst/exfile\" must be a directory\n")
        let missing = TestSupport.run(["/bin/sh", "-c", "tar -C '\(d)/src' -cf - dir | \(box) cp - \(c):/dst/nothere"])
        #expect(missing.stderr == "Error: destination \"\(c):/dst/nothere\" must be a directory\n")
    }

    /// Ownership: copied in, files belong to the container's user (`-a`: keep the source's); copied out, to the
    /// caller (`-a`: keep the container's).
    @Test func ownership() throws {
        let c = f.container("cpown", running: true, flags: ["-u", "1000:1000"], script: "mkdir -p /tmp/in")
        let r = f.container("cpownr", running: true, script: "echo x > /tmp/owned; chown 77:88 /tmp/owned")
        defer { h.box("rm", "-f", c, r) }
        let d = try f.hostTree()
        defer { TestSupport.removeTree(d) }
        chown(d + "/src/file.txt", 1234, 2345)
        chown(d + "/src/dir/sub/b", 1234, 2345)
        f.ok([d + "/src/file.txt", "\(c):/tmp/in/default"])
        f.ok(["-a", d + "/src/file.txt", "\(c):/tmp/in/archive"])
        f.ok([d + "/src/dir", "\(c):/tmp/in/dir"])
        f.ok(["--archive", d + "/src/dir", "\(c):/tmp/in/dira"])
        let up = f.upper(c) + "/tmp/in"
        #expect(f.owner(up + "/default")! == (1000, 1000))
        #expect(f.owner(up + "/archive")! == (1234, 2345))
        #expect(f.owner(up + "/dir/sub/b")! == (1000, 1000) && f.owner(up + "/dir")! == (1000, 1000))
        #expect(f.owner(up + "/dira/sub/b")! == (1234, 2345) && f.owner(up + "/dira")! == (0, 0))
        // the container's user can use what was copied in for it
        #expect(h.box("exec", c, "sh", "-c", "echo more >> /tmp/in/default && cat /tmp/in/default").stdout == "file\nmore\n")

        f.ok(["\(r):/tmp/owned", d + "/out-default"])
        f.ok(["-a", "\(r):/tmp/owned", d + "/out-archive"])
        #expect(f.owner(d + "/out-default")! == (geteuid(), getegid()))
        #expect(f.owner(d + "/out-archive")! == (77, 88))
    }

    /// `-L` follows a symlink named as the source; without it the link itself is copied.
    @Test func followLink() throws {
        let c = f.container("cplink", running: true)
        defer { h.box("rm", "-f", c) }
        let d = try f.hostTree()
        defer { TestSupport.removeTree(d) }
        f.ok(["\(c):/src/link", d + "/l1"])
        #expect(f.link(d + "/l1") == "/src/file.txt")
        f.ok(["-L", "\(c):/src/link", d + "/l2"])
        #expect(!f.isLink(d + "/l2") && f.read(d + "/l2") == "file\n")
        f.ok([d + "/src/link", "\(c):/tmp/l1"])
        #expect(f.link(f.upper(c) + "/tmp/l1") == d + "/src/file.txt")
        f.ok(["--follow-link", d + "/src/link", "\(c):/tmp/l2"])
        #expect(!f.isLink(f.upper(c) + "/tmp/l2") && f.read(f.upper(c) + "/tmp/l2") == "file\n")
    }

    /// Volumes and bind mounts are seen as the container sees them, running or stopped; a stopped container's
    /// tmpfs is mounted for the copy (what goes there is not written into its layer) and nothing stays mounted.
    @Test(arguments: [true, false])
    func throughMounts(running: Bool) throws {
        let vol = TestSupport.tempDir("box-cp-vol")
        defer { TestSupport.removeTree(vol) }
        try Files.write(vol + "/from-host", Array("host\n".utf8))
        let c = f.container("cpmnt", running: running, flags: ["-v", "\(vol):/data", "--tmpfs", "/scratch"],
                            script: "echo ctr > /data/from-ctr")
        defer { h.box("rm", "-f", c) }
        let d = try f.hostTree()
        defer { TestSupport.removeTree(d) }
        f.ok([d + "/src/dir", "\(c):/data/copied"])
        #expect(f.read(vol + "/copied/sub/b") == "b\n")
        #expect(!Files.exists(f.upper(c) + "/data/copied"))
        f.ok(["\(c):/data/from-host", d + "/got"])
        #expect(f.read(d + "/got") == "host\n")
        f.ok(["\(c):/data/from-ctr", d + "/got2"])
        #expect(f.read(d + "/got2") == "ctr\n")
        f.ok([d + "/src/file.txt", "\(c):/scratch/"])
        #expect(!Files.exists(f.upper(c) + "/scratch/file.txt"))
        #expect(Host.mounts(containing: f.id(c)).isEmpty)
        #expect(Host.mounts(containing: vol).isEmpty)
    }
}
