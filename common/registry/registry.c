/* registry.c — the OCI distribution client: scheme and TLS choice per host, one HTTP exchange
 * with the challenge/token dance, retries with backoff, and the pull and push of images
 * between a registry and the content store.
 *
 * Every request goes through request(): it adds the credentials the registry asked for,
 * answers a 401 once by fetching a token (or switching to Basic), and retries connection
 * errors, 408, 429 and 5xx within the attempt and time budget. Blob uploads do not retry a
 * single PATCH or PUT (an upload session may be half-written): the whole upload restarts from
 * a new POST instead. Blob downloads resume with a Range request. */
#include "registry/regauth.h"
#include "registry/registry.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define MANIFEST_MAX ((size_t)4 << 20)
#define ERRBODY_MAX ((size_t)64 << 10)
#define HEADER_VALUE_MAX 8192
#define CA_BLOB_MAX ((size_t)8 << 20)
#define MAX_WORKERS 4
#define MAX_BLOBS 1024
/* A blob fetched by digest alone (no descriptor) may be at most this big. */
#define FETCH_BLOB_MAX ((uint64_t)64 << 30)
#define SIZE_UNKNOWN UINT64_MAX
#define MOUNT_TRIES 3
#define BACKOFF_BASE_MS 200
#define BACKOFF_CAP_MS 10000
#define PROGRESS_STEP ((uint64_t)1 << 20)
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define ACCEPT_MANIFESTS "Accept: " PCB_MT_OCI_INDEX ", " PCB_MT_OCI_MANIFEST ", " \
	MT_DOCKER_LIST ", " MT_DOCKER_MANIFEST

enum auth_mode { AUTH_NONE, AUTH_BASIC, AUTH_BEARER };

struct pcb_registry {
	char *host;                 /* host[:port], lowercased; Docker Hub's API host */
	struct pcb_registry_opts o; /* pointers borrowed from the caller */
	char *user_agent;
	const struct pcb_credential *cred;   /* borrowed from o.creds, may be NULL */
	bool plain_ok;              /* loopback or listed insecure: plain HTTP allowed */
	bool prefer_plain;          /* listed insecure by the user: try plain HTTP first */
	char *ca_blob;              /* extra CAs + the system bundle, or NULL for the default */
	size_t ca_blob_len;
	char *client_cert, *client_key;   /* from certs.d */
	CURLSH *share;
	pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
	CURL *main;                 /* the calling thread's handle */
	struct pcb_regauth *tokens;
	pthread_mutex_t mu;         /* guards base, mode, realm, service */
	char *base;                 /* "https://host" or "http://host" once known */
	enum auth_mode mode;
	char *realm, *service;      /* the registry's bearer challenge */
};

/* What one HTTP exchange brought back. */
struct resp {
	long status;
	char *location, *dcd, *content_type, *retry_after, *content_range, *content_length;
	char *www_bearer, *www_basic;
	struct pcb_buf body;        /* non-2xx bodies, or 2xx when no sink */
	bool too_big;
	int curl_code;              /* of a transport error, else 0 */
};

/* Where a 2xx response body goes instead of resp.body (blob downloads). Returns 0 or an
 * error, which aborts the transfer. */
typedef int (*sink_fn)(void *ud, CURL *c, const char *p, size_t n);

struct req {
	const char *method;
	char *url;                  /* owned by the caller */
	const char *scope;          /* token scope, "" for none */
	const char *hdrs[6];        /* extra header lines, NULL-terminated */
	const char *mem;            /* request body in memory … */
	size_t mem_len;
	int fd;                     /* … or a file range: fd >= 0 */
	uint64_t off, len;
	size_t body_max;
	sink_fn sink;
	void *sink_ud;
	uint64_t *resume_at;        /* when set and > 0: Range: bytes=N- */
	bool no_retry;              /* one attempt only (upload steps) */
	bool no_auth;               /* the /v2/ probe */
	/* progress */
	enum pcb_xfer_kind kind;
	const char *digest;
	uint64_t prog_base, prog_total;
};

struct xfer {
	struct pcb_registry *r;
	const struct req *q;
	uint64_t last;
	/* file upload state */
	uint64_t pos;
};

struct retry {
	int attempt;
	int64_t waited_ms;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- retry timing ------------------------------------------------------------------- */

int64_t
pcb_registry_backoff_ms(int attempt, int64_t retry_after_ms, uint64_t rnd)
{
	int64_t cap = BACKOFF_BASE_MS;

	if (retry_after_ms >= 0)
		return retry_after_ms;
	for (int i = 1; i < attempt && cap < BACKOFF_CAP_MS; i++)
		cap *= 2;
	if (cap > BACKOFF_CAP_MS)
		cap = BACKOFF_CAP_MS;
	return (int64_t)(rnd % (uint64_t)(cap + 1));
}

int64_t
pcb_registry_retry_after_ms(const char *value, int64_t now_unix_s)
{
	const char *p;
	time_t t;
	int64_t secs = 0;

	if (value == NULL)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	if (*value == '\0')
		return -1;
	for (p = value; isdigit((unsigned char)*p); p++) {
		secs = secs * 10 + (*p - '0');
		if (secs > 86400)
			secs = 86400;
	}
	if (p > value) {
		while (*p == ' ' || *p == '\t')
			p++;
		return *p == '\0' ? secs * 1000 : -1;
	}
	t = curl_getdate(value, NULL);
	if (t == -1)
		return -1;
	return (int64_t)t <= now_unix_s ? 0 : ((int64_t)t - now_unix_s) * 1000;
}

static bool
cancelled(const struct pcb_registry *r)
{
	return r->o.cancel != NULL && atomic_load(r->o.cancel) != 0;
}

/* Sleeps ms in small steps so a cancel is seen within 50 ms. */
static int
sleep_ms(const struct pcb_registry *r, int64_t ms, struct pcb_err *err)
{
	int64_t end = pcb_monotonic_ms() + ms;

	for (;;) {
		int64_t left = end - pcb_monotonic_ms();
		struct timespec ts;

		if (cancelled(r))
			return pcb_err_set(err, PCB_ECANCELED, "cancelled");
		if (left <= 0)
			return 0;
		if (left > 50)
			left = 50;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000L;
		nanosleep(&ts, NULL);
	}
}

static bool
status_retryable(long status)
{
	return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

/* Decides whether to try again after a failed attempt, and waits if so. rc is the attempt's
 * result (a transport code for a transport error, PCB_ERR_IS_TRANSPORT), status the HTTP
 * status (0 when none), why the attempt's error (may be NULL). Each retry is told through
 * opts.on_retry before the wait. */
static bool
retry_again(struct pcb_registry *r, struct retry *rt, int rc, long status,
    const char *retry_after, const struct pcb_err *why)
{
	int max_attempts = r->o.max_attempts > 0 ? r->o.max_attempts : 5;
	int64_t budget = r->o.max_retry_ms > 0 ? r->o.max_retry_ms : 60000;
	uint64_t rnd = 0;
	int64_t wait;

	if (rc == PCB_ECANCELED || cancelled(r))
		return false;
	if (!(PCB_ERR_IS_TRANSPORT(rc) && status == 0) && !status_retryable(status))
		return false;
	if (++rt->attempt >= max_attempts)
		return false;
	if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		rnd = (uint64_t)pcb_monotonic_ms() * 2654435761u;
	wait = pcb_registry_backoff_ms(rt->attempt,
	    pcb_registry_retry_after_ms(retry_after, pcb_now_ms() / 1000), rnd);
	if (rt->waited_ms + wait > budget)
		return false;
	rt->waited_ms += wait;
	if (r->o.on_retry != NULL) {
		char msg[PCB_ERR_MSG_MAX + 128], what[PCB_ERR_MSG_MAX];

		if (status != 0)
			snprintf(what, sizeof what, "HTTP %ld", status);
		else
			snprintf(what, sizeof what, "%s", why != NULL && why->msg[0] != '\0' ?
			    why->msg : "transport error");
		snprintf(msg, sizeof msg, "registry %s: %s; retrying in %.1f s (attempt %d of %d)",
		    r->host, what, (double)wait / 1000.0, rt->attempt + 1, max_attempts);
		r->o.on_retry(r->o.on_retry_ud, msg);
	}
	return sleep_ms(r, wait, NULL) == 0;
}

/* The low-speed time: the option, else $PCB_REGISTRY_STALL_SECONDS (a daemon-wide knob,
 * which tests use to see a stall in seconds), else a minute. */
static int
stall_seconds(const struct pcb_registry *r)
{
	const char *e;
	long v;

	if (r->o.stall_seconds > 0)
		return r->o.stall_seconds;
	if ((e = getenv("PCB_REGISTRY_STALL_SECONDS")) != NULL && (v = strtol(e, NULL, 10)) > 0 &&
	    v <= 3600)
		return (int)v;
	return 60;
}

/* ---- hosts, TLS --------------------------------------------------------------------- */

/* Splits "host:port" / "[v6]:port" into the bare host. out needs 256 bytes. */
static void
bare_host(const char *hostport, char out[256])
{
	const char *p = hostport, *e;
	size_t n;

	if (*p == '[') {
		p++;
		e = strchr(p, ']');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
	} else {
		e = strrchr(p, ':');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
	}
	if (n > 255)
		n = 255;
	memcpy(out, p, n);
	out[n] = '\0';
}

static bool
host_is_loopback(const char *hostport)
{
	char h[256];
	struct in_addr a4;
	struct in6_addr a6;

	bare_host(hostport, h);
	if (strcasecmp(h, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, h, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, h, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

static bool
listed_insecure(const struct pcb_registry *r, const char *hostport)
{
	char h[256];

	if (r->o.insecure == NULL)
		return false;
	bare_host(hostport, h);
	for (size_t i = 0; i < r->o.insecure->n; i++)
		if (strcasecmp(r->o.insecure->v[i], hostport) == 0 ||
		    strcasecmp(r->o.insecure->v[i], h) == 0)
			return true;
	return false;
}

static bool
plain_allowed(const struct pcb_registry *r, const char *hostport)
{
	return host_is_loopback(hostport) || listed_insecure(r, hostport);
}

static int
append_file(struct pcb_buf *b, const char *path, bool must, struct pcb_err *err)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	rc = pcb_read_file(path, CA_BLOB_MAX, &data, &len, err);
	if (rc == PCB_ENOENT && !must) {
		pcb_err_clear(err);
		return 0;
	}
	if (rc == 0 && (pcb_buf_append(b, data, len) != 0 || pcb_buf_append(b, "\n", 1) != 0))
		rc = pcb_err_set(err, PCB_ETOOBIG, "CA certificates larger than %zu bytes",
		    CA_BLOB_MAX);
	free(data);
	return rc;
}

/* certs.d/<host:port>/: *.crt are extra CAs; client.cert + client.key (or any X.cert with
 * X.key) a client certificate, as docker and podman read them. */
static int
load_certs_d(struct pcb_registry *r, const char *dir, struct pcb_buf *cas, struct pcb_err *err)
{
	char *hostdir = pcb_path_join(dir, r->host);
	DIR *d = opendir(hostdir);
	struct dirent *de;
	struct pcb_strv names;
	int rc = 0;

	pcb_strv_init(&names);
	if (d == NULL)
		goto out;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			pcb_strv_push(&names, de->d_name);
	closedir(d);
	pcb_strv_sort(&names);
	for (size_t i = 0; i < names.n && rc == 0; i++) {
		const char *n = names.v[i];
		char *path = pcb_path_join(hostdir, n);
		if (pcb_str_has_suffix(n, ".crt")) {
			rc = append_file(cas, path, true, err);
		} else if (pcb_str_has_suffix(n, ".cert") && r->client_cert == NULL) {
			char *key = pcb_xasprintf("%.*s.key", (int)(strlen(path) - 5), path);
			if (access(key, R_OK) == 0) {
				r->client_cert = pcb_xstrdup(path);
				r->client_key = key;
				key = NULL;
			}
			free(key);
		}
		free(path);
	}
out:
	pcb_strv_free(&names);
	free(hostdir);
	return rc;
}

static int
load_tls(struct pcb_registry *r, struct pcb_err *err)
{
	struct pcb_buf cas;
	int rc = 0;

	pcb_buf_init(&cas, CA_BLOB_MAX);
	if (r->o.ca_file != NULL && (rc = append_file(&cas, r->o.ca_file, true, err)) != 0)
		goto out;
	if (r->o.certs_d != NULL) {
		rc = load_certs_d(r, r->o.certs_d, &cas, err);
	} else {
		if ((rc = load_certs_d(r, "/etc/containers/certs.d", &cas, err)) == 0)
			rc = load_certs_d(r, "/etc/docker/certs.d", &cas, err);
	}
	if (rc != 0)
		goto out;
	/* Extra CAs add to the system store, they do not replace it: one blob with both. */
	if (cas.len > 0) {
		if ((rc = append_file(&cas, SYSTEM_CA_BUNDLE, false, err)) != 0)
			goto out;
		r->ca_blob = pcb_buf_steal(&cas, &r->ca_blob_len);
	}
out:
	if (rc != 0)
		pcb_err_prefix(err, "loading TLS certificates for %s", r->host);
	pcb_buf_free(&cas);
	return rc;
}

static int
xferinfo(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = ud;
	const struct req *q = x->q;
	uint64_t now;

	(void)dltotal;
	(void)ultotal;
	if (cancelled(x->r))
		return 1;
	if (q == NULL || q->digest == NULL || x->r->o.progress == NULL)
		return 0;
	now = q->prog_base + (uint64_t)(q->kind == PCB_XFER_PUSH ? ulnow : dlnow);
	if (now > q->prog_total)
		now = q->prog_total;
	if (now >= x->last + PROGRESS_STEP || (now == q->prog_total && now != x->last)) {
		x->last = now;
		x->r->o.progress(x->r->o.progress_ud, q->kind, q->digest, now, q->prog_total);
	}
	return 0;
}

static void
share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
	struct pcb_registry *r = ud;

	(void)h;
	(void)access;
	pthread_mutex_lock(&r->share_mu[data]);
}

static void
share_unlock(CURL *h, curl_lock_data data, void *ud)
{
	struct pcb_registry *r = ud;

	(void)h;
	pthread_mutex_unlock(&r->share_mu[data]);
}

/* Options every request needs: plain-HTTP policy, CAs, client cert, shared caches, timeouts.
 * Also the prep callback of token fetches (realm URLs). */
static int
prep_handle(void *ud, CURL *c, const char *url, struct pcb_err *err)
{
	struct pcb_registry *r = ud;
	char hp[256];

	pcb_regauth_url_host(url, hp);
	if (strncasecmp(url, "https://", 8) != 0) {
		if (strncasecmp(url, "http://", 7) != 0)
			return pcb_err_set(err, PCB_EINVAL, "unsupported URL scheme in '%.100s'", url);
		if (!plain_allowed(r, hp))
			return pcb_err_set(err, PCB_EPERM,
			    "refusing plain HTTP to %s: only loopback hosts and insecure registries "
			    "(--insecure-registry) may be used without TLS", hp);
	}
	curl_easy_setopt(c, CURLOPT_SHARE, r->share);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, r->user_agent);
	/* Connecting (TCP and the TLS handshake) gets 30 s, or the stall time when shorter: a
	 * server that accepts and then says nothing stalls the handshake as much as a body. */
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, stall_seconds(r) < 30 ?
	    (long)stall_seconds(r) * 1000L : 30000L);
	/* A stalled transfer (no byte for the stall time) is a timeout, retried like a
	 * connection error: a registry that accepts the connection and then says nothing
	 * would otherwise hold the build forever. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)stall_seconds(r));
	if (r->ca_blob != NULL) {
		struct curl_blob b = { r->ca_blob, r->ca_blob_len, CURL_BLOB_NOCOPY };
		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &b);
	}
	if (r->client_cert != NULL && strcasecmp(hp, r->host) == 0) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, r->client_cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, r->client_key);
	}
	/* Token fetches get only the cancel check (an xfer without a request); exchange()
	 * replaces it with its own. Always set: without a function curl would print its
	 * progress meter to stderr. */
	{
		static __thread struct xfer tok_x;
		tok_x.r = r;
		tok_x.q = NULL;
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, xferinfo);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, &tok_x);
	}
	return 0;
}

/* ---- create / destroy --------------------------------------------------------------- */

int
pcb_registry_create(const char *host, const struct pcb_registry_opts *opts,
    struct pcb_registry **out, struct pcb_err *err)
{
	struct pcb_registry *r = NULL;
	int rc = 0;

	*out = NULL;
	pthread_once(&curl_once, curl_init_once);
	if (host == NULL || host[0] == '\0' || strlen(host) > 255 ||
	    strpbrk(host, "/?#@ \t\r\n") != NULL) {
		rc = pcb_err_set(err, PCB_EINVAL, "invalid registry host '%.100s'",
		    host != NULL ? host : "");
		goto out;
	}
	r = pcb_xcalloc(1, sizeof *r);
	pthread_mutex_init(&r->mu, NULL);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&r->share_mu[i], NULL);
	if (strcasecmp(host, "docker.io") == 0 || strcasecmp(host, "index.docker.io") == 0)
		r->host = pcb_xstrdup("registry-1.docker.io");
	else {
		r->host = pcb_xstrdup(host);
		for (char *p = r->host; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	if (opts != NULL)
		r->o = *opts;
	r->user_agent = r->o.user_agent != NULL ? pcb_xstrdup(r->o.user_agent) :
	    pcb_xstrdup("pycontainerd/" PCB_VERSION);
	r->cred = pcb_credentials_find(r->o.creds, r->host);
	r->plain_ok = plain_allowed(r, r->host);
	r->prefer_plain = listed_insecure(r, r->host);
	r->tokens = pcb_regauth_create();
	r->share = curl_share_init();
	r->main = curl_easy_init();
	if (r->share == NULL || r->main == NULL) {
		rc = pcb_err_set(err, PCB_EINTERNAL, "libcurl initialisation failed");
		goto out;
	}
	curl_share_setopt(r->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(r->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(r->share, CURLSHOPT_USERDATA, r);
	curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	rc = load_tls(r, err);
out:
	if (rc != 0) {
		pcb_registry_destroy(r);
		r = NULL;
	}
	*out = r;
	return rc;
}

void
pcb_registry_destroy(struct pcb_registry *r)
{
	if (r == NULL)
		return;
	if (r->main != NULL)
		curl_easy_cleanup(r->main);
	if (r->share != NULL)
		curl_share_cleanup(r->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&r->share_mu[i]);
	pthread_mutex_destroy(&r->mu);
	pcb_regauth_destroy(r->tokens);
	free(r->host);
	free(r->user_agent);
	free(r->ca_blob);
	free(r->client_cert);
	free(r->client_key);
	free(r->base);
	free(r->realm);
	free(r->service);
	free(r);
}

/* ---- one exchange ------------------------------------------------------------------- */

static void
resp_reset(struct resp *s, size_t body_max)
{
	free(s->location);
	free(s->dcd);
	free(s->content_type);
	free(s->retry_after);
	free(s->content_range);
	free(s->content_length);
	free(s->www_bearer);
	free(s->www_basic);
	pcb_buf_free(&s->body);
	memset(s, 0, sizeof *s);
	pcb_buf_init(&s->body, body_max > 0 ? body_max : ERRBODY_MAX);
}

static void
resp_free(struct resp *s)
{
	resp_reset(s, 0);
	pcb_buf_free(&s->body);
}

struct exch {
	struct resp *s;
	const struct req *q;
	CURL *c;
	int sink_rc;
	bool sink_checked, is2xx;
};

static size_t
on_header(char *p, size_t size, size_t n, void *ud)
{
	struct exch *x = ud;
	struct resp *s = x->s;
	size_t len = size * n, nlen;
	const char *colon, *v;
	char **slot = NULL;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new response (after a redirect or 100-continue): forget the last one's. */
		size_t max = s->body.max;
		resp_reset(s, max);
		x->sink_checked = false;
		return len;
	}
	colon = memchr(p, ':', len);
	if (colon == NULL)
		return len;
	nlen = (size_t)(colon - p);
	v = colon + 1;
	while (v < p + len && (*v == ' ' || *v == '\t'))
		v++;
#define IS(name) (nlen == strlen(name) && strncasecmp(p, name, nlen) == 0)
	if (IS("location"))
		slot = &s->location;
	else if (IS("docker-content-digest"))
		slot = &s->dcd;
	else if (IS("content-type"))
		slot = &s->content_type;
	else if (IS("retry-after"))
		slot = &s->retry_after;
	else if (IS("content-range"))
		slot = &s->content_range;
	else if (IS("content-length"))
		slot = &s->content_length;
	else if (IS("www-authenticate")) {
		if ((size_t)(p + len - v) >= 6 && strncasecmp(v, "bearer", 6) == 0)
			slot = &s->www_bearer;
		else if ((size_t)(p + len - v) >= 5 && strncasecmp(v, "basic", 5) == 0)
			slot = &s->www_basic;
	}
#undef IS
	if (slot != NULL && *slot == NULL) {
		size_t vlen = (size_t)(p + len - v);
		while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
			vlen--;
		if (vlen <= HEADER_VALUE_MAX)
			*slot = pcb_xstrndup(v, vlen);
	}
	return len;
}

static size_t
on_body(char *p, size_t size, size_t n, void *ud)
{
	struct exch *x = ud;
	size_t len = size * n;

	if (!x->sink_checked) {
		long st = 0;
		curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &st);
		x->is2xx = st >= 200 && st < 300;
		x->sink_checked = true;
	}
	if (x->q->sink != NULL && x->is2xx) {
		x->sink_rc = x->q->sink(x->q->sink_ud, x->c, p, len);
		return x->sink_rc == 0 ? len : 0;
	}
	if (pcb_buf_append(&x->s->body, p, len) != 0) {
		x->s->too_big = true;
		return 0;
	}
	return len;
}

static size_t
on_read(char *buf, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	const struct req *q = x->q;
	size_t want = size * n;
	ssize_t got;

	if (x->pos >= q->len)
		return 0;
	if (want > q->len - x->pos)
		want = (size_t)(q->len - x->pos);
	got = pread(q->fd, buf, want, (off_t)(q->off + x->pos));
	if (got <= 0)
		return CURL_READFUNC_ABORT;
	x->pos += (uint64_t)got;
	return (size_t)got;
}

/* One HTTP exchange on c. Returns 0 when an HTTP answer came (any status, in s), PCB_EIO for
 * a transport error (err says curl's message), PCB_ECANCELED, or the sink's error. */
static int
exchange(struct pcb_registry *r, CURL *c, const struct req *q, const char *auth_header,
    bool basic, struct resp *s, struct pcb_err *err)
{
	struct curl_slist *hl = NULL;
	struct exch x = { s, q, c, 0, false, false };
	struct xfer xf = { r, q, 0, 0 };
	char ebuf[CURL_ERROR_SIZE] = "", range[64];
	CURLcode cc;
	int rc;

	resp_reset(s, q->body_max);
	curl_easy_reset(c);
	if ((rc = prep_handle(r, c, q->url, err)) != 0)
		goto out;
	curl_easy_setopt(c, CURLOPT_URL, q->url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, xferinfo);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &xf);
	for (size_t i = 0; i < PCB_ARRAY_LEN(q->hdrs) && q->hdrs[i] != NULL; i++)
		hl = curl_slist_append(hl, q->hdrs[i]);
	/* Uploads go in one go: no "Expect: 100-continue" round trip. */
	hl = curl_slist_append(hl, "Expect:");
	if (q->resume_at != NULL && *q->resume_at > 0) {
		snprintf(range, sizeof range, "Range: bytes=%llu-", (unsigned long long)*q->resume_at);
		hl = curl_slist_append(hl, range);
	}
	if (auth_header != NULL)
		hl = curl_slist_append(hl, auth_header);
	if (basic && r->cred != NULL && r->cred->username != NULL && r->cred->password != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, r->cred->username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, r->cred->password);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	if (strcmp(q->method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		/* Blob GETs may redirect to storage elsewhere; curl drops our Authorization
		 * header when the host changes. */
		curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	} else if (strcmp(q->method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		/* Registries on object storage redirect blob HEADs as they do GETs. */
		curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	} else if (q->fd >= 0) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, &xf);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->len);
	} else {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->mem != NULL ? q->mem : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->mem_len);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
	}
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &s->status);
	if (x.sink_rc != 0) {
		rc = x.sink_rc;
		goto out;
	}
	if (cc == CURLE_ABORTED_BY_CALLBACK) {
		rc = pcb_err_set(err, PCB_ECANCELED, "cancelled");
		goto out;
	}
	if (cc == CURLE_WRITE_ERROR && s->too_big) {
		rc = pcb_err_set(err, PCB_ETOOBIG, "the registry's answer is larger than %zu bytes",
		    s->body.max);
		goto out;
	}
	if (cc != CURLE_OK) {
		/* A transfer cut short after the status line is still a transport error: the
		 * body is incomplete. */
		s->curl_code = (int)cc;
		rc = pcb_err_set(err, pcb_regauth_curl_code(cc), "%s%s", ebuf[0] != '\0' ? ebuf :
		    curl_easy_strerror(cc), cc == CURLE_OPERATION_TIMEDOUT ? " (the registry "
		    "stalled)" : "");
		s->status = 0;
		goto out;
	}
out:
	curl_easy_reset(c);   /* drops references to our stack and to credentials */
	curl_slist_free_all(hl);
	return rc;
}

/* ---- auth and the request loop ------------------------------------------------------ */

static const char *
who(const struct pcb_registry *r)
{
	if (r->cred != NULL && r->cred->username != NULL && r->cred->username[0] != '\0')
		return r->cred->username;
	return r->cred != NULL && (r->cred->identity_token != NULL || r->cred->registry_token != NULL) ?
	    "token holder" : "anonymous";
}

/* Fetches a token for scope with the known realm and caches it. */
static int
get_token(struct pcb_registry *r, CURL *c, const char *scope, char **token_out,
    struct pcb_err *err)
{
	struct pcb_regauth_challenge ch;
	int64_t expires = 0;
	int rc;

	*token_out = NULL;
	if (r->cred != NULL && r->cred->registry_token != NULL) {
		*token_out = pcb_xstrdup(r->cred->registry_token);
		return 0;
	}
	memset(&ch, 0, sizeof ch);
	strcpy(ch.scheme, "bearer");
	pthread_mutex_lock(&r->mu);
	ch.realm = pcb_xstrdup(r->realm);
	ch.service = pcb_xstrdup(r->service);
	pthread_mutex_unlock(&r->mu);
	rc = pcb_regauth_fetch(c, &ch, scope, r->cred, r->user_agent, prep_handle, r, token_out,
	    &expires, err);
	if (rc == 0)
		pcb_regauth_token_put(r->tokens, scope, *token_out,
		    pcb_monotonic_ms() + pcb_regauth_token_lifetime_ms(expires));
	else if (rc == PCB_EPERM || rc == PCB_EAUTH)
		pcb_err_prefix(err, "authentication failed for %s (as %s)", r->host, who(r));
	pcb_regauth_challenge_free(&ch);
	return rc;
}

/* Takes in a 401's challenge. Returns 0 when the request is worth sending again. */
static int
on_challenge(struct pcb_registry *r, const struct resp *s, struct pcb_err *err)
{
	struct pcb_regauth_challenge ch;
	int rc;

	memset(&ch, 0, sizeof ch);
	if (s->www_bearer == NULL && s->www_basic == NULL)
		return pcb_err_set(err, PCB_EAUTH, "%s answered 401 without a WWW-Authenticate challenge",
		    r->host);
	rc = pcb_regauth_challenge_parse(s->www_bearer != NULL ? s->www_bearer : s->www_basic, &ch,
	    err);
	if (rc != 0) {
		pcb_err_prefix(err, "%s", r->host);
		goto out;
	}
	if (strcmp(ch.scheme, "bearer") == 0) {
		pthread_mutex_lock(&r->mu);
		r->mode = AUTH_BEARER;
		free(r->realm);
		free(r->service);
		r->realm = ch.realm;
		r->service = ch.service;
		ch.realm = ch.service = NULL;
		pthread_mutex_unlock(&r->mu);
	} else if (strcmp(ch.scheme, "basic") == 0) {
		if (r->cred == NULL || r->cred->username == NULL || r->cred->password == NULL) {
			rc = pcb_err_set(err, PCB_EAUTH,
			    "%s asks for a username and password, and none were given for it", r->host);
			goto out;
		}
		pthread_mutex_lock(&r->mu);
		r->mode = AUTH_BASIC;
		pthread_mutex_unlock(&r->mu);
	} else {
		rc = pcb_err_set(err, PCB_EUNSUPPORTED, "%s asks for unsupported auth scheme '%s'",
		    r->host, ch.scheme);
	}
out:
	pcb_regauth_challenge_free(&ch);
	return rc;
}

/* Sends q with auth and retries. rc 0 means an HTTP answer is in s (any status but an
 * unanswerable 401, which is reported as an error here). */
static int
request(struct pcb_registry *r, CURL *c, const struct req *q, struct resp *s,
    struct pcb_err *err)
{
	struct retry rt = { 0, 0 };
	bool challenged = false;
	int rc;

	for (;;) {
		enum auth_mode mode;
		char *token = NULL, *hdr = NULL;

		if (cancelled(r)) {
			rc = pcb_err_set(err, PCB_ECANCELED, "cancelled");
			break;
		}
		pthread_mutex_lock(&r->mu);
		mode = q->no_auth ? AUTH_NONE : r->mode;
		pthread_mutex_unlock(&r->mu);
		if (mode == AUTH_BEARER) {
			token = pcb_regauth_token_get(r->tokens, q->scope, pcb_monotonic_ms());
			/* Knowing the realm, fetch a token before sending: an upload body sent
			 * into a 401 would be wasted. */
			if (token == NULL && (rc = get_token(r, c, q->scope, &token, err)) != 0) {
				if (PCB_ERR_IS_TRANSPORT(rc) && retry_again(r, &rt, rc, 0, NULL, err))
					continue;
				break;
			}
			hdr = pcb_xasprintf("Authorization: Bearer %s", token);
		}
		pcb_err_clear(err);
		rc = exchange(r, c, q, hdr, mode == AUTH_BASIC, s, err);
		if (hdr != NULL) {
			explicit_bzero(hdr, strlen(hdr));
			free(hdr);
		}
		if (token != NULL) {
			explicit_bzero(token, strlen(token));
			free(token);
		}
		if (rc == 0 && s->status == 401 && !q->no_auth) {
			if (challenged)
				break;   /* the caller words "authentication failed" */
			challenged = true;
			/* A cached token the registry no longer takes is dropped, not retried. */
			if (mode == AUTH_BEARER)
				pcb_regauth_token_drop(r->tokens, q->scope);
			if ((rc = on_challenge(r, s, err)) != 0)
				break;
			continue;
		}
		if (q->no_retry || !retry_again(r, &rt, rc, rc == 0 ? s->status : 0, s->retry_after,
		    err))
			break;
	}
	return rc;
}

/* Finds out (once) whether the registry speaks HTTPS, or — for loopback and insecure hosts
 * only — plain HTTP, the way docker probes insecure registries. */
static int
ensure_base(struct pcb_registry *r, CURL *c, struct pcb_err *err)
{
	struct resp s;
	struct req q;
	struct retry rt = { 0, 0 };
	struct pcb_err e2;
	char *https = NULL, *http = NULL;
	const char *chosen = NULL;
	bool have;
	int rc = 0;

	pthread_mutex_lock(&r->mu);
	have = r->base != NULL;
	pthread_mutex_unlock(&r->mu);
	if (have)
		return 0;
	memset(&s, 0, sizeof s);
	https = pcb_xasprintf("https://%s/v2/", r->host);
	http = pcb_xasprintf("http://%s/v2/", r->host);
	memset(&q, 0, sizeof q);
	q.method = "GET";
	q.scope = "";
	q.fd = -1;
	q.no_auth = true;
	/* When plain HTTP is allowed, a failed HTTPS attempt goes straight on to HTTP, and the
	 * pair is what gets retried: a plain registry costs no backoff. */
	q.no_retry = r->plain_ok;
	for (;;) {
		/* A host the user listed as insecure is asked over plain HTTP first (that is what
		 * they told us it speaks); loopback hosts are asked over HTTPS first, as docker does. */
		char *first = r->prefer_plain ? http : https;
		char *second = r->prefer_plain ? https : http;

		q.url = first;
		rc = request(r, c, &q, &s, err);
		if (rc == 0) {
			chosen = first;
			break;
		}
		/* A server that speaks TLS with a certificate we cannot verify is an HTTPS
		 * server: say so rather than try plain HTTP on its port. */
		if (PCB_ERR_IS_TRANSPORT(rc) && r->plain_ok &&
		    s.curl_code != CURLE_PEER_FAILED_VERIFICATION &&
		    s.curl_code != CURLE_SSL_CERTPROBLEM && s.curl_code != CURLE_SSL_CACERT_BADFILE) {
			q.url = second;
			pcb_err_clear(&e2);
			rc = request(r, c, &q, &s, &e2);
			if (rc == 0) {
				chosen = second;
				break;
			}
			if (PCB_ERR_IS_TRANSPORT(rc) && err != NULL) {
				char first_msg[PCB_ERR_MSG_MAX];
				snprintf(first_msg, sizeof first_msg, "%s", err->msg);
				pcb_err_set(err, rc, "%s (over %s: %.400s; over %s: %.400s)", r->host,
				    r->prefer_plain ? "HTTP" : "HTTPS", first_msg,
				    r->prefer_plain ? "HTTPS" : "HTTP", e2.msg);
			} else if (err != NULL) {
				*err = e2;
			}
			if (!q.no_retry || !retry_again(r, &rt, rc, 0, NULL, err))
				goto out;
			continue;
		}
		/* Not retried again here: request() did (no plain HTTP), or a certificate
		 * problem will not go away. */
		pcb_err_prefix(err, "%s", r->host);
		goto out;
	}
	pthread_mutex_lock(&r->mu);
	if (r->base == NULL)
		r->base = pcb_xstrndup(chosen, strlen(chosen) - 4);
	pthread_mutex_unlock(&r->mu);
	/* The probe's challenge says which scheme to use, so the first real request can carry
	 * credentials. */
	if (s.status == 401)
		(void)on_challenge(r, &s, NULL);
out:
	if (rc != 0)
		pcb_err_prefix(err, "connecting to registry");
	free(https);
	free(http);
	resp_free(&s);
	return rc;
}

static char *
url_for(struct pcb_registry *r, const char *fmt_path)
{
	char *u;

	pthread_mutex_lock(&r->mu);
	u = pcb_xasprintf("%s%s", r->base, fmt_path);
	pthread_mutex_unlock(&r->mu);
	return u;
}

/* An upload Location: absolute, or a path on the registry. */
static char *
resolve_location(struct pcb_registry *r, const char *loc)
{
	char *p, *u;

	if (strncasecmp(loc, "http://", 7) == 0 || strncasecmp(loc, "https://", 8) == 0)
		return pcb_xstrdup(loc);
	p = loc[0] == '/' ? pcb_xstrdup(loc) : pcb_xasprintf("/%s", loc);
	u = url_for(r, p);
	free(p);
	return u;
}

/* "sha256:0123456789ab…" for messages. */
static void
short_digest(const char *d, char out[32])
{
	snprintf(out, 32, "%.19s%s", d, strlen(d) > 19 ? "…" : "");
}

/* The registry's own words: "CODE: message; CODE: message" from {"errors":[…]}. */
static void
registry_message(const struct resp *s, char *out, size_t outsz, bool *denied)
{
	json_object *j = NULL, *errs, *e, *v;
	size_t n = 0;

	out[0] = '\0';
	*denied = false;
	if (s->body.len == 0)
		return;
	j = json_tokener_parse(s->body.data);
	if (j != NULL && json_object_object_get_ex(j, "errors", &errs) &&
	    json_object_is_type(errs, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(errs) && i < 3; i++) {
			const char *code = "", *msg = "";
			e = json_object_array_get_idx(errs, i);
			if (json_object_object_get_ex(e, "code", &v) && json_object_is_type(v, json_type_string))
				code = json_object_get_string(v);
			if (json_object_object_get_ex(e, "message", &v) &&
			    json_object_is_type(v, json_type_string))
				msg = json_object_get_string(v);
			if (strcmp(code, "DENIED") == 0)
				*denied = true;
			n += (size_t)snprintf(out + n, n < outsz ? outsz - n : 0, "%s%s%s%s",
			    i > 0 ? "; " : "", code, code[0] != '\0' && msg[0] != '\0' ? ": " : "", msg);
			if (n >= outsz)
				break;
		}
	} else if (j == NULL && s->content_type != NULL &&
	    pcb_str_has_prefix(s->content_type, "text/plain")) {
		for (size_t i = 0; i < s->body.len && n + 1 < outsz && n < 200; i++)
			out[n++] = isprint((unsigned char)s->body.data[i]) ? s->body.data[i] : ' ';
		out[n] = '\0';
	}
	json_object_put(j);
}

/* Words the error for an unexpected HTTP answer. step: "pushing blob … to host/repo". */
static int
http_error(struct pcb_registry *r, const struct resp *s, const char *step, const char *repo,
    bool push, struct pcb_err *err)
{
	char msg[600];
	bool denied, bearer;
	int code;

	registry_message(s, msg, sizeof msg, &denied);
	pthread_mutex_lock(&r->mu);
	bearer = r->mode == AUTH_BEARER;
	pthread_mutex_unlock(&r->mu);
	if (s->status == 403 || denied || (s->status == 401 && s->www_bearer != NULL &&
	    strstr(s->www_bearer, "insufficient_scope") != NULL)) {
		code = pcb_err_set(err, PCB_EPERM, "%s: %s has no %s access to %s/%s: HTTP %ld%s%s",
		    step, who(r), push ? "push" : "pull", r->host, repo, s->status,
		    msg[0] != '\0' ? ": " : "", msg);
	} else if (s->status == 401 && bearer) {
		/* The token server accepted us and issued a token, which the registry refused. */
		code = pcb_err_set(err, PCB_EAUTH,
		    "%s: %s refused the token its token server issued (as %s): HTTP 401%s%s — the "
		    "token is expired or not valid for this registry (check both clocks and the token "
		    "service's settings)", step, r->host, who(r), msg[0] != '\0' ? ": " : "", msg);
	} else if (s->status == 401) {
		code = pcb_err_set(err, PCB_EAUTH,
		    "%s: authentication failed for %s (as %s): HTTP 401%s%s", step, r->host, who(r),
		    msg[0] != '\0' ? ": " : "", msg);
	} else {
		code = s->status == 404 ? PCB_ENOENT : s->status == 400 ? PCB_EINVAL :
		    s->status == 413 ? PCB_ETOOBIG : PCB_EIO;
		code = pcb_err_set(err, code, "%s: HTTP %ld%s%s", step, s->status,
		    msg[0] != '\0' ? ": " : "", msg);
	}
	if (err != NULL)
		err->http_status = (int)s->status;
	return code;
}

/* ---- pull --------------------------------------------------------------------------- */

static const char *
media_type_of(const struct resp *s, json_object *doc, char buf[256])
{
	json_object *v;

	if (doc != NULL && json_object_object_get_ex(doc, "mediaType", &v) &&
	    json_object_is_type(v, json_type_string) && json_object_get_string_len(v) < 256) {
		snprintf(buf, 256, "%s", json_object_get_string(v));
		return buf;
	}
	if (s != NULL && s->content_type != NULL) {
		size_t n = strcspn(s->content_type, "; ");
		snprintf(buf, 256, "%.*s", (int)(n < 255 ? n : 255), s->content_type);
		return buf;
	}
	/* An index without mediaType still has "manifests". */
	if (doc != NULL && json_object_object_get_ex(doc, "manifests", &v))
		return PCB_MT_OCI_INDEX;
	return PCB_MT_OCI_MANIFEST;
}

static bool
is_index(const char *mt)
{
	return strcmp(mt, PCB_MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0;
}

static bool
is_manifest(const char *mt)
{
	return strcmp(mt, PCB_MT_OCI_MANIFEST) == 0 || strcmp(mt, MT_DOCKER_MANIFEST) == 0;
}

/* GETs a manifest by tag or digest and checks its bytes against the digest asked for, or
 * the one the registry announced. */
static int
fetch_manifest(struct pcb_registry *r, CURL *c, const char *repo, const char *reference,
    const char *expect, char **body_out, size_t *len_out, json_object **doc_out,
    char mt_out[256], char digest_out[PCB_DIGEST_BUFSZ], struct pcb_err *err)
{
	struct resp s;
	struct req q;
	char *scope = pcb_xasprintf("repository:%s:pull", repo), *path, step[512], got[PCB_DIGEST_BUFSZ];
	json_object *doc = NULL;
	int rc;

	memset(&s, 0, sizeof s);
	memset(&q, 0, sizeof q);
	snprintf(step, sizeof step, "pulling manifest %s%s from %s/%s", pcb_digest_valid(reference) ?
	    "" : "for tag ", reference, r->host, repo);
	path = pcb_xasprintf("/v2/%s/manifests/%s", repo, reference);
	q.method = "GET";
	q.url = url_for(r, path);
	q.scope = scope;
	q.fd = -1;
	q.body_max = MANIFEST_MAX;
	q.hdrs[0] = ACCEPT_MANIFESTS;
	rc = request(r, c, &q, &s, err);
	if (rc != 0) {
		pcb_err_prefix(err, "%s", step);
		goto out;
	}
	if (s.status != 200) {
		rc = http_error(r, &s, step, repo, false, err);
		goto out;
	}
	pcb_sha256_buf(s.body.data != NULL ? s.body.data : "", s.body.len, got);
	if (expect == NULL && s.dcd != NULL && pcb_digest_valid(s.dcd))
		expect = s.dcd;
	if (expect != NULL && strcmp(expect, got) != 0) {
		rc = pcb_err_set(err, PCB_ECORRUPT,
		    "%s: the manifest does not match its digest (expected %s, got %s)", step, expect,
		    got);
		goto out;
	}
	doc = json_tokener_parse(s.body.data != NULL ? s.body.data : "");
	if (doc == NULL || !json_object_is_type(doc, json_type_object)) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: the manifest is not a JSON object", step);
		goto out;
	}
	media_type_of(&s, doc, mt_out);
	memcpy(digest_out, got, PCB_DIGEST_BUFSZ);
out:
	if (rc == 0) {
		*body_out = pcb_buf_steal(&s.body, len_out);
		*doc_out = doc;
	} else {
		json_object_put(doc);
	}
	resp_free(&s);
	free(q.url);
	free(path);
	free(scope);
	return rc;
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (o != NULL && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

/* Picks the entry of an index for platform p: exact os/arch/variant (defaults applied), else
 * os/arch when no variant was asked for. */
static json_object *
pick_platform(json_object *index, const struct pcb_platform *p)
{
	json_object *ms, *fallback = NULL;

	if (!json_object_object_get_ex(index, "manifests", &ms) ||
	    !json_object_is_type(ms, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		json_object *m = json_object_array_get_idx(ms, i), *pl;
		const char *os, *arch, *var;
		if (!json_object_object_get_ex(m, "platform", &pl))
			continue;
		os = jstr(pl, "os");
		arch = jstr(pl, "architecture");
		var = jstr(pl, "variant");
		if (os == NULL || arch == NULL || strcmp(os, p->os) != 0 || strcmp(arch, p->arch) != 0)
			continue;
		if (strcmp(pcb_platform_variant(arch, var), pcb_platform_variant(p->arch, p->variant)) == 0)
			return m;
		if (p->variant[0] == '\0' && fallback == NULL)
			fallback = m;
	}
	return fallback;
}

struct blob_job {
	const char *digest;
	const char *media_type;
	uint64_t size;              /* SIZE_UNKNOWN: asked with a HEAD first (fetch by digest) */
};

struct dl {
	struct pcb_store *store;
	struct pcb_blob_writer *w;
	uint64_t have, size;
	uint64_t attempt_start;   /* have when this response started */
	bool started;
	struct pcb_err *err;
};

static int
dl_sink(void *ud, CURL *c, const char *p, size_t n)
{
	struct dl *d = ud;
	int rc;

	if (!d->started) {
		long st = 0;
		d->started = true;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
		/* 206 continues where we were (we asked for exactly that range); anything else
		 * is the whole blob again. */
		if (st != 206 && d->have > 0) {
			pcb_blob_writer_abort(d->w);
			d->w = NULL;
			d->have = 0;
			if ((rc = pcb_store_writer_create(d->store, &d->w, d->err)) != 0)
				return rc;
		}
	}
	if (d->have + n > d->size)
		return pcb_err_set(d->err, PCB_ECORRUPT, "the blob is larger than its %llu bytes",
		    (unsigned long long)d->size);
	if ((rc = pcb_blob_writer_write(d->w, p, n, d->err)) != 0)
		return rc;
	d->have += n;
	return 0;
}

static void
progress(struct pcb_registry *r, enum pcb_xfer_kind k, const char *digest, uint64_t done,
    uint64_t total)
{
	if (r->o.progress != NULL)
		r->o.progress(r->o.progress_ud, k, digest, done, total);
}

/* The size of a blob known by digest only, from a HEAD (which also tells whether the
 * repository has it at all: 404 is PCB_ENOENT). */
static int
blob_size(struct pcb_registry *r, CURL *c, const char *repo, const char *digest,
    const char *scope, const char *step, uint64_t *size_out, struct pcb_err *err)
{
	struct resp s;
	struct req q;
	char *path = pcb_xasprintf("/v2/%s/blobs/%s", repo, digest), *end = NULL;
	unsigned long long n = 0;
	int rc;

	memset(&s, 0, sizeof s);
	memset(&q, 0, sizeof q);
	q.method = "HEAD";
	q.url = url_for(r, path);
	q.scope = scope;
	q.fd = -1;
	if ((rc = request(r, c, &q, &s, err)) != 0) {
		pcb_err_prefix(err, "%s", step);
		goto out;
	}
	if (s.status != 200) {
		rc = http_error(r, &s, step, repo, false, err);
		goto out;
	}
	errno = 0;
	if (s.content_length != NULL)
		n = strtoull(s.content_length, &end, 10);
	if (s.content_length == NULL || end == s.content_length || *end != '\0' || errno != 0) {
		rc = pcb_err_set(err, PCB_EIO, "%s: the registry did not say the blob's size "
		    "(no Content-Length)", step);
		goto out;
	}
	if ((uint64_t)n > FETCH_BLOB_MAX) {
		rc = pcb_err_set(err, PCB_ETOOBIG, "%s: the registry says the blob has %llu bytes, "
		    "more than the %llu allowed", step, n, (unsigned long long)FETCH_BLOB_MAX);
		goto out;
	}
	*size_out = (uint64_t)n;
out:
	resp_free(&s);
	free(q.url);
	free(path);
	return rc;
}

static int
fetch_blob(struct pcb_registry *r, CURL *c, struct pcb_store *store, const char *repo,
    const struct blob_job *job, struct pcb_err *err)
{
	struct dl d;
	struct resp s;
	struct req q;
	struct retry rt = { 0, 0 };
	struct blob_job jb = *job, *b = &jb;
	uint64_t have = 0;
	char *scope = pcb_xasprintf("repository:%s:pull", repo), *path = NULL, step[512], sd[32];
	int rc;

	memset(&d, 0, sizeof d);
	memset(&s, 0, sizeof s);
	memset(&q, 0, sizeof q);
	short_digest(b->digest, sd);
	snprintf(step, sizeof step, "pulling blob %s from %s/%s", sd, r->host, repo);
	if (pcb_store_stat(store, b->digest, &have, NULL, NULL) == 0) {
		progress(r, PCB_XFER_SKIP, b->digest, have, have);
		rc = 0;
		goto out;
	}
	if (b->size == SIZE_UNKNOWN &&
	    (rc = blob_size(r, c, repo, b->digest, scope, step, &jb.size, err)) != 0)
		goto out;
	d.store = store;
	d.size = b->size;
	d.err = err;
	if ((rc = pcb_store_writer_create(store, &d.w, err)) != 0)
		goto out;
	path = pcb_xasprintf("/v2/%s/blobs/%s", repo, b->digest);
	q.method = "GET";
	q.url = url_for(r, path);
	q.scope = scope;
	q.fd = -1;
	q.sink = dl_sink;
	q.sink_ud = &d;
	q.resume_at = &d.have;
	q.no_retry = true;   /* retried here, resuming */
	q.kind = PCB_XFER_PULL;
	q.digest = b->digest;
	q.prog_total = b->size;
	for (;;) {
		d.started = false;
		q.prog_base = d.have;
		rc = request(r, c, &q, &s, err);
		if (rc == 0 && (s.status == 200 || s.status == 206))
			break;
		if (rc == 0 && s.status == 416 && d.have > 0) {
			/* Our range is past what the server has: start over. */
			pcb_blob_writer_abort(d.w);
			d.w = NULL;
			d.have = 0;
			if ((rc = pcb_store_writer_create(store, &d.w, err)) != 0)
				goto out;
			continue;
		}
		if (!retry_again(r, &rt, rc, rc == 0 ? s.status : 0, s.retry_after, err)) {
			if (rc == 0)
				rc = http_error(r, &s, step, repo, false, err);
			else
				pcb_err_prefix(err, "%s", step);
			goto out;
		}
	}
	if (d.have != b->size) {
		rc = pcb_err_set(err, PCB_ECORRUPT, "%s: got %llu bytes, the manifest says %llu", step,
		    (unsigned long long)d.have, (unsigned long long)b->size);
		goto out;
	}
	rc = pcb_blob_writer_commit(d.w, b->media_type, b->digest, NULL, NULL, err);
	d.w = NULL;
	if (rc != 0)
		pcb_err_prefix(err, "%s", step);
	else
		progress(r, PCB_XFER_PULL, b->digest, b->size, b->size);
out:
	if (d.w != NULL)
		pcb_blob_writer_abort(d.w);
	resp_free(&s);
	free(q.url);
	free(path);
	free(scope);
	return rc;
}

/* ---- parallel blob transfers -------------------------------------------------------- */

struct pool {
	struct pcb_registry *r;
	struct pcb_store *store;
	const char *repo;
	bool push;
	bool trust_records;   /* push: skip blobs the store says the repository has */
	struct blob_job *jobs;
	size_t n;
	size_t next;
	pthread_mutex_t mu;
	int rc;
	struct pcb_err err;
};

static int push_blob(struct pcb_registry *r, CURL *c, struct pcb_store *store, const char *repo,
    const struct blob_job *b, bool trust_records, struct pcb_err *err);

static void *
pool_worker(void *ud)
{
	struct pool *p = ud;
	CURL *c = curl_easy_init();
	struct pcb_err e;

	for (;;) {
		size_t i;
		int rc;

		pthread_mutex_lock(&p->mu);
		if (p->rc != 0 || p->next >= p->n || c == NULL) {
			if (c == NULL && p->rc == 0)
				p->rc = pcb_err_set(&p->err, PCB_EINTERNAL, "libcurl initialisation failed");
			pthread_mutex_unlock(&p->mu);
			break;
		}
		i = p->next++;
		pthread_mutex_unlock(&p->mu);
		pcb_err_clear(&e);
		rc = p->push ? push_blob(p->r, c, p->store, p->repo, &p->jobs[i], p->trust_records, &e) :
		    fetch_blob(p->r, c, p->store, p->repo, &p->jobs[i], &e);
		if (rc != 0) {
			pthread_mutex_lock(&p->mu);
			/* The first failure is the one reported; a cancel is not a cause. */
			if (p->rc == 0 || (p->rc == PCB_ECANCELED && rc != PCB_ECANCELED)) {
				p->rc = rc;
				p->err = e;
			}
			pthread_mutex_unlock(&p->mu);
		}
	}
	if (c != NULL)
		curl_easy_cleanup(c);
	return NULL;
}

static int
run_pool(struct pcb_registry *r, struct pcb_store *store, const char *repo, bool push,
    bool trust_records, struct blob_job *jobs, size_t n, struct pcb_err *err)
{
	struct pool p;
	pthread_t th[MAX_WORKERS];
	size_t nth = n < MAX_WORKERS ? n : MAX_WORKERS, started = 0;

	memset(&p, 0, sizeof p);
	p.r = r;
	p.store = store;
	p.repo = repo;
	p.push = push;
	p.trust_records = trust_records;
	p.jobs = jobs;
	p.n = n;
	pthread_mutex_init(&p.mu, NULL);
	for (size_t i = 0; i < nth; i++) {
		if (pthread_create(&th[i], NULL, pool_worker, &p) != 0)
			break;
		started++;
	}
	if (started == 0)
		pool_worker(&p);   /* no thread to be had: do it here */
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p.mu);
	if (p.rc != 0 && err != NULL)
		*err = p.err;
	return p.rc;
}

/* Reads the blobs a manifest needs: config first, then layers. Descriptors borrowed from doc. */
static int
manifest_blobs(json_object *doc, struct blob_job **jobs_out, size_t *n_out, struct pcb_err *err)
{
	json_object *cfg, *layers;
	struct blob_job *jobs = NULL;
	size_t n = 0, nl;
	int rc = 0;

	if (!json_object_object_get_ex(doc, "config", &cfg) ||
	    !json_object_object_get_ex(doc, "layers", &layers) ||
	    !json_object_is_type(layers, json_type_array)) {
		rc = pcb_err_set(err, PCB_EINVAL, "the manifest has no config or layers");
		goto out;
	}
	nl = json_object_array_length(layers);
	if (nl + 1 > MAX_BLOBS) {
		rc = pcb_err_set(err, PCB_ETOOBIG, "the manifest has more than %d blobs", MAX_BLOBS);
		goto out;
	}
	jobs = pcb_xcalloc(nl + 1, sizeof *jobs);
	for (size_t i = 0; i <= nl; i++) {
		json_object *d = i == 0 ? cfg : json_object_array_get_idx(layers, i - 1), *sz;
		const char *dg = jstr(d, "digest"), *mt = jstr(d, "mediaType");
		bool dup = false;
		if (dg == NULL || !pcb_digest_valid(dg) || !json_object_object_get_ex(d, "size", &sz) ||
		    !json_object_is_type(sz, json_type_int) || json_object_get_int64(sz) < 0) {
			rc = pcb_err_set(err, PCB_EINVAL,
			    "the manifest has a descriptor without a sha256 digest and a size");
			goto out;
		}
		for (size_t k = 0; k < n; k++)
			dup = dup || strcmp(jobs[k].digest, dg) == 0;
		if (dup)
			continue;
		jobs[n].digest = dg;
		jobs[n].media_type = mt != NULL ? mt : "application/octet-stream";
		jobs[n].size = (uint64_t)json_object_get_int64(sz);
		n++;
	}
out:
	if (rc != 0) {
		free(jobs);
		jobs = NULL;
		n = 0;
	}
	*jobs_out = jobs;
	*n_out = n;
	return rc;
}

static json_object *
desc_json(json_object *src, const char *mt, const char *digest, uint64_t size)
{
	json_object *d = pcb_oci_descriptor(mt, digest, size), *pl;

	if (src != NULL && json_object_object_get_ex(src, "platform", &pl))
		json_object_object_add(d, "platform", json_object_get(pl));
	return d;
}

/* The pull and the pull of manifest and config only: with_layers false fetches the config
 * (jobs[0]) alone and leaves the layers to be fetched or mounted later by their recorded
 * locations. */
static int
pull_image(struct pcb_registry *r, struct pcb_store *store, const struct pcb_image_ref *ref,
    const struct pcb_platform *platform, bool with_layers, json_object **result_out,
    struct pcb_err *err)
{
	struct pcb_platform host;
	char *body = NULL, *ibody = NULL, *canon = NULL;
	size_t len = 0, ilen = 0, n = 0;
	json_object *doc = NULL, *idoc = NULL, *res = NULL, *layers;
	struct blob_job *jobs = NULL;
	char mt[256], imt[256], digest[PCB_DIGEST_BUFSZ], idigest[PCB_DIGEST_BUFSZ], pf[100];
	struct pcb_image_ref cref;
	int rc;

	*result_out = NULL;
	if (ref == NULL || ref->repository == NULL || (ref->tag == NULL && ref->digest == NULL)) {
		rc = pcb_err_set(err, PCB_EINVAL, "pull: no image reference");
		goto out;
	}
	if (platform == NULL) {
		pcb_platform_host(&host);
		platform = &host;
	}
	if ((rc = ensure_base(r, r->main, err)) != 0) {
		pcb_err_prefix(err, "pulling %s/%s", r->host, ref->repository);
		goto out;
	}
	rc = fetch_manifest(r, r->main, ref->repository, ref->digest != NULL ? ref->digest : ref->tag,
	    ref->digest, &body, &len, &doc, mt, digest, err);
	if (rc != 0)
		goto out;
	if (is_index(mt)) {
		json_object *m = pick_platform(doc, platform);
		const char *cd = jstr(m, "digest");
		pcb_platform_format(platform, pf);
		if (m == NULL || cd == NULL || !pcb_digest_valid(cd)) {
			rc = pcb_err_set(err, PCB_ENOENT, "%s/%s has no image for platform %s", r->host,
			    ref->repository, pf);
			goto out;
		}
		ibody = body;
		ilen = len;
		idoc = doc;
		memcpy(imt, mt, sizeof imt);
		memcpy(idigest, digest, sizeof idigest);
		body = NULL;
		doc = NULL;
		rc = fetch_manifest(r, r->main, ref->repository, cd, cd, &body, &len, &doc, mt, digest,
		    err);
		if (rc != 0)
			goto out;
	}
	if (!is_manifest(mt)) {
		rc = pcb_err_set(err, PCB_EUNSUPPORTED,
		    "pulling %s/%s: manifest media type '%s' is not supported (OCI or Docker v2 "
		    "schema 2 only)", r->host, ref->repository, mt);
		goto out;
	}
	if ((rc = manifest_blobs(doc, &jobs, &n, err)) != 0) {
		pcb_err_prefix(err, "pulling %s/%s", r->host, ref->repository);
		goto out;
	}
	if ((rc = run_pool(r, store, ref->repository, false, false, jobs, with_layers ? n : 1,
	    err)) != 0)
		goto out;
	/* The manifest goes in last, after the blobs this pull fetches: after a full pull a
	 * manifest in the store means its blobs are there too; after a pull of manifest and
	 * config only, the layers are not, and the locations recorded below say where they are. */
	if ((rc = pcb_store_put(store, body, len, mt, NULL, err)) != 0 ||
	    (ibody != NULL && (rc = pcb_store_put(store, ibody, ilen, imt, NULL, err)) != 0))
		goto out;
	for (size_t i = 0; i < n; i++)
		(void)pcb_store_location_add(store, jobs[i].digest, r->host, ref->repository, NULL);
	res = json_object_new_object();
	json_object_object_add(res, "manifest", pcb_oci_descriptor(mt, digest, len));
	json_object_object_add(res, "config",
	    pcb_oci_descriptor(jobs[0].media_type, jobs[0].digest, jobs[0].size));
	layers = json_object_new_array();
	{
		json_object *ls = NULL;
		json_object_object_get_ex(doc, "layers", &ls);
		for (size_t i = 0; i < json_object_array_length(ls); i++) {
			json_object *l = json_object_array_get_idx(ls, i), *sz = NULL;
			json_object_object_get_ex(l, "size", &sz);
			json_object_array_add(layers, desc_json(NULL, jstr(l, "mediaType") ?
			    jstr(l, "mediaType") : "application/octet-stream", jstr(l, "digest"),
			    (uint64_t)json_object_get_int64(sz)));
		}
	}
	json_object_object_add(res, "layers", layers);
	if (ibody != NULL)
		json_object_object_add(res, "index", pcb_oci_descriptor(imt, idigest, ilen));
	cref.registry = r->host;
	cref.repository = ref->repository;
	cref.tag = ref->tag;
	cref.digest = ibody != NULL ? idigest : digest;
	canon = pcb_image_ref_format(&cref);
	json_object_object_add(res, "ref", json_object_new_string(canon));
out:
	if (rc == 0)
		*result_out = res;
	else
		json_object_put(res);
	free(canon);
	free(jobs);
	free(body);
	free(ibody);
	json_object_put(doc);
	json_object_put(idoc);
	return rc;
}

int
pcb_registry_pull(struct pcb_registry *r, struct pcb_store *store,
    const struct pcb_image_ref *ref, const struct pcb_platform *platform,
    json_object **result_out, struct pcb_err *err)
{
	return pull_image(r, store, ref, platform, true, result_out, err);
}

int
pcb_registry_pull_meta(struct pcb_registry *r, struct pcb_store *store,
    const struct pcb_image_ref *ref, const struct pcb_platform *platform,
    json_object **result_out, struct pcb_err *err)
{
	return pull_image(r, store, ref, platform, false, result_out, err);
}

int
pcb_registry_fetch_blobs(struct pcb_registry *r, struct pcb_store *store,
    const char *repository, const struct pcb_strv *digests, struct pcb_err *err)
{
	struct blob_job *jobs = NULL;
	size_t n = 0;
	int rc = 0;

	if (repository == NULL || repository[0] == '\0') {
		rc = pcb_err_set(err, PCB_EINVAL, "fetching blobs: no repository");
		goto out;
	}
	if (digests->n > MAX_BLOBS) {
		rc = pcb_err_set(err, PCB_ETOOBIG, "fetching blobs from %s/%s: more than %d at once",
		    r->host, repository, MAX_BLOBS);
		goto out;
	}
	jobs = pcb_xcalloc(digests->n + 1, sizeof *jobs);
	for (size_t i = 0; i < digests->n; i++) {
		bool dup = false;
		if (!pcb_digest_valid(digests->v[i])) {
			rc = pcb_err_set(err, PCB_EINVAL, "fetching blobs from %s/%s: '%.100s' is not "
			    "a sha256 digest", r->host, repository, digests->v[i]);
			goto out;
		}
		for (size_t k = 0; k < n && !dup; k++)
			dup = strcmp(jobs[k].digest, digests->v[i]) == 0;
		if (dup)
			continue;
		jobs[n].digest = digests->v[i];
		/* A blob known by digest alone: its media type lives in the manifests that list
		 * it, the store keeps the bytes. */
		jobs[n].media_type = "application/octet-stream";
		jobs[n].size = SIZE_UNKNOWN;
		n++;
	}
	if (n == 0)
		goto out;
	if ((rc = ensure_base(r, r->main, err)) != 0) {
		pcb_err_prefix(err, "fetching blobs from %s/%s", r->host, repository);
		goto out;
	}
	if ((rc = run_pool(r, store, repository, false, false, jobs, n, err)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		(void)pcb_store_location_add(store, jobs[i].digest, r->host, repository, NULL);
out:
	free(jobs);
	return rc;
}

/* ---- push --------------------------------------------------------------------------- */

/* A request with a fresh struct req filled for method/url/scope. */
static void
req_init(struct req *q, const char *method, char *url, const char *scope)
{
	memset(q, 0, sizeof *q);
	q->method = method;
	q->url = url;
	q->scope = scope;
	q->fd = -1;
}

static char *
with_digest(const char *loc, const char *digest)
{
	return pcb_xasprintf("%s%sdigest=%s", loc, strchr(loc, '?') != NULL ? "&" : "?", digest);
}

/* One upload attempt into the session at *loc (an absolute URL, replaced as the registry
 * moves it). Returns 0 with s->status 201 on success. */
static int
upload(struct pcb_registry *r, CURL *c, const char *scope, char **loc, int fd,
    const struct blob_job *b, struct resp *s, struct pcb_err *err)
{
	uint64_t chunk = r->o.chunk_size, off = 0;
	char crange[80], clen[48];
	struct req q;
	int rc = 0;

	if (chunk > 0) {
		while (off < b->size) {
			uint64_t n = b->size - off < chunk ? b->size - off : chunk;
			req_init(&q, "PATCH", *loc, scope);
			snprintf(crange, sizeof crange, "Content-Range: %llu-%llu",
			    (unsigned long long)off, (unsigned long long)(off + n - 1));
			snprintf(clen, sizeof clen, "Content-Length: %llu", (unsigned long long)n);
			q.hdrs[0] = "Content-Type: application/octet-stream";
			q.hdrs[1] = crange;
			q.fd = fd;
			q.off = off;
			q.len = n;
			q.no_retry = true;
			q.kind = PCB_XFER_PUSH;
			q.digest = b->digest;
			q.prog_base = off;
			q.prog_total = b->size;
			if ((rc = request(r, c, &q, s, err)) != 0 || s->status != 202)
				goto out;
			if (s->location != NULL) {
				char *nl = resolve_location(r, s->location);
				free(*loc);
				*loc = nl;
			}
			off += n;
		}
		/* The closing PUT carries no data. */
		req_init(&q, "PUT", with_digest(*loc, b->digest), scope);
		q.fd = fd;
		q.len = 0;
	} else {
		req_init(&q, "PUT", with_digest(*loc, b->digest), scope);
		q.hdrs[0] = "Content-Type: application/octet-stream";
		q.fd = fd;
		q.len = b->size;
		q.kind = PCB_XFER_PUSH;
		q.digest = b->digest;
		q.prog_total = b->size;
	}
	q.no_retry = true;
	rc = request(r, c, &q, s, err);
	free(q.url);
out:
	return rc;
}

static int
push_blob(struct pcb_registry *r, CURL *c, struct pcb_store *store, const char *repo,
    const struct blob_job *b, bool trust_records, struct pcb_err *err)
{
	struct resp s;
	struct req q;
	struct retry rt = { 0, 0 };
	struct pcb_strv from;
	struct stat st;
	char *scope = pcb_xasprintf("repository:%s:pull,push", repo), *path = NULL, *loc = NULL;
	char step[512], sd[32], *blob_path = NULL;
	bool known = false;
	int fd = -1, rc;
	long status;
	size_t tries = 0;

	memset(&s, 0, sizeof s);
	pcb_strv_init(&from);
	short_digest(b->digest, sd);
	snprintf(step, sizeof step, "pushing blob %s to %s/%s", sd, r->host, repo);
	if ((rc = ensure_base(r, c, err)) != 0) {
		pcb_err_prefix(err, "%s", step);
		goto out;
	}
	if (trust_records &&
	    pcb_store_location_has(store, b->digest, r->host, repo, &known, NULL) == 0 && known) {
		progress(r, PCB_XFER_SKIP, b->digest, b->size, b->size);
		goto out;
	}
	/* Already there? */
	path = pcb_xasprintf("/v2/%s/blobs/%s", repo, b->digest);
	req_init(&q, "HEAD", url_for(r, path), scope);
	rc = request(r, c, &q, &s, err);
	free(q.url);
	if (rc != 0) {
		pcb_err_prefix(err, "%s", step);
		goto out;
	}
	if (s.status == 200) {
		progress(r, PCB_XFER_SKIP, b->digest, b->size, b->size);
		goto recorded;
	}
	if (s.status != 404) {
		rc = http_error(r, &s, step, repo, true, err);
		goto out;
	}
	/* A sibling repository on this registry known to hold it: mount instead of sending. */
	(void)pcb_store_location_repos(store, b->digest, r->host, &from, NULL);
	for (size_t i = 0; i < from.n && tries < MOUNT_TRIES; i++) {
		char *mscope, *mpath, *fesc;
		if (strcmp(from.v[i], repo) == 0)
			continue;
		tries++;
		mscope = pcb_xasprintf("repository:%s:pull,push repository:%s:pull", repo, from.v[i]);
		fesc = curl_easy_escape(c, from.v[i], 0);
		mpath = pcb_xasprintf("/v2/%s/blobs/uploads/?mount=%s&from=%s", repo, b->digest,
		    fesc != NULL ? fesc : "");
		curl_free(fesc);
		req_init(&q, "POST", url_for(r, mpath), mscope);
		rc = request(r, c, &q, &s, err);
		free(q.url);
		free(mpath);
		free(mscope);
		if (rc != 0) {
			pcb_err_prefix(err, "%s", step);
			goto out;
		}
		if (s.status == 201) {
			progress(r, PCB_XFER_MOUNT, b->digest, b->size, b->size);
			goto recorded;
		}
		if (s.status == 202 && s.location != NULL) {
			/* Not mountable (e.g. no pull access to from): this is a plain upload
			 * session, use it. */
			loc = resolve_location(r, s.location);
			break;
		}
	}
	/* Not there, not mountable: the bytes must come from the store. A layer of a base image
	 * pulled without its layers is fetched first, from where the store says it lives. */
	if (pcb_store_stat(store, b->digest, NULL, NULL, NULL) != 0) {
		if (r->o.fetch_missing == NULL) {
			rc = pcb_err_set(err, PCB_ENOENT, "%s: blob %s is not in the store and %s (it "
			    "belongs to an image pulled without its layers: pull that image fully, or "
			    "push where its layers are)", step, b->digest, tries > 0 ?
			    "mounting it from the repositories known to hold it failed" :
			    "no repository on this registry is known to hold it");
			goto out;
		}
		if ((rc = r->o.fetch_missing(r->o.fetch_missing_ud, b->digest, err)) != 0) {
			pcb_err_prefix(err, "%s", step);
			goto out;
		}
	}
	blob_path = pcb_store_blob_path(store, b->digest);
	if ((fd = open(blob_path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = pcb_err_errno(err, errno, "%s: opening %s", step, blob_path);
		goto out;
	}
	if (fstat(fd, &st) != 0 || (uint64_t)st.st_size != b->size) {
		rc = pcb_err_set(err, PCB_ECORRUPT, "%s: the store's copy has %lld bytes, the manifest "
		    "says %llu", step, (long long)st.st_size, (unsigned long long)b->size);
		goto out;
	}
	for (;;) {
		if (loc == NULL) {
			char *upath = pcb_xasprintf("/v2/%s/blobs/uploads/", repo);
			req_init(&q, "POST", url_for(r, upath), scope);
			rc = request(r, c, &q, &s, err);
			free(q.url);
			free(upath);
			if (rc != 0) {
				pcb_err_prefix(err, "%s", step);
				goto out;
			}
			if (s.status != 202 || s.location == NULL) {
				rc = http_error(r, &s, step, repo, true, err);
				goto out;
			}
			loc = resolve_location(r, s.location);
		}
		rc = upload(r, c, scope, &loc, fd, b, &s, err);
		if (rc == 0 && s.status == 201)
			break;
		/* Whatever broke, the session is suspect: the next try starts a new one. A
		 * session the registry forgot (404 BLOB_UPLOAD_UNKNOWN, e.g. after a restart)
		 * is retried like a server error. */
		free(loc);
		loc = NULL;
		status = rc == 0 ? s.status : 0;
		if (status == 404 && s.body.data != NULL &&
		    strstr(s.body.data, "BLOB_UPLOAD_UNKNOWN") != NULL)
			status = 503;
		if (!retry_again(r, &rt, rc, status, s.retry_after, err)) {
			if (rc == 0)
				rc = http_error(r, &s, step, repo, true, err);
			else
				pcb_err_prefix(err, "%s", step);
			goto out;
		}
	}
	progress(r, PCB_XFER_PUSH, b->digest, b->size, b->size);
recorded:
	rc = 0;
	(void)pcb_store_location_add(store, b->digest, r->host, repo, NULL);
out:
	if (fd >= 0)
		close(fd);
	resp_free(&s);
	pcb_strv_free(&from);
	free(loc);
	free(blob_path);
	free(path);
	free(scope);
	return rc;
}

/* Pushes the image manifests an index lists, each by digest, before the index itself. */
static int push_manifest(struct pcb_registry *r, struct pcb_store *store,
    const char *manifest_digest, const struct pcb_image_ref *target, int depth,
    char digest_out[PCB_DIGEST_BUFSZ], struct pcb_err *err);

static int
push_index_children(struct pcb_registry *r, struct pcb_store *store, json_object *doc,
    const struct pcb_image_ref *target, struct pcb_err *err)
{
	struct pcb_image_ref child = { target->registry, target->repository, NULL, NULL };
	json_object *ms;
	char d[PCB_DIGEST_BUFSZ];
	int rc = 0;

	if (!json_object_object_get_ex(doc, "manifests", &ms) ||
	    !json_object_is_type(ms, json_type_array) || json_object_array_length(ms) > MAX_BLOBS)
		return pcb_err_set(err, PCB_EINVAL, "the index has no usable \"manifests\" list");
	for (size_t i = 0; i < json_object_array_length(ms) && rc == 0; i++) {
		const char *cd = jstr(json_object_array_get_idx(ms, i), "digest");
		if (cd == NULL || !pcb_digest_valid(cd))
			return pcb_err_set(err, PCB_EINVAL, "the index lists a manifest without a digest");
		rc = push_manifest(r, store, cd, &child, 1, d, err);
	}
	return rc;
}

int
pcb_registry_push(struct pcb_registry *r, struct pcb_store *store,
    const char *manifest_digest, const struct pcb_image_ref *target,
    char digest_out[PCB_DIGEST_BUFSZ], struct pcb_err *err)
{
	return push_manifest(r, store, manifest_digest, target, 0, digest_out, err);
}

static int
push_manifest(struct pcb_registry *r, struct pcb_store *store,
    const char *manifest_digest, const struct pcb_image_ref *target, int depth,
    char digest_out[PCB_DIGEST_BUFSZ], struct pcb_err *err)
{
	char *body = NULL, *mt_store = NULL, *scope = NULL, *path = NULL, *hct = NULL;
	char mt[256], step[600], got[PCB_DIGEST_BUFSZ];
	size_t len = 0, n = 0;
	json_object *doc = NULL;
	struct blob_job *jobs = NULL;
	struct resp s;
	struct req q;
	int rc;

	memset(&s, 0, sizeof s);
	if (target == NULL || target->repository == NULL) {
		rc = pcb_err_set(err, PCB_EINVAL, "push: no target");
		goto out;
	}
	snprintf(step, sizeof step, "pushing manifest to %s/%s%s%s", r->host, target->repository,
	    target->tag != NULL ? ":" : "", target->tag != NULL ? target->tag : "");
	if ((rc = pcb_store_read(store, manifest_digest, MANIFEST_MAX, &body, &len, err)) != 0 ||
	    (rc = pcb_store_stat(store, manifest_digest, NULL, &mt_store, err)) != 0) {
		pcb_err_prefix(err, "%s", step);
		goto out;
	}
	doc = json_tokener_parse(body);
	if (doc == NULL || !json_object_is_type(doc, json_type_object)) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: manifest %s is not a JSON object", step,
		    manifest_digest);
		goto out;
	}
	if (jstr(doc, "mediaType") != NULL || mt_store == NULL)
		media_type_of(NULL, doc, mt);
	else
		snprintf(mt, sizeof mt, "%s", mt_store);
	if ((rc = ensure_base(r, r->main, err)) != 0) {
		pcb_err_prefix(err, "pushing to %s/%s", r->host, target->repository);
		goto out;
	}
	if (is_index(mt) && depth == 0) {
		/* An index (multi-platform image): its manifests first, one level deep. */
		if ((rc = push_index_children(r, store, doc, target, err)) != 0)
			goto out;
	} else if (!is_manifest(mt)) {
		rc = pcb_err_set(err, PCB_EUNSUPPORTED, "%s: media type '%s' cannot be pushed "
		    "(an OCI or Docker image manifest, or an index of them)", step, mt);
		goto out;
	} else if ((rc = manifest_blobs(doc, &jobs, &n, err)) != 0) {
		pcb_err_prefix(err, "%s", step);
		goto out;
	}
	scope = pcb_xasprintf("repository:%s:pull,push", target->repository);
	path = pcb_xasprintf("/v2/%s/manifests/%s", target->repository,
	    target->tag != NULL ? target->tag : manifest_digest);
	hct = pcb_xasprintf("Content-Type: %s", mt);
	for (int round = 0;; round++) {
		if (n > 0 &&
		    (rc = run_pool(r, store, target->repository, true, round == 0, jobs, n, err)) != 0)
			goto out;
		req_init(&q, "PUT", url_for(r, path), scope);
		q.hdrs[0] = hct;
		q.mem = body;
		q.mem_len = len;
		rc = request(r, r->main, &q, &s, err);
		free(q.url);
		if (rc != 0) {
			pcb_err_prefix(err, "%s", step);
			goto out;
		}
		if (s.status == 201)
			break;
		/* The store's location records can be stale (the registry collected a blob):
		 * check every blob for real once, then try again. */
		if (round == 0 && s.status == 400 && s.body.data != NULL &&
		    strstr(s.body.data, "BLOB_UNKNOWN") != NULL)
			continue;
		rc = http_error(r, &s, step, target->repository, true, err);
		goto out;
	}
	pcb_sha256_buf(body, len, got);
	if (s.dcd != NULL && strcmp(s.dcd, got) != 0) {
		rc = pcb_err_set(err, PCB_ECORRUPT,
		    "%s: the registry stored digest %.80s, the manifest is %s", step, s.dcd, got);
		goto out;
	}
	(void)pcb_store_location_add(store, got, r->host, target->repository, NULL);
	memcpy(digest_out, got, PCB_DIGEST_BUFSZ);
out:
	resp_free(&s);
	json_object_put(doc);
	free(jobs);
	free(body);
	free(mt_store);
	free(scope);
	free(path);
	free(hct);
	return rc;
}

/* ---- OCI 1.1 referrers -------------------------------------------------------------------
 *
 * The pieces a push of referrers needs (transfer.c decides): whether the registry answers the
 * referrers API, and a manifest fetched or put as bytes — the tag fallback's index lists
 * referrers other tools pushed, which the store does not hold, so it cannot go through
 * push_manifest. */

int
pcb_registry_referrers(struct pcb_registry *r, const char *repo, const char *digest,
    bool *supported_out, json_object **index_out, struct pcb_err *err)
{
	char *scope = pcb_xasprintf("repository:%s:pull", repo), *path, step[512];
	struct resp s;
	struct req q;
	int rc;

	*supported_out = false;
	*index_out = NULL;
	memset(&s, 0, sizeof s);
	snprintf(step, sizeof step, "asking %s/%s for the referrers of %s", r->host, repo, digest);
	path = pcb_xasprintf("/v2/%s/referrers/%s", repo, digest);
	req_init(&q, "GET", url_for(r, path), scope);
	q.body_max = MANIFEST_MAX;
	q.hdrs[0] = "Accept: " PCB_MT_OCI_INDEX;
	if ((rc = ensure_base(r, r->main, err)) != 0 ||
	    (rc = request(r, r->main, &q, &s, err)) != 0) {
		pcb_err_prefix(err, "%s", step);
		goto out;
	}
	/* A registry without the API answers 404 (distribution 2.8: no such route); one with
	 * it answers an index, empty when nothing refers to digest yet. */
	if (s.status == 404 || s.status == 405 || s.status == 400) {
		rc = 0;
		goto out;
	}
	if (s.status != 200) {
		rc = http_error(r, &s, step, repo, false, err);
		goto out;
	}
	{
		json_object *doc = json_tokener_parse(s.body.data != NULL ? s.body.data : "");
		json_object *ms;
		if (doc == NULL || !json_object_object_get_ex(doc, "manifests", &ms) ||
		    !json_object_is_type(ms, json_type_array)) {
			/* Not an index: whatever answered is not the referrers API. */
			json_object_put(doc);
			rc = 0;
			goto out;
		}
		*supported_out = true;
		*index_out = doc;
	}
out:
	resp_free(&s);
	free(q.url);
	free(path);
	free(scope);
	return rc;
}

int
pcb_registry_get_manifest(struct pcb_registry *r, const char *repo, const char *reference,
    char **body_out, size_t *len_out, json_object **doc_out, struct pcb_err *err)
{
	char mt[256], d[PCB_DIGEST_BUFSZ];
	int rc;

	*body_out = NULL;
	*doc_out = NULL;
	if ((rc = ensure_base(r, r->main, err)) != 0)
		return rc;
	return fetch_manifest(r, r->main, repo, reference, NULL, body_out, len_out, doc_out, mt,
	    d, err);
}

/* A HEAD on one blob: the registry cache (image/rcache.h) checks an entry's layer is really
 * there, with the size the entry says, before a build refers to it without its bytes. */
int
pcb_registry_blob_stat(struct pcb_registry *r, const char *repo, const char *digest,
    uint64_t *size_out, struct pcb_err *err)
{
	char *scope = pcb_xasprintf("repository:%s:pull", repo), step[512], sd[32];
	int rc;

	short_digest(digest, sd);
	snprintf(step, sizeof step, "checking blob %s in %s/%s", sd, r->host, repo);
	if ((rc = ensure_base(r, r->main, err)) == 0)
		rc = blob_size(r, r->main, repo, digest, scope, step, size_out, err);
	free(scope);
	return rc;
}

int
pcb_registry_put_manifest(struct pcb_registry *r, const char *repo, const char *reference,
    const char *media_type, const char *body, size_t len, struct pcb_err *err)
{
	char *scope = pcb_xasprintf("repository:%s:pull,push", repo), *path, *hct, step[600];
	struct resp s;
	struct req q;
	int rc;

	memset(&s, 0, sizeof s);
	snprintf(step, sizeof step, "pushing manifest to %s/%s:%s", r->host, repo, reference);
	path = pcb_xasprintf("/v2/%s/manifests/%s", repo, reference);
	hct = pcb_xasprintf("Content-Type: %s", media_type);
	req_init(&q, "PUT", url_for(r, path), scope);
	q.hdrs[0] = hct;
	q.mem = body;
	q.mem_len = len;
	if ((rc = ensure_base(r, r->main, err)) != 0 ||
	    (rc = request(r, r->main, &q, &s, err)) != 0) {
		pcb_err_prefix(err, "%s", step);
		goto out;
	}
	if (s.status != 201)
		rc = http_error(r, &s, step, repo, true, err);
out:
	resp_free(&s);
	free(q.url);
	free(path);
	free(hct);
	free(scope);
	return rc;
}
