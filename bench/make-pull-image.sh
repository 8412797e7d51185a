#!/usr/bin/env bash
# bench/make-pull-image.sh: build (once) the multi-layer Debian image that bench/pull.sh
# pushes to a local registry and pulls with box and with podman. See bench/README.md.
#
# Usage: bash bench/make-pull-image.sh [DIR]   (DIR defaults to bench/out/pull-image)
#
# Writes, under DIR (git-ignored, reused by later runs):
#   rootfs-<suite>-minbase.tar  the debootstrap root filesystem, as a plain tar (the slow part; kept)
#   oci/                        an OCI image layout with one image, tagged "bench"
#   layers.json                 per-layer summary (what, compressed and uncompressed size, entries)
#   params                      the knobs the layout was built with; a change rebuilds oci/
#
# The image (about 150 MB unpacked, 4 gzip layers; config Cmd ["/bin/bash"], linux/amd64):
#   1. the debootstrap --variant=minbase root filesystem (device nodes under /dev dropped)
#   2. PULL_SMALL_FILES (3000) small text files, 0.2-12 KB, in 100 directories under
#      /usr/share/bench-small, plus some symlinks and hard links
#   3. two files of incompressible data under /opt/bench, PULL_BIG_MB (20) MiB in total
#   4. a small "cleanup" layer: a file whiteout, an opaque directory and a changed /etc file
#
# Knobs (environment): DEBIAN_MIRROR (http://deb.debian.org/debian), PULL_SUITE (bookworm),
# PULL_SMALL_FILES (3000), PULL_BIG_MB (20), PULL_GZIP_LEVEL (6), PYTHON (python3).
# Progress goes to stderr; the layout's path is printed on stdout.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${1:-$REPO/bench/out/pull-image}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PULL_SUITE=${PULL_SUITE:-bookworm}
PULL_SMALL_FILES=${PULL_SMALL_FILES:-3000}
PULL_BIG_MB=${PULL_BIG_MB:-20}
PULL_GZIP_LEVEL=${PULL_GZIP_LEVEL:-6}
PYTHON=${PYTHON:-python3}

log() { printf 'make-pull-image: %s\n' "$*" >&2; }
die() { printf 'make-pull-image: error: %s\n' "$*" >&2; exit 1; }

ROOTFS_TAR=$DIR/rootfs-$PULL_SUITE-minbase.tar
LAYOUT=$DIR/oci
PARAMS="suite=$PULL_SUITE small=$PULL_SMALL_FILES big=$PULL_BIG_MB gzip=$PULL_GZIP_LEVEL format=1"
mkdir -p "$DIR"

if [ -f "$LAYOUT/index.json" ] && [ -f "$DIR/layers.json" ] && [ "$(cat "$DIR/params" 2>/dev/null)" = "$PARAMS" ]; then
	log "using cached image layout $LAYOUT"
	echo "$LAYOUT"
	exit 0
fi

# ---------------------------------------------------------------- 1. debootstrap (cached as a tar)
if [ ! -f "$ROOTFS_TAR" ]; then
	[ "$(id -u)" = 0 ] || die "debootstrap needs root"
	command -v debootstrap >/dev/null 2>&1 || die "debootstrap is not installed (apt-get install debootstrap)"
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/box-pull-rootfs.XXXXXX")
	cleanup() {
		local rc=$? m
		set +e
		# debootstrap mounts /proc and /sys in the target; unmount whatever is left, deepest first.
		awk -v w="$TMP" 'index($5, w "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
			while IFS= read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
		grep -qF "$TMP/" /proc/self/mountinfo || rm -rf "$TMP"
		exit "$rc"
	}
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	log "debootstrap --variant=minbase $PULL_SUITE from $DEBIAN_MIRROR (a few minutes, once)"
	debootstrap --variant=minbase "$PULL_SUITE" "$TMP/rootfs" "$DEBIAN_MIRROR" >"$TMP/debootstrap.log" 2>&1 || {
		tail -n 20 "$TMP/debootstrap.log" >&2
		die "debootstrap failed"
	}
	# What docker's debian images leave out too: apt's caches and downloaded lists.
	rm -rf "$TMP/rootfs/var/cache/apt/"*.bin "$TMP/rootfs/var/lib/apt/lists/"* "$TMP/rootfs/var/cache/apt/archives/"*.deb
	tar --numeric-owner --xattrs --xattrs-include='*' -C "$TMP/rootfs" -cf "$ROOTFS_TAR.tmp" .
	mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
	log "cached root filesystem: $ROOTFS_TAR ($(du -h "$ROOTFS_TAR" | cut -f1))"
fi

# ---------------------------------------------------------------- 2. OCI layout
log "building OCI layout $LAYOUT (4 gzip layers, level $PULL_GZIP_LEVEL)"
rm -rf "$LAYOUT" "$LAYOUT.tmp" "$DIR/layers.json" "$DIR/params"
"$PYTHON" - "$ROOTFS_TAR" "$LAYOUT.tmp" "$DIR/layers.json" "$PULL_SMALL_FILES" "$PULL_BIG_MB" "$PULL_GZIP_LEVEL" <<'PY'
import gzip, hashlib, io, json, os, random, sys, tarfile

rootfs_tar, layout, summary_path = sys.argv[1], sys.argv[2], sys.argv[3]
n_small, big_mb, level = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
MTIME = 1704067200  # 2024-01-01T00:00:00Z, for the generated layers
blobs = os.path.join(layout, "blobs", "sha256")
os.makedirs(blobs, exist_ok=True)


class Hashing(io.RawIOBase):
    """A write-only stream that hashes and counts what goes through it into `out`."""
    def __init__(self, out):
        self.out, self.h, self.n = out, hashlib.sha256(), 0
    def writable(self):
        return True
    def write(self, b):
        self.h.update(b)
        self.n += len(b)
        if self.out is not None:
            self.out.write(b)
        return len(b)


def write_layer(what, fill):
    """fill(tarfile) adds the members; returns the layer's descriptor and summary row."""
    tmp = os.path.join(blobs, "layer.tmp")
    with open(tmp, "wb") as f:
        comp = Hashing(f)
        with gzip.GzipFile(filename="", mode="wb", fileobj=comp, mtime=0, compresslevel=level) as gz:
            raw = Hashing(gz)
            with tarfile.open(fileobj=raw, mode="w|", format=tarfile.PAX_FORMAT) as tf:
                entries = fill(tf)
    d = comp.h.hexdigest()
    os.rename(tmp, os.path.join(blobs, d))
    print(f"make-pull-image: layer {what}: {entries} entries, {raw.n / 1e6:.1f} MB -> {comp.n / 1e6:.1f} MB gzip",
          file=sys.stderr)
    desc = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + d, "size": comp.n}
    row = {"what": what, "digest": "sha256:" + d, "diff_id": "sha256:" + raw.h.hexdigest(),
           "compressed": comp.n, "uncompressed": raw.n, "entries": entries}
    return desc, row


def put_blob(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, d), "wb") as f:
        f.write(data)
    return "sha256:" + d


def info(name, kind=tarfile.REGTYPE, mode=0o644, size=0, link=""):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.size, ti.linkname, ti.mtime = kind, mode, size, link, MTIME
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    return ti


def add_dir(tf, name):
    tf.addfile(info(name, tarfile.DIRTYPE, 0o755))


def add_file(tf, name, data, mode=0o644):
    tf.addfile(info(name, size=len(data), mode=mode), io.BytesIO(data))


# Layer 1: the debootstrap rootfs, names without "./", no device nodes (like docker's images).
def fill_rootfs(tf):
    n = 0
    with tarfile.open(rootfs_tar, mode="r|") as src:
        for m in src:
            name = m.name[2:] if m.name.startswith("./") else m.name
            if name in ("", "."):
                continue
            if (name.startswith(("dev/", "proc/", "sys/")) and not m.isdir()) or m.ischr() or m.isblk():
                continue
            m.name = name
            if m.islnk() and m.linkname.startswith("./"):
                m.linkname = m.linkname[2:]
            tf.addfile(m, src.extractfile(m) if m.isreg() else None)
            n += 1
    return n


# Layer 2: thousands of small, compressible text files (think /usr/share content, man pages, ...).
WORDS = ("container image layer registry manifest digest config overlay whiteout tar gzip blob "
         "debian bookworm package library binary share doc license copyright version release "
         "the a of to and in is for on with that this as by be are from or it an at not").split()


def fill_small(tf):
    rnd = random.Random(1)
    n = 0
    add_dir(tf, "usr/share/bench-small"); n += 1
    ndirs = 100
    for d in range(ndirs):
        add_dir(tf, f"usr/share/bench-small/d{d:03d}"); n += 1
    files = []
    for i in range(n_small):
        name = f"usr/share/bench-small/d{i % ndirs:03d}/f{i:05d}.txt"
        if i % 50 == 49:  # every 50th: a symlink to an earlier file in the same directory
            tf.addfile(info(name, tarfile.SYMTYPE, 0o777, link=f"f{i - ndirs:05d}.txt" if i >= ndirs else "../README"))
        elif i % 97 == 96 and files:  # now and then: a hard link to an earlier regular file
            tf.addfile(info(name, tarfile.LNKTYPE, link=rnd.choice(files)))
        else:
            size = min(12000, int(rnd.lognormvariate(7.6, 0.9)) + 200)
            words, total = [], 0
            while total < size:
                w = rnd.choice(WORDS) if rnd.random() < 0.8 else "%x" % rnd.getrandbits(32)
                words.append(w)
                total += len(w) + 1
            add_file(tf, name, (" ".join(words)[:size - 1] + "\n").encode())
            files.append(name)
        n += 1
    add_file(tf, "usr/share/bench-small/README", b"generated by bench/make-pull-image.sh\n"); n += 1
    return n


# Layer 3: one or two big files of incompressible data.
def fill_big(tf):
    rnd = random.Random(2)
    total = big_mb << 20
    first = total * 4 // 7
    add_dir(tf, "opt/bench")
    add_file(tf, "opt/bench/data1.bin", rnd.randbytes(first))
    add_file(tf, "opt/bench/data2.bin", rnd.randbytes(total - first))
    return 3


# Layer 4: what a "RUN rm ... && echo ..." step leaves: whiteouts, an opaque dir, a changed file.
def fill_cleanup(tf):
    add_dir(tf, "usr/share/bench-small/d000")
    tf.addfile(info("usr/share/bench-small/d000/.wh.f00000.txt"))
    add_dir(tf, "usr/share/bench-small/d001")
    tf.addfile(info("usr/share/bench-small/d001/.wh..wh..opq"))
    add_file(tf, "usr/share/bench-small/d001/replaced.txt", b"the rest of d001 is hidden by an opaque whiteout\n")
    add_dir(tf, "etc")
    add_file(tf, "etc/bench-release", b"box pull benchmark image\n")
    return 7


layers, rows = [], []
for what, fill in (("debootstrap --variant=minbase root filesystem", fill_rootfs),
                   (f"{n_small} small text files (plus symlinks, hard links)", fill_small),
                   (f"{big_mb} MiB of incompressible data in 2 files", fill_big),
                   ("cleanup: whiteout, opaque dir, one new file", fill_cleanup)):
    desc, row = write_layer(what, fill)
    layers.append(desc)
    rows.append(row)

config = {
    "created": "2024-01-01T00:00:00Z",
    "architecture": "amd64",
    "os": "linux",
    "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["/bin/bash"]},
    "rootfs": {"type": "layers", "diff_ids": [r["diff_id"] for r in rows]},
    "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "bench/make-pull-image.sh: " + r["what"]} for r in rows],
}
cj = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
manifest = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put_blob(cj), "size": len(cj)},
    "layers": layers,
}
mj = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
index = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put_blob(mj), "size": len(mj),
                   "annotations": {"org.opencontainers.image.ref.name": "bench"}}],
}
with open(os.path.join(layout, "index.json"), "w") as f:
    json.dump(index, f, sort_keys=True, separators=(",", ":"))
with open(os.path.join(layout, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
with open(summary_path, "w") as f:
    json.dump({"manifest": "sha256:" + hashlib.sha256(mj).hexdigest(), "layers": rows}, f, indent=1)
PY
mv "$LAYOUT.tmp" "$LAYOUT"
echo "$PARAMS" >"$DIR/params"
log "done: $LAYOUT"
echo "$LAYOUT"
