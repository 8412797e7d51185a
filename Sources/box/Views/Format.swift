import BoxCore
import BoxFormat

/// `--format` for every command, through the one template engine.
enum Format {
    /// A list: the default table, `table …`, `json`, or a template per item.
    static func list<T: Encodable>(_ items: [T], format: String?, table: String, headers: [String: String]) throws(BoxError) -> String {
        do {
            let values = try items.map { try TemplateValue(encoding: $0) }
            return try Formatter(format: format, defaultTable: table, headers: headers).render(values)
        } catch let e as TemplateError {
            throw BoxError(.invalidArgument, e.description)
        } catch {
            throw BoxError(.invalidArgument, "format: \(error)")
        }
    }

    /// `inspect`: a pretty JSON array, or the template once per item.
    static func inspect<T: Encodable>(_ items: [T], format: String?) throws(BoxError) -> String {
        guard let format, !format.isEmpty, format != "json" else {
            return String(decoding: try JSON.encode(items, pretty: true), as: UTF8.self) + "\n"
        }
        do {
            let t = try Template(format)
            return try items.map { try t.render(try TemplateValue(encoding: $0)) + "\n" }.joined()
        } catch let e as TemplateError {
            throw BoxError(.invalidArgument, e.description)
        } catch {
            throw BoxError(.invalidArgument, "format: \(error)")
        }
    }
}
