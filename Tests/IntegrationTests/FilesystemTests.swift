import BoxCore
import BoxTestSupport
import Testing

@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct FilesystemTests {
    let h = Harness.shared

    @Test func bindMountsAndReadOnly() throws {
        let dir = TestSupport.tempDir()
        defer { TestSupport.removeTree(dir) }
        try Files.write(dir + "/in.txt", Array("from host\n".utf8))
        let rw = h.sh("cat /data/in.txt; echo written > /data/out.txt", flags: ["-v", "\(dir):/data"])
        #expect(rw.stdout == "from host\n")
        #expect(String(decoding: try Files.read(dir + "/out.txt"), as: UTF8.self) == "written\n")
        let ro = h.sh("echo x > /data/nope.txt || echo refused", flags: ["-v", "\(dir):/data:ro"])
        #expect(ro.stdout == "refused\n")
        #expect(!Files.exists(dir + "/nope.txt"))
        let mount = h.sh("cat /m/in.txt; touch /m/x 2>/dev/null || echo refused",
                         flags: ["--mount", "type=bind,source=\(dir),target=/m,readonly"])
        #expect(mount.stdout == "from host\nrefused\n")
        let file = h.sh("cat /etc/single", flags: ["-v", "\(dir)/in.txt:/etc/single:ro"])
        #expect(file.stdout == "from host\n")
    }

    @Test func readOnlyRootAndTmpfs() {
        let r = h.sh("touch /srv/x 2>/dev/null || echo refused; touch /scratch/ok && echo tmpfs-ok",
                     flags: ["--read-only", "--tmpfs", "/scratch"])
        #expect(r.stdout == "refused\ntmpfs-ok\n")
    }

    @Test func containersDoNotSeeEachOthersWritesAndTheImageStaysClean() {
        let a = "fs-a-\(UInt32.random(in: 0...UInt32.max))", b = "fs-b-\(UInt32.random(in: 0...UInt32.max))"
        defer { h.box("rm", "-f", a, b) }
        #expect(h.box("run", "--name", a, "box-demo", "sh", "-c", "echo A > /srv/hello.txt; rm /etc/passwd; touch /new-a").status == 0)
        let seen = h.box("run", "--name", b, "box-demo", "sh", "-c", "cat /srv/hello.txt; ls /new-a 2>&1; grep -c app /etc/passwd")
        #expect(seen.stdout == "hello\nls: /new-a: No such file or directory\n1\n")
        #expect(h.sh("cat /srv/hello.txt").stdout == "hello\n")
        // the whited-out and opaque paths of the image's second layer
        #expect(h.sh("ls /etc/obsolete.txt 2>/dev/null; ls /opt/data").stdout == "c.txt\n")
    }

    @Test func rmLeavesNothingBehind() {
        let name = "leak-\(UInt32.random(in: 0...UInt32.max))"
        #expect(h.box("run", "--name", name, "box-demo", "true").status == 0)
        let id = h.box("inspect", "-f", "{{.Id}}", name).stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(id.count == 64)
        #expect(Files.exists(h.root + "/containers/" + id))
        #expect(h.box("rm", name).stdout == name + "\n")
        #expect(!Files.exists(h.root + "/containers/" + id))
        #expect(!Files.exists(h.root + "/run/containers/" + id))
        #expect(!Files.exists(h.root + "/containers/names/" + name))
        #expect(Host.mounts(containing: id).isEmpty)
        #expect(Host.cgroupDirs(id).isEmpty)
    }

    @Test func autoRemoveAndFailuresLeaveNothing() throws {
        let own = Harness()
        defer { own.cleanup() }
        #expect(own.box("run", "--rm", "box-demo", "true").status == 0)
        #expect(own.box("run", "--rm", "box-demo", "no-such-cmd").status == 127)
        #expect(own.box("run", "box-demo", "no-such-cmd").status == 127)
        #expect(own.box("run", "-v", "/no/such/dir:/x", "box-demo", "true").status == 125)
        #expect(own.box("run", "-u", "nobody-here", "box-demo", "true").status == 125)
        // a mount that fails inside the new namespaces, after clone: the child reports it, box cleans up
        let mountFails = own.box("run", "--tmpfs", "/x:size=bogus", "box-demo", "true")
        #expect(mountFails.status == 125)
        #expect(mountFails.stderr == "Error: mount on /x: invalid argument\n")
        // no container directory and no name left: only the (empty) names directory
        #expect(try Files.list(own.root + "/containers") == ["names"])
        #expect(try Files.list(own.root + "/containers/names").isEmpty)
        #expect(try Files.list(own.root + "/run/containers").isEmpty)
        #expect(own.box("ps", "-aq").stdout == "")
        #expect(Host.mounts(containing: own.root).isEmpty)
        let cg = TestSupport.run(["/usr/bin/find", "/sys/fs/cgroup", "-maxdepth", "3", "-path", "*/box/*"]).stdout
        let ours = try Files.list(own.root + "/containers")
        #expect(ours.allSatisfy { !cg.contains($0) })
    }

    @Test func twentyParallelRunsAllSucceedWithUniqueNames() async {
        let own = Harness()
        defer { own.cleanup() }
        let results = await withTaskGroup(of: (Int, TestSupport.Result).self) { group in
            for i in 0..<20 {
                group.addTask { (i, own.box("run", "--rm", "--name", "par-\(i % 10)-\(i)", "box-demo", "sh", "-c", "echo \(i)")) }
            }
            var out: [(Int, TestSupport.Result)] = []
            for await r in group { out.append(r) }
            return out
        }
        for (i, r) in results {
            #expect(r.status == 0, "run \(i): \(r.stderr)")
            #expect(r.stdout == "\(i)\n")
        }
        #expect(own.box("ps", "-aq").stdout == "")
        // the same name twice at once: exactly one wins
        let same = await withTaskGroup(of: Int32.self) { group in
            for _ in 0..<4 { group.addTask { own.box("run", "--name", "dup", "box-demo", "true").status } }
            var codes: [Int32] = []
            for await c in group { codes.append(c) }
            return codes
        }
        #expect(same.filter { $0 == 0 }.count == 1)
        #expect(same.filter { $0 == 125 }.count == 3)
    }
}
