#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxTestSupport
import Testing

private let zstdPath = ["/usr/bin/zstd", "/bin/zstd"].first { Files.exists($0) }

/// The architecture `box pull` picks from an index by default (the host's, in OCI terms).
private let hostArch: String? = {
    #if arch(x86_64)
    return "amd64"
    #elseif arch(arm64)
    return "arm64"
    #else
    return nil
    #endif
}()

/// Why the shared registry could not be set up.
struct VariantSetupFailure: Error, CustomStringConvertible {
    let description: String
    init(_ s: String) { description = s }
}

/// The suite's one plain registry, filled by `Fixtures/registry/push_variants.py` on first use (see its
/// docstring for what it pushes), with the facts the tests compare against. Stopped and removed at exit.
final class VariantRegistry: Sendable {
    let reg: TestRegistry
    let dir: String
    /// push_variants.py's JSON line: `test/zstd` … `test/multi-docker`, `config`, `multi-arm64-config`, …
    let digests: [String: String]
    /// The image ID `box load` gives the fixture archive's `latest` image.
    let loadedID: String
    /// What `ls` shows of the files the fixture's second layer changes (whiteouts, opaque dir), after a load.
    let loadedListing: String

    static let listing = "ls -A /etc /opt/data /usr/local/bin; cat /opt/data/c.txt"
    static let script = "\(TestSupport.repoRoot)/Fixtures/registry/push_variants.py"

    var host: String { reg.host }

    subscript(_ key: String) -> String { digests[key] ?? "<no \(key) in \(digests)>" }

    static let shared: Result<VariantRegistry, VariantSetupFailure> = {
        do throws(VariantSetupFailure) {
            let v = try VariantRegistry()
            atexit { VariantRegistry.shutdown() }
            return .success(v)
        } catch {
            return .failure(error)
        }
    }()

    static func get() throws -> VariantRegistry { try shared.get() }

    private static func shutdown() {
        guard case .success(let v) = shared else { return }
        v.reg.stop()
        TestSupport.removeTree(v.dir)
    }

    private init() throws(VariantSetupFailure) {
        let dir = TestSupport.tempDir("box-variants")
        guard let reg = TestRegistry.start(mode: "plain", dir: dir) else {
            TestSupport.removeTree(dir)
            throw VariantSetupFailure("registry: \(TestRegistry.lastSkipReason ?? TestRegistry.lastFailure ?? "?")")
        }
        func fail(_ why: String) -> VariantSetupFailure {
            reg.stop()
            TestSupport.removeTree(dir)
            return VariantSetupFailure(why)
        }
        let push = TestSupport.run([TestRegistry.python, Self.script, "--host", reg.host,
                                    "--oci", TestSupport.fixture("box-demo.oci.tar")])
        let line = push.stdout.split(separator: "\n").first.map { Array($0.utf8) } ?? []
        guard push.status == 0, let digests = try? JSON.decode([String: String].self, from: line, what: "push_variants output"),
              digests["skip"] == nil else {
            throw fail("push_variants.py: status \(push.status)\n\(push.stdout)\n\(push.stderr)\n\(reg.log.suffix(2000))")
        }
        let loaded = Harness(load: true)
        defer { loaded.cleanup() }
        let id = loaded.box("image", "inspect", "--format", "{{.Id}}", "box-demo:latest")
        let listing = loaded.sh(Self.listing)
        guard id.status == 0, id.stdout.hasPrefix("sha256:"), listing.status == 0 else {
            throw fail("box load of the fixture: \(id.stdout) \(id.stderr) \(listing.stderr)")
        }
        self.reg = reg
        self.dir = dir
        self.digests = digests
        self.loadedID = id.stdout.trimmedLine
        self.loadedListing = listing.stdout
    }
}

/// Layer media types (zstd, plain tar, Docker schema 2) and platform choice from an OCI index and a Docker
/// manifest list, against Debian's reference registry filled over the registry API by push_variants.py.
@Suite(.enabled(if: Host.canRun, "needs root, the fixtures and the built binary"),
       .enabled(if: TestRegistry.registryInstalled, "docker-registry is not installed (apt-get install docker-registry)"),
       .enabled(if: zstdPath != nil, "the zstd CLI is not installed (apt-get install zstd)"),
       .serialized)
struct PullVariantsTests {
    /// `box image inspect --format FORMAT REF`, trailing newline dropped.
    func inspect(_ h: Harness, _ ref: String, _ format: String) -> String {
        let r = h.box("image", "inspect", "--format", format, ref)
        return r.status == 0 ? r.stdout.trimmedLine : "<inspect failed: \(r.stderr)>"
    }

    /// No image and no staging left in a root.
    func expectEmpty(_ h: Harness, _ what: String) {
        #expect(h.box("images", "-q").stdout == "", "\(what): an image appeared")
        #expect(((try? Files.list(h.root + "/tmp")) ?? []).isEmpty, "\(what): staging left in tmp/")
    }

    @Test(arguments: ["test/zstd", "test/tar", "test/docker"])
    func layerMediaTypes(repo: String) throws {
        let v = try VariantRegistry.get()
        let h = Harness(load: false)
        defer { h.cleanup() }
        let ref = "\(v.host)/\(repo):latest"
        let pull = h.box("pull", ref)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stdout.contains("Digest: \(v[repo])"), "\(pull.stdout)")
        #expect(pull.stdout.contains(": Pull complete"), "\(pull.stdout)")
        let run = h.box("run", "--rm", ref)
        #expect(run.status == 0 && run.stdout == "Hello from box! hello from box\n", "\(run.stdout) \(run.stderr)")
        // same config as the archive: the same image ID as box load, whatever the layers' compression
        #expect(v.loadedID == v["config"])
        #expect(inspect(h, ref, "{{.Id}}") == v.loadedID)
        #expect(inspect(h, ref, "{{json .RepoDigests}}") == "[\"\(v.host)/\(repo)@\(v[repo])\"]")
        #expect(inspect(h, ref, "{{.Architecture}}") == "amd64")
        // the whiteouts and the opaque directory of the second layer came through
        let listing = h.sh(VariantRegistry.listing, image: ref)
        #expect(listing.status == 0 && listing.stdout == v.loadedListing, "\(listing.stdout) \(listing.stderr)")
        #expect(((try? Files.list(h.root + "/tmp")) ?? []).isEmpty)
    }

    @Test(.enabled(if: hostArch != nil, "no default platform in the test index for this host"))
    func ociIndexPicksTheHost() throws {
        let v = try VariantRegistry.get()
        let arch = hostArch!
        let h = Harness(load: false)
        defer { h.cleanup() }
        let ref = "\(v.host)/test/multi:latest"
        let pull = h.box("pull", ref)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stdout.contains("Digest: \(v["test/multi"])"), "\(pull.stdout)")
        #expect(inspect(h, ref, "{{.Id}}") == v["multi-\(arch)-config"])
        #expect(inspect(h, ref, "{{.Architecture}}") == arch)
        #expect(inspect(h, ref, "{{.Os}}") == "linux")
        // RepoDigests name the index: what `repo@digest` pulls
        #expect(inspect(h, ref, "{{json .RepoDigests}}") == "[\"\(v.host)/test/multi@\(v["test/multi"])\"]")
        if arch == "amd64" { #expect(inspect(h, ref, "{{.Id}}") == v.loadedID) }
        let run = h.box("run", "--rm", ref)
        #expect(run.status == 0 && run.stdout == "Hello from box! hello from box\n", "\(run.stderr)")
    }

    @Test func ociIndexWithPlatform() throws {
        let v = try VariantRegistry.get()
        let h = Harness(load: false)
        defer { h.cleanup() }
        let ref = "\(v.host)/test/multi:latest"
        let pull = h.box("pull", "--platform", "linux/arm64", ref)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(inspect(h, ref, "{{.Id}}") == v["multi-arm64-config"])
        #expect(v["multi-arm64-config"] != v["multi-amd64-config"])
        #expect(inspect(h, ref, "{{.Architecture}}") == "arm64")
        #expect(inspect(h, ref, "{{json .RepoDigests}}") == "[\"\(v.host)/test/multi@\(v["test/multi"])\"]")
        // the other platform joins it in the same store: two images, the tag moves to the newest
        let amd = h.box("pull", "--platform", "linux/amd64", ref)
        #expect(amd.status == 0, "\(amd.stderr)")
        #expect(inspect(h, ref, "{{.Architecture}}") == "amd64")
        #expect(inspect(h, v["multi-arm64-config"], "{{.Architecture}}") == "arm64")
        let ids = h.box("images", "-aq", "--no-trunc").stdout.split(separator: "\n").map(String.init).sorted()
        #expect(ids == [v["multi-amd64-config"], v["multi-arm64-config"]].sorted(), "\(ids)")
    }

    @Test func pullByIndexDigest() throws {
        let v = try VariantRegistry.get()
        let h = Harness(load: false)
        defer { h.cleanup() }
        let index = v["test/multi"]
        let ref = "\(v.host)/test/multi@\(index)"
        let id = v["multi-\(hostArch ?? "amd64")-config"]
        let pull = h.box("pull", ref)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stdout.contains("Digest: \(index)"), "\(pull.stdout)")
        #expect(h.box("images", "-q", "--no-trunc").stdout == id + "\n")
        #expect(inspect(h, id, "{{json .RepoDigests}}") == "[\"\(ref)\"]")
        #expect(inspect(h, id, "{{json .RepoTags}}") == "[]")
        // what was pulled as repo@digest is found as repo@digest (Docker and podman: yes)
        #expect(inspect(h, ref, "{{.Id}}") == id)
        let run = h.box("run", "--rm", "--pull", "never", ref)
        #expect(run.status == 0 && run.stdout == "Hello from box! hello from box\n", "\(run.stderr)")
        // the index digest with a platform
        let arm = h.box("pull", "--platform", "linux/arm64", ref)
        #expect(arm.status == 0, "\(arm.stderr)")
        #expect(inspect(h, v["multi-arm64-config"], "{{json .RepoDigests}}") == "[\"\(ref)\"]")
        #expect(inspect(h, v["multi-arm64-config"], "{{.Architecture}}") == "arm64")

        // a platform manifest's own digest pulls that manifest, whatever the platform
        let other = Harness(load: false)
        defer { other.cleanup() }
        let direct = "\(v.host)/test/multi@\(v["multi-arm64"])"
        let byManifest = other.box("pull", direct)
        #expect(byManifest.status == 0, "\(byManifest.stderr)")
        #expect(inspect(other, direct, "{{.Id}}") == v["multi-arm64-config"])
        #expect(inspect(other, direct, "{{json .RepoDigests}}") == "[\"\(direct)\"]")
    }

    @Test func dockerManifestList() throws {
        let v = try VariantRegistry.get()
        let ref = "\(v.host)/test/multi-docker:latest"
        let list = v["test/multi-docker"]
        for (platform, key, arch, variant) in [("linux/arm/v7", "multi-docker-armv7-config", "arm", "v7"),
                                                ("linux/arm64", "multi-docker-arm64-config", "arm64", ""),
                                                ("linux/amd64", "multi-docker-amd64-config", "amd64", "")] {
            let h = Harness(load: false)
            defer { h.cleanup() }
            let pull = h.box("pull", "--platform", platform, ref)
            #expect(pull.status == 0, "\(platform): \(pull.stderr)")
            #expect(pull.stdout.contains("Digest: \(list)"), "\(platform): \(pull.stdout)")
            #expect(inspect(h, ref, "{{.Id}}") == v[key], "\(platform)")
            #expect(inspect(h, ref, "{{.Architecture}}") == arch, "\(platform)")
            #expect(inspect(h, ref, "{{if .Variant}}{{.Variant}}{{end}}") == variant, "\(platform)")
            #expect(inspect(h, ref, "{{json .RepoDigests}}") == "[\"\(v.host)/test/multi-docker@\(list)\"]", "\(platform)")
        }
        #expect(v["multi-docker-amd64-config"] == v.loadedID)
        // without --platform: the host's
        if let arch = hostArch {
            let h = Harness(load: false)
            defer { h.cleanup() }
            #expect(h.box("pull", "-q", ref).status == 0)
            #expect(inspect(h, ref, "{{.Id}}") == v["multi-docker-\(arch)-config"])
            let run = h.box("run", "--rm", ref)
            #expect(run.status == 0 && run.stdout == "Hello from box! hello from box\n", "\(run.stderr)")
        }
    }

    /// A variant asked for is a floor on what the CPU runs: arm/v6 cannot run the list's arm/v7 image
    /// (containerd's matcher takes v6 and v5 for linux/arm/v6, Docker says "no matching manifest").
    @Test func armV6DoesNotGetV7() throws {
        let v = try VariantRegistry.get()
        let h = Harness(load: false)
        defer { h.cleanup() }
        // an arm/v6 CPU cannot run v7 code: no fallback to another variant
        let r = h.box("pull", "--platform", "linux/arm/v6", "\(v.host)/test/multi-docker:latest")
        #expect(r.status == 125 && r.stderr.contains("linux/arm/v6"), "\(r.stdout) \(r.stderr)")
        // the platform is case-insensitive, and a single-platform image for another one is refused
        #expect(h.box("pull", "-q", "--platform", "LINUX/AMD64", "\(v.host)/test/zstd:latest").status == 0)
        let wrong = h.box("pull", "--platform", "linux/arm64", "\(v.host)/test/zstd:latest")
        #expect(wrong.status == 125 && wrong.stderr.contains("not the requested platform linux/arm64"), "\(wrong.stderr)")
    }

    @Test(arguments: [("test/multi", "linux/s390x"), ("test/multi-docker", "linux/s390x"), ("test/multi", "windows/amd64")])
    func platformNotInTheIndex(repo: String, platform: String) throws {
        let v = try VariantRegistry.get()
        let h = Harness(load: false)
        defer { h.cleanup() }
        let r = h.box("pull", "--platform", platform, "\(v.host)/\(repo):latest")
        #expect(r.status == 125, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.hasPrefix("Error: ") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.contains(platform), "\(r.stderr)")
        expectEmpty(h, "\(repo) \(platform)")
    }
}

extension String {
    /// Without the trailing newline(s) of a command's output.
    fileprivate var trimmedLine: String {
        var s = Substring(self)
        while s.last == "\n" || s.last == "\r" { s = s.dropLast() }
        return String(s)
    }
}
