#!/usr/bin/python3
"""bench.py — the benchmark behind `make bench` (run through tools/bench.sh).

    /usr/bin/python3 tools/bench/bench.py BUILD_DIR RUNS

Starts everything it needs in one temp dir: a private pycontainerd (own unix socket, own state
dir) and, per measurement that needs one, a fresh Debian docker-registry on 127.0.0.1. Each
section measures pycontainerd beside a baseline tool doing the same job in the same run, and
prints a Markdown table of medians over RUNS runs (so it can be pasted into the README as is):
what, our median, baseline median, ratio ours/baseline, notes. Sections so far: push (issue 4).
Build sections (issue 6) go into SECTIONS below and reuse Bench, Registry, Row and print_table.

Wall-clock time around each command (time.perf_counter), client process start included on both
sides. There are no assertions on time; the script exits 0 unless a command fails, in which case
it prints that command's output and exits 1 (130 on Ctrl-C / SIGTERM). Every process it starts
is stopped by pid and reaped, and the temp dir removed, on every exit path.
"""

import ctypes
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

START_DEADLINE_S = 30.0
STOP_DEADLINE_S = 10.0
REGISTRY_START_ATTEMPTS = 3
# Random bytes do not compress, so the gzip app layer is about this big: issue 4 asks for a
# ~150 MB layer.
PAYLOAD_BYTES = 150 * 1024 * 1024


class BenchError(Exception):
    """A command or a fixture failed; the message carries the command's output."""


class Interrupted(Exception):
    """SIGTERM, turned into an exception so the cleanup in main() runs."""


def _on_sigterm(signum, frame):
    raise Interrupted()


_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def _die_with_parent():
    # Runs in the child between fork and exec: if this script is killed outright (SIGKILL, no
    # cleanup), the kernel still ends the servers it started.
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def fmt_seconds(s):
    if s is None:
        return "—"
    if s < 1.0:
        return "%.0f ms" % (s * 1000) if s >= 0.01 else "%.1f ms" % (s * 1000)
    return "%.2f s" % s


def fmt_bytes(n):
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return "%.1f %s" % (n / size, unit)
    return "%d B" % n


class Row:
    """One line of a section's table: our timings beside the baseline's, from the same runs."""

    def __init__(self, what, baseline_name):
        self.what = what
        self.baseline_name = baseline_name
        self.ours = []
        self.baseline = []
        self.notes = []

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)


def median(xs):
    return statistics.median(xs) if xs else None


def print_table(title, runs, rows, out=sys.stdout):
    """The shared table printer: a Markdown table, readable in a terminal and pasteable."""
    head = ["what", "pycontainerd (median)", "baseline", "baseline (median)", "ratio", "notes"]
    body = []
    for r in rows:
        mo, mb = median(r.ours), median(r.baseline)
        ratio = "%.2f×" % (mo / mb) if mo is not None and mb else "—"
        body.append([r.what, fmt_seconds(mo), r.baseline_name, fmt_seconds(mb), ratio,
                     "; ".join(r.notes)])
    widths = [max(len(line[i]) for line in [head] + body) for i in range(len(head))]

    def line(cells):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"

    out.write("\n### %s (median of %d run%s)\n\n" % (title, runs, "" if runs == 1 else "s"))
    out.write(line(head) + "\n")
    out.write("|" + "|".join("-" * (w + 2) for w in widths) + "|\n")
    for cells in body:
        out.write(line(cells) + "\n")
    out.flush()


def progress(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


class Bench:
    """The temp dir, the private daemon, and every process started: all stopped in cleanup()."""

    def __init__(self, build_dir, runs):
        self.build_dir = os.path.abspath(build_dir)
        self.runs = runs
        self.pcb = os.path.join(self.build_dir, "pcb")
        self.daemon_bin = os.path.join(self.build_dir, "pycontainerd")
        self.tmp = tempfile.mkdtemp(prefix="pcb-bench-")
        self.procs = []
        # Ports handed out so far: the daemon's store remembers which registry (host:port) has
        # which blob, and skopeo's blob-info cache does the same, so a port is never reused
        # for a fresh registry, or a cold push could skip blobs it believes are there.
        self.used_ports = set()
        self.env = self._clean_env()
        self.daemon = None
        self.image = None

    def _clean_env(self):
        env = dict(os.environ)
        for k in list(env):
            if k.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
                del env[k]
        # No credentials of the user's: both tools talk to the loopback registry anonymously.
        env["DOCKER_CONFIG"] = os.path.join(self.tmp, "docker-config")
        env["REGISTRY_AUTH_FILE"] = os.path.join(self.tmp, "docker-config", "auth.json")
        os.makedirs(env["DOCKER_CONFIG"])
        with open(os.path.join(env["DOCKER_CONFIG"], "config.json"), "w") as f:
            f.write("{}\n")
        with open(env["REGISTRY_AUTH_FILE"], "w") as f:
            f.write('{"auths": {}}\n')
        env["PCB_HOST"] = "unix://" + os.path.join(self.tmp, "pycontainerd.sock")
        env["SOURCE_DATE_EPOCH"] = "0"
        return env

    # --- processes -------------------------------------------------------------------------

    def spawn(self, argv, log, env=None):
        logf = open(log, "ab")
        try:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                 env=env or self.env, preexec_fn=_die_with_parent,
                                 start_new_session=True)
        finally:
            logf.close()
        self.procs.append(p)
        return p

    def stop(self, p):
        """SIGTERM, SIGKILL after a deadline; always reaped."""
        if p is None:
            return
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(STOP_DEADLINE_S)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p in self.procs:
            self.procs.remove(p)

    def cleanup(self):
        for p in list(self.procs):
            try:
                self.stop(p)
            except Exception as e:  # keep going: every process and the temp dir must go
                progress("could not stop pid %d: %s" % (p.pid, e))
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run(self, argv, what, env=None):
        """Runs a command to completion; returns (wall seconds, stdout). Raises on failure."""
        t0 = time.perf_counter()
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env or self.env)
        dt = time.perf_counter() - t0
        if r.returncode != 0:
            raise BenchError("%s failed (exit %d): %s\n--- stdout\n%s--- stderr\n%s" % (
                what, r.returncode, " ".join(argv), r.stdout.decode(errors="replace"),
                r.stderr.decode(errors="replace")))
        return dt, r.stdout.decode(errors="replace")

    def free_port(self):
        for _ in range(100):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            if port not in self.used_ports:
                self.used_ports.add(port)
                return port
        raise BenchError("no unused loopback port found")

    # --- the private daemon -----------------------------------------------------------------

    def start_daemon(self):
        state = os.path.join(self.tmp, "state")
        log = os.path.join(self.tmp, "pycontainerd.log")
        os.makedirs(state)
        self.daemon = self.spawn([self.daemon_bin, "--host", self.env["PCB_HOST"],
                                  "--state-dir", state, "--log-level", "warn"], log)
        deadline = time.monotonic() + START_DEADLINE_S
        while True:
            r = subprocess.run([self.pcb, "version"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=self.env)
            if r.returncode == 0:
                return
            if self.daemon.poll() is not None or time.monotonic() > deadline:
                raise BenchError("pycontainerd did not start: %s" % read_text(log))
            time.sleep(0.02)

    # --- the shared fixture image ----------------------------------------------------------

    def fixture_image(self):
        """Builds (once) the fixture project into an OCI layout tagged bench:1 in the daemon.
        Returns a dict: layout, skopeo ref, manifest digest, layer sizes, build seconds."""
        if self.image is not None:
            return self.image
        ctx = os.path.join(self.tmp, "fixture")
        pkg = os.path.join(ctx, "src", "benchapp")
        os.makedirs(pkg)
        write_text(os.path.join(ctx, "pyproject.toml"),
                   '[project]\nname = "benchapp"\nversion = "1.0"\nrequires-python = ">=3.9"\n'
                   '\n[project.scripts]\nbenchapp = "benchapp.main:main"\n')
        write_text(os.path.join(pkg, "__init__.py"), '"""Benchmark fixture."""\n')
        write_text(os.path.join(pkg, "main.py"),
                   "import os\n\n\ndef main():\n"
                   "    path = os.path.join(os.path.dirname(__file__), 'payload.bin')\n"
                   "    print(os.path.getsize(path))\n\n\nif __name__ == '__main__':\n"
                   "    main()\n")
        with open(os.path.join(pkg, "payload.bin"), "wb") as f:
            left = PAYLOAD_BYTES
            while left > 0:
                n = min(left, 1 << 20)
                f.write(os.urandom(n))
                left -= n
        layout = os.path.join(self.tmp, "layout")
        progress("building the fixture image (150 MiB of random bytes)")
        secs, out = self.run([self.pcb, "build", ctx, "-t", "bench:1", "--output", layout,
                              "--json"], "pcb build of the fixture")
        with open(os.path.join(layout, "index.json")) as f:
            index = json.load(f)
        desc = index["manifests"][0]
        ref = desc.get("annotations", {}).get("org.opencontainers.image.ref.name")
        digest = desc["digest"]
        with open(os.path.join(layout, "blobs", *digest.split(":", 1))) as f:
            manifest = json.load(f)
        blobs = [manifest["config"]] + manifest["layers"]
        self.image = {
            "layout": layout,
            "skopeo_ref": "oci:%s:%s" % (layout, ref) if ref else "oci:%s" % layout,
            "digest": digest,
            "blob_bytes": sum(b["size"] for b in blobs),
            "largest_layer": max(b["size"] for b in manifest["layers"]),
            "build_seconds": secs,
        }
        return self.image


def read_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return "(no log)"


def write_text(path, text):
    with open(path, "w") as f:
        f.write(text)


class Registry:
    """A fresh Debian docker-registry (CNCF distribution 2.8) on 127.0.0.1, on a port no earlier
    registry of this run had, with filesystem storage in its own dir and delete enabled."""

    def __init__(self, bench, name):
        self.bench = bench
        self.dir = os.path.join(bench.tmp, "registries", name)
        os.makedirs(self.dir)
        self.proc = None
        self.host = None
        log = os.path.join(self.dir, "registry.log")
        cfg = os.path.join(self.dir, "config.yml")
        # docker-registry reads REGISTRY_<SECTION>_<KEY> variables as configuration: podman's
        # REGISTRY_AUTH_FILE (set above for the clients) would become its auth section.
        env = {k: v for k, v in bench.env.items() if not k.startswith("REGISTRY_")}
        for attempt in range(1, REGISTRY_START_ATTEMPTS + 1):
            port = bench.free_port()
            # uploadpurging off: its background walk would compete with the pushes measured.
            write_text(cfg,
                       "version: 0.1\n"
                       "log:\n  level: warn\n  formatter: text\n"
                       "storage:\n  filesystem:\n    rootdirectory: %s/storage\n"
                       "  delete:\n    enabled: true\n"
                       "  maintenance:\n    uploadpurging:\n      enabled: false\n"
                       "http:\n  addr: 127.0.0.1:%d\n  secret: %s\n"
                       % (self.dir, port, os.urandom(16).hex()))
            self.proc = bench.spawn(["/usr/bin/docker-registry", "serve", cfg], log, env)
            if self._wait_up(port, log):
                self.host = "127.0.0.1:%d" % port
                return
            bench.stop(self.proc)
            self.proc = None
        raise BenchError("docker-registry: no free port after %d tries: %s"
                         % (REGISTRY_START_ATTEMPTS, read_text(log)))

    def _wait_up(self, port, log):
        """True once /v2/ answers 200; False when another process took the port."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        url = "http://127.0.0.1:%d/v2/" % port
        deadline = time.monotonic() + START_DEADLINE_S
        while True:
            try:
                with opener.open(url, timeout=5) as resp:
                    if resp.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            if self.proc.poll() is not None:
                text = read_text(log)
                if "address already in use" in text:
                    return False
                raise BenchError("docker-registry exited at start: %s" % text)
            if time.monotonic() > deadline:
                raise BenchError("docker-registry did not answer %s within %d s: %s"
                                 % (url, START_DEADLINE_S, read_text(log)))
            time.sleep(0.02)

    def close(self):
        self.bench.stop(self.proc)
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)


# --- sections ------------------------------------------------------------------------------


def push_counts(json_text, what):
    """Sums the blob counts over the targets of a `pcb push --json` result."""
    try:
        job = json.loads(json_text)
        result = job.get("result", job)
        totals = {"uploaded": 0, "skipped": 0, "mounted": 0, "bytes_sent": 0}
        for p in result["pushed"]:
            for k in totals:
                totals[k] += int(p["blobs"][k])
        return totals, result["pushed"][0]["digest"]
    except (ValueError, KeyError, TypeError, IndexError) as e:
        raise BenchError("%s: unexpected --json output (%s): %s" % (what, e, json_text))


def section_push(b):
    """Issue 4: a ~150 MB gzip layer pushed to a fresh loopback registry, and a re-push of the
    unchanged image to the same repository, each against skopeo copy of the same OCI layout."""
    img = b.fixture_image()
    cold = Row("cold push, %s image" % fmt_bytes(img["blob_bytes"]), "skopeo copy")
    again = Row("re-push, unchanged image", "skopeo copy again")
    policy = os.path.join(b.tmp, "policy.json")
    write_text(policy, '{"default": [{"type": "insecureAcceptAnything"}]}\n')
    sent_cold, sent_again = [], []

    def ours(i):
        reg = Registry(b, "pcb-%d" % i)
        try:
            target = "%s/bench/app:1" % reg.host
            argv = [b.pcb, "push", "--json", "bench:1", target,
                    "--insecure-registry", reg.host]
            secs, out = b.run(argv, "pcb push (cold)")
            counts, digest = push_counts(out, "pcb push (cold)")
            # A cold push that sent less than the blobs would be measuring a skip.
            if counts["bytes_sent"] < img["blob_bytes"] or counts["skipped"] or counts["mounted"]:
                raise BenchError("cold push to a fresh registry did not upload every blob "
                                 "(%s): %s" % (counts, out))
            if digest != img["digest"]:
                raise BenchError("pcb push reported %s, the layout has %s" % (digest, img["digest"]))
            cold.ours.append(secs)
            sent_cold.append(counts)
            secs, out = b.run(argv, "pcb push (re-push)")
            counts, _ = push_counts(out, "pcb push (re-push)")
            again.ours.append(secs)
            sent_again.append(counts)
        finally:
            reg.close()

    def skopeo(i):
        reg = Registry(b, "skopeo-%d" % i)
        try:
            digestfile = os.path.join(reg.dir, "digest")
            argv = ["skopeo", "--policy", policy, "copy", "--quiet", "--dest-tls-verify=false",
                    "--digestfile", digestfile, img["skopeo_ref"],
                    "docker://%s/bench/app:1" % reg.host]
            secs, _ = b.run(argv, "skopeo copy (cold)")
            cold.baseline.append(secs)
            if read_text(digestfile).strip() != img["digest"]:
                cold.note("skopeo pushed a different manifest digest")
            secs, _ = b.run(argv, "skopeo copy (again)")
            again.baseline.append(secs)
        finally:
            reg.close()

    for i in range(b.runs):
        order = (ours, skopeo) if i % 2 == 0 else (skopeo, ours)
        for f in order:
            f(i)
        progress("push run %d/%d: pcb %s + %s, skopeo %s + %s" % (
            i + 1, b.runs, fmt_seconds(cold.ours[-1]), fmt_seconds(again.ours[-1]),
            fmt_seconds(cold.baseline[-1]), fmt_seconds(again.baseline[-1])))

    mo, mb = median(cold.ours), median(cold.baseline)
    cold.note("%d blobs, %s sent by pcb (largest layer %s); %.0f MB/s vs %.0f MB/s" % (
        sent_cold[0]["uploaded"], fmt_bytes(sent_cold[0]["bytes_sent"]),
        fmt_bytes(img["largest_layer"]), img["blob_bytes"] / mo / 1e6,
        img["blob_bytes"] / mb / 1e6))
    cold.note("fresh registry per push")
    up = max(c["uploaded"] for c in sent_again)
    sent = max(c["bytes_sent"] for c in sent_again)
    again.note("pcb sent %d blobs, %s (skipped %d)" % (up, fmt_bytes(sent),
                                                      sent_again[0]["skipped"]))
    again.note("same registry and repository")
    return "Push to a loopback docker-registry", [cold, again]


# New sections (issue 6: builds) are appended here; each returns (title, rows).
SECTIONS = [section_push]


def env_note(b):
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    def first_line(argv):
        try:
            r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, env=b.env, timeout=10)
            return r.stdout.decode(errors="replace").strip().splitlines()[0]
        except (OSError, subprocess.SubprocessError, IndexError):
            return "?"

    return "%s; %d cores (nproc), %s, Linux %s; %s; %s; %s" % (
        datetime.date.today().isoformat(), os.cpu_count() or 0, cpu, platform.release(),
        first_line([b.pcb, "--version"]), first_line(["skopeo", "--version"]),
        first_line(["/usr/bin/docker-registry", "--version"]).replace(
            "/usr/bin/docker-registry github.com/docker/distribution", "docker-registry"))


def main():
    if len(sys.argv) != 3 or not sys.argv[2].isdigit() or int(sys.argv[2]) < 1:
        sys.stderr.write("usage: %s BUILD_DIR RUNS\n" % sys.argv[0])
        return 2
    signal.signal(signal.SIGTERM, _on_sigterm)
    b = None
    try:
        b = Bench(sys.argv[1], int(sys.argv[2]))
        for exe in (b.pcb, b.daemon_bin):
            if not os.access(exe, os.X_OK):
                raise BenchError("%s is missing: run make first" % exe)
        for tool in ("skopeo", "/usr/bin/docker-registry"):
            if shutil.which(tool) is None:
                raise BenchError("%s is missing: make deps installs it" % tool)
        b.start_daemon()
        tables = [section(b) for section in SECTIONS]
        print("\npycontainerd benchmark — %s" % env_note(b))
        print("Fixture: an app layer of 150 MiB of random bytes plus 2 .py files, built "
              "once in %s (not a measurement)." % fmt_seconds(b.image["build_seconds"])
              if b.image else "")
        for title, rows in tables:
            print_table(title, b.runs, rows)
        print("\nratio = pycontainerd / baseline (below 1 is faster); wall clock per command, "
              "client start included; runs alternate which tool goes first.")
        return 0
    except BenchError as e:
        sys.stderr.write("bench: %s\n" % e)
        return 1
    except (KeyboardInterrupt, Interrupted):
        sys.stderr.write("bench: interrupted\n")
        return 130
    finally:
        if b is not None:
            # Cleanup must not itself be cut short by a second signal.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            b.cleanup()


if __name__ == "__main__":
    sys.exit(main())
