#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

/// A fresh name for a volume or container.
func uniq(_ tag: String) -> String { "\(tag)-\(UInt32.random(in: 0...UInt32.max))" }

/// The first line of a command's output.
func line(_ r: TestSupport.Result) -> String { r.stdout.split(separator: "\n").first.map(String.init) ?? "" }

@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct VolumeTests {
    let h = Harness.shared

    @Test func namedVolumeWrittenByOneContainerIsReadByAnother() throws {
        let v = uniq("vol")
        defer { h.box("volume", "rm", "-f", v) }
        #expect(h.sh("echo hello > /data/f", flags: ["-v", "\(v):/data"]).status == 0)
        #expect(h.sh("cat /x/f", flags: ["-v", "\(v):/x"]).stdout == "hello\n")
        // the data is a directory of the root, and it outlives the containers
        let mp = h.root + "/volumes/\(v)/_data"
        #expect(h.box("volume", "inspect", "-f", "{{.Mountpoint}} {{.Driver}} {{.Scope}}", v).stdout == "\(mp) local local\n")
        #expect(String(decoding: try Files.read(mp + "/f"), as: UTF8.self) == "hello\n")
        #expect(h.box("volume", "ls", "-q", "--filter", "name=\(v)").stdout == "\(v)\n")
        #expect(h.box("volume", "exists", v).status == 0)
        #expect(h.box("volume", "exists", v + "-nope").status == 1)
    }

    @Test func inspectAndPsShowTheMounts() {
        let v = uniq("vol"), c = uniq("c")
        let dir = TestSupport.tempDir()
        defer { h.box("rm", "-f", c); h.box("volume", "rm", "-f", v); TestSupport.removeTree(dir) }
        #expect(h.box("create", "--name", c, "-v", "\(v):/data", "-v", "/anon", "-v", "\(dir):/host:ro",
                      "--mount", "type=tmpfs,dst=/t,tmpfs-size=1m", "box-demo").status == 0)
        let mounts = h.box("inspect", "-f", "{{json .Mounts}}", c).stdout
        let anon = line(h.box("inspect", "-f", "{{range .Mounts}}{{if eq .Destination \"/anon\"}}{{.Name}}{{end}}{{end}}", c))
        #expect(anon.count == 64 && anon.allSatisfy(\.isHexDigit))
        #expect(mounts == "[" + [
            "{\"Type\":\"volume\",\"Name\":\"\(anon)\",\"Source\":\"\(h.root)/volumes/\(anon)/_data\",\"Destination\":\"/anon\",\"Driver\":\"local\",\"Mode\":\"\",\"RW\":true,\"Propagation\":\"\"}",
            "{\"Type\":\"volume\",\"Name\":\"\(v)\",\"Source\":\"\(h.root)/volumes/\(v)/_data\",\"Destination\":\"/data\",\"Driver\":\"local\",\"Mode\":\"z\",\"RW\":true,\"Propagation\":\"\"}",
            "{\"Type\":\"bind\",\"Source\":\"\(dir)\",\"Destination\":\"/host\",\"Mode\":\"ro\",\"RW\":false,\"Propagation\":\"rprivate\"}",
            "{\"Type\":\"tmpfs\",\"Source\":\"\",\"Destination\":\"/t\",\"Mode\":\"\",\"RW\":true,\"Propagation\":\"\"}",
        ].joined(separator: ",") + "]\n")
        #expect(h.box("inspect", "-f", "{{json .HostConfig.Binds}} {{json .Config.Volumes}}", c).stdout
            == "[\"\(dir):/host:ro\",\"\(v):/data\"] {\"/anon\":{}}\n")
        #expect(h.box("inspect", "-f", "{{json .HostConfig.Mounts}}", c).stdout == "[{\"Type\":\"tmpfs\",\"Target\":\"/t\",\"TmpfsOptions\":{\"SizeBytes\":1048576}}]\n")
        let ps = h.box("ps", "-a", "--format", "{{.Names}} {{.Mounts}}").stdout.split(separator: "\n").first { $0.hasPrefix(c + " ") }
        #expect(ps.map { $0 + "\n" } == "\(c) \(anon.prefix(14))…,\(v.count > 15 ? String(v.prefix(14)) + "…" : v),\(dir.count > 15 ? String(dir.prefix(14)) + "…" : dir),\n")
        // the volumes exist from `create` on, before any start
        #expect(Files.isDirectory(h.root + "/volumes/\(v)/_data") && Files.isDirectory(h.root + "/volumes/\(anon)/_data"))
    }

    @Test func anonymousVolumesAndRmDashV() {
        let c = uniq("c"), named = uniq("keep")
        defer { h.box("rm", "-f", c); h.box("volume", "rm", "-f", named) }
        #expect(h.box("run", "--name", c, "-v", "/anon", "-v", "\(named):/named", "box-demo", "sh", "-c", "echo a > /anon/f").status == 0)
        let anon = line(h.box("inspect", "-f", "{{range .Mounts}}{{if eq .Destination \"/anon\"}}{{.Name}}{{end}}{{end}}", c))
        #expect(h.box("volume", "inspect", "-f", "{{json .Labels}}", anon).stdout == "{\"com.docker.volume.anonymous\":\"\"}\n")
        // rm without -v keeps every volume
        let c2 = uniq("c")
        defer { h.box("rm", "-f", c2) }
        #expect(h.box("create", "--name", c2, "-v", "\(anon):/again", "box-demo").status == 0)
        #expect(h.box("rm", c).status == 0)
        #expect(h.box("volume", "exists", anon).status == 0)
        #expect(h.box("run", "--rm", "-v", "\(anon):/d", "box-demo", "cat", "/d/f").stdout == "a\n")
        // rm -v removes the container's anonymous volumes and nothing else
        let c3 = uniq("c")
        #expect(h.box("create", "--name", c3, "-v", "/anon3", "-v", "\(named):/named", "box-demo").status == 0)
        let anon3 = line(h.box("inspect", "-f", "{{range .Mounts}}{{if eq .Destination \"/anon3\"}}{{.Name}}{{end}}{{end}}", c3))
        #expect(h.box("rm", "-v", c3).stdout == c3 + "\n")
        #expect(h.box("volume", "exists", anon3).status == 1)
        #expect(h.box("volume", "exists", named).status == 0)
        // run --rm removes its anonymous volumes too; the image's VOLUME included
        // (other tests make volumes in the shared root meanwhile: the run names its own, from its mount table)
        let r = h.box("run", "--rm", "-v", "/scratch", VolumeImage.tag, "sh", "-c",
                      "ls /data >/dev/null; touch /scratch/x; grep -o 'volumes/[0-9a-f]*/_data' /proc/self/mountinfo")
        #expect(r.status == 0)
        let made = r.stdout.split(separator: "\n").map { $0.split(separator: "/")[1] }
        #expect(made.count == 2, "\(r.stdout)")
        for v in made { #expect(h.box("volume", "exists", String(v)).status == 1) }
    }

    @Test func readOnlyVolumes() {
        let v = uniq("vol")
        defer { h.box("volume", "rm", "-f", v) }
        let r = h.sh("touch /d/x 2>/dev/null || echo refused; grep ' /d ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1",
                     flags: ["-v", "\(v):/d:ro"])
        #expect(r.stdout == "refused\nro\n")
        let m = h.sh("touch /d/x 2>/dev/null || echo refused", flags: ["--mount", "source=\(v),target=/d,readonly"])
        #expect(m.stdout == "refused\n")
        #expect(h.box("volume", "inspect", "-f", "{{.Name}}", v).stdout == "\(v)\n")
    }

    @Test func tmpfsThroughMount() {
        let r = h.sh("grep ' /t ' /proc/mounts; stat -c %a /t; touch /t/ok && echo ok",
                     flags: ["--mount", "type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=1770"])
        #expect(r.stdout.hasPrefix("tmpfs /t tmpfs rw,nosuid,nodev,noexec,"))
        #expect(r.stdout.contains("size=1024k") && r.stdout.contains("mode=1770"))
        #expect(r.stdout.hasSuffix("\n1770\nok\n"))
    }

    @Test func volumesFromCopiesVolumesAndBinds() throws {
        let src = uniq("src"), v = uniq("vol")
        let dir = TestSupport.tempDir()
        defer { h.box("rm", "-f", src); h.box("volume", "rm", "-f", v); TestSupport.removeTree(dir) }
        try Files.write(dir + "/h", Array("host\n".utf8))
        #expect(h.box("run", "--name", src, "-v", "\(v):/named", "-v", "/anon", "-v", "\(dir):/bind",
                      "box-demo", "sh", "-c", "echo n > /named/f; echo a > /anon/f").status == 0)
        let rw = h.sh("cat /named/f /anon/f /bind/h; echo more > /named/g && echo wrote", flags: ["--volumes-from", src])
        #expect(rw.stdout == "n\na\nhost\nwrote\n")
        let ro = h.sh("cat /anon/f; touch /named/x 2>/dev/null || echo refused; touch /bind/x 2>/dev/null || echo refused",
                      flags: ["--volumes-from", "\(src):ro"])
        #expect(ro.stdout == "a\nrefused\nrefused\n")
        // a -v at the same place wins over --volumes-from
        let over = h.sh("ls /named", flags: ["--volumes-from", src, "-v", "/named"])
        #expect(over.stdout == "")
        // the anonymous volume is shared: it is in use while src exists, and a --rm user leaves it
        let anon = line(h.box("inspect", "-f", "{{range .Mounts}}{{if eq .Destination \"/anon\"}}{{.Name}}{{end}}{{end}}", src))
        #expect(h.box("volume", "exists", anon).status == 0)
        let missing = h.box("run", "--rm", "--volumes-from", "nope-\(src)", "box-demo", "true")
        #expect(missing.status == 125 && missing.stderr == "Error: no such container: nope-\(src)\n")
    }

    @Test func volumeRmIsRefusedWhileAContainerUsesIt() {
        let v = uniq("vol"), c = uniq("c")
        defer { h.box("rm", "-f", c); h.box("volume", "rm", "-f", v) }
        #expect(h.box("create", "--name", c, "-v", "\(v):/d", "box-demo").status == 0)
        let id = line(h.box("inspect", "-f", "{{.Id}}", c))
        for args in [["volume", "rm", v], ["volume", "rm", "-f", v]] {
            let r = h.box(args)
            #expect(r.status == 125)
            #expect(r.stderr == "Error: remove \(v): volume is in use - [\(id)]\n")
            #expect(r.stdout == "")
        }
        #expect(h.box("rm", c).status == 0)
        #expect(h.box("volume", "rm", v).stdout == "\(v)\n")
        #expect(!Files.exists(h.root + "/volumes/\(v)"))
        let gone = h.box("volume", "rm", v)
        #expect(gone.status == 125 && gone.stderr == "Error: get \(v): no such volume\n")
        #expect(h.box("volume", "rm", "-f", v).status == 0)
    }

    @Test func volumeCreateLsInspect() {
        let v = uniq("vol")
        defer { h.box("volume", "rm", "-f", v) }
        #expect(h.box("volume", "create", "--label", "a=b", "--label", "c", v).stdout == "\(v)\n")
        // creating it again returns the same volume
        #expect(h.box("volume", "create", v).stdout == "\(v)\n")
        #expect(h.box("volume", "inspect", "-f", "{{.Labels.a}}|{{.Labels.c}}|{{len .Labels}} {{json .Options}} {{.Name}}", v).stdout == "b||2 {} \(v)\n")
        let table = h.box("volume", "ls", "--filter", "name=\(v)").stdout
        #expect(table == "DRIVER    VOLUME NAME\nlocal     \(v)\n")
        #expect(h.box("volume", "ls", "--filter", "label=a=b", "--format", "{{.Name}} {{.Labels}}").stdout.contains("\(v) a=b,c=\n"))
        let json = h.box("volume", "inspect", v).stdout
        #expect(json.hasPrefix("[\n  {\n") && json.contains("\"Mountpoint\" : \"\(h.root)/volumes/\(v)/_data\""))
        let anon = h.box("volume", "create")
        #expect(line(anon).count == 64)
        h.box("volume", "rm", line(anon))
        let bad = h.box("volume", "create", "-d", "nfs", "x1")
        #expect(bad.status == 125 && bad.stderr == "Error: create x1: error looking up volume plugin nfs: plugin \"nfs\" not found\n")
        let badOpt = h.box("volume", "create", "--opt", "size=1g", uniq("o"))
        #expect(badOpt.status == 125 && badOpt.stderr.hasSuffix("invalid option key: \"size\"\n"))
    }

    @Test func concurrentRunsOfOneNewVolumeDoNotRace() {
        let v = uniq("vol")
        defer { h.box("volume", "rm", "-f", v) }
        let bin = TestSupport.boxBinary
        let script = (0..<6).map { i in
            "'\(bin)' --root '\(h.root)' run --rm -v \(v):/data \(VolumeImage.tag) sh -c 'cat /data/sub/f' > /tmp/\(v)-\(i) 2>&1 &"
        }.joined(separator: "\n") + "\nwait\ncat /tmp/\(v)-*; rm -f /tmp/\(v)-*"
        let r = TestSupport.run(["/bin/sh", "-c", script])
        #expect(r.stdout == String(repeating: "secret\n", count: 6))
    }
}
