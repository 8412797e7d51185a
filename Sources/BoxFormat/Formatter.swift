/// What a `--format` value asks for, interpreted like Docker's CLI formatter.
public enum OutputFormat: Sendable, Equatable {
    /// A table: a header row, then one row per item, aligned with ``tabwrite(_:minWidth:padding:)``.
    /// The payload is the row template without the `table` prefix.
    case table(String)
    /// One compact JSON object per item and line (`docker ps --format json`).
    case json
    /// One line per item from a template; no header.
    case template(String)

    /// Interprets a `--format` value: nil, empty or `table` give `defaultTable`; `table ROW` a table with that
    /// row; `json` JSON lines; anything else a template. As in Docker, the text is trimmed of spaces and the
    /// two-character sequences `\t` and `\n` become a tab and a newline. `defaultTable` may carry the
    /// `table` prefix or not.
    public init(_ format: String?, defaultTable: String) {
        let raw = format ?? ""
        if raw.trimmingSpaces().isEmpty || raw.trimmingSpaces() == "table" {
            let row = defaultTable.hasPrefix("table") ? String(defaultTable.dropFirst(5)) : defaultTable
            self = .table(OutputFormat.clean(row))
        } else if raw.hasPrefix("table") {
            self = .table(OutputFormat.clean(String(raw.dropFirst(5))))
        } else if raw.trimmingSpaces() == "json" {
            self = .json
        } else {
            self = .template(OutputFormat.clean(raw))
        }
    }

    /// Docker's preFormat: trim spaces, then turn literal `\t` and `\n` into tab and newline.
    static func clean(_ text: String) -> String {
        var out = ""
        var pending = false
        for c in text.trimmingSpaces() {
            if pending {
                pending = false
                if c == "t" {
                    out.append("\t")
                    continue
                }
                if c == "n" {
                    out.append("\n")
                    continue
                }
                out.append("\\")
            }
            if c == "\\" { pending = true } else { out.append(c) }
        }
        if pending { out.append("\\") }
        return out
    }
}

/// Renders a list of items the way a box command prints them for `--format`.
///
/// ```swift
/// let f = Formatter(format: options.format, defaultTable: "table {{.ID}}\t{{.Image}}\t{{.Names}}",
///                   headers: ["ID": "CONTAINER ID"])
/// print(try f.render(containers.map { try TemplateValue(encoding: $0) }), terminator: "")
/// ```
public struct Formatter: Sendable {
    /// The interpreted format.
    public let format: OutputFormat
    /// Column titles by field name, overriding the derived ones (`ID` → `CONTAINER ID`).
    public let headers: [String: String]
    private let parsed: Result<Template, TemplateError>?

    /// Interprets `format` (see ``OutputFormat/init(_:defaultTable:)``) and parses its template once;
    /// a parse error is reported by ``validate()`` and ``render(_:)``.
    public init(format: String?, defaultTable: String, headers: [String: String] = [:]) {
        self.format = OutputFormat(format, defaultTable: defaultTable)
        self.headers = headers
        switch self.format {
        case .json:
            parsed = nil
        case .table(let source), .template(let source):
            do throws(TemplateError) {
                parsed = .success(try Template(source))
            } catch {
                parsed = .failure(error)
            }
        }
    }

    /// True for table output.
    public var isTable: Bool {
        if case .table = format { return true }
        return false
    }

    /// True for JSON lines output.
    public var isJSON: Bool { format == .json }

    /// Throws the template's parse error, if any, so a command can fail before doing work.
    public func validate() throws(TemplateError) {
        if case .failure(let error) = parsed { throw error }
    }

    /// The complete output, each line ending in a newline. A table prints its header even with no items;
    /// the other formats print nothing for no items.
    public func render(_ items: [TemplateValue]) throws(TemplateError) -> String {
        var out = ""
        switch (format, parsed) {
        case (.json, _):
            for item in items { out += item.jsonString + "\n" }
            return out
        case (_, .failure(let error)?):
            throw error
        case (.table, .success(let template)?):
            out = try template.renderHeader(headers) + "\n"
            for item in items { out += try template.render(item) + "\n" }
            return tabwrite(out)
        case (_, .success(let template)?):
            for item in items { out += try template.render(item) + "\n" }
            return out
        case (_, nil):
            return out
        }
    }

    /// Encodes each item (see ``TemplateValue/init(encoding:)``) and renders them.
    public func render<T: Encodable>(encoding items: [T]) throws -> String {
        try render(items.map { try TemplateValue(encoding: $0) })
    }

    /// The column title Docker style derives from a field name: words split at case changes, upper-cased
    /// (`CreatedAt` → `CREATED AT`, `ID` → `ID`, `ImageID` → `IMAGE ID`).
    public static func header(forField field: String) -> String { HeaderName.docker(field) }
}

/// Column titles for table headers.
enum HeaderName {
    /// The title for a field chain: `headers` by the whole chain (`Config.Image`), then by its last field,
    /// else derived from the last field.
    static func title(for names: [String], in headers: [String: String]) -> String {
        if let title = headers[names.joined(separator: ".")] { return title }
        let last = names.last ?? ""
        return headers[last] ?? docker(last)
    }

    static func docker(_ field: String) -> String {
        let chars = Array(field)
        var words: [String] = []
        var current = ""
        for (i, c) in chars.enumerated() {
            if c == "_" || c == "-" || c == " " || c == "." {
                if !current.isEmpty { words.append(current) }
                current = ""
                continue
            }
            if c.isUppercase, i > 0, !current.isEmpty {
                let previous = chars[i - 1]
                let nextIsLower = i + 1 < chars.count && chars[i + 1].isLowercase
                let acronymEnds = previous.isUppercase && nextIsLower && current.count > 1
                if previous.isLowercase || previous.isNumber || acronymEnds {
                    words.append(current)
                    current = ""
                }
            }
            current.append(c)
        }
        if !current.isEmpty { words.append(current) }
        return words.joined(separator: " ").uppercased()
    }
}

extension String {
    /// Trims ASCII spaces (only ' ', as Docker's `strings.Trim(format, " ")`).
    fileprivate func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
