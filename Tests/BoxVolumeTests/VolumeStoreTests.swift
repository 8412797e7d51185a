#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOS
import BoxTestSupport
import BoxVolume
import Testing

@Suite struct VolumeNameTests {
    @Test(arguments: ["ab", "data", "a.b_c-1", "X9", String(repeating: "a", count: 64)])
    func valid(name: String) { #expect(throws: Never.self) { try VolumeName.validate(name) } }

    @Test(arguments: [
        ("a", "create a: volume name is too short, names should be at least two alphanumeric characters"),
        ("-x", "create -x: \"-x\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"),
        ("a/b", "create a/b: \"a/b\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"),
        (".tmp-1", "create .tmp-1: \".tmp-1\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"),
        ("", "create : \"\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"),
    ])
    func invalid(name: String, message: String) {
        #expect { try VolumeName.validate(name) } throws: { ($0 as? BoxError)?.message == message }
    }

    @Test(arguments: [
        ([String: String](), nil as String?),
        (["type": "tmpfs", "device": "tmpfs", "o": "size=1m"], nil),
        (["type": "tmpfs"], "create v: missing required option: \"device\""),
        (["o": "bind", "device": "/x"], "create v: missing required option: \"type\""),
        (["size": "1g"], "create v: invalid option key: \"size\""),
    ])
    func options(opts: [String: String], message: String?) {
        if let message {
            #expect { try VolumeName.validateOptions(opts, volume: "v") } throws: { ($0 as? BoxError)?.message == message }
        } else {
            #expect(throws: Never.self) { try VolumeName.validateOptions(opts, volume: "v") }
        }
    }
}

@Suite struct VolumeStoreTests {
    @Test func createIsIdempotentAndLaysOutTheDirectory() throws {
        let root = TestSupport.tempDir("vol")
        defer { TestSupport.removeTree(root) }
        let s = try VolumeStore(root: root)
        let (v, made) = try s.create("data", labels: ["a": "1"], options: [:], anonymous: false)
        #expect(made)
        #expect(v.Mountpoint == root + "/volumes/data/_data")
        #expect(Files.isDirectory(v.Mountpoint))
        #expect(v.Labels == ["a": "1"] && v.Driver == "local" && v.Scope == "local" && !v.Anonymous)
        let (again, made2) = try s.create("data", labels: nil, options: nil, anonymous: false)
        #expect(!made2 && again == v)
        let (anon, _) = try s.create(nil, labels: nil, options: nil, anonymous: true)
        #expect(anon.Name.count == 64 && anon.Labels == [Volume.anonymousLabel: ""])
        #expect(try s.list().map(\.Name) == [anon.Name, "data"].sorted())
        // nothing but the volumes is left in the directory
        #expect(try Files.list(root + "/volumes").count == 2)
    }

    @Test func concurrentCreatesOfOneNameMakeOneVolume() throws {
        let root = TestSupport.tempDir("vol")
        defer { TestSupport.removeTree(root) }
        let s = try VolumeStore(root: root)
        let made = Counter()
        try Worker.forEach(16, width: 16) { _ in
            if let (_, m) = try? s.create("shared", labels: nil, options: nil, anonymous: false), m { made.add() }
        }
        #expect(made.value == 1)
        #expect(try Files.list(root + "/volumes") == ["shared"])
    }

    @Test func removeRefusesAVolumeInUseAndPruneTakesOnlyUnusedAnonymous() throws {
        let root = TestSupport.tempDir("vol")
        defer { TestSupport.removeTree(root) }
        let s = try VolumeStore(root: root)
        _ = try s.create("named", labels: nil, options: nil, anonymous: false)
        _ = try s.create("used", labels: nil, options: nil, anonymous: true)
        let (anon, _) = try s.create(nil, labels: nil, options: nil, anonymous: true)
        try Files.write(s.mountpoint(anon.Name) + "/f", Array(repeating: 1, count: 1000))
        let users = { () throws(BoxError) -> [String: [String]] in ["used": ["c1"]] }
        let r = try s.remove(["used", "missing"], force: false, users: users)
        guard case .failure(let e) = r[0].1, case .failure(let m) = r[1].1 else {
            Issue.record("expected failures")
            return
        }
        #expect(e.message == "remove used: volume is in use - [c1]" && e.code == .conflict)
        #expect(m.message == "get missing: no such volume")
        #expect(try s.remove(["missing"], force: true, users: users).isEmpty)
        let pruned = try s.prune(all: false, filter: VolumeFilter(), users: users)
        #expect(pruned.map(\.0) == [anon.Name] && pruned[0].1 == 1000)
        #expect(try s.list().map(\.Name).sorted() == ["named", "used"])
        #expect(try s.prune(all: true, filter: VolumeFilter(), users: users).map(\.0) == ["named"])
    }

    @Test(arguments: [
        (["name=da"], ["data"]), (["label=k"], ["lab"]), (["label=k=v"], ["lab"]), (["label=k=w"], []),
        (["dangling=true"], ["data"]), (["dangling=false"], ["lab"]), (["driver=local"], ["data", "lab"]),
        (["name=da", "name=la"], ["data", "lab"]),
    ])
    func listFilters(args: [String], want: [String]) throws {
        let f = try VolumeFilter(args, allowed: VolumeFilter.listKeys)
        let vols = [Volume(name: "data", mountpoint: "", createdAt: "", labels: nil, options: nil, anonymous: false),
                    Volume(name: "lab", mountpoint: "", createdAt: "", labels: ["k": "v"], options: nil, anonymous: false)]
        #expect(vols.filter { f.matches($0, used: $0.Name == "lab") }.map(\.Name) == want)
    }

    @Test(arguments: [
        ("foo=1", "invalid filter 'foo'"), ("dangling=maybe", "invalid filter 'dangling=maybe'"),
        ("nokey", "invalid argument \"nokey\" for \"--filter\" flag: bad format of filter (expected name=value)"),
    ])
    func badFilters(arg: String, message: String) {
        #expect { try VolumeFilter([arg], allowed: VolumeFilter.listKeys) } throws: { ($0 as? BoxError)?.message == message }
    }
}

/// A thread-safe count.
final class Counter: @unchecked Sendable {
    private var n = 0
    private var lock = pthread_mutex_t()
    init() { pthread_mutex_init(&lock, nil) }
    func add() { pthread_mutex_lock(&lock); n += 1; pthread_mutex_unlock(&lock) }
    var value: Int { pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }; return n }
}
