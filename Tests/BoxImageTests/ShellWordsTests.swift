import BoxCore
import Testing
import BoxImage

/// Word processing and `$` substitution, as BuildKit's shell lexer does it.
struct ShellWordsTests {
    static let env = ["A": "1", "EMPTY": "", "SP": "x y"]

    @Test(arguments: [
        ("$A", "1"), ("${A}", "1"), ("$UNSET", ""), ("${UNSET:-d}", "d"), ("${EMPTY:-d}", "d"), ("${EMPTY-d}", ""),
        ("${A:-d}", "1"), ("${A:+alt}", "alt"), ("${EMPTY:+alt}", ""), ("${EMPTY+alt}", "alt"), ("${UNSET+alt}", ""),
        ("'$A'", "$A"), ("\"$A\"", "1"), ("\\$A", "$A"), ("\"\\$A\"", "$A"), ("a\\ b", "a b"), ("$", "$"),
        ("${A:-${SP}}", "1"), ("${UNSET:-${SP}}", "x y"), ("\"a 'b' c\"", "a 'b' c"), ("pre${A}post", "pre1post"),
    ])
    func expand(input: String, expected: String) throws {
        #expect(try ShellWords().expand(input, env: Self.env) == expected)
    }

    @Test func words() throws {
        #expect(try ShellWords().words("a \"b c\" 'd e' f\\ g $SP", env: Self.env) == ["a", "b c", "d e", "f g", "x y"])
        #expect(try ShellWords().split("a=\"b c\" d") == ["a=\"b c\"", "d"])
    }

    @Test func backtickEscape() throws {
        let w = ShellWords(escape: "`")
        #expect(try w.expand("c:\\dir `$A", env: Self.env) == "c:\\dir $A")
    }

    @Test func errors() {
        #expect(throws: BoxError.self) { try ShellWords().expand("\"open", env: [:]) }
        #expect(throws: BoxError.self) { try ShellWords().expand("${A", env: [:]) }
        #expect(throws: BoxError.self) { try ShellWords().expand("${A:?must be set}", env: [:]) }
        #expect(throws: BoxError.self) { try ShellWords().expand("${}", env: [:]) }
    }
}
