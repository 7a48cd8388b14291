/* pyscan.h — a small, bounded Python source scanner for discovery: it lexes enough of Python
 * (comments, every string literal form incl. nested f-strings, backslash and bracket line
 * continuations, indentation) to report the statements that say what a module is — imports,
 * `NAME = dotted.callee(…)` assignments, `NAME = dotted.attr` aliases, function definitions,
 * decorators, calls made as statements (`uvicorn.run(app, port=8000)`), the
 * `if __name__ == "__main__":` guard and `os.environ.setdefault("KEY", "value")` calls —
 * without ever being fooled by text inside strings or comments. It does not evaluate
 * anything.
 *
 * Thread-safety: reentrant; a struct pcb_pyscan belongs to its caller. */
#ifndef PCB_PYSCAN_H
#define PCB_PYSCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/* Files larger than this are not scanned (PCB_ETOOBIG). */
#define PCB_PYSCAN_FILE_MAX (2 * 1024 * 1024)
/* At most this many statements are reported per file; the rest are dropped. */
#define PCB_PYSCAN_STMTS_MAX 4096

enum pcb_pystmt_kind {
	PCB_PYSTMT_IMPORT,      /* import <module> [as <alias>]  (one per imported module) */
	PCB_PYSTMT_FROM,        /* from <module> import <name> [as <alias>]  (one per name; module
	                         * keeps its leading dots when relative: ".", "..x"; name "*") */
	PCB_PYSTMT_CALL_ASSIGN, /* <name> [: annotation] = [<name> = …] <callee>(…)  (callee dotted:
	                         * "flask.Flask"; a chained assignment reports its first name) */
	PCB_PYSTMT_DEF,         /* [async] def <name>(…) */
	PCB_PYSTMT_ENV_DEFAULT, /* <…>environ.setdefault(<name>, <value>), both plain string literals */
	PCB_PYSTMT_CALL,        /* <callee>(…)[…] as a statement of its own (callee dotted:
	                         * "uvicorn.run"; `x.y().z()` reports "x.y"); arg: its first
	                         * positional argument when that is a dotted name or a plain
	                         * string literal; value: the keywords given the literal True
	                         * and a port= given a decimal literal, space-separated
	                         * ("debug reload port=8000"), or NULL */
	PCB_PYSTMT_ALIAS,       /* <name> = <dotted.attr> (at least one dot, nothing else: callee
	                         * "app.server") */
	PCB_PYSTMT_DECORATOR,   /* @<callee>[(…)]  (callee dotted: "app.route") */
	PCB_PYSTMT_MAIN_GUARD,  /* if __name__ == "__main__":  (either operand order) */
};

struct pcb_pystmt {
	enum pcb_pystmt_kind kind;
	int line;            /* 1-based physical line where the statement starts */
	bool module_scope;   /* not inside a def or class body (if/try/with blocks are module scope) */
	bool main_guard;     /* inside an `if __name__ == "__main__":` block (or its one-line body) */
	char *module;        /* IMPORT, FROM */
	char *name;          /* FROM: imported name; CALL_ASSIGN, ALIAS: target; DEF: function;
	                      * ENV_DEFAULT: the key */
	char *alias;         /* IMPORT, FROM: the "as" name or NULL */
	char *callee;        /* CALL_ASSIGN, CALL, ALIAS, DECORATOR */
	char *arg;           /* CALL: first positional argument, or NULL */
	char *value;         /* ENV_DEFAULT; CALL: keywords set to True */
	char *text;          /* the statement's first physical line, trimmed, at most 120 bytes */
};

/* Statements in source order (all owned). Embedded: _free. */
struct pcb_pyscan {
	struct pcb_pystmt *v;
	size_t n;
	size_t cap;
	bool truncated;      /* more than PCB_PYSCAN_STMTS_MAX statements */
};

/* Scans Python source text (need not be NUL-terminated). Returns 0, or PCB_EINVAL with the line
 * for source that does not lex (unterminated string, f-string nesting too deep); *out is then
 * empty. A UTF-8 BOM is skipped. */
int pcb_pyscan_text(const char *text, size_t len, struct pcb_pyscan *out, struct pcb_err *err);
/* Reads and scans a file of at most PCB_PYSCAN_FILE_MAX bytes (PCB_ETOOBIG beyond). */
int pcb_pyscan_file(const char *path, struct pcb_pyscan *out, struct pcb_err *err);
void pcb_pyscan_free(struct pcb_pyscan *s);

#endif
