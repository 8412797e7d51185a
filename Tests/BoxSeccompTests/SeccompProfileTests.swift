import BoxOCI
import Testing
@testable import BoxSeccomp

let allow: UInt32 = 0x7fff_0000
let eperm: UInt32 = 0x0005_0001
let x86_64: UInt32 = 0xC000_003E, i386: UInt32 = 0x4000_0003
let x32Bit: Int32 = 0x4000_0000
let defaultCaps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
                   "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
                   "CAP_AUDIT_WRITE"]

func compiled(_ caps: [String] = defaultCaps, _ profile: SeccompProfile = .dockerDefault) throws -> BPF {
    let policy = try #require(try profile.resolve(capabilities: caps, arch: "amd64", archToken: "SCMP_ARCH_X86_64", kernel: (6, 1)))
    return BPF(try SeccompFilter.compile(policy))
}

@Suite struct DefaultProfileTests {
    @Test func resolvesForX86_64WithItsSubArchitectures() throws {
        let p = try #require(try SeccompProfile.dockerDefault.resolve(capabilities: defaultCaps, arch: "amd64",
                                                                       archToken: "SCMP_ARCH_X86_64", kernel: (6, 1)))
        #expect(p.defaultAction == "SCMP_ACT_ERRNO")
        #expect(p.defaultErrnoRet == 1)
        #expect(p.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        let names = Set((p.syscalls ?? []).flatMap(\.names))
        #expect(names.contains("arch_prctl"))
        #expect(!names.contains("mount"))  // needs CAP_SYS_ADMIN
        #expect(!names.contains("set_tls"))  // arm only
        #expect(names.contains("chroot"))  // CAP_SYS_CHROOT is a default capability
        #expect(names.contains("ptrace"))  // kernel >= 4.8
    }

    @Test func allowsOrdinarySyscallsOnEveryArchitecture() throws {
        let f = try compiled()
        #expect(f.run(nr: 0) == allow)                             // read
        #expect(f.run(nr: 59) == allow)                            // execve
        #expect(f.run(nr: 3, arch: i386) == allow)                 // read, i386
        #expect(f.run(nr: 0 | x32Bit) == allow)                    // read, x32
        #expect(f.run(nr: 1000) == eperm)                          // no such syscall
    }

    @Test func refusesWhatNeedsCapabilitiesTheContainerLacks() throws {
        let f = try compiled()
        #expect(f.run(nr: 165) == eperm)                           // mount
        #expect(f.run(nr: 21, arch: i386) == eperm)                // mount, i386
        #expect(f.run(nr: 272) == eperm)                           // unshare
        #expect(f.run(nr: 248) == eperm)                           // add_key (keyctl)
        #expect(f.run(nr: 175) == eperm)                           // init_module
        #expect(f.run(nr: 313) == eperm)                           // finit_module
        #expect(f.run(nr: 169) == eperm)                           // reboot
        #expect(f.run(nr: 321) == eperm)                           // bpf
    }

    @Test func filtersCloneClone3PersonalityAndSocketByArgument() throws {
        let f = try compiled()
        #expect(f.run(nr: 56, args: [0x0001_1200]) == allow)       // clone: a thread-less fork
        #expect(f.run(nr: 56, args: [0x1000_0000]) == eperm)       // clone(CLONE_NEWUSER)
        #expect(f.run(nr: 56, args: [0x0002_0000]) == eperm)       // clone(CLONE_NEWNS)
        #expect(f.run(nr: 435) == 0x0005_0000 | 38)                // clone3: ENOSYS, so libc falls back to clone
        #expect(f.run(nr: 135, args: [0]) == allow)                // personality(PER_LINUX)
        #expect(f.run(nr: 135, args: [0xffff_ffff]) == allow)      // personality query
        #expect(f.run(nr: 135, args: [0x0040_0000]) == eperm)      // personality(READ_IMPLIES_EXEC)
        #expect(f.run(nr: 41, args: [2]) == allow)                 // socket(AF_INET)
        #expect(f.run(nr: 41, args: [40]) == eperm)                // socket(AF_VSOCK)
    }

    @Test func capabilitiesOpenTheirSyscalls() throws {
        let f = try compiled(defaultCaps + ["CAP_SYS_ADMIN", "CAP_SYS_MODULE"])
        #expect(f.run(nr: 165) == allow)                           // mount
        #expect(f.run(nr: 272) == allow)                           // unshare
        #expect(f.run(nr: 56, args: [0x1000_0000]) == allow)       // clone(CLONE_NEWUSER)
        #expect(f.run(nr: 435) == allow)                           // clone3
        #expect(f.run(nr: 313) == allow)                           // finit_module
        let none = try compiled([])
        #expect(none.run(nr: 161) == eperm)                        // chroot without CAP_SYS_CHROOT
    }

    @Test func oldKernelsLeavePtraceOut() throws {
        let p = try #require(try SeccompProfile.dockerDefault.resolve(capabilities: [], arch: "amd64",
                                                                       archToken: "SCMP_ARCH_X86_64", kernel: (4, 4)))
        #expect(!(p.syscalls ?? []).flatMap(\.names).contains("ptrace"))
    }
}

@Suite struct ProfileFileTests {
    @Test func parsesDockersFormat() throws {
        let json = """
            {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
             "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
                          {"name": "getpid", "action": "SCMP_ACT_KILL"},
                          {"names": ["no_such_syscall"], "action": "SCMP_ACT_ERRNO"},
                          {"names": ["chmod"], "action": "SCMP_ACT_ALLOW"}]}
            """
        let profile = try SeccompProfile.parse(Array(json.utf8), what: "p.json")
        let f = try compiled([], profile)
        #expect(f.run(nr: 83) == 0x0005_0000 | 13)                 // mkdir: EACCES
        #expect(f.run(nr: 39) == 0)                                // getpid: kill
        #expect(f.run(nr: 0) == allow)                             // the default
        #expect(f.run(nr: 3, arch: i386) == 0)                     // another architecture: killed (bad arch)
    }

    @Test(arguments: [
        ("not json", "decoding seccomp profile failed"),
        (#"{"defaultAction": "SCMP_ACT_NOPE"}"#, "string SCMP_ACT_NOPE is not a valid action for seccomp"),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "BAD"}]}"#,
         "string BAD is not a valid action for seccomp"),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_VAX"]}"#, "string SCMP_ARCH_VAX is not a valid arch for seccomp"),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]}"#,
         "string SCMP_CMP_ABOUT is not a valid operator for seccomp"),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]}"#,
         "'architectures' and 'archMap' were specified"),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "read", "names": ["write"], "action": "SCMP_ACT_ERRNO"}]}"#,
         "'name' and 'names' were specified"),
    ])
    func refusesMalformedProfiles(json: String, message: String) {
        do {
            let p = try SeccompProfile.parse(Array(json.utf8), what: "p.json")
            _ = try p.resolve(capabilities: [])
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func anEmptyProfileTurnsSeccompOff() throws {
        let p = try SeccompProfile.parse(Array(#"{"defaultAction": ""}"#.utf8), what: "p.json")
        #expect(try p.resolve(capabilities: []) == nil)
    }
}
