#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

private let skopeoPath = ["/usr/bin/skopeo"].first { Files.exists($0) }

/// A fresh box root, for a pull to start from an empty store.
private final class EmptyRoot: Sendable {
    let harness = Harness(load: false)
    deinit { harness.cleanup() }
}

/// `box pull`, `box push`, `box login` and `run --pull` against Debian's reference registry in each mode
/// (plain HTTP, TLS with a private CA, htpasswd, bearer tokens). Images are put there with skopeo, so a pull
/// is checked against an independent client.
@Suite(.enabled(if: Host.canRun, "needs root, the fixtures and the built binary"),
       .enabled(if: TestRegistry.registryInstalled, "docker-registry is not installed (apt-get install docker-registry)"),
       .enabled(if: skopeoPath != nil, "skopeo is not installed (apt-get install skopeo)"),
       .serialized)
struct PullPushTests {
    static let archive = "oci-archive:\(TestSupport.fixture("box-demo.oci.tar")):latest"

    func registry(_ mode: String, _ dir: String) throws -> TestRegistry {
        try #require(TestRegistry.start(mode: mode, dir: dir), "\(TestRegistry.lastSkipReason ?? TestRegistry.lastFailure ?? "")")
    }

    @discardableResult
    func skopeo(_ args: [String], dir: String) -> TestSupport.Result {
        TestSupport.run([skopeoPath!, "--insecure-policy", "--command-timeout", "30s"] + args,
                        env: ["REGISTRY_AUTH_FILE": dir + "/skopeo-auth.json"])
    }

    /// Puts the demo image in the registry with skopeo; returns its manifest digest.
    func seed(_ reg: TestRegistry, _ dir: String, repo: String = "test/demo:latest", flags: [String] = ["--dest-tls-verify=false"]) throws -> String {
        let r = skopeo(["copy", "-q", "--digestfile", dir + "/digest"] + flags + [Self.archive, "docker://\(reg.host)/\(repo)"], dir: dir)
        try #require(r.status == 0, "\(r.stderr)")
        return String(decoding: try Files.read(dir + "/digest"), as: UTF8.self)
    }

    @Test func pullRunAndPullAgain() throws {
        let dir = TestSupport.tempDir("box-reg")
        defer { TestSupport.removeTree(dir) }
        let reg = try registry("plain", dir)
        defer { reg.stop() }
        let digest = try seed(reg, dir)
        let root = EmptyRoot()
        let ref = "\(reg.host)/test/demo:latest"
        let pull = root.harness.box("pull", ref)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stdout.contains("latest: Pulling from test/demo"))
        #expect(pull.stdout.contains(": Pull complete"))
        #expect(pull.stdout.contains("Digest: \(digest)"))
        #expect(pull.stdout.contains("Status: Downloaded newer image for \(ref)"))
        #expect(pull.stdout.hasSuffix("\n\(ref)\n"))
        let run = root.harness.box("run", "--rm", ref)
        #expect(run.status == 0 && run.stdout == "Hello from box! hello from box\n", "\(run.stderr)")
        // the second pull fetches nothing
        let again = root.harness.box("pull", ref)
        #expect(again.status == 0)
        #expect(again.stdout.contains("Already exists") && !again.stdout.contains("Pull complete"))
        #expect(again.stdout.contains("Status: Image is up to date for \(ref)"))
        // RepoDigests and --digests name the pulled manifest
        let inspect = root.harness.box("image", "inspect", "--format", "{{json .RepoDigests}}", ref)
        #expect(inspect.stdout == "[\"\(reg.host)/test/demo@\(digest)\"]\n", "\(inspect.stderr)")
        // -q prints the image ID only
        let quiet = root.harness.box("pull", "-q", ref)
        let id = root.harness.box("images", "-q", "--no-trunc", ref).stdout
        #expect(quiet.status == 0 && "sha256:" + quiet.stdout == id, "\(quiet.stdout) vs \(id)")
        // the store holds no staging left-overs
        #expect((try? Files.list(root.harness.root + "/tmp")) == [])
    }

    @Test func progressBarsOnATerminal() throws {
        let dir = TestSupport.tempDir("box-reg")
        defer { TestSupport.removeTree(dir) }
        let reg = try registry("plain", dir)
        defer { reg.stop() }
        _ = try seed(reg, dir)
        let root = EmptyRoot()
        // script(1) gives box a pseudo-terminal as stdout
        let cmd = "'\(TestSupport.boxBinary)' --root '\(root.harness.root)' pull \(reg.host)/test/demo"
        let r = TestSupport.run(["/usr/bin/script", "-qfec", cmd, "/dev/null"])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.contains("Downloading ["), "\(r.stdout)")
        #expect(r.stdout.contains("\u{1B}[2K"), "no line redraws on a terminal")
        #expect(r.stdout.contains("Pull complete"))
        // not a terminal: no bars, no escapes
        let plain = EmptyRoot().harness.box("pull", "\(reg.host)/test/demo")
        #expect(!plain.stdout.contains("Downloading") && !plain.stdout.contains("\u{1B}"))
    }

    @Test func pullByDigestAndRunPullPolicies() throws {
        let dir = TestSupport.tempDir("box-reg")
        defer { TestSupport.removeTree(dir) }
        let reg = try registry("plain", dir)
        defer { reg.stop() }
        let digest = try seed(reg, dir)
        let root = EmptyRoot()
        let byDigest = root.harness.box("pull", "\(reg.host)/test/demo@\(digest)")
        #expect(byDigest.status == 0, "\(byDigest.stderr)")
        #expect(root.harness.box("run", "--rm", "\(reg.host)/test/demo@\(digest)", "true").status == 0)
        // a wrong digest is not found
        let wrong = root.harness.box("pull", "\(reg.host)/test/demo@sha256:" + String(repeating: "0", count: 64))
        #expect(wrong.status == 125 && wrong.stderr.hasPrefix("Error: ") && wrong.stderr.split(separator: "\n").count == 1, "\(wrong.stderr)")

        // run --pull=never with a missing image fails; missing pulls it, with progress on stderr only
        let other = EmptyRoot()
        let never = other.harness.box("run", "--rm", "--pull", "never", "\(reg.host)/test/demo", "true")
        #expect(never.status == 125)
        let missing = other.harness.box("run", "--rm", "\(reg.host)/test/demo", "echo", "ran")
        #expect(missing.status == 0 && missing.stdout == "ran\n", "\(missing.stderr)")
        #expect(missing.stderr.hasPrefix("Unable to find image '\(reg.host)/test/demo:latest' locally\nlatest: Pulling from test/demo\n"), "\(missing.stderr)")
        let always = other.harness.box("run", "--rm", "--pull", "always", "\(reg.host)/test/demo", "echo", "again")
        #expect(always.status == 0 && always.stdout == "again\n")
        #expect(always.stderr.contains("Image is up to date"))
        let bad = other.harness.box("run", "--rm", "--pull", "sometimes", "\(reg.host)/test/demo", "true")
        #expect(bad.status == 125 && bad.stderr.contains("invalid pull policy"))
    }

    @Test func pushThenPullElsewhere() throws {
        let dir = TestSupport.tempDir("box-reg")
        defer { TestSupport.removeTree(dir) }
        let reg = try registry("plain", dir)
        defer { reg.stop() }
        let h = Harness.shared
        let dest = "\(reg.host)/pushed/demo:v1"
        let push = h.box("push", "box-demo:latest", dest)
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.stdout.hasPrefix("The push refers to repository [\(reg.host)/pushed/demo]\n"))
        #expect(push.stdout.contains(": Pushed"))
        #expect(push.stdout.contains("v1: digest: sha256:"))
        // skopeo reads back the same manifest digest
        let pushed = push.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let inspect = skopeo(["inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://\(dest)"], dir: dir)
        #expect(inspect.status == 0 && pushed.contains(inspect.stdout.trimmingCharacters), "\(inspect.stderr) \(pushed)")
        // pushing again sends nothing; to another repository the blobs are mounted
        let again = h.box("push", "box-demo:latest", dest)
        #expect(again.status == 0 && again.stdout.contains("Layer already exists") && !again.stdout.contains(": Pushed"))
        let mounted = h.box("push", "box-demo:latest", "\(reg.host)/other/demo:v1")
        #expect(mounted.status == 0 && mounted.stdout.contains("Mounted from pushed/demo"), "\(mounted.stdout)")
        // a fresh root pulls it and runs it
        let root = EmptyRoot()
        #expect(root.harness.box("pull", "-q", dest).status == 0)
        let run = root.harness.box("run", "--rm", dest)
        #expect(run.stdout == "Hello from box! hello from box\n", "\(run.stderr)")
    }

    @Test func tlsWithPrivateCA() throws {
        let dir = TestSupport.tempDir("box-reg")
        defer { TestSupport.removeTree(dir) }
        let reg = try registry("tls", dir)
        defer { reg.stop() }
        let certs = try #require(reg.certDir)
        _ = try seed(reg, dir, flags: ["--dest-cert-dir", certs])
        let ref = "\(reg.host)/test/demo:latest"
        // 127.0.0.1 may fall back to plain HTTP, but this one speaks only TLS with an unknown CA
        let untrusted = EmptyRoot().harness.box("pull", ref)
        #expect(untrusted.status == 125)
        #expect(untrusted.stderr.split(separator: "\n").count == 1 && untrusted.stderr.contains("certificate"), "\(untrusted.stderr)")
        let trusted = EmptyRoot().harness.box("pull", "--cert-dir", certs, ref)
        #expect(trusted.status == 0, "\(trusted.stderr)")
        let unverified = EmptyRoot().harness.box("pull", "--tls-verify=false", ref)
        #expect(unverified.status == 0, "\(unverified.stderr)")
    }

    @Test(arguments: ["htpasswd", "token"])
    func loginPushPull(mode: String) throws {
        let dir = TestSupport.tempDir("box-reg")
        defer { TestSupport.removeTree(dir) }
        let reg = try registry(mode, dir)
        defer { reg.stop() }
        let h = Harness.shared
        let auth = dir + "/auth.json"
        let dest = "\(reg.host)/private/demo:v1"
        // without credentials a push is refused
        let anon = h.box("push", "--authfile", auth, "box-demo:latest", dest)
        #expect(anon.status == 125 && anon.stderr.split(separator: "\n").count == 1, "\(anon.stderr)")
        // a wrong password is refused and nothing is stored
        let wrong = h.box("login", "--authfile", auth, "-u", "boxuser", "--password-stdin", reg.host, stdin: "nope\n")
        #expect(wrong.status == 125 && wrong.stderr.contains("unauthorized"), "\(wrong.stderr)")
        #expect(!Files.exists(auth))
        let login = h.box("login", "--authfile", auth, "-u", "boxuser", "--password-stdin", reg.host, stdin: "boxpass\n")
        #expect(login.status == 0 && login.stdout == "Login Succeeded\n", "\(login.stderr)")
        let text = String(decoding: (try? Files.read(auth)) ?? [], as: UTF8.self)
        #expect(text.contains(reg.host) && text.contains("Ym94dXNlcjpib3hwYXNz"), "\(text)")  // base64("boxuser:boxpass")
        let push = h.box("push", "--authfile", auth, "box-demo:latest", dest)
        #expect(push.status == 0, "\(push.stderr)\n\(reg.log.suffix(2000))")
        // podman's REGISTRY_AUTH_FILE is read too
        let root = EmptyRoot()
        let pull = TestSupport.run([TestSupport.boxBinary, "--root", root.harness.root, "pull", "-q", dest], env: ["REGISTRY_AUTH_FILE": auth])
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(h.box("logout", "--authfile", auth, reg.host).stdout == "Removing login credentials for \(reg.host)\n")
        #expect(h.box("logout", "--authfile", auth, reg.host).stdout == "Not logged in to \(reg.host)\n")
        if mode == "htpasswd" {
            let denied = EmptyRoot().harness.box("pull", "--authfile", auth, dest)
            #expect(denied.status == 125 && denied.stderr.contains("access denied"), "\(denied.stderr)")
        }
    }
}

/// registries.conf (short names, mirrors) and proxies, against a plain registry.
@Suite(.enabled(if: Host.canRun, "needs root, the fixtures and the built binary"),
       .enabled(if: TestRegistry.registryInstalled, "docker-registry is not installed (apt-get install docker-registry)"),
       .enabled(if: skopeoPath != nil, "skopeo is not installed (apt-get install skopeo)"),
       .serialized)
struct RegistryConfigTests {
    func withRegistry(_ body: (TestRegistry, String) throws -> Void) throws {
        let dir = TestSupport.tempDir("box-reg")
        defer { TestSupport.removeTree(dir) }
        let reg = try #require(TestRegistry.start(mode: "plain", dir: dir), "\(TestRegistry.lastSkipReason ?? TestRegistry.lastFailure ?? "")")
        defer { reg.stop() }
        let r = TestSupport.run([skopeoPath!, "--insecure-policy", "copy", "-q", "--dest-tls-verify=false", PullPushTests.archive,
                                 "docker://\(reg.host)/test/demo:latest"])
        try #require(r.status == 0, "\(r.stderr)")
        try body(reg, dir)
    }

    func box(_ h: Harness, _ args: [String], env: [String: String]) -> TestSupport.Result {
        TestSupport.run([TestSupport.boxBinary, "--root", h.root] + args, env: env)
    }

    @Test func shortNamesUseTheFirstSearchRegistry() throws {
        try withRegistry { reg, dir in
            let conf = dir + "/registries.conf"
            try Files.write(conf, Array("unqualified-search-registries = [\"\(reg.host)\"]\n".utf8))
            let h = Harness(load: false)
            defer { h.cleanup() }
            let r = box(h, ["pull", "test/demo"], env: ["BOX_REGISTRIES_CONF": conf])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.hasSuffix("\n\(reg.host)/test/demo:latest\n"))
            // without the file, a short name is Docker Hub's, which this machine cannot reach
            let hub = box(h, ["pull", "test/demo"], env: ["BOX_REGISTRIES_CONF": dir + "/none.conf", "BOX_REGISTRY_TIMEOUT": "3"])
            #expect(hub.status == 125 && hub.stderr.contains("docker.io"), "\(hub.stderr)")
        }
    }

    @Test func mirrorServesDockerHubNames() throws {
        try withRegistry { reg, dir in
            let conf = dir + "/registries.conf"
            try Files.write(conf, Array("""
                [[registry]]
                prefix = "docker.io"
                location = "docker.io"
                [[registry.mirror]]
                location = "\(reg.host)"

                """.utf8))
            let h = Harness(load: false)
            defer { h.cleanup() }
            // docker.io/test/demo comes from the mirror; the name stays Docker Hub's
            let r = box(h, ["pull", "docker.io/test/demo"], env: ["BOX_REGISTRIES_CONF": conf])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(h.box("images", "--format", "{{.Repository}}:{{.Tag}}").stdout == "test/demo:latest\n")
            #expect(h.box("run", "--rm", "test/demo").stdout == "Hello from box! hello from box\n")
        }
    }

    @Test func proxiesFromTheEnvironment() throws {
        try withRegistry { reg, _ in
            let h = Harness(load: false)
            defer { h.cleanup() }
            // a proxy that refuses connections: the pull goes through it, and fails
            let proxied = box(h, ["pull", "\(reg.host)/test/demo"], env: ["http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
                                                                         "NO_PROXY": "", "no_proxy": ""])
            #expect(proxied.status == 125, "\(proxied.stderr)")
            // NO_PROXY lets it go direct
            let direct = box(h, ["pull", "\(reg.host)/test/demo"], env: ["http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
                                                                        "NO_PROXY": "127.0.0.1"])
            #expect(direct.status == 0, "\(direct.stderr)")
        }
    }
}

extension String {
    var trimmingCharacters: String {
        var s = Substring(self)
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
