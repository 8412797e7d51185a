import BoxCore
import Testing
@testable import BoxBuild

/// The Dockerfile parser: directives, comments, continuations, flags, heredocs, errors with file and line.
struct DockerfileParseTests {
    @Test func continuationsCommentsAndFlags() throws {
        let df = try Dockerfile.parse("""
            # a comment
            FROM busybox AS base
            RUN echo a && \\
            # a comment inside is skipped

                echo b
            copy --chown=1:2 --chmod=644 a b /dst/
            """)
        #expect(df.instructions.map(\.keyword) == ["FROM", "RUN", "COPY"])
        #expect(df.instructions[1].args == "echo a &&     echo b")
        #expect(df.instructions[1].line == 3)
        #expect(df.instructions[2].flags == ["--chown=1:2", "--chmod=644"])
        #expect(df.instructions[2].flag("chown") == "1:2")
        #expect(df.instructions[2].args == "a b /dst/")
        #expect(df.instructions[2].line == 7)
    }

    @Test func escapeDirective() throws {
        let df = try Dockerfile.parse("# escape=`\nFROM x\nRUN dir c:\\ `\n  && echo\n")
        #expect(df.escape == "`")
        #expect(df.instructions[1].args == "dir c:\\   && echo")
        // a directive after an instruction is a comment
        let late = try Dockerfile.parse("FROM x\n# escape=`\nRUN a \\\n b\n")
        #expect(late.escape == "\\")
        #expect(late.instructions[1].args == "a  b")
        #expect(throws: BoxError.self) { try Dockerfile.parse("# escape=x\nFROM a\n") }
    }

    @Test func heredocs() throws {
        let df = try Dockerfile.parse("""
            FROM x
            RUN <<EOF
            echo hi
            echo $HOME
            EOF
            COPY <<-"END" /f
            \tliteral $X
            \tEND
            RUN cat <<A <<B > /x
            a
            A
            b
            B
            """)
        #expect(df.instructions.count == 4)
        #expect(df.instructions[1].heredocs == [Heredoc(name: "EOF", content: "echo hi\necho $HOME\n", expand: true)])
        #expect(df.instructions[2].heredocs == [Heredoc(name: "END", content: "literal $X\n", expand: false)])
        #expect(df.instructions[3].heredocs.map(\.name) == ["A", "B"])
        #expect(throws: BoxError.self) { try Dockerfile.parse("FROM x\nRUN <<EOF\necho\n") }
        // a here-string and a quoted << are not heredocs
        let none = try Dockerfile.parse("FROM x\nRUN cat <<<word\nRUN echo '<<X'\n")
        #expect(none.instructions.allSatisfy { $0.heredocs.isEmpty })
    }

    @Test func jsonForm() throws {
        let df = try Dockerfile.parse("FROM x\nCMD [\"a\", \"b c\"]\nCMD [not json]\nENTRYPOINT echo\n")
        #expect(df.instructions[1].jsonArgs == ["a", "b c"])
        #expect(df.instructions[2].jsonArgs == nil)
        #expect(df.instructions[3].jsonArgs == nil)
    }

    @Test(arguments: [
        ("FROM x\nFOO bar\n", "Dockerfile:2: unknown instruction: FOO"),
        ("FROM x\n\n  bogus\n", "Dockerfile:3: unknown instruction: bogus"),
    ])
    func unknownInstruction(text: String, message: String) {
        #expect(throws: BoxError.self) { try Dockerfile.parse(text) }
        do {
            _ = try Dockerfile.parse(text)
        } catch {
            #expect(error.message == message)
        }
    }

    @Test func crlfAndBOM() throws {
        let df = try Dockerfile.parse("\u{FEFF}FROM x\r\nRUN a \\\r\n b\r\n")
        #expect(df.instructions.map(\.keyword) == ["FROM", "RUN"])
        #expect(df.instructions[1].args == "a  b")
    }
}
