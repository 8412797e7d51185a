import Testing

@testable import BoxFormat

private let psTable = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
private let psHeaders = ["ID": "CONTAINER ID", "RunningFor": "CREATED"]

private let containers: [TemplateValue] = [
    [
        "ID": "3f2a1b9c8d7e", "Image": "nginx:latest", "Command": "\"/docker-entrypoint.…\"",
        "RunningFor": "2 minutes ago", "Status": "Up 2 minutes", "Ports": "80/tcp", "Names": "web",
    ],
    [
        "ID": "b1c2d3e4f5a6", "Image": "redis", "Command": "\"redis-server\"", "RunningFor": "3 hours ago",
        "Status": "Exited (0) 1 hour ago", "Ports": "", "Names": "cache",
    ],
]

@Suite struct FormatterTests {
    @Test(arguments: [
        (String?.none, OutputFormat.table("{{.ID}}\t{{.Names}}")),
        ("", .table("{{.ID}}\t{{.Names}}")),
        ("table", .table("{{.ID}}\t{{.Names}}")),
        (" table ", .table("{{.ID}}\t{{.Names}}")),
        ("table {{.ID}}\\t{{.Image}}", .table("{{.ID}}\t{{.Image}}")),
        ("table {{.ID}}\t{{.Image}}", .table("{{.ID}}\t{{.Image}}")),
        ("json", .json),
        (" json ", .json),
        ("{{json .}}", .template("{{json .}}")),
        ("{{.ID}}\\n{{.Names}}", .template("{{.ID}}\n{{.Names}}")),
        ("  {{.ID}} ", .template("{{.ID}}")),
        ("a\\\\b\\x\\", .template("a\\\\b\\x\\")),
    ])
    func interpretsFormat(format: String?, expected: OutputFormat) {
        #expect(OutputFormat(format, defaultTable: "table {{.ID}}\\t{{.Names}}") == expected)
        #expect(OutputFormat(format, defaultTable: "{{.ID}}\t{{.Names}}") == expected)
    }

    @Test func defaultTableLikeDockerPs() throws {
        let f = Formatter(format: nil, defaultTable: psTable, headers: psHeaders)
        #expect(f.isTable && !f.isJSON)
        let expected = """
            CONTAINER ID   IMAGE          COMMAND                  CREATED         STATUS                  PORTS     NAMES
            3f2a1b9c8d7e   nginx:latest   "/docker-entrypoint.…"   2 minutes ago   Up 2 minutes            80/tcp    web
            b1c2d3e4f5a6   redis          "redis-server"           3 hours ago     Exited (0) 1 hour ago             cache

            """
        #expect(try f.render(containers) == expected)
    }

    @Test func emptyTablePrintsOnlyTheHeader() throws {
        let f = Formatter(format: "table", defaultTable: psTable, headers: psHeaders)
        #expect(try f.render([]) == "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n")
    }

    @Test func customTableWithDerivedHeaders() throws {
        let f = Formatter(
            format: "table {{.Names}}\\t{{.CreatedAt}}\\t{{upper .Status}}\\t{{.ImageID}}", defaultTable: psTable,
            headers: psHeaders)
        let items: [TemplateValue] = [["Names": "web", "CreatedAt": "2024-01-02", "Status": "up", "ImageID": "sha256:1"]]
        #expect(
            try f.render(items)
                == "NAMES     CREATED AT   STATUS    IMAGE ID\nweb       2024-01-02   UP        sha256:1\n")
    }

    @Test func singleColumnTable() throws {
        let f = Formatter(format: "table {{.ID}}", defaultTable: psTable, headers: psHeaders)
        #expect(try f.render(Array(containers.prefix(1))) == "CONTAINER ID\n3f2a1b9c8d7e\n")
    }

    @Test func jsonLines() throws {
        let f = Formatter(format: "json", defaultTable: psTable, headers: psHeaders)
        #expect(f.isJSON && !f.isTable)
        let items: [TemplateValue] = [["ID": "a", "Size": 1.5], ["ID": "b", "Labels": ["x": "<y>"]]]
        #expect(try f.render(items) == "{\"ID\":\"a\",\"Size\":1.5}\n{\"ID\":\"b\",\"Labels\":{\"x\":\"<y>\"}}\n")
        #expect(try f.render([]) == "")
    }

    @Test func templateLines() throws {
        let f = Formatter(format: "{{.ID}}: {{.Names}}", defaultTable: psTable)
        #expect(try f.render(containers) == "3f2a1b9c8d7e: web\nb1c2d3e4f5a6: cache\n")
        #expect(try f.render([]) == "")
        let tabs = Formatter(format: "{{.Names}}\\t{{.Status}}", defaultTable: psTable)
        #expect(try tabs.render(Array(containers.prefix(1))) == "web\tUp 2 minutes\n")
    }

    @Test func renderEncodable() throws {
        struct Item: Encodable {
            var Name: String
            var Size: Int
        }
        let f = Formatter(format: "table {{.Name}}\t{{.Size}}", defaultTable: "")
        #expect(try f.render(encoding: [Item(Name: "a", Size: 10)]) == "NAME      SIZE\na         10\n")
    }

    @Test func parseErrorsSurfaceEarlyAndOnRender() {
        let f = Formatter(format: "{{.ID", defaultTable: psTable)
        let error = TemplateError(.parsing, source: "{{.ID", message: "unclosed action")
        #expect(throws: error) { try f.validate() }
        #expect(throws: error) { try f.render(containers) }
        #expect(throws: Never.self) { try Formatter(format: nil, defaultTable: psTable).validate() }
        #expect(throws: Never.self) { try Formatter(format: "json", defaultTable: "{{").validate() }
    }

    @Test func executionErrorsPropagate() {
        let f = Formatter(format: "table {{.ID.X}}", defaultTable: psTable)
        #expect(throws: TemplateError(.executing, source: "{{.ID.X}}", message: "can't evaluate field X in type string")) {
            try f.render(containers)
        }
    }

    @Test(arguments: [
        ("ID", "ID"), ("Names", "NAMES"), ("CreatedAt", "CREATED AT"), ("ImageID", "IMAGE ID"),
        ("HTTPPort", "HTTP PORT"), ("IPv4Address", "IPV4 ADDRESS"), ("RunningFor", "RUNNING FOR"),
        ("size", "SIZE"), ("local_volumes", "LOCAL VOLUMES"), ("LocalVolumes", "LOCAL VOLUMES"), ("", ""),
    ])
    func derivedHeaders(field: String, header: String) {
        #expect(Formatter.header(forField: field) == header)
    }
}
