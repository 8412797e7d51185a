import BoxCore
import Testing
@testable import BoxBuild

/// `.dockerignore` matching, Docker's patternmatcher rules.
struct IgnoreRulesTests {
    @Test(arguments: [
        ("*.md", "README.md", true), ("*.md", "docs/a.md", false), ("**/*.md", "docs/a.md", true),
        ("**/*.md", "a.md", true), ("docs", "docs/x/y.txt", true), ("/docs", "docs", true), ("./docs/", "docs/a", true),
        ("d?c", "doc", true), ("d?c", "do/c", false), ("[a-c]x", "bx", true), ("[^a-c]x", "bx", false),
        ("a/**/b", "a/b", true), ("a/**/b", "a/x/y/b", true), ("a/**", "a/x", true), ("**", "anything/at/all", true),
        ("temp?", "temp1/f", true), ("*/temp*", "x/temporary", true), ("*/temp*", "temporary", false),
        ("node_modules", "src/node_modules", false), ("../x", "x", true),
    ])
    func single(pattern: String, path: String, excluded: Bool) throws {
        #expect(try IgnoreRules(parsing: pattern).excludes(path) == excluded)
    }

    @Test func exceptions() throws {
        let r = try IgnoreRules(parsing: """
            # comment
            *.md
            !README*.md
            README-secret.md

            logs
            !logs/keep.txt
            """)
        #expect(r.excludes("a.md"))
        #expect(!r.excludes("README.md"))
        #expect(r.excludes("README-secret.md"))
        #expect(r.excludes("logs/x.txt"))
        #expect(!r.excludes("logs/keep.txt"))
        #expect(r.hasExceptions)
        #expect(!r.excludes("src/main.c"))
    }

    @Test func lastMatchWins() throws {
        #expect(try IgnoreRules(parsing: "!a\na").excludes("a"))
        #expect(try !IgnoreRules(parsing: "a\n!a").excludes("a"))
    }

    @Test func badPatterns() {
        #expect(throws: BoxError.self) { try IgnoreRules(parsing: "[abc") }
        #expect(throws: BoxError.self) { try IgnoreRules(parsing: "!") }
    }
}
