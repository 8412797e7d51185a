#if canImport(Glibc)
import Glibc
#endif
import BoxCgroups
import BoxCore
import BoxImage
import BoxOCI
import BoxOS
import BoxRuntime
import CBox

/// One `FROM` and the instructions under it.
struct Stage {
    var index: Int
    var name: String?
    /// The base as written after substitution: an image reference, `scratch`, or an earlier stage's name.
    var base: String
    var from: Instruction
    var instructions: [Instruction]
}

/// A stage being built: its current image, the build arguments in its scope.
struct StageState {
    var image: StepImage
    /// Arguments declared in this stage (ARG), with their values.
    var args: [String: String] = [:]
    /// The shell of shell forms: the image config's `Shell` (from SHELL, here or in a base image), else `/bin/sh -c`.
    var shell: [String] { image.config.config?.Shell ?? ["/bin/sh", "-c"] }
    /// Whether a CMD of this stage set Cmd (then ENTRYPOINT keeps it).
    var cmdSet = false
}

/// Builds an image from a Dockerfile: each stage the target needs, each instruction a step whose result is
/// looked up in the layer cache first. RUN steps run in containers (`BuildStep`); COPY and ADD write their
/// layers from the context directly; the other instructions change the config only.
public final class Builder {
    let options: BuildOptions
    let images: ImageStore
    let containers: ContainerStore
    let cgroups: any CgroupBackend
    /// Makes sure a base image is in the store (`always` for `--pull`).
    let pull: (String, Bool) throws(BoxError) -> Void
    /// A signalfd of the signals that stop the build (forwarded to a running step).
    let signalFD: Int32
    let cache: BuildCache
    let file: Dockerfile
    let words: ShellWords
    let context: LayerTree
    /// Where RUN output goes: box's stdout and stderr, or nowhere with `-q`.
    let runOut: Int32, runErr: Int32
    var stages: [Stage] = []
    var metaArgs: [String: String] = [:]
    var results: [Int: StepImage] = [:]
    var usedArgs = Set<String>()
    var scratchDir: String
    var stepLabel = ""

    public init(options: BuildOptions, images: ImageStore, containers: ContainerStore, cgroups: any CgroupBackend,
                signalFD: Int32, pull: @escaping (String, Bool) throws(BoxError) -> Void) throws(BoxError) {
        self.options = options
        self.images = images
        self.containers = containers
        self.cgroups = cgroups
        self.signalFD = signalFD
        self.pull = pull
        file = try Dockerfile.parse(options.dockerfile, name: options.dockerfileName)
        words = ShellWords(escape: file.escape)
        cache = try BuildCache(store: images)
        let ignore = try IgnoreRules.load(contextDir: options.contextDir, dockerfile: options.dockerfilePath)
        context = LayerTree(layers: [options.contextDir], ignore: ignore)
        runOut = options.quiet ? -1 : 1
        runErr = options.quiet ? -1 : 2
        scratchDir = images.paths.tmp + "/build-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try plan()
    }

    /// Progress on stdout (nothing with `-q`).
    func say(_ s: String) {
        if !options.quiet { try? Files.writeAll(fd: 1, Array((s + "\n").utf8), name: "stdout") }
    }

    // MARK: planning

    /// Splits the file into the ARGs before the first FROM and the stages; checks the target.
    func plan() throws(BoxError) {
        var i = 0
        let all = file.instructions
        metaArgs = Builder.platformArgs
        while i < all.count && all[i].keyword != "FROM" {
            guard all[i].keyword == "ARG" else {
                throw dockerfileError(file.name, all[i].line, "no FROM statement found before \(all[i].keyword)")
            }
            for (k, v) in try argDeclarations(all[i], env: metaArgs) {
                metaArgs[k] = options.buildArgs[k] ?? v ?? metaArgs[k]
                if options.buildArgs[k] != nil { usedArgs.insert(k) }
            }
            i += 1
        }
        guard i < all.count else { throw BoxError(.invalidArgument, "no FROM statement found") }
        while i < all.count {
            let from = all[i]
            i += 1
            var body: [Instruction] = []
            while i < all.count && all[i].keyword != "FROM" {
                body.append(all[i])
                i += 1
            }
            let w = try words.words(from.args, env: metaArgs)
            guard w.count == 1 || (w.count == 3 && w[1].lowercased() == "as") else {
                throw dockerfileError(file.name, from.line, "FROM requires either one or three arguments")
            }
            if let p = from.flag("platform") {
                let plat = try words.expand(p, env: metaArgs)
                if !plat.isEmpty && plat != Platform.host.description && plat != "linux/\(Platform.host.architecture)" {
                    throw dockerfileError(file.name, from.line, "platform \(plat) is not this host's (\(Platform.host.description)): box builds for the host only")
                }
            }
            let name = w.count == 3 ? w[2].lowercased() : nil
            if let name, stages.contains(where: { $0.name == name }) {
                throw dockerfileError(file.name, from.line, "duplicate stage name \"\(name)\"")
            }
            if w[0].isEmpty { throw dockerfileError(file.name, from.line, "base name (\(from.args)) should not be blank") }
            stages.append(Stage(index: stages.count, name: name, base: w[0], from: from, instructions: body))
        }
        if let t = options.target, !stages.contains(where: { $0.name == t.lowercased() }) {
            throw BoxError(.invalidArgument, "failed to reach build target \(t) in Dockerfile")
        }
    }

    /// The stages needed for the target, in order: the target, the stages it builds FROM, and those it copies from.
    func neededStages() -> [Int] {
        let target = options.target.flatMap { t in stages.firstIndex { $0.name == t.lowercased() } } ?? stages.count - 1
        var need = Set<Int>()
        func visit(_ i: Int) {
            guard need.insert(i).inserted else { return }
            if let s = stageIndex(stages[i].base, before: i) { visit(s) }
            for inst in stages[i].instructions where inst.keyword == "COPY" || inst.keyword == "ADD" {
                if let f = inst.flag("from"), let v = try? words.expand(f, env: metaArgs), let s = stageIndex(v, before: i) { visit(s) }
            }
        }
        visit(target)
        return need.sorted()
    }

    /// An earlier stage named (or numbered) `ref`.
    func stageIndex(_ ref: String, before i: Int) -> Int? {
        if let n = Int(ref), n >= 0, n < i { return n }
        return stages[..<i].firstIndex { $0.name == ref.lowercased() }
    }

    // MARK: building

    /// Builds the stages the target needs; records the final image with the `-t` names.
    public func build() throws(BuildFailure) -> ImageRecord {
        do {
            let guardLock = try images.buildGuard()
            defer { guardLock.unlock() }
            images.sweepStaleStaging()
            try Files.mkdirAll(scratchDir, mode: 0o700)
            defer { try? Tree.remove(scratchDir) }
            let need = neededStages()
            var last: StepImage?
            for (n, i) in need.enumerated() {
                stepLabel = need.count > 1 ? "[\(n + 1)/\(need.count)] " : ""
                last = try buildStage(stages[i], final: i == need.last)
                results[i] = last
            }
            guard var final = last else { throw BoxError(.invalidArgument, "no FROM statement found") }
            if !options.labels.isEmpty {
                var c = final.config
                var cc = c.config ?? ContainerConfig()
                cc.Labels = (cc.Labels ?? [:]).merging(options.labels) { $1 }
                c.config = cc
                final = try StepImage(config: c, layers: final.layers)
            }
            let unused = Set(options.buildArgs.keys).subtracting(usedArgs).subtracting(predefinedArgs).sorted()
            if !unused.isEmpty && !options.quiet {
                try? Files.writeAll(fd: 2, Array("[Warning] one or more build args were not consumed: \(unused)\n".utf8), name: "stderr")
            }
            let names = try options.tags.map { (t) throws(BoxError) in try Reference(parsing: t) }
            if let t = names.first { say("COMMIT \(t.familiar)") } else { say("COMMIT") }
            let rec = try images.recordBuilt(config: final.bytes, layers: final.layers, names: names)
            say("--> \(rec.shortID)")
            for t in names { say("Successfully tagged \(t.description)") }
            return rec
        } catch {
            throw BuildFailure(from: error)
        }
    }

    /// Stops the build if SIGINT, SIGTERM or SIGHUP arrived.
    func checkInterrupted() throws(BuildFailure) {
        guard signalFD >= 0 else { return }
        var p = pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)
        if poll(&p, 1, 0) > 0 {
            let read = box_signalfd_read(signalFD)
            let sig = read > 0 ? read : SIGINT
            throw BuildFailure("build interrupted by signal \(sig)", exitCode: 128 + sig)
        }
    }

    func buildStage(_ stage: Stage, final: Bool) throws(BuildFailure) -> StepImage {
        let total = stage.instructions.count + 1
        say("\(stepLabel)STEP 1/\(total): FROM \(stage.from.args)")
        var st = try wrap(stage.from) { () throws(BoxError) in try base(stage) }
        // the base image's ONBUILD triggers run first; the new image does not inherit them
        let triggers = st.image.config.config?.OnBuild ?? []
        if !triggers.isEmpty {
            var c = st.image.config
            c.config?.OnBuild = nil
            st.image = try wrap(stage.from) { () throws(BoxError) in try StepImage(config: c, layers: st.image.layers) }
            for t in triggers {
                say("--> Running ONBUILD trigger: \(t)")
                let parsed = try wrap(stage.from) { () throws(BoxError) in try Dockerfile.parse(t, name: file.name) }
                for var inst in parsed.instructions {
                    inst.line = stage.from.line
                    try step(&st, inst)
                }
            }
        }
        for (n, inst) in stage.instructions.enumerated() {
            try checkInterrupted()
            say("\(stepLabel)STEP \(n + 2)/\(total): \(inst.text)")
            try step(&st, inst)
        }
        return st.image
    }

    /// Runs `body`, turning a BoxError into a failure at `inst`.
    func wrap<T>(_ inst: Instruction, _ body: () throws(BoxError) -> T) throws(BuildFailure) -> T {
        do {
            return try body()
        } catch {
            throw BuildFailure(from: error)
        }
    }

    /// The stage's starting image: an earlier stage's result, `scratch`, or an image (pulled when missing).
    func base(_ stage: Stage) throws(BoxError) -> StageState {
        if let i = stageIndex(stage.base, before: stage.index), let r = results[i] {
            return StageState(image: r)
        }
        if stage.base.lowercased() == "scratch" {
            let c = ImageConfig(architecture: Platform.host.architecture, os: "linux", config: ContainerConfig(), rootfs: RootFS(diffIDs: []))
            return StageState(image: try StepImage(config: c, layers: []))
        }
        return StageState(image: try image(stage.base))
    }

    /// An image of the store as a step image; pulled if missing (or always with `--pull`).
    func image(_ ref: String) throws(BoxError) -> StepImage {
        try pull(ref, options.pull)
        let rec = try images.resolve(ref)
        let bytes = try Files.read(images.paths.blob(rec.id.hex))
        return try StepImage(bytes: bytes, layers: try images.builtLayers(of: rec))
    }

    /// The layer directories of an image, top first.
    func layerDirs(_ image: StepImage) -> [String] {
        image.layers.reversed().map { images.paths.layer($0.diffID.hex) }
    }

    /// The platform arguments BuildKit defines in the global scope.
    static var platformArgs: [String: String] {
        let p = Platform.host
        var out = ["TARGETPLATFORM": p.description, "TARGETOS": p.os, "TARGETARCH": p.architecture,
                   "BUILDPLATFORM": p.description, "BUILDOS": p.os, "BUILDARCH": p.architecture]
        out["TARGETVARIANT"] = p.variant ?? ""
        out["BUILDVARIANT"] = p.variant ?? ""
        return out
    }
}
