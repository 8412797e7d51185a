import BoxCore
import BoxImage
import BoxOCI

/// An image as `box images` shows it: one row per repository and tag (and digest, when digests are shown),
/// as Docker's image formatter makes them.
struct ImageRow: Encodable {
    var Containers = "N/A"
    var CreatedAt: String
    var CreatedSince: String
    var Digest: String
    var ID: String
    var Repository: String
    var SharedSize = "N/A"
    var Size: String
    var Tag: String
    var UniqueSize = "N/A"
    var VirtualSize: String

    /// The rows of one image. Tags are grouped by repository; with `digests`, each tag of a repository is shown
    /// once per digest of that repository, and a repository with digests but no tag gets `<none>` tag rows.
    static func rows(_ img: ImageRecord, noTrunc: Bool, digests: Bool) -> [ImageRow] {
        let base = ImageRow(CreatedAt: Humanize.dockerTime(img.created), CreatedSince: Humanize.ago(img.created), Digest: "<none>",
                            ID: noTrunc ? img.id.description : img.shortID, Repository: "<none>", Size: Humanize.size(img.size),
                            Tag: "<none>", VirtualSize: Humanize.size(img.size, digits: 4))
        func row(_ repo: String, _ tag: String, _ digest: String) -> ImageRow {
            var r = base
            r.Repository = repo
            r.Tag = tag
            r.Digest = digest
            return r
        }
        var tags: [(repo: String, tags: [String])] = []
        for case let r? in img.names.map({ try? Reference(parsing: $0) }) {
            guard let tag = r.tag else { continue }
            if let i = tags.firstIndex(where: { $0.repo == r.familiarRepository }) { tags[i].tags.append(tag) } else { tags.append((r.familiarRepository, [tag])) }
        }
        var repoDigests: [(repo: String, digests: [String])] = []
        for case let r? in (img.repoDigests ?? []).map({ try? Reference(parsing: $0) }) {
            guard let d = r.digest?.description else { continue }
            if let i = repoDigests.firstIndex(where: { $0.repo == r.familiarRepository }) { repoDigests[i].digests.append(d) } else { repoDigests.append((r.familiarRepository, [d])) }
        }
        if tags.isEmpty && repoDigests.isEmpty { return [base] }
        var out: [ImageRow] = []
        for (repo, repoTags) in tags {
            let ds = digests ? repoDigests.first { $0.repo == repo }?.digests ?? [] : []
            repoDigests.removeAll { $0.repo == repo }
            for tag in repoTags {
                if ds.isEmpty { out.append(row(repo, tag, "<none>")) }
                for d in ds { out.append(row(repo, tag, d)) }
            }
        }
        for (repo, ds) in repoDigests {
            if digests { out += ds.map { row(repo, "<none>", $0) } } else { out.append(row(repo, "<none>", "")) }
        }
        return out
    }

    static let table = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
    static let tableWithDigest = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
    static let headers = ["ID": "IMAGE ID", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "VirtualSize": "SIZE"]
}

/// One step of `box history`: Docker's columns, newest step first.
struct HistoryRow: Encodable {
    var Comment: String
    var CreatedAt: String
    var CreatedBy: String
    var CreatedSince: String
    var ID: String
    var Size: String

    /// The steps of an image's config history, newest first. Only the newest names the image (the others are
    /// `<missing>`, as for a pulled image); each step that made a layer gets that layer's size.
    static func rows(_ img: ImageRecord, history: [History], noTrunc: Bool, human: Bool) -> [HistoryRow] {
        var layer = 0
        var rows: [HistoryRow] = []
        for h in history {
            var size: Int64 = 0
            if h.empty_layer != true {
                if layer < img.layerSizes.count { size = img.layerSizes[layer] }
                layer += 1
            }
            let createdBy = (h.created_by ?? "").replacingOccurrences(of: "\t", with: " ")
            let t = h.created.flatMap(Time.parse)
            let at = t.map { Time.format(seconds: Int($0)) } ?? "0001-01-01T00:00:00Z"
            rows.append(HistoryRow(
                Comment: h.comment ?? "", CreatedAt: at, CreatedBy: noTrunc ? createdBy : ellipsis(createdBy, 45),
                // Docker leaves the age of a step dated before 2000 (or not at all) empty
                CreatedSince: human ? (t.map { $0 > 946_684_800 } == true ? Humanize.ago(h.created) : "") : at,
                ID: "<missing>", Size: human ? Humanize.size(size) : String(size)))
        }
        rows.reverse()
        if !rows.isEmpty { rows[0].ID = noTrunc ? img.id.description : img.shortID }
        return rows
    }

    /// Docker's `Ellipsis`: at most `width` characters, the last of them `…` when cut.
    static func ellipsis(_ s: String, _ width: Int) -> String {
        let runes = s.unicodeScalars
        guard runes.count > width else { return s }
        var out = String.UnicodeScalarView(runes.prefix(width - 1))
        out.append("…")
        return String(out)
    }

    static let table = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
    static let tableNotHuman = "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
    static let headers = ["ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "CreatedBy": "CREATED BY"]
}

/// An image as `box image inspect` shows it: Docker's JSON shape, with podman's `History`.
struct ImageInspect: Encodable {
    struct RootFSInfo: Encodable {
        var `Type` = "layers"
        var Layers: [String]
    }

    struct GraphDriverInfo: Encodable {
        var Data: [String: String]
        var Name = "overlay"
    }

    struct MetadataInfo: Encodable {
        var LastTagTime: String
    }

    var Id: String
    var RepoTags: [String]
    var RepoDigests: [String]
    var Parent = ""
    var Comment = ""
    var Created: String
    var DockerVersion = ""
    var Author: String
    var Config: ContainerConfig?
    var Architecture: String
    var Variant: String?
    var Os: String
    var Size: Int64
    var GraphDriver: GraphDriverInfo
    var RootFS: RootFSInfo
    var Metadata: MetadataInfo
    var History: [History]

    init(_ img: ImageRecord, store: ImageStore) throws(BoxError) {
        let cfg = try store.config(of: img)
        Id = img.id.description
        RepoTags = img.names.map { (try? Reference(parsing: $0))?.familiar ?? $0 }
        RepoDigests = (img.repoDigests ?? []).map { (try? Reference(parsing: $0))?.familiar ?? $0 }
        Created = cfg.created ?? ""
        Author = cfg.author ?? ""
        // Docker shows the message of the image's last step (a commit's -m)
        Comment = cfg.history?.last?.comment ?? ""
        Config = cfg.config
        Architecture = cfg.architecture
        Variant = cfg.variant
        Os = cfg.os
        Size = img.size
        let dirs = store.layerDirs(of: img)
        GraphDriver = GraphDriverInfo(Data: ["LowerDir": dirs.reversed().joined(separator: ":")])
        RootFS = RootFSInfo(Layers: img.layers.map(\.description))
        // box keeps no separate tag time: the time the image entered the store stands for it
        Metadata = MetadataInfo(LastTagTime: img.added)
        History = cfg.history ?? []
    }
}

extension Humanize {
    /// go-units' `HumanSizeWithPrecision`: decimal units with `digits` significant digits (`HumanSize` is 4).
    static func size(_ bytes: Int64, digits: Int) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB"]
        var v = Double(bytes)
        var i = 0
        while v >= 1000 && i < units.count - 1 {
            v /= 1000
            i += 1
        }
        return significant(v, digits) + units[i]
    }
}
