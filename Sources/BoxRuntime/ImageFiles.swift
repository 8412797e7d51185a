#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import CBox

/// Reads files of an image as the container will see them, from its layer directories,
/// without mounting: the topmost layer that has the path wins; a whiteout or an opaque parent hides lower ones.
public struct ImageFiles: Sendable {
    /// Layer directories, top first.
    public let layers: [String]

    public init(topFirst layers: [String]) { self.layers = layers }

    /// The bytes of `path` (absolute, inside the image), or nil if the image has no such file.
    public func read(_ path: String) -> [UInt8]? {
        let parts = path.split(separator: "/").map(String.init)
        guard !parts.isEmpty else { return nil }
        for layer in layers {
            var st = stat()
            let full = layer + "/" + parts.joined(separator: "/")
            if lstat(full, &st) == 0 {
                // a 0:0 character device is a whiteout: the file was deleted here
                if (st.st_mode & S_IFMT) == S_IFCHR && st.st_rdev == 0 { return nil }
                if (st.st_mode & S_IFMT) == S_IFREG { return try? Files.read(full) }
                return nil
            }
            if hiddenBelow(layer, parts) { return nil }
        }
        return nil
    }

    /// Whether a directory on the way to `parts` is opaque (or whited out) in `layer`.
    private func hiddenBelow(_ layer: String, _ parts: [String]) -> Bool {
        var dir = layer
        for p in parts.dropLast() {
            dir += "/" + p
            var st = stat()
            guard lstat(dir, &st) == 0 else { return false }
            if (st.st_mode & S_IFMT) == S_IFCHR && st.st_rdev == 0 { return true }
            var v: [UInt8] = [0, 0]
            for name in ["trusted.overlay.opaque", "user.overlay.opaque"] where lgetxattr(dir, name, &v, 2) == 1 && v[0] == UInt8(ascii: "y") {
                return true
            }
        }
        return false
    }
}

/// The process identity a `--user` value resolves to, with what Docker derives from it.
public struct ResolvedUser: Equatable, Sendable {
    public var uid: UInt32
    public var gid: UInt32
    public var additionalGids: [UInt32]
    public var home: String
}

/// `user[:group]` resolved in the image's own `/etc/passwd` and `/etc/group` (never the host's, never NSS).
public enum Users {
    public static func resolve(_ spec: String, passwd: [UInt8]?, group: [UInt8]?) throws(BoxError) -> ResolvedUser {
        let (userPart, groupPart) = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            .map(String.init).pairs
        let users = parse(passwd)
        let groups = parse(group)
        var uid: UInt32
        var gid: UInt32 = 0
        var home = "/"
        var name: String?
        if userPart.isEmpty {
            uid = 0
        } else if let n = UInt32(userPart) {
            uid = n
            if let u = users.first(where: { $0.count > 3 && UInt32($0[2]) == n }) {
                gid = UInt32(u[3]) ?? 0
                home = u.count > 5 ? u[5] : "/"
                name = u[0]
            }
        } else {
            guard let u = users.first(where: { $0.count > 3 && $0[0] == userPart }), let id = UInt32(u[2]) else {
                throw BoxError(.invalidArgument, "unable to find user \(userPart): no matching entries in passwd file")
            }
            uid = id
            gid = UInt32(u[3]) ?? 0
            home = u.count > 5 ? u[5] : "/"
            name = u[0]
        }
        if uid == 0 && userPart.isEmpty, let root = users.first(where: { $0.count > 5 && $0[2] == "0" }) {
            home = root[5]
            name = root[0]
        }
        var extra: [UInt32] = []
        if let groupPart {
            if let n = UInt32(groupPart) {
                gid = n
            } else {
                guard let g = groups.first(where: { $0.count > 2 && $0[0] == groupPart }), let id = UInt32(g[2]) else {
                    throw BoxError(.invalidArgument, "unable to find group \(groupPart): no matching entries in group file")
                }
                gid = id
            }
        } else if let name {
            // supplementary groups: those that list the user as a member (only when no group was given)
            for g in groups where g.count > 3 && g[3].split(separator: ",").contains(Substring(name)) {
                if let id = UInt32(g[2]), id != gid, !extra.contains(id) { extra.append(id) }
            }
        }
        return ResolvedUser(uid: uid, gid: gid, additionalGids: extra, home: home.isEmpty ? "/" : home)
    }

    /// The colon-separated fields of each non-comment line.
    static func parse(_ bytes: [UInt8]?) -> [[String]] {
        guard let bytes else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
            let l = line.trimmingPrefix(" ")
            if l.isEmpty || l.hasPrefix("#") { return nil }
            return l.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        }
    }
}

private extension Array where Element == String {
    var pairs: (String, String?) { (self.first ?? "", self.count > 1 ? self[1] : nil) }
}
