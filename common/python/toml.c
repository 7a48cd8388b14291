/* toml.c — a TOML 1.0.0 reader that builds a json-c tree (see toml.h).
 *
 * A single-pass recursive-descent parser over a bounded byte buffer. The whole input is checked
 * for valid UTF-8 first, so the scanners below only need to care about ASCII structure. Every
 * read goes through at()/bounds checks: the input need not be NUL-terminated.
 *
 * The json tree cannot hold how a table came to exist, yet TOML's re-definition rules depend on
 * it, so the parser keeps a side map from each table/array it created to its "kind":
 *   IMPLICIT  created as a parent by a [a.b] header: a later [a] may define it once
 *   EXPLICIT  defined by [header] or an element of [[header]]: never defined again, and dotted
 *             keys from another section may not reach into it
 *   DOTTED    created by dotted keys in section S: extendable by dotted keys of S only, never
 *             defined by a header (headers may still pass through it to sub-tables)
 *   AOT       an array created by [[header]]: the only kind of array [[...]] may append to
 * Anything not in the map (inline tables, arrays written as values) is frozen. */
#include "python/toml.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

enum { K_IMPLICIT = 1, K_EXPLICIT, K_DOTTED, K_AOT };

/* Date/time tags: the address of one of these bytes is the userdata of a tagged string. The
 * bytes are never written; only their addresses matter, so there is nothing to free. */
static const char tag_marks[5];

struct tslot {
	const void *obj;
	unsigned kind;
	unsigned section;
};

struct tmap {
	struct tslot *v;
	size_t cap;   /* power of two */
	size_t n;
};

struct keypath {
	char **part;
	size_t *pos;     /* offset of each part in the input, for source positions */
	size_t n;
	size_t cap;
};

/* Source positions: a tree of the keys defined, one node per key (array elements are keys
 * "0", "1", ...), found through a hash on (parent node, name). Storing each node's own name
 * only, not its full path, keeps the memory linear in the input whatever the nesting. */
struct lnode {
	size_t parent;
	size_t name_off;     /* into names */
	size_t name_len;
	int line;            /* 0 until the key is recorded */
	int col;
};

struct pcb_toml_locs {
	struct lnode *node;  /* node[0] is the root table */
	size_t n;
	size_t cap;
	char *names;         /* every node's name, back to back, not NUL-terminated */
	size_t names_len;
	size_t names_cap;
	size_t *slot;        /* open addressing on node indices; 0 = empty (the root is no child) */
	size_t slot_cap;     /* power of two */
};

struct tp {
	const char *s;
	size_t len;
	size_t i;
	const char *name;
	struct pcb_err *err;
	bool failed;
	json_object *root;
	json_object *cur;       /* table receiving key/values of the current section */
	int cur_depth;
	unsigned section;       /* id of the current section (header or inline table) */
	unsigned nsections;
	struct tmap map;
	struct pcb_buf str;     /* scratch for string bodies */
	/* Positions, only when asked for (locs != NULL): node of the current section, and a
	 * cursor turning offsets into line/column without rescanning from the start. */
	struct pcb_toml_locs *locs;
	size_t loc_cur;
	size_t lscan;           /* offset up to which lines and columns are counted */
	size_t lbol;            /* start of the line holding lscan */
	int lline;
	int lcol;               /* column at lscan */
};

/* ---- side map ---------------------------------------------------------------------------- */

static size_t
map_hash(const void *p, size_t cap)
{
	uint64_t h = (uint64_t)(uintptr_t)p;

	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	return (size_t)h & (cap - 1);
}

static struct tslot *
map_get(struct tp *p, const void *obj)
{
	size_t h;

	if (p->map.cap == 0)
		return NULL;
	for (h = map_hash(obj, p->map.cap);; h = (h + 1) & (p->map.cap - 1)) {
		if (p->map.v[h].obj == obj)
			return &p->map.v[h];
		if (p->map.v[h].obj == NULL)
			return NULL;
	}
}

static void
map_put(struct tp *p, const void *obj, unsigned kind, unsigned section)
{
	struct tslot *s;
	size_t h;

	if ((p->map.n + 1) * 2 > p->map.cap) {
		struct tmap old = p->map;
		size_t k;

		p->map.cap = old.cap ? old.cap * 2 : 64;
		p->map.v = pcb_xcalloc(p->map.cap, sizeof *p->map.v);
		p->map.n = 0;
		for (k = 0; k < old.cap; k++)
			if (old.v[k].obj != NULL)
				map_put(p, old.v[k].obj, old.v[k].kind, old.v[k].section);
		free(old.v);
	}
	s = map_get(p, obj);
	if (s == NULL) {
		for (h = map_hash(obj, p->map.cap); p->map.v[h].obj != NULL;
		    h = (h + 1) & (p->map.cap - 1))
			;
		s = &p->map.v[h];
		s->obj = obj;
		p->map.n++;
	}
	s->kind = kind;
	s->section = section;
}

/* ---- key paths --------------------------------------------------------------------------- */

static void
kp_push(struct keypath *kp, char *s, size_t pos)
{
	if (kp->n == kp->cap) {
		kp->cap = kp->cap ? kp->cap * 2 : 8;
		kp->part = pcb_xrealloc(kp->part, kp->cap * sizeof *kp->part);
		kp->pos = pcb_xrealloc(kp->pos, kp->cap * sizeof *kp->pos);
	}
	kp->pos[kp->n] = pos;
	kp->part[kp->n++] = s;
}

static void
kp_free(struct keypath *kp)
{
	size_t k;

	for (k = 0; k < kp->n; k++)
		free(kp->part[k]);
	free(kp->part);
	free(kp->pos);
	kp->part = NULL;
	kp->pos = NULL;
	kp->n = kp->cap = 0;
}

static bool
is_bare(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '-';
}

/* Appends key part s to out as TOML would write it: bare when it can be, else as a basic string
 * with '"', '\\' and control characters escaped (U+0000, stored as PCB_TOML_KEY_NUL, too).
 * False when out grew past limit bytes (out then holds a truncated form). */
static bool
key_show(struct pcb_buf *out, const char *s, size_t limit)
{
	bool bare = s[0] != '\0';
	size_t j;

	for (j = 0; s[j] != '\0'; j++)
		if (!is_bare((unsigned char)s[j]))
			bare = false;
	if (bare) {
		if (j > limit)
			return false;
		(void)pcb_buf_append(out, s, j);
		return out->len <= limit;
	}
	(void)pcb_buf_append(out, "\"", 1);
	for (j = 0; s[j] != '\0'; j++) {
		unsigned char c = (unsigned char)s[j];

		if (out->len > limit)
			return false;
		if (c == 0xc0 && (unsigned char)s[j + 1] == 0x80) {
			(void)pcb_buf_append(out, "\\u0000", 6);
			j++;
		} else if (c == '"' || c == '\\')
			(void)pcb_buf_appendf(out, "\\%c", c);
		else if (c == '\t')
			(void)pcb_buf_append(out, "\\t", 2);
		else if (c == '\n')
			(void)pcb_buf_append(out, "\\n", 2);
		else if (c < 0x20 || c == 0x7f)
			(void)pcb_buf_appendf(out, "\\u%04X", c);
		else
			(void)pcb_buf_append(out, s + j, 1);
	}
	(void)pcb_buf_append(out, "\"", 1);
	return out->len <= limit;
}

/* The first `upto` parts as TOML would write them, for messages. Truncated to size at a part
 * boundary. */
static const char *
kp_show(const struct keypath *kp, size_t upto, char *buf, size_t size)
{
	struct pcb_buf part;
	size_t k, o = 0;

	buf[0] = '\0';
	/* Room for the limit plus the longest single step of key_show. */
	pcb_buf_init(&part, size + 16);
	for (k = 0; k < upto && k < kp->n; k++) {
		part.len = 0;
		if (k > 0)
			(void)pcb_buf_append(&part, ".", 1);
		if (!key_show(&part, kp->part[k], size) || part.len >= size - o)
			break;
		memcpy(buf + o, part.data, part.len);
		o += part.len;
		buf[o] = '\0';
	}
	pcb_buf_free(&part);
	return buf;
}

/* ---- source positions --------------------------------------------------------------------- */

static size_t
loc_hash(size_t parent, const char *name, size_t len)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325) ^ ((uint64_t)parent * UINT64_C(0x9e3779b97f4a7c15));
	size_t k;

	for (k = 0; k < len; k++) {
		h ^= (unsigned char)name[k];
		h *= UINT64_C(0x100000001b3);
	}
	h ^= h >> 29;
	return (size_t)h;
}

static bool
loc_is(const struct pcb_toml_locs *l, size_t idx, size_t parent, const char *name, size_t len)
{
	const struct lnode *nd = &l->node[idx];

	return nd->parent == parent && nd->name_len == len &&
	    memcmp(l->names + nd->name_off, name, len) == 0;
}

/* The child `name` of node `parent`, or 0 when there is none. */
static size_t
loc_find(const struct pcb_toml_locs *l, size_t parent, const char *name, size_t len)
{
	size_t h;

	if (l->slot_cap == 0)
		return 0;
	for (h = loc_hash(parent, name, len) & (l->slot_cap - 1); l->slot[h] != 0;
	    h = (h + 1) & (l->slot_cap - 1))
		if (loc_is(l, l->slot[h], parent, name, len))
			return l->slot[h];
	return 0;
}

static void
loc_slot_insert(struct pcb_toml_locs *l, size_t idx)
{
	const struct lnode *nd = &l->node[idx];
	size_t h;

	for (h = loc_hash(nd->parent, l->names + nd->name_off, nd->name_len) & (l->slot_cap - 1);
	    l->slot[h] != 0; h = (h + 1) & (l->slot_cap - 1))
		;
	l->slot[h] = idx;
}

static size_t
loc_add(struct pcb_toml_locs *l, size_t parent, const char *name, size_t len)
{
	struct lnode *nd;
	size_t k;

	if (l->n == l->cap) {
		l->cap *= 2;
		l->node = pcb_xrealloc(l->node, l->cap * sizeof *l->node);
	}
	if (l->names_cap - l->names_len < len) {
		while (l->names_cap - l->names_len < len)
			l->names_cap *= 2;
		l->names = pcb_xrealloc(l->names, l->names_cap);
	}
	nd = &l->node[l->n];
	nd->parent = parent;
	nd->name_off = l->names_len;
	nd->name_len = len;
	nd->line = nd->col = 0;
	memcpy(l->names + l->names_len, name, len);
	l->names_len += len;
	l->n++;
	if (l->n * 2 > l->slot_cap) {
		free(l->slot);
		l->slot_cap = l->slot_cap ? l->slot_cap * 2 : 64;
		l->slot = pcb_xcalloc(l->slot_cap, sizeof *l->slot);
		for (k = 1; k < l->n; k++)
			loc_slot_insert(l, k);
	} else
		loc_slot_insert(l, l->n - 1);
	return l->n - 1;
}

static struct pcb_toml_locs *
loc_create(void)
{
	struct pcb_toml_locs *l = pcb_xcalloc(1, sizeof *l);

	l->cap = 64;
	l->node = pcb_xcalloc(l->cap, sizeof *l->node);
	l->names_cap = 256;
	l->names = pcb_xmalloc(l->names_cap);
	l->n = 1;   /* the root */
	return l;
}

/* Line and column (characters, as fail_at counts them) of offset pos. Offsets come mostly in
 * increasing order, so the cursor only moves forward; a step back within the current line
 * recounts that line, and one further back (never done today) restarts from the top. */
static void
loc_where(struct tp *p, size_t pos, int *line, int *col)
{
	size_t k;

	if (pos > p->len)
		pos = p->len;
	if (pos < p->lbol || p->lline == 0) {
		p->lscan = p->lbol = 0;
		p->lline = p->lcol = 1;
	} else if (pos < p->lscan) {
		p->lscan = p->lbol;
		p->lcol = 1;
	}
	for (k = p->lscan; k < pos; k++) {
		if (p->s[k] == '\n') {
			p->lline++;
			p->lcol = 1;
			p->lbol = k + 1;
		} else if (((unsigned char)p->s[k] & 0xc0) != 0x80)
			p->lcol++;
	}
	p->lscan = pos;
	*line = p->lline;
	*col = p->lcol;
}

/* Records that key `name` under node `parent` is written at offset pos, and returns its node.
 * A key seen before keeps its first position unless `define` says this is where it is
 * defined (the last part of a key or of a [table] header). Does nothing without p->locs. */
static size_t
loc_key(struct tp *p, size_t parent, const char *name, size_t len, size_t pos, bool define)
{
	size_t idx;

	if (p->locs == NULL)
		return 0;
	idx = loc_find(p->locs, parent, name, len);
	if (idx == 0)
		idx = loc_add(p->locs, parent, name, len);
	if (define || p->locs->node[idx].line == 0)
		loc_where(p, pos, &p->locs->node[idx].line, &p->locs->node[idx].col);
	return idx;
}

/* The same for an array element, named by its index. */
static size_t
loc_index(struct tp *p, size_t parent, size_t index, size_t pos, bool define)
{
	char num[24];
	int n;

	if (p->locs == NULL)
		return 0;
	n = snprintf(num, sizeof num, "%zu", index);
	return loc_key(p, parent, num, (size_t)n, pos, define);
}

/* ---- errors and low-level scanning -------------------------------------------------------- */

static int
fail_at(struct tp *p, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
fail_at(struct tp *p, size_t pos, const char *fmt, ...)
{
	char what[768];
	size_t line = 1, col = 1, k, bol = 0;
	va_list ap;

	if (p->failed)
		return PCB_EINVAL;
	p->failed = true;
	if (pos > p->len)
		pos = p->len;
	for (k = 0; k < pos; k++)
		if (p->s[k] == '\n') {
			line++;
			bol = k + 1;
		}
	/* Columns count characters, not bytes, so they match what an editor shows. */
	for (k = bol; k < pos; k++)
		if (((unsigned char)p->s[k] & 0xc0) != 0x80)
			col++;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (p->name != NULL)
		return pcb_err_set(p->err, PCB_EINVAL, "%s: line %zu, column %zu: %s", p->name, line,
		    col, what);
	return pcb_err_set(p->err, PCB_EINVAL, "line %zu, column %zu: %s", line, col, what);
}

static int
at(const struct tp *p, size_t off)
{
	if (p->i + off >= p->len || p->i + off < p->i)
		return -1;
	return (unsigned char)p->s[p->i + off];
}

/* A readable name for the character at offset off, for "expected X, found Y" messages. */
static const char *
show_char(const struct tp *p, size_t off, char buf[16])
{
	int c = at(p, off);

	if (c < 0)
		return "end of file";
	if (c == '\n' || (c == '\r' && at(p, off + 1) == '\n'))
		return "end of line";
	if (c >= 0x21 && c < 0x7f)
		snprintf(buf, 16, "'%c'", c);
	else if (c == ' ')
		return "a space";
	else if (c == '\t')
		return "a tab";
	else if (c < 0x80)
		snprintf(buf, 16, "U+%04X", (unsigned)c);
	else
		return "a non-ASCII character";
	return buf;
}

static void
skip_ws(struct tp *p)
{
	int c;

	while ((c = at(p, 0)) == ' ' || c == '\t')
		p->i++;
}

/* Length of the newline at the cursor (1 for LF, 2 for CRLF) or 0. */
static size_t
newline_len(const struct tp *p)
{
	int c = at(p, 0);

	if (c == '\n')
		return 1;
	if (c == '\r' && at(p, 1) == '\n')
		return 2;
	return 0;
}

/* Characters that may never appear raw: controls other than tab, and DEL. */
static bool
is_forbidden_ctl(int c)
{
	return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

/* Skips a comment if the cursor is on '#', up to (not including) the end of the line. */
static int
skip_comment(struct tp *p)
{
	int c;

	if (at(p, 0) != '#')
		return 0;
	for (p->i++; (c = at(p, 0)) >= 0; p->i++) {
		if (newline_len(p))
			break;
		if (c == '\r')
			return fail_at(p, p->i, "carriage return not followed by a line feed");
		if (is_forbidden_ctl(c))
			return fail_at(p, p->i, "control character U+%04X is not allowed in a comment",
			    (unsigned)c);
	}
	return 0;
}

/* After a key/value or header: optional whitespace and comment, then a newline or the end. */
static int
end_of_line(struct tp *p, const char *after)
{
	char cb[16];
	size_t nl;

	skip_ws(p);
	if (skip_comment(p) != 0)
		return PCB_EINVAL;
	if (at(p, 0) < 0)
		return 0;
	nl = newline_len(p);
	if (nl == 0) {
		if (at(p, 0) == '\r')
			return fail_at(p, p->i, "carriage return not followed by a line feed");
		return fail_at(p, p->i, "expected the end of the line after %s, found %s", after,
		    show_char(p, 0, cb));
	}
	p->i += nl;
	return 0;
}

/* Whitespace, comments and newlines, as allowed between array elements. */
static int
skip_wcn(struct tp *p)
{
	for (;;) {
		size_t nl;

		skip_ws(p);
		if (skip_comment(p) != 0)
			return PCB_EINVAL;
		nl = newline_len(p);
		if (nl == 0) {
			if (at(p, 0) == '\r')
				return fail_at(p, p->i, "carriage return not followed by a line feed");
			return 0;
		}
		p->i += nl;
	}
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Offset of the first byte that is not part of valid UTF-8 (no overlongs, no surrogates, at most
 * U+10FFFF), or n when all is well. */
static size_t
utf8_check(const unsigned char *s, size_t n)
{
	size_t k = 0;

	while (k < n) {
		unsigned c = s[k], need, lo = 0x80, hi = 0xbf, j;

		if (c < 0x80) {
			k++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else
			return k;
		if (n - k <= need)
			return k;
		for (j = 1; j <= need; j++) {
			unsigned d = s[k + j];

			if (j == 1 ? (d < lo || d > hi) : (d < 0x80 || d > 0xbf))
				return k;
		}
		k += need + 1;
	}
	return n;
}

static void
put_utf8(struct pcb_buf *b, uint32_t cp)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	(void)pcb_buf_append(b, u, n); /* cannot exceed max: output is never longer than input */
}

/* ---- strings ------------------------------------------------------------------------------ */

static void
str_reset(struct tp *p)
{
	p->str.len = 0;
	if (p->str.data != NULL)
		p->str.data[0] = '\0';
}

/* At a delimiter character q (a quotation mark or an apostrophe) inside a string: a single-line
 * string ends here; in a multi-line one, a run of one or two is content, three to five close the
 * string (the first up to two being content). Returns 0 when the string ended, 1 to go on, or
 * the parse error. */
static int
string_quotes(struct tp *p, char q, bool ml)
{
	const char *pair = q == '"' ? "\"\"" : "''";
	size_t n = 0;

	if (!ml) {
		p->i++;
		return 0;
	}
	while (at(p, n) == q)
		n++;
	if (n < 3) {
		(void)pcb_buf_append(&p->str, pair, n);
		p->i += n;
		return 1;
	}
	if (n > 5)
		return q == '"' ?
		    fail_at(p, p->i + 5, "too many quotation marks at the end of a multi-line string "
		    "(at most two may precede the closing \"\"\")") :
		    fail_at(p, p->i + 5, "too many apostrophes at the end of a multi-line literal "
		    "string (at most two may precede the closing ''')");
	(void)pcb_buf_append(&p->str, pair, n - 3);
	p->i += n;
	return 0;
}

/* A basic string ("..." or """...""") at the cursor into p->str. */
static int
parse_basic(struct tp *p, bool ml)
{
	size_t start = p->i;
	int c;

	str_reset(p);
	p->i += ml ? 3 : 1;
	if (ml)
		p->i += newline_len(p);   /* a newline right after the opening delimiter is trimmed */
	for (;;) {
		c = at(p, 0);
		if (c < 0)
			return fail_at(p, start, "string is not closed before the end of the file");
		if (c == '"') {
			int r = string_quotes(p, '"', ml);
			if (r <= 0)
				return r;
			continue;
		}
		if (c == '\\') {
			int d = at(p, 1);
			uint32_t cp = 0;
			int nd = 0, k;
			char e = 0;

			switch (d) {
			case 'b': e = '\b'; break;
			case 't': e = '\t'; break;
			case 'n': e = '\n'; break;
			case 'f': e = '\f'; break;
			case 'r': e = '\r'; break;
			case '"': e = '"'; break;
			case '\\': e = '\\'; break;
			case 'u': nd = 4; break;
			case 'U': nd = 8; break;
			default: break;
			}
			if (e != 0) {
				(void)pcb_buf_append(&p->str, &e, 1);
				p->i += 2;
				continue;
			}
			if (nd > 0) {
				for (k = 0; k < nd; k++) {
					int h = hexval(at(p, 2 + (size_t)k));

					if (h < 0)
						return fail_at(p, p->i, "\\%c needs exactly %d hex digits",
						    d, nd);
					cp = cp * 16 + (uint32_t)h;
				}
				if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
					return fail_at(p, p->i, "\\%c%0*" PRIX32 " is not a Unicode "
					    "scalar value", d, nd, cp);
				put_utf8(&p->str, cp);
				p->i += 2 + (size_t)nd;
				continue;
			}
			if (ml && (d == ' ' || d == '\t' || d == '\n' || d == '\r')) {
				/* Line-ending backslash: only whitespace may follow it on its line, then
				 * all whitespace and newlines up to the next other character go. */
				size_t bs = p->i;

				p->i++;
				skip_ws(p);
				if (newline_len(p) == 0)
					return fail_at(p, bs, "a backslash followed by whitespace must end "
					    "the line in a multi-line string");
				for (;;) {
					size_t nl;

					skip_ws(p);
					nl = newline_len(p);
					if (nl == 0)
						break;
					p->i += nl;
				}
				continue;
			}
			if (d < 0)
				return fail_at(p, start, "string is not closed before the end of the file");
			if (d > 0x20 && d < 0x7f)
				return fail_at(p, p->i, "invalid escape sequence \\%c", d);
			if (d == ' ' || d == '\t' || d == '\n' || d == '\r')
				return fail_at(p, p->i, "a backslash at the end of a line (or before "
				    "whitespace) is only allowed in multi-line strings");
			return fail_at(p, p->i, "invalid escape sequence (backslash followed by a "
			    "control or non-ASCII character)");
		}
		if (c == '\n' || c == '\r') {
			size_t nl = newline_len(p);

			if (!ml)
				return fail_at(p, nl ? start : p->i, nl ? "string is not closed before "
				    "the end of the line" : "carriage return not followed by a line feed");
			if (nl == 0)
				return fail_at(p, p->i, "carriage return not followed by a line feed");
			(void)pcb_buf_append(&p->str, "\n", 1);  /* CRLF is stored as LF */
			p->i += nl;
			continue;
		}
		if (is_forbidden_ctl(c))
			return fail_at(p, p->i, "control character U+%04X must be escaped in a string",
			    (unsigned)c);
		{
			/* A run of ordinary bytes in one append. */
			size_t n = 1;

			while (p->i + n < p->len) {
				int x = (unsigned char)p->s[p->i + n];

				if (x == '"' || x == '\\' || x == '\n' || x == '\r' || is_forbidden_ctl(x))
					break;
				n++;
			}
			(void)pcb_buf_append(&p->str, p->s + p->i, n);
			p->i += n;
		}
	}
}

/* A literal string ('...' or '''...''') at the cursor into p->str. */
static int
parse_literal(struct tp *p, bool ml)
{
	size_t start = p->i;
	int c;

	str_reset(p);
	p->i += ml ? 3 : 1;
	if (ml)
		p->i += newline_len(p);
	for (;;) {
		c = at(p, 0);
		if (c < 0)
			return fail_at(p, start, "string is not closed before the end of the file");
		if (c == '\'') {
			int r = string_quotes(p, '\'', ml);
			if (r <= 0)
				return r;
			continue;
		}
		if (c == '\n' || c == '\r') {
			size_t nl = newline_len(p);

			if (!ml)
				return fail_at(p, nl ? start : p->i, nl ? "string is not closed before "
				    "the end of the line" : "carriage return not followed by a line feed");
			if (nl == 0)
				return fail_at(p, p->i, "carriage return not followed by a line feed");
			(void)pcb_buf_append(&p->str, "\n", 1);
			p->i += nl;
			continue;
		}
		if (is_forbidden_ctl(c))
			return fail_at(p, p->i, "control character U+%04X is not allowed in a literal "
			    "string", (unsigned)c);
		{
			size_t n = 1;

			while (p->i + n < p->len) {
				int x = (unsigned char)p->s[p->i + n];

				if (x == '\'' || x == '\n' || x == '\r' || is_forbidden_ctl(x))
					break;
				n++;
			}
			(void)pcb_buf_append(&p->str, p->s + p->i, n);
			p->i += n;
		}
	}
}

/* ---- keys --------------------------------------------------------------------------------- */

static int
parse_simple_key(struct tp *p, char **out)
{
	size_t start = p->i;
	char cb[16];
	int c = at(p, 0), rc;

	if (c == '"' || c == '\'') {
		rc = c == '"' ? parse_basic(p, false) : parse_literal(p, false);
		if (rc != 0)
			return rc;
		/* json-c keys are C strings: U+0000 is kept as PCB_TOML_KEY_NUL (toml.h). */
		*out = pcb_toml_key_encode(p->str.data ? p->str.data : "", p->str.len);
		return 0;
	}
	if (!is_bare(c))
		return fail_at(p, p->i, "expected a key, found %s", show_char(p, 0, cb));
	while (is_bare(at(p, 0)))
		p->i++;
	*out = pcb_xstrndup(p->s + start, p->i - start);
	return 0;
}

/* A dotted key. Leaves the cursor right after the last part. */
static int
parse_key(struct tp *p, struct keypath *kp)
{
	for (;;) {
		char *part = NULL;
		size_t save, pos = p->i;

		if (parse_simple_key(p, &part) != 0)
			return PCB_EINVAL;
		kp_push(kp, part, pos);
		if (kp->n > PCB_TOML_MAX_DEPTH)
			return fail_at(p, p->i, "key has more than %d parts", PCB_TOML_MAX_DEPTH);
		save = p->i;
		skip_ws(p);
		if (at(p, 0) != '.') {
			p->i = save;
			return 0;
		}
		p->i++;
		skip_ws(p);
	}
}

/* ---- numbers and dates -------------------------------------------------------------------- */

/* Checks digits with single underscores between them: s[0..n) all matching `ok`. */
static bool
digits_ok(const char *s, size_t n, int (*val)(int), int base)
{
	size_t k;

	if (n == 0 || s[0] == '_' || s[n - 1] == '_')
		return false;
	for (k = 0; k < n; k++) {
		if (s[k] == '_') {
			if (s[k + 1] == '_')
				return false;
			continue;
		}
		if (val((unsigned char)s[k]) < 0 || val((unsigned char)s[k]) >= base)
			return false;
	}
	return true;
}

static int
decval(int c)
{
	return is_digit(c) ? c - '0' : -1;
}

static int
parse_number(struct tp *p, json_object **out)
{
	size_t start = p->i, n, k, ip_end, j;
	const char *t = p->s + start;
	bool neg = false, is_float = false;
	char show[48];
	int c;

	while ((c = at(p, 0)) >= 0 && (is_bare(c) || c == '+' || c == '.'))
		p->i++;
	n = p->i - start;
	snprintf(show, sizeof show, "%.*s%s", (int)(n > 40 ? 40 : n), t, n > 40 ? "…" : "");
	k = 0;
	if (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-';
		k = 1;
	}
	if (n - k == 3 && (memcmp(t + k, "inf", 3) == 0 || memcmp(t + k, "nan", 3) == 0)) {
		double v = t[k] == 'i' ? INFINITY : NAN;

		*out = json_object_new_double(neg ? -v : v);
		return 0;
	}
	if (n - k >= 2 && t[k] == '0' && (t[k + 1] == 'x' || t[k + 1] == 'o' || t[k + 1] == 'b')) {
		int base = t[k + 1] == 'x' ? 16 : t[k + 1] == 'o' ? 8 : 2;
		uint64_t v = 0;

		if (k != 0)
			return fail_at(p, start, "a sign is not allowed on a hexadecimal, octal or "
			    "binary integer: %s", show);
		if (!digits_ok(t + 2, n - 2, hexval, base))
			return fail_at(p, start, "invalid base-%d integer %s", base, show);
		for (j = 2; j < n; j++) {
			if (t[j] == '_')
				continue;
			if (v > (UINT64_C(0x7fffffffffffffff) - (uint64_t)hexval(t[j])) / (uint64_t)base)
				return fail_at(p, start, "integer %s does not fit in 64 bits", show);
			v = v * (uint64_t)base + (uint64_t)hexval(t[j]);
		}
		*out = json_object_new_int64((int64_t)v);
		return 0;
	}
	/* Decimal: integer part, then optional fraction and exponent. */
	ip_end = k;
	while (ip_end < n && (is_digit(t[ip_end]) || t[ip_end] == '_'))
		ip_end++;
	if (ip_end == k)
		return fail_at(p, start, "invalid number %s", show);
	if (!digits_ok(t + k, ip_end - k, decval, 10))
		return fail_at(p, start, "invalid number %s (underscores must sit between digits)",
		    show);
	if (t[k] == '0' && ip_end - k > 1)
		return fail_at(p, start, "leading zeros are not allowed: %s", show);
	j = ip_end;
	if (j < n && t[j] == '.') {
		size_t f = ++j;

		while (j < n && (is_digit(t[j]) || t[j] == '_'))
			j++;
		if (!digits_ok(t + f, j - f, decval, 10))
			return fail_at(p, start, "invalid float %s (the decimal point must be "
			    "followed by digits)", show);
		is_float = true;
	}
	if (j < n && (t[j] == 'e' || t[j] == 'E')) {
		size_t f;

		j++;
		if (j < n && (t[j] == '+' || t[j] == '-'))
			j++;
		f = j;
		while (j < n && (is_digit(t[j]) || t[j] == '_'))
			j++;
		if (!digits_ok(t + f, j - f, decval, 10))
			return fail_at(p, start, "invalid float %s (bad exponent)", show);
		is_float = true;
	}
	if (j != n)
		return fail_at(p, start, "invalid number %s", show);
	if (is_float) {
		char *buf = pcb_xmalloc(n + 1), *end;
		size_t o = 0;
		double v;

		for (j = 0; j < n; j++)
			if (t[j] != '_')
				buf[o++] = t[j];
		buf[o] = '\0';
		errno = 0;
		v = strtod(buf, &end);
		free(buf);
		if (errno == ERANGE && isinf(v))
			return fail_at(p, start, "float %s is out of range", show);
		*out = json_object_new_double(v);
		return 0;
	}
	{
		uint64_t v = 0, lim = neg ? UINT64_C(0x8000000000000000) : UINT64_C(0x7fffffffffffffff);

		for (j = k; j < n; j++) {
			if (t[j] == '_')
				continue;
			if (v > (lim - (uint64_t)(t[j] - '0')) / 10)
				return fail_at(p, start, "integer %s does not fit in 64 bits", show);
			v = v * 10 + (uint64_t)(t[j] - '0');
		}
		*out = json_object_new_int64(neg ? (int64_t)(0 - v) : (int64_t)v);
		return 0;
	}
}

static bool
ndigits(const struct tp *p, size_t off, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (!is_digit(at(p, off + k)))
			return false;
	return true;
}

static int
num_at(const struct tp *p, size_t off, size_t n)
{
	int v = 0;
	size_t k;

	for (k = 0; k < n; k++)
		v = v * 10 + (at(p, off + k) - '0');
	return v;
}

/* HH:MM:SS[.fraction] at the cursor. */
static int
parse_time(struct tp *p)
{
	size_t start = p->i;

	if (!ndigits(p, 0, 2) || at(p, 2) != ':' || !ndigits(p, 3, 2))
		return fail_at(p, start, "malformed time (expected HH:MM:SS)");
	if (at(p, 5) != ':' || !ndigits(p, 6, 2))
		return fail_at(p, start, "malformed time: seconds are required (HH:MM:SS)");
	if (num_at(p, 0, 2) > 23)
		return fail_at(p, start, "hour %02d is out of range", num_at(p, 0, 2));
	if (num_at(p, 3, 2) > 59)
		return fail_at(p, start + 3, "minute %02d is out of range", num_at(p, 3, 2));
	if (num_at(p, 6, 2) > 59)
		return fail_at(p, start + 6, "second %02d is out of range", num_at(p, 6, 2));
	p->i += 8;
	if (at(p, 0) == '.') {
		if (!is_digit(at(p, 1)))
			return fail_at(p, p->i, "a decimal point in a time must be followed by digits");
		p->i++;
		while (is_digit(at(p, 0)))
			p->i++;
	}
	if (is_digit(at(p, 0)))
		return fail_at(p, p->i, "malformed time");
	return 0;
}

static int
parse_datetime(struct tp *p, json_object **out)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	size_t start = p->i, sep = 0;
	enum pcb_toml_type kind;
	json_object *v;
	char *text;

	if (ndigits(p, 0, 4) && at(p, 4) == '-') {
		int y, m, d, dim;
		int c;

		if (!ndigits(p, 5, 2) || at(p, 7) != '-' || !ndigits(p, 8, 2) || is_digit(at(p, 10)))
			return fail_at(p, start, "malformed date (expected YYYY-MM-DD)");
		y = num_at(p, 0, 4);
		m = num_at(p, 5, 2);
		d = num_at(p, 8, 2);
		if (m < 1 || m > 12)
			return fail_at(p, start + 5, "month %02d is out of range", m);
		dim = mdays[m - 1];
		if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
			dim = 29;
		if (d < 1 || d > dim)
			return fail_at(p, start + 8, "day %02d is out of range for %04d-%02d", d, y, m);
		p->i += 10;
		c = at(p, 0);
		if (c == 'T' || c == 't' || (c == ' ' && ndigits(p, 1, 2) && at(p, 3) == ':')) {
			sep = p->i - start;
			p->i++;
			if (parse_time(p) != 0)
				return PCB_EINVAL;
			c = at(p, 0);
			if (c == 'Z' || c == 'z') {
				p->i++;
				kind = PCB_TOML_DATETIME;
			} else if (c == '+' || c == '-') {
				if (!ndigits(p, 1, 2) || at(p, 3) != ':' || !ndigits(p, 4, 2))
					return fail_at(p, p->i, "malformed time offset (expected +HH:MM)");
				if (num_at(p, 1, 2) > 23 || num_at(p, 4, 2) > 59)
					return fail_at(p, p->i, "time offset out of range");
				p->i += 6;
				kind = PCB_TOML_DATETIME;
			} else
				kind = PCB_TOML_DATETIME_LOCAL;
		} else
			kind = PCB_TOML_DATE_LOCAL;
	} else {
		if (parse_time(p) != 0)
			return PCB_EINVAL;
		kind = PCB_TOML_TIME_LOCAL;
	}
	if (is_bare(at(p, 0)) || at(p, 0) == ':' || at(p, 0) == '.' || at(p, 0) == '+')
		return fail_at(p, start, "malformed date or time");
	text = pcb_xstrndup(p->s + start, p->i - start);
	if (sep != 0)
		text[sep] = 'T';
	v = json_object_new_string_len(text, (int)(p->i - start));
	free(text);
	json_object_set_userdata(v, (void *)&tag_marks[kind], NULL);
	*out = v;
	return 0;
}

/* ---- values ------------------------------------------------------------------------------- */

/* `node` is the position node of the key receiving the value (0 when positions are off). */
static int parse_value(struct tp *p, int depth, size_t node, json_object **out);
static int parse_keyval(struct tp *p, json_object *tbl, size_t node, int depth);

static int
parse_array(struct tp *p, int depth, size_t node, json_object **out)
{
	json_object *arr;
	char cb[16];
	int rc = 0;

	if (depth > PCB_TOML_MAX_DEPTH)
		return fail_at(p, p->i, "arrays and tables nested more than %d deep",
		    PCB_TOML_MAX_DEPTH);
	arr = json_object_new_array();
	p->i++;
	for (;;) {
		json_object *v = NULL;

		if ((rc = skip_wcn(p)) != 0)
			goto out;
		if (at(p, 0) == ']') {
			p->i++;
			break;
		}
		if ((rc = parse_value(p, depth + 1, loc_index(p, node, json_object_array_length(arr),
		    p->i, true), &v)) != 0)
			goto out;
		json_object_array_add(arr, v);
		if ((rc = skip_wcn(p)) != 0)
			goto out;
		if (at(p, 0) == ',') {
			p->i++;
			continue;
		}
		if (at(p, 0) == ']') {
			p->i++;
			break;
		}
		rc = fail_at(p, p->i, "expected ',' or ']' in an array, found %s", show_char(p, 0, cb));
		goto out;
	}
out:
	if (rc != 0)
		json_object_put(arr);
	else
		*out = arr;
	return rc;
}

static int
parse_inline_table(struct tp *p, int depth, size_t node, json_object **out)
{
	unsigned saved = p->section;
	json_object *tbl;
	char cb[16];
	int rc = 0;

	if (depth > PCB_TOML_MAX_DEPTH)
		return fail_at(p, p->i, "arrays and tables nested more than %d deep",
		    PCB_TOML_MAX_DEPTH);
	tbl = json_object_new_object();
	/* Its own section: dotted keys inside may build sub-tables, nothing outside may. */
	p->section = ++p->nsections;
	p->i++;
	skip_ws(p);
	if (at(p, 0) == '}') {
		p->i++;
		goto out;
	}
	for (;;) {
		skip_ws(p);
		if (newline_len(p) || at(p, 0) == '\r') {
			rc = fail_at(p, p->i, "newlines are not allowed in an inline table");
			goto out;
		}
		if ((rc = parse_keyval(p, tbl, node, depth)) != 0)
			goto out;
		skip_ws(p);
		if (at(p, 0) == ',') {
			p->i++;
			skip_ws(p);
			if (at(p, 0) == '}') {
				rc = fail_at(p, p->i - 1, "a trailing comma is not allowed in an inline "
				    "table");
				goto out;
			}
			continue;
		}
		if (at(p, 0) == '}') {
			p->i++;
			break;
		}
		if (newline_len(p) || at(p, 0) == '\r')
			rc = fail_at(p, p->i, "newlines are not allowed in an inline table");
		else
			rc = fail_at(p, p->i, "expected ',' or '}' in an inline table, found %s",
			    show_char(p, 0, cb));
		goto out;
	}
out:
	p->section = saved;
	if (rc != 0)
		json_object_put(tbl);
	else
		*out = tbl;
	return rc;
}

static int
parse_value(struct tp *p, int depth, size_t node, json_object **out)
{
	char cb[16];
	int c = at(p, 0), rc;

	switch (c) {
	case '"':
	case '\'': {
		bool ml = at(p, 1) == c && at(p, 2) == c;

		rc = c == '"' ? parse_basic(p, ml) : parse_literal(p, ml);
		if (rc != 0)
			return rc;
		*out = json_object_new_string_len(p->str.data ? p->str.data : "", (int)p->str.len);
		return 0;
	}
	case 't':
	case 'f': {
		const char *w = c == 't' ? "true" : "false";
		size_t n = strlen(w);

		if (p->len - p->i >= n && memcmp(p->s + p->i, w, n) == 0 && !is_bare(at(p, n))) {
			p->i += n;
			*out = json_object_new_boolean(c == 't');
			return 0;
		}
		break;
	}
	case '[':
		return parse_array(p, depth, node, out);
	case '{':
		return parse_inline_table(p, depth, node, out);
	default:
		if (is_digit(c) && ((ndigits(p, 0, 4) && at(p, 4) == '-') ||
		    (ndigits(p, 0, 2) && at(p, 2) == ':')))
			return parse_datetime(p, out);
		if (is_digit(c) || c == '+' || c == '-' || c == 'i' || c == 'n')
			return parse_number(p, out);
		break;
	}
	if (is_bare(c))
		return fail_at(p, p->i, "expected a value, found a bare word (strings must be quoted)");
	return fail_at(p, p->i, "expected a value, found %s", show_char(p, 0, cb));
}

/* Puts v at the dotted key kp under tbl (at depth `depth`), creating tables on the way.
 * Takes ownership of v. */
static int
assign(struct tp *p, json_object *tbl, struct keypath *kp, size_t kpos, json_object *v)
{
	json_object *t = tbl, *child;
	char kb[256];
	size_t k;
	int rc = 0;

	for (k = 0; k + 1 < kp->n; k++) {
		struct tslot *s;

		if (!json_object_object_get_ex(t, kp->part[k], &child)) {
			child = json_object_new_object();
			json_object_object_add(t, kp->part[k], child);
			map_put(p, child, K_DOTTED, p->section);
			t = child;
			continue;
		}
		s = map_get(p, child);
		if (json_object_get_type(child) != json_type_object) {
			rc = fail_at(p, kpos, "cannot add to %s with dotted keys: it is %s",
			    kp_show(kp, k + 1, kb, sizeof kb), json_object_get_type(child) ==
			    json_type_array ? "an array" : "not a table");
			goto out;
		}
		if (s == NULL) {
			rc = fail_at(p, kpos, "cannot add to inline table %s: inline tables are "
			    "complete once written", kp_show(kp, k + 1, kb, sizeof kb));
			goto out;
		}
		if (s->kind == K_EXPLICIT || (s->kind == K_DOTTED && s->section != p->section)) {
			rc = fail_at(p, kpos, "cannot add to table %s with dotted keys: it was "
			    "already defined %s", kp_show(kp, k + 1, kb, sizeof kb),
			    s->kind == K_EXPLICIT ? "by a [table] header" : "in another section");
			goto out;
		}
		if (s->kind == K_IMPLICIT) {
			s->kind = K_DOTTED;
			s->section = p->section;
		}
		t = child;
	}
	if (json_object_object_get_ex(t, kp->part[kp->n - 1], NULL)) {
		rc = fail_at(p, kpos, "duplicate key %s", kp_show(kp, kp->n, kb, sizeof kb));
		goto out;
	}
	json_object_object_add(t, kp->part[kp->n - 1], v);
	v = NULL;
out:
	json_object_put(v);
	return rc;
}

static int
parse_keyval(struct tp *p, json_object *tbl, size_t node, int depth)
{
	struct keypath kp = { 0 };
	json_object *v = NULL;
	size_t kpos = p->i, k;
	char cb[16];
	int rc;

	if ((rc = parse_key(p, &kp)) != 0)
		goto out;
	/* a.b.c = 1: the prefixes a and a.b are defined here unless they were already. */
	for (k = 0; p->locs != NULL && k < kp.n; k++)
		node = loc_key(p, node, kp.part[k], strlen(kp.part[k]), kp.pos[k], k + 1 == kp.n);
	skip_ws(p);
	if (at(p, 0) != '=') {
		rc = fail_at(p, p->i, "expected '=' after a key, found %s", show_char(p, 0, cb));
		goto out;
	}
	p->i++;
	skip_ws(p);
	if ((rc = parse_value(p, depth + (int)kp.n, node, &v)) != 0)
		goto out;
	rc = assign(p, tbl, &kp, kpos, v);
out:
	kp_free(&kp);
	return rc;
}

/* [a.b.c] or [[a.b.c]] at the cursor: makes the named table the current one. */
static int
parse_header(struct tp *p)
{
	struct keypath kp = { 0 };
	bool aot = at(p, 1) == '[';
	json_object *t = p->root, *child = NULL;
	char kb[256], cb[16];
	size_t kpos, k, hpos = p->i, node = 0;
	int depth = 0, rc;

	p->i += aot ? 2 : 1;
	skip_ws(p);
	kpos = p->i;
	if ((rc = parse_key(p, &kp)) != 0)
		goto out;
	skip_ws(p);
	if (at(p, 0) != ']' || (aot && at(p, 1) != ']')) {
		rc = fail_at(p, p->i, "expected '%s' after the table name, found %s",
		    aot ? "]]" : "]", show_char(p, 0, cb));
		goto out;
	}
	p->i += aot ? 2 : 1;
	if ((rc = end_of_line(p, "a table header")) != 0)
		goto out;
	for (k = 0; k < kp.n; k++) {
		bool last = k + 1 == kp.n;
		struct tslot *s;

		depth++;
		/* [a.b] defines b here; a only if nothing defined it before. An array of tables
		 * is defined by its first [[...]]; its elements get positions below. */
		node = loc_key(p, node, kp.part[k], strlen(kp.part[k]), kp.pos[k], last && !aot);
		if (!json_object_object_get_ex(t, kp.part[k], &child)) {
			if (last && aot) {
				child = json_object_new_array();
				map_put(p, child, K_AOT, 0);
			} else {
				child = json_object_new_object();
				map_put(p, child, last ? K_EXPLICIT : K_IMPLICIT, 0);
			}
			json_object_object_add(t, kp.part[k], child);
			if (last && aot)
				break;
			t = child;
			continue;
		}
		s = map_get(p, child);
		if (json_object_get_type(child) == json_type_array) {
			if (s == NULL) {
				rc = fail_at(p, kpos, "%s is an array value, not an array of tables; it "
				    "cannot be extended with [[...]] or [...]", kp_show(&kp, k + 1, kb,
				    sizeof kb));
				goto out;
			}
			if (last && aot)
				break;
			if (last) {
				rc = fail_at(p, kpos, "table [%s] conflicts with the array of tables "
				    "[[%s]]", kp_show(&kp, kp.n, kb, sizeof kb), kb);
				goto out;
			}
			/* Through an array of tables: its most recent element. */
			t = json_object_array_get_idx(child, json_object_array_length(child) - 1);
			node = loc_index(p, node, json_object_array_length(child) - 1, kp.pos[k], false);
			depth++;
			continue;
		}
		if (json_object_get_type(child) != json_type_object) {
			rc = fail_at(p, kpos, "key %s already holds a value that is not a table",
			    kp_show(&kp, k + 1, kb, sizeof kb));
			goto out;
		}
		if (s == NULL) {
			rc = fail_at(p, kpos, "%s is an inline table, which cannot be extended",
			    kp_show(&kp, k + 1, kb, sizeof kb));
			goto out;
		}
		if (last && aot) {
			rc = fail_at(p, kpos, "array of tables [[%s]] conflicts with the table %s "
			    "defined before", kp_show(&kp, kp.n, kb, sizeof kb), kb);
			goto out;
		}
		if (last) {
			if (s->kind == K_EXPLICIT) {
				rc = fail_at(p, kpos, "table [%s] is defined twice",
				    kp_show(&kp, kp.n, kb, sizeof kb));
				goto out;
			}
			if (s->kind == K_DOTTED) {
				rc = fail_at(p, kpos, "table [%s] was already defined with dotted keys",
				    kp_show(&kp, kp.n, kb, sizeof kb));
				goto out;
			}
			s->kind = K_EXPLICIT;
		}
		t = child;
	}
	if (aot) {
		json_object *elem = json_object_new_object();

		map_put(p, elem, K_EXPLICIT, 0);
		json_object_array_add(child, elem);
		node = loc_index(p, node, json_object_array_length(child) - 1, hpos, true);
		t = elem;
		depth++;
	}
	if (depth > PCB_TOML_MAX_DEPTH) {
		rc = fail_at(p, kpos, "tables nested more than %d deep", PCB_TOML_MAX_DEPTH);
		goto out;
	}
	p->cur = t;
	p->loc_cur = node;
	p->cur_depth = depth;
	p->section = ++p->nsections;
out:
	kp_free(&kp);
	return rc;
}

static int
parse_document(struct tp *p)
{
	size_t bad;
	char cb[16];

	if (p->len >= 3 && memcmp(p->s, "\xef\xbb\xbf", 3) == 0)
		p->i = 3;   /* a leading byte order mark, as some Windows editors write */
	bad = utf8_check((const unsigned char *)p->s, p->len);
	if (bad != p->len)
		return fail_at(p, bad, "invalid UTF-8 (byte 0x%02X)", (unsigned char)p->s[bad]);
	for (;;) {
		int c;

		skip_ws(p);
		c = at(p, 0);
		if (c < 0)
			return 0;
		if (c == '#' || c == '\n' || c == '\r') {
			if (end_of_line(p, "a comment") != 0)
				return PCB_EINVAL;
			continue;
		}
		if (c == '[') {
			if (parse_header(p) != 0)
				return PCB_EINVAL;
			continue;
		}
		if (is_bare(c) || c == '"' || c == '\'') {
			if (parse_keyval(p, p->cur, p->loc_cur, p->cur_depth) != 0 ||
			    end_of_line(p, "a value") != 0)
				return PCB_EINVAL;
			continue;
		}
		return fail_at(p, p->i, "expected a key or a [table] header, found %s",
		    show_char(p, 0, cb));
	}
}

static int
parse_common(const char *data, size_t len, const char *name, json_object **out,
    struct pcb_toml_locs **locs_out, struct pcb_err *err)
{
	struct tp p;
	int rc;

	if (len > PCB_TOML_MAX_SIZE) {
		if (name != NULL)
			return pcb_err_set(err, PCB_ETOOBIG, "%s: document is larger than %d MiB",
			    name, PCB_TOML_MAX_SIZE >> 20);
		return pcb_err_set(err, PCB_ETOOBIG, "document is larger than %d MiB",
		    PCB_TOML_MAX_SIZE >> 20);
	}
	memset(&p, 0, sizeof p);
	p.s = data != NULL ? data : "";
	p.len = data != NULL ? len : 0;
	p.name = name;
	p.err = err;
	p.root = json_object_new_object();
	p.cur = p.root;
	if (locs_out != NULL)
		p.locs = loc_create();
	pcb_buf_init(&p.str, len + 1);
	rc = parse_document(&p);
	pcb_buf_free(&p.str);
	free(p.map.v);
	if (rc != 0) {
		json_object_put(p.root);
		pcb_toml_locs_destroy(p.locs);
		return PCB_EINVAL;
	}
	*out = p.root;
	if (locs_out != NULL)
		*locs_out = p.locs;
	return 0;
}

int
pcb_toml_parse(const char *data, size_t len, const char *name, json_object **out,
    struct pcb_err *err)
{
	return parse_common(data, len, name, out, NULL, err);
}

int
pcb_toml_parse_locs(const char *data, size_t len, const char *name, json_object **out,
    struct pcb_toml_locs **locs_out, struct pcb_err *err)
{
	return parse_common(data, len, name, out, locs_out, err);
}

int
pcb_toml_parse_file_locs(const char *path, json_object **out, struct pcb_toml_locs **locs_out,
    struct pcb_err *err)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	rc = pcb_read_file(path, PCB_TOML_MAX_SIZE, &data, &len, err);
	if (rc != 0)
		goto out;
	rc = parse_common(data, len, path, out, locs_out, err);
out:
	free(data);
	return rc;
}

int
pcb_toml_parse_file(const char *path, json_object **out, struct pcb_err *err)
{
	return pcb_toml_parse_file_locs(path, out, NULL, err);
}

int
pcb_toml_locs_line(const struct pcb_toml_locs *locs, const char *const *path, size_t n,
    int *col_out)
{
	size_t node = 0, k;

	if (col_out != NULL)
		*col_out = 0;
	if (locs == NULL || n == 0)
		return 0;
	for (k = 0; k < n; k++) {
		if (path[k] == NULL)
			return 0;
		node = loc_find(locs, node, path[k], strlen(path[k]));
		if (node == 0)
			return 0;
	}
	if (col_out != NULL)
		*col_out = locs->node[node].col;
	return locs->node[node].line;
}

void
pcb_toml_locs_destroy(struct pcb_toml_locs *locs)
{
	if (locs == NULL)
		return;
	free(locs->node);
	free(locs->names);
	free(locs->slot);
	free(locs);
}

enum pcb_toml_type
pcb_toml_type_of(json_object *v)
{
	void *ud;
	int k;

	if (v == NULL || json_object_get_type(v) != json_type_string)
		return PCB_TOML_NONE;
	ud = json_object_get_userdata(v);
	for (k = PCB_TOML_DATETIME; k <= PCB_TOML_TIME_LOCAL; k++)
		if (ud == (const void *)&tag_marks[k])
			return (enum pcb_toml_type)k;
	return PCB_TOML_NONE;
}

int
pcb_toml_shallow_copy(json_object *src, json_object *parent, const char *key, size_t index,
    json_object **dst)
{
	enum pcb_toml_type k = pcb_toml_type_of(src);
	int rc;

	rc = json_c_shallow_copy_default(src, parent, key, index, dst);
	if (rc < 0 || k == PCB_TOML_NONE)
		return rc;
	json_object_set_userdata(*dst, (void *)&tag_marks[k], NULL);
	return 2;   /* the tag is set: json-c must not try to copy userdata itself */
}

json_object *
pcb_toml_deep_copy(json_object *src)
{
	json_object *dst = NULL;

	if (src == NULL || json_object_deep_copy(src, &dst, pcb_toml_shallow_copy) != 0)
		return NULL;
	return dst;
}

/* ---- keys holding U+0000 ------------------------------------------------------------------ */

char *
pcb_toml_key_encode(const char *s, size_t len)
{
	size_t nul = 0, k, o = 0;
	char *out;

	for (k = 0; k < len; k++)
		if (s[k] == '\0')
			nul++;
	out = pcb_xmalloc(len + nul + 1);
	for (k = 0; k < len; k++) {
		if (s[k] == '\0') {
			memcpy(out + o, PCB_TOML_KEY_NUL, 2);
			o += 2;
		} else
			out[o++] = s[k];
	}
	out[o] = '\0';
	return out;
}

char *
pcb_toml_key_decode(const char *key, size_t *len_out)
{
	size_t n = strlen(key), k, o = 0;
	char *out = pcb_xmalloc(n + 1);

	for (k = 0; k < n; k++) {
		if ((unsigned char)key[k] == 0xc0 && (unsigned char)key[k + 1] == 0x80) {
			out[o++] = '\0';
			k++;
		} else
			out[o++] = key[k];
	}
	out[o] = '\0';
	if (len_out != NULL)
		*len_out = o;
	return out;
}

char *
pcb_toml_to_json_string(json_object *v, int flags)
{
	const char *j = json_object_to_json_string_ext(v, flags);
	size_t n = strlen(j), k, o = 0, pairs = 0;
	char *out;

	/* json-c escapes control characters, quotes and backslashes and copies every other byte,
	 * and the values of a parsed tree are valid UTF-8: a C0 80 pair in its text can only be a
	 * key's U+0000. */
	for (k = 0; k + 1 < n; k++)
		if ((unsigned char)j[k] == 0xc0 && (unsigned char)j[k + 1] == 0x80)
			pairs++;
	out = pcb_xmalloc(n + 4 * pairs + 1);
	for (k = 0; k < n; k++) {
		if ((unsigned char)j[k] == 0xc0 && (unsigned char)j[k + 1] == 0x80) {
			memcpy(out + o, "\\u0000", 6);
			o += 6;
			k++;
		} else
			out[o++] = j[k];
	}
	out[o] = '\0';
	return out;
}

/* ---- toml-test tagged JSON ---------------------------------------------------------------- */

static json_object *
tagged_leaf(const char *type, const char *value, size_t len)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "value", json_object_new_string_len(value, (int)len));
	return o;
}

/* Shortest decimal form that reads back as the same double. */
static void
format_double(double d, char out[40])
{
	int prec;

	if (isnan(d)) {
		strcpy(out, "nan");
		return;
	}
	if (isinf(d)) {
		strcpy(out, d < 0 ? "-inf" : "inf");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(out, 40, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			return;
	}
}

json_object *
pcb_toml_to_tagged(json_object *v)
{
	static const char *const dt_names[] = {
		[PCB_TOML_DATETIME] = "datetime",
		[PCB_TOML_DATETIME_LOCAL] = "datetime-local",
		[PCB_TOML_DATE_LOCAL] = "date-local",
		[PCB_TOML_TIME_LOCAL] = "time-local",
	};
	json_object *o;
	char buf[40];
	size_t k, n;

	switch (json_object_get_type(v)) {
	case json_type_object:
		o = json_object_new_object();
		json_object_object_foreach(v, key, child)
			json_object_object_add(o, key, pcb_toml_to_tagged(child));
		return o;
	case json_type_array:
		o = json_object_new_array();
		n = json_object_array_length(v);
		for (k = 0; k < n; k++)
			json_object_array_add(o, pcb_toml_to_tagged(json_object_array_get_idx(v, k)));
		return o;
	case json_type_string: {
		enum pcb_toml_type t = pcb_toml_type_of(v);

		return tagged_leaf(t == PCB_TOML_NONE ? "string" : dt_names[t],
		    json_object_get_string(v), (size_t)json_object_get_string_len(v));
	}
	case json_type_int:
		snprintf(buf, sizeof buf, "%" PRId64, json_object_get_int64(v));
		return tagged_leaf("integer", buf, strlen(buf));
	case json_type_double:
		format_double(json_object_get_double(v), buf);
		return tagged_leaf("float", buf, strlen(buf));
	case json_type_boolean:
		return json_object_get_boolean(v) ? tagged_leaf("bool", "true", 4) :
		    tagged_leaf("bool", "false", 5);
	default:
		return json_object_new_null();   /* the reader never produces null */
	}
}

void
pcb_toml_kpath_key(struct pcb_toml_kpath *p, const char *k)
{
	if (p->n < PCB_ARRAY_LEN(p->k))
		p->k[p->n++] = k;
}

void
pcb_toml_kpath_idx(struct pcb_toml_kpath *p, size_t i)
{
	if (p->n < PCB_ARRAY_LEN(p->k)) {
		snprintf(p->num[p->n], sizeof p->num[p->n], "%zu", i);
		p->k[p->n] = NULL;
		p->n++;
	}
}

int
pcb_toml_kpath_fail(struct pcb_err *err, const struct pcb_toml_locs *locs, const char *file,
    const struct pcb_toml_kpath *kp, const char *fmt, va_list ap)
{
	char msg[PCB_ERR_MSG_MAX];
	const char *path[PCB_ARRAY_LEN(kp->k)];
	size_t n = kp != NULL ? kp->n : 0;
	int line = 0;

	vsnprintf(msg, sizeof msg, fmt, ap);
	for (size_t i = 0; i < n; i++)
		path[i] = kp->k[i] != NULL ? kp->k[i] : kp->num[i];
	while (locs != NULL && n > 0 && (line = pcb_toml_locs_line(locs, path, n, NULL)) == 0)
		n--;
	if (line > 0)
		return pcb_err_set(err, PCB_EINVAL, "%s: line %d: %s", file, line, msg);
	return pcb_err_set(err, PCB_EINVAL, "%s: %s", file, msg);
}
