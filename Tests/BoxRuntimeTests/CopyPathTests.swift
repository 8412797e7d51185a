import BoxRuntime
import Testing

/// `box cp`'s reading of its arguments and paths: Docker's rules.
struct CopyPathTests {
    @Test(arguments: [
        ("ctr:/a", "ctr", "/a"), ("ctr:a/b", "ctr", "a/b"), ("ctr:", "ctr", ""), ("/abs:x", nil, "/abs:x"),
        ("./a:b", nil, "./a:b"), ("file", nil, "file"), ("-", nil, "-"), ("a:b:c", "a", "b:c"), (".hidden:x", nil, ".hidden:x"),
    ] as [(String, String?, String)])
    func splitArgument(_ arg: String, _ container: String?, _ path: String) {
        let got = CopyPath.splitArgument(arg)
        #expect(got.container == container && got.path == path)
    }

    @Test(arguments: [
        ("/a/b", false, false), ("/a/b/", true, false), ("/a/b/.", true, true), (".", true, true), ("/", true, false), ("a/.b", false, false),
    ])
    func trailing(_ p: String, _ assertsDir: Bool, _ contents: Bool) {
        #expect(CopyPath.assertsDirectory(p) == assertsDir)
        #expect(CopyPath.specifiesCurrentDir(p) == contents)
    }

    @Test(arguments: [("/a/b", "/a", "b"), ("/a", "/", "a"), ("/a/b/c", "/a/b", "c")])
    func split(_ p: String, _ dir: String, _ base: String) {
        #expect(CopyPath.split(p) == (dir, base))
    }

    @Test(arguments: [("tmp/x", "/tmp/x"), ("/tmp/../x", "/x"), ("../../etc", "/etc"), ("", "/"), ("a/./b/", "/a/b")])
    func inContainer(_ p: String, _ want: String) {
        #expect(CopyPath.inContainer(p) == want)
    }
}
