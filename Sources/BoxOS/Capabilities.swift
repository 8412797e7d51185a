#if canImport(Glibc)
import Glibc
#endif
import BoxCore
import CCap

/// Linux capabilities by name, parsed with libcap.
public enum Capabilities {
    /// Docker's default set for a container.
    public static let dockerDefault = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ]

    /// The number of a capability named `CAP_X` or `X` (any case).
    public static func number(_ name: String) throws(BoxError) -> Int {
        var upper = name.uppercased()
        if !upper.hasPrefix("CAP_") { upper = "CAP_" + upper }
        var value: cap_value_t = 0
        guard cap_from_name(upper.lowercased(), &value) == 0, value >= 0, value < 64 else {
            throw BoxError(.invalidArgument, "unknown capability \"\(name)\"")
        }
        return Int(value)
    }

    /// The canonical name `CAP_X` of a capability name in any case or form.
    public static func canonical(_ name: String) throws(BoxError) -> String {
        let n = try number(name)
        guard let p = cap_to_name(cap_value_t(n)) else { return name.uppercased() }
        defer { cap_free(p) }
        return String(cString: p).uppercased()
    }

    /// A bit mask of the named capabilities.
    public static func mask(_ names: [String]) throws(BoxError) -> UInt64 {
        var m: UInt64 = 0
        for n in names { m |= 1 << UInt64(try number(n)) }
        return m
    }

    /// Every capability this kernel knows, by name.
    public static var all: [String] {
        let last = cap_max_bits()
        return (0..<Int(last)).compactMap { i -> String? in
            guard let p = cap_to_name(cap_value_t(i)) else { return nil }
            defer { cap_free(p) }
            return String(cString: p).uppercased()
        }
    }
}
