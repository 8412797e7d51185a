import BoxCore
@testable import BoxImage
import BoxOCI
import BoxTestSupport
import Testing

/// Go's `path.Match` cases, as Docker's `reference` filter uses them.
@Suite struct PathPatternTests {
    @Test(arguments: [
        ("busybox", "busybox", true),
        ("busybox", "busybox:latest", false),
        ("box-demo:*", "box-demo:latest", true),
        ("box-*", "box-demo", true),
        ("*", "box-demo", true),
        ("*", "user/app", false),
        ("*/app", "user/app", true),
        ("*/demo", "box-demo", false),
        ("*/*", "user/app", true),
        ("user/*:v?", "user/app:v1", true),
        ("user/*:v?", "user/app:v10", false),
        ("?", "/", false),
        ("a*b*c", "axxbyyc", true),
        ("a*b*c", "axxbyyc/", false),
        ("a*b", "a/b", false),
        ("a*", "ab/c", false),
        ("[a-c]x", "bx", true),
        ("[^a-c]x", "bx", false),
        ("[^a-c]x", "dx", true),
        ("[\\]]", "]", true),
        ("a\\*", "a*", true),
        ("a\\*", "ab", false),
        ("", "", true),
        ("", "a", false),
        ("**", "abc", true),
        ("a*c", "abc/abc", false),
        ("box-demo:[el]*", "box-demo:entrypoint", true),
    ])
    func matches(pattern: String, name: String, expected: Bool) throws {
        #expect(try PathPattern.match(pattern, name) == expected)
    }

    @Test(arguments: ["[", "[]", "[a-", "[a-]", "[-a]", "a\\", "[^]", "x[z"])
    func rejectsBadPatterns(pattern: String) {
        // Go's ErrBadPattern, whatever the name
        #expect(throws: BoxError.self) { try PathPattern.match(pattern, "") }
        #expect(throws: BoxError.self) { try PathPattern.match(pattern, "abc") }
    }

    @Test func manyStarsStayFast() throws {
        let name = String(repeating: "a", count: 250)
        #expect(try PathPattern.match(String(repeating: "*a", count: 30) + "b", name) == false)
    }
}

@Suite struct ImageFilterTests {
    @Test func parsesDockerKeys() throws {
        let f = try ImageFilter(["reference=box-*", "reference = x", "dangling=false", "label=a", "label=b=c", "before=x", "since=y",
                                 "until=1h"], allowed: ImageFilter.listKeys, now: 10_000)
        #expect(f.references == ["box-*", "x"])
        #expect(f.dangling == false)
        #expect(f.labels == ["a", "b=c"])
        #expect(f.before == "x" && f.since == "y")
        #expect(f.until == 6400.0)
        #expect(try ImageFilter(["dangling=false", "dangling=true"], allowed: ImageFilter.listKeys, now: 0).dangling == true)
    }

    @Test(arguments: [["bogus=1"], ["nokey"], ["dangling=yes"], ["reference=["], ["until=soon"], ["label!=a"]])
    func rejectsForList(args: [String]) {
        #expect(throws: BoxError.self) { try ImageFilter(args, allowed: ImageFilter.listKeys, now: 0) }
    }

    @Test(arguments: [["reference=x"], ["dangling=true"], ["before=x"]])
    func rejectsForPrune(args: [String]) {
        #expect(throws: BoxError.self) { try ImageFilter(args, allowed: ImageFilter.pruneKeys, now: 0) }
    }

    @Test func labels() throws {
        let have = ["a": "1", "b": "2"]
        func f(_ args: String...) throws -> Bool { try ImageFilter(args, allowed: ImageFilter.pruneKeys, now: 0).matches(labels: have) }
        #expect(try f("label=a"))
        #expect(try f("label=a=1", "label=b"))
        #expect(try !f("label=a=2"))
        #expect(try !f("label=c"))
        #expect(try f("label!=c"))
        #expect(try !f("label!=a"))
        #expect(try f("label!=a=2"))
        #expect(try f())
    }

    @Test(arguments: [
        ("box-demo", "box-demo:latest", true),
        ("box-demo:latest", "box-demo:latest", true),
        ("box-demo:latest", "box-demo:entrypoint", false),
        ("box-demo:*", "box-demo:entrypoint", true),
        ("docker.io/library/box-demo", "box-demo:entrypoint", true),
        ("docker.io/library/box-demo:latest", "box-demo:entrypoint", false),
        ("localhost:5000/app", "localhost:5000/app:1", true),
        ("localhost:5000/*", "localhost:5000/app:1", true),
        ("box-demo", "box-demo@sha256:" + String(repeating: "a", count: 64), true),
        ("other", "box-demo:latest", false),
    ])
    func references(pattern: String, familiar: String, expected: Bool) throws {
        let f = try ImageFilter(["reference=" + pattern], allowed: ImageFilter.listKeys, now: 0)
        #expect(f.matches(reference: familiar) == expected)
    }

    static let times: [(String, Double)] = [
        ("1h30m", 100_000 - 5400), ("90s", 100_000 - 90), ("1.5h", 100_000 - 5400), ("500ms", 100_000 - 0.5),
        ("2024-01-01T00:00:00Z", 1_704_067_200), ("2024-01-01", 1_704_067_200), ("2024-01-01T01:00", 1_704_070_800),
        ("2024-01-01T00:00:00+01:00", 1_704_063_600), ("1704067200", 1_704_067_200), ("1704067200.5", 1_704_067_200.5),
    ]

    @Test(arguments: times)
    func untilTimes(value: String, expected: Double) {
        #expect(FilterTime.parse(value, now: 100_000) == expected)
    }
}

/// Listing and pruning on a store whose index is written directly: no archives, no root needed.
@Suite struct ImageListPruneTests {
    static func digest(_ n: Int) -> Digest { Digest(hex: String(repeating: String(n % 10), count: 64)) }

    static func record(_ n: Int, names: [String], created: String?, layers: [Int], digests: [String]? = nil) -> ImageRecord {
        var r = ImageRecord(id: digest(n), manifest: digest(n + 5), names: names, created: created, added: "2025-01-01T00:00:00Z",
                            layers: layers.map(digest), layerSizes: layers.map { Int64($0 * 1000) })
        r.repoDigests = digests
        return r
    }

    /// old (2020, dangling), mid (2024, two names), new (2025), in the order they were added.
    static func store() throws -> TempStore {
        let t = try TempStore()
        try t.store.update { (images: inout [ImageRecord]) throws(BoxError) in
            images = [
                record(1, names: [], created: "2020-01-01T00:00:00Z", layers: [1, 2]),
                record(2, names: ["docker.io/library/mid:1", "docker.io/user/mid:2"], created: "2024-01-01T00:00:00Z", layers: [1, 3],
                       digests: ["docker.io/library/mid@sha256:" + String(repeating: "c", count: 64)]),
                record(3, names: ["docker.io/library/new:latest"], created: "2025-01-01T00:00:00Z", layers: [4]),
            ]
        }
        return t
    }

    func ids(_ images: [ImageRecord]) -> [Digest] { images.map(\.id) }

    @Test func listsNewestFirstAndFilters() throws {
        let t = try Self.store()
        func list(_ args: String...) throws -> [ImageRecord] {
            try t.store.list(filter: try ImageFilter(args, allowed: ImageFilter.listKeys, now: Time.parse("2026-01-01T00:00:00Z")!))
        }
        #expect(ids(try list()) == [Self.digest(3), Self.digest(2), Self.digest(1)])
        #expect(ids(try list("dangling=true")) == [Self.digest(1)])
        #expect(ids(try list("dangling=false")) == [Self.digest(3), Self.digest(2)])
        #expect(ids(try list("before=mid:1")) == [Self.digest(1)])
        #expect(ids(try list("since=mid:1")) == [Self.digest(3)])
        #expect(ids(try list("until=2024-06-01")) == [Self.digest(2), Self.digest(1)])
        #expect(throws: BoxError.self) { try list("since=nosuch") }
        // the reference filter narrows the names shown and drops images left with none
        let mid = try list("reference=mid")
        #expect(ids(mid) == [Self.digest(2)])
        #expect(mid[0].names == ["docker.io/library/mid:1"])
        #expect(mid[0].repoDigests?.count == 1)
        #expect(try list("reference=*/mid")[0].names == ["docker.io/user/mid:2"])
        #expect(try list("reference=mid", "reference=new").count == 2)
        #expect(try list("reference=none*").isEmpty)
    }

    @Test func prunesDanglingThenAll() throws {
        let t = try Self.store()
        let none = ImageFilter()
        let dangling = try t.store.prune(all: false, filter: none) { _ in nil }
        #expect(dangling.items == [.deleted(Self.digest(1))])
        // layer 1 is shared with mid, so only layer 2 is reclaimed
        #expect(dangling.reclaimed == 2000)
        #expect(ids(try t.store.list()) == [Self.digest(2), Self.digest(3)])
        #expect(try t.store.prune(all: false, filter: none) { _ in nil }.items.isEmpty)

        // an image a container uses stays
        let all = try t.store.prune(all: true, filter: none) { $0 == Self.digest(3) ? "c1" : nil }
        #expect(all.items == [.untagged("mid:1"), .untagged("user/mid:2"), .untagged("mid@sha256:" + String(repeating: "c", count: 64)),
                              .deleted(Self.digest(2))])
        #expect(all.reclaimed == 4000)
        #expect(ids(try t.store.list()) == [Self.digest(3)])
    }

    @Test func pruneHonoursUntil() throws {
        let t = try Self.store()
        let f = try ImageFilter(["until=2024-06-01"], allowed: ImageFilter.pruneKeys, now: 0)
        let r = try t.store.prune(all: true, filter: f) { _ in nil }
        #expect(r.items.filter { if case .deleted = $0 { true } else { false } } == [.deleted(Self.digest(1)), .deleted(Self.digest(2))])
        #expect(ids(try t.store.list()) == [Self.digest(3)])
    }
}
