/* wheel.h — wheels (the PyPA binary distribution format, PEP 427 and its successors): file
 * names and compatibility tags, the target an image's Python is, and a native installer that
 * unpacks a wheel into a staging tree laid out like the image (no pip involved).
 *
 * Thread-safety: reentrant; nothing global. */
#ifndef PCB_WHEEL_H
#define PCB_WHEEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/util.h"

/* What the image's interpreter accepts: CPython X.Y on a Linux libc and CPU. */
enum pcb_libc { PCB_LIBC_GLIBC = 0, PCB_LIBC_MUSL };

struct pcb_pytarget {
	int py_major, py_minor;      /* 3, 11 */
	int py_micro;                /* 2 for 3.11.2; -1 when unknown (markers then see X.Y.0) */
	char arch[32];               /* wheel spelling: "x86_64", "aarch64", "armv7l", "i686",
	                              * "ppc64le", "s390x", "riscv64" */
	enum pcb_libc libc;
	int libc_major, libc_minor;  /* glibc 2.36 / musl 1.2 */
};

/* From an OCI platform (os must be "linux"; arch "amd64" → "x86_64", "arm64" → "aarch64",
 * "arm" v7 → "armv7l", "386" → "i686", "ppc64le", "s390x", "riscv64") and a Python version
 * ("3.11"). libc defaults to glibc 2.36 (Debian 12, what python:3.x-slim ships); set the
 * fields afterwards to change it. PCB_EUNSUPPORTED (naming the platform) for anything else. */
int pcb_pytarget_init(struct pcb_pytarget *t, const char *os, const char *arch,
    const char *variant, const char *python_version, struct pcb_err *err);
/* "CPython 3.11, linux x86_64, glibc 2.36" for messages. */
void pcb_pytarget_describe(const struct pcb_pytarget *t, char out[96]);

/* A wheel file name: {distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl, the
 * tag parts expanded at '.' ("cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"). */
struct pcb_wheel_name {
	char *distribution;          /* as written in the file name ("MarkupSafe") */
	char *name;                  /* PEP 503-normalised ("markupsafe") */
	char *version;
	char *build;                 /* NULL when absent */
	struct pcb_strv python;      /* "cp311", "py3", … */
	struct pcb_strv abi;         /* "cp311", "abi3", "none" */
	struct pcb_strv platform;    /* "manylinux_2_17_x86_64", "any", … */
};
/* PCB_EINVAL naming the file when it is not a well-formed wheel name. */
int pcb_wheel_name_parse(const char *filename, struct pcb_wheel_name *out, struct pcb_err *err);
void pcb_wheel_name_free(struct pcb_wheel_name *w);

/* How well the wheel fits the target: -1 when no tag does (then *why, when why != NULL, says
 * what it was built for and what is wanted: "built for cp312 (the image has CPython 3.11)",
 * "built for manylinux_2_17_x86_64 (the image is linux aarch64)", "built for musllinux_1_1
 * (the image has glibc)"), else a score where higher is better (a more specific tag: cp311
 * ABI over abi3 over none, a platform wheel over "any", a newer manylinux over an older one),
 * for choosing among several wheels of one release. Rules: python tags cpXY (X.Y == target),
 * cp3Y with abi3 for Y <= target minor, pyX / pyXY (<= target), abi "none"/"abi3"/"cpXY";
 * platform "any", linux_<arch> (only with libc glibc, accepted: it is what a local build
 * makes), manylinux1/2010/2014 (= glibc 2.5/2.12/2.17), manylinux_X_Y_<arch> (X.Y <= target
 * glibc), musllinux_X_Y_<arch> (musl only, X.Y <= target). */
int pcb_wheel_fit(const struct pcb_wheel_name *w, const struct pcb_pytarget *t, char *why,
    size_t whysz);

/* PEP 503 name normalisation: lower case, runs of "-_." become "-". Caller frees. */
char *pcb_pyname_normalize(const char *name);

/* The member of a JSON/TOML table whose key is the distribution name `norm` (already
 * normalised) once normalised, or NULL (tbl NULL or not an object too); *key_out (may be NULL)
 * the key as written. Borrowed from tbl. */
struct json_object;
struct json_object *pcb_pyname_member(struct json_object *tbl, const char *norm,
    const char **key_out);

/* Where a wheel's parts go, as image paths relative to "/" (a leading slash is ignored; "." and
 * ".." components are refused), and the limits
 * that keep a hostile wheel from hurting the daemon. */
struct pcb_wheel_install_opts {
	const char *staging;     /* host directory standing for the image root: a file for image
	                          * path "opt/venv/bin/flask" is written to staging/opt/venv/bin/flask */
	const char *purelib;     /* "opt/venv/lib/python3.11/site-packages" */
	const char *platlib;     /* the same in a venv */
	const char *scripts;     /* "opt/venv/bin" */
	const char *headers;     /* "opt/venv/include/site/python3.11" (+ "/<distribution>") */
	const char *data;        /* "opt/venv" */
	const char *interpreter; /* absolute image path for launcher shebangs: "/opt/venv/bin/python" */
	const char *installer;   /* written to .dist-info/INSTALLER; NULL = "pycontainerd" */
	uint64_t max_total;      /* cap on the sum of uncompressed sizes; 0 = 4 GiB */
	uint64_t max_files;      /* cap on members; 0 = 200000 */
};

struct pcb_wheel_install_result {
	char *name;              /* normalised distribution name from the .dist-info folder */
	char *version;
	size_t n_files;          /* files written, launchers and RECORD included */
	uint64_t bytes;          /* bytes written */
	struct pcb_strv scripts; /* launcher names written into scripts ("flask") */
};
void pcb_wheel_install_result_free(struct pcb_wheel_install_result *r);

/* Installs the wheel at wheel_path (a zip file) into opts->staging:
 * - the zip is read from its central directory; members are inflated (stored/deflate only)
 *   and each is checked against the size its header states;
 * - refused with PCB_EINVAL and a message naming the wheel and the member: absolute paths,
 *   "..", backslashes or NUL in names, a name that appears twice (also after case-folding
 *   nothing: exact duplicates only), a member over the size caps, a total or a member count
 *   over the caps, a compression ratio over 1000:1 for members over 1 MiB, symlink members,
 *   encrypted members, no or several *.dist-info folders, a .dist-info name that does not
 *   match the file name, a missing or unreadable WHEEL or RECORD, a Wheel-Version major
 *   other than 1;
 * - RECORD hashes (sha256, sha384, sha512; "sha256=<urlsafe b64 nopad>") and sizes are
 *   verified for every member; a member not in RECORD, or in RECORD but missing, fails
 *   (RECORD itself and signatures RECORD.jws / RECORD.p7s excepted);
 * - {name}-{version}.data/{purelib,platlib,scripts,headers,data}/… are moved to their
 *   scheme paths; scripts whose first line is "#!python…" get the interpreter as shebang;
 *   everything else goes to purelib (Root-Is-Purelib true) or platlib;
 * - console_scripts and gui_scripts from entry_points.txt become launchers in scripts
 *   (mode 0755, "#!<interpreter>" then a small Python stub importing module:attr);
 * - the .dist-info gets INSTALLER and a RECORD rewritten for the installed paths (relative to
 *   the lib dir holding the .dist-info, as pip writes them: "../../../bin/flask" from
 *   site-packages), sorted by path, RECORD itself with empty hash and size; a RECORD.jws /
 *   RECORD.p7s (they sign the old RECORD) and an INSTALLER shipped in the wheel are dropped;
 * - the wheel's file name must parse (pcb_wheel_name_parse) and name the .dist-info's project;
 * - the output is deterministic: same wheel and options → byte-identical tree and modes.
 * Files are written 0644 (0755 for scripts and members with an executable bit in the zip);
 * directories 0755. Nothing outside staging is ever written. On failure the caller removes
 * staging (partial output may remain there). */
/* What pip writes as the launcher of a console script whose target is "module:attr" (attr may
 * be dotted; extras in brackets are ignored), interpreter in the shebang. Caller frees; NULL
 * when the target is not module:attr of dotted identifiers. */
char *pcb_wheel_launcher(const char *interpreter, const char *target);
/* "sha256=<urlsafe base64, no padding>" of data, as RECORD lists a file. */
void pcb_wheel_record_hash(const void *data, size_t len, char out[100]);

int pcb_wheel_install(const char *wheel_path, const struct pcb_wheel_install_opts *opts,
    struct pcb_wheel_install_result *res, struct pcb_err *err);

#endif
