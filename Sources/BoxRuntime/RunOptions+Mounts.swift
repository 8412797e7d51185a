import BoxCore
import BoxVolume

/// One mount a user asked for with `-v` or `--mount`.
public enum ParsedMount: Sendable, Equatable {
    case bind(BindMount)
    case volume(VolumeMount)
    case tmpfs(TmpfsMount)
}

/// The parsers of `-v`, `--mount` and `--volumes-from`, with Docker's rules and error texts (its CLI's and
/// then its daemon's checks, in that order).
public enum MountFlags {
    /// `-v [SRC:]DST[:MODE]`: an absolute SRC (or one starting with `.`, made absolute from `cwd` as Docker's CLI
    /// does) is a bind mount, another SRC a named volume, none an anonymous volume.
    public static func parseVolume(_ raw: String, cwd: String) throws(BoxError) -> ParsedMount {
        let arr = raw.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        let invalid = BoxError(.invalidArgument, "invalid volume specification: '\(raw)'")
        guard !arr[0].isEmpty else { throw invalid }
        var source = "", target = "", mode = ""
        switch arr.count {
        case 1: target = arr[0]
        case 2:
            // a destination and a mode is no volume: `/foo:rw`
            if validMode(arr[1]) { throw invalid }
            (source, target) = (arr[0], arr[1])
        case 3: (source, target, mode) = (arr[0], arr[1], arr[2])
        default: throw invalid
        }
        guard validMode(mode) else { throw BoxError(.invalidArgument, "invalid mode: \(mode)") }
        if source.hasPrefix(".") { source = clean(cwd + "/" + source) }
        let words = mode.split(separator: ",").map(String.init)
        let isBind = source.hasPrefix("/")
        let type = isBind ? "bind" : "volume"
        func fail(_ why: String) -> BoxError {
            BoxError(.invalidArgument, "invalid volume specification: '\(raw)': invalid mount config for type \"\(type)\": \(why)")
        }
        let dst = try destination(target, fail)
        if let p = words.first(where: { propagationModes.contains($0) }), !["private", "rprivate"].contains(p) {
            throw fail("propagation mode \(p) is not supported by box")
        }
        let readOnly = words.contains("ro")
        let noCopy = words.contains("nocopy")
        if isBind {
            if noCopy { throw fail("field VolumeOptions must not be specified") }
            return .bind(BindMount(source: clean(source), destination: dst, readOnly: readOnly, mode: mode, origin: .volumeFlag))
        }
        if source.isEmpty {
            return .volume(VolumeMount(name: "", destination: dst, anonymous: true, noCopy: noCopy, origin: .volumeFlag))
        }
        try VolumeName.validate(source)
        return .volume(VolumeMount(name: source, destination: dst, readOnly: readOnly, noCopy: noCopy,
                                   mode: mode.isEmpty ? "z" : mode, origin: .volumeFlag))
    }

    /// `--mount type=volume|bind|tmpfs,src=…,dst=…,…` with Docker's keys.
    public static func parseMount(_ raw: String, cwd: String) throws(BoxError) -> ParsedMount {
        func flag(_ why: String) -> BoxError {
            BoxError(.invalidArgument, "invalid argument \"\(raw)\" for \"--mount\" flag: \(why)")
        }
        var type = "volume", source = "", target = "", readOnly = false
        var volumeOpts = false, bindOpts = false, tmpfsOpts = false
        var noCopy = false, driver = "", labels: [String: String] = [:], options: [String: String] = [:]
        var propagation = "", size: Int64?, fileMode: UInt32?
        for field in try csv(raw, flag) {
            guard let eq = field.firstIndex(of: "=") else {
                switch field {
                case "readonly", "ro": readOnly = true
                case "volume-nocopy": (volumeOpts, noCopy) = (true, true)
                case "bind-nonrecursive": throw flag("bind-nonrecursive is not supported by box")
                default: throw flag("invalid field '\(field)' must be a key=value pair")
                }
                continue
            }
            let key = String(field[..<eq]), val = String(field[field.index(after: eq)...])
            func bool() throws(BoxError) -> Bool {
                guard let b = VolumeFilter.bool(val) else { throw flag("invalid value for \(key): \(val)") }
                return b
            }
            func put(_ map: inout [String: String]) {
                let kv = val.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                if !kv[0].isEmpty { map[kv[0]] = kv.count > 1 ? kv[1] : "" }
            }
            switch key {
            case "type": type = val.lowercased()
            case "source", "src": source = val.hasPrefix("./") || val == "." ? clean(cwd + "/" + val) : val
            case "target", "dst", "destination": target = val
            case "readonly", "ro": readOnly = try bool()
            case "consistency": break
            case "bind-propagation": (bindOpts, propagation) = (true, val.lowercased())
            case "bind-nonrecursive":
                bindOpts = true
                if try bool() { throw flag("bind-nonrecursive is not supported by box") }
            case "volume-nocopy":
                volumeOpts = true
                guard let b = VolumeFilter.bool(val) else { throw flag("invalid value for volume-nocopy: \(val)") }
                noCopy = b
            case "volume-label": volumeOpts = true; put(&labels)
            case "volume-driver": (volumeOpts, driver) = (true, val)
            case "volume-opt": volumeOpts = true; put(&options)
            case "tmpfs-size":
                tmpfsOpts = true
                guard let n = ramInBytes(val) else { throw flag("invalid value for \(key): \(val)") }
                size = n == 0 ? nil : n
            case "tmpfs-mode":
                tmpfsOpts = true
                guard let n = UInt32(val, radix: 8) else { throw flag("invalid value for \(key): \(val)") }
                fileMode = n == 0 ? nil : n
            default: throw flag("unexpected key '\(key)' in '\(field)'")
            }
        }
        if type.isEmpty { throw flag("type is required") }
        if target.isEmpty { throw flag("target is required") }
        for (set, kind) in [(volumeOpts, "volume"), (bindOpts, "bind"), (tmpfsOpts, "tmpfs")] where set && type != kind {
            throw flag("cannot mix '\(kind)-*' options with mount type '\(type)'")
        }
        // the daemon's checks
        func fail(_ why: String) -> BoxError { BoxError(.invalidArgument, "invalid mount config for type \"\(type)\": \(why)") }
        guard ["bind", "volume", "tmpfs"].contains(type) else { throw fail("mount type unknown") }
        let dst = try destination(target, fail)
        switch type {
        case "bind":
            if source.isEmpty { throw fail("field Source must not be empty") }
            if !source.hasPrefix("/") { throw fail("invalid mount path: '\(source)' mount path must be absolute") }
            if !propagation.isEmpty {
                guard propagationModes.contains(propagation) else { throw fail("invalid propagation mode: \(propagation)") }
                guard ["private", "rprivate"].contains(propagation) else { throw fail("propagation mode \(propagation) is not supported by box") }
            }
            return .bind(BindMount(source: clean(source), destination: dst, readOnly: readOnly, mode: "", origin: .mountFlag))
        case "tmpfs":
            if !source.isEmpty { throw fail("field Source must not be specified") }
            return .tmpfs(TmpfsMount(destination: dst, readOnly: readOnly, sizeBytes: size, mode: fileMode))
        default:
            if source.isEmpty && readOnly { throw fail("must not set ReadOnly mode when using anonymous volumes") }
            let name = source.isEmpty ? "" : source
            if !name.isEmpty { try VolumeName.validate(name) }
            if !driver.isEmpty && driver != "local" {
                throw BoxError(.notFound, "create \(name): error looking up volume plugin \(driver): plugin \"\(driver)\" not found")
            }
            if !options.isEmpty { try VolumeName.validateOptions(options, volume: name) }
            return .volume(VolumeMount(name: name, destination: dst, readOnly: readOnly, anonymous: name.isEmpty, noCopy: noCopy,
                                       origin: .mountFlag, labels: labels.isEmpty ? nil : labels, options: options.isEmpty ? nil : options))
        }
    }

    /// `--volumes-from CONTAINER[:MODE]`: the container and `ro` or `rw` (empty: as the other container has it).
    public static func parseVolumesFrom(_ raw: String) throws(BoxError) -> (container: String, readOnly: Bool?) {
        guard !raw.isEmpty else { throw BoxError(.invalidArgument, "volumes-from specification cannot be an empty string") }
        let parts = raw.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty else { return (parts[0], nil) }
        let words = parts[1].split(separator: ",").map(String.init)
        // no propagation and no copy modes here, as Docker
        guard validMode(parts[1]), !words.contains(where: { propagationModes.contains($0) || $0 == "nocopy" }) else {
            throw BoxError(.invalidArgument, "invalid mode: \(parts[1])")
        }
        return (parts[0], words.contains("ro") ? true : nil)
    }

    static let propagationModes: Set<String> = ["private", "rprivate", "slave", "rslave", "shared", "rshared"]

    /// Docker's Linux mount modes: at most one each of rw/ro, z/Z, a propagation, nocopy, a consistency.
    static func validMode(_ mode: String) -> Bool {
        if mode.isEmpty { return true }
        var counts = [0, 0, 0, 0, 0]
        for o in mode.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            switch o {
            case "rw", "ro": counts[0] += 1
            case "z", "Z": counts[1] += 1
            case _ where propagationModes.contains(o): counts[2] += 1
            case "nocopy": counts[3] += 1
            case "consistent", "cached", "delegated": counts[4] += 1
            default: return false
            }
        }
        return counts.allSatisfy { $0 <= 1 }
    }

    /// The checks every target gets: present, not `/`, absolute; returns it cleaned.
    static func destination(_ target: String, _ fail: (String) -> BoxError) throws(BoxError) -> String {
        if target.isEmpty { throw fail("field Target must not be empty") }
        if clean(target) == "/" { throw fail("invalid specification: destination can't be '/'") }
        if !target.hasPrefix("/") { throw fail("invalid mount path: '\(target)' mount path must be absolute") }
        return clean(target)
    }

    /// Go's `path.Clean` for absolute paths: no `.`, `..` or repeated slashes.
    public static func clean(_ path: String) -> String {
        var out: [Substring] = []
        for c in path.split(separator: "/") where c != "." {
            if c == ".." { if !out.isEmpty { out.removeLast() } } else { out.append(c) }
        }
        return "/" + out.joined(separator: "/")
    }

    /// Go's `encoding/csv` for one line: commas separate, a field in double quotes may hold commas and `""`.
    static func csv(_ s: String, _ fail: (String) -> BoxError) throws(BoxError) -> [String] {
        var fields: [String] = [], cur = "", quoted = false, start = true
        var it = Array(s)[...]
        while let c = it.popFirst() {
            if start && c == "\"" { quoted = true; start = false; continue }
            start = false
            if quoted {
                if c == "\"" {
                    if it.first == "\"" { cur.append("\""); it.removeFirst() } else { quoted = false }
                } else { cur.append(c) }
            } else if c == "," {
                fields.append(cur)
                cur = ""
                start = true
            } else if c == "\"" {
                throw fail("parse error on line 1, column \(s.count - it.count): bare \" in non-quoted-field")
            } else { cur.append(c) }
        }
        if quoted { throw fail("parse error on line 1, column \(s.count + 1): extraneous or missing \" in quoted-field") }
        fields.append(cur)
        return fields
    }

    /// go-units' `RAMInBytes`: `64m`, `1.5g`, `100`, binary multiples, an optional `i` and `b`.
    public static func ramInBytes(_ s: String) -> Int64? {
        var t = Substring(s)
        if t.last == "b" || t.last == "B" { t = t.dropLast() }
        if t.last == "i" || t.last == "I" { t = t.dropLast() }
        var mult: Double = 1
        if let last = t.last, let i = "kmgtp".firstIndex(of: Character(last.lowercased())) {
            mult = Double(Int64(1) << (10 * ("kmgtp".distance(from: "kmgtp".startIndex, to: i) + 1)))
            t = t.dropLast()
        }
        if t.last == " " { t = t.dropLast() }
        guard let first = t.first, first.isASCII, first.isNumber, t.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "." }),
              let v = Double(t) else { return nil }
        return Int64(v * mult)
    }
}
