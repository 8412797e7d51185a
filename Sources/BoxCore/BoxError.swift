#if canImport(Glibc)
import Glibc
#endif

/// The one error type of box: a closed code, a one-line lowercase message, and an optional cause.
///
/// Messages name the operation and the object, e.g. `mount overlay on /var/lib/box/…: invalid argument`.
public struct BoxError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is; it decides the exit code.
    public enum Code: Sendable, Equatable {
        case invalidArgument, notFound, alreadyExists, conflict, invalidImage, io, system
        /// The container's command exists but cannot be run (exit 126).
        case cannotInvoke
        /// The container's command does not exist (exit 127).
        case commandNotFound
    }

    public let code: Code
    public let message: String
    /// The errno behind a system failure, if any.
    public let errno: Int32?

    public init(_ code: Code, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String { message }

    /// The process exit code a CLI uses for this error: 126, 127, else 125.
    public var exitCode: Int32 {
        switch code {
        case .cannotInvoke: 126
        case .commandNotFound: 127
        default: 125
        }
    }

    /// A system call failure, named by its step and object: `open /x: no such file or directory`.
    public static func sys(_ step: String, _ object: String? = nil, errno e: Int32) -> BoxError {
        let what = object.map { "\(step) \($0)" } ?? step
        let code: Code = switch e {
        case ENOENT: .notFound
        case EEXIST: .alreadyExists
        case EINVAL: .invalidArgument
        default: .system
        }
        return BoxError(code, "\(what): \(errnoText(e))", errno: e)
    }
}

/// `strerror` in the lowercase style of Go and the kernel tools: "no such file or directory".
public func errnoText(_ e: Int32) -> String {
    guard let p = strerror(e) else { return "errno \(e)" }
    let s = String(cString: p)
    guard let first = s.first else { return s }
    return first.lowercased() + s.dropFirst()
}

/// Runs a call that returns -1 on failure, retrying on EINTR, and throws a named error otherwise.
@discardableResult
public func check(_ step: @autoclosure () -> String, _ object: String? = nil,
                  _ body: () -> Int32) throws(BoxError) -> Int32 {
    while true {
        let r = body()
        if r >= 0 { return r }
        let e = Glibc.errno
        if e == EINTR { continue }
        throw BoxError.sys(step(), object, errno: e)
    }
}
