#!/usr/bin/python3
"""faultproxy.py — a loopback HTTP proxy for the registry tests (tests/lib/regfix.h): it sits in
front of a plain-HTTP registry, forwards every request, and injects the faults a real registry
cannot be made to produce (500s, 429 with Retry-After, connections dropped mid-body, corrupted
bodies), by rule. It counts requests per method and kind in a JSON stats file that it rewrites
atomically when each request arrives, so the count is final by the time the client has an answer.

Usage: faultproxy.py --upstream 127.0.0.1:PORT --rules RULES --port-file F --stats F
It binds 127.0.0.1:0 itself and writes the port it got to --port-file (no race for a port).
Standard library only, run by Debian's /usr/bin/python3.
"""
import argparse
import http.client
import json
import os
import re
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 64 * 1024
MAX_BUFFERED = 256 * 1024 * 1024   # a response without Content-Length is buffered up to this
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailer", "transfer-encoding", "upgrade", "expect", "host"}
WHENS = {"blob-get", "blob-put", "manifest-get", "manifest-put", "any"}


class Rule:
    def __init__(self, text):
        self.text = text
        parts = text.split(":")
        if len(parts) not in (2, 3) or parts[0] not in WHENS:
            raise ValueError("bad rule %r: want WHEN:WHAT[:COUNT], WHEN one of %s"
                             % (text, ", ".join(sorted(WHENS))))
        self.when = parts[0]
        self.count = int(parts[2]) if len(parts) == 3 else 1
        if self.count < 1:
            raise ValueError("bad rule %r: COUNT must be at least 1" % text)
        what = parts[1]
        self.status = None
        self.retry_after = None
        self.drop_at = None
        self.corrupt = False
        m = re.fullmatch(r"drop@(\d+)", what)
        if m:
            self.drop_at = int(m.group(1))
        elif what == "corrupt":
            self.corrupt = True
        else:
            m = re.fullmatch(r"status=(\d{3})(?:,retry-after=(\d+))?", what)
            if not m:
                raise ValueError("bad rule %r: WHAT is drop@N, status=NNN[,retry-after=S] "
                                 "or corrupt" % text)
            self.status = int(m.group(1))
            self.retry_after = m.group(2)
        self.fired = 0

    def matches(self, method, kind):
        if self.fired >= self.count:
            return False
        if self.when == "any":
            return True
        if self.when == "blob-get":
            return method == "GET" and kind == "blob"
        if self.when == "blob-put":
            return method in ("PUT", "PATCH") and kind == "upload"
        if self.when == "manifest-get":
            return method == "GET" and kind == "manifest"
        return method == "PUT" and kind == "manifest"   # manifest-put


def classify(path):
    path = path.split("?", 1)[0]
    if re.fullmatch(r"/v2/.+/blobs/uploads(/.*)?", path):
        return "upload"
    if re.fullmatch(r"/v2/.+/blobs/[^/]+", path):
        return "blob"
    if re.fullmatch(r"/v2/.+/manifests/[^/]+", path):
        return "manifest"
    return "other"


class State:
    def __init__(self, rules, stats_path):
        self.rules = rules
        self.stats_path = stats_path
        self.lock = threading.Lock()
        self.requests = {}

    def arrive(self, method, kind):
        """Counts the request, picks the first rule that fires for it, saves the stats."""
        with self.lock:
            key = "%s %s" % (method, kind)
            self.requests[key] = self.requests.get(key, 0) + 1
            chosen = None
            for r in self.rules:
                if r.matches(method, kind):
                    r.fired += 1
                    chosen = r
                    break
            self._save()
            return chosen

    def _save(self):
        doc = {"requests": self.requests,
               "rules": [{"rule": r.text, "fired": r.fired} for r in self.rules]}
        tmp = self.stats_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, sort_keys=True)
        os.replace(tmp, self.stats_path)


class Dropped(Exception):
    """The rule said to cut the connection here."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pcb-faultproxy"

    def log_message(self, fmt, *args):
        sys.stderr.write("faultproxy: %s\n" % (fmt % args))

    # Request body, as a generator of pieces, whether framed by length or chunked.
    def body_pieces(self):
        te = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in te:
            while True:
                line = self.rfile.readline(1024)
                if not line:
                    raise ConnectionError("client closed inside a chunked body")
                size = int(line.split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return
                left = size
                while left > 0:
                    piece = self.rfile.read(min(left, CHUNK))
                    if not piece:
                        raise ConnectionError("client closed inside a chunk")
                    left -= len(piece)
                    yield piece
                self.rfile.readline(16)
        else:
            left = int(self.headers.get("Content-Length") or 0)
            while left > 0:
                piece = self.rfile.read(min(left, CHUNK))
                if not piece:
                    raise ConnectionError("client closed inside the body")
                left -= len(piece)
                yield piece

    def has_body(self):
        return ("chunked" in self.headers.get("Transfer-Encoding", "").lower()
                or int(self.headers.get("Content-Length") or 0) > 0)

    def cut(self):
        """Closes the client connection without a (complete) answer."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def answer(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def rewrite_location(self, value):
        up = self.server.upstream
        me = "127.0.0.1:%d" % self.server.server_address[1]
        for prefix in ("http://" + up, "http://localhost:" + up.rsplit(":", 1)[1]):
            if value.startswith(prefix):
                return "http://" + me + value[len(prefix):]
        return value

    def proxy(self):
        method = self.command
        kind = classify(self.path)
        rule = self.server.state.arrive(method, kind)
        if rule is not None:
            self.log_message("rule %s fires on %s %s", rule.text, method, self.path)
        try:
            self.forward(method, rule)
        except Dropped:
            self.cut()
        except (ConnectionError, socket.timeout, http.client.HTTPException) as e:
            self.log_message("%s %s: %s", method, self.path, e)
            self.cut()

    def forward(self, method, rule):
        if rule is not None and rule.status is not None:
            for _ in self.body_pieces():   # read it all, so the connection stays in step
                pass
            headers = [("Content-Type", "application/json")]
            if rule.retry_after is not None:
                headers.append(("Retry-After", rule.retry_after))
            body = json.dumps({"errors": [{"code": "UNKNOWN", "message":
                               "injected by faultproxy rule %s" % rule.text}]}).encode()
            self.answer(rule.status, headers, body)
            return
        drop_request = (rule is not None and rule.drop_at is not None and
                        (rule.when in ("blob-put", "manifest-put") or
                         (rule.when == "any" and self.has_body())))
        drop_response = rule is not None and rule.drop_at is not None and not drop_request
        corrupt = rule is not None and rule.corrupt

        host, port = self.server.upstream.rsplit(":", 1)
        up = http.client.HTTPConnection(host, int(port), timeout=120)
        try:
            up.putrequest(method, self.path, skip_host=True, skip_accept_encoding=True)
            # The registry builds absolute Location URLs from Host: giving it ours keeps
            # clients on the proxy (and rewrite_location catches any that still name it).
            up.putheader("Host", "127.0.0.1:%d" % self.server.server_address[1])
            for k, v in self.headers.items():
                if k.lower() not in HOP_BY_HOP:
                    up.putheader(k, v)
            chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
            if chunked:
                up.putheader("Transfer-Encoding", "chunked")
            up.endheaders()
            sent = 0
            for piece in self.body_pieces():
                if drop_request and sent + len(piece) >= rule.drop_at:
                    piece = piece[:rule.drop_at - sent]
                    if piece:
                        up.send(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                    raise Dropped()
                up.send(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
            if drop_request:
                raise Dropped()   # the whole body was shorter than N: cut before the answer
            if chunked:
                up.send(b"0\r\n\r\n")
            resp = up.getresponse()
            self.relay(method, resp, rule.drop_at if drop_response else None, corrupt)
        finally:
            up.close()

    def relay(self, method, resp, drop_at, corrupt):
        headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP
                   and k.lower() != "content-length"]
        headers = [(k, self.rewrite_location(v) if k.lower() == "location" else v)
                   for k, v in headers]
        no_body = method == "HEAD" or resp.status in (204, 304) or 100 <= resp.status < 200
        length = resp.getheader("Content-Length")
        if no_body and drop_at is not None:
            raise Dropped()   # no body to cut short: cut before the answer instead
        if no_body:
            self.send_response(resp.status)
            for k, v in headers:
                self.send_header(k, v)
            if length is not None:
                self.send_header("Content-Length", length)
            self.end_headers()
            return
        if length is None:
            data = resp.read(MAX_BUFFERED + 1)
            if len(data) > MAX_BUFFERED:
                raise ConnectionError("unbounded upstream body")
            length = len(data)
            pieces = iter([data])
        else:
            length = int(length)
            pieces = iter(lambda: resp.read(CHUNK), b"")
        self.send_response(resp.status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        flip = length // 2 if corrupt and length > 0 else -1
        sent = 0
        for piece in pieces:
            if 0 <= flip - sent < len(piece):
                i = flip - sent
                piece = piece[:i] + bytes([piece[i] ^ 0x01]) + piece[i + 1:]
            if drop_at is not None and sent + len(piece) >= drop_at:
                self.wfile.write(piece[:drop_at - sent])
                raise Dropped()
            self.wfile.write(piece)
            sent += len(piece)
        if drop_at is not None:
            raise Dropped()   # body shorter than N: cut before the next request

    do_GET = do_HEAD = do_PUT = do_PATCH = do_POST = do_DELETE = proxy


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--rules", default="")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--stats", required=True)
    a = ap.parse_args()
    try:
        rules = [Rule(t.strip()) for t in a.rules.split(";") if t.strip()]
    except ValueError as e:
        sys.stderr.write("faultproxy: %s\n" % e)
        return 2
    srv = Server(("127.0.0.1", 0), Handler)
    srv.upstream = a.upstream
    srv.state = State(rules, a.stats)
    with srv.state.lock:
        srv.state._save()
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(tmp, a.port_file)
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
