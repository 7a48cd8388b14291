/* pyscan.c — a bounded Python source scanner for discovery (see pyscan.h). The lexer follows the
 * Python reference's lexical rules closely enough that nothing inside a comment or any string
 * literal (incl. f-strings with nested quotes and replacement fields, PEP 701) is ever taken
 * for code; logical lines are assembled across backslash continuations and open brackets, and
 * an indentation stack tells module scope from def/class bodies. Each logical line is then
 * matched against the few statement shapes discovery cares about. */
#include "python/pyscan.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* Only the start of a logical line matters for the shapes we match; longer lines (big literal
 * tables) are kept to this many tokens. */
#define LINE_TOKENS_MAX 256
/* Python itself stops at 100 indentation levels. */
#define SCOPES_MAX 128
/* Replacement fields nested in format specs nested in strings …: a recursion bound. */
#define FSTRING_NEST_MAX 16
#define DOTTED_MAX 256
#define VALUE_MAX 1024
#define TEXT_MAX 120

enum tok_kind { T_NAME, T_NUMBER, T_STRING, T_OP };

#define S_RAW 1u
#define S_BYTES 2u
#define S_FMT 4u     /* f-string or t-string: has replacement fields */

struct tok {
	enum tok_kind kind;
	const char *p;          /* token text */
	size_t len;
	int line;
	unsigned sflags;        /* T_STRING: S_* */
	const char *body;       /* T_STRING: between the quotes */
	size_t body_len;
};

struct logline {
	struct tok t[LINE_TOKENS_MAX];
	size_t n;
	struct tok last;        /* the last token, even beyond LINE_TOKENS_MAX */
	int indent;
	const char *text;       /* start of the first physical line */
};

struct scope {
	int indent;             /* indentation of the block header */
	bool func;              /* a def or class body: not module scope */
	bool guard;             /* an `if __name__ == "__main__":` body */
};

struct lexer {
	const char *p;
	const char *end;
	int line;
	const char *line_start;
	int depth;              /* open brackets */
	struct logline ll;
	struct scope scopes[SCOPES_MAX];
	size_t nscopes;
	size_t nfunc;           /* how many of scopes[] are def/class bodies */
	size_t nguard;          /* how many of scopes[] are main-guard bodies */
	bool inline_guard;      /* matching the one-line body of a main guard */
	struct pcb_pyscan *out;
	struct pcb_err *err;
};

/* ---- characters ---- */

static bool
is_name_start(unsigned char c)
{
	/* Bytes >= 0x80 belong to non-ASCII identifiers (UTF-8); close enough for discovery. */
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_name_char(unsigned char c)
{
	return is_name_start(c) || is_digit(c);
}

static bool
is_quote(char c)
{
	return c == '"' || c == '\'';
}

/* Length of the line break at p: "\n", "\r\n" or "\r" (universal newlines), else 0. */
static size_t
newline_len(const struct lexer *lx, const char *p)
{
	if (p >= lx->end)
		return 0;
	if (*p == '\n')
		return 1;
	if (*p == '\r')
		return p + 1 < lx->end && p[1] == '\n' ? 2 : 1;
	return 0;
}

static void
eat_newline(struct lexer *lx, size_t n)
{
	lx->p += n;
	lx->line++;
	lx->line_start = lx->p;
}

/* S_* flags of a string prefix ("rb", "F", "u" …), or -1 when the letters are not one. */
static int
string_prefix(const char *p, size_t n)
{
	char a, b;

	if (n == 0 || n > 2)
		return -1;
	a = (char)(p[0] | 0x20);
	if (n == 1) {
		switch (a) {
		case 'r': return S_RAW;
		case 'b': return S_BYTES;
		case 'f': case 't': return S_FMT;
		case 'u': return 0;
		default: return -1;
		}
	}
	b = (char)(p[1] | 0x20);
	if (b == 'r') {
		b = a;
		a = 'r';
	}
	if (a != 'r')
		return -1;
	switch (b) {
	case 'b': return S_RAW | S_BYTES;
	case 'f': case 't': return S_RAW | S_FMT;
	default: return -1;
	}
}

/* ---- strings ---- */

static int scan_fexpr(struct lexer *lx, char q, int nest);

/* Scans a string literal whose opening quote is at lx->p. */
static int
scan_string(struct lexer *lx, unsigned flags, int nest, const char **body, size_t *body_len)
{
	char q = *lx->p;
	bool triple = lx->end - lx->p >= 3 && lx->p[1] == q && lx->p[2] == q;
	int startline = lx->line;
	size_t nl;
	int rc;

	lx->p += triple ? 3 : 1;
	*body = lx->p;
	while (lx->p < lx->end) {
		char c = *lx->p;

		if (c == '\\') {
			/* Even in raw strings a backslash keeps the next quote from closing. */
			lx->p++;
			if ((nl = newline_len(lx, lx->p)) > 0) {
				eat_newline(lx, nl);
			} else if (lx->p < lx->end && *lx->p == 'N' && !(flags & S_RAW) &&
			    lx->p + 1 < lx->end && lx->p[1] == '{') {
				/* \N{NAME}: the braces are not a replacement field. */
				lx->p += 2;
				while (lx->p < lx->end && *lx->p != '}' && *lx->p != q &&
				    newline_len(lx, lx->p) == 0)
					lx->p++;
				if (lx->p < lx->end && *lx->p == '}')
					lx->p++;
			} else if (lx->p < lx->end) {
				lx->p++;
			}
			continue;
		}
		if ((nl = newline_len(lx, lx->p)) > 0) {
			if (!triple)
				break;
			eat_newline(lx, nl);
			continue;
		}
		if (c == q) {
			if (!triple) {
				*body_len = (size_t)(lx->p - *body);
				lx->p++;
				return 0;
			}
			if (lx->end - lx->p >= 3 && lx->p[1] == q && lx->p[2] == q) {
				*body_len = (size_t)(lx->p - *body);
				lx->p += 3;
				return 0;
			}
			lx->p++;
			continue;
		}
		if ((flags & S_FMT) && c == '{') {
			if (lx->p + 1 < lx->end && lx->p[1] == '{') {
				lx->p += 2;
				continue;
			}
			lx->p++;
			if ((rc = scan_fexpr(lx, q, nest + 1)) != 0)
				return rc;
			continue;
		}
		lx->p++;
	}
	return pcb_err_set(lx->err, PCB_EINVAL, "line %d: unterminated string", startline);
}

/* The format spec of a replacement field (after ':'): literal text with nested fields, up to
 * the closing '}'. The enclosing string's quote cannot appear here. */
static int
scan_fspec(struct lexer *lx, char q, int nest)
{
	int startline = lx->line;
	size_t nl;
	int rc;

	while (lx->p < lx->end) {
		char c = *lx->p;

		if ((nl = newline_len(lx, lx->p)) > 0) {
			eat_newline(lx, nl);
			continue;
		}
		if (c == q)
			break;
		if (c == '{') {
			lx->p++;
			if ((rc = scan_fexpr(lx, q, nest + 1)) != 0)
				return rc;
			continue;
		}
		if (c == '}') {
			lx->p++;
			return 0;
		}
		lx->p += c == '\\' && lx->p + 1 < lx->end && newline_len(lx, lx->p + 1) == 0 ? 2 : 1;
	}
	return pcb_err_set(lx->err, PCB_EINVAL, "line %d: unterminated f-string field", startline);
}

/* The expression of a replacement field, after its '{', up to and including the matching '}'.
 * Strings inside may use any quote (PEP 701 allows the enclosing one too). */
static int
scan_fexpr(struct lexer *lx, char q, int nest)
{
	int startline = lx->line, depth = 0, rc;
	const char *b;
	size_t bl, nl;

	if (nest > FSTRING_NEST_MAX)
		return pcb_err_set(lx->err, PCB_EINVAL, "line %d: f-string nesting too deep",
		    lx->line);
	while (lx->p < lx->end) {
		unsigned char c = (unsigned char)*lx->p;

		if ((nl = newline_len(lx, lx->p)) > 0) {
			eat_newline(lx, nl);
			continue;
		}
		if (is_quote((char)c)) {
			if ((rc = scan_string(lx, 0, nest, &b, &bl)) != 0)
				return rc;
			continue;
		}
		if (is_name_start(c)) {
			const char *s = lx->p;
			int f;

			while (lx->p < lx->end && is_name_char((unsigned char)*lx->p))
				lx->p++;
			f = string_prefix(s, (size_t)(lx->p - s));
			if (f >= 0 && lx->p < lx->end && is_quote(*lx->p) &&
			    (rc = scan_string(lx, (unsigned)f, nest, &b, &bl)) != 0)
				return rc;
			continue;
		}
		if (is_digit(c)) {
			/* Numbers like 1e5 or 0x1f must not look like names or prefixes. */
			while (lx->p < lx->end && (is_name_char((unsigned char)*lx->p) || *lx->p == '.'))
				lx->p++;
			continue;
		}
		switch (c) {
		case '(': case '[': case '{':
			depth++;
			break;
		case ')': case ']':
			if (depth > 0)
				depth--;
			break;
		case '}':
			if (depth == 0) {
				lx->p++;
				return 0;
			}
			depth--;
			break;
		case ':':
			if (depth == 0) {
				lx->p++;
				return scan_fspec(lx, q, nest);
			}
			break;
		case '#':
			while (lx->p < lx->end && newline_len(lx, lx->p) == 0)
				lx->p++;
			continue;
		case '\\':
			lx->p++;
			if ((nl = newline_len(lx, lx->p)) > 0)
				eat_newline(lx, nl);
			continue;
		default:
			break;
		}
		lx->p++;
	}
	return pcb_err_set(lx->err, PCB_EINVAL, "line %d: unterminated f-string field", startline);
}

/* Appends the value of a plain string literal; false for f-strings, bytes and overlong ones. */
static bool
append_string_value(struct pcb_buf *b, const struct tok *t)
{
	if (t->sflags & (S_FMT | S_BYTES))
		return false;
	for (size_t i = 0; i < t->body_len; i++) {
		char c = t->body[i];

		if (c == '\\' && !(t->sflags & S_RAW) && i + 1 < t->body_len) {
			char d = t->body[++i];

			switch (d) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case '\\': case '\'': case '"': c = d; break;
			case '\r':
				if (i + 1 < t->body_len && t->body[i + 1] == '\n')
					i++;
				continue;
			case '\n':
				continue;
			default:
				if (pcb_buf_append(b, "\\", 1) != 0)
					return false;
				c = d;
				break;
			}
		}
		if (pcb_buf_append(b, &c, 1) != 0)
			return false;
	}
	return true;
}

/* ---- statements ---- */

static bool
tok_is(const struct tok *t, enum tok_kind kind, const char *s)
{
	return t->kind == kind && t->len == strlen(s) && memcmp(t->p, s, t->len) == 0;
}

static bool
is_op(const struct tok *t, const char *s)
{
	return tok_is(t, T_OP, s);
}

static bool
is_kw(const struct tok *t, const char *s)
{
	return tok_is(t, T_NAME, s);
}

static char *
tok_str(const struct tok *t)
{
	return pcb_xstrndup(t->p, t->len);
}

/* NAME ('.' NAME)* starting at t[*i]; a copy in *out (caller frees) or false. */
static bool
parse_dotted(const struct tok *t, size_t *i, size_t n, char **out)
{
	struct pcb_buf b;
	size_t k = *i;
	bool ok = false;

	pcb_buf_init(&b, DOTTED_MAX);
	if (k >= n || t[k].kind != T_NAME)
		goto out;
	for (;;) {
		if (pcb_buf_append(&b, t[k].p, t[k].len) != 0)
			goto out;
		k++;
		if (k + 1 < n && is_op(&t[k], ".") && t[k + 1].kind == T_NAME) {
			if (pcb_buf_append(&b, ".", 1) != 0)
				goto out;
			k++;
			continue;
		}
		break;
	}
	ok = true;
out:
	if (ok) {
		*i = k;
		*out = pcb_buf_steal(&b, NULL);
	}
	pcb_buf_free(&b);
	return ok;
}

/* The first physical line of the logical line, trimmed and cut to TEXT_MAX bytes (never in the
 * middle of a UTF-8 sequence). */
static char *
line_text(const struct lexer *lx)
{
	const char *s = lx->ll.text, *e = s;

	while (e < lx->end && *e != '\n' && *e != '\r')
		e++;
	while (s < e && (*s == ' ' || *s == '\t' || *s == '\f'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\f'))
		e--;
	if (e - s > TEXT_MAX) {
		e = s + TEXT_MAX;
		while (e > s && ((unsigned char)*e & 0xC0) == 0x80)
			e--;
	}
	return pcb_xstrndup(s, (size_t)(e - s));
}

/* Adds a statement; the strings are taken over (and freed when the table is full). */
static void
emit(struct lexer *lx, enum pcb_pystmt_kind kind, int line, bool module_scope, char *module,
    char *name, char *alias, char *callee, char *value)
{
	struct pcb_pyscan *o = lx->out;
	struct pcb_pystmt *st;

	if (o->n >= PCB_PYSCAN_STMTS_MAX) {
		o->truncated = true;
		free(module);
		free(name);
		free(alias);
		free(callee);
		free(value);
		return;
	}
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 16;
		o->v = pcb_xrealloc(o->v, o->cap * sizeof *o->v);
	}
	st = &o->v[o->n++];
	st->kind = kind;
	st->line = line;
	st->module_scope = module_scope;
	st->main_guard = lx->nguard > 0 || lx->inline_guard;
	st->arg = NULL;
	st->module = module;
	st->name = name;
	st->alias = alias;
	st->callee = callee;
	st->value = value;
	st->text = line_text(lx);
}

/* [as NAME] at t[*i]: a copy of NAME or NULL. */
static char *
parse_as(const struct tok *t, size_t *i, size_t n)
{
	if (*i + 1 < n && is_kw(&t[*i], "as") && t[*i + 1].kind == T_NAME) {
		*i += 2;
		return tok_str(&t[*i - 1]);
	}
	return NULL;
}

/* import a.b [as c], d */
static void
stmt_import(struct lexer *lx, const struct tok *t, size_t n, bool ms)
{
	size_t i = 1;
	char *mod, *alias;

	while (parse_dotted(t, &i, n, &mod)) {
		alias = parse_as(t, &i, n);
		emit(lx, PCB_PYSTMT_IMPORT, t[0].line, ms, mod, NULL, alias, NULL, NULL);
		if (i < n && is_op(&t[i], ","))
			i++;
		else
			break;
	}
}

/* from [.…]x.y import A [as B], C | (A, B,) | * */
static void
stmt_from(struct lexer *lx, const struct tok *t, size_t n, bool ms)
{
	struct pcb_buf b;
	size_t i = 1;
	char *dotted = NULL, *modname = NULL;

	pcb_buf_init(&b, DOTTED_MAX);
	while (i < n && (is_op(&t[i], ".") || is_op(&t[i], "..."))) {
		if (pcb_buf_append(&b, t[i].p, t[i].len) != 0)
			goto out;
		i++;
	}
	if (i < n && !is_kw(&t[i], "import")) {
		if (!parse_dotted(t, &i, n, &dotted) || pcb_buf_append(&b, dotted, strlen(dotted)) != 0)
			goto out;
	}
	if (b.len == 0 || i >= n || !is_kw(&t[i], "import"))
		goto out;
	i++;
	modname = pcb_buf_steal(&b, NULL);
	if (i < n && is_op(&t[i], "("))
		i++;
	while (i < n) {
		char *name, *alias;

		if (is_op(&t[i], "*"))
			name = pcb_xstrdup("*");
		else if (t[i].kind == T_NAME)
			name = tok_str(&t[i]);
		else
			break;
		i++;
		alias = parse_as(t, &i, n);
		emit(lx, PCB_PYSTMT_FROM, t[0].line, ms, pcb_xstrdup(modname), name, alias, NULL,
		    NULL);
		if (i < n && is_op(&t[i], ","))
			i++;
		else
			break;
	}
out:
	free(modname);
	free(dotted);
	pcb_buf_free(&b);
}

/* NAME [: annotation] = [NAME = …] dotted.callee( … */
static void
stmt_assign(struct lexer *lx, const struct tok *t, size_t n, bool ms)
{
	size_t i = 1;
	int depth = 0;
	char *callee;

	if (n > 1 && is_op(&t[1], ":")) {
		for (i = 2; i < n; i++) {
			if (is_op(&t[i], "(") || is_op(&t[i], "[") || is_op(&t[i], "{"))
				depth++;
			else if (is_op(&t[i], ")") || is_op(&t[i], "]") || is_op(&t[i], "}"))
				depth--;
			else if (depth == 0 && is_op(&t[i], "="))
				break;
		}
	}
	if (i >= n || !is_op(&t[i], "="))
		return;
	i++;
	/* A chained assignment (`wsgi = app = falcon.App()`) binds its first name too. */
	while (i + 1 < n && t[i].kind == T_NAME && is_op(&t[i + 1], "="))
		i += 2;
	if (!parse_dotted(t, &i, n, &callee))
		return;
	if (i >= n || !is_op(&t[i], "(")) {
		free(callee);
		return;
	}
	/* The call must be the whole value: not `re.compile(…).match` nor `F(…)(…)`. A call
	 * whose end lies beyond the kept tokens is taken as it is. */
	for (depth = 0; i < n; i++) {
		if (is_op(&t[i], "(") || is_op(&t[i], "[") || is_op(&t[i], "{"))
			depth++;
		else if ((is_op(&t[i], ")") || is_op(&t[i], "]") || is_op(&t[i], "}")) &&
		    --depth == 0)
			break;
	}
	if (i + 1 >= n)
		emit(lx, PCB_PYSTMT_CALL_ASSIGN, t[0].line, ms, NULL, tok_str(&t[0]), NULL, callee,
		    NULL);
	else
		free(callee);
}

/* One or more adjacent plain string literals at t[*i], concatenated. */
static char *
parse_strings(const struct tok *t, size_t *i, size_t n)
{
	struct pcb_buf b;
	size_t k = *i;
	char *s = NULL;

	pcb_buf_init(&b, VALUE_MAX);
	while (k < n && t[k].kind == T_STRING) {
		if (!append_string_value(&b, &t[k]))
			goto out;
		k++;
	}
	if (k > *i) {
		s = pcb_buf_steal(&b, NULL);
		*i = k;
	}
out:
	pcb_buf_free(&b);
	return s;
}

/* …environ.setdefault("KEY", "value"); whether it was one. */
static bool
stmt_setdefault(struct lexer *lx, const struct tok *t, size_t n, bool ms)
{
	size_t i = 0;
	char *callee = NULL, *key = NULL, *val = NULL;
	bool done = false;

	if (!parse_dotted(t, &i, n, &callee))
		goto out;
	if (strcmp(callee, "environ.setdefault") != 0 &&
	    !pcb_str_has_suffix(callee, ".environ.setdefault"))
		goto out;
	if (i >= n || !is_op(&t[i], "("))
		goto out;
	i++;
	if ((key = parse_strings(t, &i, n)) == NULL || i >= n || !is_op(&t[i], ","))
		goto out;
	i++;
	if ((val = parse_strings(t, &i, n)) == NULL)
		goto out;
	if (i < n && is_op(&t[i], ","))
		i++;
	if (i >= n || !is_op(&t[i], ")"))
		goto out;
	emit(lx, PCB_PYSTMT_ENV_DEFAULT, t[0].line, ms, NULL, key, NULL, NULL, val);
	key = val = NULL;
	done = true;
out:
	free(callee);
	free(key);
	free(val);
	return done;
}

/* `if __name__ == "__main__":` (operands either way round) at the start of t. */
static bool
is_main_guard(const struct tok *t, size_t n)
{
	const struct tok *a, *b;

	if (n < 5 || !is_kw(&t[0], "if") || !is_op(&t[2], "==") || !is_op(&t[4], ":"))
		return false;
	a = &t[1];
	b = &t[3];
	if (a->kind == T_STRING) {
		const struct tok *x = a;
		a = b;
		b = x;
	}
	return is_kw(a, "__name__") && b->kind == T_STRING && !(b->sflags & (S_FMT | S_BYTES)) &&
	    b->body_len == 8 && memcmp(b->body, "__main__", 8) == 0;
}

/* Python's keywords: a statement starting with one is not a call. */
static bool
is_keyword(const struct tok *t)
{
	static const char *const kws[] = {
		"False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
		"continue", "def", "del", "elif", "else", "except", "finally", "for", "from",
		"global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass",
		"raise", "return", "try", "while", "with", "yield",
	};

	for (size_t i = 0; i < PCB_ARRAY_LEN(kws); i++)
		if (is_kw(t, kws[i]))
			return true;
	return false;
}

/* The argument at t[*i] when it is a whole dotted name or plain string literal (followed by
 * ',' or ')'); NULL otherwise. */
static char *
parse_plain_arg(const struct tok *t, size_t i, size_t n)
{
	size_t k = i;
	char *v = NULL;

	if (i >= n)
		return NULL;
	if (t[i].kind == T_NAME && !is_keyword(&t[i]) && !(i + 1 < n && is_op(&t[i + 1], "=")))
		(void)parse_dotted(t, &k, n, &v);
	else if (t[i].kind == T_STRING)
		v = parse_strings(t, &k, n);
	if (v != NULL && !(k < n && (is_op(&t[k], ",") || is_op(&t[k], ")")))) {
		free(v);
		v = NULL;
	}
	return v;
}

/* dotted(…)[.more(…)…] as a statement of its own: not an assignment target. */
static void
stmt_call(struct lexer *lx, const struct tok *t, size_t n, bool ms)
{
	struct pcb_buf kw;
	size_t i = 0, before = lx->out->n;
	int depth = 1;
	char *callee = NULL, *arg = NULL;

	if (is_keyword(&t[0]) || !parse_dotted(t, &i, n, &callee) || i >= n ||
	    !is_op(&t[i], "(")) {
		free(callee);
		return;
	}
	arg = parse_plain_arg(t, i + 1, n);
	pcb_buf_init(&kw, VALUE_MAX);
	for (i++; i < n && depth > 0; i++) {
		if (is_op(&t[i], "(") || is_op(&t[i], "[") || is_op(&t[i], "{"))
			depth++;
		else if (is_op(&t[i], ")") || is_op(&t[i], "]") || is_op(&t[i], "}"))
			depth--;
		else if (depth == 1 && t[i].kind == T_NAME && i + 2 < n && is_op(&t[i + 1], "=") &&
		    (is_op(&t[i - 1], ",") || is_op(&t[i - 1], "(")) && (is_kw(&t[i + 2], "True") ||
		    (is_kw(&t[i], "port") && t[i + 2].kind == T_NUMBER && t[i + 2].len <= 5 &&
		    strspn(t[i + 2].p, "0123456789") >= t[i + 2].len)) &&
		    (kw.len == 0 || pcb_buf_append(&kw, " ", 1) == 0)) {
			(void)pcb_buf_append(&kw, t[i].p, t[i].len);
			if (t[i + 2].kind == T_NUMBER)
				(void)pcb_buf_appendf(&kw, "=%.*s", (int)t[i + 2].len, t[i + 2].p);
		}
	}
	/* `f(x).attr = v` assigns; `f(x).start()` is still this call. */
	for (depth = 0; i < n; i++) {
		if (is_op(&t[i], "(") || is_op(&t[i], "[") || is_op(&t[i], "{"))
			depth++;
		else if (is_op(&t[i], ")") || is_op(&t[i], "]") || is_op(&t[i], "}"))
			depth--;
		else if (depth == 0 && (is_op(&t[i], "=") || (t[i].kind == T_OP &&
		    t[i].len == 2 && t[i].p[1] == '=' && t[i].p[0] != '=' && t[i].p[0] != '!' &&
		    t[i].p[0] != '<' && t[i].p[0] != '>')))
			goto out;
	}
	emit(lx, PCB_PYSTMT_CALL, t[0].line, ms, NULL, NULL, NULL, callee,
	    kw.len > 0 ? pcb_buf_steal(&kw, NULL) : NULL);
	callee = NULL;
	if (lx->out->n > before) {
		lx->out->v[before].arg = arg;
		arg = NULL;
	}
out:
	free(callee);
	free(arg);
	pcb_buf_free(&kw);
}

/* NAME = dotted.attr, nothing else. */
static void
stmt_alias(struct lexer *lx, const struct tok *t, size_t n, bool ms)
{
	size_t i = 2;
	char *dotted = NULL;

	if (n < 5 || t[0].kind != T_NAME || is_keyword(&t[0]) || !is_op(&t[1], "=") ||
	    !parse_dotted(t, &i, n, &dotted))
		return;
	if (i == n && strchr(dotted, '.') != NULL) {
		emit(lx, PCB_PYSTMT_ALIAS, t[0].line, ms, NULL, tok_str(&t[0]), NULL, dotted, NULL);
		return;
	}
	free(dotted);
}

static void statement(struct lexer *lx, const struct tok *t, size_t n, bool ms);

/* The body of a one-line compound statement (`if x: import y`, `def f(): return 1`), after the
 * header's ':' at bracket depth 0. */
static void
stmt_inline_body(struct lexer *lx, const struct tok *t, size_t n, bool ms)
{
	static const char *const kws[] = {
		"if", "elif", "else", "try", "except", "finally", "with", "for", "while", "async",
		"def", "class",
	};
	int depth = 0;
	size_t k;

	for (k = 0; k < PCB_ARRAY_LEN(kws) && !is_kw(&t[0], kws[k]); k++)
		;
	if (k == PCB_ARRAY_LEN(kws))
		return;
	if (is_kw(&t[0], "def") || is_kw(&t[0], "class") || is_kw(&t[0], "async"))
		ms = false;
	for (size_t i = 1; i < n; i++) {
		if (is_op(&t[i], "(") || is_op(&t[i], "[") || is_op(&t[i], "{"))
			depth++;
		else if (is_op(&t[i], ")") || is_op(&t[i], "]") || is_op(&t[i], "}"))
			depth--;
		else if (depth == 0 && is_kw(&t[i], "lambda"))
			return;   /* its ':' is not the header's: rare enough to leave alone */
		else if (depth == 0 && is_op(&t[i], ":")) {
			bool guard = is_main_guard(t, n) && ms;

			lx->inline_guard = guard;
			statement(lx, &t[i + 1], n - i - 1, ms);
			lx->inline_guard = false;
			return;
		}
	}
}

static void
statement(struct lexer *lx, const struct tok *t, size_t n, bool ms)
{
	if (n == 0)
		return;
	if (is_kw(&t[0], "import")) {
		stmt_import(lx, t, n, ms);
	} else if (is_kw(&t[0], "from")) {
		stmt_from(lx, t, n, ms);
	} else if (is_kw(&t[0], "def") || (n > 1 && is_kw(&t[0], "async") && is_kw(&t[1], "def"))) {
		size_t k = is_kw(&t[0], "def") ? 1 : 2;

		if (k + 1 < n && t[k].kind == T_NAME && is_op(&t[k + 1], "("))
			emit(lx, PCB_PYSTMT_DEF, t[0].line, ms, NULL, tok_str(&t[k]), NULL, NULL,
			    NULL);
	} else if (is_main_guard(t, n)) {
		emit(lx, PCB_PYSTMT_MAIN_GUARD, t[0].line, ms, NULL, NULL, NULL, NULL, NULL);
	} else if (is_op(&t[0], "@")) {
		size_t i = 1;
		char *callee;

		if (parse_dotted(t, &i, n, &callee))
			emit(lx, PCB_PYSTMT_DECORATOR, t[0].line, ms, NULL, NULL, NULL, callee, NULL);
	} else if (t[0].kind == T_NAME) {
		stmt_assign(lx, t, n, ms);
		stmt_alias(lx, t, n, ms);
		if (!stmt_setdefault(lx, t, n, ms))
			stmt_call(lx, t, n, ms);
	}
	stmt_inline_body(lx, t, n, ms);
}

/* A complete logical line: update the scope stack, split at ';', match each statement. */
static void
process_line(struct lexer *lx)
{
	struct logline *ll = &lx->ll;
	bool ms;
	size_t start = 0;
	int depth = 0;

	while (lx->nscopes > 0 && lx->scopes[lx->nscopes - 1].indent >= ll->indent) {
		lx->nscopes--;
		if (lx->scopes[lx->nscopes].func)
			lx->nfunc--;
		if (lx->scopes[lx->nscopes].guard)
			lx->nguard--;
	}
	ms = lx->nfunc == 0;
	for (size_t i = 0; i <= ll->n; i++) {
		if (i == ll->n || (depth == 0 && is_op(&ll->t[i], ";"))) {
			statement(lx, &ll->t[start], i - start, ms);
			start = i + 1;
			continue;
		}
		if (is_op(&ll->t[i], "(") || is_op(&ll->t[i], "[") || is_op(&ll->t[i], "{"))
			depth++;
		else if (is_op(&ll->t[i], ")") || is_op(&ll->t[i], "]") || is_op(&ll->t[i], "}"))
			depth--;
	}
	/* A block header: the body, indented deeper, follows. */
	if (is_op(&ll->last, ":") && lx->nscopes < SCOPES_MAX) {
		bool func = is_kw(&ll->t[0], "def") || is_kw(&ll->t[0], "class") ||
		    (ll->n > 1 && is_kw(&ll->t[0], "async") && is_kw(&ll->t[1], "def"));

		bool guard = !func && lx->nfunc == 0 && ll->n == 5 && is_main_guard(ll->t, ll->n);

		lx->scopes[lx->nscopes].indent = ll->indent;
		lx->scopes[lx->nscopes].func = func;
		lx->scopes[lx->nscopes].guard = guard;
		lx->nscopes++;
		if (func)
			lx->nfunc++;
		if (guard)
			lx->nguard++;
	}
	ll->n = 0;
}

static size_t
op_len(const char *p, const char *end)
{
	static const char *const ops[] = {
		"**=", "//=", ">>=", "<<=", "...",
		"==", "!=", "<=", ">=", ":=", "->", "**", "//", "<<", ">>", "+=", "-=", "*=", "/=",
		"%=", "&=", "|=", "^=", "@=",
	};

	for (size_t i = 0; i < PCB_ARRAY_LEN(ops); i++) {
		size_t n = strlen(ops[i]);

		if ((size_t)(end - p) >= n && memcmp(p, ops[i], n) == 0)
			return n;
	}
	return 1;
}

static void
push_tok(struct lexer *lx, const struct tok *t, const char *line_start)
{
	struct logline *ll = &lx->ll;

	if (ll->n == 0)
		ll->text = line_start;
	if (ll->n < LINE_TOKENS_MAX)
		ll->t[ll->n++] = *t;
	ll->last = *t;
}

static int
lex(struct lexer *lx)
{
	bool bol = true;
	size_t nl;
	int rc;

	while (lx->p < lx->end) {
		unsigned char c = (unsigned char)*lx->p;
		const char *ls = lx->line_start;
		struct tok t;

		if (bol && lx->depth == 0 && lx->ll.n == 0) {
			int col = 0;

			for (; lx->p < lx->end; lx->p++) {
				if (*lx->p == ' ')
					col++;
				else if (*lx->p == '\t')
					col = (col / 8 + 1) * 8;
				else if (*lx->p == '\f')
					col = 0;
				else
					break;
			}
			lx->ll.indent = col;
			bol = false;
			continue;
		}
		bol = false;
		if ((nl = newline_len(lx, lx->p)) > 0) {
			eat_newline(lx, nl);
			if (lx->depth == 0 && lx->ll.n > 0)
				process_line(lx);
			bol = true;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\f') {
			lx->p++;
			continue;
		}
		if (c == '#') {
			while (lx->p < lx->end && newline_len(lx, lx->p) == 0)
				lx->p++;
			continue;
		}
		if (c == '\\') {
			/* Explicit line joining; a stray backslash is skipped. */
			lx->p++;
			if ((nl = newline_len(lx, lx->p)) > 0)
				eat_newline(lx, nl);
			continue;
		}
		memset(&t, 0, sizeof t);
		t.p = lx->p;
		t.line = lx->line;
		if (is_quote((char)c)) {
			t.kind = T_STRING;
			if ((rc = scan_string(lx, 0, 0, &t.body, &t.body_len)) != 0)
				return rc;
		} else if (is_name_start(c)) {
			int f;

			while (lx->p < lx->end && is_name_char((unsigned char)*lx->p))
				lx->p++;
			f = string_prefix(t.p, (size_t)(lx->p - t.p));
			if (f >= 0 && lx->p < lx->end && is_quote(*lx->p)) {
				t.kind = T_STRING;
				t.sflags = (unsigned)f;
				if ((rc = scan_string(lx, t.sflags, 0, &t.body, &t.body_len)) != 0)
					return rc;
			} else {
				t.kind = T_NAME;
			}
		} else if (is_digit(c) || (c == '.' && lx->p + 1 < lx->end && is_digit(lx->p[1]))) {
			t.kind = T_NUMBER;
			while (lx->p < lx->end) {
				char d = *lx->p;

				if (is_name_char((unsigned char)d) || d == '.')
					lx->p++;
				else if ((d == '+' || d == '-') && ((lx->p[-1] | 0x20) == 'e') &&
				    !(t.p[0] == '0' && lx->p - t.p > 1 && (t.p[1] | 0x20) == 'x'))
					lx->p++;
				else
					break;
			}
		} else {
			t.kind = T_OP;
			if (c == '(' || c == '[' || c == '{')
				lx->depth++;
			else if ((c == ')' || c == ']' || c == '}') && lx->depth > 0)
				lx->depth--;
			lx->p += op_len(lx->p, lx->end);
		}
		t.len = (size_t)(lx->p - t.p);
		push_tok(lx, &t, ls);
	}
	if (lx->ll.n > 0)
		process_line(lx);
	return 0;
}

/* ---- API ---- */

void
pcb_pyscan_free(struct pcb_pyscan *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].module);
		free(s->v[i].name);
		free(s->v[i].alias);
		free(s->v[i].callee);
		free(s->v[i].value);
		free(s->v[i].arg);
		free(s->v[i].text);
	}
	free(s->v);
	memset(s, 0, sizeof *s);
}

int
pcb_pyscan_text(const char *text, size_t len, struct pcb_pyscan *out, struct pcb_err *err)
{
	struct lexer *lx = pcb_xcalloc(1, sizeof *lx);
	int rc;

	memset(out, 0, sizeof *out);
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		text += 3;
		len -= 3;
	}
	lx->p = text;
	lx->end = text + len;
	lx->line = 1;
	lx->line_start = text;
	lx->out = out;
	lx->err = err;
	rc = lex(lx);
	if (rc != 0)
		pcb_pyscan_free(out);
	free(lx);
	return rc;
}

int
pcb_pyscan_file(const char *path, struct pcb_pyscan *out, struct pcb_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = pcb_read_file(path, PCB_PYSCAN_FILE_MAX, &text, &len, err)) != 0)
		goto out;
	if ((rc = pcb_pyscan_text(text, len, out, err)) != 0)
		pcb_err_prefix(err, "%s", path);
out:
	free(text);
	return rc;
}
