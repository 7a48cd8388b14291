#!/usr/bin/python3
"""wheelfix.py — wheel fixtures for the tests, since PyPI is out of reach here.

Turns distributions installed in this machine's Python (pure ones and ones with C extensions)
back into real, deterministic wheels; re-versions a wheel; makes small hostile wheels; serves a
directory of wheels as a PEP 503 simple index (plus a flat --find-links page) on loopback; and
writes pylock.toml / uv.lock files that point at that index. Standard library only, so it runs
with Debian's /usr/bin/python3 on a fresh machine. Test code only.

  make-wheels --out DIR [--site SITEPACKAGES] DIST...
  variant --in WHEEL --out DIR --version NEWVERSION
  evil --out DIR --kind zipslip|absolute|badhash|notinrecord|corrupt|bomb|duplicate [--size N]
  serve --root DIR --port-file FILE
  pylock --root DIR --base-url URL --out FILE [DIST[==VERSION] ...]
  uvlock --root DIR --base-url URL --out FILE [--project NAME] [--project-version V] [DIST...]
  which-python [--site SITEPACKAGES]

The site-packages read by default can be forced with $PCB_TEST_WHEEL_SITE.
"""

import argparse
import base64
import csv
import hashlib
import html
import http.server
import io
import json
import os
import re
import stat
import sys
import threading
import urllib.parse
import warnings
import zipfile

# The zip epoch: the earliest date a zip entry can carry, so archives do not depend on mtimes.
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
PYENV_SITE = "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages"
PYENV_PYTHON = "/root/.pyenv/versions/3.11.7/bin/python3"
# Other places Flask may be installed, with the interpreter that imports from them.
OTHER_SITES = [
    ("/usr/local/lib/python3.11/site-packages", "/usr/local/bin/python3.11"),
    ("/usr/lib/python3/dist-packages", "/usr/bin/python3"),
]
# Debian strips install_requires from the egg-info of its python3-* packages (dependencies are
# the Debian package's business there). Without them pip could not resolve the set from the
# index, so for the Flask family the upstream requirements are restored.
DEBIAN_REQUIRES = {
    "flask": ["Werkzeug>=2.2.2", "Jinja2>=3.0", "itsdangerous>=2.0", "click>=8.0"],
    "werkzeug": ["MarkupSafe>=2.1.1"],
    "jinja2": ["MarkupSafe>=2.0"],
}
# Files an installer writes into .dist-info; they describe one installation, not the wheel.
INSTALL_ONLY = {"INSTALLER", "REQUESTED", "RECORD", "RECORD.jws", "RECORD.p7s",
                "direct_url.json"}
MAX_TEXT = 16 << 20


class Fail(Exception):
    pass


def normalize(name):
    """PEP 503 project name normalisation."""
    return re.sub(r"[-_.]+", "-", name).lower()


def escape_name(name):
    """The distribution name as it appears in wheel and .dist-info names."""
    return re.sub(r"[-_.]+", "_", name).lower()


def has_flask(site):
    try:
        return any(n.lower().startswith("flask-") and
                   n.endswith((".dist-info", ".egg-info")) for n in os.listdir(site))
    except OSError:
        return False


def default_site():
    """(site-packages, interpreter): $PCB_TEST_WHEEL_SITE when set (to try what a machine
    without pyenv would use), else pyenv's 3.11 when it has Flask, else the first system
    location that does."""
    forced = os.environ.get("PCB_TEST_WHEEL_SITE")
    if forced:
        return forced, python_for_site(forced)
    if has_flask(PYENV_SITE):
        return PYENV_SITE, PYENV_PYTHON
    for site, python in OTHER_SITES:
        if has_flask(site):
            if not os.path.exists(python):
                python = "/usr/bin/python3"
            return site, python
    raise Fail("no site-packages with Flask installed (looked in %s and %s); "
               "install python3-flask (tools/install-deps.sh)" %
               (PYENV_SITE, ", ".join(s for s, _ in OTHER_SITES)))


def python_for_site(site):
    if os.path.realpath(site) == os.path.realpath(PYENV_SITE):
        return PYENV_PYTHON
    for s, python in OTHER_SITES:
        if os.path.realpath(site) == os.path.realpath(s) and os.path.exists(python):
            return python
    return "/usr/bin/python3"


def read_bytes(path, limit=MAX_TEXT):
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise Fail("%s: larger than %d bytes" % (path, limit))
    return data


def record_hash(data):
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            h.update(chunk)
    return h.hexdigest()


def parse_headers(text):
    """Header fields of a METADATA / PKG-INFO / WHEEL file (email style, no continuation
    handling needed for the fields we read): list of (key, value)."""
    fields = []
    for line in text.split("\n"):
        if line == "":
            break
        if line[0] in " \t" or ":" not in line:
            continue
        k, _, v = line.partition(":")
        fields.append((k.strip(), v.strip()))
    return fields


def header(fields, key):
    for k, v in fields:
        if k.lower() == key.lower():
            return v
    return None


def compressed_tags(wheel_text):
    """The Tag lines of a WHEEL file as the file-name triple, each part's values in the order
    they first appear (the file is fixed, so the name is too)."""
    parts = ([], [], [])
    for k, v in parse_headers(wheel_text):
        if k != "Tag":
            continue
        triple = v.split("-")
        if len(triple) != 3:
            raise Fail("bad Tag line in WHEEL: %r" % v)
        for i, p in enumerate(triple):
            if p not in parts[i]:
                parts[i].append(p)
    if not parts[0]:
        raise Fail("WHEEL has no Tag lines")
    return "-".join(".".join(p) for p in parts)


def wheel_filename(name, version, wheel_text):
    return "%s-%s-%s.whl" % (escape_name(name), version.replace("-", "_"),
                             compressed_tags(wheel_text))


def member_order(distinfo):
    """Sorted, with the .dist-info last and RECORD last of all, as the wheel spec
    recommends (installers can stream the payload before the metadata)."""
    record = distinfo + "/RECORD"

    def key(name):
        return (name.startswith(distinfo + "/"), name == record, name)
    return key


def write_wheel(path, distinfo, members):
    """members: {arcname: (bytes, executable)}. Adds a fresh RECORD and writes a
    deterministic zip at path (via a temp file)."""
    record_name = distinfo + "/RECORD"
    members = dict(members)
    members.pop(record_name, None)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for name in sorted(members, key=member_order(distinfo)):
        data = members[name][0]
        w.writerow([name, record_hash(data), len(data)])
    w.writerow([record_name, "", ""])
    members[record_name] = (buf.getvalue().encode("utf-8"), False)
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w") as zf:
        for name in sorted(members, key=member_order(distinfo)):
            data, exe = members[name]
            zf.writestr(zip_info(name, exe), data)
    os.replace(tmp, path)
    return path


def zip_info(name, exe, method=zipfile.ZIP_DEFLATED):
    zi = zipfile.ZipInfo(name, FIXED_DATE)
    zi.create_system = 3  # Unix, so external_attr carries the mode
    zi.external_attr = (stat.S_IFREG | (0o755 if exe else 0o644)) << 16
    zi.compress_type = method
    return zi


def glibc_platforms(so_paths, arch):
    """manylinux tags for extension modules built on this machine: the newest GLIBC_2.N symbol
    version they need decides the floor (2.17 at least, which is manylinux2014)."""
    newest = 17
    for p in so_paths:
        for m in re.finditer(rb"GLIBC_2\.([0-9]+)", read_bytes(p, 256 << 20)):
            newest = max(newest, int(m.group(1)))
    plats = ["manylinux_2_%d_%s" % (newest, arch)]
    if newest == 17:
        plats.append("manylinux2014_%s" % arch)
    return plats


def make_wheel_text(files):
    """A WHEEL file for a distribution that has none (egg-info installs): pure unless an
    extension module is among the files."""
    sos = [(rel, src) for rel, src in files if rel.endswith(".so")]
    if not sos:
        tags = ["py3-none-any"]
        purelib = "true"
    else:
        m = None
        for rel, _ in sos:
            m = re.search(r"\.cpython-(\d)(\d+)-([a-z0-9_]+)-linux-gnu\.so$", rel)
            if m:
                break
        if not m:
            raise Fail("cannot tell the Python tag of %s" % sos[0][0])
        py = "cp%s%s" % (m.group(1), m.group(2))
        tags = ["%s-%s-%s" % (py, py, p) for p in
                glibc_platforms([src for _, src in sos], m.group(3))]
        purelib = "false"
    return ("Wheel-Version: 1.0\nGenerator: wheelfix\nRoot-Is-Purelib: %s\n" % purelib +
            "".join("Tag: %s\n" % t for t in tags))


def requires_from_egg(text):
    """requires.txt sections → (Requires-Dist values, extras)."""
    reqs, extras = [], []
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        extra, _, marker = section.partition(":")
        conds = []
        if marker:
            conds.append("(%s)" % marker if extra else marker)
        if extra:
            if extra not in extras:
                extras.append(extra)
            conds.append('extra == "%s"' % extra)
        reqs.append(line + ("; " + " and ".join(conds) if conds else ""))
    return reqs, extras


def metadata_from_pkginfo(text, reqs, extras):
    head, sep, body = text.partition("\n\n")
    lines = [l for l in head.split("\n") if not l.startswith(("Requires-Dist:",
                                                               "Provides-Extra:"))]
    lines += ["Provides-Extra: %s" % e for e in extras]
    lines += ["Requires-Dist: %s" % r for r in reqs]
    return "\n".join(lines) + "\n\n" + body if sep else "\n".join(lines) + "\n"


def walk_files(site, top):
    """Files of a top-level package or module (for installs without RECORD)."""
    out = []
    path = os.path.join(site, top)
    if os.path.isdir(path):
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for fn in sorted(filenames):
                if fn.endswith(".pyc"):
                    continue
                full = os.path.join(dirpath, fn)
                out.append((os.path.relpath(full, site), full))
        return out
    for fn in sorted(os.listdir(site)):
        if fn == top + ".py" or (fn.startswith(top + ".") and fn.endswith(".so")):
            out.append((fn, os.path.join(site, fn)))
    return out


def find_meta_dir(site, dist):
    want = normalize(dist)
    found = []
    for entry in sorted(os.listdir(site)):
        if not entry.endswith((".dist-info", ".egg-info")):
            continue
        full = os.path.join(site, entry)
        if not os.path.isdir(full):
            continue
        if normalize(entry.split("-")[0]) != want:
            continue
        meta = os.path.join(full, "METADATA" if entry.endswith(".dist-info") else "PKG-INFO")
        if not os.path.exists(meta):
            continue
        fields = parse_headers(read_bytes(meta).decode("utf-8", "replace"))
        if normalize(header(fields, "Name") or "") == want:
            found.append((entry.endswith(".egg-info"), full, fields))
    if not found:
        raise Fail("%s: no .dist-info or .egg-info in %s" % (dist, site))
    found.sort(key=lambda f: (f[0], f[1]))  # a .dist-info wins over an .egg-info
    return found[0]


def make_wheel(site, dist, outdir):
    is_egg, meta_dir, fields = find_meta_dir(site, dist)
    name = header(fields, "Name")
    version = header(fields, "Version")
    if not name or not version:
        raise Fail("%s: metadata without Name or Version" % meta_dir)
    members = {}

    def add_file(rel, src):
        st = os.stat(src)
        members[rel] = (read_bytes(src, 256 << 20), bool(st.st_mode & 0o111))

    if is_egg:
        distinfo = "%s-%s.dist-info" % (escape_name(name), version)
        files = []
        top = os.path.join(meta_dir, "top_level.txt")
        tops = (read_bytes(top).decode().split() if os.path.exists(top)
                else [escape_name(name)])
        for t in tops:
            files += walk_files(site, t)
        if not files:
            raise Fail("%s: no files found for %s" % (dist, " ".join(tops)))
        for rel, src in files:
            add_file(rel, src)
        pkginfo = read_bytes(os.path.join(meta_dir, "PKG-INFO")).decode("utf-8")
        req_path = os.path.join(meta_dir, "requires.txt")
        reqs, extras = requires_from_egg(read_bytes(req_path).decode("utf-8")
                                         if os.path.exists(req_path) else "")
        if not any(";" not in r for r in reqs):
            reqs = DEBIAN_REQUIRES.get(normalize(name), []) + reqs
        members[distinfo + "/METADATA"] = (
            metadata_from_pkginfo(pkginfo, reqs, extras).encode("utf-8"), False)
        for extra in ("entry_points.txt", "top_level.txt"):
            p = os.path.join(meta_dir, extra)
            if os.path.exists(p):
                add_file(distinfo + "/" + extra, p)
        wheel_text = make_wheel_text(files)
        members[distinfo + "/WHEEL"] = (wheel_text.encode(), False)
    else:
        distinfo = os.path.basename(meta_dir)
        record = os.path.join(meta_dir, "RECORD")
        rels = []
        if os.path.exists(record):
            with open(record, newline="", encoding="utf-8") as f:
                rels = [row[0] for row in csv.reader(f) if row]
        else:
            # Some Debian packages ship a .dist-info without RECORD.
            top = os.path.join(meta_dir, "top_level.txt")
            tops = (read_bytes(top).decode().split() if os.path.exists(top)
                    else [escape_name(name)])
            for t in tops:
                rels += [r for r, _ in walk_files(site, t)]
            rels += [os.path.relpath(os.path.join(dp, fn), site)
                     for dp, _, fns in os.walk(meta_dir) for fn in fns]
        for rel in rels:
            parts = rel.split("/")
            if rel.startswith("/") or ".." in parts:
                continue  # scripts and headers outside site-packages
            if "__pycache__" in parts or rel.endswith(".pyc"):
                continue
            if parts[0] == distinfo and len(parts) == 2 and parts[1] in INSTALL_ONLY:
                continue
            src = os.path.join(site, rel)
            if not os.path.isfile(src):
                raise Fail("%s: %s is listed in RECORD but missing" % (dist, src))
            add_file(rel, src)
        wheel_path = os.path.join(meta_dir, "WHEEL")
        if os.path.exists(wheel_path):
            wheel_text = read_bytes(wheel_path).decode("utf-8")
        else:
            wheel_text = make_wheel_text([(r, os.path.join(site, r)) for r in members])
            members[distinfo + "/WHEEL"] = (wheel_text.encode(), False)
        if distinfo + "/METADATA" not in members:
            add_file(distinfo + "/METADATA", os.path.join(meta_dir, "METADATA"))
        if distinfo + "/WHEEL" not in members:
            members[distinfo + "/WHEEL"] = (wheel_text.encode(), False)
    path = os.path.join(outdir, wheel_filename(name, version, wheel_text))
    return write_wheel(path, distinfo, members)


def cmd_make_wheels(a):
    site = a.site or default_site()[0]
    os.makedirs(a.out, exist_ok=True)
    for dist in a.dists:
        path = make_wheel(site, dist, a.out)
        print("%s %s" % (path, file_sha256(path)))


def read_wheel(path):
    """(members {name: (bytes, exe)}, distinfo dir, METADATA fields)."""
    members = {}
    with zipfile.ZipFile(path) as zf:
        for zi in zf.infolist():
            if zi.file_size > (256 << 20):
                raise Fail("%s: member %s too large" % (path, zi.filename))
            exe = bool((zi.external_attr >> 16) & 0o111)
            members[zi.filename] = (zf.read(zi), exe)
    dis = sorted({n.split("/")[0] for n in members if n.split("/")[0].endswith(".dist-info")
                  and n.endswith("/METADATA") and n.count("/") == 1})
    if len(dis) != 1:
        raise Fail("%s: expected one .dist-info with METADATA, found %r" % (path, dis))
    fields = parse_headers(members[dis[0] + "/METADATA"][0].decode("utf-8"))
    return members, dis[0], fields


def cmd_variant(a):
    members, distinfo, fields = read_wheel(a.inp)
    name = header(fields, "Name")
    newdi = "%s-%s.dist-info" % (escape_name(name), a.version)
    out = {}
    for n, (data, exe) in members.items():
        parts = n.split("/")
        if parts[0] == distinfo:
            if len(parts) == 2 and parts[1] in ("RECORD", "RECORD.jws", "RECORD.p7s"):
                continue
            if len(parts) == 2 and parts[1] == "METADATA":
                text = data.decode("utf-8")
                head, sep, body = text.partition("\n\n")
                head = re.sub(r"(?m)^Version:.*$", "Version: " + a.version, head, count=1)
                data = (head + sep + body).encode("utf-8")
            n = "/".join([newdi] + parts[1:])
        out[n] = (data, exe)
    wheel_text = out[newdi + "/WHEEL"][0].decode("utf-8")
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, wheel_filename(name, a.version, wheel_text))
    write_wheel(path, newdi, out)
    print("%s %s" % (path, file_sha256(path)))


EVIL_WHEEL = "Wheel-Version: 1.0\nGenerator: wheelfix\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def cmd_evil(a):
    name = a.name
    di = "%s-1.0.dist-info" % escape_name(name)
    pkg = escape_name(name)
    init = b"# wheelfix hostile test wheel\nVALUE = 1\n"
    meta = ("Metadata-Version: 2.1\nName: %s\nVersion: 1.0\nSummary: hostile test wheel (%s)\n"
            % (name, a.kind)).encode()
    members = [(pkg + "/__init__.py", init), (di + "/METADATA", meta),
               (di + "/WHEEL", EVIL_WHEEL.encode())]
    record_over = {}   # name -> RECORD hash to write instead of the true one
    unlisted = set()
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "%s-1.0-py3-none-any.whl" % escape_name(name))
    if a.kind == "zipslip":
        members.insert(0, ("../../pcb-evil-zipslip.txt", b"escaped the target\n"))
    elif a.kind == "absolute":
        members.insert(0, ("/tmp/pcb-evil-absolute.txt", b"absolute path\n"))
    elif a.kind == "badhash":
        record_over[pkg + "/__init__.py"] = record_hash(b"something else entirely\n")
    elif a.kind == "notinrecord":
        members.insert(1, (pkg + "/extra.py", b"print('not in RECORD')\n"))
        unlisted.add(pkg + "/extra.py")
    elif a.kind == "duplicate":
        members.insert(1, (pkg + "/__init__.py", b"# second copy, different bytes\nVALUE = 2\n"))
    elif a.kind == "bomb":
        return evil_bomb(a, path, pkg, di, members)
    elif a.kind != "corrupt":
        raise Fail("unknown kind %s" % a.kind)
    rows = io.StringIO()
    w = csv.writer(rows, lineterminator="\n")
    seen = set()
    for n, data in members:
        if n in unlisted or n in seen:
            continue
        seen.add(n)
        w.writerow([n, record_over.get(n, record_hash(data)), len(data)])
    w.writerow([di + "/RECORD", "", ""])
    members.append((di + "/RECORD", rows.getvalue().encode()))
    tmp = path + ".tmp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate on purpose
        with zipfile.ZipFile(tmp, "w") as zf:
            for n, data in members:
                method = zipfile.ZIP_STORED if a.kind == "corrupt" else zipfile.ZIP_DEFLATED
                zf.writestr(zip_info(n, False, method), data)
    if a.kind == "corrupt":
        # Flip a byte of the stored module, so its CRC-32 and RECORD hash no longer match.
        with zipfile.ZipFile(tmp) as zf:
            zi = zf.getinfo(pkg + "/__init__.py")
        with open(tmp, "r+b") as f:
            f.seek(zi.header_offset + 26)
            nlen, xlen = int.from_bytes(f.read(2), "little"), int.from_bytes(f.read(2), "little")
            pos = zi.header_offset + 30 + nlen + xlen + 3
            f.seek(pos)
            b = f.read(1)
            f.seek(pos)
            f.write(bytes([b[0] ^ 0x55]))
    os.replace(tmp, path)
    print("%s %s" % (path, file_sha256(path)))


def evil_bomb(a, path, pkg, di, members):
    """A wheel whose one extra member inflates to a.size bytes of zeros (about 1000:1), with
    honest sizes and hashes: only the size itself is the problem."""
    big = pkg + "/bomb.bin"
    chunk = bytes(1 << 20)
    h = hashlib.sha256()
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w") as zf:
        zi = zip_info(big, False)
        left = a.size
        with zf.open(zi, "w", force_zip64=True) as f:
            while left > 0:
                piece = chunk[:min(left, len(chunk))]
                f.write(piece)
                h.update(piece)
                left -= len(piece)
        rows = io.StringIO()
        w = csv.writer(rows, lineterminator="\n")
        w.writerow([big, "sha256=" + base64.urlsafe_b64encode(h.digest()).rstrip(b"=")
                    .decode(), a.size])
        for n, data in members:
            w.writerow([n, record_hash(data), len(data)])
        w.writerow([di + "/RECORD", "", ""])
        for n, data in members + [(di + "/RECORD", rows.getvalue().encode())]:
            zf.writestr(zip_info(n, False), data)
    os.replace(tmp, path)
    print("%s %s" % (path, file_sha256(path)))


# --- the index ------------------------------------------------------------------------------

WHEEL_RE = re.compile(r"^([A-Za-z0-9_.]+)-([^-]+)-(?:\d[^-]*-)?[^-]+-[^-]+-[^-]+\.whl$")


class Index:
    """The wheels in root, rescanned on every call (tests add wheels while it serves);
    hashes are cached by (name, size, mtime) so big wheels are hashed once."""

    def __init__(self, root):
        self.root = root
        self.lock = threading.Lock()
        self.cache = {}

    def wheels(self):
        out = []
        for fn in sorted(os.listdir(self.root)):
            m = WHEEL_RE.match(fn)
            full = os.path.join(self.root, fn)
            if not m or not os.path.isfile(full):
                continue
            st = os.stat(full)
            key = (fn, st.st_size, st.st_mtime_ns)
            with self.lock:
                digest = self.cache.get(key)
            if digest is None:
                digest = file_sha256(full)
                with self.lock:
                    self.cache[key] = digest
            out.append({"file": fn, "project": normalize(m.group(1)), "version": m.group(2),
                        "sha256": digest, "size": st.st_size, "path": full})
        return out


def page(title, links):
    body = "".join('<a href="%s">%s</a><br/>\n' % (html.escape(href), html.escape(text))
                   for href, text in links)
    return ("<!DOCTYPE html>\n<html>\n<head>\n"
            '<meta name="pypi:repository-version" content="1.0">\n'
            "<title>%s</title>\n</head>\n<body>\n<h1>%s</h1>\n%s</body>\n</html>\n" %
            (html.escape(title), html.escape(title), body)).encode("utf-8")


def file_link(w):
    return ("/files/%s#sha256=%s" % (urllib.parse.quote(w["file"]), w["sha256"]), w["file"])


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "wheelfix/1"
    protocol_version = "HTTP/1.0"

    def send(self, code, body, ctype="text/html; charset=utf-8", extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        index = self.server.index
        parts = [urllib.parse.unquote(p) for p in path.split("/")]
        if path == "/simple":
            return self.send(301, b"", extra={"Location": "/simple/"})
        if path == "/simple/":
            names = sorted({w["project"] for w in index.wheels()})
            return self.send(200, page("Simple index", [("/simple/%s/" % n, n) for n in names]))
        if len(parts) in (3, 4) and parts[1] == "simple" and (len(parts) == 3 or parts[3] == ""):
            want = normalize(parts[2])
            if len(parts) == 3 or want != parts[2]:
                return self.send(301, b"", extra={"Location": "/simple/%s/" % want})
            links = [file_link(w) for w in index.wheels() if w["project"] == want]
            if not links:
                return self.send(404, b"no such project\n", "text/plain")
            return self.send(200, page("Links for %s" % want, links))
        if path in ("/find-links", "/find-links/"):
            return self.send(200, page("Wheels", [file_link(w) for w in index.wheels()]))
        if len(parts) == 3 and parts[1] == "files":
            for w in index.wheels():
                if w["file"] == parts[2]:
                    with open(w["path"], "rb") as f:
                        data = f.read()
                    return self.send(200, data, "application/octet-stream")
        return self.send(404, b"not found\n", "text/plain")


def cmd_serve(a):
    if not os.path.isdir(a.root):
        raise Fail("%s is not a directory" % a.root)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.index = Index(a.root)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(tmp, a.port_file)
    sys.stderr.write("wheelfix: serving %s on 127.0.0.1:%d\n" % (a.root, srv.server_address[1]))
    sys.stderr.flush()
    srv.serve_forever()


# --- lock files -----------------------------------------------------------------------------

def toml_str(s):
    # JSON string escapes are a subset of TOML basic-string escapes.
    return json.dumps(s, ensure_ascii=False)


def select_wheels(root, specs):
    """Wheels in root matching DIST or DIST==VERSION (all when none), grouped per
    (project, version) in name order."""
    all_wheels = Index(root).wheels()
    chosen = []
    for spec in specs or [None]:
        if spec is None:
            got = all_wheels
        else:
            name, _, ver = spec.partition("==")
            got = [w for w in all_wheels if w["project"] == normalize(name.strip()) and
                   (not ver or w["version"] == ver.strip())]
            if not got:
                raise Fail("no wheel in %s for %s" % (root, spec))
        for w in got:
            if w not in chosen:
                chosen.append(w)
    groups = {}
    for w in chosen:
        groups.setdefault((w["project"], w["version"]), []).append(w)
    return [(k[0], k[1], groups[k]) for k in sorted(groups)]


def wheel_requires(path):
    """Requires-Dist values of a wheel: [(name, marker or None)], extras-only ones left out."""
    _, _, fields = read_wheel(path)
    out = []
    for k, v in fields:
        if k != "Requires-Dist":
            continue
        req, _, marker = v.partition(";")
        marker = marker.strip() or None
        if marker and "extra" in marker:
            continue
        m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
        if m:
            out.append((normalize(m.group(1)), marker))
    return out


def cmd_pylock(a):
    base = a.base_url.rstrip("/")
    out = ['lock-version = "1.0"', 'created-by = "wheelfix"', 'requires-python = ">=3.11"', ""]
    for project, version, ws in select_wheels(a.root, a.dists):
        out += ["[[packages]]", "name = %s" % toml_str(project),
                "version = %s" % toml_str(version),
                "index = %s" % toml_str(base + "/simple"), "wheels = ["]
        for w in ws:
            out.append("  { name = %s, url = %s, size = %d, hashes = { sha256 = %s } }," % (
                toml_str(w["file"]), toml_str(base + "/files/" + urllib.parse.quote(w["file"])),
                w["size"], toml_str(w["sha256"])))
        out += ["]", ""]
    write_text(a.out, "\n".join(out))


def cmd_uvlock(a):
    base = a.base_url.rstrip("/")
    groups = select_wheels(a.root, a.dists)
    names = sorted({p for p, _, _ in groups})
    out = ["version = 1", 'requires-python = ">=3.11"', "",
           "[[package]]", "name = %s" % toml_str(a.project),
           "version = %s" % toml_str(a.project_version),
           'source = { virtual = "." }', "dependencies = ["]
    out += ["    { name = %s }," % toml_str(n) for n in names]
    out += ["]", ""]
    for project, version, ws in groups:
        out += ["[[package]]", "name = %s" % toml_str(project),
                "version = %s" % toml_str(version),
                "source = { registry = %s }" % toml_str(base + "/simple")]
        deps = sorted({d for d in wheel_requires(ws[0]["path"]) if d[0] in names})
        if deps:
            out.append("dependencies = [")
            for n, marker in deps:
                out.append("    { name = %s%s }," % (
                    toml_str(n), ", marker = %s" % toml_str(marker) if marker else ""))
            out.append("]")
        out.append("wheels = [")
        for w in ws:
            out.append("    { url = %s, hash = %s, size = %d }," % (
                toml_str(base + "/files/" + urllib.parse.quote(w["file"])),
                toml_str("sha256:" + w["sha256"]), w["size"]))
        out += ["]", ""]
    write_text(a.out, "\n".join(out))


def write_text(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    print(path)


def cmd_which_python(a):
    print(python_for_site(a.site) if a.site else default_site()[1])


def main(argv):
    p = argparse.ArgumentParser(prog="wheelfix.py", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("make-wheels")
    s.add_argument("--out", required=True)
    s.add_argument("--site")
    s.add_argument("dists", nargs="+")
    s.set_defaults(fn=cmd_make_wheels)
    s = sub.add_parser("variant")
    s.add_argument("--in", dest="inp", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--version", required=True)
    s.set_defaults(fn=cmd_variant)
    s = sub.add_parser("evil")
    s.add_argument("--out", required=True)
    s.add_argument("--kind", required=True, choices=["zipslip", "absolute", "badhash",
                                                     "notinrecord", "corrupt", "bomb",
                                                     "duplicate"])
    s.add_argument("--name", default="evil")
    s.add_argument("--size", type=int, default=1 << 30, help="bomb: inflated bytes")
    s.set_defaults(fn=cmd_evil)
    s = sub.add_parser("serve")
    s.add_argument("--root", required=True)
    s.add_argument("--port-file", required=True)
    s.set_defaults(fn=cmd_serve)
    for cmd, fn in (("pylock", cmd_pylock), ("uvlock", cmd_uvlock)):
        s = sub.add_parser(cmd)
        s.add_argument("--root", required=True)
        s.add_argument("--base-url", required=True)
        s.add_argument("--out", required=True)
        if cmd == "uvlock":
            s.add_argument("--project", default="app")
            s.add_argument("--project-version", default="0.1.0")
        s.add_argument("dists", nargs="*")
        s.set_defaults(fn=fn)
    s = sub.add_parser("which-python")
    s.add_argument("--site")
    s.set_defaults(fn=cmd_which_python)
    a = p.parse_args(argv)
    try:
        a.fn(a)
    except (Fail, OSError, zipfile.BadZipFile, UnicodeDecodeError) as e:
        sys.stderr.write("wheelfix %s: %s\n" % (a.cmd, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
