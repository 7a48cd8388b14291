#!/usr/bin/python3
"""bench.py — the benchmark behind `make bench` (run through tools/bench.sh).

    /usr/bin/python3 tools/bench/bench.py BUILD_DIR RUNS

Starts everything it needs in one temp dir: a private pycontainerd (own unix socket, own state
dir) and, per measurement that needs one, a fresh Debian docker-registry on 127.0.0.1. Each
section measures pycontainerd beside a baseline tool doing the same job in the same run, and
prints a Markdown table of medians over RUNS runs (so it can be pasted into the README as is):
what, our median, baseline median, ratio ours/baseline, notes. Sections (SECTIONS below):

  small app  cold build on a fresh daemon and state dir, no-op rebuild, rebuild after one app
             file changed; against the pigz pipeline and umoci insert of the same folder, a
             stat walk (for the no-op) and our own no-op (for the changed file)    (issue 6)
  big app    the same for a project whose --deps-from-venv venv holds a copy of the machine's
             site-packages (BIG_PYTHON's), plus the deps:venv layer alone (from the build's
             event times), the gzip ratios and the daemon's peak RSS (VmHWM)      (issue 6)
  push       push and re-push of a ~150 MB layer against skopeo copy             (issue 4)
  rebase     pcb rebase of an app onto a second base made by pcb base create, against
             rebuilding it on that base with --no-cache and with its layers cached (issue 15)
  rcache     a cold runner (fresh daemon and state dir) building the Flask app with
             --cache-from a registry cache another daemon wrote, against a cold build
             without it                                                           (issue 16)

Builds use --base-image scratch (and every daemon --default-base scratch): no base is pulled.

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
    if abs(s) < 1.0:
        return "%.0f ms" % (s * 1000) if abs(s) >= 0.01 else "%.1f ms" % (s * 1000)
    return "%.2f s" % s


def fmt_bytes(n):
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return "%.1f %s" % (n / size, unit)
    return "%d B" % n


def fmt_size(n):
    return "—" if n is None else fmt_bytes(n)


class Row:
    """One line of a section's table: our figures beside the baseline's, from the same runs.
    Seconds by default; fmt=fmt_size for a row of bytes (peak RSS)."""

    def __init__(self, what, baseline_name, fmt=fmt_seconds):
        self.what = what
        self.baseline_name = baseline_name
        self.fmt = fmt
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
        body.append([r.what, r.fmt(mo), r.baseline_name, r.fmt(mb), ratio,
                     "; ".join(r.notes)])
    # A bare | inside a cell would end it in Markdown.
    body = [[c.replace("|", "\\|") for c in cells] for cells in body]
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
        # The daemon's pip is the baseline's pip: Debian's (a python3 on PATH may be a
        # version manager's shim, which alone adds ~0.3 s per run here).
        env.setdefault("PCB_PIP_PYTHON", "/usr/bin/python3")
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
        dt, out, _ = self.run_measured(argv, what, env)
        return dt, out

    def run_measured(self, argv, what, env=None):
        """Runs a command to completion in its own process group; returns (wall seconds,
        stdout, peak RSS in bytes). The RSS is wait4's ru_maxrss: the largest of the command
        and the children it waited for (for a pipeline, its largest process). Output goes to
        temp files, so nothing can block on a full pipe. If the wait is cut short (Ctrl-C,
        SIGTERM), the whole group is killed and reaped before the exception goes on: no tar or
        pigz of a pipeline outlives the script."""
        with tempfile.TemporaryFile(dir=self.tmp) as out, \
                tempfile.TemporaryFile(dir=self.tmp) as err:
            t0 = time.perf_counter()
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                 env=env or self.env, preexec_fn=_die_with_parent,
                                 start_new_session=True)
            try:
                _, status, ru = os.wait4(p.pid, 0)
            except BaseException:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass
                p.wait()
                raise
            dt = time.perf_counter() - t0
            # Reaped by wait4: Popen must not wait for it again.
            p.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            text = out.read().decode(errors="replace")
            if p.returncode != 0:
                err.seek(0)
                raise BenchError("%s failed (exit %d): %s\n--- stdout\n%s--- stderr\n%s" % (
                    what, p.returncode, " ".join(argv), text[-8000:],
                    err.read().decode(errors="replace")[-8000:]))
            return dt, text, ru.ru_maxrss * 1024

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
                                  "--state-dir", state, "--log-level", "warn",
                                  # The built-in default base (python:X.Y-slim on Docker Hub)
                                  # may be unreachable; the fixture needs no base.
                                  "--default-base", "scratch"], log)
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


# --- build sections (issue 6) --------------------------------------------------------------

# The big app's dependencies: a venv whose site-packages is a copy of this Python's (the
# machine's largest tree). PCB_BENCH_PYTHON names another interpreter; the section is skipped,
# with a note, when it is absent.
BIG_PYTHON = os.environ.get("PCB_BENCH_PYTHON", "/root/.pyenv/versions/3.11.7/bin/python3")
ENTRYPOINT = "python -m app"
PIGZ_NAME = "tar → sha256 → pigz -p2 -6 → sha256"
# The pigz baseline as issue 6 states it: tar → sha256 → gzip -6 on 2 threads → sha256, the
# same passes our layer writer makes. FIFOs instead of >(...) so bash waits for both hashes.
PIGZ_PIPELINE = r'''set -eu -o pipefail
mkfifo "$3/raw" "$3/gz"
sha256sum < "$3/raw" > "$3/raw.sha256" & a=$!
sha256sum < "$3/gz" > "$3/gz.sha256" & b=$!
tar -C "$1" -cf - . | tee "$3/raw" | pigz -p2 -6 | tee "$3/gz" > "$2"
wait $a $b
'''


class Daemon:
    """A private pycontainerd with its own socket and state dir, for one measurement: a fresh
    one is a cold cache for certain (no reliance on a prune command)."""

    def __init__(self, bench, name):
        self.bench = bench
        self.dir = os.path.join(bench.tmp, "daemons", name)
        os.makedirs(os.path.join(self.dir, "state"))
        self.host = "unix://" + os.path.join(self.dir, "d.sock")
        self.log = os.path.join(self.dir, "pycontainerd.log")
        self.proc = bench.spawn([bench.daemon_bin, "--host", self.host, "--state-dir",
                                 os.path.join(self.dir, "state"), "--log-level", "warn",
                                 "--default-base", "scratch"], self.log)
        deadline = time.monotonic() + START_DEADLINE_S
        while True:
            r = subprocess.run([bench.pcb, "-H", self.host, "version"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, env=bench.env)
            if r.returncode == 0:
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                text = read_text(self.log)
                self.close()
                raise BenchError("pycontainerd did not start: %s" % text)
            time.sleep(0.02)

    def build(self, ctx, tag, extra, what):
        """One `pcb build --json`, timed from client start to result; returns (seconds,
        the build resource)."""
        argv = [self.bench.pcb, "-H", self.host, "build", ctx, "--base-image", "scratch",
                "--entrypoint", ENTRYPOINT, "-t", tag, "--json"] + extra
        try:
            secs, out = self.bench.run(argv, what)
        except BenchError as e:
            raise BenchError("%s\n--- daemon log\n%s" % (e, read_text(self.log)[-4000:]))
        try:
            job = json.loads(out)
            if job.get("state") != "succeeded" or not isinstance(job["result"]["layers"], list):
                raise ValueError("state %s" % job.get("state"))
        except (ValueError, KeyError, TypeError) as e:
            raise BenchError("%s: unexpected --json output (%s): %s" % (what, e, out[:2000]))
        return secs, job

    def events(self, job_id):
        _, out = self.bench.run([self.bench.pcb, "-H", self.host, "logs", "--json", job_id],
                                "pcb logs %s" % job_id)
        evs = []
        for line in out.splitlines():
            try:
                evs.append(json.loads(line))
            except ValueError:
                pass
        return evs

    def peak_rss(self):
        """VmHWM of the daemon process so far, in bytes (None when unreadable)."""
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
        return None

    def close(self):
        self.bench.stop(self.proc)
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)


def parse_time(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def layer_seconds(events, name):
    """How long the daemon spent on one layer, from its build events (ms timestamps): from the
    event before its first progress event to its `layer` event, else to the first event after
    its last progress event. None when the events do not show it."""
    idx = [k for k, e in enumerate(events)
           if e.get("type") == "progress" and e.get("layer") == name]
    if not idx:
        return None
    try:
        start = parse_time(events[max(idx[0] - 1, 0)]["time"])
        end = None
        for e in events[idx[0]:]:
            if e.get("type") == "layer" and (e.get("layer") or {}).get("name") == name:
                end = parse_time(e["time"])
                break
        if end is None:
            end = parse_time(events[min(idx[-1] + 1, len(events) - 1)]["time"])
        return end - start
    except (KeyError, ValueError, TypeError):
        return None


def find_layer(job, name):
    for layer in job["result"]["layers"]:
        if layer.get("name") == name:
            return layer
    return None


def write_app(ctx, name, body, python="3.9"):
    """The project folder: pyproject.toml (requires-python picks the image's Python, which
    must match a --deps-from-venv venv's) and the package app/."""
    os.makedirs(os.path.join(ctx, "app"), exist_ok=True)
    write_text(os.path.join(ctx, "pyproject.toml"),
               '[project]\nname = "%s"\nversion = "1.0"\nrequires-python = ">=%s"\n'
               % (name, python))
    write_text(os.path.join(ctx, "app", "__init__.py"), '"""Benchmark app."""\n')
    write_text(os.path.join(ctx, "app", "__main__.py"), body)


def tar_bytes(b, tree):
    """Size of `tar -C TREE -cf - .` (what the pigz baseline compresses), outside timing."""
    _, out = b.run(["bash", "-c", 'set -o pipefail; tar -C "$1" -cf - . | wc -c', "bash", tree],
                   "tar | wc -c")
    return int(out.strip())


class Baselines:
    """The same-run baselines for packing TREE: the pigz pipeline and umoci insert (each
    skipped, with a note, when its tool is missing), and a stat walk for no-op rebuilds."""

    def __init__(self, b, tree, dest):
        self.b = b
        self.tree = tree
        self.dest = dest
        self.have_pigz = shutil.which("pigz") is not None
        self.have_umoci = shutil.which("umoci") is not None
        self.raw = tar_bytes(b, tree)
        self.pigz_size = None
        self.umoci_size = None

    def pigz(self, tag):
        """Returns (seconds, peak RSS); keeps the gzip size for the ratio."""
        work = os.path.join(self.b.tmp, "pigz-" + tag)
        os.makedirs(work)
        try:
            out = os.path.join(work, "layer.tar.gz")
            secs, _, peak = self.b.run_measured(["bash", "-c", PIGZ_PIPELINE, "bash", self.tree, out,
                                                 work], "tar | sha256sum | pigz | sha256sum")
            if not read_text(os.path.join(work, "gz.sha256")).strip():
                raise BenchError("the pigz pipeline wrote no hash")
            self.pigz_size = os.path.getsize(out)
            return secs, peak
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def umoci(self, tag):
        """umoci insert of TREE into a fresh layout (made outside timing): (seconds, RSS)."""
        layout = os.path.join(self.b.tmp, "umoci-" + tag)
        try:
            self.b.run(["umoci", "init", "--layout", layout], "umoci init")
            self.b.run(["umoci", "new", "--image", layout + ":bench"], "umoci new")
            secs, _, peak = self.b.run_measured(["umoci", "insert", "--image",
                                                 layout + ":bench", self.tree, self.dest],
                                                "umoci insert")
            with open(os.path.join(layout, "index.json")) as f:
                digest = json.load(f)["manifests"][0]["digest"]
            with open(os.path.join(layout, "blobs", *digest.split(":", 1))) as f:
                self.umoci_size = json.load(f)["layers"][-1]["size"]
            return secs, peak
        except (OSError, ValueError, KeyError, IndexError) as e:
            raise BenchError("umoci insert: cannot read the layout it wrote: %s" % e)
        finally:
            shutil.rmtree(layout, ignore_errors=True)

    def stat_walk(self, tree):
        """The least a no-op check must do: stat every entry of the input (find -printf) and
        hash the listing."""
        secs, _ = self.b.run(["bash", "-c", "set -o pipefail; find \"$1\" -printf "
                              "'%P\\t%s\\t%T@\\t%m\\n' | sha256sum", "bash", tree],
                             "find -printf | sha256sum")
        return secs


def rotated(items, i):
    k = i % len(items)
    return items[k:] + items[:k]


def cold_rows(what, base):
    """The two rows of a cold build: the same timings of ours beside each packing baseline."""
    pigz = Row(what, PIGZ_NAME)
    if not base.have_pigz:
        pigz.note("pigz is not installed (apt-get install pigz)")
    umoci = Row(what, "umoci insert")
    if not base.have_umoci:
        umoci.note("umoci is not installed")
    return pigz, umoci


def ratio_note(size, raw):
    return "%.3f" % (size / raw) if size and raw else "—"


def rebuilds(i, build, rewrite, walk, noop, touch, deltas, first):
    """The rebuilds after a cold build on the same daemon: a first no-op (which may still warm
    things up: its time goes into the notes), one app file rewritten and built, then the no-op
    the row shows, under the same conditions as the changed-file build just before it. The
    stat-walk baseline runs right before or after that no-op, alternately. Returns the no-op's
    build resource."""
    secs, _ = build("first no-op")
    first.append(secs)
    rewrite()
    changed, _ = build("one file changed")
    walk_first = i % 2 == 1
    if walk_first:
        noop.baseline.append(walk())
    secs, job = build("no-op")
    if not walk_first:
        noop.baseline.append(walk())
    noop.ours.append(secs)
    touch.ours.append(changed)
    touch.baseline.append(secs)
    deltas.append(changed - secs)
    return job


def section_small(b):
    """Issue 6: a small app (pyproject + 2 files): cold build on a fresh daemon, no-op rebuild,
    rebuild after one app file changed."""
    ctx = os.path.join(b.tmp, "small")
    write_app(ctx, "smallapp", 'print("small")\n')
    base = Baselines(b, ctx, "/app")
    pigz, umoci = cold_rows("cold build, small app (client to result)", base)
    noop = Row("no-op rebuild, small app", "stat walk: find -printf → sha256sum")
    touch = Row("rebuild, 1 app file changed", "no-op rebuild (pcb, same run)")
    cold, deltas, first = [], [], []

    def ours(i):
        d = Daemon(b, "small-%d" % i)
        try:
            secs, _ = d.build(ctx, "small:1", [], "pcb build (small, cold)")
            cold.append(secs)
            rebuilds(i, lambda w: d.build(ctx, "small:1", [], "pcb build (small, %s)" % w),
                     lambda: write_app(ctx, "smallapp", 'print("small, run %d")\n' % i),
                     lambda: base.stat_walk(ctx), noop, touch, deltas, first)
        finally:
            d.close()

    def pigz_run(i):
        if base.have_pigz:
            pigz.baseline.append(base.pigz("small-%d" % i)[0])

    def umoci_run(i):
        if base.have_umoci:
            umoci.baseline.append(base.umoci("small-%d" % i)[0])

    for i in range(b.runs):
        for f in rotated([ours, pigz_run, umoci_run], i):
            f(i)
        progress("small app run %d/%d: cold %s, no-op %s, changed %s" % (
            i + 1, b.runs, fmt_seconds(cold[-1]), fmt_seconds(noop.ours[-1]),
            fmt_seconds(touch.ours[-1])))
    pigz.ours = list(cold)
    umoci.ours = list(cold)
    pigz.note("target ≤ 50 ms; fresh daemon and state dir per run")
    noop.note("the first no-op after the cold build: %s" % fmt_seconds(median(first)))
    touch.note("median Δ over no-op %s" % fmt_seconds(median(deltas)))
    return "Build: small app (pyproject.toml + 2 files, base scratch)", [pigz, umoci, noop, touch]


def python_info(b, python):
    """(X.Y, site-packages dir) of PYTHON, or None when it is missing."""
    if not os.access(python, os.X_OK):
        return None
    _, out = b.run([python, "-c", "import sys, sysconfig; print('%d.%d' % sys.version_info[:2]);"
                    " print(sysconfig.get_paths()['purelib'])"], python + " -c")
    ver, site = out.strip().splitlines()
    return ver, site


def big_fixture(b, ver, site):
    """Outside timing: the venv (a copy of SITE in a --without-pip venv), a copy of SITE
    without __pycache__/*.pyc for the baselines (our venv layer leaves those out, so every
    tool packs the same files), and the project folder."""
    venv = os.path.join(b.tmp, "big-venv")
    progress("making the big venv (a copy of %s)" % site)
    b.run([BIG_PYTHON, "-m", "venv", "--without-pip", venv], "python -m venv")
    vsite = os.path.join(venv, "lib", "python" + ver, "site-packages")
    b.run(["cp", "-a", site + "/.", vsite], "cp -a site-packages")
    tree = os.path.join(b.tmp, "big-tree")
    b.run(["cp", "-a", vsite, tree], "cp -a site-packages (baseline tree)")
    b.run(["find", tree, "-name", "__pycache__", "-type", "d", "-prune", "-exec", "rm", "-rf",
           "{}", "+"], "pruning __pycache__ from the baseline tree")
    b.run(["find", tree, "-name", "*.pyc", "-delete"], "deleting *.pyc from the baseline tree")
    ctx = os.path.join(b.tmp, "big")
    write_app(ctx, "bigapp", 'print("big")\n', ver)
    return venv, vsite, tree, ctx


def section_big(b):
    """Issue 6: an app whose venv is a copy of the machine's big site-packages: cold build on a
    fresh daemon (and the deps:venv layer alone, from the build's events) against the pigz
    pipeline and umoci insert of the same files, no-op rebuild, rebuild after one app file
    changed, and the daemon's peak RSS over the cold build."""
    title = "Build: big app (venv = a copy of the machine's site-packages)"
    info = python_info(b, BIG_PYTHON)
    if info is None:
        return title, [], ("skipped: %s is not on this machine (set PCB_BENCH_PYTHON to "
                           "another interpreter)." % BIG_PYTHON)
    ver, site = info
    venv, vsite, tree, ctx = big_fixture(b, ver, site)
    extra = ["--deps-from-venv", venv, "--python", "/usr/local/bin/python" + ver]
    base = Baselines(b, tree, "/opt/venv/lib/python%s/site-packages" % ver)
    what = "cold build, big app (client to result)"
    pigz, umoci = cold_rows(what, base)
    layer_pigz = Row("cold deps:venv layer alone (event times)", PIGZ_NAME)
    noop = Row("no-op rebuild, big app", "stat walk: find -printf → sha256sum")
    touch = Row("rebuild, 1 app file changed", "no-op rebuild (pcb, same run)")
    rss = Row("daemon peak RSS (VmHWM), cold build", "umoci insert (max RSS)", fmt=fmt_size)
    cold, layer_secs, deltas, pigz_rss, first = [], [], [], [], []
    info = {"reused": [], "layer": None}

    def ours(i):
        d = Daemon(b, "big-%d" % i)
        try:
            secs, job = d.build(ctx, "big:1", extra, "pcb build (big, cold)")
            rss.ours.append(d.peak_rss())
            cold.append(secs)
            layer = find_layer(job, "deps:venv")
            if layer is None:
                raise BenchError("the build has no deps:venv layer: %s"
                                 % [x.get("name") for x in job["result"]["layers"]])
            info["layer"] = layer
            ls = layer_seconds(d.events(job["id"]), "deps:venv")
            if ls is not None:
                layer_secs.append(ls)
            job = rebuilds(i, lambda w: d.build(ctx, "big:1", extra, "pcb build (big, %s)" % w),
                           lambda: write_app(ctx, "bigapp", 'print("big, run %d")\n' % i, ver),
                           lambda: base.stat_walk(venv), noop, touch, deltas, first)
            info["reused"].append(bool(find_layer(job, "deps:venv").get("reused")))
        finally:
            d.close()

    def pigz_run(i):
        if base.have_pigz:
            secs, peak = base.pigz("big-%d" % i)
            pigz.baseline.append(secs)
            layer_pigz.baseline.append(secs)
            pigz_rss.append(peak)

    def umoci_run(i):
        if base.have_umoci:
            secs, peak = base.umoci("big-%d" % i)
            umoci.baseline.append(secs)
            rss.baseline.append(peak)

    for i in range(b.runs):
        for f in rotated([ours, pigz_run, umoci_run], i):
            f(i)
        progress("big app run %d/%d: cold %s (layer %s), no-op %s, changed %s; pigz %s, "
                 "umoci %s" % (i + 1, b.runs, fmt_seconds(cold[-1]),
                               fmt_seconds(layer_secs[-1] if layer_secs else None),
                               fmt_seconds(noop.ours[-1]), fmt_seconds(touch.ours[-1]),
                               fmt_seconds(pigz.baseline[-1] if pigz.baseline else None),
                               fmt_seconds(umoci.baseline[-1] if umoci.baseline else None)))

    layer = info["layer"]
    pigz.ours = list(cold)
    umoci.ours = list(cold)
    layer_pigz.ours = list(layer_secs)
    ours_ratio = ratio_note(layer["size"], layer.get("uncompressed_size"))
    pigz.note("deps:venv %s gzip of %s tar, %d entries, gzip ratio %s; pigz %s of %s, ratio %s"
              % (fmt_bytes(layer["size"]), fmt_size(layer.get("uncompressed_size")),
                 layer.get("entries", 0), ours_ratio, fmt_size(base.pigz_size),
                 fmt_bytes(base.raw), ratio_note(base.pigz_size, base.raw)))
    pigz.note("fresh daemon and state dir per run")
    umoci.note("umoci layer %s, ratio %s" % (fmt_size(base.umoci_size),
                                              ratio_note(base.umoci_size, base.raw)))
    if not layer_secs:
        layer_pigz.note("the build events did not show the layer's progress")
    else:
        lm, um = median(layer_secs), median(umoci.baseline)
        layer_pigz.note("targets ≤ 3.0 s, ≤ 0.5× pigz, ≤ 0.65× umoci")
        if um:
            layer_pigz.note("%.2f× umoci insert" % (lm / um))
    noop.note("deps:venv reused in %d of %d runs" % (sum(info["reused"]), len(info["reused"])))
    noop.note("the first no-op after the cold build: %s" % fmt_seconds(median(first)))
    noop.note("target ≤ 0.2 s")
    touch.note("median Δ over no-op %s (target ≤ 0.1 s)" % fmt_seconds(median(deltas)))
    if pigz_rss:
        rss.note("pigz pipeline's largest process %s" % fmt_bytes(median(pigz_rss)))
    rss.note("fresh daemon per run: the figure is its start + the cold build")
    note = ("Baselines pack %s: the venv's site-packages without `__pycache__`/`*.pyc`, the "
            "files our deps:venv layer holds (%d MB of tar); the no-op baseline walks the "
            "whole venv." % (tree.replace(b.tmp, "$TMP"), base.raw // 1000000))
    return title, [pigz, umoci, layer_pigz, noop, touch, rss], note


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLASK_DISTS = ["flask", "werkzeug", "jinja2", "markupsafe", "click", "itsdangerous", "blinker"]


def wheel_index(b):
    """Outside timing: wheels re-made from the machine's Flask family (tests/lib/wheelfix.py,
    as the tests do: PyPI is out of reach) served as a PEP 503 index on 127.0.0.1. Returns
    (index URL, server process), or (None, reason) when the machine has no Flask to re-make."""
    fix = os.path.join(REPO, "tests", "lib", "wheelfix.py")
    wheels = os.path.join(b.tmp, "wheels")
    r = subprocess.run(["/usr/bin/python3", fix, "make-wheels", "--out", wheels] + FLASK_DISTS,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, env=b.env)
    if r.returncode != 0:
        lines = r.stdout.decode(errors="replace").strip().splitlines()
        return None, "no Flask family to make wheels from (%s)" % (
            lines[-1] if lines else "wheelfix.py make-wheels exited with %d" % r.returncode)
    port_file = os.path.join(b.tmp, "wheel-index.port")
    proc = b.spawn(["/usr/bin/python3", fix, "serve", "--root", wheels, "--port-file",
                    port_file], os.path.join(b.tmp, "wheel-index.log"))
    deadline = time.monotonic() + START_DEADLINE_S
    while not (os.path.exists(port_file) and read_text(port_file).strip()):
        if proc.poll() is not None or time.monotonic() > deadline:
            b.stop(proc)
            raise BenchError("the wheel index did not start: %s" % read_text(
                os.path.join(b.tmp, "wheel-index.log")))
        time.sleep(0.02)
    return "http://127.0.0.1:%s/simple" % read_text(port_file).strip(), proc


def section_reqs(b):
    """A Flask app from requirements.txt ("flask", unpinned), resolved by pip against a
    loopback index: cold build on a fresh daemon (pip download, install, bytecode, pack),
    rebuild with nothing changed (pip's answer remembered), rebuild with --refresh-deps (pip
    again, layers reused); against `pip install --target` (what a Dockerfile's RUN pip
    install does, without packing anything) and `pip download` (the resolution alone: what
    every rebuild paid before the answer was remembered)."""
    title = "Build: Flask app from requirements.txt (pip, wheels, bytecode)"
    url, proc = wheel_index(b)
    if url is None:
        return title, [], "skipped: %s" % proc
    try:
        ctx = os.path.join(b.tmp, "flaskapp")
        shutil.copytree(os.path.join(REPO, "tests", "fixtures", "flaskapp"), ctx)
        req = os.path.join(ctx, "requirements.txt")
        pip = ["/usr/bin/python3", "-m", "pip", "--disable-pip-version-check", "--no-input"]
        cold = Row("cold build (client to result)", "pip install --target (fresh cache)")
        noop = Row("rebuild, nothing changed", "pip download (warm cache)")
        refresh = Row("rebuild with --refresh-deps", "pip download (warm cache)")
        extra = ["--index-url", url]
        info = {"pyc": [], "reused": []}

        def ours(i):
            d = Daemon(b, "reqs-%d" % i)
            try:
                secs, job = d.build(ctx, "flask:1", extra, "pcb build (flask, cold)")
                cold.ours.append(secs)
                secs, job = d.build(ctx, "flask:1", extra, "pcb build (flask, no-op)")
                noop.ours.append(secs)
                info["reused"].append(bool(((job["result"].get("dependencies") or {})
                                            .get("resolution") or {}).get("reused")))
                secs, job = d.build(ctx, "flask:1", extra + ["--refresh-deps"],
                                    "pcb build (flask, --refresh-deps)")
                refresh.ours.append(secs)
            finally:
                d.close()

        def baseline(i):
            tgt = os.path.join(b.tmp, "pip-target-%d" % i)
            cache = os.path.join(b.tmp, "pip-cache-%d" % i)
            secs, _ = b.run(pip + ["install", "--quiet", "--only-binary=:all:", "--cache-dir",
                                   cache, "--target", tgt, "--index-url", url, "-r", req],
                            "pip install --target")
            cold.baseline.append(secs)
            info["pyc"].append(sum(1 for _, _, fs in os.walk(tgt) for f in fs
                                   if f.endswith(".pyc")))
            for row in (noop, refresh):
                dl = os.path.join(b.tmp, "pip-dl-%d" % i)
                secs, _ = b.run(pip + ["download", "--quiet", "--only-binary=:all:",
                                       "--cache-dir", cache, "--dest", dl, "--index-url", url,
                                       "-r", req], "pip download")
                row.baseline.append(secs)
                shutil.rmtree(dl, ignore_errors=True)
            shutil.rmtree(tgt, ignore_errors=True)

        for i in range(b.runs):
            for f in rotated([ours, baseline], i):
                f(i)
            progress("flask app run %d/%d: cold %s, no-op %s, --refresh-deps %s" % (
                i + 1, b.runs, fmt_seconds(cold.ours[-1]), fmt_seconds(noop.ours[-1]),
                fmt_seconds(refresh.ours[-1])))
        cold.note("fresh daemon and state dir per run: pip download, install, bytecode "
                  "compiled, layers packed; pip install compiled %d .pyc" % median(info["pyc"]))
        noop.note("resolution reused in %d of %d runs; no pip run" % (
            sum(info["reused"]), len(info["reused"])))
        refresh.note("pip runs again; every layer reused")
        cold.note("both sides use %s -m pip" % b.env["PCB_PIP_PYTHON"])
    finally:
        b.stop(proc)
    return title, [cold, noop, refresh]


# --- registry cache (issue 16) -------------------------------------------------------------


def section_rcache(b):
    """The Flask app from requirements.txt on a cold runner: a fresh daemon and state dir
    with --cache-from a registry cache that another daemon wrote (outside timing), against
    the same cold build without it (pip download, install, bytecode, pack)."""
    title = "Build: cold runner with a registry cache (Flask app, requirements.txt)"
    url, proc = wheel_index(b)
    if url is None:
        return title, [], "skipped: %s" % proc
    reg = None
    try:
        reg = Registry(b, "rcache")
        ctx = os.path.join(b.tmp, "flaskapp-rcache")
        shutil.copytree(os.path.join(REPO, "tests", "fixtures", "flaskapp"), ctx)
        cache_ref = "%s/cache/flask:bench" % reg.host
        extra = ["--index-url", url]
        writer = Daemon(b, "rcache-writer")
        try:
            _, job = writer.build(ctx, "%s/team/flask:1" % reg.host,
                                  extra + ["--push", "--cache-to", cache_ref],
                                  "pcb build --cache-to (writer)")
            wrote = (job["result"].get("cache") or {}).get("to") or {}
            if not wrote.get("digest"):
                raise BenchError("the writer wrote no cache: %s" % json.dumps(wrote))
        finally:
            writer.close()
        row = Row("cold runner with registry cache", "cold build without it")
        packed = []

        def ours(i):
            d = Daemon(b, "rcache-cold-%d" % i)
            try:
                secs, job = d.build(ctx, "flask:1", extra + ["--cache-from", cache_ref],
                                    "pcb build --cache-from (cold runner)")
                row.ours.append(secs)
                packed.append(sum(1 for l in job["result"]["layers"]
                                  if l.get("name") != "base" and not l.get("reused")))
            finally:
                d.close()

        def baseline(i):
            d = Daemon(b, "rcache-plain-%d" % i)
            try:
                secs, _ = d.build(ctx, "flask:1", extra, "pcb build (cold, no cache)")
                row.baseline.append(secs)
            finally:
                d.close()

        for i in range(b.runs):
            for f in rotated([ours, baseline], i):
                f(i)
            progress("registry cache run %d/%d: cold runner %s, cold build %s" % (
                i + 1, b.runs, fmt_seconds(row.ours[-1]), fmt_seconds(row.baseline[-1])))
        row.note("fresh daemon and state dir each; with the cache: no pip run, %d layers "
                 "packed (median), none downloaded (no output needs the bytes)"
                 % median(packed))
    finally:
        if reg is not None:
            reg.close()
        b.stop(proc)
    return title, [row]


# --- rebase (issue 15) ---------------------------------------------------------------------

REBASE_PAYLOAD = 32 * 1024 * 1024


def section_rebase(b):
    """Issue 15: an app (two .py files and 32 MiB of random bytes, so repacking it costs
    something) built on a base from the host's Python, then put on a second such base (the
    same interpreter with another SOURCE_DATE_EPOCH: other digests, the same Python). Ours:
    `pcb rebase` (each run rebases onto the second base and, untimed, back). Baselines: the
    rebuild a rebase replaces, on the second base, with --no-cache (every layer of ours packed
    again) and with the layer cache warm."""
    title = "Rebase: app with a 32 MiB layer of its own, onto a second host base"
    if not os.access("/usr/bin/python3", os.X_OK):
        return title, [], "skipped: no /usr/bin/python3 for pcb base create --from-host"
    d = Daemon(b, "rebase")
    try:
        for tag, epoch in (("rb1:1", "1700000000"), ("rb2:1", "1700000001")):
            env = dict(b.env, SOURCE_DATE_EPOCH=epoch)
            b.run([b.pcb, "-H", d.host, "base", "create", "--from-host", "--python",
                   "/usr/bin/python3", "-t", tag, "-q"], "pcb base create %s" % tag, env)
        ctx = os.path.join(b.tmp, "rebaseapp")
        write_app(ctx, "rebaseapp", 'print("rebased")\n', python="3.11")
        with open(os.path.join(ctx, "app", "payload.bin"), "wb") as f:
            f.write(os.urandom(REBASE_PAYLOAD))

        def build(base, tag, extra, what):
            argv = [b.pcb, "-H", d.host, "build", ctx, "--base-image", base, "--entrypoint",
                    ENTRYPOINT, "-t", tag, "-q"] + extra
            return b.run(argv, what)[0]

        def rebase(base, what):
            return b.run([b.pcb, "-H", d.host, "rebase", "app:1", "--base", base, "-q"],
                         what)[0]

        build("rb1:1", "app:1", [], "pcb build on the first base")
        cold = Row("rebase onto a new base (pcb rebase)", "rebuild on it, --no-cache")
        warm = Row("rebase onto a new base (pcb rebase)", "rebuild on it, layers cached")
        for i in range(b.runs):
            def ours():
                secs = rebase("rb2:1", "pcb rebase")
                cold.ours.append(secs)
                warm.ours.append(secs)
                rebase("rb1:1", "pcb rebase back")

            def nocache():
                cold.baseline.append(build("rb2:1", "rebuilt:1", ["--no-cache"],
                                           "pcb build --no-cache on the second base"))

            def cached():
                warm.baseline.append(build("rb2:1", "rebuilt:1", [],
                                           "pcb build on the second base"))
            for f in rotated([ours, nocache, cached], i):
                f()
            progress("rebase run %d/%d: rebase %s, --no-cache rebuild %s, cached rebuild %s"
                     % (i + 1, b.runs, fmt_seconds(cold.ours[-1]),
                        fmt_seconds(cold.baseline[-1]), fmt_seconds(warm.baseline[-1])))
        cold.note("2 base layers swapped, ours kept as they are: nothing read or packed")
        warm.note("the rebuild still walks and stats the project")
        return title, [cold, warm]
    finally:
        d.close()


# Each section returns (title, rows) or (title, rows, a note printed under the table).
SECTIONS = [section_small, section_big, section_reqs, section_push, section_rebase,
            section_rcache]
# PCB_BENCH_SECTIONS=big,push (names: small, big, reqs, push, rebase, rcache) runs only those
# sections.
SECTION_NAMES = {"small": section_small, "big": section_big, "reqs": section_reqs,
                 "push": section_push, "rebase": section_rebase, "rcache": section_rcache}


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

    try:
        load = "load average %.1f" % os.getloadavg()[0]
    except OSError:
        load = "load average ?"
    return "%s; %d cores (nproc), %s, Linux %s, %s; %s; %s; %s; %s; %s; %s" % (
        datetime.date.today().isoformat(), os.cpu_count() or 0, cpu, platform.release(), load,
        first_line([b.pcb, "--version"]), first_line(["skopeo", "--version"]),
        first_line(["/usr/bin/docker-registry", "--version"]).replace(
            "/usr/bin/docker-registry github.com/docker/distribution", "docker-registry"),
        first_line(["pigz", "--version"]), first_line(["umoci", "--version"]),
        first_line([BIG_PYTHON, "--version"]))


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
        sections = SECTIONS
        wanted = os.environ.get("PCB_BENCH_SECTIONS", "").strip()
        if wanted:
            unknown = [w for w in wanted.split(",") if w not in SECTION_NAMES]
            if unknown:
                raise BenchError("PCB_BENCH_SECTIONS: unknown section %s (known: %s)" % (
                    ", ".join(unknown), ", ".join(SECTION_NAMES)))
            sections = [SECTION_NAMES[w] for w in wanted.split(",")]
        b.start_daemon()
        tables = [section(b) for section in sections]
        print("\npycontainerd benchmark — %s" % env_note(b))
        print("Push fixture: an app layer of 150 MiB of random bytes plus 2 .py files, built "
              "once in %s (not a measurement)." % fmt_seconds(b.image["build_seconds"])
              if b.image else "")
        for table in tables:
            title, rows, note = (table + (None,))[:3]
            if rows:
                print_table(title, b.runs, rows)
            else:
                print("\n### %s\n" % title)
            if note:
                print("\n" + note)
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
