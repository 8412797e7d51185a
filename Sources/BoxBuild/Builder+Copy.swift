#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxImage
import BoxOCI
import BoxRegistry
import BoxRuntime

extension Builder {
    /// COPY and ADD: the layer is written from the sources directly (no container), with Docker's rules for
    /// destinations, globs, directories, `--chown`, `--chmod` and `--from`; ADD also extracts local archives
    /// and downloads URLs.
    func copy(_ st: inout StageState, _ inst: Instruction, env: [String: String]) throws {
        let isAdd = inst.keyword == "ADD"
        for f in inst.flags {
            let name = f.dropFirst(2).split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            guard ["chown", "chmod", "from", "link"].contains(name) || (isAdd && ["checksum", "keep-git-dir"].contains(name)) else {
                throw fail(inst, "unknown flag: \(name)")
            }
            if isAdd && name == "from" { throw fail(inst, "ADD does not take --from; use COPY --from") }
        }
        var list: [String]
        if let j = inst.jsonArgs {
            list = []
            for w in j { list.append(try words.expand(w, env: env)) }
        } else {
            list = []
            for raw in try words.split(inst.args) {
                // a heredoc's marker names it; it is not expanded as a word
                list.append(raw.hasPrefix("<<") ? raw : try words.expand(raw, env: env))
            }
        }
        guard list.count >= 2 else { throw fail(inst, "\(inst.keyword) requires at least two arguments, but only one was provided. Destination could not be determined.") }
        let destRaw = list.removeLast()
        let workdir = st.image.config.config?.WorkingDir ?? "/"
        let destAbs = destRaw.hasPrefix("/") ? destRaw : workdir + "/" + destRaw
        let destIsDir = destRaw.hasSuffix("/") || destRaw == "." || destRaw.hasSuffix("/.")
        let imageTree = LayerTree(layers: layerDirs(st.image))
        let owner = try inst.flag("chown").map { (c) throws(BoxError) in try chownIDs(try words.expand(c, env: env), st) }
        var chmod: UInt32?
        if let m = inst.flag("chmod") {
            guard let v = UInt32(m, radix: 8), v <= 0o7777 else { throw fail(inst, "invalid chmod parameter \(m)") }
            chmod = v
        }
        var plan = CopyPlan(image: imageTree, owner: owner, chmod: chmod)
        // the sources: the context, or a stage's or image's files with --from
        var tree = context
        var fromContext = true
        if let from = inst.flag("from") {
            let ref = try words.expand(from, env: env)
            fromContext = false
            if let i = stageIndex(ref, before: stages.count), let r = results[i] {
                tree = LayerTree(layers: layerDirs(r))
            } else if stages.contains(where: { $0.name == ref.lowercased() }) {
                throw fail(inst, "COPY --from=\(ref): the stage is built after this one")
            } else {
                do {
                    tree = LayerTree(layers: layerDirs(try image(ref)))
                } catch {
                    throw fail(inst, "COPY --from=\(ref): no stage or image of that name: \(error.message)")
                }
            }
        }
        // each source's nodes, with how they land
        var matches: [(LayerTree.Node, LayerTree, Bool)] = []  // node, its tree, whether an archive to extract
        var urls: [String] = []
        var docs: [Heredoc] = []
        var wildcard = false
        for src in list {
            if src.hasPrefix("<<"), let h = inst.heredocs.first(where: { Builder.isMarker(src, $0.name) }) {
                docs.append(h)
                continue
            }
            if isAdd && (src.hasPrefix("http://") || src.hasPrefix("https://")) {
                urls.append(src)
                continue
            }
            if src.hasPrefix("git@") || (isAdd && src.hasSuffix(".git") && src.contains("://")) {
                throw fail(inst, "ADD of a git repository is not supported")
            }
            let comps = try sourceComponents(src, inst, confined: fromContext)
            let glob = comps.contains { $0.contains(where: { "*?[".contains($0) }) }
            wildcard = wildcard || glob
            let nodes = glob ? expandGlob(comps, tree) : tree.lookup(comps).map { [$0] } ?? []
            if nodes.isEmpty {
                if glob { continue }
                throw fail(inst, "\(inst.keyword) failed: file not found in build context or excluded by .dockerignore: stat \(src): file does not exist")
            }
            for n in nodes {
                let archive = isAdd && fromContext && n.isRegular && Builder.isArchive(n.host)
                matches.append((n, tree, archive))
            }
        }
        let count = matches.count + urls.count + docs.count
        if count == 0 { throw fail(inst, "\(inst.keyword) failed: no source files were specified") }
        var dest = Builder.components(destAbs)
        let intoDir = destIsDir || plan.isDirectory(dest)
        if (count > 1 || (wildcard && count > 1)) && !intoDir {
            throw fail(inst, "When using \(inst.keyword) with more than one source file, the destination must be a directory and end with a /")
        }
        dest = plan.real(dest)
        for (node, t, archive) in matches {
            if archive {
                let dir = try extract(node.host)
                let x = LayerTree(layers: [dir])
                if let root = x.root { plan.add(root, of: x, at: dest, keepOwners: true) }
            } else if node.isDirectory {
                plan.add(node, of: t, at: dest)
            } else {
                plan.add(node, of: t, at: intoDir ? dest + [node.path.last ?? ""] : dest)
            }
        }
        for h in docs {
            let text = h.expand ? try words.expand(h.content.replacingQuotes(), env: env) : h.content
            var e = CopyPlan.Entry(path: intoDir ? dest + [h.name] : dest, kind: .file, mode: chmod ?? 0o644)
            (e.uid, e.gid) = owner ?? (0, 0)
            e.mtime = Int(Time.nowSeconds())
            e.source = .bytes(Array(text.utf8))
            plan.put(e)
        }
        let checksum = try inst.flag("checksum").map { (c) throws(BoxError) in
            try located(inst) { () throws(BoxError) in try Digest(parsing: try words.expand(c, env: env)) }
        }
        if checksum != nil && (urls.count != 1 || count != 1) {
            throw fail(inst, "ADD --checksum needs exactly one source, an http(s) URL")
        }
        for u in urls {
            let (file, name) = try download(u, inst)
            if let want = checksum {
                let got = Digest.of(try Files.read(file))
                guard got == want else { throw fail(inst, "ADD failed: digest mismatch for \(u): expected \(want), got \(got)") }
            }
            var st = stat()
            stat(file, &st)
            var e = CopyPlan.Entry(path: intoDir ? dest + [name] : dest, kind: .file, mode: chmod ?? 0o600)
            (e.uid, e.gid) = owner ?? (0, 0)
            e.mtime = Int(st.st_mtim.tv_sec)
            e.source = .file(file)
            plan.put(e)
        }
        let sum = try plan.checksum()
        let createdBy = "/bin/sh -c #(nop) \(inst.keyword) \(inst.flags.joined(separator: " ")) \(list.joined(separator: " ")) \(destRaw)"
            .replacingDoubleSpaces()
        try cached(&st, [inst.keyword, inst.flag("chown") ?? "", chmod.map { String($0, radix: 8) } ?? "", Builder.clean(destAbs), sum]) {
            (image) throws -> StepImage in
            try layerStep(image, createdBy: createdBy) { (w) throws(BoxError) in try plan.write(to: w) }
        }
    }

    /// A source path's components below the tree's root; in the context, a path that climbs out is refused.
    func sourceComponents(_ src: String, _ inst: Instruction, confined: Bool) throws(BoxError) -> [String] {
        var out: [String] = []
        for c in src.split(separator: "/") where c != "." {
            if c == ".." {
                if out.isEmpty && confined {
                    throw fail(inst, "\(inst.keyword) failed: forbidden path outside the build context: \(src) ()")
                }
                _ = out.popLast()
            } else {
                out.append(String(c))
            }
        }
        return out
    }

    /// The nodes a glob matches, component by component (Go's `filepath.Match` for each).
    func expandGlob(_ comps: [String], _ tree: LayerTree) -> [LayerTree.Node] {
        guard var cur = tree.root.map({ [$0] }) else { return [] }
        for c in comps {
            var next: [LayerTree.Node] = []
            for n in cur {
                var dir = n
                if n.isSymlink, let r = tree.lookup(n.path) { dir = r }
                guard dir.isDirectory else { continue }
                if c.contains(where: { "*?[".contains($0) }) {
                    next += tree.children(dir).filter { fnmatch(c, $0.path.last ?? "", 0) == 0 }
                } else if let ch = tree.child(dir, c) {
                    next.append(ch)
                }
            }
            cur = next
        }
        return cur.map { n in n.isSymlink ? tree.lookup(n.path) ?? n : n }
    }

    /// `--chown=user[:group]`: names resolved in the image's own /etc/passwd and /etc/group; a user alone
    /// also gives the group (its primary group, or the same number for a numeric UID).
    func chownIDs(_ spec: String, _ st: StageState) throws(BoxError) -> (uid: UInt32, gid: UInt32) {
        let files = ImageFiles(topFirst: layerDirs(st.image))
        let u = try Users.resolve(spec, passwd: files.read("/etc/passwd"), group: files.read("/etc/group"))
        let parts = spec.split(separator: ":", maxSplits: 1)
        if parts.count == 1, UInt32(parts[0]) != nil { return (u.uid, u.uid) }
        return (u.uid, u.gid)
    }

    /// Whether a file is a tar (plain, gzip, bzip2 or xz), which ADD extracts.
    static func isArchive(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var b = [UInt8](repeating: 0, count: 512)
        let n = read(fd, &b, 512)
        guard n >= 6 else { return false }
        if b[0] == 0x1f && b[1] == 0x8b { return true }
        if b[0] == 0x42 && b[1] == 0x5a && b[2] == 0x68 { return true }
        if b[0...5] == [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] { return true }
        return n >= 262 && Array(b[257..<262]) == Array("ustar".utf8)
    }

    /// Extracts an archive into a new directory of the build's scratch space (names confined to it).
    func extract(_ path: String) throws(BoxError) -> String {
        let dir = scratchDir + "/x-\(UInt32.random(in: 0...UInt32.max))"
        try Files.mkdirAll(dir, mode: 0o755)
        let fd = try check("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        let dirfd = try check("open", dir) { open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(dirfd) }
        try CopyExtractor(owner: .keep, atomicFiles: false, display: path).extract(fd: fd, name: path, into: dirfd)
        return dir
    }

    /// Downloads a URL for ADD into the scratch space; a short connect timeout, so an offline build fails fast.
    func download(_ url: String, _ inst: Instruction) throws(BoxError) -> (String, String) {
        let file = scratchDir + "/dl-\(UInt32.random(in: 0...UInt32.max))"
        let fd = try check("create", file) { open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
        defer { close(fd) }
        var opts = TransportOptions()
        opts.connectTimeoutMs = 5_000
        opts.stallSeconds = 30
        do throws(BoxError) {
            let (resp, _) = try CurlTransport().send(HTTPRequest("GET", url), options: opts) { (chunk) throws(BoxError) in
                try Files.writeAll(fd: fd, Array(chunk), name: file)
            }
            guard resp.isSuccess else { throw BoxError(.notFound, "HTTP status \(resp.status)") }
        } catch {
            throw fail(inst, "ADD failed: download \(url): \(error.message)")
        }
        let path = url.split(separator: "?").first.map(String.init) ?? url
        let name = path.split(separator: "/").last.map(String.init) ?? "download"
        return (file, name.contains(":") ? "download" : name)
    }
}

extension String {
    /// Heredoc bodies expand `$VAR` but keep quotes: they are escaped before the word expansion.
    func replacingQuotes() -> String {
        var out = ""
        for ch in self {
            if ch == "\"" || ch == "'" { out += "\\" }
            out.append(ch)
        }
        return out
    }

    func replacingDoubleSpaces() -> String {
        var out = ""
        for ch in self where !(ch == " " && out.last == " ") { out.append(ch) }
        return out
    }
}
