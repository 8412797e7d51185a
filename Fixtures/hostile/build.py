#!/usr/bin/env python3
"""Build hostile / broken OCI archives that a safe image unpacker must refuse.

usage: python3 Fixtures/hostile/build.py [OUTDIR]      (default <repo>/Fixtures/out/hostile)

Every *.oci.tar here holds ONE image named hostile-<case>:latest with two gzip
layers: a tiny valid base layer (bin/ + bin/base.txt) and a case layer.
Unless the case is about a broken digest, ALL digests, sizes and diff_ids are
correct, so only path-safety checks can reject the path cases.
valid.oci.tar (hostile-valid:latest) is a control that must load fine.
Output is byte-for-byte reproducible.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(FIXTURES, "lib"))

from ocifixture import (  # noqa: E402
    DEFAULT_PATH, Dir, File, Hardlink, Image, Layer, Symlink, deterministic_bytes,
    digest, make_tar, oci_archive, sha256_hex, verify_oci_archive, write_file,
)

CONFIG = {"Env": [DEFAULT_PATH], "Cmd": ["/bin/sh"], "WorkingDir": "/"}


def base_layer():
    return Layer(make_tar([Dir("bin"), File("bin/base.txt", "base layer\n")]),
                 created_by="/bin/sh -c #(nop) ADD base.txt /bin/base.txt")


def case_layer(entries, what):
    # sort=False: the hostile order matters (e.g. symlink before the entry using it)
    return Layer(make_tar(entries, sort=False), created_by="/bin/sh -c #(nop) hostile: " + what)


def image(case, top, **kw):
    return Image("hostile-%s:latest" % case, [base_layer(), top], CONFIG, **kw)


# ---------------------------------------------------------------- path cases

def path_cases():
    return {
        "dotdot": case_layer([
            File("../escape.txt", "escaped via ..\n"),
            Dir("a"),
            File("a/../../escape2.txt", "escaped via a/../..\n"),
        ], "../escape.txt and a/../../escape2.txt"),
        "absolute": case_layer([
            File("/abs-escape.txt", "escaped via absolute path\n"),
        ], "/abs-escape.txt"),
        "symlink-parent": case_layer([
            Symlink("link", "/tmp"),
            File("link/escaped.txt", "escaped through a symlinked parent\n"),
        ], "link -> /tmp, then link/escaped.txt"),
        "hardlink-out": case_layer([
            Hardlink("hl", "../../../../etc/passwd"),
        ], "hardlink hl -> ../../../../etc/passwd"),
        "symlink-then-hardlink": case_layer([
            Symlink("s", "/etc"),
            Hardlink("h", "s/passwd"),
        ], "symlink s -> /etc, then hardlink h -> s/passwd"),
    }


# ---------------------------------------------------------------- broken cases

def valid_image():
    # ~64 KiB incompressible payload so that cutting the archive in half lands
    # inside this blob's data.
    payload = deterministic_bytes(b"box-hostile-valid", 64 * 1024)
    top = case_layer([Dir("data"), File("data/payload.bin", payload)], "valid control layer")
    return image("valid", top)


def truncated(valid_img):
    # oci-layout + index.json first, then blobs: the cut hits a blob's data, so the
    # reader sees an unexpected EOF in the tar stream (not just a missing index.json).
    data = oci_archive([valid_img], index_first=True)
    cut = len(data) // 2 + 100  # not on a 512-byte tar block boundary
    gz = valid_img.layers[1].gz
    start = data.find(gz)
    assert 0 <= start < cut < start + len(gz), "cut point must land inside the payload blob"
    return data[:cut]


def corrupt_digest():
    # The stored blob is a perfectly valid gzip tar of the SAME size, but it is not
    # the blob the manifest's digest names (one byte of file content differs).
    good = case_layer([Dir("data"), File("data/value.txt", "value-A\n")], "value layer")
    bad = case_layer([Dir("data"), File("data/value.txt", "value-B\n")], "value layer")
    assert len(good.gz) == len(bad.gz) and good.gz != bad.gz
    return image("corrupt-digest", good, blob_overrides={good.digest: bad.gz})


def bad_diffid():
    top = case_layer([Dir("data"), File("data/value.txt", "value\n")], "value layer")
    base = base_layer()
    # classic bug: the compressed digest used as the diff_id
    diff_ids = [base.diff_id, top.digest]
    assert top.digest != top.diff_id
    return Image("hostile-bad-diffid:latest", [base, top], CONFIG, diff_ids=diff_ids)


def bad_manifest():
    top = case_layer([Dir("data"), File("data/value.txt", "value\n")], "value layer")
    return image("bad-manifest", top, manifest_bytes=b"{not json")


def not_a_tar():
    data = deterministic_bytes(b"box-not-a-tar", 4096)
    assert data[:2] != b"\x1f\x8b" and b"ustar" not in data
    return data


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir", nargs="?", default=os.path.join(FIXTURES, "out", "hostile"))
    args = ap.parse_args(argv)

    outputs = []
    for case, layer in path_cases().items():
        data = oci_archive([image(case, layer)])
        verify_oci_archive(data)  # digests/diff_ids are all correct
        outputs.append((case + ".oci.tar", data))

    valid = valid_image()
    vdata = oci_archive([valid])
    verify_oci_archive(vdata)
    outputs.append(("valid.oci.tar", vdata))
    outputs.append(("truncated.oci.tar", truncated(valid)))
    outputs.append(("corrupt-digest.oci.tar", oci_archive([corrupt_digest()])))
    outputs.append(("bad-diffid.oci.tar", oci_archive([bad_diffid()])))
    outputs.append(("not-a-tar.tar", not_a_tar()))
    bm = bad_manifest()
    assert digest(bm.manifest_bytes) == bm.manifest_digest
    outputs.append(("bad-manifest.oci.tar", oci_archive([bm])))

    for name, data in outputs:
        write_file(os.path.join(args.outdir, name), data)
        print("%s  %s" % (sha256_hex(data), os.path.join(args.outdir, name)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
