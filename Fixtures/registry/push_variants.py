#!/usr/bin/env python3
"""Pushes variants of the demo image to a plain-HTTP registry, for box's media-type and platform tests.

    python3 Fixtures/registry/push_variants.py --host 127.0.0.1:PORT \
                                               --oci Fixtures/out/box-demo.oci.tar [--verbose]

Reads the image tagged `latest` (the `org.opencontainers.image.ref.name` annotation) from an OCI
archive (or layout directory) and pushes, with the registry HTTP API (monolithic blob uploads:
`POST /v2/REPO/blobs/uploads/`, then `PUT LOCATION&digest=…`; manifests with
`PUT /v2/REPO/manifests/REF` and their media type as Content-Type):

    test/zstd:latest          OCI manifest, every layer recompressed with the zstd CLI
                              (application/vnd.oci.image.layer.v1.tar+zstd)
    test/tar:latest           OCI manifest, uncompressed layers (application/vnd.oci.image.layer.v1.tar)
    test/docker:latest        Docker schema 2 manifest: config application/vnd.docker.container.image.v1+json,
                              layers application/vnd.docker.image.rootfs.diff.tar.gzip (the original blobs)
    test/multi:latest         OCI image index: linux/amd64 (the original manifest) and linux/arm64 (the same
                              layers, a config copy with "architecture": "arm64")
    test/multi-docker:latest  Docker manifest list: linux/amd64, linux/arm64 and linux/arm/v7 (a config copy
                              with "architecture": "arm", "variant": "v7"), as Docker schema 2 manifests

Configs other than the copies are the original bytes (so the image ID is the one `box load` gives),
and DiffIDs always stay the sha256 of the uncompressed tar (checked here). Prints one JSON line with
the digests of what it pushed:

    {"test/zstd": "sha256:…", "test/tar": "sha256:…", "test/docker": "sha256:…",
     "test/multi": "sha256:…" (the index), "test/multi-docker": "sha256:…" (the list),
     "config": "sha256:…" (the original config), "multi-amd64": …, "multi-arm64": …,
     "multi-arm64-config": …, "multi-docker-amd64": …, "multi-docker-arm64": …,
     "multi-docker-armv7": …, "multi-docker-armv7-config": …}

Without the zstd CLI it prints `{"skip": "reason"}` and exits 0; on failure it prints nothing on
stdout, says why on stderr and exits 1. Standard library only.
"""

import argparse
import gzip
import http.client
import json
import shutil
import subprocess
import sys
import urllib.parse

from layout import digest, load_layout

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"

VERBOSE = False


def log(*args):
    if VERBOSE:
        print("push_variants:", *args, file=sys.stderr, flush=True)


class Failure(Exception):
    pass


def blob(files, d):
    name = "blobs/sha256/" + d.split(":", 1)[1]
    if name not in files:
        raise Failure(f"the archive has no blob {d}")
    data = files[name]
    if digest(data) != d:
        raise Failure(f"blob {d} in the archive has digest {digest(data)}")
    return data


def dumps(obj):
    """Compact JSON bytes, keys in the order given."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def descriptor(media_type, data, **extra):
    d = {"mediaType": media_type, "digest": digest(data), "size": len(data)}
    d.update(extra)
    return d


def zstd_compress(data):
    p = subprocess.run(["zstd", "-q", "-c", "-3", "--no-progress"], input=data, capture_output=True)
    if p.returncode != 0:
        raise Failure("zstd: " + p.stderr.decode(errors="replace").strip())
    return p.stdout


class Registry:
    """The registry HTTP API over one plain-HTTP host."""

    def __init__(self, host):
        self.host = host
        self.pushed = set()  # (repo, digest) already in the registry

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(self.host, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            log(method, path, r.status)
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()

    def push_blob(self, repo, data):
        d = digest(data)
        if (repo, d) in self.pushed:
            return d
        status, _, _ = self.request("HEAD", f"/v2/{repo}/blobs/{d}")
        if status == 200:
            self.pushed.add((repo, d))
            return d
        status, headers, body = self.request("POST", f"/v2/{repo}/blobs/uploads/", body=b"",
                                             headers={"Content-Length": "0"})
        if status != 202 or "location" not in headers:
            raise Failure(f"POST /v2/{repo}/blobs/uploads/: {status} {body[:500]!r}")
        url = urllib.parse.urlsplit(headers["location"])
        query = (url.query + "&" if url.query else "") + urllib.parse.urlencode({"digest": d})
        path = url.path + "?" + query
        status, headers, body = self.request("PUT", path, body=data, headers={
            "Content-Type": "application/octet-stream", "Content-Length": str(len(data))})
        if status != 201:
            raise Failure(f"PUT blob {d} to {repo}: {status} {body[:500]!r}")
        if headers.get("docker-content-digest", d) != d:
            raise Failure(f"blob {d} stored as {headers['docker-content-digest']}")
        self.pushed.add((repo, d))
        return d

    def push_manifest(self, repo, ref, media_type, data):
        d = digest(data)
        status, headers, body = self.request("PUT", f"/v2/{repo}/manifests/{ref}", body=data, headers={
            "Content-Type": media_type, "Content-Length": str(len(data))})
        if status != 201:
            raise Failure(f"PUT manifest {repo}:{ref} ({media_type}): {status} {body[:500]!r}")
        got = headers.get("docker-content-digest", d)
        if got != d:
            raise Failure(f"manifest {repo}:{ref} stored as {got}, its bytes have digest {d}")
        # read it back: same bytes, same type
        status, headers, body = self.request("GET", f"/v2/{repo}/manifests/{ref}", headers={"Accept": media_type})
        if status != 200 or body != data or headers.get("content-type") != media_type:
            raise Failure(f"GET manifest {repo}:{ref}: {status} {headers.get('content-type')}, "
                          f"{'same' if body == data else 'different'} bytes")
        return d


def image_manifest(media_type, config_type, config, layers):
    """A schema 2 image manifest (OCI or Docker): `layers` is [(media type, bytes)]."""
    m = {"schemaVersion": 2, "mediaType": media_type,
         "config": descriptor(config_type, config),
         "layers": [descriptor(t, b) for t, b in layers]}
    return dumps(m)


def push_image(reg, repo, ref, media_type, config_type, config, layers):
    reg.push_blob(repo, config)
    for _, b in layers:
        reg.push_blob(repo, b)
    return reg.push_manifest(repo, ref, media_type, image_manifest(media_type, config_type, config, layers))


def config_copy(config, **fields):
    c = json.loads(config)
    c.update(fields)
    return dumps(c)


def main():
    global VERBOSE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", required=True, help="127.0.0.1:PORT of a plain-HTTP registry")
    ap.add_argument("--oci", required=True, help="OCI archive or layout directory")
    ap.add_argument("--tag", default="latest", help="the ref.name of the image to push (default latest)")
    ap.add_argument("--verbose", action="store_true", help="log requests on stderr")
    args = ap.parse_args()
    VERBOSE = args.verbose

    if shutil.which("zstd") is None:
        print(json.dumps({"skip": "the zstd CLI is not installed (apt-get install zstd)"}), flush=True)
        return 0

    files = load_layout(args.oci)
    index = json.loads(files["index.json"])
    entry = next((m for m in index.get("manifests", [])
                  if (m.get("annotations") or {}).get("org.opencontainers.image.ref.name") == args.tag), None)
    if entry is None:
        raise Failure(f"{args.oci}: no manifest with org.opencontainers.image.ref.name = {args.tag}")
    manifest_bytes = blob(files, entry["digest"])
    manifest = json.loads(manifest_bytes)
    config = blob(files, manifest["config"]["digest"])
    diff_ids = json.loads(config)["rootfs"]["diff_ids"]
    if len(diff_ids) != len(manifest["layers"]):
        raise Failure(f"{len(manifest['layers'])} layers, {len(diff_ids)} diff ids")

    gz, tars = [], []
    for layer, diff_id in zip(manifest["layers"], diff_ids):
        if layer["mediaType"] not in (OCI_LAYER_GZIP, DOCKER_LAYER_GZIP):
            raise Failure(f"layer {layer['digest']}: expected gzip, got {layer['mediaType']}")
        data = blob(files, layer["digest"])
        tar = gzip.decompress(data)
        if digest(tar) != diff_id:
            raise Failure(f"layer {layer['digest']} uncompresses to {digest(tar)}, the config says {diff_id}")
        gz.append(data)
        tars.append(tar)
    zst = [zstd_compress(t) for t in tars]
    for z, diff_id in zip(zst, diff_ids):  # the zstd stream must give back the same tar
        p = subprocess.run(["zstd", "-q", "-d", "-c"], input=z, capture_output=True)
        if p.returncode != 0 or digest(p.stdout) != diff_id:
            raise Failure(f"zstd round trip of {diff_id} failed")

    reg = Registry(args.host)
    out = {"config": digest(config)}
    out["test/zstd"] = push_image(reg, "test/zstd", "latest", OCI_MANIFEST, OCI_CONFIG, config,
                                  [(OCI_LAYER_ZSTD, z) for z in zst])
    out["test/tar"] = push_image(reg, "test/tar", "latest", OCI_MANIFEST, OCI_CONFIG, config,
                                 [(OCI_LAYER, t) for t in tars])
    out["test/docker"] = push_image(reg, "test/docker", "latest", DOCKER_MANIFEST, DOCKER_CONFIG, config,
                                    [(DOCKER_LAYER_GZIP, g) for g in gz])

    # an OCI index: the original manifest (its exact bytes) and an arm64 copy, pushed by digest first
    arm64 = config_copy(config, architecture="arm64")
    oci_layers = [(OCI_LAYER_GZIP, g) for g in gz]
    for b in gz:
        reg.push_blob("test/multi", b)
    reg.push_blob("test/multi", config)
    amd64_manifest = reg.push_manifest("test/multi", entry["digest"], manifest["mediaType"], manifest_bytes)
    arm64_manifest = push_image(reg, "test/multi", digest(image_manifest(OCI_MANIFEST, OCI_CONFIG, arm64, oci_layers)),
                                OCI_MANIFEST, OCI_CONFIG, arm64, oci_layers)
    oci_index = dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        descriptor(OCI_MANIFEST, manifest_bytes, platform={"architecture": "amd64", "os": "linux"}),
        descriptor(OCI_MANIFEST, image_manifest(OCI_MANIFEST, OCI_CONFIG, arm64, oci_layers),
                   platform={"architecture": "arm64", "os": "linux"}),
    ]})
    out["test/multi"] = reg.push_manifest("test/multi", "latest", OCI_INDEX, oci_index)
    out["multi-amd64"] = amd64_manifest
    out["multi-arm64"] = arm64_manifest
    out["multi-amd64-config"] = digest(config)
    out["multi-arm64-config"] = digest(arm64)

    # a Docker manifest list of Docker schema 2 manifests: amd64, arm64, arm/v7
    armv7 = config_copy(config, architecture="arm", variant="v7")
    docker_layers = [(DOCKER_LAYER_GZIP, g) for g in gz]
    entries = []
    for name, cfg, platform in [("amd64", config, {"architecture": "amd64", "os": "linux"}),
                                ("arm64", arm64, {"architecture": "arm64", "os": "linux"}),
                                ("armv7", armv7, {"architecture": "arm", "os": "linux", "variant": "v7"})]:
        m = image_manifest(DOCKER_MANIFEST, DOCKER_CONFIG, cfg, docker_layers)
        out[f"multi-docker-{name}"] = push_image(reg, "test/multi-docker", digest(m), DOCKER_MANIFEST,
                                                 DOCKER_CONFIG, cfg, docker_layers)
        out[f"multi-docker-{name}-config"] = digest(cfg)
        entries.append(descriptor(DOCKER_MANIFEST, m, platform=platform))
    docker_list = dumps({"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": entries})
    out["test/multi-docker"] = reg.push_manifest("test/multi-docker", "latest", DOCKER_LIST, docker_list)

    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (Failure, OSError, ValueError, KeyError, http.client.HTTPException) as e:
        print(f"push_variants: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
