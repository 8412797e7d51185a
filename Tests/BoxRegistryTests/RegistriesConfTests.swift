import BoxCore
@testable import BoxRegistry
import BoxTestSupport
import Testing

/// A registries.conf in the style of containers-registries.conf(5)'s examples.
private let realistic = #"""
    # An array of host[:port] registries to try when pulling an unqualified image, in order.
    unqualified-search-registries = [
      "registry.fedoraproject.org",   # Fedora first
      'registry.access.redhat.com',
      "docker.io",
    ]
    short-name-mode = "enforcing"

    [[registry]]
    # The "prefix" field is used to choose the relevant [[registry]] TOML table.
    prefix = "example.com/foo"
    insecure = false
    blocked = false
    location = "internal-registry-for-example.com/bar"

    [[registry.mirror]]
    location = "example-mirror-0.local/mirror-for-foo"

    [[registry.mirror]]
    location = "example-mirror-1.local/mirrors/foo"
    insecure = true
    pull-from-mirror = "digest-only"

    [[registry]]
    location = "registry.example.org"
    blocked = true

    [[registry]]
    prefix = "*.example.net"
      [[registry.mirror]]
      location = "mirror.local:5000/net/"

    [[registry]]
    location = "docker.io"
    unknown-key = { nested = 1 }
    [[registry.mirror]]
    location = "mirror.gcr.io"
    [[registry.mirror]]
    location = "tags.local"
    pull-from-mirror = "tag-only"

    [[registry]]
    location = "insecure.local:5000"
    insecure = true

    [[registry]]
    prefix = "quay.io/team/app"
    location = "cache.local/quay/team-app"
    mirror-by-digest-only = true
    [[registry.mirror]]
    location = "quay-mirror.local/team/app"

    [aliases]
    "fedora" = "registry.fedoraproject.org/fedora"
    'ubi8/ubi' = "registry.access.redhat.com/ubi8/ubi"
    """#

private func ep(_ name: String, insecure: Bool = false, mirror: Bool = false) -> RegistryEndpoint {
    let slash = name.firstIndex(of: "/")!
    return RegistryEndpoint(host: String(name[..<slash]), repository: String(name[name.index(after: slash)...]),
                            insecure: insecure, isMirror: mirror)
}

@Suite struct RegistriesConfTests {
    let conf: RegistriesConfig

    init() throws {
        conf = try RegistriesConfig(parsing: realistic, path: "/etc/containers/registries.conf")
    }

    @Test func topLevelFields() {
        #expect(conf.unqualifiedSearchRegistries == ["registry.fedoraproject.org", "registry.access.redhat.com", "docker.io"])
        #expect(conf.defaultDomain == "registry.fedoraproject.org")
        #expect(conf.shortNameMode == .enforcing)
        #expect(conf.aliases == ["fedora": "registry.fedoraproject.org/fedora",
                                 "ubi8/ubi": "registry.access.redhat.com/ubi8/ubi"])
        #expect(conf.registries.map(\.prefix) == ["example.com/foo", "registry.example.org", "*.example.net",
                                                  "docker.io", "insecure.local:5000", "quay.io/team/app"])
        #expect(conf.registries[2].location == "")
        #expect(conf.registries[2].mirrors == [.init(location: "mirror.local:5000/net", insecure: false, use: .all)])
        #expect(RegistriesConfig().defaultDomain == nil)
    }

    @Test(arguments: [
        // prefix remapping, and a digest-only mirror skipped for a tag
        ("example.com", "foo/img", false, [ep("example-mirror-0.local/mirror-for-foo/img", mirror: true),
                                           ep("internal-registry-for-example.com/bar/img")]),
        ("example.com", "foo/img", true, [ep("example-mirror-0.local/mirror-for-foo/img", mirror: true),
                                          ep("example-mirror-1.local/mirrors/foo/img", insecure: true, mirror: true),
                                          ep("internal-registry-for-example.com/bar/img")]),
        ("example.com", "foo", false, [ep("example-mirror-0.local/mirror-for-foo", mirror: true),
                                       ep("internal-registry-for-example.com/bar")]),
        // a prefix matches only whole path components
        ("example.com", "foobar/img", false, [ep("example.com/foobar/img")]),
        // a wildcard matches subdomains (with any port), and its mirror replaces the whole host
        ("a.example.net", "lib/img", false, [ep("mirror.local:5000/net/lib/img", mirror: true), ep("a.example.net/lib/img")]),
        ("a.b.example.net:5000", "img", false, [ep("mirror.local:5000/net/img", mirror: true), ep("a.b.example.net:5000/img")]),
        ("example.net", "img", false, [ep("example.net/img")]),
        ("evil-example.net", "img", false, [ep("evil-example.net/img")]),
        // tag-only mirrors skipped for digests
        ("docker.io", "library/busybox", false, [ep("mirror.gcr.io/library/busybox", mirror: true),
                                                 ep("tags.local/library/busybox", mirror: true),
                                                 ep("docker.io/library/busybox")]),
        ("docker.io", "library/busybox", true, [ep("mirror.gcr.io/library/busybox", mirror: true),
                                                ep("docker.io/library/busybox")]),
        ("insecure.local:5000", "x/y", false, [ep("insecure.local:5000/x/y", insecure: true)]),
        ("insecure.local", "x", false, [ep("insecure.local/x")]),
        // mirror-by-digest-only on the registry
        ("quay.io", "team/app", false, [ep("cache.local/quay/team-app")]),
        ("quay.io", "team/app/sub", true, [ep("quay-mirror.local/team/app/sub", mirror: true),
                                           ep("cache.local/quay/team-app/sub")]),
        ("quay.io", "team/other", true, [ep("quay.io/team/other")]),
    ])
    func endpoints(registry: String, repository: String, byDigest: Bool, expected: [RegistryEndpoint]) throws {
        #expect(try conf.endpoints(for: registry, repository: repository, byDigest: byDigest) == expected)
    }

    @Test func blockedRegistry() {
        let e = #expect(throws: BoxError.self) {
            try conf.endpoints(for: "registry.example.org", repository: "x/y", byDigest: false)
        }
        #expect(e?.message == "registry registry.example.org is blocked in /etc/containers/registries.conf")
    }

    @Test func longestPrefixWins() throws {
        let c = try RegistriesConfig(parsing: """
            [[registry]]
            location = "reg.io"
            insecure = true
            [[registry]]
            prefix = "reg.io/team"
            location = "team.local"
            [[registry]]
            prefix = "reg.io/team/special"
            location = "special.local/s"
            """, path: "t.conf")
        #expect(try c.endpoints(for: "reg.io", repository: "a", byDigest: false) == [ep("reg.io/a", insecure: true)])
        #expect(try c.endpoints(for: "reg.io", repository: "team/a", byDigest: false) == [ep("team.local/a")])
        #expect(try c.endpoints(for: "reg.io", repository: "team/special/b", byDigest: false) == [ep("special.local/s/b")])
        let e = #expect(throws: BoxError.self) { try c.endpoints(for: "reg.io", repository: "team", byDigest: false) }
        #expect(e?.message.hasPrefix("map reg.io/team to team.local by t.conf") == true)
    }

    @Test func version1Format() throws {
        let c = try RegistriesConfig(parsing: """
            [registries.search]
            registries = ['registry.access.redhat.com', 'docker.io']

            [registries.insecure]
            registries = ['insecure.local:5000', "both.io"]

            [registries.block]
            registries = ["blocked.io", "both.io"]
            """, path: "v1.conf")
        #expect(c.unqualifiedSearchRegistries == ["registry.access.redhat.com", "docker.io"])
        #expect(try c.endpoints(for: "insecure.local:5000", repository: "a/b", byDigest: false)
            == [ep("insecure.local:5000/a/b", insecure: true)])
        #expect(try c.endpoints(for: "docker.io", repository: "library/x", byDigest: false) == [ep("docker.io/library/x")])
        for blocked in ["blocked.io", "both.io"] {
            let e = #expect(throws: BoxError.self) { try c.endpoints(for: blocked, repository: "x", byDigest: false) }
            #expect(e?.message == "registry \(blocked) is blocked in v1.conf")
        }
    }

    @Test(arguments: [
        ("a = \"unterminated", "line 1: unterminated string"),
        ("\n\n[[registry]\nlocation = \"x\"", "line 3: expected ]] after table name"),
        ("a = 1\n# comment\na = 2", "line 3: duplicate key a"),
        ("a = [\n  \"x\",\n  \"y\"\n", "line 4: unterminated array"),
        ("a = [\"x\" \"y\"]", "line 1: expected , or ] in array, found '\"'"),
        ("a = tru", "line 1: invalid value tru"),
        ("a = 1979-05-27", "line 1: invalid value 1979-05-27"),
        ("a = \"x\" b = 1", "line 1: unexpected 'b' after value"),
        ("[aliases]\n\"x\" = \"y\"\n[aliases]", "line 3: table aliases is defined twice"),
        ("a = \"\\q\"", "line 1: invalid escape \\q"),
        ("= 1", "line 1: expected a key, found '='"),
        ("key value", "line 1: expected = after key key"),
        ("a = 1\n[a]", "line 2: a is already defined and is not a table"),
        ("[[registry]]\ninsecure = \"yes\"\nlocation = \"x\"", "line 2: insecure must be a boolean"),
        ("unqualified-search-registries = \"docker.io\"", "line 1: unqualified-search-registries must be an array of strings"),
        ("short-name-mode = \"lax\"", "line 1: short-name-mode must be enforcing, permissive or disabled"),
        ("[[registry]]\nprefix = \"*.example.com/foo\"", "line 1: wildcard prefix *.example.com/foo must be of the form *.example.com"),
        ("[[registry]]\nlocation = \"https://reg.io\"", "line 1: invalid location https://reg.io: URI schemes are not supported"),
        ("[[registry]]\ninsecure = true", "line 1: [[registry]] needs a location or a prefix"),
        ("[[registry]]\nprefix = \"reg.io\"", "line 1: [[registry]] with prefix reg.io needs a location"),
        ("[[registry]]\nlocation = \"r\"\n\n[[registry.mirror]]\npull-from-mirror = \"x\"\nlocation = \"m\"",
         "line 4: pull-from-mirror must be all, digest-only or tag-only, not x"),
        ("[[registry]]\nlocation = \"r\"\n[[registry.mirror]]\ninsecure = true", "line 3: [[registry.mirror]] needs a location"),
        ("unqualified-search-registries = []\n[registries.search]\nregistries = []",
         "line 2: mixing the v1 [registries.*] and v2 formats is not supported"),
    ])
    func syntaxErrorsNameTheLine(text: String, why: String) {
        let e = #expect(throws: BoxError.self) { try RegistriesConfig(parsing: text, path: "/x.conf") }
        #expect(e?.message == "parse /x.conf \(why)")
        #expect(e?.code == .invalidArgument)
    }

    @Test(arguments: [
        (#"a = "tab\there \"q\" \\ \u00e9 \U0001F600""#, TOMLTest.string("tab\there \"q\" \\ é 😀")),
        (#"a = 'C:\path\'"#, .string(#"C:\path\"#)),
        ("a = \"\"\"\nline one\nline \\\n    two\"\"\"", .string("line one\nline two")),
        ("a = '''\nraw \\n\n'''", .string("raw \\n\n")),
        ("a = \"\"\"x\"\"\"\"", .string("x\"")),
        ("a = true # yes", .bool(true)),
        ("a = false", .bool(false)),
        ("a = -1_000", .integer(-1000)),
        ("a = 0x1f", .integer(31)),
        ("a = 2.5e1", .float(25)),
        ("a = [ ]", .strings([])),
        ("a = [\n  # leading comment\n  'x', # after\n  \"y\",\n\n]", .strings(["x", "y"])),
        ("\"quoted key\" = 1", .integer(1)),
    ])
    func tomlValues(text: String, expected: TOMLTest) throws {
        var p = TOMLParser(text, path: "t")
        let doc = try p.parse()
        #expect(doc.keys.count == 1)
        #expect(TOMLTest(doc[doc.keys[0]]!) == expected)
    }

    @Test func tomlTablesAndDottedKeys() throws {
        var p = TOMLParser("""
            top = 1
            [a.b]
            c.d = "x"
            [a]
            e = { f = 1, g = "h" }
            [[list]]
            n = 1
            [[list.sub]]
            m = 1
            [[list]]
            n = 2
            """, path: "t")
        let doc = try p.parse()
        let a = try #require(try doc.table("a", path: "t"))
        let b = try #require(try a.table("b", path: "t"))
        let c = try #require(try b.table("c", path: "t"))
        #expect(TOMLTest(c["d"]!) == .string("x"))
        let e = try #require(try a.table("e", path: "t"))
        #expect(TOMLTest(e["g"]!) == .string("h"))
        let list = try doc.tables("list", path: "t")
        #expect(list.map { TOMLTest($0["n"]!) } == [.integer(1), .integer(2)])
        #expect(try list[0].tables("sub", path: "t").count == 1)
        #expect(try list[1].tables("sub", path: "t").isEmpty)
        #expect(list[1].line == 10)
    }

    @Test func loadMergesDropIns() throws {
        let dir = TestSupport.tempDir("box-regconf")
        defer { TestSupport.removeTree(dir) }
        try Files.mkdirAll(dir + "/registries.conf.d/dir.conf")
        try Files.write(dir + "/registries.conf", Array("""
            unqualified-search-registries = ["a.io", "b.io"]
            short-name-mode = "permissive"
            [[registry]]
            location = "reg.io"
            insecure = true
            [[registry]]
            location = "keep.io"
            [aliases]
            x = "a.io/x"
            """.utf8))
        try Files.write(dir + "/registries.conf.d/10-first.conf", Array("""
            unqualified-search-registries = ["c.io"]
            [[registry]]
            location = "reg.io"
            [[registry.mirror]]
            location = "m.io"
            [aliases]
            y = "c.io/y"
            """.utf8))
        try Files.write(dir + "/registries.conf.d/20-second.conf", Array("""
            [[registry]]
            location = "new.io"
            blocked = true
            """.utf8))
        try Files.write(dir + "/registries.conf.d/30-broken.ignore", Array("this is = = not toml".utf8))

        let c = try RegistriesConfig.load(environment: ["BOX_REGISTRIES_CONF": dir + "/registries.conf",
                                                        "CONTAINERS_REGISTRIES_CONF": "/nonexistent"], isRoot: false)
        #expect(c.unqualifiedSearchRegistries == ["c.io"])
        #expect(c.shortNameMode == .permissive)
        #expect(c.aliases == ["x": "a.io/x", "y": "c.io/y"])
        #expect(c.registries.map(\.prefix) == ["reg.io", "keep.io", "new.io"])
        #expect(try c.endpoints(for: "reg.io", repository: "r", byDigest: false) == [ep("m.io/r", mirror: true), ep("reg.io/r")])
        let e = #expect(throws: BoxError.self) { try c.endpoints(for: "new.io", repository: "r", byDigest: false) }
        #expect(e?.message == "registry new.io is blocked in \(dir)/registries.conf.d/20-second.conf")

        // an empty list in a later file still replaces the search registries
        try Files.write(dir + "/registries.conf.d/40-empty.conf", Array("unqualified-search-registries = []\n".utf8))
        let emptied = try RegistriesConfig.load(environment: ["BOX_REGISTRIES_CONF": dir + "/registries.conf"], isRoot: false)
        #expect(emptied.unqualifiedSearchRegistries.isEmpty)
        #expect(emptied.defaultDomain == nil)

        // a broken drop-in names its file and line
        try Files.write(dir + "/registries.conf.d/50-bad.conf", Array("\n[[registry]\n".utf8))
        let bad = #expect(throws: BoxError.self) {
            try RegistriesConfig.load(environment: ["BOX_REGISTRIES_CONF": dir + "/registries.conf"], isRoot: false)
        }
        #expect(bad?.message == "parse \(dir)/registries.conf.d/50-bad.conf line 2: expected ]] after table name")
    }

    @Test func whichFileIsRead() throws {
        let dir = TestSupport.tempDir("box-regconf")
        defer { TestSupport.removeTree(dir) }
        let user = dir + "/.config/containers/registries.conf"
        #expect(RegistriesConfig.configPath(environment: ["BOX_REGISTRIES_CONF": "/b", "CONTAINERS_REGISTRIES_CONF": "/c"],
                                            isRoot: true) == "/b")
        #expect(RegistriesConfig.configPath(environment: ["CONTAINERS_REGISTRIES_CONF": "/c", "HOME": dir], isRoot: false) == "/c")
        #expect(RegistriesConfig.configPath(environment: ["HOME": dir], isRoot: false) == "/etc/containers/registries.conf")
        try Files.mkdirAll(Files.dirname(user) + "/registries.conf.d")
        try Files.write(user, Array("unqualified-search-registries = [\"user.io\"]\n".utf8))
        try Files.write(Files.dirname(user) + "/registries.conf.d/a.conf", Array("short-name-mode = \"disabled\"\n".utf8))
        #expect(RegistriesConfig.configPath(environment: ["HOME": dir], isRoot: false) == user)
        #expect(RegistriesConfig.configPath(environment: ["HOME": dir], isRoot: true) == "/etc/containers/registries.conf")
        let c = try RegistriesConfig.load(environment: ["HOME": dir], isRoot: false)
        #expect(c.defaultDomain == "user.io")
        #expect(c.shortNameMode == .disabled)

        let missing = try RegistriesConfig.load(environment: ["BOX_REGISTRIES_CONF": dir + "/none.conf"], isRoot: false)
        #expect(missing.registries.isEmpty && missing.unqualifiedSearchRegistries.isEmpty)
        #expect(try missing.endpoints(for: "localhost:5000", repository: "a", byDigest: true) == [ep("localhost:5000/a")])
    }
}

/// A comparable copy of a TOML value, for the parser's tests.
enum TOMLTest: Equatable, Sendable {
    case string(String), integer(Int), float(Double), bool(Bool), strings([String]), other

    init(_ v: TOMLValue) {
        switch v {
        case .string(let s): self = .string(s)
        case .integer(let n): self = .integer(n)
        case .float(let d): self = .float(d)
        case .bool(let b): self = .bool(b)
        case .array(let items):
            var out: [String] = []
            for case .string(let s) in items { out.append(s) }
            self = out.count == items.count ? .strings(out) : .other
        case .table: self = .other
        }
    }
}
