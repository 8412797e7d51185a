import BoxCore
import BoxOCI

// The store side of `box images --filter` and `box image prune`: Docker's image filters, the glob its
// `reference` filter uses, and pruning with the reclaimed size.

/// Docker's `--filter KEY=VALUE` set for the image commands, parsed and checked.
///
/// Values of one key combine as Docker's daemon combines them: `reference` patterns any-of, `label` all-of,
/// `label!` none-of; `dangling` is true if any value is; the last `before`, `since` and `until` win.
public struct ImageFilter: Sendable, Equatable {
    /// Globs matched against the familiar names (``PathPattern``).
    public var references: [String] = []
    /// Only images without names (`true`) or only named ones (`false`).
    public var dangling: Bool?
    /// `KEY` or `KEY=VALUE`; an image must have all of them.
    public var labels: [String] = []
    /// `KEY` or `KEY=VALUE`; an image must have none of them (`label!=…`, prune only).
    public var notLabels: [String] = []
    /// Images created before, or after, the image with this reference.
    public var before: String?
    public var since: String?
    /// Images created no later than this moment, in seconds since the epoch.
    public var until: Double?

    /// The keys `box images` takes.
    public static let listKeys: Set<String> = ["reference", "dangling", "label", "before", "since", "until"]
    /// The keys `box image prune` takes (its `dangling` comes from `-a`).
    public static let pruneKeys: Set<String> = ["label", "label!", "until"]

    public init() {}

    /// Parses `--filter` values. `now` anchors durations in `until` (`24h` is a day before `now`).
    public init(_ args: [String], allowed: Set<String>, now: Double) throws(BoxError) {
        for arg in args {
            guard let eq = arg.firstIndex(of: "=") else {
                throw BoxError(.invalidArgument, "invalid argument \"\(arg)\" for \"--filter\" flag: bad format of filter (expected name=value)")
            }
            let key = arg[..<eq].trimmingSpaces().lowercased()
            let value = arg[arg.index(after: eq)...].trimmingSpaces()
            guard allowed.contains(key) else { throw BoxError(.invalidArgument, "invalid filter '\(key)'") }
            switch key {
            case "reference":
                _ = try PathPattern.match(value, "")
                references.append(value)
            case "dangling":
                guard value == "true" || value == "false" else { throw BoxError(.invalidArgument, "invalid filter 'dangling=\(value)'") }
                dangling = (dangling ?? false) || value == "true"
            case "label": labels.append(value)
            case "label!": notLabels.append(value)
            case "before": before = value
            case "since": since = value
            default:
                guard let t = FilterTime.parse(value, now: now) else {
                    throw BoxError(.invalidArgument, "invalid filter 'until=\(value)': not a timestamp or duration")
                }
                until = t
            }
        }
    }

    /// Whether labels pass the `label` and `label!` filters.
    public func matches(labels have: [String: String]) -> Bool {
        func has(_ want: String) -> Bool {
            guard let eq = want.firstIndex(of: "=") else { return have[want] != nil }
            return have[String(want[..<eq])] == String(want[want.index(after: eq)...])
        }
        return labels.allSatisfy(has) && !notLabels.contains(where: has)
    }

    /// Whether a familiar reference (`box-demo:latest`, `box-demo@sha256:…`) passes the `reference` filter:
    /// a pattern matches the whole familiar string or its repository, as Docker's `FamiliarMatch` does.
    public func matches(reference familiar: String) -> Bool {
        guard !references.isEmpty else { return true }
        guard let ref = try? Reference(parsing: familiar) else { return false }
        return references.contains { p in
            (try? PathPattern.match(p, familiar)) == true || (try? PathPattern.match(p, ref.familiarRepository)) == true
                || PathPattern.sameName(p, ref)
        }
    }
}

/// What one image removal did, in Docker's prune report order: its names go, then the image.
public enum PruneItem: Sendable, Equatable {
    case untagged(String)
    case deleted(Digest)
}

/// The result of ``ImageStore/prune(all:filter:usedBy:)``.
public struct PruneReport: Sendable, Equatable {
    public var items: [PruneItem] = []
    /// The uncompressed size of the layers no remaining image shares (what Docker reports as reclaimed).
    public var reclaimed: Int64 = 0
}

extension ImageStore {
    /// The images `box images` shows, newest first (ties: the later added first). Each is narrowed to the names
    /// and repo digests that pass the `reference` filter; an image left with none of them is dropped.
    public func list(filter: ImageFilter) throws(BoxError) -> [ImageRecord] {
        let all = try list()
        func created(_ ref: String) throws(BoxError) -> Double {
            Time.parse(try resolve(ref).created ?? "") ?? 0
        }
        let before = try filter.before.map { (r) throws(BoxError) in try created(r) }
        let since = try filter.since.map { (r) throws(BoxError) in try created(r) }
        var out: [(Double, ImageRecord)] = []
        for var img in all.reversed() {
            let t = Time.parse(img.created ?? "")
            if let before, !(t.map { $0 < before } ?? false) { continue }
            if let since, !(t.map { $0 > since } ?? false) { continue }
            if let until = filter.until, let t, t > until { continue }
            if !filter.labels.isEmpty || !filter.notLabels.isEmpty {
                guard filter.matches(labels: (try? config(of: img))?.config?.Labels ?? [:]) else { continue }
            }
            if !filter.references.isEmpty {
                img.names = img.names.filter { filter.matches(reference: ImageStore.familiar($0)) }
                img.repoDigests = img.repoDigests?.filter { filter.matches(reference: ImageStore.familiar($0)) }
                if img.names.isEmpty && (img.repoDigests ?? []).isEmpty { continue }
            }
            if let dangling = filter.dangling, img.names.isEmpty != dangling { continue }
            out.append((t ?? 0, img))
        }
        // a stable sort: the reversed list keeps the later added first among equal times
        return out.enumerated().sorted { a, b in
            a.element.0 != b.element.0 ? a.element.0 > b.element.0 : a.offset < b.offset
        }.map(\.element.1)
    }

    /// Removes the dangling images (without `all`) or every image (with it) that no container uses and that
    /// passes the filter's labels and `until`, then collects garbage. Images in use are skipped, as Docker does.
    public func prune(all: Bool, filter: ImageFilter, usedBy: (Digest) -> String?) throws(BoxError) -> PruneReport {
        let report = try update { (images) throws(BoxError) -> PruneReport in
            var report = PruneReport()
            var removed: [ImageRecord] = []
            for img in images where all || img.names.isEmpty {
                if usedBy(img.id) != nil { continue }
                if let until = filter.until, let t = Time.parse(img.created ?? ""), t > until { continue }
                if !filter.labels.isEmpty || !filter.notLabels.isEmpty {
                    guard filter.matches(labels: (try? config(of: img))?.config?.Labels ?? [:]) else { continue }
                }
                for n in img.names + (img.repoDigests ?? []) { report.items.append(.untagged(ImageStore.familiar(n))) }
                report.items.append(.deleted(img.id))
                removed.append(img)
            }
            let gone = Set(removed.map(\.id))
            images.removeAll { gone.contains($0.id) }
            report.reclaimed = ImageStore.unsharedSize(of: removed, keeping: images)
            return report
        }
        if !report.items.isEmpty { try collectGarbage() }
        return report
    }

    /// The summed size of the layers of `removed` that no image of `kept` has, each layer counted once.
    static func unsharedSize(of removed: [ImageRecord], keeping kept: [ImageRecord]) -> Int64 {
        let keep = Set(kept.flatMap(\.layers))
        var counted = Set<Digest>()
        var total: Int64 = 0
        for img in removed {
            for (layer, size) in zip(img.layers, img.layerSizes) where !keep.contains(layer) && counted.insert(layer).inserted {
                total += size
            }
        }
        return total
    }

    /// The short form Docker prints for a stored name: `box-demo:latest`.
    static func familiar(_ name: String) -> String {
        (try? Reference(parsing: name))?.familiar ?? name
    }
}

/// Go's `path.Match`, the glob of Docker's `reference` filter: `*` is any run of characters but `/`, `?` one
/// character but `/`, `[a-z]` and `[^a-z]` classes, and `\` quotes the next character.
public enum PathPattern {
    typealias Chars = ArraySlice<Unicode.Scalar>

    /// Whether `name` matches `pattern` as a whole; a malformed pattern is an error whatever the name.
    public static func match(_ pattern: String, _ name: String) throws(BoxError) -> Bool {
        let p = Array(pattern.unicodeScalars)
        guard valid(p) else { throw BoxError(.invalidArgument, "invalid reference pattern \"\(pattern)\": syntax error in pattern") }
        return matches(p[...], Array(name.unicodeScalars)[...])
    }

    /// A pattern without glob characters may also be a name written in full (`docker.io/library/box-demo`):
    /// it names `ref` if it normalizes to it, or to its repository when it has no tag.
    static func sameName(_ pattern: String, _ ref: Reference) -> Bool {
        guard !pattern.unicodeScalars.contains(where: { "*?[\\".unicodeScalars.contains($0) }),
              let p = try? Reference(parsing: pattern) else { return false }
        let untagged = !pattern.contains("@") && !(pattern.split(separator: "/").last ?? "").contains(":")
        return p == ref || (untagged && p.repository == ref.repository)
    }

    /// Go's algorithm: the pattern is chunks, each after a run of stars; a chunk is matched at the first place
    /// it fits, except that the last one must end the name. That keeps matching linear in the stars.
    static func matches(_ pattern: Chars, _ name: Chars) -> Bool {
        var p = pattern
        var name = name
        next: while !p.isEmpty {
            let (star, chunk) = scanChunk(&p)
            if star && chunk.isEmpty { return !name.contains("/") }
            if let rest = matchChunk(chunk, name), rest.isEmpty || !p.isEmpty {
                name = rest
                continue
            }
            guard star else { return false }
            var i = name.startIndex
            while i < name.endIndex && name[i] != "/" {
                if let rest = matchChunk(chunk, name[(i + 1)...]), rest.isEmpty || !p.isEmpty {
                    name = rest
                    continue next
                }
                i += 1
            }
            return false
        }
        return name.isEmpty
    }

    /// Takes the leading stars and the chunk after them off the pattern.
    static func scanChunk(_ p: inout Chars) -> (star: Bool, chunk: Chars) {
        var star = false
        while p.first == "*" {
            p = p.dropFirst()
            star = true
        }
        var inClass = false
        var i = p.startIndex
        scan: while i < p.endIndex {
            switch p[i] {
            case "\\": if i + 1 < p.endIndex { i += 1 }
            case "[": inClass = true
            case "]": inClass = false
            case "*": if !inClass { break scan }
            default: break
            }
            i += 1
        }
        defer { p = p[i...] }
        return (star, p[p.startIndex..<i])
    }

    /// Matches a star-free chunk at the start of `s`; the rest of `s`, or nil.
    static func matchChunk(_ chunk: Chars, _ s: Chars) -> Chars? {
        var c = chunk
        var s = s
        while let pc = c.first {
            guard let r = s.first else { return nil }
            c = c.dropFirst()
            s = s.dropFirst()
            switch pc {
            case "?":
                if r == "/" { return nil }
            case "[":
                let negated = c.first == "^"
                if negated { c = c.dropFirst() }
                var hit = false
                var n = 0
                while true {
                    if c.first == "]" && n > 0 {
                        c = c.dropFirst()
                        break
                    }
                    guard let lo = escaped(&c) else { return nil }
                    var hi = lo
                    if c.first == "-" {
                        c = c.dropFirst()
                        guard let h = escaped(&c) else { return nil }
                        hi = h
                    }
                    if lo.value <= r.value && r.value <= hi.value { hit = true }
                    n += 1
                }
                if hit == negated { return nil }
            case "\\":
                guard let lit = c.first, lit == r else { return nil }
                c = c.dropFirst()
            default:
                if pc != r { return nil }
            }
        }
        return s
    }

    /// One character of a class: plain (not `-` or `]`) or `\`-quoted.
    static func escaped(_ c: inout Chars) -> Unicode.Scalar? {
        guard var ch = c.first, ch != "-", ch != "]" else { return nil }
        if ch == "\\" {
            c = c.dropFirst()
            guard let q = c.first else { return nil }
            ch = q
        }
        c = c.dropFirst()
        return ch
    }

    /// Go's ErrBadPattern cases: a trailing `\`, an unclosed or empty class, a class range missing an end.
    static func valid(_ p: [Unicode.Scalar]) -> Bool {
        var c = p[...]
        while let ch = c.first {
            c = c.dropFirst()
            switch ch {
            case "\\":
                guard !c.isEmpty else { return false }
                c = c.dropFirst()
            case "[":
                if c.first == "^" { c = c.dropFirst() }
                var n = 0
                while true {
                    guard !c.isEmpty else { return false }
                    if c.first == "]" && n > 0 {
                        c = c.dropFirst()
                        break
                    }
                    guard escaped(&c) != nil else { return false }
                    if c.first == "-" {
                        c = c.dropFirst()
                        guard escaped(&c) != nil else { return false }
                    }
                    n += 1
                }
            default: break
            }
        }
        return true
    }
}

/// Docker's `until` values: a Go duration back from now (`24h`, `1h30m`), an RFC 3339 time, a date
/// (`2024-01-02`, read as UTC) or Unix seconds (`1704067200`, `1704067200.5`).
public enum FilterTime {
    public static func parse(_ s: String, now: Double) -> Double? {
        if let d = duration(s) { return now - d }
        if let t = Time.parse(s) { return t }
        if s.utf8.count == 10, let t = Time.parse(s + "T00:00:00Z") { return t }
        if s.utf8.count == 16, let t = Time.parse(s + ":00Z") { return t }
        if s.utf8.count == 19, let t = Time.parse(s + "Z") { return t }
        if let v = Double(s), s.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 46 }) { return v }
        return nil
    }

    /// Go's `time.ParseDuration`, in seconds: decimal numbers each with a unit, `ns` to `h`.
    static func duration(_ s: String) -> Double? {
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        var rest = Substring(s)
        var sign = 1.0
        if rest.first == "-" || rest.first == "+" {
            if rest.first == "-" { sign = -1 }
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        var total = 0.0
        var parts = 0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, let v = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.filter({ rest.hasPrefix($0.0) }).max(by: { $0.0.count < $1.0.count }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += v * unit.1
            parts += 1
        }
        return parts > 0 ? sign * total : nil
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
