/* transfer.c — push and pull jobs on top of the registry client: the credential fields of a
 * request (held in memory only, wiped on free), strict PushSpec / PullSpec parsing, and the
 * runs, which turn the registry's per-blob callbacks (arriving from its transfer threads) into
 * serialised `blob` events and per-push blob counts. */
#include "registry/transfer.h"

#include "base/jsonx.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "image/events.h"
#include "image/oci.h"
#include "image/sbom.h"

#define MAX_ENTRIES 64                 /* credentials, insecure hosts, CA entries, targets */
#define MAX_STR 4096
#define MAX_PEM ((size_t)256 << 10)
#define MANIFEST_MAX ((size_t)4 << 20)

/* ---- strict JSON helpers ------------------------------------------------------------ */

static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* Non-empty strings only: every string field of these specs names something. */
static int
get_string_ne(json_object *v, const char *field, size_t max, char **out, struct pcb_err *err)
{
	return pcb_json_get_string(v, field, max, false, out, err);
}

/* ---- credential fields -------------------------------------------------------------- */

void
pcb_transfer_access_init(struct pcb_transfer_access *a)
{
	memset(a, 0, sizeof *a);
	pcb_strv_init(&a->insecure);
	pcb_strv_init(&a->ca_hosts);
	pcb_strv_init(&a->ca_pems);
	a->chunk_size = -1;
}

void
pcb_transfer_access_free(struct pcb_transfer_access *a)
{
	/* pcb_credentials_free wipes passwords and tokens before freeing them. */
	pcb_credentials_free(&a->creds);
	pcb_strv_free(&a->insecure);
	pcb_strv_free(&a->ca_hosts);
	pcb_strv_free(&a->ca_pems);
	memset(a, 0, sizeof *a);
}

static bool
host_ok(const char *h)
{
	return h[0] != '\0' && strlen(h) <= 255 && strpbrk(h, "/?#@ \t\r\n") == NULL;
}

static int
parse_credentials(json_object *v, struct pcb_transfer_access *a, struct pcb_err *err)
{
	size_t n;

	if (!json_object_is_type(v, json_type_array))
		return pcb_err_set(err, PCB_EINVAL, "credentials: expected an array, got %s",
		    pcb_json_type_name(v));
	n = json_object_array_length(v);
	if (n > MAX_ENTRIES)
		return pcb_err_set(err, PCB_EINVAL, "credentials: more than %d entries", MAX_ENTRIES);
	pcb_credentials_free(&a->creds);
	a->creds.v = pcb_xcalloc(n ? n : 1, sizeof *a->creds.v);
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(v, i);
		struct pcb_credential *c = &a->creds.v[i];
		char field[64];
		int rc;

		a->creds.n = i + 1;
		if (!json_object_is_type(o, json_type_object))
			return pcb_err_set(err, PCB_EINVAL, "credentials[%zu]: expected an object, "
			    "got %s", i, pcb_json_type_name(o));
		json_object_object_foreach(o, key, val) {
			char **dst;
			if (strcmp(key, "registry") == 0)
				dst = &c->registry;
			else if (strcmp(key, "username") == 0)
				dst = &c->username;
			else if (strcmp(key, "password") == 0)
				dst = &c->password;
			else if (strcmp(key, "identity_token") == 0)
				dst = &c->identity_token;
			else if (strcmp(key, "registry_token") == 0)
				dst = &c->registry_token;
			else
				return pcb_err_set(err, PCB_EINVAL, "credentials[%zu]: unknown field "
				    "'%.100s'", i, key);
			snprintf(field, sizeof field, "credentials[%zu].%s", i, key);
			wipe_free(*dst);
			*dst = NULL;
			if ((rc = get_string_ne(val, field, MAX_STR, dst, err)) != 0)
				return rc;
		}
		if (c->registry == NULL || !host_ok(c->registry))
			return pcb_err_set(err, PCB_EINVAL, "credentials[%zu].registry: expected a "
			    "registry host[:port]", i);
		if (c->password == NULL && c->identity_token == NULL && c->registry_token == NULL)
			return pcb_err_set(err, PCB_EINVAL, "credentials[%zu]: needs \"password\", "
			    "\"identity_token\" or \"registry_token\"", i);
		if (c->password != NULL && c->username == NULL)
			return pcb_err_set(err, PCB_EINVAL, "credentials[%zu]: a password needs a "
			    "\"username\"", i);
	}
	return 0;
}

static int
parse_insecure(json_object *v, struct pcb_transfer_access *a, struct pcb_err *err)
{
	size_t n;

	if (!json_object_is_type(v, json_type_array))
		return pcb_err_set(err, PCB_EINVAL, "insecure_registries: expected an array of "
		    "strings, got %s", pcb_json_type_name(v));
	n = json_object_array_length(v);
	if (n > MAX_ENTRIES)
		return pcb_err_set(err, PCB_EINVAL, "insecure_registries: more than %d entries",
		    MAX_ENTRIES);
	for (size_t i = 0; i < n; i++) {
		char field[64], *s = NULL;
		int rc;
		snprintf(field, sizeof field, "insecure_registries[%zu]", i);
		if ((rc = get_string_ne(json_object_array_get_idx(v, i), field, 255, &s, err)) != 0)
			return rc;
		if (!host_ok(s)) {
			free(s);
			return pcb_err_set(err, PCB_EINVAL, "%s: expected a registry host[:port]",
			    field);
		}
		pcb_strv_push_owned(&a->insecure, s);
	}
	return 0;
}

static int
parse_ca_certs(json_object *v, struct pcb_transfer_access *a, struct pcb_err *err)
{
	if (!json_object_is_type(v, json_type_object))
		return pcb_err_set(err, PCB_EINVAL, "ca_certs: expected an object of PEM strings, "
		    "got %s", pcb_json_type_name(v));
	if ((size_t)json_object_object_length(v) > MAX_ENTRIES)
		return pcb_err_set(err, PCB_EINVAL, "ca_certs: more than %d entries", MAX_ENTRIES);
	json_object_object_foreach(v, key, val) {
		char field[300], *pem = NULL;
		int rc;
		snprintf(field, sizeof field, "ca_certs.%.200s", key);
		if (!host_ok(key))
			return pcb_err_set(err, PCB_EINVAL, "%s: expected a registry host[:port] as "
			    "the key", field);
		if ((rc = get_string_ne(val, field, MAX_PEM, &pem, err)) != 0)
			return rc;
		if (strstr(pem, "-----BEGIN CERTIFICATE-----") == NULL) {
			free(pem);
			return pcb_err_set(err, PCB_EINVAL, "%s: expected PEM text (-----BEGIN "
			    "CERTIFICATE-----)", field);
		}
		pcb_strv_push(&a->ca_hosts, key);
		pcb_strv_push_owned(&a->ca_pems, pem);
	}
	return 0;
}

int
pcb_transfer_access_field(const char *key, json_object *v, struct pcb_transfer_access *a,
    bool *handled, struct pcb_err *err)
{
	*handled = true;
	if (strcmp(key, "credentials") == 0)
		return parse_credentials(v, a, err);
	if (strcmp(key, "insecure_registries") == 0)
		return parse_insecure(v, a, err);
	if (strcmp(key, "ca_certs") == 0)
		return parse_ca_certs(v, a, err);
	if (strcmp(key, "upload_chunk_size") == 0) {
		int64_t n = json_object_get_int64(v);
		if (!json_object_is_type(v, json_type_int) || n < 0 || (n > 0 && n < 65536) ||
		    n > (INT64_C(1) << 30))
			return pcb_err_set(err, PCB_EINVAL, "upload_chunk_size: expected 0 (one PUT "
			    "per blob) or a number of bytes from 65536 to 1073741824");
		a->chunk_size = n;
		return 0;
	}
	*handled = false;
	return 0;
}

uint64_t
pcb_transfer_chunk_size(const struct pcb_transfer_access *a, const char *host)
{
	if (a->chunk_size >= 0)
		return (uint64_t)a->chunk_size;
	/* GHCR refuses single requests over a few MiB and caps PATCH chunks at 4 MiB. */
	if (strcasecmp(host, "ghcr.io") == 0)
		return 4u << 20;
	return 0;
}

void
pcb_transfer_scrub_json(json_object *j)
{
	static const char *const secret[] = { "password", "identity_token", "registry_token" };
	json_object *creds;

	if (j == NULL || !json_object_is_type(j, json_type_object) ||
	    !json_object_object_get_ex(j, "credentials", &creds) ||
	    !json_object_is_type(creds, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(creds); i++) {
		json_object *o = json_object_array_get_idx(creds, i);
		if (!json_object_is_type(o, json_type_object))
			continue;
		for (size_t k = 0; k < PCB_ARRAY_LEN(secret); k++) {
			json_object *s;
			if (json_object_object_get_ex(o, secret[k], &s) &&
			    json_object_is_type(s, json_type_string))
				/* json-c owns the bytes and frees them unwiped: wipe in place. */
				explicit_bzero((char *)(uintptr_t)json_object_get_string(s),
				    (size_t)json_object_get_string_len(s));
		}
	}
}

bool
pcb_transfer_ref_has_registry(const char *ref)
{
	const char *slash = strchr(ref, '/');
	size_t n;

	if (slash == NULL)
		return false;
	n = (size_t)(slash - ref);
	if (n == 9 && strncmp(ref, "localhost", 9) == 0)
		return true;
	return memchr(ref, '.', n) != NULL || memchr(ref, ':', n) != NULL;
}

/* ---- one registry transfer ---------------------------------------------------------- */

/* Shared by the registry's transfer threads: one mutex serialises the counts and the emits
 * (the emit callback is not thread-safe). */
struct xfer_state {
	pthread_mutex_t mu;
	const struct pcb_build_ctx *ctx;
	struct pcb_strv finished;   /* "<kind>:<digest>" whose final callback was counted */
	uint64_t uploaded, skipped, mounted, downloaded, bytes_up, bytes_down;
};

static void
xfer_state_init(struct xfer_state *x, const struct pcb_build_ctx *ctx)
{
	memset(x, 0, sizeof *x);
	pthread_mutex_init(&x->mu, NULL);
	x->ctx = ctx;
	pcb_strv_init(&x->finished);
}

static void
xfer_state_free(struct xfer_state *x)
{
	pthread_mutex_destroy(&x->mu);
	pcb_strv_free(&x->finished);
}

/* pcb_transfer_stats: process-wide, added to in on_xfer once per finished blob. */
static atomic_uint_fast64_t n_pushed, n_bytes_pushed, n_pulled, n_bytes_pulled, n_skipped,
    n_mounted;

void
pcb_transfer_stats(struct pcb_transfer_stats *out)
{
	out->blobs_pushed = atomic_load(&n_pushed);
	out->bytes_pushed = atomic_load(&n_bytes_pushed);
	out->blobs_pulled = atomic_load(&n_pulled);
	out->bytes_pulled = atomic_load(&n_bytes_pulled);
	out->blobs_skipped = atomic_load(&n_skipped);
	out->blobs_mounted = atomic_load(&n_mounted);
}

static void
on_xfer(void *ud, enum pcb_xfer_kind kind, const char *digest, uint64_t done, uint64_t total)
{
	struct xfer_state *x = ud;
	struct pcb_event ev = { .type = PCB_EVENT_BLOB, .digest = digest, .done = done,
	    .total = total };
	char key[PCB_DIGEST_BUFSZ + 8];

	switch (kind) {
	case PCB_XFER_PULL: ev.action = "download"; break;
	case PCB_XFER_PUSH: ev.action = "upload"; break;
	case PCB_XFER_SKIP: ev.action = "skip"; break;
	case PCB_XFER_MOUNT: ev.action = "mount"; break;
	default: return;
	}
	pthread_mutex_lock(&x->mu);
	if (done >= total) {
		/* The registry may report the end of a blob twice (curl's last progress call
		 * and its own): count and show it once. Per kind: a push may download a blob
		 * it lacks and then upload it. */
		snprintf(key, sizeof key, "%d:%s", (int)kind, digest);
		if (pcb_strv_contains(&x->finished, key))
			goto out;
		pcb_strv_push(&x->finished, key);
		switch (kind) {
		case PCB_XFER_PULL: x->downloaded++; x->bytes_down += total;
			atomic_fetch_add(&n_pulled, 1); atomic_fetch_add(&n_bytes_pulled, total); break;
		case PCB_XFER_PUSH: x->uploaded++; x->bytes_up += total;
			atomic_fetch_add(&n_pushed, 1); atomic_fetch_add(&n_bytes_pushed, total); break;
		case PCB_XFER_SKIP: x->skipped++; atomic_fetch_add(&n_skipped, 1); break;
		case PCB_XFER_MOUNT: x->mounted++; atomic_fetch_add(&n_mounted, 1); break;
		}
	}
	if (x->ctx->emit != NULL)
		x->ctx->emit(x->ctx->emit_ud, &ev);
out:
	pthread_mutex_unlock(&x->mu);
}

static void
emit_simple(const struct pcb_build_ctx *ctx, enum pcb_event_type type, const char *a,
    const char *message)
{
	struct pcb_event ev = { .type = type, .message = message };

	if (type == PCB_EVENT_PHASE)
		ev.phase = a;
	else
		ev.level = a;
	if (ctx->emit != NULL)
		ctx->emit(ctx->emit_ud, &ev);
}

static bool
cancelled(const struct pcb_build_ctx *ctx)
{
	return ctx->cancel != NULL && atomic_load(ctx->cancel) != 0;
}

/* A retry the registry client is about to make, as a warning in the job's log. With a
 * transfer's state (ud is its xfer_state: the calls come from its transfer threads) the
 * emit is serialised like the transfer's own events; without one (ud is the ctx) the
 * client runs on the calling thread. */
static void
on_retry_locked(void *ud, const char *message)
{
	struct xfer_state *x = ud;

	pthread_mutex_lock(&x->mu);
	emit_simple(x->ctx, PCB_EVENT_LOG, "warn", message);
	pthread_mutex_unlock(&x->mu);
}

static void
on_retry_direct(void *ud, const char *message)
{
	emit_simple(ud, PCB_EVENT_LOG, "warn", message);
}

/* A registry client for host with the job's credentials. A ca_certs entry for the host is
 * handed over as a file in the store's tmp/ (a CA is not secret), removed once the client
 * has read it at creation. fetch_missing: see struct pcb_registry_opts (may be NULL). */
static int
open_registry(const struct pcb_transfer_access *a, const struct pcb_build_ctx *ctx,
    const char *host, pcb_xfer_progress_fn progress, void *progress_ud,
    int (*fetch_missing)(void *, const char *, struct pcb_err *), void *fetch_ud,
    struct pcb_registry **out, struct pcb_err *err)
{
	struct pcb_registry_opts o;
	const char *pem = NULL;
	char *ca_path = NULL;
	int rc = 0, fd;

	memset(&o, 0, sizeof o);
	o.creds = &a->creds;
	o.insecure = &a->insecure;
	o.chunk_size = pcb_transfer_chunk_size(a, host);
	o.cancel = ctx->cancel;
	o.progress = progress;
	o.progress_ud = progress_ud;
	o.fetch_missing = fetch_missing;
	o.fetch_missing_ud = fetch_ud;
	if (progress == on_xfer) {
		o.on_retry = on_retry_locked;
		o.on_retry_ud = progress_ud;
	} else {
		o.on_retry = on_retry_direct;
		o.on_retry_ud = (void *)ctx;
	}
	for (size_t i = 0; i < a->ca_hosts.n; i++)
		if (strcasecmp(a->ca_hosts.v[i], host) == 0)
			pem = a->ca_pems.v[i];
	if (pem != NULL) {
		char *tmp = pcb_path_join(pcb_store_root(ctx->store), "tmp");
		ca_path = pcb_xasprintf("%s/ca-XXXXXX", tmp);
		free(tmp);
		if ((fd = mkostemp(ca_path, O_CLOEXEC)) < 0) {
			rc = pcb_err_errno(err, errno, "writing the CA certificate for %s", host);
			free(ca_path);
			ca_path = NULL;
			goto out;
		}
		if ((rc = pcb_write_all(fd, pem, strlen(pem))) != 0) {
			close(fd);
			rc = pcb_err_errno(err, -rc, "writing the CA certificate for %s", host);
			goto out;
		}
		close(fd);
		o.ca_file = ca_path;
	}
	rc = pcb_registry_create(host, &o, out, err);
out:
	if (ca_path != NULL) {
		unlink(ca_path);
		free(ca_path);
	}
	return rc;
}

int
pcb_transfer_open_registry(const struct pcb_transfer_access *a, const struct pcb_build_ctx *ctx,
    const char *host, pcb_xfer_progress_fn progress, void *progress_ud,
    struct pcb_registry **out, struct pcb_err *err)
{
	return open_registry(a, ctx, host, progress, progress_ud, NULL, NULL, out, err);
}

/* ---- blobs the store lacks ---------------------------------------------------------- */

/* Emits a log line from any thread: the push's fetches run on the registry's transfer
 * threads, and the emit callback takes one caller at a time. */
static void
emit_log_locked(struct xfer_state *x, const char *message)
{
	pthread_mutex_lock(&x->mu);
	emit_simple(x->ctx, PCB_EVENT_LOG, "info", message);
	pthread_mutex_unlock(&x->mu);
}

/* One digest to bring in, and where it was already looked for. */
struct miss {
	const char *digest;         /* borrowed */
	struct pcb_strv tried;      /* "registry/repository" */
	struct pcb_err last;        /* why the last source failed */
};

/* Registry clients opened during one fetch, one per host. */
struct clients {
	struct pcb_strv hosts;
	struct pcb_registry **v;
};

static bool
in_store(struct pcb_store *st, const char *digest)
{
	return pcb_store_stat(st, digest, NULL, NULL, NULL) == 0;
}

/* A registry and repository the store says hold m's blob, not yet tried for it. */
static bool
next_source(struct pcb_store *st, const struct miss *m, char **reg_out, char **repo_out)
{
	struct pcb_strv regs, repos;
	bool found = false;

	pcb_strv_init(&regs);
	(void)pcb_store_location_registries(st, m->digest, &regs, NULL);
	for (size_t i = 0; i < regs.n && !found; i++) {
		pcb_strv_init(&repos);
		(void)pcb_store_location_repos(st, m->digest, regs.v[i], &repos, NULL);
		for (size_t k = 0; k < repos.n && !found; k++) {
			char *key = pcb_xasprintf("%s/%s", regs.v[i], repos.v[k]);
			if (!pcb_strv_contains(&m->tried, key)) {
				*reg_out = pcb_xstrdup(regs.v[i]);
				*repo_out = pcb_xstrdup(repos.v[k]);
				found = true;
			}
			free(key);
		}
		pcb_strv_free(&repos);
	}
	pcb_strv_free(&regs);
	return found;
}

static int
client_for(const struct pcb_transfer_access *a, struct xfer_state *x, struct clients *cl,
    const char *host, struct pcb_registry **out, struct pcb_err *err)
{
	struct pcb_registry *r = NULL;
	int rc;

	for (size_t i = 0; i < cl->hosts.n; i++)
		if (strcmp(cl->hosts.v[i], host) == 0) {
			*out = cl->v[i];
			return 0;
		}
	if ((rc = pcb_transfer_open_registry(a, x->ctx, host, on_xfer, x, &r, err)) != 0)
		return rc;
	cl->v = pcb_xrealloc(cl->v, (cl->hosts.n + 1) * sizeof *cl->v);
	cl->v[cl->hosts.n] = r;
	pcb_strv_push(&cl->hosts, host);
	*out = r;
	return 0;
}

/* Errors that another source would not cure: stop at once. */
static bool
fatal(int rc)
{
	return rc == PCB_ECANCELED || rc == PCB_ENOSPC || rc == PCB_EINTERNAL;
}

/* Fetches batch from registry/repository; failures are charged to the blobs still missing
 * afterwards. The pool stops at its first failure, so when a batch of several fails each
 * blob still missing is tried alone, and only the ones that fail alone are charged. */
static int
fetch_from(const struct pcb_transfer_access *a, struct xfer_state *x, struct clients *cl,
    const char *host, const char *repo, struct miss **batch, size_t nb, struct pcb_err *err)
{
	struct pcb_registry *r = NULL;
	struct pcb_strv ds;
	struct pcb_err e;
	char *key = pcb_xasprintf("%s/%s", host, repo), *msg;
	int rc;

	pcb_strv_init(&ds);
	pcb_err_clear(&e);
	for (size_t i = 0; i < nb; i++)
		pcb_strv_push(&ds, batch[i]->digest);
	msg = pcb_xasprintf("fetching %zu blob%s the store lacks from %s", nb, nb == 1 ? "" : "s",
	    key);
	emit_log_locked(x, msg);
	free(msg);
	if ((rc = client_for(a, x, cl, host, &r, &e)) == 0)
		rc = pcb_registry_fetch_blobs(r, x->ctx->store, repo, &ds, &e);
	if (rc != 0 && !fatal(rc) && nb > 1 && r != NULL) {
		for (size_t i = 0; i < nb && !fatal(rc); i++) {
			struct pcb_strv one;
			if (in_store(x->ctx->store, batch[i]->digest))
				continue;
			pcb_strv_init(&one);
			pcb_strv_push(&one, batch[i]->digest);
			pcb_err_clear(&e);
			if ((rc = pcb_registry_fetch_blobs(r, x->ctx->store, repo, &one, &e)) != 0) {
				batch[i]->last = e;
				pcb_strv_push(&batch[i]->tried, key);
			}
			pcb_strv_free(&one);
		}
	} else {
		/* Charged to every blob still missing: all of them on failure; on success none
		 * (short of a registry client that reported success and stored nothing). */
		for (size_t i = 0; i < nb; i++) {
			if (in_store(x->ctx->store, batch[i]->digest))
				continue;
			if (rc != 0)
				batch[i]->last = e;
			else
				pcb_err_set(&batch[i]->last, PCB_EINTERNAL, "the fetch reported success "
				    "but the blob is not in the store");
			pcb_strv_push(&batch[i]->tried, key);
		}
	}
	if (fatal(rc) && err != NULL)
		*err = e;
	free(key);
	pcb_strv_free(&ds);
	return fatal(rc) ? rc : 0;
}

/* Brings every digest into the store from the registries its location records name,
 * grouping the blobs that share a repository into one parallel fetch, and trying the next
 * known location when one fails. */
static int
fetch_missing_blobs(const struct pcb_transfer_access *a, struct xfer_state *x,
    const struct pcb_strv *digests, struct pcb_err *err)
{
	struct pcb_store *st = x->ctx->store;
	struct miss *m = pcb_xcalloc(digests->n + 1, sizeof *m), **batch;
	struct clients cl;
	size_t n = 0;
	int rc = 0;

	memset(&cl, 0, sizeof cl);
	pcb_strv_init(&cl.hosts);
	batch = pcb_xcalloc(digests->n + 1, sizeof *batch);
	for (size_t i = 0; i < digests->n; i++) {
		bool dup = false;
		if (!pcb_digest_valid(digests->v[i])) {
			rc = pcb_err_set(err, PCB_EINVAL, "fetching blobs: '%.100s' is not a sha256 "
			    "digest", digests->v[i]);
			goto out;
		}
		for (size_t k = 0; k < n && !dup; k++)
			dup = strcmp(m[k].digest, digests->v[i]) == 0;
		if (dup || in_store(st, digests->v[i]))
			continue;
		m[n].digest = digests->v[i];
		pcb_strv_init(&m[n].tried);
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		while (!in_store(st, m[i].digest)) {
			char *host = NULL, *repo = NULL;
			size_t nb = 0;

			if (cancelled(x->ctx)) {
				rc = pcb_err_set(err, PCB_ECANCELED, "cancelled");
				goto out;
			}
			if (!next_source(st, &m[i], &host, &repo)) {
				if (m[i].tried.n == 0) {
					rc = pcb_err_set(err, PCB_ENOENT, "blob %s is not in the store and "
					    "no registry is known to hold it", m[i].digest);
				} else {
					struct pcb_buf where;
					pcb_buf_init(&where, 2048);
					for (size_t k = 0; k < m[i].tried.n; k++)
						(void)pcb_buf_appendf(&where, "%s%s", k ? ", " : "",
						    m[i].tried.v[k]);
					if (err != NULL)
						*err = m[i].last;
					rc = m[i].last.code != 0 ? m[i].last.code : PCB_EIO;
					pcb_err_prefix(err, "blob %s is not in the store, and fetching it "
					    "failed (tried %s)", m[i].digest, where.data);
					pcb_buf_free(&where);
				}
				goto out;
			}
			/* Every other missing blob this repository is known to hold comes along. */
			for (size_t k = i; k < n; k++) {
				bool has = false;
				char *key = pcb_xasprintf("%s/%s", host, repo);
				if (k == i || (!in_store(st, m[k].digest) &&
				    !pcb_strv_contains(&m[k].tried, key) &&
				    pcb_store_location_has(st, m[k].digest, host, repo, &has, NULL) == 0 &&
				    has))
					batch[nb++] = &m[k];
				free(key);
			}
			rc = fetch_from(a, x, &cl, host, repo, batch, nb, err);
			free(host);
			free(repo);
			if (rc != 0)
				goto out;
		}
	}
out:
	for (size_t i = 0; i < cl.hosts.n; i++)
		pcb_registry_destroy(cl.v[i]);
	free(cl.v);
	pcb_strv_free(&cl.hosts);
	for (size_t i = 0; i < n; i++)
		pcb_strv_free(&m[i].tried);
	free(m);
	free(batch);
	return rc;
}

int
pcb_transfer_fetch_blobs(const struct pcb_transfer_access *a, const struct pcb_build_ctx *ctx,
    const struct pcb_strv *digests, struct pcb_err *err)
{
	struct xfer_state x;
	char *msg;
	int rc;

	xfer_state_init(&x, ctx);
	rc = fetch_missing_blobs(a, &x, digests, err);
	if (rc == 0 && x.downloaded > 0) {
		msg = pcb_xasprintf("fetched %llu blob%s (%llu bytes)",
		    (unsigned long long)x.downloaded, x.downloaded == 1 ? "" : "s",
		    (unsigned long long)x.bytes_down);
		emit_simple(ctx, PCB_EVENT_LOG, "info", msg);
		free(msg);
	}
	xfer_state_free(&x);
	if (rc != 0 && cancelled(ctx) && rc != PCB_ECANCELED)
		rc = pcb_err_set(err, PCB_ECANCELED, "cancelled");
	return rc;
}

/* The push's fetch_missing: one blob, from wherever the store says it lives, counted and
 * reported with the push's own transfers. Runs on the registry's transfer threads. */
struct push_fetch {
	const struct pcb_transfer_access *a;
	struct xfer_state *x;
};

static int
push_fetch_missing(void *ud, const char *digest, struct pcb_err *err)
{
	struct push_fetch *pf = ud;
	struct pcb_strv one;
	int rc;

	pcb_strv_init(&one);
	pcb_strv_push(&one, digest);
	rc = fetch_missing_blobs(pf->a, pf->x, &one, err);
	pcb_strv_free(&one);
	return rc;
}

/* ---- referrers (image/sbom.h) ------------------------------------------------------------
 *
 * The SBOMs and provenance the store holds for a pushed manifest (and, for an index, for each
 * of its manifests) go with it: each referrer manifest is pushed by digest (its blobs first),
 * then made findable by its subject — by the registry itself when it answers the referrers
 * API, else through the OCI 1.1 tag fallback: the tag "sha256-<hex>" of the subject names an
 * image index listing its referrers, merged with the one already there (other tools' entries
 * stay). */

/* Adds the entries of ours not in the remote fallback index (by digest) and PUTs it. */
static int
referrers_tag_fallback(struct pcb_registry *reg, const char *repo, const char *subject,
    json_object *ours, struct pcb_err *err)
{
	char tag[80], *body = NULL;
	size_t len = 0;
	json_object *doc = NULL, *ms, *idx = NULL;
	const char *text;
	int rc;

	snprintf(tag, sizeof tag, "sha256-%.64s", subject + 7);
	rc = pcb_registry_get_manifest(reg, repo, tag, &body, &len, &doc, err);
	if (rc == PCB_ENOENT) {
		pcb_err_clear(err);
		rc = 0;
	} else if (rc != 0) {
		goto out;
	}
	ms = json_object_new_array();
	if (doc != NULL && json_object_object_get(doc, "manifests") != NULL &&
	    json_object_is_type(json_object_object_get(doc, "manifests"), json_type_array)) {
		json_object *old = json_object_object_get(doc, "manifests");
		for (size_t i = 0; i < json_object_array_length(old); i++)
			json_object_array_add(ms, json_object_get(json_object_array_get_idx(old, i)));
	}
	for (size_t i = 0; i < json_object_array_length(ours); i++) {
		json_object *e = json_object_array_get_idx(ours, i);
		const char *d = json_object_get_string(json_object_object_get(e, "digest"));
		bool have = false;
		for (size_t k = 0; k < json_object_array_length(ms) && !have; k++) {
			json_object *o = json_object_object_get(json_object_array_get_idx(ms, k),
			    "digest");
			have = o != NULL && d != NULL && strcmp(json_object_get_string(o), d) == 0;
		}
		if (!have)
			json_object_array_add(ms, json_object_get(e));
	}
	idx = json_object_new_object();
	json_object_object_add(idx, "schemaVersion", json_object_new_int(2));
	json_object_object_add(idx, "mediaType", json_object_new_string(PCB_MT_OCI_INDEX));
	json_object_object_add(idx, "manifests", ms);
	text = pcb_json_str(idx);
	if (body != NULL && strlen(text) == len && memcmp(text, body, len) == 0)
		goto out;   /* nothing new */
	rc = pcb_registry_put_manifest(reg, repo, tag, PCB_MT_OCI_INDEX, text, strlen(text), err);
out:
	json_object_put(doc);
	json_object_put(idx);
	free(body);
	return rc;
}

/* Pushes the referrers of manifest_digest (and of its manifests when it is an index) to
 * ref's repository; each one pushed is added to *list ({subject, digest, artifactType,
 * via}). */
static int
push_referrers(struct pcb_registry *reg, const struct pcb_build_ctx *ctx,
    const char *manifest_digest, const struct pcb_image_ref *ref, json_object *list,
    struct pcb_err *err)
{
	struct pcb_image_ref by_digest = { ref->registry, ref->repository, NULL, NULL };
	struct pcb_strv subjects;
	char *text = NULL;
	size_t len = 0;
	json_object *doc = NULL, *a;
	int rc = 0;

	pcb_strv_init(&subjects);
	pcb_strv_push(&subjects, manifest_digest);
	if (pcb_store_read(ctx->store, manifest_digest, 4u << 20, &text, &len, NULL) == 0 &&
	    (doc = json_tokener_parse(text)) != NULL &&
	    json_object_object_get_ex(doc, "manifests", &a) && json_object_is_type(a, json_type_array))
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			json_object *d = json_object_object_get(json_object_array_get_idx(a, i), "digest");
			if (d != NULL && pcb_digest_valid(json_object_get_string(d)))
				pcb_strv_push(&subjects, json_object_get_string(d));
		}
	for (size_t i = 0; i < subjects.n && rc == 0; i++) {
		json_object *idx = NULL, *remote = NULL, *ms;
		bool api = false;
		char got[PCB_DIGEST_BUFSZ];

		if (pcb_sbom_referrers(ctx->store, subjects.v[i], NULL, &idx, NULL) != 0)
			continue;
		ms = json_object_object_get(idx, "manifests");
		for (size_t k = 0; k < json_object_array_length(ms) && rc == 0; k++) {
			const char *md = json_object_get_string(json_object_object_get(
			    json_object_array_get_idx(ms, k), "digest"));
			rc = pcb_registry_push(reg, ctx->store, md, &by_digest, got, err);
		}
		if (rc == 0)
			rc = pcb_registry_referrers(reg, ref->repository, subjects.v[i], &api, &remote,
			    err);
		if (rc == 0 && !api)
			rc = referrers_tag_fallback(reg, ref->repository, subjects.v[i], ms, err);
		for (size_t k = 0; rc == 0 && k < json_object_array_length(ms); k++) {
			json_object *e = json_object_array_get_idx(ms, k), *o = json_object_new_object();
			json_object_object_add(o, "subject", json_object_new_string(subjects.v[i]));
			json_object_object_add(o, "digest",
			    json_object_get(json_object_object_get(e, "digest")));
			json_object_object_add(o, "artifactType",
			    json_object_get(json_object_object_get(e, "artifactType")));
			if (api) {
				json_object_object_add(o, "via", json_object_new_string("referrers-api"));
			} else {
				char *t = pcb_xasprintf("tag sha256-%.64s", subjects.v[i] + 7);
				json_object_object_add(o, "via", json_object_new_string(t));
				free(t);
			}
			json_object_array_add(list, o);
		}
		json_object_put(remote);
		json_object_put(idx);
	}
	json_object_put(doc);
	free(text);
	pcb_strv_free(&subjects);
	return rc;
}

int
pcb_transfer_push(const struct pcb_transfer_access *a, const struct pcb_build_ctx *ctx,
    const char *manifest_digest, const char *target, json_object **pushed_out,
    struct pcb_err *err)
{
	struct pcb_image_ref ref;
	struct pcb_registry *reg = NULL;
	struct xfer_state x;
	struct push_fetch pf;
	char digest[PCB_DIGEST_BUFSZ];
	json_object *p = NULL, *blobs;
	char *msg;
	int rc;

	memset(&ref, 0, sizeof ref);
	xfer_state_init(&x, ctx);
	pf.a = a;
	pf.x = &x;
	if (cancelled(ctx)) {
		rc = pcb_err_set(err, PCB_ECANCELED, "cancelled");
		goto out;
	}
	if ((rc = pcb_image_ref_parse(target, &ref, err)) != 0) {
		pcb_err_prefix(err, "push target '%.300s'", target);
		goto out;
	}
	msg = pcb_xasprintf("pushing %s to %s", manifest_digest, target);
	emit_simple(ctx, PCB_EVENT_PHASE, "push", msg);
	free(msg);
	if ((rc = open_registry(a, ctx, ref.registry, on_xfer, &x, push_fetch_missing, &pf, &reg,
	    err)) != 0)
		goto out;
	if ((rc = pcb_registry_push(reg, ctx->store, manifest_digest, &ref, digest, err)) != 0)
		goto out;
	p = json_object_new_object();
	json_object_object_add(p, "target", json_object_new_string(target));
	json_object_object_add(p, "digest", json_object_new_string(digest));
	blobs = json_object_new_object();
	json_object_object_add(blobs, "uploaded", json_object_new_int64((int64_t)x.uploaded));
	json_object_object_add(blobs, "skipped", json_object_new_int64((int64_t)x.skipped));
	json_object_object_add(blobs, "mounted", json_object_new_int64((int64_t)x.mounted));
	json_object_object_add(blobs, "bytes_sent", json_object_new_int64((int64_t)x.bytes_up));
	json_object_object_add(p, "blobs", blobs);
	{
		/* The image is pushed; a registry that refuses its SBOMs costs a warning, not the
		 * push (older registries reject artifact manifests). */
		json_object *refs = json_object_new_array();
		struct pcb_err rerr;
		pcb_err_clear(&rerr);
		if (push_referrers(reg, ctx, manifest_digest, &ref, refs, &rerr) != 0) {
			msg = pcb_xasprintf("the SBOM / provenance referrers of %s were not pushed to "
			    "%s: %s", manifest_digest, target, rerr.msg);
			emit_simple(ctx, PCB_EVENT_LOG, "warn", msg);
			free(msg);
		}
		json_object_object_add(p, "referrers", refs);
	}
	msg = pcb_xasprintf("pushed %s as %s: %llu blobs uploaded (%llu bytes), %llu skipped, "
	    "%llu mounted, %llu fetched first (%llu bytes)", target, digest,
	    (unsigned long long)x.uploaded, (unsigned long long)x.bytes_up,
	    (unsigned long long)x.skipped, (unsigned long long)x.mounted,
	    (unsigned long long)x.downloaded, (unsigned long long)x.bytes_down);
	emit_simple(ctx, PCB_EVENT_LOG, "info", msg);
	free(msg);
out:
	pcb_registry_destroy(reg);
	pcb_image_ref_free(&ref);
	xfer_state_free(&x);
	if (rc != 0 && cancelled(ctx) && rc != PCB_ECANCELED)
		rc = pcb_err_set(err, PCB_ECANCELED, "cancelled");
	*pushed_out = rc == 0 ? p : NULL;
	return rc;
}

/* ---- push jobs ---------------------------------------------------------------------- */

void
pcb_push_spec_init(struct pcb_push_spec *s)
{
	memset(s, 0, sizeof *s);
	pcb_strv_init(&s->targets);
	pcb_transfer_access_init(&s->access);
}

void
pcb_push_spec_free(struct pcb_push_spec *s)
{
	free(s->source);
	pcb_strv_free(&s->targets);
	pcb_transfer_access_free(&s->access);
	free(s->manifest_digest);
	memset(s, 0, sizeof *s);
}

bool
pcb_push_source_is_build(const char *source)
{
	if (strncmp(source, "b-", 2) != 0 || strlen(source) != 18)
		return false;
	for (const char *p = source + 2; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

int
pcb_push_spec_from_json(json_object *j, struct pcb_push_spec *s, struct pcb_err *err)
{
	int rc = 0;

	if (!json_object_is_type(j, json_type_object))
		return pcb_err_set(err, PCB_EINVAL, "push spec: expected a JSON object, got %s",
		    pcb_json_type_name(j));
	json_object_object_foreach(j, key, v) {
		bool handled;
		if (strcmp(key, "source") == 0) {
			free(s->source);
			s->source = NULL;
			rc = get_string_ne(v, "source", 512, &s->source, err);
		} else if (strcmp(key, "targets") == 0) {
			size_t n;
			if (!json_object_is_type(v, json_type_array))
				return pcb_err_set(err, PCB_EINVAL, "targets: expected an array of "
				    "strings, got %s", pcb_json_type_name(v));
			n = json_object_array_length(v);
			if (n > MAX_ENTRIES)
				return pcb_err_set(err, PCB_EINVAL, "targets: more than %d entries",
				    MAX_ENTRIES);
			for (size_t i = 0; i < n; i++) {
				char field[64], *t = NULL;
				struct pcb_image_ref ref;
				snprintf(field, sizeof field, "targets[%zu]", i);
				if ((rc = get_string_ne(json_object_array_get_idx(v, i), field, 512, &t,
				    err)) != 0)
					return rc;
				memset(&ref, 0, sizeof ref);
				rc = pcb_image_ref_parse(t, &ref, err);
				pcb_image_ref_free(&ref);
				if (rc != 0) {
					pcb_err_prefix(err, "%s", field);
					free(t);
					return rc;
				}
				pcb_strv_push_owned(&s->targets, t);
			}
		} else if ((rc = pcb_transfer_access_field(key, v, &s->access, &handled, err)) != 0 ||
		    handled) {
			/* parsed (or failed) as a credential field */
		} else {
			rc = pcb_err_set(err, PCB_EINVAL, "push spec: unknown field '%.100s'", key);
		}
		if (rc != 0)
			return rc;
	}
	if (s->source == NULL)
		return pcb_err_set(err, PCB_EINVAL, "push spec: missing required field 'source'");
	if (s->targets.n == 0)
		return pcb_err_set(err, PCB_EINVAL, "push spec: 'targets' needs at least one "
		    "registry reference");
	if (!pcb_push_source_is_build(s->source) && !pcb_digest_valid(s->source)) {
		char *repo = NULL, *tag = NULL;
		rc = pcb_ref_parse(s->source, &repo, &tag, err);
		free(repo);
		free(tag);
		if (rc != 0) {
			pcb_err_prefix(err, "source: '%.200s' is not a tag, a build id or a digest",
			    s->source);
			return rc;
		}
	}
	return 0;
}

json_object *
pcb_push_spec_to_json(const struct pcb_push_spec *s)
{
	json_object *j = json_object_new_object(), *t = json_object_new_array();

	json_object_object_add(j, "source", json_object_new_string(s->source ? s->source : ""));
	for (size_t i = 0; i < s->targets.n; i++)
		json_object_array_add(t, json_object_new_string(s->targets.v[i]));
	json_object_object_add(j, "targets", t);
	return j;
}

/* The manifest a push source names: a resolved build, a digest, or a store tag. */
static int
resolve_source(const struct pcb_push_spec *s, struct pcb_store *store, char **digest_out,
    struct pcb_err *err)
{
	char *repo = NULL, *tag = NULL, *name = NULL, *d = NULL;
	int rc = 0;

	if (s->manifest_digest != NULL) {
		d = pcb_xstrdup(s->manifest_digest);
	} else if (pcb_push_source_is_build(s->source)) {
		rc = pcb_err_set(err, PCB_EINTERNAL, "source %s: the build was not resolved to its "
		    "manifest", s->source);
	} else if (pcb_digest_valid(s->source)) {
		if ((rc = pcb_store_stat(store, s->source, NULL, NULL, err)) != 0)
			pcb_err_prefix(err, "source %s", s->source);
		else
			d = pcb_xstrdup(s->source);
	} else if ((rc = pcb_ref_parse(s->source, &repo, &tag, err)) == 0) {
		name = pcb_xasprintf("%s:%s", repo, tag);
		rc = pcb_store_tag_get_as(store, &s->as, name, &d, err);
		if (rc == PCB_ENOENT)
			rc = pcb_err_set(err, PCB_ENOENT, "source '%s': no image with that tag in the "
			    "daemon's store", name);
	}
	free(repo);
	free(tag);
	free(name);
	*digest_out = rc == 0 ? d : NULL;
	if (rc != 0)
		free(d);
	return rc;
}

int
pcb_push_run(const struct pcb_push_spec *s, const struct pcb_build_ctx *ctx,
    json_object **result_out, struct pcb_err *err)
{
	json_object *result = NULL, *pushed = json_object_new_array();
	char *digest = NULL, *mt = NULL;
	uint64_t size = 0;
	int rc;

	emit_simple(ctx, PCB_EVENT_PHASE, "resolve", s->source);
	if ((rc = resolve_source(s, ctx->store, &digest, err)) != 0)
		goto out;
	if ((rc = pcb_store_stat(ctx->store, digest, &size, &mt, err)) != 0) {
		pcb_err_prefix(err, "source %s (manifest %s)", s->source, digest);
		goto out;
	}
	for (size_t i = 0; i < s->targets.n; i++) {
		json_object *p = NULL;
		if ((rc = pcb_transfer_push(&s->access, ctx, digest, s->targets.v[i], &p, err)) != 0)
			goto out;
		json_object_array_add(pushed, p);
	}
	result = json_object_new_object();
	json_object_object_add(result, "source", json_object_new_string(s->source));
	json_object_object_add(result, "manifest",
	    pcb_oci_descriptor(mt ? mt : PCB_MT_OCI_MANIFEST, digest, size));
	json_object_object_add(result, "pushed", json_object_get(pushed));
out:
	json_object_put(pushed);
	free(digest);
	free(mt);
	*result_out = result;
	return rc;
}

/* ---- pull jobs ---------------------------------------------------------------------- */

void
pcb_pull_spec_init(struct pcb_pull_spec *s)
{
	memset(s, 0, sizeof *s);
	pcb_transfer_access_init(&s->access);
}

void
pcb_pull_spec_free(struct pcb_pull_spec *s)
{
	free(s->ref);
	free(s->platform);
	pcb_transfer_access_free(&s->access);
	memset(s, 0, sizeof *s);
}

int
pcb_pull_spec_from_json(json_object *j, struct pcb_pull_spec *s, struct pcb_err *err)
{
	int rc = 0;

	if (!json_object_is_type(j, json_type_object))
		return pcb_err_set(err, PCB_EINVAL, "pull spec: expected a JSON object, got %s",
		    pcb_json_type_name(j));
	json_object_object_foreach(j, key, v) {
		bool handled;
		if (strcmp(key, "ref") == 0) {
			struct pcb_image_ref ref;
			free(s->ref);
			s->ref = NULL;
			if ((rc = get_string_ne(v, "ref", 512, &s->ref, err)) == 0) {
				memset(&ref, 0, sizeof ref);
				if ((rc = pcb_image_ref_parse(s->ref, &ref, err)) != 0)
					pcb_err_prefix(err, "ref");
				pcb_image_ref_free(&ref);
			}
		} else if (strcmp(key, "platform") == 0) {
			struct pcb_platform p;
			free(s->platform);
			s->platform = NULL;
			rc = get_string_ne(v, "platform", 100, &s->platform, err);
			if (rc == 0 && (rc = pcb_platform_parse(s->platform, &p, err)) != 0)
				pcb_err_prefix(err, "platform");
		} else if ((rc = pcb_transfer_access_field(key, v, &s->access, &handled, err)) != 0 ||
		    handled) {
			/* parsed (or failed) as a credential field */
		} else {
			rc = pcb_err_set(err, PCB_EINVAL, "pull spec: unknown field '%.100s'", key);
		}
		if (rc != 0)
			return rc;
	}
	if (s->ref == NULL)
		return pcb_err_set(err, PCB_EINVAL, "pull spec: missing required field 'ref'");
	return 0;
}

json_object *
pcb_pull_spec_to_json(const struct pcb_pull_spec *s)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "ref", json_object_new_string(s->ref ? s->ref : ""));
	if (s->platform != NULL)
		json_object_object_add(j, "platform", json_object_new_string(s->platform));
	return j;
}

/* The short store name of what the user wrote: "python" → "python:latest",
 * "host/app:1@sha256:…" → "host/app:1", a digest-only reference → NULL. */
static char *
short_name(const char *written, const struct pcb_image_ref *ref)
{
	const char *at = strchr(written, '@');
	const char *slash = strrchr(written, '/');
	const char *last = slash != NULL ? slash + 1 : written;
	char *base;

	if (at != NULL && ref->tag == NULL)
		return NULL;
	base = at != NULL ? pcb_xstrndup(written, (size_t)(at - written)) : pcb_xstrdup(written);
	if (strchr(last, ':') == NULL || (at != NULL && strchr(last, ':') > at)) {
		char *t = pcb_xasprintf("%s:latest", base);
		free(base);
		base = t;
	}
	return base;
}

int
pcb_pull_run(const struct pcb_pull_spec *s, const struct pcb_build_ctx *ctx,
    json_object **result_out, struct pcb_err *err)
{
	struct pcb_image_ref ref;
	struct pcb_platform plat;
	struct pcb_registry *reg = NULL;
	struct xfer_state x;
	json_object *res = NULL, *tags = json_object_new_array(), *md;
	char *canonical = NULL, *shortn = NULL, *msg;
	const char *digest;
	int rc;

	memset(&ref, 0, sizeof ref);
	xfer_state_init(&x, ctx);
	if (s->platform != NULL) {
		if ((rc = pcb_platform_parse(s->platform, &plat, err)) != 0)
			goto out;
	} else {
		pcb_platform_host(&plat);
	}
	if ((rc = pcb_image_ref_parse(s->ref, &ref, err)) != 0) {
		pcb_err_prefix(err, "ref");
		goto out;
	}
	emit_simple(ctx, PCB_EVENT_PHASE, "pull", s->ref);
	if ((rc = pcb_transfer_open_registry(&s->access, ctx, ref.registry, on_xfer, &x, &reg,
	    err)) != 0)
		goto out;
	if ((rc = pcb_registry_pull(reg, ctx->store, &ref, &plat, &res, err)) != 0)
		goto out;
	if (!json_object_object_get_ex(res, "manifest", &md) ||
	    (digest = json_object_get_string(json_object_object_get(md, "digest"))) == NULL) {
		rc = pcb_err_set(err, PCB_EINTERNAL, "the registry client returned no manifest");
		goto out;
	}
	emit_simple(ctx, PCB_EVENT_PHASE, "tag", s->ref);
	if (ref.tag != NULL) {
		canonical = pcb_xasprintf("%s/%s:%s", ref.registry, ref.repository, ref.tag);
		if ((rc = pcb_store_tag_set_as(ctx->store, &s->as, canonical, digest, err)) != 0)
			goto out;
		json_object_array_add(tags, json_object_new_string(canonical));
	}
	shortn = short_name(s->ref, &ref);
	if (shortn != NULL && (canonical == NULL || strcmp(shortn, canonical) != 0)) {
		if ((rc = pcb_store_tag_set_as(ctx->store, &s->as, shortn, digest, err)) != 0)
			goto out;
		json_object_array_add(tags, json_object_new_string(shortn));
	}
	json_object_object_add(res, "tagged", canonical ? json_object_new_string(canonical) : NULL);
	json_object_object_add(res, "tags", json_object_get(tags));
	msg = pcb_xasprintf("pulled %s as %s: %llu blobs downloaded (%llu bytes), %llu already "
	    "here", s->ref, digest, (unsigned long long)x.downloaded,
	    (unsigned long long)x.bytes_down,
	    (unsigned long long)x.skipped);
	emit_simple(ctx, PCB_EVENT_LOG, "info", msg);
	free(msg);
out:
	pcb_registry_destroy(reg);
	pcb_image_ref_free(&ref);
	xfer_state_free(&x);
	json_object_put(tags);
	free(canonical);
	free(shortn);
	if (rc != 0 && cancelled(ctx) && rc != PCB_ECANCELED)
		rc = pcb_err_set(err, PCB_ECANCELED, "cancelled");
	if (rc != 0) {
		json_object_put(res);
		res = NULL;
	}
	*result_out = res;
	return rc;
}
