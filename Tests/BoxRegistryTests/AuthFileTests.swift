#if canImport(Glibc)
import Glibc
#endif
import BoxCore
@testable import BoxRegistry
import BoxTestSupport
import Testing

/// A temporary home with the four places credentials live, and an environment pointing at them.
private struct AuthHome {
    let dir = TestSupport.tempDir("box-auth")
    var home: String { dir + "/home" }
    var runtime: String { dir + "/run" }
    var env: [String: String] { ["HOME": home, "XDG_RUNTIME_DIR": runtime] }
    var podmanRun: String { runtime + "/containers/auth.json" }
    var podmanConfig: String { home + "/.config/containers/auth.json" }
    var docker: String { home + "/.docker/config.json" }
    var legacy: String { home + "/.dockercfg" }

    func write(_ path: String, _ text: String) throws {
        try Files.mkdirAll(Files.dirname(path))
        try Files.write(path, Array(text.utf8))
    }

    func read(_ path: String) throws -> String { String(decoding: try Files.read(path), as: UTF8.self) }

    func store(authfile: String? = nil, extra: [String: String] = [:]) -> AuthStore {
        AuthStore(authfile: authfile, environment: env.merging(extra) { _, new in new }, isRoot: false)
    }

    func remove() { TestSupport.removeTree(dir) }
}

/// An `auths` file with one entry per key, each `user:password`.
private func authsFile(_ entries: [String: (String, String)]) -> String {
    let body = entries.map { "\"\($0.key)\": {\"auth\": \"\(Base64.encode(Array("\($0.value.0):\($0.value.1)".utf8)))\"}" }
    return "{\"auths\": {" + body.joined(separator: ", ") + "}}"
}

private func mode(_ path: String) -> mode_t {
    var st = stat()
    return stat(path, &st) == 0 ? st.st_mode & 0o7777 : 0
}

@Suite struct AuthFileTests {
    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("user:pass", "dXNlcjpwYXNz"),
        ("ü:ß\u{0}", "w7w6w58A"),
    ])
    func base64RoundTrip(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test(arguments: ["Zg", "Zm8", "dXNlcjpwYXNz"])
    func base64WithoutPadding(text: String) {
        #expect(Base64.decode(text) != nil)
    }

    @Test(arguments: ["Z", "Zm9v!", "Zg=a", "Zg==="])
    func base64Rejects(text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test func lookupOrderAcrossFiles() throws {
        let h = AuthHome()
        defer { h.remove() }
        try h.write(h.legacy, #"{"reg.io": {"auth": "\#(Base64.encode(Array("legacy:4".utf8)))"}, "only.legacy": {"auth": "\#(Base64.encode(Array("l:l".utf8)))"}}"#)
        try h.write(h.docker, authsFile(["reg.io": ("docker", "3")]))
        try h.write(h.podmanConfig, authsFile(["reg.io": ("config", "2")]))
        try h.write(h.podmanRun, authsFile(["reg.io": ("run", "1"), "other.io": ("o", "o")]))
        let store = h.store()
        #expect(store.files == [h.podmanRun, h.podmanConfig, h.docker, h.legacy])
        #expect(try store.credentials(for: "reg.io") == Credentials(username: "run", password: "1"))
        #expect(try store.credentials(for: "only.legacy") == Credentials(username: "l", password: "l"))
        #expect(try store.credentials(for: "nowhere.io") == nil)
        for (file, next) in [(h.podmanRun, "config"), (h.podmanConfig, "docker"), (h.docker, "legacy")] {
            unlink(file)
            #expect(try store.credentials(for: "reg.io")?.username == next)
        }
    }

    @Test func dockerConfigEnvironmentAndXDGConfigHome() throws {
        let h = AuthHome()
        defer { h.remove() }
        try h.write(h.dir + "/dc/config.json", authsFile(["reg.io": ("dc", "x")]))
        try h.write(h.dir + "/xdg/containers/auth.json", authsFile(["cfg.io": ("xdg", "y")]))
        let store = h.store(extra: ["DOCKER_CONFIG": h.dir + "/dc", "XDG_CONFIG_HOME": h.dir + "/xdg"])
        #expect(try store.credentials(for: "reg.io")?.username == "dc")
        #expect(try store.credentials(for: "cfg.io")?.username == "xdg")
    }

    @Test func explicitFileIsTheOnlyOne() throws {
        let h = AuthHome()
        defer { h.remove() }
        try h.write(h.podmanRun, authsFile(["reg.io": ("run", "1")]))
        try h.write(h.dir + "/explicit.json", authsFile(["x.io": ("e", "1")]))
        try h.write(h.dir + "/env.json", authsFile(["x.io": ("env", "1")]))

        let explicit = h.store(authfile: h.dir + "/explicit.json", extra: ["REGISTRY_AUTH_FILE": h.dir + "/env.json"])
        #expect(explicit.files == [h.dir + "/explicit.json"])
        #expect(explicit.loginFile == h.dir + "/explicit.json")
        #expect(try explicit.credentials(for: "x.io")?.username == "e")
        #expect(try explicit.credentials(for: "reg.io") == nil)

        let fromEnv = h.store(extra: ["REGISTRY_AUTH_FILE": h.dir + "/env.json"])
        #expect(fromEnv.files == [h.dir + "/env.json"])
        #expect(try fromEnv.credentials(for: "x.io")?.username == "env")
        #expect(try fromEnv.credentials(for: "reg.io") == nil)
    }

    @Test func loginFileWithoutRuntimeDir() {
        let root = AuthStore(environment: ["HOME": "/root"], isRoot: true)
        #expect(root.loginFile == "/run/containers/0/auth.json")
        #expect(root.files.last == "/root/.dockercfg")
        let user = AuthStore(environment: ["HOME": "/home/u", "XDG_RUNTIME_DIR": "/run/user/1000"], isRoot: false)
        #expect(user.loginFile == "/run/user/1000/containers/auth.json")
    }

    @Test(arguments: [
        ("https://index.docker.io/v1/", "docker.io"), ("https://index.docker.io/v1/", "index.docker.io"),
        ("https://index.docker.io/v1/", "registry-1.docker.io"), ("docker.io", "index.docker.io"),
        ("index.docker.io", "docker.io"), ("registry-1.docker.io", "docker.io"), ("http://docker.io", "docker.io"),
        ("https://reg.io:5000/v1/", "reg.io:5000"), ("http://127.0.0.1:5000", "127.0.0.1:5000"),
        ("index.docker.io/library/busybox", "docker.io"), ("docker.io/library", "registry-1.docker.io"),
    ])
    func registryKeyVariants(key: String, registry: String) throws {
        let h = AuthHome()
        defer { h.remove() }
        try h.write(h.docker, authsFile([key: ("hub", "pw")]))
        #expect(try h.store().credentials(for: registry, repository: "library/busybox")
            == Credentials(username: "hub", password: "pw"))
    }

    @Test(arguments: [("https://reg.io:5000/v1/", "reg.io"), ("reg.io", "reg.io:5000"), ("docker.io", "quay.io")])
    func registryKeyMismatches(key: String, registry: String) throws {
        let h = AuthHome()
        defer { h.remove() }
        try h.write(h.docker, authsFile([key: ("u", "p")]))
        #expect(try h.store().credentials(for: registry) == nil)
    }

    @Test(arguments: [
        ("ns/repo", "repo"), ("ns/repo/deeper", "repo"), ("ns/other", "ns"), ("nsx/repo", "host"), ("other", "host"),
    ])
    func perRepositoryKeys(repository: String, expected: String) throws {
        let h = AuthHome()
        defer { h.remove() }
        try h.write(h.podmanRun, authsFile(["reg.io": ("host", "1"), "reg.io/ns": ("ns", "2"), "reg.io/ns/repo": ("repo", "3")]))
        #expect(try h.store().credentials(for: "reg.io", repository: repository)?.username == expected)
    }

    @Test func perRepositoryKeyInALaterFileLosesToTheRegistryInAnEarlierOne() throws {
        let h = AuthHome()
        defer { h.remove() }
        try h.write(h.podmanRun, authsFile(["reg.io": ("early", "1")]))
        try h.write(h.docker, authsFile(["reg.io/ns/repo": ("late", "2")]))
        #expect(try h.store().credentials(for: "reg.io", repository: "ns/repo")?.username == "early")
    }

    @Test func identityTokenAndSeparateFields() throws {
        let h = AuthHome()
        defer { h.remove() }
        try h.write(h.docker, #"""
            {"auths": {
              "tok.io": {"auth": "\#(Base64.encode(Array("user:pw".utf8)))", "identitytoken": "refresh-me"},
              "fields.io": {"username": "alice", "password": "s3cret:with:colons"},
              "colons.io": {"auth": "\#(Base64.encode(Array("bob:a:b".utf8)))"},
              "helper.io": {}
            }, "credsStore": "desktop"}
            """#)
        let store = h.store()
        #expect(try store.credentials(for: "tok.io") == Credentials(username: "<token>", password: "refresh-me"))
        #expect(try store.credentials(for: "fields.io") == Credentials(username: "alice", password: "s3cret:with:colons"))
        #expect(try store.credentials(for: "colons.io") == Credentials(username: "bob", password: "a:b"))
        #expect(try store.credentials(for: "helper.io") == nil)
    }

    @Test(arguments: [
        ("{\"auths\": {\"reg.io\": ", "not valid json"), ("[1, 2]", "not a json object"),
        ("{\"auths\": []}", "\"auths\" is not an object"), ("{\"auths\": {\"reg.io\": 3}}", "entry \"reg.io\" is not an object"),
        ("{\"auths\": {\"reg.io\": {\"auth\": \"***\"}}}", "reg.io.auth is not valid base64"),
        ("{\"auths\": {\"reg.io\": {\"auth\": 7}}}", "reg.io.auth is not a string"),
    ])
    func malformedFileNamesIt(text: String, why: String) throws {
        let h = AuthHome()
        defer { h.remove() }
        try h.write(h.podmanConfig, text)
        let e = #expect(throws: BoxError.self) { try h.store().credentials(for: "reg.io") }
        #expect(e?.message == "read auth file \(h.podmanConfig): \(why)")
        #expect(e?.code == .invalidArgument)
    }

    @Test func emptyFileHasNoEntries() throws {
        let h = AuthHome()
        defer { h.remove() }
        try h.write(h.podmanRun, "")
        try h.write(h.docker, authsFile(["reg.io": ("d", "1")]))
        #expect(try h.store().credentials(for: "reg.io")?.username == "d")
    }

    @Test func saveCreatesPrivateFileAndReadsBack() throws {
        let h = AuthHome()
        defer { h.remove() }
        let store = h.store()
        try store.save(Credentials(username: "u", password: "p:w"), for: "index.docker.io")
        #expect(mode(h.podmanRun) == 0o600)
        #expect(mode(h.runtime + "/containers") == 0o700)
        #expect(try h.read(h.podmanRun) == "{\n\t\"auths\": {\n\t\t\"docker.io\": {\n\t\t\t\"auth\": \"dTpwOnc=\"\n\t\t}\n\t}\n}\n")
        for name in ["docker.io", "index.docker.io", "registry-1.docker.io"] {
            #expect(try store.credentials(for: name, repository: "library/busybox") == Credentials(username: "u", password: "p:w"))
        }
        try store.save(Credentials(username: "v", password: "2"), for: "docker.io")
        #expect(try store.credentials(for: "docker.io")?.username == "v")
        #expect(try h.read(h.podmanRun).components("docker.io") == 1)
    }

    @Test func saveKeepsOtherKeysAndFields() throws {
        let h = AuthHome()
        defer { h.remove() }
        let path = h.dir + "/auth.json"
        try h.write(path, #"""
            {"auths": {"keep.io": {"auth": "a2VlcDox", "email": "x@y"}, "reg.io/ns": {"auth": "bnM6MQ=="}},
             "credHelpers": {"gcr.io": "gcloud"}, "credsStore": "pass", "HttpHeaders": {"X-A": "1"},
             "n": [1, 2.5, true, null, "s\n\"q\""]}
            """#)
        let store = h.store(authfile: path)
        try store.save(Credentials(username: "new", password: "pw"), for: "https://reg.io/v1/")
        let saved = try AuthStore.decode(try Files.read(path), path: path)
        #expect(saved["credHelpers"] == .object(["gcr.io": .string("gcloud")]))
        #expect(saved["credsStore"] == .string("pass"))
        #expect(saved["HttpHeaders"] == .object(["X-A": .string("1")]))
        #expect(saved["n"] == .array([.int(1), .double(2.5), .bool(true), .null, .string("s\n\"q\"")]))
        #expect(saved["auths"] == .object([
            "keep.io": .object(["auth": .string("a2VlcDox"), "email": .string("x@y")]),
            "reg.io/ns": .object(["auth": .string("bnM6MQ==")]),
            "reg.io": .object(["auth": .string(Base64.encode(Array("new:pw".utf8)))]),
        ]))
        #expect(mode(path) == 0o600)
        #expect(try store.credentials(for: "reg.io", repository: "ns/x")?.username == "ns")
        #expect(try store.credentials(for: "reg.io", repository: "other/x")?.username == "new")
    }

    @Test func removeAndRemoveAll() throws {
        let h = AuthHome()
        defer { h.remove() }
        let store = h.store()
        #expect(try store.remove(for: "reg.io") == false)
        #expect(!Files.exists(h.podmanRun))
        try h.write(h.podmanRun, #"{"auths": {"https://reg.io/v1/": {"auth": "dTpw"}, "reg.io": {"auth": "dTpw"}, "reg.io/ns": {"auth": "dTpw"}, "docker.io": {"auth": "dTpw"}}, "credHelpers": {}}"#)
        #expect(try store.remove(for: "reg.io"))
        #expect(try store.remove(for: "reg.io") == false)
        #expect(try store.credentials(for: "reg.io") == nil)
        #expect(try store.credentials(for: "reg.io", repository: "ns/x") != nil)
        #expect(try store.remove(for: "registry-1.docker.io"))
        #expect(try store.credentials(for: "docker.io") == nil)
        try store.removeAll()
        let saved = try AuthStore.decode(try Files.read(h.podmanRun), path: h.podmanRun)
        #expect(saved == ["auths": .object([:]), "credHelpers": .object([:])])
    }

    @Test(arguments: [
        ("docker.io", "docker.io"), ("index.docker.io", "docker.io"), ("https://index.docker.io/v1/", "docker.io"),
        ("registry-1.docker.io", "docker.io"), ("localhost:5000", "localhost:5000"), ("http://reg.io/path", "reg.io"),
        ("quay.io/ns/repo", "quay.io/ns/repo"), ("index.docker.io/library/x", "docker.io/library/x"),
    ])
    func canonicalHosts(input: String, key: String) {
        #expect(AuthStore.canonicalHost(input) == key)
    }

    @Test func serializedJSONEscapes() {
        #expect(JSONValue.quote("a\"b\\c\n\u{1}é") == #""a\"b\\c\n\u0001é""#)
        #expect(JSONValue.array([]).serialized() == "[]")
        #expect(JSONValue.object(["b": .int(-3), "a": .array([.null])]).serialized() == "{\n\t\"a\": [\n\t\tnull\n\t],\n\t\"b\": -3\n}")
    }
}

extension String {
    /// How many times `needle` occurs.
    fileprivate func components(_ needle: String) -> Int {
        var n = 0
        var rest = Substring(self)
        while let r = rest.firstRange(of: needle) {
            n += 1
            rest = rest[r.upperBound...]
        }
        return n
    }
}
