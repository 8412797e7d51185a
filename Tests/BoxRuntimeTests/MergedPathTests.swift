#if canImport(Glibc)
import Glibc
#endif
import BoxCore
@testable import BoxRuntime
import BoxTestSupport
import Testing

/// Mount destinations resolved in merged layers as runc's `SecureJoin` does: symlinks stay inside the root.
@Suite struct MergedPathTests {
    /// Two layers: the lower has `/etc/dir/`, `/abs -> /etc/dir`, `/rel -> ../../../etc`, `/out -> /host/only`,
    /// `/loop -> /loop`, `/file`; the upper replaces `/etc/dir` by a symlink to `/srv` and adds `/srv/`.
    static func layers() throws -> (String, [String]) {
        let t = TestSupport.tempDir("merged")
        let lower = t + "/lower", upper = t + "/upper"
        for d in [lower + "/etc/dir", upper + "/etc", upper + "/srv"] { try Files.mkdirAll(d) }
        try Files.write(lower + "/file", [])
        for (target, link) in [("/etc/dir", "/abs"), ("../../../etc", "/rel"), ("/host/only", "/out"), ("/loop", "/loop")] {
            #expect(symlink(target, lower + link) == 0)
        }
        #expect(symlink("/srv", upper + "/etc/dir") == 0)
        return (t, [upper, lower])
    }

    @Test(arguments: [
        ("/data", "/data"), ("/etc/dir", "/srv"), ("/abs/x", "/srv/x"), ("/rel/dir", "/srv"), ("/rel", "/etc"),
        ("/out", "/host/only"), ("/out/../x", "/host/x"), ("/out/../../../x", "/x"), ("/../../etc", "/etc"), ("/file/x", "/file/x"),
        ("/loop", "/loop"),
    ])
    func resolvesInsideTheRoot(path: String, want: String) throws {
        let (t, layers) = try Self.layers()
        defer { TestSupport.removeTree(t) }
        #expect(try MergedPath.inRoot(path, layers: layers) == want)
    }

    @Test func rootIsRefusedAsAMountTarget() throws {
        let (t, layers) = try Self.layers()
        defer { TestSupport.removeTree(t) }
        #expect(symlink("/", layers[0] + "/slash") == 0)
        #expect { try Containers.mountTarget("/slash", layers: layers) } throws: {
            ($0 as? BoxError)?.message == "invalid mount config: destination /slash resolves to / in the container"
        }
    }
}
