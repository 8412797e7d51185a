import BoxCore

/// What `box build` was asked for.
public struct BuildOptions: Sendable {
    /// The context directory (a tar on stdin was already extracted into one).
    public var contextDir: String
    /// The Dockerfile's text and its name for errors.
    public var dockerfile: String
    public var dockerfileName: String = "Dockerfile"
    /// Its path on disk, if any (for `NAME.dockerignore`).
    public var dockerfilePath: String?
    /// `-t` names, checked already.
    public var tags: [String] = []
    /// `--build-arg KEY=VALUE` (a bare `KEY` was resolved from the caller's environment).
    public var buildArgs: [String: String] = [:]
    public var target: String?
    public var noCache = false
    /// `--pull`: pull every base image, even one the store has.
    public var pull = false
    /// `--label KEY=VALUE` on the final image.
    public var labels: [String: String] = [:]
    /// `-q`: only the image ID is printed.
    public var quiet = false
    /// `--network` of RUN steps: `host` (default) or `none`.
    public var network = "host"
    /// `--platform`: only the host's is built.
    public var platform: String?

    public init(contextDir: String, dockerfile: String) {
        self.contextDir = contextDir
        self.dockerfile = dockerfile
    }
}

/// A build that failed at a step: the message, and the exit code (a failed RUN's own, as podman exits).
public struct BuildFailure: Error, Sendable {
    public var message: String
    public var exitCode: Int32

    public init(_ message: String, exitCode: Int32) {
        self.message = message
        self.exitCode = exitCode
    }

    /// Any error as a build failure: a `BuildFailure` as it is, a `BoxError` with its message and exit code.
    init(from error: any Error) {
        switch error {
        case let f as BuildFailure: self = f
        case let e as BoxError: self.init(e.message, exitCode: e.exitCode)
        default: self.init("\(error)", exitCode: 125)
        }
    }
}

/// The build arguments Docker predefines: usable without an ARG, and left out of the history.
public let predefinedArgs: Set<String> = [
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy",
    "ALL_PROXY", "all_proxy",
]
