#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOS
import CArchive

/// Extracts a tar stream into a directory for `box cp`, with the image unpacker's protections: every write goes
/// through `EntryWriter`, relative to the directory's fd, never through a symlinked parent.
///
/// Names are read as Docker's untar reads them: cleaned, an absolute name confined to the directory (`/a` is
/// `a`), a name that still climbs out of it (`../x`) refused, hard link targets alike. Unlike a layer, a tar of
/// files has no whiteouts: a name starting with `.wh.` is an ordinary file. As with Docker's
/// `NoOverwriteDirNonDir`, an existing directory is never replaced by a non-directory nor the other way round.
public struct CopyExtractor {
    /// Who owns what is written.
    public enum Owner: Sendable, Equatable {
        /// Whoever runs box (no chown).
        case caller
        /// The uid and gid of each tar entry.
        case keep
        /// One uid and gid for everything.
        case set(uid: UInt32, gid: UInt32)
    }

    public var owner: Owner
    /// Each non-directory is written under a temporary name beside its place and renamed there when complete,
    /// so a failed copy leaves the old file or the whole new one, never half of it. Not needed inside a
    /// directory that is itself new and removed on failure.
    public var atomicFiles: Bool
    /// The destination directory as errors name it (`ctr:/dir` or a host path).
    public var display: String

    /// An extractor that writes with `owner`, renaming each file into place when `atomicFiles`.
    public init(owner: Owner, atomicFiles: Bool, display: String) {
        self.owner = owner
        self.atomicFiles = atomicFiles
        self.display = display
    }

    /// Reads a tar (any compression libarchive knows) from `fd` and writes its entries below the directory
    /// `dirfd`. Returns the number of bytes read from `fd`.
    @discardableResult
    public func extract(fd: Int32, name: String, into dirfd: Int32) throws(BoxError) -> Int64 {
        let reader = try ArchiveReader(fd: fd, name: name)
        var writer = EntryWriter(rootfd: dirfd, root: display, style: .trusted, keepOwners: owner != .caller)
        defer { writer.closeCache() }
        var temps = TempNames()
        while let entry = try reader.next() {
            try apply(entry, reader: reader, writer: &writer, temps: &temps)
        }
        let total = archive_filter_bytes(reader.handle, -1)
        // what follows the end of the archive is read to EOF, so a producer writing into a pipe finishes
        var sink = [UInt8](repeating: 0, count: 1 << 12)
        while true {
            let n = read(fd, &sink, sink.count)
            if n > 0 || (n < 0 && errno == EINTR) { continue }
            break
        }
        return total
    }

    private func apply(_ entry: OpaquePointer, reader: ArchiveReader, writer: inout EntryWriter,
                       temps: inout TempNames) throws(BoxError) {
        guard let cpath = archive_entry_pathname(entry) else { throw BoxError(.invalidImage, "archive entry with no name") }
        let clean = try confine(String(cString: cpath))
        let parts = clean == "." ? [] : clean.split(separator: "/").map(String.init)
        // the destination directory itself keeps its owner and mode
        guard let name = parts.last else { return }
        let parent = Array(parts.dropLast())
        if let link = archive_entry_hardlink(entry) {
            let raw = String(cString: link)
            let target = CopyExtractor.clean(raw)
            let inside = target.hasPrefix("/") ? CopyExtractor.clean(String(target.dropFirst())) : target
            if inside == ".." || inside.hasPrefix("../") {
                throw BoxError(.invalidArgument, "invalid hardlink \"\(display)/\(inside)\" -> \"\(raw)\"")
            }
            archive_entry_set_hardlink(entry, inside)
        }
        if case .set(let uid, let gid) = owner {
            archive_entry_set_uid(entry, la_int64_t(uid))
            archive_entry_set_gid(entry, la_int64_t(gid))
        }
        let isDir = archive_entry_hardlink(entry) == nil && archive_entry_filetype(entry) == UInt32(Glibc.S_IFDIR)

        let full = (display == "/" ? "" : display) + "/" + clean
        let dirfd: Int32
        do throws(BoxError) { dirfd = try writer.directory(parent, create: true, entry: clean) } catch {
            throw CopyExtractor.naming(error, clean, full)
        }
        var st = stat()
        let exists = fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0
        let existingDir = exists && (st.st_mode & S_IFMT) == S_IFDIR
        if existingDir && !isDir {
            throw BoxError(.conflict, "cannot overwrite directory \"\(display)/\(clean)\" with non-directory \"\(display)\"")
        }
        if exists && !existingDir && isDir {
            throw BoxError(.conflict, "cannot overwrite non-directory \"\(display)/\(clean)\" with directory \"\(display)\"")
        }
        let literal = name.hasPrefix(".wh.")  // EntryWriter would read it as a whiteout
        // an existing directory with such a name is left as it is; its entries still go into it
        if isDir && existingDir && literal { return }
        guard (!isDir && atomicFiles) || literal else {
            archive_entry_set_pathname(entry, clean)
            do throws(BoxError) { try writer.apply(entry, from: reader) } catch { throw CopyExtractor.naming(error, clean, full) }
            return
        }
        // written as a temporary name, then renamed into place: complete or absent, and never a whiteout
        let temp = (parent + [temps.next()]).joined(separator: "/")
        archive_entry_set_pathname(entry, temp)
        do throws(BoxError) {
            try writer.apply(entry, from: reader)
            let d = try writer.directory(parent, create: false, entry: clean)
            if renameat(d, String(temp.split(separator: "/").last!), d, name) != 0 {
                throw BoxError.sys("rename into place", full, errno: errno)
            }
        } catch {
            if let d = try? writer.directory(parent, create: false, entry: clean) {
                try? Tree.removeAt(d, String(temp.split(separator: "/").last!), display: full)
            }
            throw CopyExtractor.naming(error, temp, full)
        }
    }

    /// `e` with the entry's name as written (`"name"` in EntryWriter's messages) replaced by its destination,
    /// and EntryWriter's "layer entry" said as what it is here, an entry of the copy.
    public static func naming(_ e: BoxError, _ written: String, _ shown: String) -> BoxError {
        let m = e.message.replacing("\"\(written)\"", with: "\"\(shown)\"").replacing("layer entry", with: "entry")
        return BoxError(e.code, m, errno: e.errno)
    }

    /// An entry name as the directory's relative path ("." for the directory itself); refuses one that leaves it.
    func confine(_ raw: String) throws(BoxError) -> String {
        var c = CopyExtractor.clean(raw)
        if c.hasPrefix("/") { c = CopyExtractor.clean(String(c.dropFirst())) }
        if c == ".." || c.hasPrefix("../") {
            throw BoxError(.invalidArgument, "\"\(c)\" is outside of \"\(display)\"")
        }
        return c
    }

    /// Go's `path.Clean`: the shortest lexical equivalent, `..` dropped at the root, "." for nothing.
    public static func clean(_ p: String) -> String {
        let rooted = p.hasPrefix("/")
        var out: [Substring] = []
        for c in p.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == ".." {
                if let last = out.last, last != ".." {
                    out.removeLast()
                } else if !rooted {
                    out.append(c)
                }
                continue
            }
            out.append(c)
        }
        let s = out.joined(separator: "/")
        if rooted { return "/" + s }
        return s.isEmpty ? "." : s
    }
}

/// Temporary names for files being written: unlikely to meet a real name, never twice the same.
struct TempNames {
    private let prefix = ".box-cp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-"
    private var n = 0

    mutating func next() -> String {
        n += 1
        return prefix + String(n)
    }
}
