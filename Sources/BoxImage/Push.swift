#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import BoxOCI
import BoxOS
import BoxRegistry

/// What happened to one blob of a push.
public enum PushOutcome: String, Sendable {
    case pushed = "Pushed"
    case exists = "Layer already exists"
    case mounted = "Mounted from"
}

/// The outcome of a push: the manifest digest and size, as Docker prints them.
public struct PushResult: Sendable {
    public var digest: Digest
    public var size: Int
}

extension ImageStore {
    /// Pushes an image's blobs (those the registry lacks: mounted from another repository of the same
    /// registry when one is known to have them, else uploaded), then its manifest under `ref`'s tag.
    /// `report` hears each layer's outcome, from several threads.
    public func push(_ image: ImageRecord, to ref: Reference, client: RegistryClient,
                     report: @escaping @Sendable (Digest, PushOutcome, String?) -> Void) throws(BoxError) -> PushResult {
        let manifestBytes = try Files.read(paths.blob(image.manifest.hex))
        let manifest = try JSON.decode(Manifest.self, from: manifestBytes, what: "manifest \(image.manifest)")
        let repo = ref.path
        // repositories of the same registry that already have this image's blobs: candidates for a mount
        let mountSources = (image.repoDigests ?? []).compactMap { try? Reference(parsing: $0) }
            .filter { $0.domain == ref.domain && $0.path != repo }.map(\.path)
        for l in manifest.layers where !Files.exists(paths.blob(l.digest.hex)) {
            throw BoxError(.notFound, "push \(ref): the store lacks layer blob \(l.digest) of image \(image.shortID)")
        }
        let blobs = manifest.layers + [manifest.config]
        try Worker.forEach(blobs.count, width: ImageStore.pullWidth) { (i) throws(BoxError) in
            let d = blobs[i].digest
            // Docker reports layers only, not the config
            let isLayer = i < manifest.layers.count
            if try client.hasBlob(repo, d) {
                if isLayer { report(d, .exists, nil) }
                return
            }
            for source in mountSources where try client.mountBlob(repo, d, from: source) {
                if isLayer { report(d, .mounted, source) }
                return
            }
            let path = self.paths.blob(d.hex)
            let fd = try check("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
            defer { close(fd) }
            var st = stat()
            try check("stat", path) { fstat(fd, &st) }
            try client.upload(repo, d, fd: fd, length: Int64(st.st_size))
            if isLayer { report(d, .pushed, nil) }
        }
        let type = manifest.mediaType ?? MediaType.ociManifest
        let digest = try client.putManifest(repo, ref.tag ?? ref.digest?.description ?? "latest", bytes: manifestBytes, mediaType: type)
        // remember where the image now lives, as Docker's RepoDigests do
        try update { (records) throws(BoxError) in
            ImageStore.addRepoDigest("\(ref.repository)@\(digest)", to: image.id, in: &records)
        }
        return PushResult(digest: digest, size: manifestBytes.count)
    }
}
