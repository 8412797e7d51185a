#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

/// A test image with `VOLUME /data`, built once from the demo image: `/data` (0:42, 0750) holds `sub/` (1234:5678,
/// 0710) with `f` ("secret", 0640, xattr `user.box=yes`), `link -> sub/f` and `hard` (a hard link to `sub/f`);
/// `/escape` is a symlink to a host directory (absolute), `/relescape` one to it through `../..`.
enum VolumeImage {
    /// The host directory the image's symlinks name; it holds `marker`.
    static let hostDir: String = {
        let d = TestSupport.tempDir("box-cve")
        _ = try? Files.write(d + "/marker", Array("host\n".utf8))
        return d
    }()

    static let tag: String = {
        let h = Harness.shared
        let t = TestSupport.tempDir("box-volimg")
        defer { TestSupport.removeTree(t) }
        let tag = "volimg-\(UInt32.random(in: 0...UInt32.max))"
        let c = "mk-\(tag)"
        h.box("create", "--name", c, "box-demo")
        h.box("export", "-o", t + "/base.tar", c)
        h.box("rm", c)
        let script = """
            set -e; cd '\(t)'; mkdir add; tar -C add -xf base.tar; mkdir -p add/data/sub; echo secret > add/data/sub/f
            chown -R 1234:5678 add/data/sub; chmod 0640 add/data/sub/f; chmod 0710 add/data/sub
            chown 0:42 add/data; chmod 0750 add/data
            python3 -c "import os; os.setxattr('add/data/sub/f', 'user.box', b'yes')"
            ln -s sub/f add/data/link; ln add/data/sub/f add/data/hard
            ln -s '\(hostDir)' add/escape; ln -s '../../../..\(hostDir)' add/relescape
            tar -C add --xattrs --xattrs-include='user.*' --numeric-owner -cf full.tar .
            """
        let r = TestSupport.run(["/bin/sh", "-c", script])
        if r.status != 0 { Issue.record("build test image: \(r.stderr)") }
        h.box("import", "-c", "VOLUME /data", t + "/full.tar", tag)
        return tag
    }()
}

/// `stat` of a host path: `uid:gid mode type`.
func hostStat(_ path: String) -> String {
    line(TestSupport.run(["/usr/bin/stat", "-c", "%u:%g %a %F", path]))
}

@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct VolumeCopyUpTests {
    let h = Harness.shared

    @Test func imageVolumeIsFilledWithOwnersModesXattrsAndLinks() throws {
        let c = uniq("c")
        defer { h.box("rm", "-f", "-v", c) }
        let r = h.box("run", "--name", c, VolumeImage.tag, "sh", "-c", "cat /data/sub/f /data/link; ls -ln /data | wc -l")
        #expect(r.stdout == "secret\nsecret\n4\n")
        let anon = line(h.box("inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", c))
        #expect(anon.count == 64)
        #expect(h.box("inspect", "-f", "{{json .Config.Volumes}}", c).stdout == "{\"/data\":{}}\n")
        let data = h.root + "/volumes/\(anon)/_data"
        #expect(hostStat(data) == "0:42 750 directory")
        #expect(hostStat(data + "/sub") == "1234:5678 710 directory")
        #expect(hostStat(data + "/sub/f") == "1234:5678 640 regular file")
        #expect(hostStat(data + "/link") == "0:0 777 symbolic link")
        #expect(line(TestSupport.run(["/usr/bin/readlink", data + "/link"])) == "sub/f")
        let xattr = TestSupport.run(["/usr/bin/python3", "-c", "import os,sys; print(os.getxattr(sys.argv[1], 'user.box').decode())", data + "/sub/f"])
        #expect(xattr.stdout == "yes\n")
        // the hard link stays one file
        #expect(line(TestSupport.run(["/usr/bin/stat", "-c", "%h %i", data + "/hard"])) == line(TestSupport.run(["/usr/bin/stat", "-c", "%h %i", data + "/sub/f"])))
        #expect(line(TestSupport.run(["/usr/bin/stat", "-c", "%h", data + "/hard"])) == "2")
    }

    @Test func copyUpHappensOnceAndNeverIntoAVolumeWithData() {
        let v = uniq("vol"), full = uniq("full"), nc = uniq("nc"), nm = uniq("nm")
        defer { for x in [v, full, nc, nm] { h.box("volume", "rm", "-f", x) } }
        #expect(h.box("run", "--rm", "-v", "\(v):/data", VolumeImage.tag, "sh", "-c", "rm -rf /data/* ; ls -A /data").stdout == "")
        // emptied by the user: not filled again
        #expect(h.box("run", "--rm", "-v", "\(v):/data", VolumeImage.tag, "ls", "-A", "/data").stdout == "")
        // a volume that already holds data is never filled
        #expect(h.sh("touch /x/mine", flags: ["-v", "\(full):/x"]).status == 0)
        #expect(h.box("run", "--rm", "-v", "\(full):/data", VolumeImage.tag, "ls", "-A", "/data").stdout == "mine\n")
        // nocopy, in both spellings
        #expect(h.box("run", "--rm", "-v", "\(nc):/data:nocopy", VolumeImage.tag, "ls", "-A", "/data").stdout == "")
        #expect(h.box("run", "--rm", "--mount", "source=\(nm),target=/data,volume-nocopy", VolumeImage.tag, "ls", "-A", "/data").stdout == "")
        // the demo image's /home/app (1000:1000) gives an empty volume its owner
        let home = uniq("home")
        defer { h.box("volume", "rm", "-f", home) }
        #expect(h.box("run", "--rm", "-v", "\(home):/home/app", "box-demo", "true").status == 0)
        #expect(hostStat(h.root + "/volumes/\(home)/_data") == "1000:1000 755 directory")
    }

    /// CVE-2021-30465's class: a mount target that is a symlink out of the root. The volume (or bind) lands at the
    /// symlink's target inside the container's root; the host directory it names is neither mounted over nor
    /// read by copy-up nor written.
    @Test(arguments: ["/escape", "/relescape", "/escape/deeper"])
    func mountTargetSymlinkStaysInsideTheRoot(target: String) throws {
        let v = uniq("cve")
        let dir = TestSupport.tempDir()
        defer { h.box("volume", "rm", "-f", v); TestSupport.removeTree(dir) }
        let host = VolumeImage.hostDir
        let inside = target.hasSuffix("deeper") ? host + "/deeper" : host
        let r = h.box("run", "--rm", "-v", "\(v):\(target)", VolumeImage.tag, "sh", "-c",
                      "echo in > \(target)/w; ls -A \(target); ls -A \(inside)")
        #expect(r.status == 0)
        #expect(r.stdout == "w\nw\n")
        #expect(String(decoding: try Files.read(h.root + "/volumes/\(v)/_data/w"), as: UTF8.self) == "in\n")
        #expect(try Files.list(host) == ["marker"])
        // a bind mount at the same target behaves the same
        let b = h.box("run", "--rm", "-v", "\(dir):\(target)", VolumeImage.tag, "sh", "-c", "echo b > \(target)/w2; ls -A \(inside)")
        #expect(b.stdout == "w2\n")
        #expect(Files.exists(dir + "/w2"))
        #expect(try Files.list(host) == ["marker"])
    }
}

/// Prune and the refusals, in a root of their own (prune sees every volume of its root).
@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct VolumePruneTests {
    @Test func pruneRemovesUnusedAnonymousVolumesThenWithDashAAllUnused() {
        let h = Harness()
        defer { h.cleanup() }
        #expect(h.box("volume", "create", "named").status == 0)
        let anon = line(h.box("volume", "create"))
        #expect(h.box("run", "--rm", "-v", "\(anon):/d", "box-demo", "sh", "-c", "head -c 2000 /dev/zero > /d/z").status == 0)
        #expect(h.box("create", "--name", "user", "-v", "/busy", "-v", "held:/h", "box-demo").status == 0)
        let busy = line(h.box("inspect", "-f", "{{range .Mounts}}{{if eq .Destination \"/busy\"}}{{.Name}}{{end}}{{end}}", "user"))
        let p = h.box("volume", "prune", "-f")
        #expect(p.stdout == "Deleted Volumes:\n\(anon)\n\nTotal reclaimed space: 2kB\n")
        #expect(h.box("volume", "ls", "-q").stdout.split(separator: "\n").map(String.init).sorted() == [busy, "held", "named"].sorted())
        // nothing left to prune: no list, only the total
        #expect(h.box("volume", "prune", "-f").stdout == "Total reclaimed space: 0B\n")
        // the prompt: anything but yes ends quietly
        let no = h.box("volume", "prune", stdin: "n\n")
        #expect(no.stdout == "WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ")
        #expect(h.box("volume", "prune", "-a", "-f", "--filter", "label=nope").stdout == "Total reclaimed space: 0B\n")
        #expect(h.box("volume", "prune", "-a", "-f").stdout == "Deleted Volumes:\nnamed\n\nTotal reclaimed space: 0B\n")
        #expect(h.box("rm", "-v", "user").status == 0)
        #expect(h.box("volume", "ls", "-q").stdout == "held\n")
        #expect(h.box("volume", "ls", "--filter", "dangling=true", "-q").stdout == "held\n")
    }

    @Test func badVolumesAndMountsFailWithOneLineAndCreateNothing() {
        let h = Harness()
        defer { h.cleanup() }
        let dir = TestSupport.tempDir()
        defer { TestSupport.removeTree(dir) }
        let cases: [([String], String)] = [
            (["-v", "a:/x"], "create a: volume name is too short, names should be at least two alphanumeric characters"),
            (["-v", "bad/name:/x"], "create bad/name: \"bad/name\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"),
            (["-v", "/x:ro"], "invalid volume specification: '/x:ro'"),
            (["-v", "vv:/x:bogus"], "invalid mode: bogus"),
            (["--mount", "type=volume,src=vv,dst=/x,nope=1"], "invalid argument \"type=volume,src=vv,dst=/x,nope=1\" for \"--mount\" flag: unexpected key 'nope' in 'nope=1'"),
            (["--mount", "type=volume,src=vv"], "invalid argument \"type=volume,src=vv\" for \"--mount\" flag: target is required"),
            (["--mount", "type=floppy,dst=/x"], "invalid mount config for type \"floppy\": mount type unknown"),
            (["-v", "vv:/x", "--mount", "src=ww,dst=/x"], "Duplicate mount point: /x"),
            (["-v", "vv:/x", "-v", "\(dir)/missing:/y"], "invalid mount config for type \"bind\": bind source path does not exist: \(dir)/missing"),
            (["-v", "vv:/x", "--volumes-from", "ghost"], "no such container: ghost"),
            (["--volumes-from", "ghost:rshared"], "invalid mode: rshared"),
        ]
        for (flags, message) in cases {
            for cmd in ["run", "create"] {
                let r = h.box([cmd, "--rm"] + flags + ["box-demo", "true"])
                #expect(r.status == 125, "\(flags)")
                #expect(r.stderr == "Error: \(message)\n", "\(flags)")
            }
        }
        #expect(h.box("ps", "-aq").stdout == "")
        #expect(h.box("volume", "ls", "-q").stdout == "")
        #expect((try? Files.list(h.root + "/volumes")) ?? [] == [])
    }
}
