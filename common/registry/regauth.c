/* regauth.c — WWW-Authenticate parsing, bearer token fetches and the token cache used by the
 * registry client (see regauth.h).
 *
 * Secrets (passwords, identity tokens, bearer tokens) go to libcurl and to the cache only:
 * every error message here is built from hosts, statuses and the token server's own error
 * text, never from what we sent. */
#include "registry/regauth.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TOKEN_BODY_MAX ((size_t)1 << 20)
#define TOKEN_MAX ((size_t)64 << 10)
#define CACHE_MAX 64
#define DEFAULT_EXPIRES_S 60
#define PARAM_MAX 2048

struct cache_entry {
	char *scope;
	char *token;
	int64_t expires_at_ms;
};

struct pcb_regauth {
	pthread_mutex_t mu;
	struct cache_entry v[CACHE_MAX];
	size_t n;
};

static bool
is_tchar(int c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *
skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Reads a token or a quoted-string at *pp into a new string. NULL when malformed. */
static char *
read_value(const char **pp)
{
	const char *p = *pp;
	struct pcb_buf b;
	char *v = NULL;

	pcb_buf_init(&b, PARAM_MAX);
	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\0')
				goto out;
			if (*p == '\\') {
				p++;
				if (*p == '\0')
					goto out;
			}
			if (pcb_buf_append(&b, p, 1) != 0)
				goto out;
		}
		p++;
	} else {
		/* Tokens, plus '/' ':' '=' which registries put unquoted in realms and scopes. */
		while (is_tchar((unsigned char)*p) || *p == '/' || *p == ':' || *p == '=') {
			if (pcb_buf_append(&b, p, 1) != 0)
				goto out;
			p++;
		}
		if (b.len == 0)
			goto out;
	}
	v = pcb_buf_steal(&b, NULL);
	*pp = p;
out:
	pcb_buf_free(&b);
	return v;
}

int
pcb_regauth_challenge_parse(const char *header, struct pcb_regauth_challenge *out,
    struct pcb_err *err)
{
	struct pcb_regauth_challenge c;
	const char *p;
	size_t n = 0;
	int rc = 0;

	memset(&c, 0, sizeof c);
	if (header == NULL || strlen(header) > PCB_REGAUTH_HEADER_MAX) {
		rc = pcb_err_set(err, PCB_EINVAL, "WWW-Authenticate header missing or too long");
		goto out;
	}
	p = skip_ws(header);
	while (is_tchar((unsigned char)p[n]))
		n++;
	if (n == 0 || n >= sizeof c.scheme) {
		rc = pcb_err_set(err, PCB_EINVAL, "WWW-Authenticate: no auth scheme");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		c.scheme[i] = (char)tolower((unsigned char)p[i]);
	p = skip_ws(p + n);
	while (*p != '\0') {
		const char *name = p;
		size_t nlen = 0;
		char *val;

		while (is_tchar((unsigned char)p[nlen]))
			nlen++;
		if (nlen == 0) {
			if (*p == ',') {   /* empty list elements are allowed */
				p = skip_ws(p + 1);
				continue;
			}
			rc = pcb_err_set(err, PCB_EINVAL, "WWW-Authenticate: unexpected '%c'", *p);
			goto out;
		}
		p = skip_ws(p + nlen);
		if (*p != '=')
			break;   /* the next challenge's scheme: we only take the first */
		p = skip_ws(p + 1);
		if ((val = read_value(&p)) == NULL) {
			rc = pcb_err_set(err, PCB_EINVAL, "WWW-Authenticate: bad value for '%.*s'",
			    (int)(nlen < 64 ? nlen : 64), name);
			goto out;
		}
#define TAKE(field, key) \
		if (nlen == strlen(key) && strncasecmp(name, key, nlen) == 0) { \
			free(c.field); c.field = val; val = NULL; }
		TAKE(realm, "realm") else TAKE(service, "service") else TAKE(scope, "scope")
		else TAKE(error, "error")
#undef TAKE
		free(val);
		p = skip_ws(p);
		if (*p == ',')
			p = skip_ws(p + 1);
		else if (*p != '\0') {
			rc = pcb_err_set(err, PCB_EINVAL, "WWW-Authenticate: expected ',' after a parameter");
			goto out;
		}
	}
out:
	if (rc != 0)
		pcb_regauth_challenge_free(&c);
	*out = c;
	return rc;
}

void
pcb_regauth_challenge_free(struct pcb_regauth_challenge *c)
{
	if (c == NULL)
		return;
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	memset(c, 0, sizeof *c);
}

int
pcb_regauth_token_parse(const char *body, size_t len, char **token_out,
    int64_t *expires_in_s_out, struct pcb_err *err)
{
	json_tokener *tok = json_tokener_new();
	json_object *j = NULL, *t = NULL, *e = NULL;
	const char *s;
	int64_t exp = DEFAULT_EXPIRES_S;
	int rc = 0;

	*token_out = NULL;
	j = json_tokener_parse_ex(tok, body, (int)len);
	if (j == NULL || !json_object_is_type(j, json_type_object)) {
		rc = pcb_err_set(err, PCB_EINVAL, "token server answer is not a JSON object");
		goto out;
	}
	if ((!json_object_object_get_ex(j, "token", &t) || !json_object_is_type(t, json_type_string) ||
	    json_object_get_string_len(t) == 0) &&
	    (!json_object_object_get_ex(j, "access_token", &t) ||
	    !json_object_is_type(t, json_type_string) || json_object_get_string_len(t) == 0)) {
		rc = pcb_err_set(err, PCB_EINVAL, "token server answer has no token");
		goto out;
	}
	s = json_object_get_string(t);
	if (strlen(s) > TOKEN_MAX || strpbrk(s, "\r\n") != NULL) {
		rc = pcb_err_set(err, PCB_EINVAL, "token server answer has a malformed token");
		goto out;
	}
	if (json_object_object_get_ex(j, "expires_in", &e) &&
	    (json_object_is_type(e, json_type_int) || json_object_is_type(e, json_type_double))) {
		exp = json_object_get_int64(e);
		if (exp <= 0)
			exp = DEFAULT_EXPIRES_S;
	}
	*token_out = pcb_xstrdup(s);
	*expires_in_s_out = exp;
out:
	json_object_put(j);
	json_tokener_free(tok);
	return rc;
}

int64_t
pcb_regauth_token_lifetime_ms(int64_t expires_in_s)
{
	/* A margin of a tenth of the life, at most 30 s: a 60 s token is used for 54 s. */
	int64_t margin = expires_in_s / 10;

	if (margin > 30)
		margin = 30;
	if (expires_in_s <= 0)
		return 0;
	return (expires_in_s - margin) * 1000;
}

struct pcb_regauth *
pcb_regauth_create(void)
{
	struct pcb_regauth *a = pcb_xcalloc(1, sizeof *a);

	pthread_mutex_init(&a->mu, NULL);
	return a;
}

static void
entry_free(struct cache_entry *e)
{
	free(e->scope);
	if (e->token != NULL) {
		explicit_bzero(e->token, strlen(e->token));
		free(e->token);
	}
	memset(e, 0, sizeof *e);
}

void
pcb_regauth_destroy(struct pcb_regauth *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++)
		entry_free(&a->v[i]);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

char *
pcb_regauth_token_get(struct pcb_regauth *a, const char *scope, int64_t now_ms)
{
	char *t = NULL;

	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].scope, scope != NULL ? scope : "") == 0) {
			if (a->v[i].expires_at_ms > now_ms)
				t = pcb_xstrdup(a->v[i].token);
			break;
		}
	pthread_mutex_unlock(&a->mu);
	return t;
}

static void
drop_locked(struct pcb_regauth *a, size_t i)
{
	entry_free(&a->v[i]);
	a->v[i] = a->v[a->n - 1];
	memset(&a->v[a->n - 1], 0, sizeof a->v[0]);
	a->n--;
}

void
pcb_regauth_token_put(struct pcb_regauth *a, const char *scope, const char *token,
    int64_t expires_at_ms)
{
	size_t oldest = 0;

	if (scope == NULL)
		scope = "";
	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].scope, scope) == 0) {
			drop_locked(a, i);
			break;
		}
	/* Bounded: when full, the entry closest to expiry goes. */
	if (a->n == CACHE_MAX) {
		for (size_t i = 1; i < a->n; i++)
			if (a->v[i].expires_at_ms < a->v[oldest].expires_at_ms)
				oldest = i;
		drop_locked(a, oldest);
	}
	a->v[a->n].scope = pcb_xstrdup(scope);
	a->v[a->n].token = pcb_xstrdup(token);
	a->v[a->n].expires_at_ms = expires_at_ms;
	a->n++;
	pthread_mutex_unlock(&a->mu);
}

void
pcb_regauth_token_drop(struct pcb_regauth *a, const char *scope)
{
	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].scope, scope != NULL ? scope : "") == 0) {
			drop_locked(a, i);
			break;
		}
	pthread_mutex_unlock(&a->mu);
}

static size_t
collect(char *p, size_t size, size_t n, void *ud)
{
	struct pcb_buf *b = ud;

	if (pcb_buf_append(b, p, size * n) != 0)
		return 0;   /* over the limit: curl aborts the transfer */
	return size * n;
}

/* Appends "&name=<escaped value>" (or "name=…" at the start) to b. */
static void
add_param(CURL *c, struct pcb_buf *b, const char *name, const char *value)
{
	char *esc = curl_easy_escape(c, value, 0);

	if (esc == NULL)
		abort();
	pcb_buf_appendf(b, "%s%s=%s", b->len > 0 ? "&" : "", name, esc);
	curl_free(esc);
}

void
pcb_regauth_url_host(const char *url, char out[256])
{
	const char *p = strstr(url, "://");
	size_t n;

	p = p != NULL ? p + 3 : url;
	n = strcspn(p, "/?#");
	if (n > 255)
		n = 255;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* A short, single-line excerpt of an error body from the token server. */
static void
body_excerpt(const struct pcb_buf *b, char out[200])
{
	json_object *j = NULL, *v;
	size_t n = 0;

	out[0] = '\0';
	if (b->len == 0)
		return;
	j = json_tokener_parse(b->data);
	if (j != NULL && json_object_is_type(j, json_type_object) &&
	    (json_object_object_get_ex(j, "details", &v) ||
	    json_object_object_get_ex(j, "error_description", &v) ||
	    json_object_object_get_ex(j, "error", &v)) && json_object_is_type(v, json_type_string)) {
		snprintf(out, 200, ": %s", json_object_get_string(v));
	} else if (j == NULL) {
		out[n++] = ':';
		out[n++] = ' ';
		for (size_t i = 0; i < b->len && n < 120; i++)
			out[n++] = isprint((unsigned char)b->data[i]) ? b->data[i] : ' ';
		out[n] = '\0';
	}
	json_object_put(j);
}

int
pcb_regauth_fetch(CURL *c, const struct pcb_regauth_challenge *ch, const char *scopes,
    const struct pcb_credential *cred, const char *user_agent, pcb_regauth_prep_fn prep,
    void *prep_ud, char **token_out, int64_t *expires_in_s_out, struct pcb_err *err)
{
	struct pcb_buf q, body;
	char *url = NULL, *form = NULL, *scopes_copy = NULL;
	char ebuf[CURL_ERROR_SIZE] = "", host[256], excerpt[200];
	bool refresh = cred != NULL && cred->identity_token != NULL;
	long status = 0;
	CURLcode cc;
	int rc = 0;

	*token_out = NULL;
	pcb_buf_init(&q, 16384);
	pcb_buf_init(&body, TOKEN_BODY_MAX);
	if (ch->realm == NULL || ch->realm[0] == '\0') {
		rc = pcb_err_set(err, PCB_EINVAL, "bearer challenge without a realm");
		goto out;
	}
	pcb_regauth_url_host(ch->realm, host);
	curl_easy_reset(c);
	if (ch->service != NULL)
		add_param(c, &q, "service", ch->service);
	if (scopes != NULL && scopes[0] != '\0') {
		char *save = NULL, *s;
		scopes_copy = pcb_xstrdup(scopes);
		for (s = strtok_r(scopes_copy, " ", &save); s != NULL; s = strtok_r(NULL, " ", &save))
			add_param(c, &q, "scope", s);
	}
	if (refresh) {
		/* OAuth2 refresh-token grant, as docker does with an "identitytoken". */
		add_param(c, &q, "grant_type", "refresh_token");
		add_param(c, &q, "refresh_token", cred->identity_token);
		add_param(c, &q, "client_id", "pycontainerd");
		url = pcb_xstrdup(ch->realm);
		form = pcb_buf_steal(&q, NULL);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
	} else {
		url = q.len == 0 ? pcb_xstrdup(ch->realm) : pcb_xasprintf("%s%s%s", ch->realm,
		    strchr(ch->realm, '?') != NULL ? "&" : "?", q.data);
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		if (cred != NULL && cred->username != NULL && cred->password != NULL) {
			curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
			curl_easy_setopt(c, CURLOPT_USERNAME, cred->username);
			curl_easy_setopt(c, CURLOPT_PASSWORD, cred->password);
		}
	}
	if ((rc = prep(prep_ud, c, url, err)) != 0)
		goto out;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 30000L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	if (user_agent != NULL)
		curl_easy_setopt(c, CURLOPT_USERAGENT, user_agent);
	cc = curl_easy_perform(c);
	if (cc == CURLE_ABORTED_BY_CALLBACK) {
		rc = pcb_err_set(err, PCB_ECANCELED, "cancelled");
		goto out;
	}
	if (cc != CURLE_OK) {
		rc = pcb_err_set(err, pcb_regauth_curl_code(cc), "fetching a token from %s: %s", host,
		    ebuf[0] != '\0' ? ebuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		body_excerpt(&body, excerpt);
		rc = pcb_err_set(err, status == 401 ? PCB_EAUTH : status == 403 ? PCB_EPERM : PCB_EIO,
		    "token server %s answered HTTP %ld%s", host, status, excerpt);
		if (err != NULL)
			err->http_status = (int)status;
		goto out;
	}
	if ((rc = pcb_regauth_token_parse(body.data, body.len, token_out, expires_in_s_out,
	    err)) != 0)
		pcb_err_prefix(err, "token server %s", host);
out:
	/* Nothing secret may stay on the reused handle. */
	curl_easy_reset(c);
	if (form != NULL) {
		explicit_bzero(form, strlen(form));
		free(form);
	}
	if (q.data != NULL)
		explicit_bzero(q.data, q.len);
	pcb_buf_free(&q);
	pcb_buf_free(&body);
	free(url);
	free(scopes_copy);
	return rc;
}

int
pcb_regauth_curl_code(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return PCB_EUNREACHABLE;
	case CURLE_OPERATION_TIMEDOUT:   /* also the low-speed limit: a stalled transfer */
		return PCB_ETIMEDOUT;
	default:
		return PCB_EIO;
	}
}
