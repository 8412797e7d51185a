import BoxCore
import BoxOCI

extension ImageStore {
    /// The images of an OCI layout: each manifest of index.json (an index within picks the host's platform).
    func ociImages(_ files: StagedFiles) throws(BoxError) -> [StagedImage] {
        let index = try JSON.decode(ImageIndex.self, from: try files.read("index.json"), what: "index.json")
        var out: [StagedImage] = []
        for desc in index.manifests {
            var d = desc
            var names = ImageStore.names(from: desc.annotations)
            if MediaType.isIndex(d.mediaType) {
                let f = try files.blob(d)
                let inner = try JSON.decode(ImageIndex.self, from: try Files.read(f), what: "index \(d.digest)")
                guard let pick = Platforms.choose(inner.manifests, for: .host) else {
                    throw BoxError(.invalidImage, "index \(d.digest) has no image for \(Platform.host)")
                }
                d = pick
                if names.isEmpty { names = ImageStore.names(from: inner.annotations) }
            }
            let bytes = try Files.read(try files.blob(d))
            let manifest = try JSON.decode(Manifest.self, from: bytes, what: "manifest \(d.digest)")
            let configBytes = try Files.read(try files.blob(manifest.config))
            let config = try JSON.decode(ImageConfig.self, from: configBytes, what: "image config \(manifest.config.digest)")
            guard config.rootfs.diff_ids.count == manifest.layers.count else {
                throw BoxError(.invalidImage, "manifest \(d.digest): \(manifest.layers.count) layers but \(config.rootfs.diff_ids.count) diff ids")
            }
            var layers: [(file: String, descriptor: Descriptor)] = []
            for l in manifest.layers { layers.append((try files.blob(l), l)) }
            out.append(StagedImage(names: names, manifestBytes: bytes, config: config, configBytes: configBytes, layers: layers))
        }
        return out
    }

    /// The images of a `docker save` archive; a manifest is made for each, with the layers as stored.
    func dockerImages(_ files: StagedFiles) throws(BoxError) -> [StagedImage] {
        let entries = try JSON.decode([DockerArchiveEntry].self, from: try files.read("manifest.json"), what: "manifest.json")
        var out: [StagedImage] = []
        for e in entries {
            let configBytes = try files.read(e.Config)
            let config = try JSON.decode(ImageConfig.self, from: configBytes, what: "image config \(e.Config)")
            guard config.rootfs.diff_ids.count == e.Layers.count else {
                throw BoxError(.invalidImage, "\(e.Config): \(e.Layers.count) layers but \(config.rootfs.diff_ids.count) diff ids")
            }
            var layers: [(file: String, descriptor: Descriptor)] = []
            for path in e.Layers {
                guard let f = files.file(path) else { throw BoxError(.invalidImage, "archive has no layer \(path)") }
                let (digest, size) = try hashFile(f)
                let type = try Files.isGzip(f) ? MediaType.dockerLayerGzip : MediaType.dockerLayer
                layers.append((f, Descriptor(mediaType: type, digest: digest, size: size)))
            }
            let configDesc = Descriptor(mediaType: MediaType.dockerConfig, digest: Digest.of(configBytes), size: Int64(configBytes.count))
            let manifest = Manifest(config: configDesc, layers: layers.map(\.descriptor), mediaType: MediaType.dockerManifest)
            var names: [String] = []
            for t in e.RepoTags ?? [] { names.append(try Reference(parsing: t).description) }
            out.append(StagedImage(names: names, manifestBytes: try JSON.encode(manifest), config: config,
                                   configBytes: configBytes, layers: layers))
        }
        return out
    }

    /// The image name in OCI annotations: containerd's full name, else a ref.name that is a full reference.
    static func names(from annotations: [String: String]?) -> [String] {
        guard let a = annotations else { return [] }
        if let n = a["io.containerd.image.name"], let r = try? Reference(parsing: n) { return [r.description] }
        if let n = a["org.opencontainers.image.ref.name"], n.contains(":") || n.contains("/"),
           let r = try? Reference(parsing: n) { return [r.description] }
        return []
    }
}

/// Choosing one manifest of an index for a platform.
public enum Platforms {
    /// The image manifest for `platform`: os and architecture must match; an asked-for variant must match
    /// too (or the entry have none); with no variant asked for, an entry without one is preferred.
    public static func choose(_ manifests: [Descriptor], for platform: Platform) -> Descriptor? {
        let same = manifests.filter {
            $0.platform?.os == platform.os && $0.platform?.architecture == platform.architecture
                && (MediaType.isManifest($0.mediaType) || MediaType.isIndex($0.mediaType))
        }
        if let v = platform.variant {
            // a variant asked for is never replaced by another (an arm/v6 CPU cannot run v7 code)
            return same.first { $0.platform?.variant == v } ?? same.first { $0.platform?.variant == nil }
        }
        return same.first { $0.platform?.variant == nil } ?? same.first
    }
}
