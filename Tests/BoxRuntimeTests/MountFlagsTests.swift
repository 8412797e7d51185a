import BoxCore
import BoxOCI
@testable import BoxRuntime
import Testing

/// `-v`, `--mount` and `--volumes-from` as Docker parses them, error texts included.
@Suite struct MountFlagsTests {
    static let badName = "\"includes invalid characters for a local volume name, only \\\"[a-zA-Z0-9][a-zA-Z0-9_.-]\\\" are allowed. If you intended to pass a host directory, use absolute path\""

    @Test(arguments: [
        ("/a:/b", ParsedMount.bind(BindMount(source: "/a", destination: "/b", readOnly: false, mode: "", origin: .volumeFlag))),
        ("/a/:/b/c/../d:ro", .bind(BindMount(source: "/a", destination: "/b/d", readOnly: true, mode: "ro", origin: .volumeFlag))),
        ("/a:/b:rw,z", .bind(BindMount(source: "/a", destination: "/b", readOnly: false, mode: "rw,z", origin: .volumeFlag))),
        ("./rel:/b", .bind(BindMount(source: "/cwd/rel", destination: "/b", readOnly: false, mode: "", origin: .volumeFlag))),
        ("data:/b", .volume(VolumeMount(name: "data", destination: "/b", mode: "z", origin: .volumeFlag))),
        ("data:/b:ro,nocopy", .volume(VolumeMount(name: "data", destination: "/b", readOnly: true, noCopy: true, mode: "ro,nocopy", origin: .volumeFlag))),
        ("/b", .volume(VolumeMount(name: "", destination: "/b", anonymous: true, origin: .volumeFlag))),
    ])
    func volumeFlag(spec: String, want: ParsedMount) throws {
        #expect(try MountFlags.parseVolume(spec, cwd: "/cwd") == want)
    }

    @Test(arguments: [
        ("", "invalid volume specification: ''"),
        (":/b", "invalid volume specification: ':/b'"),
        ("/a:ro", "invalid volume specification: '/a:ro'"),
        ("/a:/b:ro:x", "invalid volume specification: '/a:/b:ro:x'"),
        ("/a:/b:bogus", "invalid mode: bogus"),
        ("/a:/b:ro,rw", "invalid mode: ro,rw"),
        ("/a:rel", "invalid volume specification: '/a:rel': invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute"),
        ("/a:/", "invalid volume specification: '/a:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'"),
        ("/a:/b:nocopy", "invalid volume specification: '/a:/b:nocopy': invalid mount config for type \"bind\": field VolumeOptions must not be specified"),
        ("/a:/b:rshared", "invalid volume specification: '/a:/b:rshared': invalid mount config for type \"bind\": propagation mode rshared is not supported by box"),
        ("rel", "invalid volume specification: 'rel': invalid mount config for type \"volume\": invalid mount path: 'rel' mount path must be absolute"),
        ("a:/b", "create a: volume name is too short, names should be at least two alphanumeric characters"),
        ("foo/bar:/b", "create foo/bar: \"foo/bar\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"),
    ])
    func volumeFlagErrors(spec: String, message: String) {
        #expect { try MountFlags.parseVolume(spec, cwd: "/cwd") } throws: { ($0 as? BoxError)?.message == message }
    }

    @Test(arguments: [
        ("type=bind,source=/a,target=/b,readonly", ParsedMount.bind(BindMount(source: "/a", destination: "/b", readOnly: true, mode: "", origin: .mountFlag))),
        ("type=bind,src=/a,dst=/b,ro=false,bind-propagation=rprivate", .bind(BindMount(source: "/a", destination: "/b", readOnly: false, mode: "", origin: .mountFlag))),
        ("source=v1,destination=/b", .volume(VolumeMount(name: "v1", destination: "/b", origin: .mountFlag))),
        ("type=volume,target=/b", .volume(VolumeMount(name: "", destination: "/b", anonymous: true, origin: .mountFlag))),
        ("src=v1,dst=/b,volume-nocopy,volume-label=a=b,volume-opt=type=tmpfs,volume-opt=device=tmpfs,\"volume-opt=o=size=1m,uid=5\"",
         .volume(VolumeMount(name: "v1", destination: "/b", noCopy: true, origin: .mountFlag, labels: ["a": "b"],
                             options: ["type": "tmpfs", "device": "tmpfs", "o": "size=1m,uid=5"]))),
        ("type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770", .tmpfs(TmpfsMount(destination: "/t", sizeBytes: 64 << 20, mode: 0o1770))),
        ("type=tmpfs,dst=/t,ro", .tmpfs(TmpfsMount(destination: "/t", readOnly: true))),
    ])
    func mountFlag(spec: String, want: ParsedMount) throws {
        #expect(try MountFlags.parseMount(spec, cwd: "/cwd") == want)
    }

    @Test(arguments: [
        ("type=bind,source=/a,target=/b,nope=1", "unexpected key 'nope' in 'nope=1'"),
        ("type=bind,source=/a,target=/b,bogus", "invalid field 'bogus' must be a key=value pair"),
        ("type=bind,source=/a", "target is required"),
        ("type=,target=/b", "type is required"),
        ("type=bind,source=/a,target=/b,ro=maybe", "invalid value for ro: maybe"),
        ("type=bind,source=/a,target=/b,volume-nocopy", "cannot mix 'volume-*' options with mount type 'bind'"),
        ("type=volume,target=/b,tmpfs-size=1m", "cannot mix 'tmpfs-*' options with mount type 'volume'"),
        ("type=tmpfs,target=/b,bind-propagation=rprivate", "cannot mix 'bind-*' options with mount type 'tmpfs'"),
        ("type=tmpfs,target=/b,tmpfs-size=lots", "invalid value for tmpfs-size: lots"),
        ("type=tmpfs,target=/b,tmpfs-mode=999", "invalid value for tmpfs-mode: 999"),
        ("type=volume,target=/b,volume-nocopy=perhaps", "invalid value for volume-nocopy: perhaps"),
    ])
    func mountFlagErrors(spec: String, message: String) {
        let want = "invalid argument \"\(spec)\" for \"--mount\" flag: \(message)"
        #expect { try MountFlags.parseMount(spec, cwd: "/") } throws: { ($0 as? BoxError)?.message == want }
    }

    @Test(arguments: [
        ("type=nfs,target=/b", "invalid mount config for type \"nfs\": mount type unknown"),
        ("type=bind,target=/b", "invalid mount config for type \"bind\": field Source must not be empty"),
        ("type=bind,source=rel,target=/b", "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute"),
        ("type=bind,source=/a,target=rel", "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute"),
        ("type=bind,source=/a,target=/b,bind-propagation=sideways", "invalid mount config for type \"bind\": invalid propagation mode: sideways"),
        ("type=tmpfs,source=x,target=/b", "invalid mount config for type \"tmpfs\": field Source must not be specified"),
        ("type=volume,target=/b,readonly", "invalid mount config for type \"volume\": must not set ReadOnly mode when using anonymous volumes"),
        ("type=volume,source=v1,target=/", "invalid mount config for type \"volume\": invalid specification: destination can't be '/'"),
        ("source=v1,target=/b,volume-driver=nfs", "create v1: error looking up volume plugin nfs: plugin \"nfs\" not found"),
        ("source=v1,target=/b,volume-opt=size=1g", "create v1: invalid option key: \"size\""),
        ("source=x,target=/b", "create x: volume name is too short, names should be at least two alphanumeric characters"),
    ])
    func mountConfigErrors(spec: String, message: String) {
        #expect { try MountFlags.parseMount(spec, cwd: "/") } throws: { ($0 as? BoxError)?.message == message }
    }

    @Test(arguments: [
        ("c1", "c1", nil as Bool?), ("c1:ro", "c1", true), ("c1:rw", "c1", nil), ("c1:z", "c1", nil),
    ])
    func volumesFrom(spec: String, container: String, readOnly: Bool?) throws {
        let (c, ro) = try MountFlags.parseVolumesFrom(spec)
        #expect(c == container && ro == readOnly)
    }

    @Test(arguments: [("", "volumes-from specification cannot be an empty string"), ("c1:bogus", "invalid mode: bogus"),
                      ("c1:rshared", "invalid mode: rshared"), ("c1:nocopy", "invalid mode: nocopy")])
    func volumesFromErrors(spec: String, message: String) {
        #expect { try MountFlags.parseVolumesFrom(spec) } throws: { ($0 as? BoxError)?.message == message }
    }

    @Test(arguments: [("64m", Int64(64 << 20)), ("1.5k", 1536), ("100", 100), ("2GiB", 2 << 30), ("1 g", 1 << 30), ("x", nil), ("", nil), ("-1", nil)])
    func ramInBytes(s: String, want: Int64?) { #expect(MountFlags.ramInBytes(s) == want) }

    @Test func tmpfsOptionsAreDockers() {
        #expect(TmpfsMount(destination: "/t").options == ["noexec", "nosuid", "nodev", "rw"])
        #expect(TmpfsMount(destination: "/t", readOnly: true, sizeBytes: 3 << 20, mode: 0o1777).options
            == ["noexec", "nosuid", "nodev", "ro", "mode=1777", "size=3m"])
        #expect(TmpfsMount(destination: "/t", sizeBytes: 1000).options.last == "size=1000")
    }

    @Test func volumesBecomeBindsOfTheirDataOrWhatTheirOptionsMount() {
        let v = VolumeMount(name: "v1", destination: "/d", readOnly: true, origin: .volumeFlag)
        #expect(SpecBuilder.volumeMount(v, mountpoint: "/r/volumes/v1/_data", options: nil)
            == RuntimeSpec.Mount(destination: "/d", type: "bind", source: "/r/volumes/v1/_data", options: ["rbind", "ro"]))
        #expect(SpecBuilder.volumeMount(v, mountpoint: "/m", options: ["type": "none", "o": "bind", "device": "/srv/x"])
            == RuntimeSpec.Mount(destination: "/d", type: "bind", source: "/srv/x", options: ["rbind", "ro"]))
        #expect(SpecBuilder.volumeMount(v, mountpoint: "/m", options: ["type": "tmpfs", "o": "size=1m", "device": "tmpfs"])
            == RuntimeSpec.Mount(destination: "/d", type: "tmpfs", source: "tmpfs", options: ["size=1m", "ro"]))
    }
}
