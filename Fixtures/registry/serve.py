#!/usr/bin/env python3
"""Runs Debian's reference registry (docker-registry 2.8) on 127.0.0.1 for tests.

    python3 Fixtures/registry/serve.py --mode plain|tls|htpasswd|token --dir DIR
                                       [--tls] [--user U --password P] [--verbose]

Prints ONE JSON line on stdout once the registry answers `GET /v2/`:

    {"host": "127.0.0.1:PORT", "pid": REGISTRY_PID, "mode": "...", "scheme": "http"|"https",
     "certDir": "DIR/certs" | null, "user": ... | null, "password": ... | null,
     "tokenRealm": "http://127.0.0.1:PORT/token" | null, "tokenService": ... | null}

then stays in the foreground until SIGTERM/SIGINT (or until its parent dies), when it stops
the registry and the token server and exits 0. Without docker-registry (or openssl, for the
modes that need it) it prints `{"skip": "reason"}` and exits 0. On failure it exits non-zero
with a message on stderr and prints nothing on stdout.

Modes: plain (HTTP, anonymous), tls (HTTPS, anonymous), htpasswd (HTTP basic auth, bcrypt),
token (Docker token auth; this script runs the token server). `--tls` adds HTTPS to htpasswd
and token. With HTTPS, DIR/certs/ca.crt is the CA (a Docker-style cert dir: nothing else is
in it); the server certificate is for IP 127.0.0.1 and DNS localhost.

Standard library plus the openssl CLI only.
"""

import argparse
import base64
import http.client
import http.server
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

REGISTRY = "/usr/bin/docker-registry"
TOKEN_SERVICE = "box-test-registry"
TOKEN_ISSUER = "box-test-token-issuer"
TOKEN_TTL = 300


def log(*args):
    print("serve.py:", *args, file=sys.stderr, flush=True)


def skip(reason):
    print(json.dumps({"skip": reason}), flush=True)
    sys.exit(0)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(argv, **kw):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(argv), r.returncode, r.stderr.decode(errors="replace")))
    return r.stdout


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --------------------------------------------------------------------------
# certificates (openssl CLI)

def make_tls(pki, certs):
    """A CA and a server certificate for 127.0.0.1 / localhost. ECDSA P-256: fast to generate."""
    ca_key, ca_crt = os.path.join(pki, "ca.key"), os.path.join(certs, "ca.crt")
    key, csr, crt = (os.path.join(pki, n) for n in ("server.key", "server.csr", "server.crt"))
    ext = os.path.join(pki, "server.ext")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run(["openssl", "req", "-x509"] + ec + ["-keyout", ca_key, "-out", ca_crt, "-days", "3650",
         "-subj", "/CN=box test registry CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    run(["openssl", "req"] + ec + ["-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"])
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
         "-set_serial", str(int.from_bytes(secrets.token_bytes(8), "big")),
         "-days", "825", "-sha256", "-extfile", ext, "-out", crt])
    os.chmod(ca_key, 0o600)
    os.chmod(key, 0o600)
    return crt, key, ca_crt


def make_token_signer(pki):
    """An RSA key and a self-signed certificate: the registry's rootcertbundle and the JWT's x5c."""
    key, crt = os.path.join(pki, "token.key"), os.path.join(pki, "token.crt")
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
         "-days", "3650", "-subj", "/CN=box test token signer"])
    der = run(["openssl", "x509", "-in", crt, "-outform", "DER"])
    return key, crt, base64.b64encode(der).decode()


# --------------------------------------------------------------------------
# htpasswd (bcrypt: the only scheme the registry accepts)

def bcrypt_hash(password):
    if shutil.which("htpasswd"):
        r = subprocess.run(["htpasswd", "-nbB", "-C", "5", "u", password], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        if r.returncode == 0:
            return r.stdout.decode().strip().split(":", 1)[1]
    try:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import crypt  # glibc's libxcrypt does bcrypt; the module is gone from Python 3.13
        h = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=32))
        if h and h.startswith("$2"):
            return h
    except Exception:  # noqa: BLE001 - any failure means "not available here"
        pass
    return None


# --------------------------------------------------------------------------
# token server (Docker registry token flow)

class TokenState:
    def __init__(self, user, password, key, x5c, logpath):
        self.user, self.password, self.key, self.x5c = user, password, key, x5c
        self.logpath = logpath
        self.refresh = {}  # refresh token -> user
        self.lock = threading.Lock()

    def sign(self, claims):
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        signing_input = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
            b64url(json.dumps(claims, separators=(",", ":")).encode())
        sig = run(["openssl", "dgst", "-sha256", "-sign", self.key], input=signing_input.encode())
        return signing_input + "." + b64url(sig)

    def record(self, entry):
        with self.lock, open(self.logpath, "a") as f:
            f.write(json.dumps(entry) + "\n")


def parse_scopes(values):
    """`repository:NAME:pull,push` (NAME may hold ':'), several per parameter when space-separated."""
    out = []
    for v in values:
        for s in v.split():
            head, _, actions = s.rpartition(":")
            typ, _, name = head.partition(":")
            if typ and name:
                out.append((typ, name, [a for a in actions.split(",") if a]))
    return out


def grant(scopes, authenticated):
    access = []
    for typ, name, actions in scopes:
        if typ == "repository":
            allowed = actions if authenticated else [a for a in actions if a == "pull"]
        elif typ == "registry" and name == "catalog":
            allowed = actions if authenticated else []
        else:
            allowed = []
        if allowed:
            access.append({"type": typ, "name": name, "actions": allowed})
    return access


def make_token_handler(state):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "box-test-token/1"

        def log_message(self, fmt, *args):
            log("token:", fmt % args)

        def reply(self, status, obj, extra=None):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def deny(self, why, entry):
            entry.update(status=401, error=why)
            state.record(entry)
            self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": why}]},
                       {"WWW-Authenticate": 'Basic realm="box-test-token"'})

        def issue(self, user, authenticated, service, scopes, entry, offline=False):
            if service and service != TOKEN_SERVICE:
                entry.update(status=400, error="unknown service")
                state.record(entry)
                return self.reply(400, {"errors": [{"code": "DENIED", "message": "unknown service %r" % service}]})
            now = int(time.time())
            access = grant(scopes, authenticated)
            claims = {"iss": TOKEN_ISSUER, "sub": user if authenticated else "", "aud": TOKEN_SERVICE,
                      "exp": now + TOKEN_TTL, "nbf": now - 10, "iat": now, "jti": secrets.token_hex(16),
                      "access": access}
            tok = state.sign(claims)
            resp = {"token": tok, "access_token": tok, "expires_in": TOKEN_TTL,
                    "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}
            if offline and authenticated:
                rt = secrets.token_hex(24)
                with state.lock:
                    state.refresh[rt] = user
                resp["refresh_token"] = rt
            entry.update(status=200, authenticated=authenticated, user=user if authenticated else None,
                         granted=access)
            state.record(entry)
            self.reply(200, resp)

        def do_GET(self):  # noqa: N802 - http.server's naming
            url = urllib.parse.urlsplit(self.path)
            if url.path != "/token":
                return self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
            q = urllib.parse.parse_qs(url.query)
            scopes = parse_scopes(q.get("scope", []))
            service = (q.get("service") or [""])[0]
            entry = {"method": "GET", "service": service, "scope": q.get("scope", []),
                     "account": (q.get("account") or [None])[0]}
            authz = self.headers.get("Authorization", "")
            user, authenticated = "", False
            if authz:
                scheme, _, cred = authz.partition(" ")
                if scheme.lower() != "basic":
                    return self.deny("unsupported authorization scheme %s" % scheme, entry)
                try:
                    user, _, password = base64.b64decode(cred.strip()).decode().partition(":")
                except Exception:  # noqa: BLE001
                    return self.deny("malformed basic credentials", entry)
                if user != state.user or password != state.password:
                    return self.deny("wrong user name or password", entry)
                authenticated = True
            offline = (q.get("offline_token") or [""])[0].lower() == "true"
            self.issue(user, authenticated, service, scopes, entry, offline)

        def do_POST(self):  # noqa: N802 - OAuth2 password and refresh_token grants
            url = urllib.parse.urlsplit(self.path)
            n = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(n).decode(errors="replace"))
            if url.path != "/token":
                return self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
            f = {k: v[0] for k, v in form.items()}
            scopes = parse_scopes(form.get("scope", []))
            entry = {"method": "POST", "grant_type": f.get("grant_type"), "service": f.get("service", ""),
                     "scope": form.get("scope", [])}
            if f.get("grant_type") == "password":
                if f.get("username") != state.user or f.get("password") != state.password:
                    return self.deny("wrong user name or password", entry)
                return self.issue(state.user, True, f.get("service", ""), scopes, entry,
                                  f.get("access_type") == "offline")
            if f.get("grant_type") == "refresh_token":
                with state.lock:
                    user = state.refresh.get(f.get("refresh_token", ""))
                if user is None:
                    return self.deny("unknown refresh token", entry)
                return self.issue(user, True, f.get("service", ""), scopes, entry)
            entry.update(status=400)
            state.record(entry)
            self.reply(400, {"error": "unsupported_grant_type"})

    return Handler


# --------------------------------------------------------------------------
# registry

def yaml(obj, indent=0):
    """A tiny YAML writer: nested dicts of scalars and lists, JSON-quoted (valid YAML flow style)."""
    lines = []
    for k, v in obj.items():
        pad = "  " * indent
        if isinstance(v, dict):
            lines.append("%s%s:" % (pad, k))
            lines.append(yaml(v, indent + 1))
        else:
            lines.append("%s%s: %s" % (pad, k, json.dumps(v)))
    return "\n".join(lines)


def registry_config(port, storage, tls, auth, verbose):
    http_cfg = {"addr": "127.0.0.1:%d" % port, "secret": secrets.token_hex(16),
                "headers": {"X-Content-Type-Options": ["nosniff"]}}
    if tls:
        http_cfg["tls"] = {"certificate": tls[0], "key": tls[1]}
    cfg = {
        "version": "0.1",
        "log": {"level": "info" if verbose else "warn", "accesslog": {"disabled": not verbose},
                "formatter": "text"},
        "storage": {"filesystem": {"rootdirectory": storage}, "delete": {"enabled": True},
                    "maintenance": {"uploadpurging": {"enabled": False}}},
        "http": http_cfg,
        "health": {"storagedriver": {"enabled": False}},
    }
    if auth:
        cfg["auth"] = auth
    return yaml(cfg) + "\n"


def wait_ready(proc, port, cafile, timeout=15.0):
    """Until GET /v2/ gets any HTTP answer. False if the registry exited first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            if cafile:
                ctx = ssl.create_default_context(cafile=cafile)
                conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=2, context=ctx)
            else:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/v2/")
            conn.getresponse().read()
            conn.close()
            return True
        except (OSError, http.client.HTTPException):
            time.sleep(0.05)
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", required=True, choices=["plain", "tls", "htpasswd", "token"])
    ap.add_argument("--dir", required=True, help="state directory (storage, certs, config); created")
    ap.add_argument("--tls", action="store_true", help="HTTPS for htpasswd and token modes too")
    ap.add_argument("--user", default="boxuser")
    ap.add_argument("--password", default="boxpass")
    ap.add_argument("--verbose", action="store_true", help="registry info logs and access log on stderr")
    a = ap.parse_args()

    # from here on SIGTERM/SIGINT stop us cleanly (once the registry is up, if it is coming up)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    parent = os.getppid()

    if not os.access(REGISTRY, os.X_OK):
        skip("%s is not installed (apt-get install docker-registry)" % REGISTRY)
    use_tls = a.mode == "tls" or a.tls
    if (use_tls or a.mode == "token") and not shutil.which("openssl"):
        skip("openssl is not installed (apt-get install openssl)")

    d = os.path.abspath(a.dir)
    pki, certs, storage = os.path.join(d, "pki"), os.path.join(d, "certs"), os.path.join(d, "storage")
    for p in (d, pki, storage):
        os.makedirs(p, exist_ok=True)
    os.chmod(pki, 0o700)

    tls = None
    cafile = None
    if use_tls:
        os.makedirs(certs, exist_ok=True)
        crt, key, cafile = make_tls(pki, certs)
        tls = (crt, key)

    auth = None
    token_server = None
    realm = None
    if a.mode == "htpasswd":
        h = bcrypt_hash(a.password)
        if h is None:
            skip("no bcrypt: install apache2-utils (htpasswd)")
        path = os.path.join(d, "htpasswd")
        with open(path, "w") as f:
            f.write("%s:%s\n" % (a.user, h))
        auth = {"htpasswd": {"realm": "box-test-registry", "path": path}}
    elif a.mode == "token":
        key, crt, x5c = make_token_signer(pki)
        state = TokenState(a.user, a.password, key, x5c, os.path.join(d, "token.log"))
        token_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_token_handler(state))
        token_server.daemon_threads = True
        realm = "http://127.0.0.1:%d/token" % token_server.server_address[1]
        auth = {"token": {"realm": realm, "service": TOKEN_SERVICE, "issuer": TOKEN_ISSUER,
                          "rootcertbundle": crt}}
        threading.Thread(target=token_server.serve_forever, daemon=True).start()

    # REGISTRY_* variables would override the config file
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    # the registry dies with this script, even if it is SIGKILLed
    wrap = ["setpriv", "--pdeathsig", "KILL", "--"] if shutil.which("setpriv") else []
    cfgpath = os.path.join(d, "config.yml")
    proc = None
    for _ in range(3):  # the free port may be taken between probing and binding
        port = free_port()
        with open(cfgpath, "w") as f:
            f.write(registry_config(port, storage, tls, auth, a.verbose))
        proc = subprocess.Popen(wrap + [REGISTRY, "serve", cfgpath], stdin=subprocess.DEVNULL,
                                stdout=sys.stderr, stderr=sys.stderr, env=env)
        if wait_ready(proc, port, cafile):
            break
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        log("registry did not come up on port %d (exit %s); retrying" % (port, proc.returncode))
        proc = None
    if proc is None:
        log("registry failed to start; config in", cfgpath)
        sys.exit(1)

    info = {"host": "127.0.0.1:%d" % port, "pid": proc.pid, "mode": a.mode,
            "scheme": "https" if use_tls else "http", "certDir": certs if use_tls else None,
            "user": a.user if a.mode in ("htpasswd", "token") else None,
            "password": a.password if a.mode in ("htpasswd", "token") else None,
            "tokenRealm": realm, "tokenService": TOKEN_SERVICE if realm else None}
    try:
        print(json.dumps(info), flush=True)
    except BrokenPipeError:
        stop.set()

    code = 0
    while not stop.wait(0.25):
        if proc.poll() is not None:
            log("registry exited unexpectedly with", proc.returncode)
            code = 1
            break
        if os.getppid() != parent:  # our parent died: do not outlive it
            break
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if token_server is not None:
        token_server.shutdown()
        token_server.server_close()
    sys.exit(code)


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        log(e)
        sys.exit(1)
