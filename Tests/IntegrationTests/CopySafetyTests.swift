#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

/// `box cp` never reads or writes outside the container's root or the destination: symlink races, absolute
/// symlinks, hostile tar streams; and a copy that fails on a full disk leaves nothing behind.
@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct CopySafetyTests {
    let f = CopyFixture()
    var h: Harness { f.h }

    /// The fixture image's /etc/passwd (Fixtures/images/build.py), which the host's is not.
    static let containerPasswd = """
        root:x:0:0:root:/root:/bin/sh
        app:x:1000:1000:app user:/home/app:/bin/sh
        nobody:x:65534:65534:nobody:/nonexistent:/bin/false

        """

    /// A host directory holding a canary file, and what it holds.
    func canary() throws -> String {
        let d = TestSupport.tempDir("box-cp-canary")
        try Files.write(d + "/f", Array("host-secret\n".utf8))
        return d
    }

    func expectCanaryIntact(_ d: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect((try? Files.list(d)) == ["f"], sourceLocation: sourceLocation)
        #expect(f.read(d + "/f") == "host-secret\n", sourceLocation: sourceLocation)
    }

    /// Every file below `dir` (not following symlinks) with its content.
    func contents(_ dir: String) -> [String] {
        let r = TestSupport.run(["/bin/sh", "-c", "find '\(dir)' -type f -exec cat {} +"])
        return r.stdout.split(separator: "\n").map(String.init)
    }

    /// CVE-2018-15664: while a process in the container swaps a path between a directory and a symlink (to `/`,
    /// and to a directory that exists on the host with a canary in it), box copies in and out of that path many
    /// times. Everything read comes from the container and everything written lands in it.
    @Test func symlinkSwapRace() throws {
        let d = try canary()
        defer { TestSupport.removeTree(d) }
        let tag = "cve-\(UInt32.random(in: 0...UInt32.max))"
        let script = """
            mkdir -p '\(d)' /w; echo container > '\(d)/f'
            ( while :; do
                rm -rf /w/x /w/y; mkdir /w/x /w/y; echo inside > /w/x/f; echo inside > /w/y/f
                rm -rf /w/x /w/y; ln -s '\(d)' /w/x; ln -s / /w/y
              done ) </dev/null >/dev/null 2>&1 &
            """
        let c = f.container("cprace", running: true, script: script)
        defer { h.box("rm", "-f", c) }
        let out = TestSupport.tempDir("box-cp-race")
        defer { TestSupport.removeTree(out) }
        try Files.write(out + "/\(tag)", Array("payload\n".utf8))
        try Files.mkdirAll(out + "/\(tag)-dir")
        try Files.write(out + "/\(tag)-dir/inner", Array("payload\n".utf8))
        let hostPasswd = f.read("/etc/passwd")

        var outcomes = Set<String>()
        for i in 0..<40 {
            let reads: [([String], String)] = [([], "/w/x/f"), ([], "/w/x"), (["-L"], "/w/x"), ([], "/w/x/."), ([], "/w/y/f"), ([], "/w/y/etc/passwd")]
            for (k, (flags, src)) in reads.enumerated() {
                let dst = "\(out)/o\(i)-\(k)"
                let r = h.box(["cp"] + flags + ["\(c):\(src)", dst])
                outcomes.insert(r.status == 0 ? "ok" : "err")
                if src.hasSuffix("passwd") {
                    if r.status == 0 { #expect(f.read(dst) == CopySafetyTests.containerPasswd && f.read(dst) != hostPasswd) }
                    continue
                }
                // the directory's own file, the container's copy of the canary's, or a payload copied in earlier
                for text in contents(dst) {
                    #expect(["inside", "container", "payload"].contains(text), "read \(text) through \(src)")
                }
            }
            for dst in ["/w/x/", "/w/y/", "/w/x/sub", "/w/y"] {
                h.box("cp", "\(out)/\(tag)", "\(c):\(dst)")
                h.box("cp", "\(out)/\(tag)-dir", "\(c):\(dst)")
            }
            h.box("cp", "-a", "\(out)/\(tag)", "\(c):/w/x")
        }
        #expect(outcomes.contains("ok"))
        expectCanaryIntact(d)
        // nothing of the payload reached the host's root or the canary's directory
        #expect(!Files.exists("/\(tag)") && !Files.exists("/\(tag)-dir") && !Files.exists("/sub"))
        // while it did land in the container, at one end of the link or the other
        let up = f.upper(c)
        #expect(Files.exists(up + "/\(tag)") || Files.exists(up + d + "/\(tag)"))
    }

    /// A symlink in the container to an absolute path names that path in the container, never on the host.
    @Test(arguments: [true, false])
    func absoluteSymlinksStayInside(running: Bool) throws {
        let d = try canary()
        defer { TestSupport.removeTree(d) }
        let script = "ln -s /etc/passwd /tmp/pw; ln -s '\(d)/f' /tmp/canary; ln -s '\(d)' /tmp/canarydir; ln -s / /tmp/root"
        let c = f.container("cpabs", running: running, script: script)
        defer { h.box("rm", "-f", c) }
        let out = try f.hostTree()
        defer { TestSupport.removeTree(out) }

        f.ok(["-L", "\(c):/tmp/pw", out + "/pw"])
        #expect(f.read(out + "/pw") == CopySafetyTests.containerPasswd)
        f.ok(["\(c):/tmp/root/etc/passwd", out + "/pw2"])
        #expect(f.read(out + "/pw2") == CopySafetyTests.containerPasswd)
        f.fails(["-L", "\(c):/tmp/canary", out + "/x"], "Could not find the file /tmp/canary in container \(c)")
        f.fails(["\(c):/tmp/canarydir/f", out + "/x"], "Could not find the file /tmp/canarydir/f in container \(c)")
        #expect(!Files.exists(out + "/x"))

        // written through the links: resolved in the container, where the canary's directory does not exist
        f.fails([out + "/src/file.txt", "\(c):/tmp/canary"], "Could not find the file \(d) in container \(c)")
        f.fails([out + "/src/file.txt", "\(c):/tmp/canarydir/"], "destination \"\(c):/tmp/canarydir/\" must be a directory")
        f.fails([out + "/src/file.txt", "\(c):/tmp/canarydir/f"], "Could not find the file /tmp/canarydir in container \(c)")
        // a directory copied to the link's target is created there, in the container
        f.ok([out + "/src/dir", "\(c):/tmp/canarydir"])
        #expect(f.read(f.upper(c) + d + "/sub/b") == "b\n")
        f.ok([out + "/src/file.txt", "\(c):/tmp/root/etc/"])
        #expect(f.read(f.upper(c) + "/etc/file.txt") == "file\n")
        expectCanaryIntact(d)
        #expect(!Files.exists("/etc/file.txt"))
    }

    /// A tar on stdin: absolute names are confined to the destination (as Docker does), names that climb out of
    /// it and hard links to outside are refused, and nothing is written through a symlink the tar made.
    @Test(arguments: [true, false])
    func hostileTarOnStdin(running: Bool) throws {
        let c = f.container("cpevil", running: running, script: "mkdir -p /dst/deep/er")
        defer { h.box("rm", "-f", c) }
        let tag = "evil-\(UInt32.random(in: 0...UInt32.max))"
        let w = TestSupport.tempDir("box-cp-evil")
        defer { TestSupport.removeTree(w) }
        let box = "'\(TestSupport.boxBinary)' --root '\(h.root)'"
        let make = TestSupport.run(["/bin/sh", "-c", """
            cd '\(w)' && echo abs > abs && echo esc > esc && echo through > real && ln -s / lnk && ln abs hard &&
            tar -cPf abs.tar --transform 's,^abs$,/\(tag)/abs,' abs &&
            tar -cPf esc.tar --transform 's,^esc$,../../\(tag),' esc &&
            tar -cPf hard.tar abs --transform 's,^hard$,z,;s,^abs$,../../../etc/hostname,' hard &&
            tar -cPf lnk.tar lnk && tar -rPf lnk.tar --transform 's,^real$,lnk/\(tag),' real
            """])
        #expect(make.status == 0, "\(make.stderr)")
        let up = f.upper(c)

        let abs = TestSupport.run(["/bin/sh", "-c", "\(box) cp - \(c):/dst/deep/er < '\(w)/abs.tar'"])
        #expect(abs.status == 0, "\(abs.stderr)")
        #expect(f.read(up + "/dst/deep/er/\(tag)/abs") == "abs\n")
        #expect(!Files.exists(up + "/\(tag)") && !Files.exists("/\(tag)"))

        let esc = TestSupport.run(["/bin/sh", "-c", "\(box) cp - \(c):/dst/deep/er < '\(w)/esc.tar'"])
        #expect(esc.status == 125)
        #expect(esc.stderr == "Error: \"../../\(tag)\" is outside of \"/dst/deep/er\"\n")
        #expect(!Files.exists(up + "/dst/\(tag)") && !Files.exists(up + "/\(tag)") && !Files.exists("/\(tag)"))

        let hard = TestSupport.run(["/bin/sh", "-c", "\(box) cp - \(c):/dst/deep/er < '\(w)/hard.tar'"])
        #expect(hard.status == 125 && hard.stderr.hasPrefix("Error: \"../../../etc/hostname\" is outside of"), "\(hard.stderr)")

        let lnk = TestSupport.run(["/bin/sh", "-c", "\(box) cp - \(c):/dst/deep/er < '\(w)/lnk.tar'"])
        #expect(lnk.status == 125, "\(lnk.stderr)")
        #expect(lnk.stderr.split(separator: "\n").count == 1)
        #expect(f.isLink(up + "/dst/deep/er/lnk"))
        #expect(!Files.exists(up + "/\(tag)") && !Files.exists("/\(tag)"))
        #expect(try Files.list(up + "/dst/deep/er").sorted() == [tag, "lnk"])
    }

    /// A copy that meets a full disk fails with one line and exit 125, and leaves no partial file, in a volume
    /// of the container (a 2 MiB tmpfs bound with -v) or on the host.
    @Test(arguments: [true, false])
    func fullDisk(running: Bool) throws {
        let small = TestSupport.tempDir("box-cp-small")
        defer { TestSupport.removeTree(small) }
        let m = TestSupport.run(["/bin/mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", small])
        try #require(m.status == 0, "mount tmpfs: \(m.stderr)")
        defer { _ = TestSupport.run(["/bin/umount", small]) }
        try Files.write(small + "/keep", Array("keep\n".utf8))
        let src = TestSupport.tempDir("box-cp-big")
        defer { TestSupport.removeTree(src) }
        let make = TestSupport.run(["/bin/sh", "-c", "head -c 4000000 /dev/urandom > '\(src)/big' && mkdir '\(src)/d' && cp '\(src)/big' '\(src)/d/'"])
        #expect(make.status == 0)
        let c = f.container("cpfull", running: running, flags: ["-v", "\(small):/small"],
                            script: "head -c 4000000 /dev/urandom > /tmp/big; mkdir /tmp/d; echo a > /tmp/d/a; cp /tmp/big /tmp/d/")
        defer { h.box("rm", "-f", c) }

        func failsOneLine(_ args: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let r = h.box(["cp"] + args)
            #expect(r.status == 125, sourceLocation: sourceLocation)
            #expect(r.stderr == "Error: \(message)\n", sourceLocation: sourceLocation)
            #expect((try? Files.list(small)) == ["keep"], sourceLocation: sourceLocation)
            #expect(f.read(small + "/keep") == "keep\n", sourceLocation: sourceLocation)
        }
        failsOneLine([src + "/big", "\(c):/small/"], "write \"/small/big\": no space left on device")
        failsOneLine([src + "/big", "\(c):/small/keep"], "write \"/small/keep\": no space left on device")
        failsOneLine([src + "/d", "\(c):/small/d"], "write \"/small/d/big\": no space left on device")
        failsOneLine(["\(c):/tmp/big", small], "write \"\(small)/big\": no space left on device")
        failsOneLine(["\(c):/tmp/d", small + "/keep2"], "write \"\(small)/keep2/big\": no space left on device")
        let tar = TestSupport.run(["/bin/sh", "-c", "tar -C '\(src)' -cf - big | '\(TestSupport.boxBinary)' --root '\(h.root)' cp - \(c):/small"])
        #expect(tar.status == 125 && tar.stderr == "Error: write \"/small/big\": no space left on device\n", "\(tar.stderr)")
        #expect((try? Files.list(small)) == ["keep"])
    }
}
