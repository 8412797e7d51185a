import BoxCore
import BoxOCI
import BoxOS
@testable import BoxRuntime
import BoxTestSupport
import Testing

@Suite struct SpecTests {
    func image(entrypoint: [String]?, cmd: [String]?) -> ContainerConfig {
        var c = ContainerConfig()
        c.Entrypoint = entrypoint
        c.Cmd = cmd
        return c
    }

    /// The image spec's conversion rules with Docker's `--entrypoint` behaviour.
    @Test(arguments: [
        ([String]?.none, [String]?.some(["sh"]), String?.none, [String](), ["sh"]),
        (["/ep"], ["a"], nil, [], ["/ep", "a"]),
        (["/ep"], ["a"], nil, ["b", "c"], ["/ep", "b", "c"]),
        (["/ep"], ["a"], "/other", [], ["/other"]),
        (["/ep"], ["a"], "/other", ["x"], ["/other", "x"]),
        (["/ep"], ["a"], "", ["echo", "hi"], ["echo", "hi"]),
        (nil, ["sh"], nil, ["ls", "-l"], ["ls", "-l"]),
    ])
    func args(ep: [String]?, cmd: [String]?, override: String?, command: [String], want: [String]) throws {
        #expect(try SpecBuilder.args(image: image(entrypoint: ep, cmd: cmd), entrypoint: override, command: command) == want)
    }

    @Test func noCommandIsAnError() {
        #expect(throws: BoxError.self) { try SpecBuilder.args(image: nil, entrypoint: nil, command: []) }
        #expect(throws: BoxError.self) { try SpecBuilder.args(image: image(entrypoint: ["/x"], cmd: nil), entrypoint: "", command: []) }
    }

    @Test func envMergesWithUserWinningInPlace() {
        let env = SpecBuilder.env(image: ["PATH=/img", "A=1", "B=2"], user: ["B=3", "C=4"], hostname: "h", home: "/home/u")
        #expect(env == ["PATH=/img", "HOSTNAME=h", "A=1", "B=3", "C=4", "HOME=/home/u"])
        let bare = SpecBuilder.env(image: nil, user: ["HOME=/x"], hostname: "h", home: "/root")
        #expect(bare == [SpecBuilder.defaultPath, "HOSTNAME=h", "HOME=/x"])
    }

    @Test func capabilitiesAddDropAndAll() throws {
        #expect(try SpecBuilder.capabilities(add: [], drop: []) == Capabilities.dockerDefault)
        let c = try SpecBuilder.capabilities(add: ["sys_admin"], drop: ["CAP_CHOWN", "kill"])
        #expect(c.contains("CAP_SYS_ADMIN") && !c.contains("CAP_CHOWN") && !c.contains("CAP_KILL"))
        #expect(try SpecBuilder.capabilities(add: ["NET_ADMIN"], drop: ["ALL"]) == ["CAP_NET_ADMIN"])
        #expect(throws: BoxError.self) { try SpecBuilder.capabilities(add: ["BOGUS"], drop: []) }
    }

    @Test func specHasNamespacesMasksAndMountsInOrder() throws {
        var cfg = ImageConfig(architecture: "amd64", os: "linux", config: image(entrypoint: nil, cmd: ["sh"]), rootfs: RootFS(diffIDs: []))
        cfg.config?.WorkingDir = "/w"
        var o = RunOptions()
        o.binds = [BindMount(source: "/h/a/b", destination: "/x/y", readOnly: true), BindMount(source: "/h", destination: "/x", readOnly: false)]
        let user = ResolvedUser(uid: 0, gid: 0, additionalGids: [], home: "/root")
        let s = try SpecBuilder.spec(image: cfg, options: o, user: user, hostname: "h", rootfs: "/r", runDir: "/run/x", cgroupsPath: "box/x")
        #expect(s.process.cwd == "/w")
        #expect(Set(s.linux.namespaces.map(\.type)) == ["pid", "mount", "uts", "ipc", "cgroup", "network"])
        #expect(s.linux.maskedPaths.contains("/proc/keys") && s.linux.readonlyPaths.contains("/proc/sys"))
        let dests = s.mounts.map(\.destination)
        #expect(dests.prefix(6) == ["/proc", "/dev", "/dev/pts", "/sys", "/dev/mqueue", "/dev/shm"])
        // a shallower bind first, so the deeper one lands on top of it
        #expect(dests.firstIndex(of: "/x")! < dests.firstIndex(of: "/x/y")!)
        #expect(s.mounts.first { $0.destination == "/x/y" }?.options?.contains("ro") == true)
        o.network = "host"
        let host = try SpecBuilder.spec(image: cfg, options: o, user: user, hostname: "h", rootfs: "/r", runDir: "/run/x", cgroupsPath: "box/x")
        #expect(!host.linux.namespaces.contains { $0.type == "network" })
    }

    @Test func mountOptionsSplitIntoFlagsAndData() {
        let o = MountOptions(["nosuid", "noexec", "ro", "mode=755", "size=65536k", "rbind"])
        #expect(o.data == "mode=755,size=65536k")
        #expect(o.flags != 0)
    }

    @Test(arguments: ["ok-name", "a.b_c-1", "x1"])
    func validNames(n: String) { #expect(throws: Never.self) { try Containers.validateName(n) } }

    @Test(arguments: ["a", "-x", "a/b", "with space", "", "ünï"])
    func invalidNames(n: String) { #expect(throws: BoxError.self) { try Containers.validateName(n) } }
}

@Suite struct UserTests {
    let passwd = Array("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app user:/home/app:/bin/sh\n# c\nnobody:x:65534:65534::/nonexistent:/bin/false\n".utf8)
    let group = Array("root:x:0:\napp:x:1000:\nstaff:x:50:app,other\nwheel:x:10:root\n".utf8)

    @Test(arguments: [
        ("", ResolvedUser(uid: 0, gid: 0, additionalGids: [10], home: "/root")),
        ("app", ResolvedUser(uid: 1000, gid: 1000, additionalGids: [50], home: "/home/app")),
        ("1000", ResolvedUser(uid: 1000, gid: 1000, additionalGids: [50], home: "/home/app")),
        ("4321", ResolvedUser(uid: 4321, gid: 0, additionalGids: [], home: "/")),
        ("app:staff", ResolvedUser(uid: 1000, gid: 50, additionalGids: [], home: "/home/app")),
        ("app:77", ResolvedUser(uid: 1000, gid: 77, additionalGids: [], home: "/home/app")),
        ("nobody", ResolvedUser(uid: 65534, gid: 65534, additionalGids: [], home: "/nonexistent")),
    ])
    func resolves(spec: String, want: ResolvedUser) throws {
        #expect(try Users.resolve(spec, passwd: passwd, group: group) == want)
    }

    @Test func unknownUserOrGroup() throws {
        #expect(throws: BoxError.self) { try Users.resolve("ghost", passwd: passwd, group: group) }
        #expect(throws: BoxError.self) { try Users.resolve("app:ghosts", passwd: passwd, group: group) }
        #expect(throws: BoxError.self) { try Users.resolve("app", passwd: nil, group: nil) }
        #expect(try Users.resolve("12", passwd: nil, group: nil).uid == 12)
    }
}
