/// Media types of the OCI image spec and of Docker's schema 2.
public enum MediaType {
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayer = "application/vnd.docker.image.rootfs.diff.tar"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"

    public static func isIndex(_ t: String?) -> Bool { t == ociIndex || t == dockerManifestList }
    public static func isManifest(_ t: String?) -> Bool { t == ociManifest || t == dockerManifest }
}

/// An OS and architecture, as in image indexes and configs.
public struct Platform: Codable, Hashable, Sendable, CustomStringConvertible {
    public var architecture: String
    public var os: String
    public var variant: String?

    enum CodingKeys: String, CodingKey { case architecture, os, variant }

    public init(architecture: String, os: String = "linux", variant: String? = nil) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
    }

    /// The platform of this machine, in OCI terms.
    public static var host: Platform {
        #if arch(x86_64)
        Platform(architecture: "amd64")
        #elseif arch(arm64)
        Platform(architecture: "arm64", variant: "v8")
        #else
        Platform(architecture: "unknown")
        #endif
    }

    public var description: String { "\(os)/\(architecture)" + (variant.map { "/\($0)" } ?? "") }
}

/// A pointer to content: what it is, its digest and its size.
public struct Descriptor: Codable, Hashable, Sendable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var annotations: [String: String]?
    public var platform: Platform?

    public init(mediaType: String, digest: Digest, size: Int64, annotations: [String: String]? = nil,
                platform: Platform? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.platform = platform
    }
}

/// An image index (or Docker manifest list): manifests, one per platform or per name.
public struct ImageIndex: Codable, Hashable, Sendable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var manifests: [Descriptor]
    public var annotations: [String: String]?

    public init(manifests: [Descriptor], mediaType: String? = MediaType.ociIndex) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.manifests = manifests
    }
}

/// An image manifest: a config and the layers, bottom first.
public struct Manifest: Codable, Hashable, Sendable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var annotations: [String: String]?

    public init(config: Descriptor, layers: [Descriptor], mediaType: String? = MediaType.ociManifest) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
    }
}

/// The image configuration: how to run the image, and the digests of its uncompressed layers.
public struct ImageConfig: Codable, Hashable, Sendable {
    public var created: String?
    public var author: String?
    public var architecture: String
    public var os: String
    public var variant: String?
    public var config: ContainerConfig?
    public var rootfs: RootFS
    public var history: [History]?

    public init(architecture: String, os: String, config: ContainerConfig?, rootfs: RootFS) {
        self.architecture = architecture
        self.os = os
        self.config = config
        self.rootfs = rootfs
    }
}

/// The `config` part of an image config: the defaults of a container made from it.
public struct ContainerConfig: Codable, Hashable, Sendable {
    public var User: String?
    public var ExposedPorts: [String: Empty]?
    public var Env: [String]?
    public var Entrypoint: [String]?
    public var Cmd: [String]?
    public var Volumes: [String: Empty]?
    public var WorkingDir: String?
    public var Labels: [String: String]?
    public var StopSignal: String?
    /// Docker's extension: Dockerfile instructions run when the image is built upon (`ONBUILD`).
    public var OnBuild: [String]?
    /// Docker's extension: the image's health check.
    public var Healthcheck: Healthcheck?
    /// Docker's extension: the shell of the shell forms of RUN, CMD and ENTRYPOINT (`SHELL`); `/bin/sh -c` when nil.
    public var Shell: [String]?

    public init() {}
}

/// Docker's `Healthcheck` of an image config; durations in nanoseconds, 0 for the default.
public struct Healthcheck: Codable, Hashable, Sendable {
    /// `["NONE"]`, `["CMD", args…]` or `["CMD-SHELL", command]`.
    public var Test: [String]?
    public var Interval: Int64?
    public var Timeout: Int64?
    public var StartPeriod: Int64?
    public var Retries: Int?

    public init(Test: [String]?, Interval: Int64? = nil, Timeout: Int64? = nil, StartPeriod: Int64? = nil, Retries: Int? = nil) {
        self.Test = Test
        self.Interval = Interval
        self.Timeout = Timeout
        self.StartPeriod = StartPeriod
        self.Retries = Retries
    }
}

/// `{}`: the value type of Docker's set-like maps (`ExposedPorts`, `Volumes`).
public struct Empty: Codable, Hashable, Sendable {
    public init() {}
}

/// The layer list of an image config.
public struct RootFS: Codable, Hashable, Sendable {
    public var type: String
    public var diff_ids: [Digest]

    public init(diffIDs: [Digest]) {
        self.type = "layers"
        self.diff_ids = diffIDs
    }
}

/// One step of an image's history.
public struct History: Codable, Hashable, Sendable {
    public var created: String?
    public var created_by: String?
    public var author: String?
    public var comment: String?
    public var empty_layer: Bool?

    public init(created: String? = nil, created_by: String? = nil, author: String? = nil, comment: String? = nil,
                empty_layer: Bool? = nil) {
        self.created = created
        self.created_by = created_by
        self.author = author
        self.comment = comment
        self.empty_layer = empty_layer
    }
}

/// One entry of a `docker save` archive's `manifest.json`.
public struct DockerArchiveEntry: Codable, Hashable, Sendable {
    public var Config: String
    public var RepoTags: [String]?
    public var Layers: [String]

    public init(config: String, repoTags: [String]?, layers: [String]) {
        self.Config = config
        self.RepoTags = repoTags
        self.Layers = layers
    }
}
