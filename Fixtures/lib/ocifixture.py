"""Deterministic helpers for building OCI / docker-save test archives.

Python 3 standard library only. Everything written here is byte-for-byte
reproducible: fixed mtimes, uid/gid 0, empty uname/gname, PAX tar format,
gzip with mtime=0 and no file name, canonical JSON (sorted keys, no spaces).
"""

import gzip
import hashlib
import io
import json
import os
import platform
import tarfile

# 2024-01-01T00:00:00Z
MTIME = 1704067200
CREATED = "2024-01-01T00:00:00Z"
TAR_FORMAT = tarfile.PAX_FORMAT  # no PAX headers are emitted for our short ASCII names
GZIP_LEVEL = 9

MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"

DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


# --------------------------------------------------------------------------
# primitives

def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def digest(data):
    return "sha256:" + sha256_hex(data)


def canonical_json(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("utf-8")


def gzip_bytes(data):
    buf = io.BytesIO()
    # filename="" + a BytesIO without .name => no FNAME field; mtime=0 => MTIME field 0.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=GZIP_LEVEL) as gz:
        gz.write(data)
    return buf.getvalue()


def oci_arch():
    m = platform.machine().lower()
    table = {
        "x86_64": "amd64", "amd64": "amd64",
        "aarch64": "arm64", "arm64": "arm64",
        "armv7l": "arm", "armv6l": "arm",
        "i386": "386", "i686": "386",
        "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64",
    }
    return table.get(m, m)


def deterministic_bytes(seed, n):
    """n pseudo-random but reproducible bytes (sha256 counter mode)."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(seed + i.to_bytes(8, "big")).digest()
        i += 1
    return bytes(out[:n])


# --------------------------------------------------------------------------
# tar entries

class Entry:
    """One tar member. kind: 'dir' | 'file' | 'symlink' | 'hardlink'."""

    def __init__(self, name, kind, mode=None, data=b"", linkname="", uid=0, gid=0):
        self.name = name
        self.kind = kind
        if mode is None:
            mode = {"dir": 0o755, "file": 0o644, "symlink": 0o777, "hardlink": 0o644}[kind]
        self.mode = mode
        self.data = data
        self.linkname = linkname
        self.uid = uid
        self.gid = gid

    def sort_key(self):
        # component-wise sort => a directory always precedes its contents
        return tuple(self.name.strip("/").split("/"))


def Dir(name, mode=0o755, uid=0, gid=0):
    return Entry(name, "dir", mode, uid=uid, gid=gid)


def File(name, data, mode=0o644, uid=0, gid=0):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return Entry(name, "file", mode, data=data, uid=uid, gid=gid)


def Symlink(name, target):
    return Entry(name, "symlink", 0o777, linkname=target)


def Hardlink(name, target):
    return Entry(name, "hardlink", 0o644, linkname=target)


_TYPES = {"dir": tarfile.DIRTYPE, "file": tarfile.REGTYPE,
          "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE}


def make_tar(entries, sort=True):
    """Serialize entries into an uncompressed tar. Names are written verbatim
    (tarfile does not strip '/' or '..' from a TarInfo we build ourselves);
    directories get a trailing '/' from tarfile."""
    if sort:
        entries = sorted(entries, key=lambda e: e.sort_key())
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=TAR_FORMAT) as tf:
        for e in entries:
            ti = tarfile.TarInfo(e.name)
            ti.type = _TYPES[e.kind]
            ti.mode = e.mode
            ti.mtime = MTIME
            ti.uid = e.uid
            ti.gid = e.gid
            ti.uname = ""
            ti.gname = ""
            ti.linkname = e.linkname
            if e.kind == "file":
                ti.size = len(e.data)
                tf.addfile(ti, io.BytesIO(e.data))
            else:
                ti.size = 0
                tf.addfile(ti)
    return buf.getvalue()


def make_outer_tar(members):
    """members: list of (path, bytes|None) in the desired order; None => directory."""
    entries = []
    for path, data in members:
        if data is None:
            entries.append(Dir(path))
        else:
            entries.append(File(path, data))
    return make_tar(entries, sort=False)


# --------------------------------------------------------------------------
# images

class Layer:
    def __init__(self, tar_bytes, created_by, comment=None):
        self.tar = tar_bytes
        self.gz = gzip_bytes(tar_bytes)
        self.diff_id = digest(tar_bytes)          # sha256 of the UNCOMPRESSED tar
        self.digest = digest(self.gz)             # sha256 of the gzip blob
        self.created_by = created_by
        self.comment = comment

    @property
    def hex(self):
        return self.diff_id.split(":", 1)[1]


def image_config(layers, container_config, diff_ids=None):
    history = []
    for l in layers:
        h = {"created": CREATED, "created_by": l.created_by}
        if l.comment:
            h["comment"] = l.comment
        history.append(h)
    return {
        "architecture": oci_arch(),
        "os": "linux",
        "created": CREATED,
        "config": container_config,
        "rootfs": {"type": "layers",
                   "diff_ids": diff_ids if diff_ids is not None else [l.diff_id for l in layers]},
        "history": history,
    }


class Image:
    """name: 'repo:tag' (docker short form, e.g. 'box-demo:latest')."""

    def __init__(self, name, layers, container_config, diff_ids=None,
                 config_bytes=None, manifest_bytes=None, blob_overrides=None):
        self.name = name
        self.repo, self.tag = name.rsplit(":", 1)
        self.layers = layers
        self.config_bytes = config_bytes if config_bytes is not None else canonical_json(
            image_config(layers, container_config, diff_ids))
        self.config_digest = digest(self.config_bytes)
        manifest = {
            "schemaVersion": 2,
            "mediaType": MT_OCI_MANIFEST,
            "config": {"mediaType": MT_OCI_CONFIG, "digest": self.config_digest,
                       "size": len(self.config_bytes)},
            "layers": [{"mediaType": MT_OCI_LAYER_GZIP, "digest": l.digest, "size": len(l.gz)}
                       for l in layers],
        }
        self.manifest_bytes = manifest_bytes if manifest_bytes is not None else canonical_json(manifest)
        self.manifest_digest = digest(self.manifest_bytes)
        # digest -> bytes actually stored under that name (for corrupt fixtures)
        self.blob_overrides = blob_overrides or {}

    @property
    def full_name(self):
        repo = self.repo
        if "/" not in repo:
            repo = "library/" + repo
        return "docker.io/%s:%s" % (repo, self.tag)


def oci_archive(images, index_first=False):
    """OCI image layout as a tar (podman save --format oci-archive style)."""
    blobs = {}
    for img in images:
        for l in img.layers:
            blobs[l.digest] = l.gz
        blobs[img.config_digest] = img.config_bytes
        blobs[img.manifest_digest] = img.manifest_bytes
    for img in images:
        blobs.update(img.blob_overrides)
    index = {
        "schemaVersion": 2,
        "mediaType": MT_OCI_INDEX,
        "manifests": [{
            "mediaType": MT_OCI_MANIFEST,
            "digest": img.manifest_digest,
            "size": len(img.manifest_bytes),
            "annotations": {
                "io.containerd.image.name": img.full_name,
                "org.opencontainers.image.ref.name": img.tag,
            },
        } for img in images],
    }
    head = [("oci-layout", canonical_json({"imageLayoutVersion": "1.0.0"})),
            ("index.json", canonical_json(index))]
    body = [("blobs", None), ("blobs/sha256", None)]
    for d in sorted(blobs):
        body.append(("blobs/sha256/" + d.split(":", 1)[1], blobs[d]))
    if index_first:
        members = head + body
    else:  # alphabetical, like a directory walk (what podman/skopeo produce)
        members = body + [head[1], head[0]]
    return make_outer_tar(members)


def docker_archive(images):
    """`docker save` (Docker <= 24 legacy) style archive.

    Layer directories are named by the layer's diff_id hex (sha256 of the
    uncompressed layer.tar), so images sharing a layer share the directory.
    """
    files = {}
    manifest = []
    repositories = {}
    for img in images:
        parent = None
        for l in img.layers:
            d = l.hex
            files[d] = None
            files[d + "/VERSION"] = b"1.0"
            v1 = {"id": d, "created": CREATED, "container_config": {}, "os": "linux"}
            if parent:
                v1["parent"] = parent
            files[d + "/json"] = canonical_json(v1)
            files[d + "/layer.tar"] = l.tar
            parent = d
        cfg_name = img.config_digest.split(":", 1)[1] + ".json"
        files[cfg_name] = img.config_bytes
        manifest.append({"Config": cfg_name, "RepoTags": [img.name],
                         "Layers": [l.hex + "/layer.tar" for l in img.layers]})
        repositories.setdefault(img.repo, {})[img.tag] = parent
    files["manifest.json"] = canonical_json(manifest)
    files["repositories"] = canonical_json(repositories)
    members = [(p, files[p]) for p in sorted(files)]
    return make_outer_tar(members)


def write_file(path, data):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


# --------------------------------------------------------------------------
# self check

def verify_oci_archive(data):
    """Re-read an OCI archive and check every digest/size/diff_id. Raises on error."""
    members = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tf:
        for m in tf.getmembers():
            if m.isfile():
                members[m.name] = tf.extractfile(m).read()
    assert json.loads(members["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads(members["index.json"])

    def blob(desc):
        b = members["blobs/sha256/" + desc["digest"].split(":", 1)[1]]
        assert digest(b) == desc["digest"], desc
        assert len(b) == desc["size"], desc
        return b

    for md in index["manifests"]:
        man = json.loads(blob(md))
        cfg = json.loads(blob(man["config"]))
        assert len(cfg["rootfs"]["diff_ids"]) == len(man["layers"])
        for ld, diff_id in zip(man["layers"], cfg["rootfs"]["diff_ids"]):
            assert digest(gzip.decompress(blob(ld))) == diff_id
        assert len([h for h in cfg["history"] if not h.get("empty_layer")]) == len(man["layers"])
    return index
