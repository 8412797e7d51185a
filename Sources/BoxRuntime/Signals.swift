import BoxCore

/// Signal names and numbers as Docker takes them (`kill -s`, `stop -s`, `--stop-signal`, an image's `StopSignal`):
/// Linux's signals by name, with or without `SIG`, in any case, the real-time ones as `RTMIN+N` and `RTMAX-N`,
/// or by number.
public enum Signals {
    /// Docker's fixed real-time range on Linux (glibc reserves 32 and 33).
    static let rtmin: Int32 = 34
    static let rtmax: Int32 = 64

    /// Every name Docker knows, without the `SIG` prefix.
    public static let byName: [String: Int32] = {
        var m: [String: Int32] = [
            "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "IOT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
            "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17,
            "CLD": 17, "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24,
            "XFSZ": 25, "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "POLL": 29, "PWR": 30, "SYS": 31,
            "RTMIN": rtmin, "RTMAX": rtmax,
        ]
        for i in Int32(1)...15 { m["RTMIN+\(i)"] = rtmin + i }
        for i in Int32(1)...14 { m["RTMAX-\(i)"] = rtmax - i }
        return m
    }()

    /// Parses `SIGTERM`, `TERM`, `term`, `15` or `SIGRTMIN+3`; anything else is `invalid signal: X`.
    public static func parse(_ s: String) throws(BoxError) -> Int32 {
        if let n = Int32(s) {
            guard (1...31).contains(n) || (rtmin...rtmax).contains(n) else { throw invalid(s) }
            return n
        }
        var key = s.uppercased()
        if key.hasPrefix("SIG") { key.removeFirst(3) }
        guard let n = byName[key] else { throw invalid(s) }
        return n
    }

    /// A container's stop signal: its `--stop-signal` or image `StopSignal`, else SIGTERM.
    public static func stopSignal(of r: ContainerRecord) throws(BoxError) -> Int32 {
        guard let s = r.settings.stopSignal, !s.isEmpty else { return 15 }
        return try parse(s)
    }

    static func invalid(_ s: String) -> BoxError { BoxError(.invalidArgument, "invalid signal: \(s)") }
}
