/// Aligns tab-separated columns exactly like Go's `text/tabwriter.NewWriter(out, minWidth, 1, padding, ' ', 0)`,
/// which Docker uses for every table (`minWidth` 10, `padding` 3).
///
/// A cell is text terminated by a tab; the text after a line's last tab is not part of any column and is
/// never padded. A column block is a run of consecutive lines that all have a tab-terminated cell in that
/// column; every cell in a block is padded with spaces to `max(minWidth, widest cell + padding)`.
/// Widths count Unicode scalars (Go counts runes). `\v` ends a cell like a tab; `\f` ends a line like `\n`
/// and also ends every column block.
///
/// ```swift
/// tabwrite("NAME\tSTATUS\nweb\tUp 2 minutes\n")
/// // "NAME      STATUS\nweb       Up 2 minutes\n"
/// ```
public func tabwrite(_ text: String, minWidth: Int = 10, padding: Int = 3) -> String {
    var writer = TabWriter(minWidth: minWidth, padding: padding)
    var segment: [Unicode.Scalar] = []
    var out = ""
    for scalar in text.unicodeScalars {
        if scalar == "\u{0C}" {
            segment.append("\n")
            out += writer.format(segment)
            segment.removeAll(keepingCapacity: true)
        } else {
            segment.append(scalar)
        }
    }
    out += writer.format(segment)
    return out
}

private struct TabWriter {
    struct Cell {
        var text: String
        var width: Int
    }

    let minWidth: Int
    let padding: Int
    private var lines: [[Cell]] = []
    private var widths: [Int] = []
    private var out = ""

    init(minWidth: Int, padding: Int) {
        self.minWidth = minWidth
        self.padding = padding
    }

    /// Formats one flush segment: all its lines end with a newline except the last, which is the
    /// unterminated remainder (empty when the segment ends with a newline).
    mutating func format(_ scalars: [Unicode.Scalar]) -> String {
        lines = []
        var line: [Cell] = []
        var cell = String.UnicodeScalarView()
        var width = 0
        for c in scalars {
            switch c {
            case "\t", "\u{0B}":
                line.append(Cell(text: String(cell), width: width))
                cell = String.UnicodeScalarView()
                width = 0
            case "\n":
                line.append(Cell(text: String(cell), width: width))
                lines.append(line)
                line = []
                cell = String.UnicodeScalarView()
                width = 0
            default:
                cell.append(c)
                width += 1
            }
        }
        // Go terminates the last cell at Flush only if it has text.
        if !cell.isEmpty { line.append(Cell(text: String(cell), width: width)) }
        lines.append(line)
        out = ""
        widths = []
        format(from: 0, to: lines.count)
        return out
    }

    private mutating func format(from start: Int, to end: Int) {
        let column = widths.count
        var line0 = start
        var this = start
        while this < end {
            if column >= lines[this].count - 1 {
                this += 1
                continue
            }
            // A cell exists in this column: this line starts a column block.
            writeLines(from: line0, to: this)
            line0 = this
            var width = minWidth
            while this < end && column < lines[this].count - 1 {
                width = max(width, lines[this][column].width + padding)
                this += 1
            }
            widths.append(width)
            format(from: line0, to: this)
            widths.removeLast()
            line0 = this
        }
        writeLines(from: line0, to: end)
    }

    private mutating func writeLines(from start: Int, to end: Int) {
        guard start < end else { return }
        for i in start..<end {
            for (j, cell) in lines[i].enumerated() {
                out += cell.text
                if j < widths.count { out += String(repeating: " ", count: widths[j] - cell.width) }
            }
            if i + 1 < lines.count { out += "\n" }
        }
    }
}
