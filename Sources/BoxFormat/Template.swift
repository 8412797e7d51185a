import FoundationEssentials

/// A parsed Go `text/template` (the subset Docker's `--format` uses), ready to render many values.
///
/// ```swift
/// let t = try Template("{{.ID}} {{join .Names \",\"}}")
/// let line = try t.render(["ID": "abc", "Names": ["web", "db"]])   // "abc web,db"
/// ```
public struct Template: Sendable {
    /// The template text as given.
    public let source: String
    let nodes: [Node]

    /// Parses `source` once; throws a `template: parsing …` error for bad syntax or unknown functions.
    public init(_ source: String) throws(TemplateError) {
        self.source = source
        var parser = Parser(source: source)
        self.nodes = try parser.parseTemplate()
    }

    /// Executes the template with `.` and `$` set to `value`.
    public func render(_ value: TemplateValue) throws(TemplateError) -> String {
        var exec = Executor(source: source, root: value, header: nil)
        _ = try exec.walk(nodes, dot: value)
        return exec.out
    }

    /// Executes the template as a table header row: every field chain such as `.CreatedAt` evaluates to its
    /// column title (`headers["CreatedAt"]`, else Docker style `CREATED AT`) and Docker's string functions
    /// (`json`, `join`, `upper`, `truncate`, …) return their first argument unchanged, as Docker does.
    public func renderHeader(_ headers: [String: String]) throws(TemplateError) -> String {
        var exec = Executor(source: source, root: .string(""), header: headers)
        _ = try exec.walk(nodes, dot: .string(""))
        return exec.out
    }
}

/// A template that failed to parse or execute, with a one-line message in Go's wording, e.g.
/// `template: parsing "{{.Foo": unclosed action` or
/// `template: executing "{{.Foo.Bar}}": can't evaluate field Bar in type string`.
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// When the error happened.
    public enum Phase: String, Sendable, Equatable {
        case parsing, executing
    }

    /// Parsing or executing.
    public let phase: Phase
    /// The template text.
    public let source: String
    /// What went wrong, without the `template: …` prefix, e.g. `unclosed action`.
    public let message: String

    /// Makes an error for `source` in `phase`.
    public init(_ phase: Phase, source: String, message: String) {
        self.phase = phase
        self.source = source
        self.message = message
    }

    /// `template: parsing "<source>": <message>`, the source quoted Go-style so the line stays one line.
    public var description: String {
        "template: \(phase.rawValue) \(GoQuote.quote(source)): \(message)"
    }
}

/// A parsed template, as a tree.
indirect enum Node: Sendable {
    case text(String)
    case action(Pipeline)
    case ifElse(Pipeline, [Node], [Node])
    case with(Pipeline, [Node], [Node])
    case range(Pipeline, [Node], [Node])
    case breakLoop
    case continueLoop
}

/// `$x := cmd | cmd arg …`
struct Pipeline: Sendable {
    var decl: [String] = []
    var isAssign = false
    var commands: [[Operand]] = []

    /// The pipeline as written, normalized: `$x := .A | f 1`.
    var text: String {
        let declared = decl.isEmpty ? "" : decl.joined(separator: ", ") + (isAssign ? " = " : " := ")
        return declared + commands.map { $0.map(\.text).joined(separator: " ") }.joined(separator: " | ")
    }
}

/// One argument or command word.
indirect enum Operand: Sendable {
    case dot
    case nilValue
    case literal(TemplateValue)
    /// `.A.B`: fields looked up on dot.
    case field([String])
    /// `$x.A.B`: a variable and optional fields.
    case variable(String, [String])
    /// A function name.
    case identifier(String)
    /// `( pipeline )`
    case pipe(Pipeline)
    /// `(pipeline).A.B` or `$x` chains that are neither a field nor a variable.
    case chain(Operand, [String])

    /// The operand as Go prints it in messages (`.Foo`, `$x.Bar`, `"str"`).
    var text: String {
        switch self {
        case .dot: "."
        case .nilValue: "nil"
        case .literal(let v):
            if case .string(let s) = v { GoQuote.quote(s) } else { GoPrint.plain(v) }
        case .field(let f): f.map { "." + $0 }.joined()
        case .variable(let v, let f): v + f.map { "." + $0 }.joined()
        case .identifier(let name): name
        case .pipe(let p): "(" + p.text + ")"
        case .chain(let o, let f): o.text + f.map { "." + $0 }.joined()
        }
    }
}
