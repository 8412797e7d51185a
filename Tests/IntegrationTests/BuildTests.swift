#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

/// `box build`: the fixtures under Fixtures/build built against the busybox test image, run, inspected, rebuilt.
@Suite(.enabled(if: Host.canRun, "needs root, the built binary and the fixtures (make fixtures)"))
struct BuildTests {
    /// A copy of a fixture context that a test may change.
    static func context(_ name: String) -> String {
        let dir = TestSupport.tempDir("box-build-ctx")
        TestSupport.run(["/bin/cp", "-a", TestSupport.repoRoot + "/Fixtures/build/\(name)/.", dir])
        return dir
    }

    /// A new context directory holding only `dockerfile` as its Dockerfile.
    static func context(dockerfile: String) throws -> String {
        let dir = TestSupport.tempDir("box-build-ctx")
        try Files.write(dir + "/Dockerfile", Array(dockerfile.utf8))
        return dir
    }

    @Test func webImageBuildsRunsAndCaches() throws {
        let h = Harness()
        defer { h.cleanup() }
        let ctx = Self.context("web")
        defer { TestSupport.removeTree(ctx) }
        let first = h.box("build", "-t", "web:1", ctx)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("STEP 4/14: RUN mkdir -p /etc/httpd"))
        #expect(first.stdout.contains("COMMIT web:1"))
        let id = String(first.stdout.split(separator: "\n").last ?? "")
        #expect(id.count == 64)
        let run = h.box("run", "--rm", "web:1")
        #expect(run.stdout == "<h1>box web</h1>\nListen 8080\nExtraConf on\n", "\(run.stderr)")
        // .dockerignore: *.md left out, the exception kept
        let ls = h.box("run", "--rm", "--entrypoint", "ls", "web:1", "/var/www/html")
        #expect(ls.stdout.split(separator: "\n").sorted() == ["about.html", "index.html", "keep.md"])
        let cfg = h.box("image", "inspect", "--format",
                        "{{.Config.WorkingDir}} {{.Config.User}} {{json .Config.Volumes}} {{.Config.StopSignal}} {{json .Config.Healthcheck.Test}} {{index .Config.Labels \"org.example.role\"}}",
                        "web:1")
        #expect(cfg.stdout == "/var/www/html 0:0 {\"/var/log/httpd\":{}} SIGWINCH [\"CMD-SHELL\",\"test -f /var/www/html/index.html\"] web\n", "\(cfg.stderr)")
        let ports = h.box("image", "inspect", "--format", "{{json .Config.ExposedPorts}}", "web:1").stdout
        #expect(ports.contains("\"8080/tcp\":{}") && ports.contains("\"8443/tcp\":{}") && ports.ranges(of: "/tcp").count == 2)
        let hist = h.box("history", "--no-trunc", "--format", "{{.CreatedBy}}", "web:1").stdout
        #expect(hist.contains("/bin/sh -c mkdir -p /etc/httpd && echo \"Listen ${PORT}\" > /etc/httpd/httpd.conf"))
        #expect(hist.contains("#(nop) EXPOSE 8080 8443/tcp"))
        // a full rebuild runs nothing and gives the same image
        let again = h.box("build", "-t", "web:1", ctx)
        #expect(again.stdout.ranges(of: "--> Using cache").count == 13, "\(again.stdout)")
        #expect(again.stdout.hasSuffix(id + "\n"))
        // one page edited: only the COPY of the site and what follows run again
        try Files.write(ctx + "/site/index.html", Array("<h1>changed</h1>\n".utf8))
        let edited = h.box("build", "-t", "web:2", ctx)
        #expect(edited.stdout.ranges(of: "--> Using cache").count == 5, "\(edited.stdout)")
        #expect(h.box("run", "--rm", "web:2").stdout.hasPrefix("<h1>changed</h1>\n"))
        // --no-cache runs every step again
        let fresh = h.box("build", "--no-cache", "-q", ctx)
        #expect(fresh.stdout.ranges(of: "Using cache").count == 0)
        #expect(fresh.stdout.count == 65)
    }

    @Test func multiStageBuildsOnlyWhatTheTargetNeeds() throws {
        let h = Harness()
        defer { h.cleanup() }
        let ctx = TestSupport.repoRoot + "/Fixtures/build/multi"
        let r = h.box("build", "-t", "multi", ctx)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stdout.contains("SHOULD-NOT-RUN"))
        #expect(r.stdout.contains("[2/2] STEP 1/6: FROM box-demo AS final"))
        #expect(h.box("run", "--rm", "multi").stdout == "app 1.0\nbuilt from the builder stage\nheredoc script ran\n")
        let owners = h.box("run", "--rm", "--entrypoint", "stat", "multi", "-c", "%u:%g", "/copies/app")
        #expect(owners.stdout == "1000:1000\n")
        // the final image holds the artifact, not the builder's megabyte
        let size = h.box("image", "inspect", "--format", "{{.Size}}", "multi").stdout
        #expect((Int(size.trimmingCharacters) ?? .max) < 2_300_000)
        let builder = h.box("build", "-q", "--target", "builder", "--build-arg", "VERSION=2", ctx)
        #expect(builder.status == 0, "\(builder.stderr)")
        #expect(h.box("run", "--rm", builder.stdout.trimmingCharacters, "cat", "/out/app").stdout == "app 2\n")
    }

    @Test func shellIsKeptInTheConfigAndUsedByChildBuilds() throws {
        let h = Harness()
        defer { h.cleanup() }
        // `sh -x` traces each command on stderr: which shell ran a step is visible in the build's output
        let ctx = try Self.context(dockerfile: "FROM box-demo\nSHELL [\"/bin/sh\", \"-xc\"]\nRUN echo parent > /p\nCMD echo cmd\n")
        defer { TestSupport.removeTree(ctx) }
        let parent = h.box("build", "-t", "shell-parent", ctx)
        #expect(parent.status == 0, "\(parent.stderr)")
        #expect(parent.stderr.contains("+ echo parent"), "\(parent.stderr)")
        let fmt = "{{json .Config.Shell}} {{json .Config.Cmd}} {{json .Config.Entrypoint}}"
        #expect(h.box("image", "inspect", "--format", fmt, "shell-parent").stdout == "[\"/bin/sh\",\"-xc\"] [\"/bin/sh\",\"-xc\",\"echo cmd\"] null\n")
        #expect(h.box("image", "inspect", "--format", "{{json .Config.Shell}}", "box-demo").stdout == "null\n")
        // a child build runs its shell forms through the base image's Shell, and keeps it
        try Files.write(ctx + "/Dockerfile", Array("FROM shell-parent\nRUN echo child > /c\nENTRYPOINT echo ep\n".utf8))
        let child = h.box("build", "-t", "shell-child", ctx)
        #expect(child.status == 0, "\(child.stderr)")
        #expect(child.stderr.contains("+ echo child"), "\(child.stderr)")
        #expect(h.box("image", "inspect", "--format", fmt, "shell-child").stdout == "[\"/bin/sh\",\"-xc\"] null [\"/bin/sh\",\"-xc\",\"echo ep\"]\n")
        let hist = h.box("history", "--no-trunc", "--format", "{{.CreatedBy}}", "shell-child").stdout
        #expect(hist.contains("/bin/sh -xc echo child > /c"), "\(hist)")
        let run = h.box("run", "--rm", "shell-child")
        #expect(run.stdout == "ep\n" && run.stderr.contains("+ echo ep"), "\(run.stderr)")
    }

    @Test func failingRunLeavesNothing() throws {
        let h = Harness()
        defer { h.cleanup() }
        let ctx = try Self.context(dockerfile: "FROM box-demo\nRUN echo partial > /p\nRUN echo before; exit 3\n")
        defer { TestSupport.removeTree(ctx) }
        let before = h.box("images", "-q").stdout
        let r = h.box("build", "-t", "broken", ctx)
        #expect(r.status == 3)
        #expect(r.stdout.contains("before\n"))
        #expect(r.stderr == "Error: building at STEP \"RUN echo before; exit 3\": while running runtime: exit status 3\n")
        #expect(h.box("images", "-q").stdout == before)
        #expect(h.box("ps", "-aq").stdout.isEmpty)
        #expect(try Files.list(h.root + "/tmp").filter { $0.hasPrefix("build-") }.isEmpty)
        #expect(try Files.list(h.root + "/containers").filter { $0 != "names" }.isEmpty)
    }

    @Test(arguments: [
        ("FROM box-demo\nFROOM x\n", [String](), "Dockerfile:2: unknown instruction: FROOM"),
        ("RUN true\n", [], "no FROM statement found"),
        ("FROM box-demo\nCOPY ../outside /x\n", [], "forbidden path outside the build context: ../outside"),
        ("FROM box-demo\nCOPY missing.txt /x\n", [], "file not found in build context"),
        ("FROM box-demo\nCOPY --from=nostage /a /a\n", [], "COPY --from=nostage"),
        ("FROM box-demo\nRUN true\n", ["--build-arg", "=v"], "invalid build arg"),
        ("FROM box-demo\nRUN true\n", ["--target", "nope"], "failed to reach build target nope"),
        ("FROM box-demo\nENV \"A=b\n", [], "unexpected end of statement"),
        ("FROM box-demo\nRUN --mount=type=secret,id=x,target=/s true\n", [], "not supported"),
        ("FROM box-demo\nADD http://192.0.2.1/file /f\n", [], "ADD failed: download http://192.0.2.1/file"),
        ("FROM box-demo\nADD --checksum=sha256:\(String(repeating: "0", count: 64)) Dockerfile /d\n", [],
         "Dockerfile:2: ADD --checksum needs exactly one source, an http(s) URL"),
        ("FROM box-demo\nADD --checksum=md5:x http://192.0.2.1/file /f\n", [], "Dockerfile:2: invalid digest \"md5:x\""),
    ])
    func badInput(dockerfile: String, flags: [String], message: String) throws {
        let h = Harness.shared
        let ctx = try Self.context(dockerfile: dockerfile)
        defer { TestSupport.removeTree(ctx) }
        let r = h.box(["build"] + flags + [ctx])
        #expect(r.status == 125)
        #expect(r.stderr.hasPrefix("Error: ") && r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func stdinTarContextQuietAndIidfile() throws {
        let h = Harness.shared
        let ctx = try Self.context(dockerfile: "FROM box-demo\nCOPY hello.txt /\nCMD [\"cat\", \"/hello.txt\"]\n")
        defer { TestSupport.removeTree(ctx) }
        try Files.write(ctx + "/hello.txt", Array("from a tar context\n".utf8))
        let tar = ctx + "/ctx.tar"
        TestSupport.run(["/bin/tar", "-cf", tar, "-C", ctx, "Dockerfile", "hello.txt"])
        let iid = ctx + "/iid"
        let r = TestSupport.run(["/bin/sh", "-c", "'\(TestSupport.boxBinary)' --root '\(h.root)' build -q --iidfile '\(iid)' -t stdin-ctx - < '\(tar)'"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.count == 65)
        #expect(String(decoding: try Files.read(iid), as: UTF8.self) == "sha256:" + r.stdout.trimmingCharacters)
        #expect(h.box("run", "--rm", "stdin-ctx").stdout == "from a tar context\n")
    }
}
