#!/usr/bin/python3
"""tokenserver.py — the token server of the registry tests' token mode (tests/lib/regfix.h): a
small HTTPS server speaking the distribution token protocol in front of docker-registry.

  GET  /token?service=S&scope=repository:NAME:pull,push[&scope=…][&offline_token=true]
       Basic auth checked against the configured user; without credentials a pull-only token when
       anonymous_pull is set, else 401.
  POST /token  (OAuth2 form) grant_type=password (username, password[, access_type=offline →
       also a refresh_token]) or grant_type=refresh_token (refresh_token=…).

Answers {"token", "access_token", "expires_in", "issued_at"[, "refresh_token"]}; the token is a
JWT signed RS256 with the key whose certificate (signed by the test CA the registry trusts) is in
its x5c header. The settings file (argv[1], JSON) is reread on every request so a test can switch
to expired tokens or anonymous pulls while the server runs. Request counters go to stats_file
(atomically) as each answer is decided, before it is sent.

Run by Debian's /usr/bin/python3; needs python3-cryptography (tools/install-deps.sh).
"""
import base64
import binascii
import datetime
import hmac
import json
import os
import secrets
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

MAX_BODY = 64 * 1024
ACTIONS = {"pull", "push", "delete", "*"}
# distribution accepts tokens up to 60 s past exp; an "expired" token must be well past that.
EXPIRED_BY = 600


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load_config(path):
    with open(path) as f:
        return json.load(f)


class Signer:
    def __init__(self, cfg):
        with open(cfg["signing_key"], "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), password=None)
        with open(cfg["signing_cert"], "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        self.x5c = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]

    def sign(self, claims):
        header = {"typ": "JWT", "alg": "RS256", "x5c": self.x5c}
        signing_input = "%s.%s" % (b64url(json.dumps(header, separators=(",", ":")).encode()),
                                   b64url(json.dumps(claims, separators=(",", ":")).encode()))
        sig = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(sig)


def parse_scope(scope):
    """'repository:NAME:a,b' → (type, name, [actions]); None when malformed."""
    typ, sep, rest = scope.partition(":")
    name, sep2, actions = rest.rpartition(":")
    if not sep or not sep2 or not typ or not name:
        return None
    return typ, name, [a for a in actions.split(",") if a]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pcb-tokenserver"

    def log_message(self, fmt, *args):
        sys.stderr.write("tokenserver: %s\n" % (fmt % args))

    def reply(self, status, doc, extra_headers=()):
        self.server.count(self.command, status)
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def deny(self, status, code, message):
        hdrs = [("WWW-Authenticate", 'Basic realm="pcb-test-token"')] if status == 401 else []
        self.reply(status, {"error": code, "error_description": message,
                            "errors": [{"code": code, "message": message}]}, hdrs)

    def basic_user(self, cfg):
        """(checked, user): checked False when no Basic credentials came; user None if wrong."""
        auth = self.headers.get("Authorization", "")
        if not auth.lower().startswith("basic "):
            return False, None
        try:
            user, _, pw = base64.b64decode(auth[6:].strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return True, None
        return True, (user if self.creds_ok(cfg, user, pw) else None)

    @staticmethod
    def creds_ok(cfg, user, pw):
        return (hmac.compare_digest(user.encode(), cfg["username"].encode()) and
                hmac.compare_digest(pw.encode(), cfg["password"].encode()))

    def grant(self, cfg, user, scopes):
        access = []
        for s in scopes:
            p = parse_scope(s)
            if p is None:
                continue
            typ, name, actions = p
            allowed = ACTIONS if user else ({"pull"} if cfg.get("anonymous_pull") else set())
            got = [a for a in actions if a in allowed]
            if got:
                access.append({"type": typ, "name": name, "actions": got})
        return access

    def issue(self, cfg, user, scopes, refresh=None):
        now = int(time.time())
        expires_in = int(cfg.get("expires_in", 300))
        if expires_in <= 0:
            # Expired on arrival: exp far enough in the past for the registry's leeway.
            exp, iat, expires_in = now - EXPIRED_BY, now - EXPIRED_BY - 60, 1
        else:
            exp, iat = now + expires_in, now
        claims = {"iss": cfg["issuer"], "sub": user or "", "aud": cfg["service"],
                  "exp": exp, "nbf": iat - 1, "iat": iat, "jti": secrets.token_hex(16),
                  "access": self.grant(cfg, user, scopes)}
        token = self.server.signer.sign(claims)
        doc = {"token": token, "access_token": token, "expires_in": expires_in,
               "issued_at": datetime.datetime.fromtimestamp(iat, datetime.timezone.utc)
               .strftime("%Y-%m-%dT%H:%M:%SZ")}
        if refresh is not None:
            doc["refresh_token"] = refresh
        self.reply(200, doc)

    def new_refresh_token(self, user):
        tok = "rt-" + secrets.token_hex(24)
        with self.server.lock:
            self.server.refresh_tokens[tok] = user
        return tok

    def check_service(self, cfg, service):
        if service and service != cfg["service"]:
            self.deny(400, "invalid_request", "unknown service %r" % service)
            return False
        return True

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/token":
            self.deny(404, "NOT_FOUND", "no such path")
            return
        q = urllib.parse.parse_qs(url.query)
        cfg = load_config(self.server.config_path)
        if not self.check_service(cfg, q.get("service", [""])[0]):
            return
        checked, user = self.basic_user(cfg)
        if checked and user is None:
            self.deny(401, "UNAUTHORIZED", "wrong username or password")
            return
        if not checked and not cfg.get("anonymous_pull"):
            self.deny(401, "UNAUTHORIZED", "authentication required")
            return
        refresh = None
        if user and q.get("offline_token", [""])[0] == "true":
            refresh = self.new_refresh_token(user)
        self.issue(cfg, user, q.get("scope", []), refresh)

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            self.deny(413, "invalid_request", "body too large")
            return
        body = self.rfile.read(length).decode("utf-8", "replace")
        if url.path != "/token":
            self.deny(404, "NOT_FOUND", "no such path")
            return
        form = urllib.parse.parse_qs(body)
        f = {k: v[0] for k, v in form.items()}
        cfg = load_config(self.server.config_path)
        if not self.check_service(cfg, f.get("service", "")):
            return
        scopes = [s for v in form.get("scope", []) for s in v.split(" ") if s]
        grant = f.get("grant_type", "")
        if grant == "password":
            user = f.get("username", "")
            if not self.creds_ok(cfg, user, f.get("password", "")):
                self.deny(401, "invalid_grant", "wrong username or password")
                return
            refresh = self.new_refresh_token(user) if f.get("access_type") == "offline" else None
            self.issue(cfg, user, scopes, refresh)
        elif grant == "refresh_token":
            tok = f.get("refresh_token", "")
            with self.server.lock:
                user = self.server.refresh_tokens.get(tok)
            if user is None:
                self.deny(401, "invalid_grant", "unknown refresh token")
                return
            self.issue(cfg, user, scopes, tok)
        else:
            self.deny(400, "unsupported_grant_type", "grant_type %r" % grant)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, config_path):
        super().__init__(("127.0.0.1", 0), Handler)
        self.config_path = config_path
        cfg = load_config(config_path)
        self.signer = Signer(cfg)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cfg["tls_cert"], cfg["tls_key"])
        self.stats_path = cfg["stats_file"]
        self.lock = threading.Lock()
        self.refresh_tokens = {}
        self.counts = {}
        self.save_stats()

    def finish_request(self, request, client_address):
        # The TLS handshake happens here, on the connection's own thread, so one slow or
        # broken client cannot hold up accept().
        request.settimeout(30)
        try:
            tls = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            sys.stderr.write("tokenserver: TLS handshake: %s\n" % e)
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def count(self, method, status):
        with self.lock:
            key = "%s %d" % (method, status)
            self.counts[key] = self.counts.get(key, 0) + 1
            self.save_stats()

    def save_stats(self):
        tmp = self.stats_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"requests": self.counts}, f, sort_keys=True)
        os.replace(tmp, self.stats_path)


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: tokenserver.py CONFIG.json\n")
        return 2
    srv = Server(sys.argv[1])
    port_file = load_config(sys.argv[1])["port_file"]
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(tmp, port_file)
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
