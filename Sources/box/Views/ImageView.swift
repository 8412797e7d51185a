import BoxCore
import BoxImage
import BoxOCI

/// An image as `box images` shows it: one row per name (an unnamed image shows `<none>`).
struct ImageRow: Encodable {
    var Repository: String
    var Tag: String
    var Digest: String
    var ID: String
    var CreatedSince: String
    var CreatedAt: String
    var Size: String
    var Containers = "N/A"

    static func rows(_ img: ImageRecord, noTrunc: Bool) -> [ImageRow] {
        let id = noTrunc ? img.id.description : img.shortID
        let names = img.names.compactMap { try? Reference(parsing: $0) }
        let base = ImageRow(Repository: "<none>", Tag: "<none>", Digest: "<none>", ID: id, CreatedSince: Humanize.ago(img.created),
                            CreatedAt: Humanize.dockerTime(img.created), Size: Humanize.size(img.size))
        if names.isEmpty { return [base] }
        return names.map { r in
            var row = base
            row.Repository = r.familiarRepository
            row.Tag = r.tag ?? "<none>"
            return row
        }
    }

    static let table = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
    static let headers = ["ID": "IMAGE ID", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT"]
}

/// An image as `box image inspect` shows it: Docker's JSON shape.
struct ImageInspect: Encodable {
    struct RootFSInfo: Encodable {
        var `Type` = "layers"
        var Layers: [String]
    }

    struct GraphDriverInfo: Encodable {
        var Data: [String: String]
        var Name = "overlay"
    }

    var Id: String
    var RepoTags: [String]
    var RepoDigests: [String]
    var Parent = ""
    var Comment = ""
    var Created: String
    var Author: String
    var Config: ContainerConfig?
    var Architecture: String
    var Variant: String?
    var Os: String
    var Size: Int64
    var GraphDriver: GraphDriverInfo
    var RootFS: RootFSInfo
    var History: [History]

    init(_ img: ImageRecord, store: ImageStore) throws(BoxError) {
        let cfg = try store.config(of: img)
        let refs = img.names.compactMap { try? Reference(parsing: $0) }
        Id = img.id.description
        RepoTags = refs.map(\.familiar)
        RepoDigests = refs.map { "\($0.familiarRepository)@\(img.manifest)" }
        Created = cfg.created ?? ""
        Author = cfg.author ?? ""
        Config = cfg.config
        Architecture = cfg.architecture
        Variant = cfg.variant
        Os = cfg.os
        Size = img.size
        let dirs = store.layerDirs(of: img)
        self.GraphDriver = GraphDriverInfo(Data: ["LowerDir": dirs.reversed().joined(separator: ":")])
        self.RootFS = RootFSInfo(Layers: img.layers.map(\.description))
        History = cfg.history ?? []
    }
}
