import Testing

@testable import BoxFormat

/// Expected outputs follow Go's `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`.
@Suite struct TabwriterTests {
    @Test(arguments: [
        // docker ps with no containers
        ("CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES\n",
         "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n"),
        // every cell is padded to max(10, widest + 3); the last cell is not padded
        ("a\tb\nccc\td\n", "a         b\nccc       d\n"),
        ("abcdefghij\tx\n", "abcdefghij   x\n"),
        // a column block is a run of lines that have that column
        ("a\tb\tc\naaaaaaaaaaaa\tb\nx\nyy\tz\n", "a              b         c\naaaaaaaaaaaa   b\nx\nyy        z\n"),
        ("aaaaaaaaaaaa\tb\n\nc\td\n", "aaaaaaaaaaaa   b\n\nc         d\n"),
        // widths count Unicode scalars, not bytes
        ("名前\tx\nab\ty\n", "名前        x\nab        y\n"),
        ("e\u{301}\tx\n", "e\u{301}        x\n"),
        ("🐳🐳🐳🐳🐳🐳🐳🐳🐳🐳\tx\n", "🐳🐳🐳🐳🐳🐳🐳🐳🐳🐳   x\n"),
        // empty cells and trailing tabs
        ("\tb\n\tbb\n", "          b\n          bb\n"),
        ("a\t\n", "a         \n"),
        ("a\tb", "a         b"),
        ("a\t", "a"),
        ("", ""),
        ("\n", "\n"),
        ("no tabs\nat all\n", "no tabs\nat all\n"),
        // \v ends a cell like \t; \f ends a line and every column block
        ("a\u{0B}b\n", "a         b\n"),
        ("aaaaaaaaaaaa\tb\u{0C}c\td\n", "aaaaaaaaaaaa   b\nc         d\n"),
        ("aaaaaaaaaaaa\tb\nc\td\n", "aaaaaaaaaaaa   b\nc              d\n"),
    ])
    func align(input: String, expected: String) {
        #expect(tabwrite(input) == expected)
    }

    @Test func dockerPsRow() {
        let input = "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES\n"
            + "3f2a1b9c8d7e\tnginx:latest\t\"/docker-entrypoint.…\"\t2 minutes ago\tUp 2 minutes\t80/tcp\tweb\n"
        let expected = """
            CONTAINER ID   IMAGE          COMMAND                  CREATED         STATUS         PORTS     NAMES
            3f2a1b9c8d7e   nginx:latest   "/docker-entrypoint.…"   2 minutes ago   Up 2 minutes   80/tcp    web

            """
        #expect(tabwrite(input) == expected)
    }

    @Test func customWidths() {
        #expect(tabwrite("a\tb\nccc\td\n", minWidth: 0, padding: 1) == "a   b\nccc d\n")
        #expect(tabwrite("a\tb\n", minWidth: 4, padding: 0) == "a   b\n")
    }
}
