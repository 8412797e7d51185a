#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BoxCore
import BoxOS
import BoxRuntime

/// The security flags of `run` and `create` (`--cap-add`/`--cap-drop` are checked here too).
struct SecurityFlags: ParsableArguments {
    @Flag(name: .customLong("privileged"), help: "Give extended privileges to this container")
    var privileged = false
    @Option(name: .customLong("security-opt"),
            help: "Security options: seccomp=unconfined|PROFILE.json, no-new-privileges[=true], unmask=ALL|PATH[:PATH…], systempaths=unconfined")
    var securityOpt: [String] = []

    /// Checks the values and puts them into `o`, with Docker's errors (the CLI's and the daemon's).
    func apply(to o: inout RunOptions) throws(BoxError) {
        try SecurityFlags.checkCapabilities(o.capAdd, what: "CapAdd")
        try SecurityFlags.checkCapabilities(o.capDrop, what: "CapDrop")
        var s = SecurityOptions()
        s.privileged = privileged
        for opt in securityOpt { try SecurityFlags.parse(opt, into: &s) }
        // Docker's daemon disables SELinux labels for privileged containers, and inspect shows it
        if privileged && !s.securityOpt.contains(where: { $0.hasPrefix("label=") || $0.hasPrefix("label:") }) {
            s.securityOpt.append("label=disable")
        }
        o.security = s
    }

    /// `--cap-add`/`--cap-drop` names: `ALL`, or a capability of this kernel, `CAP_` optional, any case.
    static func checkCapabilities(_ names: [String], what: String) throws(BoxError) {
        let known = Set(Capabilities.all)
        for n in names {
            var c = n.uppercased()
            if c == "ALL" { continue }
            if !c.hasPrefix("CAP_") { c = "CAP_" + c }
            guard known.contains(c) else { throw BoxError(.invalidArgument, "invalid \(what): unknown capability: \"\(c)\"") }
        }
    }

    /// One `--security-opt`, as Docker's CLI and daemon read it (`KEY=VALUE`, or the deprecated `KEY:VALUE`).
    static func parse(_ opt: String, into s: inout SecurityOptions) throws(BoxError) {
        if opt == "no-new-privileges" {
            s.noNewPrivileges = true
            s.securityOpt.append(opt)
            return
        }
        var kv = opt.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        if kv.count < 2 { kv = opt.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init) }
        guard kv.count == 2, !kv[1].isEmpty else { throw BoxError(.invalidArgument, "Invalid --security-opt: \"\(opt)\"") }
        let (key, value) = (kv[0], kv[1])
        switch key {
        case "seccomp":
            switch value {
            case "unconfined":
                s.seccompUnconfined = true
                s.seccompProfile = nil
            case "builtin":
                s.seccompUnconfined = false
                s.seccompProfile = nil
            default:
                let bytes: [UInt8]
                do { bytes = try Files.read(value) } catch {
                    throw BoxError(.invalidArgument, "opening seccomp profile (\(value)) failed: open \(value): \(errnoText(error.errno ?? EIO))")
                }
                guard let compact = JSONCompact.compact(bytes) else {
                    throw BoxError(.invalidArgument, "compacting json for seccomp profile (\(value)) failed: not valid json")
                }
                try s.setSeccompProfile(bytes, path: value)
                s.securityOpt.append("seccomp=" + String(decoding: compact, as: UTF8.self))
                return
            }
        case "no-new-privileges":
            guard let b = parseBool(value) else { throw BoxError(.invalidArgument, "invalid --security-opt 2: \"\(opt)\"") }
            s.noNewPrivileges = b
        case "unmask":
            s.unmask += value.split(separator: ":").map(String.init)
        case "systempaths":
            // Docker's CLI turns it into empty MaskedPaths and ReadonlyPaths; it is not kept as an option
            guard value == "unconfined" else { throw BoxError(.invalidArgument, "invalid --security-opt 2: \"\(opt)\"") }
            s.unmask.append("ALL")
            return
        case "label", "apparmor":
            break  // no SELinux or AppArmor here: accepted and ignored, as Docker does on such a host
        case "writable-cgroups":
            guard parseBool(value) != nil else { throw BoxError(.invalidArgument, "invalid --security-opt 2: \"\(opt)\"") }
        default:
            throw BoxError(.invalidArgument, "invalid --security-opt 2: \"\(opt)\"")
        }
        s.securityOpt.append(opt)
    }

    /// Go's `strconv.ParseBool`.
    static func parseBool(_ s: String) -> Bool? {
        switch s {
        case "1", "t", "T", "true", "TRUE", "True": true
        case "0", "f", "F", "false", "FALSE", "False": false
        default: nil
        }
    }
}

/// Go's `json.Compact`: the JSON text without the whitespace between tokens; nil if it is not JSON-shaped
/// (unbalanced brackets, an unterminated string, or no value at all).
enum JSONCompact {
    static func compact(_ bytes: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var inString = false, escaped = false, depth = 0
        for b in bytes {
            if inString {
                out.append(b)
                if escaped { escaped = false } else if b == 0x5c { escaped = true } else if b == 0x22 { inString = false }
                continue
            }
            switch b {
            case 0x20, 0x09, 0x0a, 0x0d: continue
            case 0x22: inString = true
            case 0x7b, 0x5b: depth += 1
            case 0x7d, 0x5d:
                depth -= 1
                if depth < 0 { return nil }
            default: break
            }
            out.append(b)
        }
        guard !inString, depth == 0, let first = out.first, first == 0x7b || first == 0x5b else { return nil }
        return out
    }
}
