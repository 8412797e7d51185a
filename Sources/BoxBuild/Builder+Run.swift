#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxImage
import BoxOCI
import BoxRuntime

extension Builder {
    /// RUN: the command in a container of the current image (as root unless USER says otherwise, with the stage's
    /// env, workdir and shell, build arguments in its environment); its writable layer becomes the step's layer.
    /// The container is removed whatever happens.
    func run(_ st: inout StageState, _ inst: Instruction, env: [String: String]) throws {
        let argv = try runArgs(inst, st)
        var network = options.network
        if let n = inst.flag("network") {
            switch n {
            case "none", "host": network = n
            case "default": break
            default: throw fail(inst, "unsupported RUN --network=\(n): use none, host or default")
            }
        }
        if inst.flag("security") != nil { throw fail(inst, "RUN --security is not supported") }
        for f in inst.flags where !f.hasPrefix("--mount=") && !f.hasPrefix("--network=") && !f.hasPrefix("--security=") {
            throw fail(inst, "unknown flag: \(f.dropFirst(2).split(separator: "=").first ?? "")")
        }
        let mounts = try inst.flagValues("mount").map { (m) throws(BoxError) in try runMount(m, inst) }
        // build arguments in scope reach the command's environment; ENV wins over them
        let imageEnv = Set((st.image.config.config?.Env ?? []).map { String($0.split(separator: "=", maxSplits: 1)[0]) })
        var argEnv = st.args.filter { !imageEnv.contains($0.key) }
        for (k, v) in options.buildArgs where predefinedArgs.contains(k) && !imageEnv.contains(k) { argEnv[k] = v }
        let argList = argEnv.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let createdBy = inst.jsonArgs == nil ? (st.shell + [runText(inst)]).joined(separator: " ") : argv.joined(separator: " ")
        // predefined proxy arguments reach the command but neither the key nor the history
        let keyArgs = argList.filter { !predefinedArgs.contains(String($0.split(separator: "=")[0])) }
        try cached(&st, ["RUN", network, inst.flags.joined(separator: " ")] + argv + keyArgs) { (image) throws -> StepImage in
            var spec = BuildStepSpec(layers: layerDirs(image), imageID: image.id, config: image.config, args: argv)
            spec.env = argList
            spec.network = network
            for m in mounts {
                switch m {
                case .bind(let b): spec.binds.append(b)
                case .tmpfs(let t): spec.tmpfs.append(t)
                }
            }
            let r = try BuildStep.create(spec, store: containers, cgroups: cgroups)
            defer { BuildStep.remove(r, store: containers, cgroups: cgroups) }
            let code = try BuildStep.run(r, store: containers, cgroups: cgroups, stdout: runOut, stderr: runErr, signalFD: signalFD)
            // a step killed because the build was interrupted fails as the interruption
            try checkInterrupted()
            if code != 0 {
                throw BuildFailure("building at STEP \"\(inst.text)\": while running runtime: exit status \(code)", exitCode: code)
            }
            return try layerStep(image, createdBy: createdBy) { (w) throws(BoxError) in
                try BuildStep.writeLayer(r, store: containers, to: w)
            }
        }
    }

    /// The command line with its heredocs, as the shell gets it.
    func runText(_ inst: Instruction) -> String {
        var text = inst.args
        for h in inst.heredocs { text += "\n" + h.content + h.name }
        return text
    }

    /// The process's arguments: the exec form as is; the shell form through SHELL. `RUN <<EOF` alone runs the
    /// heredoc as the script; a heredoc inside a longer command is passed to the shell with the command.
    func runArgs(_ inst: Instruction, _ st: StageState) throws(BoxError) -> [String] {
        if inst.heredocs.isEmpty, let j = inst.jsonArgs {
            guard !j.isEmpty else { throw fail(inst, "RUN requires at least one argument") }
            return j
        }
        if let h = inst.heredocs.first, inst.heredocs.count == 1, Builder.isMarker(inst.args, h.name) {
            if h.content.hasPrefix("#!") {
                throw fail(inst, "a RUN heredoc with its own interpreter (#!) is not supported; run the interpreter with the heredoc as its input")
            }
            return st.shell + [h.content]
        }
        return st.shell + [runText(inst)]
    }

    /// Whether `args` is only the heredoc marker `<<NAME` (with `-` or quotes).
    static func isMarker(_ args: String, _ name: String) -> Bool {
        var t = Substring(ShellTrim.trim(args))
        guard t.hasPrefix("<<") else { return false }
        t = t.dropFirst(2)
        if t.hasPrefix("-") { t = t.dropFirst() }
        return t.filter { $0 != "\"" && $0 != "'" } == name
    }

    enum RunMount {
        case bind(BindMount)
        case tmpfs(TmpfsMount)
    }

    /// `RUN --mount=type=cache|bind|tmpfs,target=…`: a cache is a directory of the store kept between builds
    /// (by `id`, else its target); a bind is a path of the context, read-only unless `rw`.
    func runMount(_ spec: String, _ inst: Instruction) throws(BoxError) -> RunMount {
        var kv: [String: String] = [:]
        for part in spec.split(separator: ",") {
            let p = part.split(separator: "=", maxSplits: 1).map(String.init)
            kv[p[0].lowercased()] = p.count > 1 ? p[1] : "true"
        }
        let type = kv["type"] ?? "bind"
        guard let target = kv["target"] ?? kv["dst"] ?? kv["destination"], target.hasPrefix("/") else {
            throw fail(inst, "RUN --mount=\(spec): an absolute target is required")
        }
        let ro = kv["readonly"] == "true" || kv["ro"] == "true"
        switch type {
        case "cache":
            let id = kv["id"] ?? target
            let dir = images.paths.root + "/buildcache/mounts/" + Digest.of(Array(id.utf8)).hex
            if !Files.exists(dir) {
                try Files.mkdirAll(dir, mode: 0o755)
                let mode = kv["mode"].flatMap { UInt32($0, radix: 8) } ?? 0o755
                chmod(dir, mode_t(mode))
                let uid = kv["uid"].flatMap { UInt32($0) } ?? 0, gid = kv["gid"].flatMap { UInt32($0) } ?? 0
                chown(dir, uid, gid)
            }
            return .bind(BindMount(source: dir, destination: target, readOnly: ro))
        case "bind":
            if kv["from"] != nil { throw fail(inst, "RUN --mount=type=bind,from=… is not supported; COPY --from the files instead") }
            let source = Builder.components(kv["source"] ?? kv["src"] ?? "")
            guard let node = context.lookup(source) else {
                throw fail(inst, "RUN --mount=\(spec): source \(kv["source"] ?? ".") not found in the build context")
            }
            return .bind(BindMount(source: node.host, destination: target, readOnly: kv["rw"] != "true" && kv["readwrite"] != "true"))
        case "tmpfs":
            let size = kv["size"].flatMap { Int64($0) }
            return .tmpfs(TmpfsMount(destination: target, readOnly: false, sizeBytes: size))
        default:
            throw fail(inst, "RUN --mount=type=\(type) is not supported (cache, bind and tmpfs are)")
        }
    }
}
