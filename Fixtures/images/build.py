#!/usr/bin/env python3
"""Build box's demo test images from the host's busybox-static.

usage: python3 Fixtures/images/build.py [OUTDIR] [--busybox PATH]

OUTDIR defaults to <repo>/Fixtures/out. Writes:
  box-demo.oci.tar     OCI image layout archive (podman save --format oci-archive style)
  box-demo.docker.tar  docker save style archive (manifest.json + <diffid>/layer.tar)
Both hold box-demo:latest and box-demo:entrypoint, which share the same two layers.
Output is byte-for-byte reproducible for a given busybox binary.
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(FIXTURES, "lib"))

from ocifixture import (  # noqa: E402
    DEFAULT_PATH, Dir, File, Image, Layer, Symlink, docker_archive, make_tar,
    oci_archive, sha256_hex, verify_oci_archive, write_file,
)

GREETING = "hello from box"

PASSWD = (
    "root:x:0:0:root:/root:/bin/sh\n"
    "app:x:1000:1000:app user:/home/app:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
)
GROUP = (
    "root:x:0:\n"
    "staff:x:50:app\n"
    "app:x:1000:\n"
    "nogroup:x:65534:\n"
)
GREET = '#!/bin/sh\necho "Hello from box! ${GREETING}"\n'


def busybox_applets(busybox):
    out = subprocess.run([busybox, "--list"], check=True, stdout=subprocess.PIPE).stdout
    names = sorted({n.strip() for n in out.decode().splitlines() if n.strip()})
    for n in names:
        if "/" in n:
            raise SystemExit("unexpected applet name %r" % n)
    return names


def base_layer(busybox):
    with open(busybox, "rb") as f:
        bb = f.read()
    entries = [
        Dir("bin"), Dir("dev"), Dir("etc"), Dir("home"),
        Dir("home/app", uid=1000, gid=1000),
        Dir("opt"), Dir("opt/data"), Dir("proc"),
        Dir("root", mode=0o700),
        Dir("srv"), Dir("sys"),
        Dir("tmp", mode=0o1777),
        Dir("usr"), Dir("usr/bin"), Dir("usr/local"), Dir("usr/local/bin"),
        Dir("var"),
        File("bin/busybox", bb, mode=0o755),
        File("etc/passwd", PASSWD),
        File("etc/group", GROUP),
        File("etc/obsolete.txt", "this file is deleted by layer 2\n"),
        File("opt/data/a.txt", "a\n"),
        File("opt/data/b.txt", "b\n"),
        File("srv/hello.txt", "hello\n"),
    ]
    taken = {e.name for e in entries}
    for applet in busybox_applets(busybox):
        p = "bin/" + applet
        if p in taken:
            continue
        taken.add(p)
        entries.append(Symlink(p, "busybox"))
    return Layer(make_tar(entries),
                 created_by="/bin/sh -c #(nop) ADD busybox-static rootfs (busybox, applet symlinks, passwd, group, data) in /",
                 comment="box fixture base layer")


def top_layer():
    entries = [
        Dir("etc"),
        File("etc/.wh.obsolete.txt", b""),
        Dir("opt"), Dir("opt/data"),
        File("opt/data/.wh..wh..opq", b""),
        File("opt/data/c.txt", "c\n"),
        Dir("usr"), Dir("usr/local"), Dir("usr/local/bin"),
        File("usr/local/bin/greet", GREET, mode=0o755),
    ]
    return Layer(make_tar(entries),
                 created_by="/bin/sh -c rm /etc/obsolete.txt && rm -rf /opt/data/* && echo c > /opt/data/c.txt && install -m 0755 greet /usr/local/bin/greet",
                 comment="box fixture layer 2: whiteout, opaque dir, greet")


def common_config():
    return {
        "Env": [DEFAULT_PATH, "GREETING=" + GREETING],
        "WorkingDir": "/srv",
        "Labels": {"org.opencontainers.image.title": "box-demo", "com.example.fixture": "yes"},
        "User": "",
        "StopSignal": "SIGTERM",
    }


def build_images(busybox):
    layers = [base_layer(busybox), top_layer()]
    latest = dict(common_config(), Cmd=["/usr/local/bin/greet"])
    entry = dict(common_config(), Entrypoint=["/bin/echo", "entry"], Cmd=["default"])
    return [Image("box-demo:latest", layers, latest),
            Image("box-demo:entrypoint", layers, entry)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir", nargs="?", default=os.path.join(FIXTURES, "out"))
    ap.add_argument("--busybox", default="/bin/busybox", help="static busybox binary (default /bin/busybox)")
    args = ap.parse_args(argv)

    images = build_images(args.busybox)
    oci = oci_archive(images)
    verify_oci_archive(oci)
    docker = docker_archive(images)

    outputs = [("box-demo.oci.tar", oci), ("box-demo.docker.tar", docker)]
    for name, data in outputs:
        write_file(os.path.join(args.outdir, name), data)
    for name, data in outputs:
        print("%s  %s" % (sha256_hex(data), os.path.join(args.outdir, name)))
    for img in images:
        print("# %s manifest %s config %s" % (img.name, img.manifest_digest, img.config_digest))
    for i, l in enumerate(images[0].layers, 1):
        print("# layer %d diff_id %s digest %s" % (i, l.diff_id, l.digest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
