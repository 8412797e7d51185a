#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

private let skopeo = ["/usr/bin/skopeo"].first { Files.exists($0) }

/// The registry fixtures (Fixtures/registry) work, checked with skopeo: each mode of the reference
/// registry takes a push and gives it back, and the fake one serves or fails as asked.
/// None of this needs the box binary.
@Suite(.enabled(if: TestSupport.isRoot, "needs root"),
       .enabled(if: TestSupport.fixturesBuilt, "fixtures not built: run `make fixtures`"),
       .enabled(if: skopeo != nil, "skopeo is not installed (apt-get install skopeo)"),
       .serialized)
struct RegistryFixtureTests {
    /// The demo image as skopeo names it: the index's ref.name annotation is the tag alone.
    static let source = "oci-archive:\(TestSupport.fixture("box-demo.oci.tar")):latest"

    /// The manifest digest of `box-demo:latest` in the archive.
    static let digest: String = {
        let r = skopeoRun(["inspect", "--format", "{{.Digest}}", source], dir: "/tmp")
        return r.stdout.split(separator: "\n").first.map(String.init) ?? "?"
    }()

    /// `skopeo ARGS…` with no policy file, no shared auth file, and a time limit.
    @discardableResult
    static func skopeoRun(_ args: [String], dir: String) -> TestSupport.Result {
        TestSupport.run([skopeo!, "--insecure-policy", "--command-timeout", "20s"] + args,
                        env: ["REGISTRY_AUTH_FILE": dir + "/auth.json"])
    }

    /// Docker's reference registry in each of serve.py's modes.
    @Suite(.enabled(if: TestRegistry.registryInstalled,
                    "docker-registry is not installed (apt-get install docker-registry)"),
           .serialized)
    struct Reference {
        func start(_ mode: String, _ dir: String) throws -> TestRegistry {
            try #require(TestRegistry.start(mode: mode, dir: dir),
                         "\(TestRegistry.lastSkipReason ?? TestRegistry.lastFailure ?? "")")
        }

        func pushAndInspect(_ reg: TestRegistry, dir: String, dest: [String], src: [String]) {
            let ref = "docker://\(reg.host)/test/demo:latest"
            let copy = skopeoRun(["copy", "-q"] + dest + [source, ref], dir: dir)
            #expect(copy.status == 0, "\(copy.stderr)\n\(reg.log)")
            let inspect = skopeoRun(["inspect", "--format", "{{.Digest}}"] + src + [ref], dir: dir)
            #expect(inspect.status == 0, "\(inspect.stderr)\n\(reg.log)")
            #expect(inspect.stdout == digest + "\n")
        }

        @Test func plain() throws {
            let dir = TestSupport.tempDir("box-reg")
            defer { TestSupport.removeTree(dir) }
            let reg = try start("plain", dir)
            defer { reg.stop() }
            #expect(reg.host.hasPrefix("127.0.0.1:") && reg.scheme == "http" && reg.certDir == nil)
            #expect(reg.pid > 0 && kill(reg.pid, 0) == 0)
            pushAndInspect(reg, dir: dir, dest: ["--dest-tls-verify=false"], src: ["--tls-verify=false"])
            reg.stop()
            #expect(kill(reg.pid, 0) != 0, "the registry outlived stop()")
        }

        @Test func tls() throws {
            let dir = TestSupport.tempDir("box-reg")
            defer { TestSupport.removeTree(dir) }
            let reg = try start("tls", dir)
            defer { reg.stop() }
            let certs = try #require(reg.certDir)
            #expect(reg.scheme == "https" && certs == dir + "/certs")
            #expect((try? Files.list(certs)) == ["ca.crt"])
            pushAndInspect(reg, dir: dir, dest: ["--dest-cert-dir", certs], src: ["--cert-dir", certs])
            // without the CA the certificate is not trusted
            let untrusted = skopeoRun(["inspect", "docker://\(reg.host)/test/demo:latest"], dir: dir)
            #expect(untrusted.status != 0)
            #expect(untrusted.stderr.contains("certificate"), "\(untrusted.stderr)")
        }

        @Test func htpasswd() throws {
            let dir = TestSupport.tempDir("box-reg")
            defer { TestSupport.removeTree(dir) }
            let reg = try start("htpasswd", dir)
            defer { reg.stop() }
            #expect(reg.user == "boxuser" && reg.password == "boxpass")
            let creds = "\(reg.user!):\(reg.password!)"
            pushAndInspect(reg, dir: dir, dest: ["--dest-tls-verify=false", "--dest-creds", creds],
                           src: ["--tls-verify=false", "--creds", creds])
            let ref = "docker://\(reg.host)/test/demo:latest"
            #expect(skopeoRun(["inspect", "--tls-verify=false", ref], dir: dir).status != 0, "anonymous read")
            let wrong = skopeoRun(["inspect", "--tls-verify=false", "--creds", "boxuser:nope", ref], dir: dir)
            #expect(wrong.status != 0, "wrong password")
        }

        @Test func token() throws {
            let dir = TestSupport.tempDir("box-reg")
            defer { TestSupport.removeTree(dir) }
            let reg = try start("token", dir)
            defer { reg.stop() }
            #expect(reg.tokenRealm?.hasPrefix("http://127.0.0.1:") == true)
            let creds = "\(reg.user!):\(reg.password!)"
            pushAndInspect(reg, dir: dir, dest: ["--dest-tls-verify=false", "--dest-creds", creds],
                           src: ["--tls-verify=false", "--creds", creds])
            // anonymous: pull only
            let ref = "docker://\(reg.host)/test/demo:latest"
            let anon = skopeoRun(["inspect", "--tls-verify=false", "--format", "{{.Digest}}", ref], dir: dir)
            #expect(anon.status == 0 && anon.stdout == digest + "\n", "\(anon.stderr)")
            let anonPush = skopeoRun(["copy", "-q", "--dest-tls-verify=false", source,
                                      "docker://\(reg.host)/test/anon:latest"], dir: dir)
            #expect(anonPush.status != 0, "anonymous push")
            // wrong password: the token server answers 401
            let wrong = skopeoRun(["copy", "-q", "--dest-tls-verify=false", "--dest-creds", "boxuser:nope", source,
                                   "docker://\(reg.host)/test/other:latest"], dir: dir)
            #expect(wrong.status != 0)
            #expect(wrong.stderr.contains("unauthorized") || wrong.stderr.contains("401"), "\(wrong.stderr)")
            let tokenLog = (try? Files.read(dir + "/token.log")).map { String(decoding: $0, as: UTF8.self) } ?? ""
            #expect(tokenLog.contains("\"status\": 401"))
        }
    }

    /// faulty.py: a correct answer with no fault, and failures a client notices.
    @Suite(.serialized)
    struct Faulty {
        static let archive = TestSupport.fixture("box-demo.oci.tar")

        func start(_ fault: String) throws -> TestRegistry {
            try #require(TestRegistry.faulty(oci: Self.archive, fault: fault),
                         "\(TestRegistry.lastSkipReason ?? TestRegistry.lastFailure ?? "")")
        }

        @Test func noFaultServesTheImage() throws {
            let reg = try start("none")
            defer { reg.stop() }
            #expect(reg.pid > 0)
            let ref = "docker://\(reg.host)/test/demo:latest"
            let r = skopeoRun(["inspect", "--tls-verify=false", "--format", "{{.Digest}}", ref], dir: reg.dir)
            #expect(r.status == 0 && r.stdout == digest + "\n", "\(r.stderr)\n\(reg.log)")
            let dir = TestSupport.tempDir("box-faulty-copy")
            defer { TestSupport.removeTree(dir) }
            let copy = skopeoRun(["copy", "-q", "--src-tls-verify=false", ref, "oci:\(dir)/img:latest"], dir: dir)
            #expect(copy.status == 0, "\(copy.stderr)\n\(reg.log)")
        }

        /// Faults in what `skopeo inspect` reads: the manifest, or every answer.
        @Test(arguments: ["status-404", "status-401", "status-500", "media-type", "manifest-large", "manifest-not-json"])
        func inspectFails(fault: String) throws {
            let reg = try start(fault)
            defer { reg.stop() }
            let r = skopeoRun(["inspect", "--tls-verify=false", "docker://\(reg.host)/test/demo:latest"], dir: reg.dir)
            #expect(r.status != 0, "\(fault): \(r.stdout)")
        }

        /// Faults in layer blobs: the manifest is fine, the copy is not.
        @Test(arguments: ["blob-digest", "cut-blob"])
        func copyFails(fault: String) throws {
            let reg = try start(fault)
            defer { reg.stop() }
            let ref = "docker://\(reg.host)/test/demo:latest"
            #expect(skopeoRun(["inspect", "--tls-verify=false", ref], dir: reg.dir).status == 0, "\(reg.log)")
            let dir = TestSupport.tempDir("box-faulty-copy")
            defer { TestSupport.removeTree(dir) }
            let copy = skopeoRun(["copy", "-q", "--src-tls-verify=false", ref, "oci:\(dir)/img:latest"], dir: dir)
            #expect(copy.status != 0, "\(fault)")
        }
    }
}
