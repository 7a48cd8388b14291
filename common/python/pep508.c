/* pep508.c — PEP 440 versions and specifiers and PEP 508 requirements and markers.
 *
 * Lock files and requirement lines carry markers ("python_version < '3.11'") and specifiers
 * ("~=1.4") that decide what goes into an image; they are evaluated here for the image's
 * target rather than for the daemon's host. Versions are parsed into a fixed-size record
 * (bounded: a version string over VER_MAXLEN bytes, more than VER_MAXREL release segments or
 * a number over 18 digits is simply not a valid version) and compared by the PEP 440 key. */
#include "python/pep508.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define VER_MAXLEN 256
#define VER_MAXREL 32
#define SPEC_MAXLEN 4096
#define MARKER_MAXLEN 8192
#define MARKER_MAXDEPTH 64
#define REQ_MAXLEN 16384

/* ---- PEP 440 versions ----------------------------------------------------------------------- */

enum { PRE_NONE = -1, PRE_A = 0, PRE_B = 1, PRE_RC = 2 };

struct ver {
	uint64_t epoch;
	uint64_t rel[VER_MAXREL];
	size_t nrel;
	int pre;                   /* PRE_* */
	uint64_t pre_n;
	bool post;
	uint64_t post_n;
	bool dev;
	uint64_t dev_n;
	bool wild;                 /* "1.2.*" (specifiers only) */
	char local[VER_MAXLEN];    /* normalised: lower case, '.'-separated; "" = none */
};

static bool
is_sep(char c)
{
	return c == '.' || c == '-' || c == '_';
}

/* Reads a run of digits into *n. False when there is none or it is too long to hold. */
static bool
read_num(const char *s, size_t *p, uint64_t *n)
{
	size_t i = *p, nd = 0;
	uint64_t v = 0;

	while (isdigit((unsigned char)s[i])) {
		if (++nd > 18)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
		i++;
	}
	if (nd == 0)
		return false;
	*p = i;
	*n = v;
	return true;
}

static bool
match_word(const char *s, size_t *p, const char *w)
{
	size_t n = strlen(w);
	if (strncmp(s + *p, w, n) != 0)
		return false;
	*p += n;
	return true;
}

/* The optional "[sep]N" after a pre/post/dev label: a separator is taken only together with
 * the digits after it, so that "1.0a.post1" still reads the ".post1". */
static void
label_num(const char *s, size_t *p, uint64_t *n)
{
	size_t q = *p;
	*n = 0;
	if (is_sep(s[q]) && isdigit((unsigned char)s[q + 1]))
		q++;
	if (isdigit((unsigned char)s[q]) && read_num(s, &q, n))
		*p = q;
}

/* Parses text (any case, surrounding whitespace allowed) into *v. allow_wild accepts a
 * trailing ".*" after the release segment, as "==" and "!=" specifiers may have. */
static bool
ver_parse(const char *text, bool allow_wild, struct ver *v)
{
	char s[VER_MAXLEN + 1];
	size_t len, p = 0, start;
	static const struct { const char *w; int kind; } pre_words[] = {
		{ "alpha", PRE_A }, { "a", PRE_A }, { "beta", PRE_B }, { "b", PRE_B },
		{ "preview", PRE_RC }, { "pre", PRE_RC }, { "rc", PRE_RC }, { "c", PRE_RC },
	};

	memset(v, 0, sizeof *v);
	v->pre = PRE_NONE;
	while (isspace((unsigned char)*text))
		text++;
	len = strlen(text);
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	if (len == 0 || len > VER_MAXLEN)
		return false;
	for (size_t i = 0; i < len; i++)
		s[i] = (char)tolower((unsigned char)text[i]);
	s[len] = '\0';

	if (s[p] == 'v')
		p++;
	/* Epoch: digits then '!'. */
	start = p;
	if (read_num(s, &p, &v->epoch) && s[p] == '!')
		p++;
	else {
		p = start;
		v->epoch = 0;
	}
	/* Release. */
	if (!read_num(s, &p, &v->rel[0]))
		return false;
	v->nrel = 1;
	while (s[p] == '.' && isdigit((unsigned char)s[p + 1])) {
		if (v->nrel == VER_MAXREL)
			return false;
		p++;
		if (!read_num(s, &p, &v->rel[v->nrel]))
			return false;
		v->nrel++;
	}
	if (allow_wild && strcmp(s + p, ".*") == 0) {
		v->wild = true;
		return true;
	}
	/* Pre-release. */
	start = p;
	if (is_sep(s[p]))
		p++;
	for (size_t i = 0; i < PCB_ARRAY_LEN(pre_words); i++) {
		if (match_word(s, &p, pre_words[i].w)) {
			v->pre = pre_words[i].kind;
			break;
		}
	}
	if (v->pre == PRE_NONE)
		p = start;
	else
		label_num(s, &p, &v->pre_n);
	/* Post-release: "-N" or [sep](post|rev|r)[sep][N]. */
	start = p;
	if (s[p] == '-' && isdigit((unsigned char)s[p + 1])) {
		p++;
		if (!read_num(s, &p, &v->post_n))
			return false;
		v->post = true;
	} else {
		if (is_sep(s[p]))
			p++;
		if (match_word(s, &p, "post") || match_word(s, &p, "rev") || match_word(s, &p, "r")) {
			v->post = true;
			label_num(s, &p, &v->post_n);
		} else
			p = start;
	}
	/* Development release. */
	start = p;
	if (is_sep(s[p]))
		p++;
	if (match_word(s, &p, "dev")) {
		v->dev = true;
		label_num(s, &p, &v->dev_n);
	} else
		p = start;
	/* Local label: alphanumeric segments, separators normalised to '.'. */
	if (s[p] == '+') {
		size_t o = 0;
		p++;
		for (;;) {
			size_t seg = p;
			while (isalnum((unsigned char)s[p]))
				v->local[o++] = s[p++];
			if (p == seg)
				return false;
			if (s[p] == '\0')
				break;
			if (!is_sep(s[p]))
				return false;
			v->local[o++] = '.';
			p++;
		}
		v->local[o] = '\0';
	}
	return s[p] == '\0';
}

static bool
ver_is_pre(const struct ver *v)
{
	return v->pre != PRE_NONE || v->dev;
}

static int
cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b ? 1 : 0;
}

static int
cmp_release(const struct ver *a, const struct ver *b)
{
	size_t n = a->nrel > b->nrel ? a->nrel : b->nrel;
	for (size_t i = 0; i < n; i++) {
		int c = cmp_u64(i < a->nrel ? a->rel[i] : 0, i < b->nrel ? b->rel[i] : 0);
		if (c != 0)
			return c;
	}
	return 0;
}

/* Local labels: segment by segment, numbers compare as numbers and above any alphanumeric
 * segment, alphanumerics lexically; a label that is a prefix of another sorts first. */
static int
cmp_local(const char *a, const char *b)
{
	if (*a == '\0' || *b == '\0')
		return (*a != '\0') - (*b != '\0');
	while (*a != '\0' && *b != '\0') {
		size_t la = strcspn(a, "."), lb = strcspn(b, ".");
		bool na = strspn(a, "0123456789") == la, nb = strspn(b, "0123456789") == lb;
		int c;
		if (na && nb) {
			/* Compare as numbers without overflow: skip leading zeros, longer is bigger. */
			while (la > 1 && *a == '0') { a++; la--; }
			while (lb > 1 && *b == '0') { b++; lb--; }
			c = la != lb ? (la < lb ? -1 : 1) : strncmp(a, b, la);
		} else if (na != nb)
			c = na ? 1 : -1;
		else {
			c = strncmp(a, b, la < lb ? la : lb);
			if (c == 0 && la != lb)
				c = la < lb ? -1 : 1;
		}
		if (c != 0)
			return c < 0 ? -1 : 1;
		a += la;
		b += lb;
		if (*a == '.')
			a++;
		if (*b == '.')
			b++;
	}
	return (*a != '\0') - (*b != '\0');
}

/* The PEP 440 sort key, field by field. */
static int
ver_cmp(const struct ver *a, const struct ver *b, bool with_local)
{
	int c, ka, kb;

	if ((c = cmp_u64(a->epoch, b->epoch)) != 0)
		return c;
	if ((c = cmp_release(a, b)) != 0)
		return c;
	/* A dev release of the final (no pre, no post) sorts before its pre-releases; a final
	 * release after them. */
	ka = a->pre != PRE_NONE ? 1 : (!a->post && a->dev) ? 0 : 2;
	kb = b->pre != PRE_NONE ? 1 : (!b->post && b->dev) ? 0 : 2;
	if (ka != kb)
		return ka < kb ? -1 : 1;
	if (ka == 1) {
		if ((c = cmp_u64((uint64_t)a->pre, (uint64_t)b->pre)) != 0)
			return c;
		if ((c = cmp_u64(a->pre_n, b->pre_n)) != 0)
			return c;
	}
	if (a->post != b->post)
		return a->post ? 1 : -1;
	if ((c = cmp_u64(a->post_n, b->post_n)) != 0)
		return c;
	if (a->dev != b->dev)
		return a->dev ? -1 : 1;
	if ((c = cmp_u64(a->dev_n, b->dev_n)) != 0)
		return c;
	return with_local ? cmp_local(a->local, b->local) : 0;
}

bool
pcb_version_valid(const char *v)
{
	struct ver x;
	return v != NULL && ver_parse(v, false, &x);
}

int
pcb_version_cmp(const char *a, const char *b)
{
	struct ver va, vb;
	bool oka = ver_parse(a, false, &va), okb = ver_parse(b, false, &vb);
	int c;

	if (oka && okb)
		return ver_cmp(&va, &vb, true);
	if (oka != okb)
		return oka ? 1 : -1;
	c = strcmp(a, b);
	return c < 0 ? -1 : c > 0 ? 1 : 0;
}

/* ---- specifiers ----------------------------------------------------------------------------- */

enum spec_op { OP_COMPAT, OP_EQ, OP_NE, OP_LE, OP_GE, OP_LT, OP_GT, OP_ARB };

static const struct { const char *s; enum spec_op op; } spec_ops[] = {
	/* Longest first, so that "===" is not read as "==" and "<=" not as "<". */
	{ "===", OP_ARB }, { "~=", OP_COMPAT }, { "==", OP_EQ }, { "!=", OP_NE },
	{ "<=", OP_LE }, { ">=", OP_GE }, { "<", OP_LT }, { ">", OP_GT },
};

struct clause {
	enum spec_op op;
	struct ver v;
	char arb[VER_MAXLEN + 1];   /* OP_ARB: the literal, trimmed */
};

/* Parses one clause ("  >= 1.0 "); text need not be NUL-terminated at len. Returns a static
 * description of the fault, or NULL. */
static const char *
clause_parse(const char *text, size_t len, struct clause *c)
{
	char buf[VER_MAXLEN + 8];
	size_t i = 0, n;

	while (i < len && isspace((unsigned char)text[i]))
		i++;
	while (len > i && isspace((unsigned char)text[len - 1]))
		len--;
	if (i == len)
		return "empty clause";
	for (n = 0; n < PCB_ARRAY_LEN(spec_ops); n++) {
		size_t l = strlen(spec_ops[n].s);
		if (len - i >= l && strncmp(text + i, spec_ops[n].s, l) == 0) {
			c->op = spec_ops[n].op;
			i += l;
			break;
		}
	}
	if (n == PCB_ARRAY_LEN(spec_ops))
		return "no comparison operator";
	while (i < len && isspace((unsigned char)text[i]))
		i++;
	if (i == len)
		return "no version after the operator";
	if (len - i > VER_MAXLEN)
		return "version too long";
	memcpy(buf, text + i, len - i);
	buf[len - i] = '\0';
	if (c->op == OP_ARB) {
		if (strpbrk(buf, " \t;") != NULL)
			return "'===' takes one word";
		memcpy(c->arb, buf, len - i + 1);
		return NULL;
	}
	if (!ver_parse(buf, c->op == OP_EQ || c->op == OP_NE, &c->v))
		return "not a PEP 440 version";
	if (c->v.local[0] != '\0' && c->op != OP_EQ && c->op != OP_NE)
		return "a local version label is only allowed with == and !=";
	if (c->op == OP_COMPAT && c->v.nrel < 2)
		return "'~=' needs at least two release segments";
	return NULL;
}

/* Whether the clause names a pre-release (any operator but !=), which lets pre-releases match
 * the whole set: "<2.0a2" asks for 2.0a1 as much as ">=2.0a1" does. */
static bool
clause_names_pre(const struct clause *c)
{
	if (c->op == OP_ARB) {
		struct ver v;
		return ver_parse(c->arb, false, &v) && ver_is_pre(&v);
	}
	return c->op != OP_NE && !c->v.wild && ver_is_pre(&c->v);
}

/* Release-prefix match for "==1.2.*" and "~=": the candidate's release, padded with zeros,
 * starts with the first n segments of the spec (epochs equal). */
static bool
prefix_match(const struct ver *cand, const struct ver *spec, size_t n)
{
	if (cand->epoch != spec->epoch)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((i < cand->nrel ? cand->rel[i] : 0) != spec->rel[i])
			return false;
	return true;
}

/* Same epoch and release (trailing zeros ignored): "the same version" for the < and > rules. */
static bool
same_base(const struct ver *a, const struct ver *b)
{
	return a->epoch == b->epoch && cmp_release(a, b) == 0;
}

/* Does the candidate (cand_text, parsed into cand when cand_ok) satisfy the clause? */
static bool
clause_match(const struct clause *c, const char *cand_text, const struct ver *cand, bool cand_ok)
{
	int r;

	if (c->op == OP_ARB) {
		char t[VER_MAXLEN + 1];
		size_t len;
		while (isspace((unsigned char)*cand_text))
			cand_text++;
		len = strlen(cand_text);
		while (len > 0 && isspace((unsigned char)cand_text[len - 1]))
			len--;
		if (len > VER_MAXLEN)
			return false;
		memcpy(t, cand_text, len);
		t[len] = '\0';
		return strcasecmp(t, c->arb) == 0;
	}
	if (!cand_ok)
		return false;
	switch (c->op) {
	case OP_COMPAT:
		return ver_cmp(cand, &c->v, false) >= 0 && prefix_match(cand, &c->v, c->v.nrel - 1);
	case OP_EQ:
	case OP_NE: {
		bool eq;
		if (c->v.wild)
			eq = prefix_match(cand, &c->v, c->v.nrel);
		else
			/* Without a local label in the spec, the candidate's is ignored. */
			eq = ver_cmp(cand, &c->v, c->v.local[0] != '\0') == 0;
		return c->op == OP_EQ ? eq : !eq;
	}
	case OP_LE:
		return ver_cmp(cand, &c->v, false) <= 0;
	case OP_GE:
		return ver_cmp(cand, &c->v, false) >= 0;
	case OP_LT:
		r = ver_cmp(cand, &c->v, false);
		/* "<V" excludes pre-releases of V itself unless V is one. */
		if (r >= 0)
			return false;
		return ver_is_pre(&c->v) || !ver_is_pre(cand) || !same_base(cand, &c->v);
	case OP_GT:
		r = ver_cmp(cand, &c->v, false);
		if (r <= 0)
			return false;
		/* ">V" excludes post-releases of V unless V is one, and local versions of V. */
		if (!c->v.post && cand->post && same_base(cand, &c->v))
			return false;
		if (cand->local[0] != '\0' && same_base(cand, &c->v))
			return false;
		return true;
	case OP_ARB:
		break;
	}
	return false;
}

/* Parses every clause of spec (to report a bad one even after a failing one) and matches. */
static int
spec_eval(const char *spec, const char *version, bool allow_pre, bool *out, struct pcb_err *err)
{
	struct ver cand;
	bool cand_ok, all = true, named_pre = false;
	const char *p = spec;

	if (strlen(spec) > SPEC_MAXLEN)
		return pcb_err_set(err, PCB_EINVAL, "version specifier longer than %d bytes",
		    SPEC_MAXLEN);
	cand_ok = version != NULL && ver_parse(version, false, &cand);
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0') {
		*out = cand_ok && (allow_pre || !ver_is_pre(&cand));
		return 0;
	}
	for (;;) {
		size_t len = strcspn(p, ",");
		struct clause c;
		const char *why = clause_parse(p, len, &c);
		if (why != NULL)
			return pcb_err_set(err, PCB_EINVAL, "bad version specifier '%.*s' in '%s': %s",
			    (int)len, p, spec, why);
		if (clause_names_pre(&c))
			named_pre = true;
		if (version != NULL && !clause_match(&c, version, &cand, cand_ok))
			all = false;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	if (cand_ok && ver_is_pre(&cand) && !allow_pre && !named_pre)
		all = false;
	*out = version != NULL && all;
	return 0;
}

int
pcb_specifier_match(const char *spec, const char *version, bool allow_pre, bool *out,
    struct pcb_err *err)
{
	bool r = false;
	int rc;

	if (spec == NULL)
		spec = "";
	if ((rc = spec_eval(spec, version != NULL ? version : "", allow_pre, &r, err)) != 0)
		return rc;
	*out = r;
	return 0;
}

/* ---- markers -------------------------------------------------------------------------------- */

void
pcb_marker_env_init(struct pcb_marker_env *e, const struct pcb_pytarget *t)
{
	memset(e, 0, sizeof *e);
	snprintf(e->python_version, sizeof e->python_version, "%d.%d", t->py_major, t->py_minor);
	snprintf(e->python_full_version, sizeof e->python_full_version, "%d.%d.%d", t->py_major,
	    t->py_minor, t->py_micro >= 0 ? t->py_micro : 0);
	snprintf(e->platform_machine, sizeof e->platform_machine, "%s", t->arch);
	pcb_strv_init(&e->extras);
	pcb_strv_init(&e->dependency_groups);
}

void
pcb_marker_env_free(struct pcb_marker_env *e)
{
	pcb_strv_free(&e->extras);
	pcb_strv_free(&e->dependency_groups);
}

enum mvar {
	V_PYTHON_VERSION, V_PYTHON_FULL_VERSION, V_OS_NAME, V_SYS_PLATFORM, V_PLATFORM_RELEASE,
	V_PLATFORM_SYSTEM, V_PLATFORM_VERSION, V_PLATFORM_MACHINE, V_PLATFORM_PYIMPL,
	V_IMPL_NAME, V_IMPL_VERSION, V_EXTRA, V_EXTRAS, V_GROUPS,
};

static const struct { const char *name; enum mvar var; } marker_vars[] = {
	{ "python_version", V_PYTHON_VERSION },
	{ "python_full_version", V_PYTHON_FULL_VERSION },
	{ "os_name", V_OS_NAME },
	{ "sys_platform", V_SYS_PLATFORM },
	{ "platform_release", V_PLATFORM_RELEASE },
	{ "platform_system", V_PLATFORM_SYSTEM },
	{ "platform_version", V_PLATFORM_VERSION },
	{ "platform_machine", V_PLATFORM_MACHINE },
	{ "platform_python_implementation", V_PLATFORM_PYIMPL },
	{ "implementation_name", V_IMPL_NAME },
	{ "implementation_version", V_IMPL_VERSION },
	{ "extra", V_EXTRA },
	{ "extras", V_EXTRAS },
	{ "dependency_groups", V_GROUPS },
	/* Spellings from before PEP 508 that old metadata still carries. */
	{ "os.name", V_OS_NAME },
	{ "sys.platform", V_SYS_PLATFORM },
	{ "platform.version", V_PLATFORM_VERSION },
	{ "platform.machine", V_PLATFORM_MACHINE },
	{ "platform.python_implementation", V_PLATFORM_PYIMPL },
	{ "python_implementation", V_PLATFORM_PYIMPL },
};

/* One side of a comparison: a quoted literal or a variable. */
struct mval {
	bool is_var;
	enum mvar var;
	const char *s;     /* literal text (not NUL-terminated) */
	size_t len;
	size_t col;        /* 1-based, for messages */
};

struct mparser {
	const char *s;
	size_t p;
	const struct pcb_marker_env *env;   /* NULL: check the syntax only */
	struct pcb_err *err;
	int depth;
};

static int
mfail(struct mparser *m, size_t at, const char *what)
{
	return pcb_err_set(m->err, PCB_EINVAL, "marker '%s': column %zu: %s", m->s, at + 1, what);
}

static void
mskip(struct mparser *m)
{
	while (m->s[m->p] == ' ' || m->s[m->p] == '\t')
		m->p++;
}

static bool
is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.';
}

/* Matches a keyword ("and", "or", "in", "not") as a whole word at the current position. */
static bool
mkeyword(struct mparser *m, const char *kw)
{
	size_t n = strlen(kw);
	if (strncmp(m->s + m->p, kw, n) != 0 || is_ident_char(m->s[m->p + n]))
		return false;
	m->p += n;
	return true;
}

static int
mvalue(struct mparser *m, struct mval *v)
{
	char q;

	mskip(m);
	v->col = m->p + 1;
	q = m->s[m->p];
	if (q == '\'' || q == '"') {
		size_t start = ++m->p;
		while (m->s[m->p] != '\0' && m->s[m->p] != q)
			m->p++;
		if (m->s[m->p] != q)
			return mfail(m, start - 1, "unterminated string");
		v->is_var = false;
		v->s = m->s + start;
		v->len = m->p - start;
		m->p++;
		return 0;
	}
	if (isalpha((unsigned char)q) || q == '_') {
		size_t start = m->p, n;
		while (is_ident_char(m->s[m->p]))
			m->p++;
		n = m->p - start;
		for (size_t i = 0; i < PCB_ARRAY_LEN(marker_vars); i++) {
			if (strlen(marker_vars[i].name) == n &&
			    strncmp(marker_vars[i].name, m->s + start, n) == 0) {
				v->is_var = true;
				v->var = marker_vars[i].var;
				return 0;
			}
		}
		{
			char what[160];
			snprintf(what, sizeof what, "unknown marker variable '%.*s'",
			    (int)(n > 100 ? 100 : n), m->s + start);
			return mfail(m, start, what);
		}
	}
	if (q == '\0')
		return mfail(m, m->p, "expected a marker variable or a quoted string, found the end");
	return mfail(m, m->p, "expected a marker variable or a quoted string");
}

enum mop { M_LT, M_LE, M_EQ, M_NE, M_GE, M_GT, M_COMPAT, M_ARB, M_IN, M_NOTIN };

static int
mop_parse(struct mparser *m, enum mop *op, char opstr[4])
{
	static const struct { const char *s; enum mop op; } ops[] = {
		{ "===", M_ARB }, { "==", M_EQ }, { "!=", M_NE }, { "<=", M_LE }, { ">=", M_GE },
		{ "~=", M_COMPAT }, { "<", M_LT }, { ">", M_GT },
	};

	mskip(m);
	for (size_t i = 0; i < PCB_ARRAY_LEN(ops); i++) {
		size_t n = strlen(ops[i].s);
		if (strncmp(m->s + m->p, ops[i].s, n) == 0) {
			m->p += n;
			*op = ops[i].op;
			snprintf(opstr, 4, "%s", ops[i].s);
			return 0;
		}
	}
	if (mkeyword(m, "in")) {
		*op = M_IN;
		return 0;
	}
	if (mkeyword(m, "not")) {
		mskip(m);
		if (!mkeyword(m, "in"))
			return mfail(m, m->p, "expected 'in' after 'not'");
		*op = M_NOTIN;
		return 0;
	}
	return mfail(m, m->p, "expected a comparison operator (==, !=, <, <=, >, >=, ~=, ===, in, "
	    "not in)");
}

/* The value of a plain (string) variable for the env; NULL for the unknown ones. */
static const char *
mvar_value(const struct pcb_marker_env *env, enum mvar var)
{
	switch (var) {
	case V_PYTHON_VERSION: return env->python_version;
	case V_PYTHON_FULL_VERSION:
	case V_IMPL_VERSION: return env->python_full_version;
	case V_OS_NAME: return "posix";
	case V_SYS_PLATFORM: return "linux";
	case V_PLATFORM_SYSTEM: return "Linux";
	case V_PLATFORM_MACHINE: return env->platform_machine;
	case V_PLATFORM_PYIMPL: return "CPython";
	case V_IMPL_NAME: return "cpython";
	default: return NULL;
	}
}

static bool
set_has(const struct pcb_strv *set, const char *name)
{
	char *n = pcb_pyname_normalize(name);
	bool r = pcb_strv_contains(set, n);
	free(n);
	return r;
}

/* Compares two strings the way markers do: as PEP 440 versions when the right side with the
 * operator is a valid specifier and the left side a valid version, else as strings. */
static int
mcompare(struct mparser *m, const char *l, enum mop op, const char *opstr, const char *r,
    size_t col, bool *out)
{
	if (op == M_IN || op == M_NOTIN) {
		bool in = strstr(r, l) != NULL;
		*out = op == M_IN ? in : !in;
		return 0;
	}
	if (op != M_ARB) {
		char clause_text[VER_MAXLEN + 8];
		struct clause c;
		struct ver lv;
		int n = snprintf(clause_text, sizeof clause_text, "%s%s", opstr, r);
		if (n > 0 && (size_t)n < sizeof clause_text &&
		    clause_parse(clause_text, (size_t)n, &c) == NULL && ver_parse(l, false, &lv)) {
			/* Markers allow pre-releases: python_full_version may be "3.13.0rc1". */
			*out = clause_match(&c, l, &lv, true);
			return 0;
		}
	} else {
		*out = strcasecmp(l, r) == 0;
		return 0;
	}
	switch (op) {
	case M_EQ: *out = strcmp(l, r) == 0; return 0;
	case M_NE: *out = strcmp(l, r) != 0; return 0;
	case M_LT: *out = strcmp(l, r) < 0; return 0;
	case M_LE: *out = strcmp(l, r) <= 0; return 0;
	case M_GT: *out = strcmp(l, r) > 0; return 0;
	case M_GE: *out = strcmp(l, r) >= 0; return 0;
	default: break;
	}
	{
		char what[200];
		snprintf(what, sizeof what, "'%s' compares versions, but '%.60s' and '%.60s' are not "
		    "both versions", opstr, l, r);
		return mfail(m, col - 1, what);
	}
}

static int
mcomparison(struct mparser *m, bool *out)
{
	struct mval a, b;
	enum mop op = M_EQ;
	char opstr[4] = "";
	char *ls = NULL, *rs = NULL;
	size_t opcol;
	int rc;

	if ((rc = mvalue(m, &a)) != 0)
		return rc;
	mskip(m);
	opcol = m->p;
	if ((rc = mop_parse(m, &op, opstr)) != 0)
		return rc;
	if ((rc = mvalue(m, &b)) != 0)
		return rc;
	if (!a.is_var && !b.is_var)
		return mfail(m, a.col - 1, "a comparison needs a marker variable on one side");
	/* The set variables only make sense on the right of in / not in. */
	if ((a.is_var && (a.var == V_EXTRAS || a.var == V_GROUPS)) ||
	    (b.is_var && (b.var == V_EXTRAS || b.var == V_GROUPS) && op != M_IN && op != M_NOTIN))
		return mfail(m, (a.is_var && (a.var == V_EXTRAS || a.var == V_GROUPS) ? a.col : b.col)
		    - 1, "'extras' and 'dependency_groups' are sets: use \"'name' in extras\"");
	*out = false;
	if (m->env == NULL)
		goto out;
	/* Sets: "'dev' in dependency_groups", and `extra` standing for "one of the extras". */
	if (b.is_var && (b.var == V_EXTRAS || b.var == V_GROUPS)) {
		const struct pcb_strv *set = b.var == V_EXTRAS ? &m->env->extras :
		    &m->env->dependency_groups;
		bool in;
		if (a.is_var) {
			const char *av = mvar_value(m->env, a.var);
			in = av != NULL && set_has(set, av);
		} else {
			ls = pcb_xstrndup(a.s, a.len);
			in = set_has(set, ls);
		}
		*out = op == M_IN ? in : !in;
		goto out;
	}
	if ((a.is_var && a.var == V_EXTRA) || (b.is_var && b.var == V_EXTRA)) {
		const struct mval *other = a.is_var && a.var == V_EXTRA ? &b : &a;
		bool has = false;
		if (!other->is_var) {
			ls = pcb_xstrndup(other->s, other->len);
			has = set_has(&m->env->extras, ls);
		}
		*out = op == M_EQ || op == M_ARB ? has : op == M_NE ? !has : false;
		goto out;
	}
	/* platform_release / platform_version are unknown for an image: only "differs" holds. */
	if ((a.is_var && mvar_value(m->env, a.var) == NULL) ||
	    (b.is_var && mvar_value(m->env, b.var) == NULL)) {
		*out = op == M_NE || op == M_NOTIN;
		goto out;
	}
	ls = a.is_var ? pcb_xstrdup(mvar_value(m->env, a.var)) : pcb_xstrndup(a.s, a.len);
	rs = b.is_var ? pcb_xstrdup(mvar_value(m->env, b.var)) : pcb_xstrndup(b.s, b.len);
	rc = mcompare(m, ls, op, opstr, rs, opcol + 1, out);
out:
	free(ls);
	free(rs);
	return rc;
}

static int mor(struct mparser *m, bool *out);

static int
matom(struct mparser *m, bool *out)
{
	int rc;

	mskip(m);
	if (m->s[m->p] == '(') {
		if (++m->depth > MARKER_MAXDEPTH)
			return mfail(m, m->p, "parentheses nested too deeply");
		m->p++;
		if ((rc = mor(m, out)) != 0)
			return rc;
		mskip(m);
		if (m->s[m->p] != ')')
			return mfail(m, m->p, "expected ')'");
		m->p++;
		m->depth--;
		return 0;
	}
	return mcomparison(m, out);
}

/* and binds tighter than or; both sides are always parsed so that a fault anywhere is found. */
static int
mand(struct mparser *m, bool *out)
{
	bool v, r;
	int rc;

	if ((rc = matom(m, &v)) != 0)
		return rc;
	for (;;) {
		mskip(m);
		if (!mkeyword(m, "and"))
			break;
		if ((rc = matom(m, &r)) != 0)
			return rc;
		v = v && r;
	}
	*out = v;
	return 0;
}

static int
mor(struct mparser *m, bool *out)
{
	bool v, r;
	int rc;

	if ((rc = mand(m, &v)) != 0)
		return rc;
	for (;;) {
		mskip(m);
		if (!mkeyword(m, "or"))
			break;
		if ((rc = mand(m, &r)) != 0)
			return rc;
		v = v || r;
	}
	*out = v;
	return 0;
}

static int
marker_run(const char *marker, const struct pcb_marker_env *env, bool *out, struct pcb_err *err)
{
	struct mparser m = { marker, 0, env, err, 0 };
	bool v = false;
	int rc;

	if (strlen(marker) > MARKER_MAXLEN)
		return pcb_err_set(err, PCB_EINVAL, "marker longer than %d bytes", MARKER_MAXLEN);
	if ((rc = mor(&m, &v)) != 0)
		return rc;
	mskip(&m);
	if (m.s[m.p] != '\0')
		return mfail(&m, m.p, "expected 'and', 'or' or the end");
	*out = v;
	return 0;
}

int
pcb_marker_eval(const char *marker, const struct pcb_marker_env *env, bool *out,
    struct pcb_err *err)
{
	return marker_run(marker, env, out, err);
}

/* ---- requirements --------------------------------------------------------------------------- */

static void
req_skip(const char *s, size_t *p)
{
	while (s[*p] == ' ' || s[*p] == '\t')
		(*p)++;
}

/* A distribution or extra name: letters/digits, with "-_." inside. Returns its length. */
static size_t
req_name(const char *s, size_t p)
{
	size_t i = p;
	if (!isalnum((unsigned char)s[i]))
		return 0;
	while (isalnum((unsigned char)s[i]) || is_sep(s[i]))
		i++;
	while (i > p && is_sep(s[i - 1]))
		i--;
	return i - p;
}

void
pcb_requirement_free(struct pcb_requirement *r)
{
	if (r == NULL)
		return;
	free(r->name);
	pcb_strv_free(&r->extras);
	free(r->specifier);
	free(r->url);
	free(r->marker);
	memset(r, 0, sizeof *r);
}

static int
req_fail(struct pcb_err *err, const char *line, size_t at, const char *what)
{
	return pcb_err_set(err, PCB_EINVAL, "requirement '%s': column %zu: %s", line, at + 1, what);
}

int
pcb_requirement_parse(const char *line, struct pcb_requirement *out, struct pcb_err *err)
{
	struct pcb_requirement r;
	size_t p = 0, n, len;
	bool dummy;
	int rc = 0;

	memset(&r, 0, sizeof r);
	pcb_strv_init(&r.extras);
	len = strlen(line);
	if (len > REQ_MAXLEN) {
		rc = pcb_err_set(err, PCB_EINVAL, "requirement longer than %d bytes", REQ_MAXLEN);
		goto out;
	}
	req_skip(line, &p);
	if ((n = req_name(line, p)) == 0) {
		rc = req_fail(err, line, p, "expected a distribution name");
		goto out;
	}
	{
		char *raw = pcb_xstrndup(line + p, n);
		r.name = pcb_pyname_normalize(raw);
		free(raw);
	}
	p += n;
	req_skip(line, &p);
	if (line[p] == '[') {
		p++;
		req_skip(line, &p);
		if (line[p] != ']') {
			for (;;) {
				char *raw;
				req_skip(line, &p);
				if ((n = req_name(line, p)) == 0) {
					rc = req_fail(err, line, p, "expected an extra name");
					goto out;
				}
				raw = pcb_xstrndup(line + p, n);
				pcb_strv_push_owned(&r.extras, pcb_pyname_normalize(raw));
				free(raw);
				p += n;
				req_skip(line, &p);
				if (line[p] == ',') {
					p++;
					continue;
				}
				if (line[p] == ']')
					break;
				rc = req_fail(err, line, p, "expected ',' or ']' in the extras");
				goto out;
			}
		}
		p++;
		req_skip(line, &p);
	}
	if (line[p] == '@') {
		size_t start;
		p++;
		req_skip(line, &p);
		start = p;
		while (line[p] != '\0' && !isspace((unsigned char)line[p]))
			p++;
		if (p == start) {
			rc = req_fail(err, line, start, "expected a URL after '@'");
			goto out;
		}
		r.url = pcb_xstrndup(line + start, p - start);
		if (strchr(r.url, ':') == NULL) {
			rc = req_fail(err, line, start, "the URL after '@' has no scheme");
			goto out;
		}
		req_skip(line, &p);
		r.specifier = pcb_xstrdup("");
	} else if (line[p] == '(') {
		size_t start = ++p;
		while (line[p] != '\0' && line[p] != ')')
			p++;
		if (line[p] != ')') {
			rc = req_fail(err, line, start - 1, "unclosed '('");
			goto out;
		}
		r.specifier = pcb_xstrndup(line + start, p - start);
		p++;
		req_skip(line, &p);
	} else if (line[p] != '\0' && strchr("<>=!~", line[p]) != NULL) {
		size_t start = p;
		while (line[p] != '\0' && line[p] != ';')
			p++;
		n = p - start;
		while (n > 0 && isspace((unsigned char)line[start + n - 1]))
			n--;
		r.specifier = pcb_xstrndup(line + start, n);
	} else
		r.specifier = pcb_xstrdup("");
	/* Trim and check the specifier (an empty "()" is allowed). */
	{
		char *s = r.specifier;
		size_t a = 0, b = strlen(s);
		while (isspace((unsigned char)s[a]))
			a++;
		while (b > a && isspace((unsigned char)s[b - 1]))
			b--;
		memmove(s, s + a, b - a);
		s[b - a] = '\0';
		if ((rc = spec_eval(s, NULL, true, &dummy, err)) != 0) {
			pcb_err_prefix(err, "requirement '%s'", line);
			goto out;
		}
	}
	if (line[p] == ';') {
		p++;
		req_skip(line, &p);
		n = strlen(line + p);
		while (n > 0 && isspace((unsigned char)line[p + n - 1]))
			n--;
		if (n == 0) {
			rc = req_fail(err, line, p, "expected a marker after ';'");
			goto out;
		}
		r.marker = pcb_xstrndup(line + p, n);
		if ((rc = marker_run(r.marker, NULL, &dummy, err)) != 0) {
			pcb_err_prefix(err, "requirement '%s'", line);
			goto out;
		}
		p += strlen(line + p);
	}
	req_skip(line, &p);
	while (isspace((unsigned char)line[p]))
		p++;
	if (line[p] != '\0') {
		rc = req_fail(err, line, p, "unexpected text");
		goto out;
	}
out:
	if (rc == 0)
		*out = r;
	else
		pcb_requirement_free(&r);
	return rc;
}
