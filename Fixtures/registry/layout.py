"""What the registry fixtures share: digests and reading an OCI layout (a directory or a tar)."""

import hashlib
import os
import tarfile


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def load_layout(path):
    """{relative name: bytes} for index.json and blobs/sha256/* of an OCI layout dir or tar."""
    files = {}
    if os.path.isdir(path):
        for name in ["index.json"] + ["blobs/sha256/" + n for n in os.listdir(os.path.join(path, "blobs", "sha256"))]:
            with open(os.path.join(path, name), "rb") as f:
                files[name] = f.read()
    else:
        with tarfile.open(path) as t:
            for m in t.getmembers():
                name = m.name[2:] if m.name.startswith("./") else m.name
                if m.isfile() and (name == "index.json" or name.startswith("blobs/sha256/")):
                    files[name] = t.extractfile(m).read()
    return files
