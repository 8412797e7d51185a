import BoxCore
import BoxImage
import BoxOCI

extension Builder {
    /// Runs one instruction on the stage; a failure names the step.
    func step(_ st: inout StageState, _ inst: Instruction) throws(BuildFailure) {
        do {
            try apply(&st, inst)
        } catch {
            throw BuildFailure(from: error)
        }
    }

    /// What `$VAR` means in an instruction: the stage's build arguments, with its ENV over them.
    func env(_ st: StageState) -> [String: String] {
        st.args.merging(ConfigChanges.environment(st.image.config.config?.Env)) { $1 }
    }

    func fail(_ inst: Instruction, _ message: String) -> BoxError { dockerfileError(file.name, inst.line, message) }

    /// Runs `body` (one of `ConfigChanges`' checks), naming the instruction's line in its error.
    func located<T>(_ inst: Instruction, _ body: () throws(BoxError) -> T) throws(BoxError) -> T {
        do {
            return try body()
        } catch {
            throw fail(inst, error.message)
        }
    }

    func apply(_ st: inout StageState, _ inst: Instruction) throws {
        let env = env(st)
        let args = inst.args
        func needArgs() throws(BoxError) {
            if args.isEmpty && inst.heredocs.isEmpty { throw fail(inst, "\(inst.keyword) requires at least one argument") }
        }
        switch inst.keyword {
        case "ARG":
            try needArgs()
            for (k, v) in try argDeclarations(inst, env: env) {
                if let given = options.buildArgs[k] {
                    st.args[k] = given
                    usedArgs.insert(k)
                } else if let v {
                    st.args[k] = v
                } else if let meta = metaArgs[k] {
                    st.args[k] = meta
                }
            }
        case "ENV":
            try needArgs()
            let pairs = try located(inst) { () throws(BoxError) in try ConfigChanges.pairs(args, "ENV", env: env, words: words) }
            try commit(&st, inst, ["ENV", pairs.map { "\($0.0)=\($0.1)" }.joined(separator: " ")]) { (c) throws(BoxError) in
                var list = c.Env ?? []
                for (k, v) in pairs {
                    list.removeAll { $0 == k || $0.hasPrefix(k + "=") }
                    list.append("\(k)=\(v)")
                }
                c.Env = list
            }
        case "LABEL":
            try needArgs()
            let pairs = try located(inst) { () throws(BoxError) in try ConfigChanges.pairs(args, "LABEL", env: env, words: words) }
            try commit(&st, inst, ["LABEL", pairs.map { "\($0.0)=\($0.1)" }.joined(separator: " ")]) { (c) throws(BoxError) in
                var labels = c.Labels ?? [:]
                for (k, v) in pairs { labels[k] = v }
                c.Labels = labels
            }
        case "MAINTAINER":
            try needArgs()
            let who = try words.expand(args, env: env)
            try commit(&st, inst, ["MAINTAINER", who], author: who) { (_) throws(BoxError) in }
        case "EXPOSE":
            try needArgs()
            let ports = try located(inst) { () throws(BoxError) in try ConfigChanges.exposedPorts(args, env: env, words: words) }
            try commit(&st, inst, ["EXPOSE", ports.joined(separator: " ")]) { (c) throws(BoxError) in
                var m = c.ExposedPorts ?? [:]
                for p in ports { m[p] = Empty() }
                c.ExposedPorts = m
            }
        case "VOLUME":
            try needArgs()
            let list = try located(inst) { () throws(BoxError) in try ConfigChanges.volumes(args, env: env, words: words) }
            try commit(&st, inst, ["VOLUME"] + list) { (c) throws(BoxError) in
                var m = c.Volumes ?? [:]
                for v in list { m[v] = Empty() }
                c.Volumes = m
            }
        case "USER":
            let user = try located(inst) { () throws(BoxError) in try ConfigChanges.single(args, "USER", env: env, words: words) }
            try commit(&st, inst, ["USER", user]) { (c) throws(BoxError) in c.User = user }
        case "STOPSIGNAL":
            let sig = try located(inst) { () throws(BoxError) in try ConfigChanges.stopSignal(args, env: env, words: words) }
            try commit(&st, inst, ["STOPSIGNAL", sig]) { (c) throws(BoxError) in c.StopSignal = sig }
        case "WORKDIR":
            let w = try located(inst) { () throws(BoxError) in try ConfigChanges.single(args, "WORKDIR", env: env, words: words) }
            let dir = Builder.clean(w.hasPrefix("/") ? w : (st.image.config.config?.WorkingDir ?? "/") + "/" + w)
            try workdir(&st, inst, dir)
        case "CMD":
            try needArgs()
            let cmd = inst.jsonArgs ?? (st.shell + [args])
            try commit(&st, inst, ["CMD"] + cmd) { (c) throws(BoxError) in c.Cmd = cmd }
            st.cmdSet = true
        case "ENTRYPOINT":
            try needArgs()
            let ep = inst.jsonArgs ?? (st.shell + [args])
            let keepCmd = st.cmdSet
            try commit(&st, inst, ["ENTRYPOINT"] + ep) { (c) throws(BoxError) in
                c.Entrypoint = ep
                // a Cmd from the base image does not survive a new ENTRYPOINT; one set in this stage does
                if !keepCmd { c.Cmd = nil }
            }
        case "SHELL":
            guard let j = inst.jsonArgs, !j.isEmpty else { throw fail(inst, "SHELL requires the arguments to be in JSON form") }
            try commit(&st, inst, ["SHELL"] + j) { (c) throws(BoxError) in c.Shell = j }
        case "HEALTHCHECK":
            let hc = try healthcheck(inst, st)
            try commit(&st, inst, ["HEALTHCHECK"] + (hc.Test ?? []) + ["\(hc.Interval ?? 0) \(hc.Timeout ?? 0) \(hc.StartPeriod ?? 0) \(hc.Retries ?? 0)"]) {
                (c) throws(BoxError) in c.Healthcheck = hc
            }
        case "ONBUILD":
            try needArgs()
            let trigger = try located(inst) { () throws(BoxError) in try ConfigChanges.onBuildTrigger(args) }
            guard Dockerfile.keywords.contains(trigger) else { throw fail(inst, "unknown instruction: \(trigger)") }
            try commit(&st, inst, ["ONBUILD", args]) { (c) throws(BoxError) in c.OnBuild = (c.OnBuild ?? []) + [args] }
        case "RUN":
            try needArgs()
            try run(&st, inst, env: env)
        case "COPY", "ADD":
            try needArgs()
            try copy(&st, inst, env: env)
        default:
            throw fail(inst, "unknown instruction: \(inst.keyword)")
        }
    }

    /// A config-only step: `change` applied, one history entry with `empty_layer`, through the cache.
    func commit(_ st: inout StageState, _ inst: Instruction, _ keyParts: [String], author: String? = nil,
                _ change: (inout ContainerConfig) throws(BoxError) -> Void) throws {
        let createdBy = "/bin/sh -c #(nop) " + inst.text
        try cached(&st, keyParts + [createdBy]) { (image) throws(BoxError) -> StepImage in
            var c = image.config
            var cc = c.config ?? ContainerConfig()
            try change(&cc)
            c.config = cc
            if let author { c.author = author }
            c.created = Time.now()
            c.history = (c.history ?? []) + [History(created: c.created, created_by: createdBy, author: author, empty_layer: true)]
            return try StepImage(config: c, layers: image.layers)
        }
    }

    /// A step through the cache: a hit takes the stored image; a miss runs `make` on the current image and
    /// stores what it made.
    func cached(_ st: inout StageState, _ parts: [String], _ make: (StepImage) throws -> StepImage) throws {
        let key = BuildCache.key(parent: st.image.id, parts: parts)
        if !options.noCache, let hit = cache.lookup(key) {
            say("--> Using cache \(hit.id.hex)")
            st.image = hit
        } else {
            st.image = try make(st.image)
            try cache.save(key, st.image)
        }
        say("--> \(st.image.shortID)")
    }

    /// A step that adds a layer (written by `write`; none when it has no entries) and one history entry.
    func layerStep(_ image: StepImage, createdBy: String, _ write: (ArchiveWriter) throws(BoxError) -> Void) throws(BoxError) -> StepImage {
        let layer = try images.storeLayer(write)
        var c = image.config
        c.created = Time.now()
        var h = History(created: c.created, created_by: createdBy)
        var layers = image.layers
        if let layer {
            layers.append(layer)
            c.rootfs.diff_ids.append(layer.diffID)
        } else {
            h.empty_layer = true
        }
        c.history = (c.history ?? []) + [h]
        return try StepImage(config: c, layers: layers)
    }

    /// WORKDIR: the config's, and the directory made (as a layer) when the image lacks it.
    func workdir(_ st: inout StageState, _ inst: Instruction, _ dir: String) throws {
        let exists = LayerTree(layers: layerDirs(st.image)).lookup(Builder.components(dir))?.isDirectory == true
        let createdBy = "/bin/sh -c #(nop) WORKDIR \(dir)"
        try cached(&st, ["WORKDIR", dir, exists ? "exists" : "create"]) { (image) throws -> StepImage in
            var next = image
            if !exists {
                let tree = LayerTree(layers: layerDirs(image))
                next = try layerStep(image, createdBy: createdBy) { (w) throws(BoxError) in
                    try CopyPlan.writeDirectories(Builder.components(dir), tree: tree, owner: nil, to: w)
                }
            } else {
                var c = next.config
                c.created = Time.now()
                c.history = (c.history ?? []) + [History(created: c.created, created_by: createdBy, empty_layer: true)]
                next = try StepImage(config: c, layers: image.layers)
            }
            var c = next.config
            var cc = c.config ?? ContainerConfig()
            cc.WorkingDir = dir
            c.config = cc
            return try StepImage(config: c, layers: next.layers)
        }
    }

    // MARK: arguments of instructions

    /// `ARG NAME[=default]…`: names and (substituted) defaults.
    func argDeclarations(_ inst: Instruction, env: [String: String]) throws(BoxError) -> [(String, String?)] {
        var out: [(String, String?)] = []
        for raw in try words.split(inst.args) {
            if let eq = raw.firstIndex(of: "=") {
                let k = String(raw[..<eq])
                guard !k.isEmpty else { throw fail(inst, "ARG names can not be blank") }
                out.append((k, try words.expand(String(raw[raw.index(after: eq)...]), env: env)))
            } else {
                out.append((raw, nil))
            }
        }
        return out
    }

    /// `HEALTHCHECK [--interval=… --timeout=… --start-period=… --start-interval=… --retries=N] CMD …` or `NONE`.
    func healthcheck(_ inst: Instruction, _ st: StageState) throws(BoxError) -> Healthcheck {
        let word = String(inst.args.prefix { $0 != " " && $0 != "\t" }).uppercased()
        if word == "NONE" {
            guard inst.args.count == 4 else { throw fail(inst, "HEALTHCHECK NONE takes no arguments") }
            guard inst.flags.isEmpty else { throw fail(inst, "HEALTHCHECK NONE takes no options") }
            return Healthcheck(Test: ["NONE"])
        }
        guard word == "CMD" else { throw fail(inst, "Unknown type \"\(word)\" in HEALTHCHECK (try CMD)") }
        let rest = ShellTrim.trim(String(inst.args.dropFirst(3)))
        guard !rest.isEmpty else { throw fail(inst, "Missing command after HEALTHCHECK CMD") }
        var probe = Instruction(keyword: "CMD", args: rest, line: inst.line)
        probe.args = rest
        let test = probe.jsonArgs.map { ["CMD"] + $0 } ?? ["CMD-SHELL", rest]
        var hc = Healthcheck(Test: test)
        for f in inst.flags {
            let kv = f.dropFirst(2).split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw fail(inst, "flag \(f) needs a value") }
            switch kv[0] {
            case "interval": hc.Interval = try duration(kv[1], inst)
            case "timeout": hc.Timeout = try duration(kv[1], inst)
            case "start-period": hc.StartPeriod = try duration(kv[1], inst)
            case "start-interval": _ = try duration(kv[1], inst)
            case "retries":
                guard let n = Int(kv[1]), n >= 0 else { throw fail(inst, "invalid retries: \(kv[1])") }
                hc.Retries = n
            default: throw fail(inst, "unknown flag: \(kv[0])")
            }
        }
        return hc
    }

    /// A Go duration (`30s`, `1m30s`, `500ms`, `1h`) in nanoseconds; Docker refuses 0 < d < 1ms.
    func duration(_ s: String, _ inst: Instruction) throws(BoxError) -> Int64 {
        guard let d = Builder.parseDuration(s) else { throw fail(inst, "time: invalid duration \"\(s)\"") }
        if d != 0 && d < 1_000_000 { throw fail(inst, "Interval \"\(s)\" cannot be less than 1ms") }
        return d
    }

    static func parseDuration(_ s: String) -> Int64? {
        if s == "0" { return 0 }
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 6e10), ("h", 3.6e12)]
        var rest = Substring(s)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let num = rest.prefix { $0.isNumber || $0 == "." }
            guard !num.isEmpty, let v = Double(num) else { return nil }
            rest = rest.dropFirst(num.count)
            guard let (u, mul) = units.sorted(by: { $0.0.count > $1.0.count }).first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(u.count)
            total += v * mul
        }
        return Int64(total)
    }

    static func clean(_ path: String) -> String { "/" + components(path).joined(separator: "/") }

    static func components(_ path: String) -> [String] {
        var out: [String] = []
        for c in path.split(separator: "/") where c != "." {
            if c == ".." { _ = out.popLast() } else { out.append(String(c)) }
        }
        return out
    }
}
