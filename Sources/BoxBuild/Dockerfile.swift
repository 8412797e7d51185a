import BoxCore

/// A parsed Dockerfile: its parser directives and its instructions, in order.
public struct Dockerfile: Sendable, Equatable {
    /// Parser directives (`# escape=\``, `# syntax=…`), keys lowercased.
    public var directives: [String: String]
    /// The escape character: `\` unless the `escape` directive says `` ` ``.
    public var escape: Character
    public var instructions: [Instruction]
    /// The file's name, for errors (`Dockerfile:3: …`).
    public var name: String

    public init(directives: [String: String] = [:], escape: Character = "\\", instructions: [Instruction], name: String = "Dockerfile") {
        self.directives = directives
        self.escape = escape
        self.instructions = instructions
        self.name = name
    }
}

/// One instruction: its keyword, its `--flags`, its arguments with continuations joined, and its heredocs.
public struct Instruction: Sendable, Equatable {
    /// The keyword, uppercased (`RUN`).
    public var keyword: String
    /// Leading `--name=value` flags, as written (`--from=builder`).
    public var flags: [String]
    /// What follows the keyword and flags, with line continuations joined.
    public var args: String
    /// Heredoc bodies named in the line, in order (`RUN <<EOF`).
    public var heredocs: [Heredoc]
    /// The line the instruction starts on (1-based).
    public var line: Int

    public init(keyword: String, flags: [String] = [], args: String, heredocs: [Heredoc] = [], line: Int) {
        self.keyword = keyword
        self.flags = flags
        self.args = args
        self.heredocs = heredocs
        self.line = line
    }

    /// The instruction as it is shown in `STEP n/m:` lines and history: keyword, flags, arguments.
    public var text: String {
        ([keyword] + flags + (args.isEmpty ? [] : [args])).joined(separator: " ")
    }

    /// The value of `--name=value` (the last one given), or nil. A bare `--name` gives `""`.
    public func flag(_ name: String) -> String? {
        var out: String?
        for f in flags {
            if f == "--" + name { out = "" }
            if f.hasPrefix("--" + name + "=") { out = String(f.dropFirst(name.count + 3)) }
        }
        return out
    }

    /// Every value of a repeatable flag (`--mount`).
    public func flagValues(_ name: String) -> [String] {
        flags.filter { $0.hasPrefix("--" + name + "=") }.map { String($0.dropFirst(name.count + 3)) }
    }

    /// The exec form's strings when the arguments are a JSON array of strings, else nil (the shell form).
    public var jsonArgs: [String]? {
        let t = args.drop { $0 == " " || $0 == "\t" }
        guard t.hasPrefix("[") else { return nil }
        return try? JSON.decode([String].self, from: Array(t.utf8), what: "exec form")
    }
}

/// A heredoc: `<<EOF` … `EOF`.
public struct Heredoc: Sendable, Equatable {
    /// The terminator word.
    public var name: String
    /// The lines between the instruction and the terminator, each with its newline.
    public var content: String
    /// Unquoted terminators expand variables in the body; `<<"EOF"` and `<<'EOF'` do not.
    public var expand: Bool

    public init(name: String, content: String, expand: Bool) {
        self.name = name
        self.content = content
        self.expand = expand
    }
}

/// A build error that points into the Dockerfile: `Dockerfile:3: unknown instruction: FOO`.
public func dockerfileError(_ file: String, _ line: Int, _ message: String) -> BoxError {
    BoxError(.invalidArgument, "\(file):\(line): \(message)")
}
