/* api-cache.c — the cache resource: GET /v1/cache (usage, limits, hit rates), GET
 * /v1/cache/entries (blobs, least recently used or largest first), POST /v1/cache/prune (a
 * collection now), POST /v1/cache/verify (a "verify" job re-hashing every blob), and the
 * automatic collection the daemon runs at start-up and after each build, pull and base job.
 *
 * Everything that reads the store's files (reachability walks manifests; pruning unlinks)
 * runs on libuv's thread pool with the connection suspended, like /v1/plan, so the loop never
 * waits on the disk. d->n_async counts that work; shutdown waits for it. */
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "api.h"
#include "image/lcache.h"
#include "image/store.h"
#include "log.h"

#define ENTRIES_DEFAULT 100
#define ENTRIES_MAX 10000

enum cache_op { OP_USAGE, OP_ENTRIES, OP_PRUNE, OP_TAGS };

struct cache_work {
	uv_work_t w;
	struct pcb_request *r;      /* NULL for the automatic collection */
	struct pcb_daemon *d;
	enum cache_op op;
	struct pcb_store_policy policy;
	/* entries */
	enum pcb_store_sort sort;
	size_t limit;
	/* prune */
	struct pcb_store_gc_opts gc;
	/* tags: whose are shown (admins: every user's) */
	uid_t uid;
	bool all_users;
	/* answer */
	json_object *out;
	struct pcb_err err;
	int rc;
};

/* The automatic collection: at most one at a time; a request while one runs makes it run
 * again after (the store changed meanwhile). Loop thread only. */
static struct {
	bool running;
	bool again;
	bool last_met;              /* so that an unmet limit is warned about once, not per job */
} autogc = { false, false, true };

static json_object *
count_json(const struct pcb_store_count *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "blobs", json_object_new_int64((int64_t)c->blobs));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)c->bytes));
	return o;
}

static json_object *
time_json(int64_t ms)
{
	char ts[32];

	pcb_time_rfc3339_ms(ms, ts);
	return json_object_new_string(ts);
}

/* Hit rates of the derived-layer cache (common/image/lcache.c), since the daemon started. */
static json_object *
hit_rates_json(void)
{
	struct pcb_lcache_stats st;
	json_object *o = json_object_new_object(), *l = json_object_new_object();
	uint64_t hits, lookups;

	memset(&st, 0, sizeof st);
	pcb_lcache_stats(&st);
	hits = st.stat_hits + st.content_hits;
	lookups = hits + st.misses;
	json_object_object_add(l, "stat_hits", json_object_new_int64((int64_t)st.stat_hits));
	json_object_object_add(l, "content_hits", json_object_new_int64((int64_t)st.content_hits));
	json_object_object_add(l, "misses", json_object_new_int64((int64_t)st.misses));
	json_object_object_add(l, "hit_rate", lookups > 0 ?
	    json_object_new_double((double)hits / (double)lookups) : NULL);
	json_object_object_add(o, "layers", l);
	json_object_object_add(o, "files_hashed", json_object_new_int64((int64_t)st.files_hashed));
	json_object_object_add(o, "bytes_read", json_object_new_int64((int64_t)st.bytes_read));
	return o;
}

static json_object *
usage_json(const struct pcb_store_usage *u, const struct pcb_store_policy *p)
{
	json_object *o = json_object_new_object(), *usage = json_object_new_object();
	json_object *kinds = json_object_new_object();

	json_object_object_add(usage, "bytes", json_object_new_int64((int64_t)u->total.bytes));
	json_object_object_add(usage, "blobs", json_object_new_int64((int64_t)u->total.blobs));
	json_object_object_add(usage, "limit_bytes", json_object_new_int64((int64_t)p->max_bytes));
	json_object_object_add(usage, "min_free_bytes",
	    json_object_new_int64((int64_t)p->min_free_bytes));
	json_object_object_add(usage, "keep_seconds", json_object_new_int64(p->keep_ms / 1000));
	json_object_object_add(usage, "tag_keep_seconds",
	    json_object_new_int64(p->tag_keep_ms / 1000));
	json_object_object_add(usage, "free_bytes", json_object_new_int64((int64_t)u->free_bytes));
	json_object_object_add(usage, "fs_bytes", json_object_new_int64((int64_t)u->fs_bytes));
	json_object_object_add(o, "usage", usage);
	for (int k = 0; k < PCB_STORE_KIND_COUNT; k++)
		json_object_object_add(kinds, pcb_store_kind_name((enum pcb_store_kind)k),
		    count_json(&u->by_kind[k]));
	json_object_object_add(o, "by_kind", kinds);
	json_object_object_add(o, "referenced", count_json(&u->referenced));
	json_object_object_add(o, "pinned", count_json(&u->pinned));
	json_object_object_add(o, "tags", json_object_new_int64((int64_t)u->tags));
	json_object_object_add(o, "layer_cache_entries",
	    json_object_new_int64((int64_t)u->layer_cache_entries));
	json_object_object_add(o, "hit_rates", hit_rates_json());
	return o;
}

static json_object *
report_json(const struct pcb_store_gc_report *r, const struct pcb_store_gc_opts *o)
{
	json_object *j = json_object_new_object(), *kept = count_json(&r->kept);
	json_object *reasons = json_object_new_array();
	char *s;

	json_object_object_add(j, "dry_run", json_object_new_boolean(o->dry_run));
	json_object_object_add(j, "before", count_json(&r->before));
	json_object_object_add(j, "removed", count_json(&r->removed));
	json_object_object_add(kept, "referenced", count_json(&r->kept_referenced));
	json_object_object_add(kept, "pinned", count_json(&r->kept_pinned));
	json_object_object_add(kept, "recent", count_json(&r->kept_recent));
	json_object_object_add(kept, "spare", count_json(&r->kept_spare));
	json_object_object_add(j, "kept", kept);
	json_object_object_add(j, "layer_cache_removed",
	    json_object_new_int64((int64_t)r->layer_cache_removed));
	json_object_object_add(j, "tags_removed", json_object_new_int64((int64_t)r->tags_removed));
	json_object_object_add(j, "unindexed_removed",
	    json_object_new_int64((int64_t)r->unindexed_removed));
	json_object_object_add(j, "need_bytes", json_object_new_int64((int64_t)r->need_bytes));
	json_object_object_add(j, "free_bytes", json_object_new_int64((int64_t)r->free_bytes));
	json_object_object_add(j, "limit_met", json_object_new_boolean(r->limit_met));
	if (r->kept_referenced.blobs > 0) {
		s = pcb_xasprintf("%" PRIu64 " blobs (%" PRIu64 " bytes) kept: referenced by tagged "
		    "images, which are never evicted automatically", r->kept_referenced.blobs,
		    r->kept_referenced.bytes);
		json_object_array_add(reasons, json_object_new_string(s));
		free(s);
	}
	if (r->kept_pinned.blobs > 0) {
		s = pcb_xasprintf("%" PRIu64 " blobs (%" PRIu64 " bytes) kept: in use by running jobs",
		    r->kept_pinned.blobs, r->kept_pinned.bytes);
		json_object_array_add(reasons, json_object_new_string(s));
		free(s);
	}
	if (r->kept_recent.blobs > 0) {
		s = pcb_xasprintf("%" PRIu64 " blobs (%" PRIu64 " bytes) kept: used within the keep "
		    "duration (%" PRId64 " s) or since a running job started", r->kept_recent.blobs,
		    r->kept_recent.bytes, o->all ? (int64_t)0 : o->keep_ms / 1000);
		json_object_array_add(reasons, json_object_new_string(s));
		free(s);
	}
	if (r->kept_spare.blobs > 0) {
		s = pcb_xasprintf("%" PRIu64 " blobs (%" PRIu64 " bytes) kept: the store is within its "
		    "limits without removing them", r->kept_spare.blobs, r->kept_spare.bytes);
		json_object_array_add(reasons, json_object_new_string(s));
		free(s);
	}
	if (!r->limit_met)
		json_object_array_add(reasons, json_object_new_string(r->reason));
	json_object_object_add(j, "reasons", reasons);
	return j;
}

static json_object *
entries_json(const struct pcb_store_entry *e, size_t n, uint64_t total)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *x = json_object_new_object();

		json_object_object_add(x, "digest", json_object_new_string(e[i].digest));
		json_object_object_add(x, "size", json_object_new_int64((int64_t)e[i].size));
		json_object_object_add(x, "media_type", e[i].media_type != NULL ?
		    json_object_new_string(e[i].media_type) : NULL);
		json_object_object_add(x, "kind", json_object_new_string(pcb_store_kind_name(
		    pcb_store_media_kind(e[i].media_type))));
		json_object_object_add(x, "created", time_json(e[i].created_ms));
		json_object_object_add(x, "last_used", time_json(e[i].last_used_ms));
		json_object_object_add(x, "referenced", json_object_new_boolean(e[i].referenced));
		json_object_object_add(x, "pinned", json_object_new_boolean(e[i].pins > 0));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "entries", a);
	json_object_object_add(o, "total", json_object_new_int64((int64_t)total));
	return o;
}

/* What each tag the caller may see holds (`pcb cache du`): their own (shown without the
 * store's "~<uid>/" prefix), the shared ones, and for admins every user's (with its owner). */
static json_object *
tags_json(const struct cache_work *c, const struct pcb_store_tag_use *t, size_t n)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	char own[32];
	size_t ol;

	ol = (size_t)snprintf(own, sizeof own, "~%u/", (unsigned)c->uid);
	for (size_t i = 0; i < n; i++) {
		const char *name = t[i].name, *shown = name;
		bool shared = name[0] != '~', mine = strncmp(name, own, ol) == 0;
		json_object *e;

		if (!shared && !mine && !c->all_users)
			continue;
		if (mine)
			shown = name + ol;
		e = json_object_new_object();
		json_object_object_add(e, "name", json_object_new_string(shown));
		json_object_object_add(e, "shared", json_object_new_boolean(shared));
		if (!shared) {
			unsigned long uid = strtoul(name + 1, NULL, 10);
			struct passwd pw, *res = NULL;
			char buf[1024], num[24];
			if (getpwuid_r((uid_t)uid, &pw, buf, sizeof buf, &res) != 0 || res == NULL) {
				snprintf(num, sizeof num, "%lu", uid);
				json_object_object_add(e, "owner", json_object_new_string(num));
			} else {
				json_object_object_add(e, "owner", json_object_new_string(pw.pw_name));
			}
		}
		json_object_object_add(e, "digest", json_object_new_string(t[i].digest));
		json_object_object_add(e, "bytes", json_object_new_int64((int64_t)t[i].bytes));
		json_object_object_add(e, "unique_bytes",
		    json_object_new_int64((int64_t)t[i].unique_bytes));
		json_object_object_add(e, "blobs", json_object_new_int64((int64_t)t[i].blobs));
		json_object_object_add(e, "last_used", time_json(t[i].used_ms));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "tags", arr);
	json_object_object_add(o, "tag_keep_seconds",
	    json_object_new_int64(c->policy.tag_keep_ms / 1000));
	return o;
}

/* Thread pool: the store is thread-safe; nothing here touches loop state. */
static void
work_run(uv_work_t *w)
{
	struct cache_work *c = w->data;
	struct pcb_store *s = c->d->store;

	switch (c->op) {
	case OP_USAGE: {
		struct pcb_store_usage u;
		c->rc = pcb_store_usage(s, &u, &c->err);
		if (c->rc == 0)
			c->out = usage_json(&u, &c->policy);
		break;
	}
	case OP_ENTRIES: {
		struct pcb_store_entry *e = NULL;
		size_t n = 0;
		uint64_t total = 0;
		c->rc = pcb_store_entries(s, c->sort, c->limit, &e, &n, &total, &c->err);
		if (c->rc == 0)
			c->out = entries_json(e, n, total);
		pcb_store_entries_free(e, n);
		break;
	}
	case OP_PRUNE: {
		struct pcb_store_gc_report r;
		c->rc = pcb_store_gc(s, &c->gc, &r, &c->err);
		if (c->rc == 0)
			c->out = report_json(&r, &c->gc);
		break;
	}
	case OP_TAGS: {
		struct pcb_store_tag_use *t = NULL;
		size_t n = 0;
		c->rc = pcb_store_tag_usage(s, &t, &n, &c->err);
		if (c->rc == 0)
			c->out = tags_json(c, t, n);
		pcb_store_tag_usage_free(t, n);
		break;
	}
	}
}

static void collect_start(struct pcb_daemon *d, bool sweep);

/* Loop thread: the automatic collection's outcome goes to the log. */
static void
auto_done(struct cache_work *c)
{
	json_object *removed, *j = c->out;
	bool met;

	autogc.running = false;
	if (c->rc != 0) {
		pcb_log_error("cache collection: %s", c->err.msg);
		goto out;
	}
	removed = json_object_object_get(j, "removed");
	met = json_object_get_boolean(json_object_object_get(j, "limit_met"));
	if (json_object_get_int64(json_object_object_get(removed, "blobs")) > 0 ||
	    json_object_get_int64(json_object_object_get(j, "unindexed_removed")) > 0)
		pcb_log_info("cache collection: removed %" PRId64 " blobs (%" PRId64 " bytes), %"
		    PRId64 " stray files", json_object_get_int64(json_object_object_get(removed,
		    "blobs")), json_object_get_int64(json_object_object_get(removed, "bytes")),
		    json_object_get_int64(json_object_object_get(j, "unindexed_removed")));
	if (!met && autogc.last_met) {
		json_object *reasons = json_object_object_get(j, "reasons");
		size_t n = json_object_array_length(reasons);
		pcb_log_warn("cache collection: limits not met: %s", n > 0 ?
		    json_object_get_string(json_object_array_get_idx(reasons, n - 1)) : "?");
	}
	autogc.last_met = met;
out:
	if (autogc.again && !c->d->shutting_down) {
		autogc.again = false;
		collect_start(c->d, false);
	}
}

static void
work_done(uv_work_t *w, int status)
{
	struct cache_work *c = w->data;

	c->d->n_async--;
	if (status != 0 && c->rc == 0)
		c->rc = pcb_err_set(&c->err, PCB_EINTERNAL, "the cache request could not run");
	if (c->r == NULL) {
		auto_done(c);
	} else if (c->rc != 0) {
		pcb_http_resume_err(c->r, &c->err);
	} else {
		pcb_http_resume_json(c->r, 200, c->out);
		c->out = NULL;
	}
	json_object_put(c->out);
	free(c);
}

static struct cache_work *
work_new(struct pcb_daemon *d, struct pcb_request *r, enum cache_op op)
{
	struct cache_work *c = pcb_xcalloc(1, sizeof *c);

	c->d = d;
	c->r = r;
	c->op = op;
	c->w.data = c;
	pcb_err_clear(&c->err);
	pcb_store_get_policy(d->store, &c->policy);
	return c;
}

static void
work_queue(struct cache_work *c)
{
	if (c->r != NULL)
		pcb_http_suspend(c->r);
	c->d->n_async++;
	uv_queue_work(c->d->loop, &c->w, work_run, work_done);
}

static void
collect_start(struct pcb_daemon *d, bool sweep)
{
	struct cache_work *c = work_new(d, NULL, OP_PRUNE);

	autogc.running = true;
	c->gc.until_limit = true;
	c->gc.max_bytes = c->policy.max_bytes;
	c->gc.min_free_bytes = c->policy.min_free_bytes;
	c->gc.keep_ms = c->policy.keep_ms;
	c->gc.tag_keep_ms = c->policy.tag_keep_ms;
	c->gc.protect_since_ms = pcb_jobs_oldest_running_ms(d->jobs);
	c->gc.sweep_unindexed = sweep;
	work_queue(c);
}

void
pcb_api_cache_collect(struct pcb_daemon *d, bool startup)
{
	if (d->shutting_down)
		return;
	if (autogc.running) {
		autogc.again = true;
		return;
	}
	collect_start(d, startup);
}

void
pcb_api_cache_after_job(void *ud, enum pcb_job_kind k)
{
	(void)k;
	pcb_api_cache_collect(ud, false);
}

/* --- handlers ---------------------------------------------------------------------------- */

static bool
refuse_if_stopping(struct pcb_request *r)
{
	if (!r->d->shutting_down)
		return false;
	pcb_http_reply_error(r, 503, "unavailable", "the daemon is shutting down");
	return true;
}

static void
get_cache(struct pcb_request *r)
{
	static const char *const allowed[] = { NULL };
	struct pcb_err err;

	if (pcb_http_check_query(r, allowed, &err) != 0) {
		pcb_http_reply_err(r, &err);
		return;
	}
	if (refuse_if_stopping(r))
		return;
	work_queue(work_new(r->d, r, OP_USAGE));
}

static void
list_tags(struct pcb_request *r)
{
	static const char *const allowed[] = { NULL };
	struct cache_work *c;
	struct pcb_err err;

	if (pcb_http_check_query(r, allowed, &err) != 0) {
		pcb_http_reply_err(r, &err);
		return;
	}
	if (refuse_if_stopping(r))
		return;
	c = work_new(r->d, r, OP_TAGS);
	c->uid = r->caller.set ? r->caller.uid : geteuid();
	c->all_users = r->admin;
	work_queue(c);
}

static void
list_entries(struct pcb_request *r)
{
	static const char *const allowed[] = { "limit", "sort", NULL };
	const char *limit = pcb_http_query(r, "limit"), *sort = pcb_http_query(r, "sort");
	struct cache_work *c;
	struct pcb_err err;
	long n = ENTRIES_DEFAULT;
	char *end;

	if (pcb_http_check_query(r, allowed, &err) != 0) {
		pcb_http_reply_err(r, &err);
		return;
	}
	if (limit != NULL) {
		n = strtol(limit, &end, 10);
		if (limit[0] == '\0' || *end != '\0' || n < 1 || n > ENTRIES_MAX) {
			pcb_http_reply_error(r, 400, "invalid_request", "limit: \"%.40s\" is not a "
			    "number from 1 to %d", limit, ENTRIES_MAX);
			return;
		}
	}
	if (sort != NULL && strcmp(sort, "lru") != 0 && strcmp(sort, "size") != 0) {
		pcb_http_reply_error(r, 400, "invalid_request", "sort: \"%.40s\" is not lru or size",
		    sort);
		return;
	}
	if (refuse_if_stopping(r))
		return;
	c = work_new(r->d, r, OP_ENTRIES);
	c->limit = (size_t)n;
	c->sort = sort != NULL && strcmp(sort, "size") == 0 ? PCB_STORE_SORT_SIZE :
	    PCB_STORE_SORT_LRU;
	work_queue(c);
}

/* The request body, an object with known members only; an empty body is {}. */
static int
read_body(struct pcb_request *r, const char *const *members, json_object **out,
    struct pcb_err *err)
{
	json_object *j = NULL;
	int rc = 0;

	if (r->body.len == 0) {
		*out = json_object_new_object();
		return 0;
	}
	if ((rc = pcb_http_body_json(r, &j, err)) != 0)
		goto out;
	json_object_object_foreach(j, k, v) {
		size_t i;
		(void)v;
		for (i = 0; members[i] != NULL && strcmp(members[i], k) != 0; i++)
			;
		if (members[i] == NULL) {
			rc = pcb_err_set(err, PCB_EINVAL, "unknown member \"%.60s\"", k);
			goto out;
		}
	}
out:
	if (rc != 0) {
		json_object_put(j);
		j = NULL;
	}
	*out = j;
	return rc;
}

static int
get_bool(json_object *j, const char *key, bool *out, struct pcb_err *err)
{
	json_object *v;

	if (!json_object_object_get_ex(j, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return pcb_err_set(err, PCB_EINVAL, "%s: expected true or false", key);
	*out = json_object_get_boolean(v);
	return 0;
}

/* A non-negative integer, or for sizes a string such as "2G". *set tells whether present. */
static int
get_count(json_object *j, const char *key, bool size, int64_t *out, bool *set,
    struct pcb_err *err)
{
	json_object *v;
	uint64_t u;

	*set = false;
	if (!json_object_object_get_ex(j, key, &v) || v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0) {
		*out = json_object_get_int64(v);
	} else if (size && json_object_is_type(v, json_type_string)) {
		if (pcb_store_parse_size(json_object_get_string(v), &u, err) != 0 || u > INT64_MAX) {
			pcb_err_prefix(err, "%s", key);
			return PCB_EINVAL;
		}
		*out = (int64_t)u;
	} else {
		return pcb_err_set(err, PCB_EINVAL, "%s: expected a whole number >= 0%s", key,
		    size ? " or a size such as \"2G\"" : "");
	}
	*set = true;
	return 0;
}

static void
prune(struct pcb_request *r)
{
	static const char *const members[] = { "all", "max_size", "keep_seconds", "dry_run",
		"tag_keep_seconds", NULL };
	struct pcb_store_policy pol;
	struct cache_work *c;
	json_object *j = NULL;
	struct pcb_err err;
	bool all = false, dry = false, has_max = false, has_keep = false, has_tkeep = false;
	int64_t max = 0, keep = 0, tkeep = 0;

	pcb_err_clear(&err);
	if (refuse_if_stopping(r))
		return;
	if (pcb_http_require_admin(r, "pruning the cache", &err) != 0 ||
	    read_body(r, members, &j, &err) != 0 ||
	    get_bool(j, "all", &all, &err) != 0 || get_bool(j, "dry_run", &dry, &err) != 0 ||
	    get_count(j, "max_size", true, &max, &has_max, &err) != 0 ||
	    get_count(j, "keep_seconds", false, &keep, &has_keep, &err) != 0 ||
	    get_count(j, "tag_keep_seconds", false, &tkeep, &has_tkeep, &err) != 0) {
		json_object_put(j);
		pcb_http_reply_err(r, &err);
		return;
	}
	json_object_put(j);
	if ((has_keep && keep > (int64_t)100 * 365 * 86400) ||
	    (has_tkeep && tkeep > (int64_t)100 * 365 * 86400)) {
		pcb_http_reply_error(r, 400, "invalid_request", "%s: at most 100 years",
		    has_keep && keep > (int64_t)100 * 365 * 86400 ? "keep_seconds" :
		    "tag_keep_seconds");
		return;
	}
	if (has_tkeep && tkeep == 0) {
		pcb_http_reply_error(r, 400, "invalid_request", "tag_keep_seconds: at least 1 (leave it "
		    "out to use the daemon's cache_tag_keep)");
		return;
	}
	pcb_store_get_policy(r->d->store, &pol);
	c = work_new(r->d, r, OP_PRUNE);
	/* all: every unreferenced, unpinned blob. max_size: the least recently used ones
	 * until the store fits. Neither: every unreferenced blob unused for the keep
	 * duration. Blobs used since the oldest running job started stay in every mode. */
	c->gc.all = all;
	c->gc.until_limit = !all && has_max;
	c->gc.max_bytes = (uint64_t)max;
	c->gc.keep_ms = has_keep ? keep * 1000 : pol.keep_ms;
	c->gc.tag_keep_ms = has_tkeep ? tkeep * 1000 : pol.tag_keep_ms;
	c->gc.dry_run = dry;
	c->gc.protect_since_ms = pcb_jobs_oldest_running_ms(r->d->jobs);
	work_queue(c);
}

static void
verify(struct pcb_request *r)
{
	static const char *const members[] = { "repair", NULL };
	json_object *j = NULL, *job = NULL;
	struct pcb_err err;
	struct pcb_verify_spec spec = { .repair = true };

	pcb_err_clear(&err);
	if (refuse_if_stopping(r))
		return;
	if (pcb_http_require_admin(r, "verifying the cache", &err) != 0 ||
	    read_body(r, members, &j, &err) != 0 || get_bool(j, "repair", &spec.repair, &err) != 0 ||
	    pcb_jobs_submit(r->d->jobs, PCB_JOB_VERIFY, &spec, &r->who, &job, &err) != 0) {
		json_object_put(j);
		pcb_http_reply_err(r, &err);
		return;
	}
	json_object_put(j);
	pcb_api_reply_job(r, job);
}

const struct pcb_route pcb_api_cache_routes[] = {
	{ "GET", "/v1/cache", get_cache, "getCache", false },
	{ "GET", "/v1/cache/entries", list_entries, "listCacheEntries", false },
	{ "GET", "/v1/cache/tags", list_tags, "listCacheTags", false },
	{ "POST", "/v1/cache/prune", prune, "pruneCache", true },
	{ "POST", "/v1/cache/verify", verify, "verifyCache", true },
	{ NULL, NULL, NULL, NULL, false },
};
