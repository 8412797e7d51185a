#!/usr/bin/env python3
"""A fake, read-only OCI distribution registry with one injected fault, for client tests.

    python3 Fixtures/registry/faulty.py --oci Fixtures/out/box-demo.oci.tar [--repo test/demo]
                                        [--fault NAME] [--port N] [--verbose]

Serves, over plain HTTP/1.1 on 127.0.0.1, the images of an OCI image layout (a directory) or
an OCI archive (a tar of one): `GET/HEAD /v2/`, `/v2/REPO/manifests/REF` (REF = tag or
digest), `/v2/REPO/blobs/DIGEST` and `/v2/REPO/tags/list`. Tags come from the index's
`org.opencontainers.image.ref.name` annotations (`latest`, or the part after the last colon of
`name:latest`), else from `io.containerd.image.name`. Anything else is 404, writes are 405.

Prints one JSON line once listening, then serves until killed (SIGTERM/SIGINT, or its parent
dies):

    {"host": "127.0.0.1:PORT", "pid": PID, "repo": "test/demo", "fault": "...",
     "tags": {"latest": "sha256:..."}}

Faults (the served manifest digest and Docker-Content-Digest always match the served bytes):
    none            a correct registry
    blob-digest     every layer blob's bytes altered (same length, wrong digest)
    manifest-size   the manifests' first layer descriptor claims a size of 10 bytes
    media-type      manifests' mediaType and Content-Type: application/vnd.example.unknown+json
    manifest-large  the manifest is 6 MiB: valid JSON with whitespace padding
    manifest-not-json  the manifest body is `{not json` (Content-Type stays the media type)
    status-401      every /v2 request: 401 with `WWW-Authenticate: Basic realm="faulty"`
    status-404      /v2/ is 200; manifests, blobs and tags are 404 (MANIFEST_UNKNOWN, BLOB_UNKNOWN)
    status-500      /v2/ is 200; manifests, blobs and tags are 500
    hang            accepts connections, reads the request, never answers
    cut-blob        layer blobs: the full Content-Length, then half the body, then close
    slow-blob       layer blobs at about 64 KiB/s

Standard library only.
"""

import argparse
import http.server
import json
import os
import re
import signal
import socket
import sys
import threading
import time

from layout import digest, load_layout

FAULTS = ["none", "blob-digest", "manifest-size", "media-type", "manifest-large", "manifest-not-json",
          "status-401", "status-404", "status-500", "hang", "cut-blob", "slow-blob"]
MANIFEST_TYPES = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}
UNKNOWN_TYPE = "application/vnd.example.unknown+json"
LARGE = 6 * 1024 * 1024
SLOW_RATE = 64 * 1024  # bytes per second


def tag_of(annotations):
    ref = annotations.get("org.opencontainers.image.ref.name")
    if not ref:
        full = annotations.get("io.containerd.image.name", "")
        ref = full.rsplit("/", 1)[-1] if full else ""
    if ":" in ref:
        head, _, tail = ref.rpartition(":")
        if "/" not in tail:
            ref = tail
    return ref or None


class Store:
    """What is served: manifests by tag and digest, blobs by digest, all after the fault."""

    def __init__(self, files, fault):
        blobs = {"sha256:" + n.rsplit("/", 1)[1]: b for n, b in files.items() if n.startswith("blobs/")}
        index = json.loads(files["index.json"])
        self.blobs = dict(blobs)
        self.manifests = {}  # digest -> (media type, bytes)
        self.tags = {}  # tag -> digest
        self.layers = set()  # digests of layer blobs
        for desc in index.get("manifests", []):
            self._add(desc["digest"], desc.get("mediaType"), fault, tag_of(desc.get("annotations") or {}))
        if fault == "blob-digest":
            for d in self.layers:
                b = bytearray(self.blobs[d])
                i = len(b) // 2
                b[i] ^= 0xFF
                self.blobs[d] = bytes(b)

    def _add(self, d, media_type, fault, tag):
        raw = self.blobs.get(d)
        if raw is None:
            return None
        doc = json.loads(raw)
        mt = doc.get("mediaType") or media_type or "application/vnd.oci.image.manifest.v1+json"
        if "manifests" in doc:  # an index: its children are served by digest, not altered
            for child in doc["manifests"]:
                self._add(child["digest"], child.get("mediaType"), "none", None)
        for layer in doc.get("layers", []):
            self.layers.add(layer["digest"])
        body = raw
        if fault == "manifest-size" and doc.get("layers"):
            doc["layers"][0]["size"] = 10
            body = json.dumps(doc, separators=(",", ":")).encode()
        elif fault == "media-type":
            doc["mediaType"] = UNKNOWN_TYPE
            mt = UNKNOWN_TYPE
            body = json.dumps(doc, separators=(",", ":")).encode()
        elif fault == "manifest-large":
            body = b"{" + b" " * (LARGE - len(raw)) + raw[1:]
        elif fault == "manifest-not-json":
            body = b"{not json"
        md = digest(body)
        self.manifests[md] = (mt, body)
        if tag:
            self.tags[tag] = md
        return md


def make_handler(store, repo, fault, verbose):
    path_re = re.compile(r"^/v2/(.+)/(manifests|blobs)/([^/]+)$")
    tags_re = re.compile(r"^/v2/(.+)/tags/list$")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "box-faulty-registry/1"

        def log_message(self, fmt, *args):
            if verbose:
                sys.stderr.write("faulty.py: %s\n" % (fmt % args))

        def send(self, status, body=b"", headers=None, ctype="application/json"):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Docker-Distribution-API-Version", "registry/2.0")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def error(self, status, code, message, headers=None):
            body = json.dumps({"errors": [{"code": code, "message": message, "detail": None}]}).encode()
            self.send(status, body, headers)

        def do_HEAD(self):  # noqa: N802 - http.server's naming
            self.serve()

        def do_GET(self):  # noqa: N802
            self.serve()

        def refuse(self):
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                self.rfile.read(n)
            self.error(405, "UNSUPPORTED", "this registry is read-only")

        do_POST = do_PUT = do_PATCH = do_DELETE = refuse  # noqa: N815

        def serve(self):
            path = self.path.split("?", 1)[0]
            if fault == "hang":
                while True:
                    time.sleep(3600)
            if not path.startswith("/v2/") and path != "/v2":
                return self.error(404, "NOT_FOUND", "not found")
            if fault == "status-401":
                return self.error(401, "UNAUTHORIZED", "authentication required",
                                  {"WWW-Authenticate": 'Basic realm="faulty"'})
            if path in ("/v2", "/v2/"):
                return self.send(200, b"{}")
            if fault == "status-500":
                return self.error(500, "UNKNOWN", "injected server error")
            m = tags_re.match(path)
            if m:
                if fault == "status-404" or m.group(1) != repo:
                    return self.error(404, "NAME_UNKNOWN", "repository name not known to registry")
                body = json.dumps({"name": repo, "tags": sorted(store.tags)}).encode()
                return self.send(200, body)
            m = path_re.match(path)
            if not m:
                return self.error(404, "NOT_FOUND", "not found")
            name, kind, ref = m.groups()
            if name != repo:
                return self.error(404, "NAME_UNKNOWN", "repository name not known to registry")
            if kind == "manifests":
                md = store.tags.get(ref, ref)
                if fault == "status-404" or md not in store.manifests:
                    return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
                mt, body = store.manifests[md]
                return self.send(200, body, {"Docker-Content-Digest": md}, ctype=mt)
            if fault == "status-404" or ref not in store.blobs:
                return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
            body = store.blobs[ref]
            layer = ref in store.layers
            if layer and fault == "cut-blob" and self.command == "GET":
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Docker-Content-Digest", ref)
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return None
            if layer and fault == "slow-blob" and self.command == "GET":
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Docker-Content-Digest", ref)
                self.end_headers()
                chunk = SLOW_RATE // 8
                for off in range(0, len(body), chunk):
                    self.wfile.write(body[off: off + chunk])
                    self.wfile.flush()
                    time.sleep(0.125)
                return None
            return self.send(200, body, {"Docker-Content-Digest": ref}, ctype="application/octet-stream")

    return Handler


class Server(http.server.ThreadingHTTPServer):
    verbose = False

    def handle_error(self, request, client_address):
        if self.verbose:  # clients that give up halfway are expected here
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--oci", required=True, help="OCI image layout directory or OCI archive tar")
    ap.add_argument("--repo", default="test/demo")
    ap.add_argument("--fault", default="none", choices=FAULTS)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--verbose", action="store_true", help="log requests to stderr")
    a = ap.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    parent = os.getppid()

    store = Store(load_layout(a.oci), a.fault)
    server = Server(("127.0.0.1", a.port), make_handler(store, a.repo, a.fault, a.verbose))
    server.verbose = a.verbose
    server.daemon_threads = True
    server.block_on_close = False
    threading.Thread(target=server.serve_forever, daemon=True).start()

    info = {"host": "127.0.0.1:%d" % server.server_address[1], "pid": os.getpid(), "repo": a.repo,
            "fault": a.fault, "tags": store.tags}
    try:
        print(json.dumps(info), flush=True)
    except BrokenPipeError:
        return
    while not stop.wait(0.25):
        if os.getppid() != parent:  # our parent died: do not outlive it
            break
    # hung and slow handler threads are daemons: they end with the process
    os._exit(0)


if __name__ == "__main__":
    main()
