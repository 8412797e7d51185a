#if canImport(Glibc)
import Glibc
#endif

/// A wall-clock instant with nanosecond precision (a `Double` of seconds loses the last digits).
public struct Timestamp: Comparable, Hashable, Sendable {
    /// Seconds since the epoch.
    public var seconds: Int64
    /// 0 ..< 1_000_000_000.
    public var nanos: Int32

    public init(seconds: Int64, nanos: Int32 = 0) {
        self.seconds = seconds
        self.nanos = nanos
    }

    /// The clock's time now.
    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(seconds: Int64(ts.tv_sec), nanos: Int32(ts.tv_nsec))
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool {
        a.seconds != b.seconds ? a.seconds < b.seconds : a.nanos < b.nanos
    }

    /// This instant moved back by a number of nanoseconds.
    public func minus(nanoseconds d: Int64) -> Timestamp {
        let total = Int64(nanos) - d % 1_000_000_000
        let carry = total < 0 ? Int64(-1) : total >= 1_000_000_000 ? 1 : 0
        return Timestamp(seconds: seconds - d / 1_000_000_000 + carry, nanos: Int32(total - carry * 1_000_000_000))
    }

    /// Go's RFC3339NanoFixed in UTC, as `docker logs -t` prints: `2024-01-01T00:00:00.000000000Z`.
    public var rfc3339NanoFixed: String {
        let base = Time.format(seconds: Int(seconds))
        let digits = String(nanos)
        return base.dropLast() + "." + String(repeating: "0", count: 9 - digits.count) + digits + "Z"
    }
}

extension Time {
    /// Parses RFC 3339 with any fraction (`Z` or `±hh:mm`) to the nanosecond; nil if it is not that form.
    public static func parseNanos(_ s: String) -> Timestamp? {
        guard let p = DateParser(s), p.hasTime, let offset = p.offset, p.atEnd else { return nil }
        return p.timestamp(offset: offset)
    }

    /// Docker's `--since`/`--until` value: a Go duration back from now (`10m`, `1h30m`), RFC 3339 with or
    /// without fraction and zone, a date (`2006-01-02`), `2006-01-02T15` or `…T15:04`, or Unix seconds with
    /// an optional fraction (`1700000000.5`). Forms without a zone are in the local zone. Nil if none fits.
    public static func parseSince(_ s: String, now: Timestamp = .now()) -> Timestamp? {
        if s != "0", let d = parseDuration(s) {
            // Docker sends a relative time as whole Unix seconds
            return Timestamp(seconds: now.minus(nanoseconds: d).seconds)
        }
        if s.contains("-") {
            guard let p = DateParser(s), p.atEnd else { return nil }
            return p.timestamp(offset: p.offset ?? localOffset(at: now.seconds))
        }
        let parts = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let sec = Int64(parts[0]) else { return nil }
        guard parts.count == 2 else { return Timestamp(seconds: sec) }
        let frac = parts[1]
        guard !frac.isEmpty, frac.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let nine = frac.prefix(9) + String(repeating: "0", count: max(0, 9 - frac.count))
        return Timestamp(seconds: sec, nanos: Int32(nine) ?? 0)
    }

    /// A Go duration (`300ms`, `-1.5h`, `2h45m`; units ns, us, µs, ms, s, m, h) in nanoseconds; nil if invalid.
    public static func parseDuration(_ s: String) -> Int64? {
        var u = Array(s.unicodeScalars)
        var sign = 1.0
        if let f = u.first, f == "-" || f == "+" {
            sign = f == "-" ? -1 : 1
            u.removeFirst()
        }
        if u == ["0"] { return 0 }
        guard !u.isEmpty else { return nil }
        func isNumeric(_ c: Unicode.Scalar) -> Bool { (c >= "0" && c <= "9") || c == "." }
        let units: [String: Double] = ["ns": 1, "us": 1e3, "µs": 1e3, "μs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9]
        var total = 0.0, i = 0
        while i < u.count {
            let numberStart = i
            while i < u.count, isNumeric(u[i]) { i += 1 }
            let unitStart = i
            while i < u.count, !isNumeric(u[i]) { i += 1 }
            var number = String(String.UnicodeScalarView(u[numberStart..<unitStart]))
            let unit = String(String.UnicodeScalarView(u[unitStart..<i]))
            guard number.contains(where: { $0 != "." }), let scale = units[unit] else { return nil }
            if number.hasSuffix(".") { number += "0" }
            if number.hasPrefix(".") { number = "0" + number }
            guard let v = Double(number) else { return nil }
            total += v * scale
        }
        guard total < 9.2e18 else { return nil }
        return Int64((sign * total).rounded())
    }

    /// The local zone's offset from UTC in seconds at an instant (TZ or /etc/localtime).
    public static func localOffset(at seconds: Int64) -> Int {
        var t = time_t(seconds)
        var tmv = tm()
        localtime_r(&t, &tmv)
        return Int(tmv.tm_gmtoff)
    }
}

/// `YYYY-MM-DD[Thh[:mm[:ss[.fraction]]]][Z|±hh:mm]`, read left to right.
private struct DateParser {
    let u: [UInt8]
    var i = 0
    var fields = [0, 1, 1, 0, 0, 0]
    var nanos: Int32 = 0
    var hasTime = false
    var offset: Int?

    init?(_ s: String) {
        u = Array(s.utf8)
        guard let y = num(4), lit(45), let mo = num(2), lit(45), let d = num(2) else { return nil }
        fields[0] = y
        fields[1] = mo
        fields[2] = d
        if i < u.count && (u[i] == 84 || u[i] == 116) {
            i += 1
            hasTime = true
            guard let h = num(2) else { return nil }
            fields[3] = h
            if lit(58) {
                guard let mi = num(2) else { return nil }
                fields[4] = mi
                if lit(58) {
                    guard let se = num(2) else { return nil }
                    fields[5] = se
                    if lit(46) { guard fraction() else { return nil } }
                }
            }
        }
        if lit(90) || lit(122) {
            offset = 0
        } else if i < u.count && (u[i] == 43 || u[i] == 45) {
            let sign = u[i] == 43 ? 1 : -1
            i += 1
            guard let oh = num(2), lit(58), let om = num(2) else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        }
        guard (1...12).contains(fields[1]), (1...31).contains(fields[2]), fields[3] < 24, fields[4] < 60, fields[5] < 61 else { return nil }
    }

    var atEnd: Bool { i == u.count }

    mutating func lit(_ c: UInt8) -> Bool {
        guard i < u.count, u[i] == c else { return false }
        i += 1
        return true
    }

    mutating func num(_ n: Int) -> Int? {
        var v = 0
        for _ in 0..<n {
            guard i < u.count, u[i] >= 48, u[i] <= 57 else { return nil }
            v = v * 10 + Int(u[i] - 48)
            i += 1
        }
        return v
    }

    /// Digits after the dot; beyond nine they are dropped (Go keeps nanoseconds).
    mutating func fraction() -> Bool {
        var digits = 0, v: Int32 = 0
        while i < u.count, u[i] >= 48, u[i] <= 57 {
            if digits < 9 { v = v * 10 + Int32(u[i] - 48) }
            digits += 1
            i += 1
        }
        for _ in min(digits, 9)..<9 { v *= 10 }
        nanos = v
        return digits > 0
    }

    func timestamp(offset: Int) -> Timestamp {
        let days = Time.daysFromCivil(fields[0], fields[1], fields[2])
        let secs = days * 86400 + fields[3] * 3600 + fields[4] * 60 + fields[5] - offset
        return Timestamp(seconds: Int64(secs), nanos: nanos)
    }
}
