/// A `WWW-Authenticate` challenge: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
public struct Challenge: Equatable, Sendable {
    public var scheme: String
    public var parameters: [String: String]

    public var realm: String? { parameters["realm"] }

    /// Parses the challenges of one header value (the scheme is lowercased; quoted values may hold commas).
    public static func parse(_ header: String) -> [Challenge] {
        var out: [Challenge] = []
        var s = Substring(header)
        while true {
            s = s.drop { $0 == " " || $0 == "," }
            guard !s.isEmpty else { break }
            let scheme = s.prefix { $0 != " " && $0 != "," }
            s = s.dropFirst(scheme.count)
            var params: [String: String] = [:]
            // parameters: name=value or name="quoted", separated by commas
            while true {
                let save = s
                s = s.drop { $0 == " " || $0 == "," }
                let name = s.prefix { $0 != "=" && $0 != " " && $0 != "," }
                guard !name.isEmpty, s.dropFirst(name.count).first == "=" else {
                    s = save
                    break
                }
                s = s.dropFirst(name.count + 1)
                var value = ""
                if s.first == "\"" {
                    s = s.dropFirst()
                    while let c = s.first, c != "\"" {
                        if c == "\\", let n = s.dropFirst().first {
                            value.append(n)
                            s = s.dropFirst(2)
                        } else {
                            value.append(c)
                            s = s.dropFirst()
                        }
                    }
                    s = s.dropFirst()
                } else {
                    let v = s.prefix { $0 != "," && $0 != " " }
                    value = String(v)
                    s = s.dropFirst(v.count)
                }
                params[name.lowercased()] = value
            }
            out.append(Challenge(scheme: scheme.lowercased(), parameters: params))
            if s.isEmpty { break }
        }
        return out
    }
}
