/* test-lazybase.c — base images pulled without their layers, against real CNCF distribution
 * registries on loopback (tests/lib/regfix.h): pcb_registry_pull_meta brings in manifest and
 * config only and records where the layers live; pcb_registry_fetch_blobs brings them in
 * later, verified (a proxy that corrupts blob bodies leaves the store intact); a push of an
 * image on such a base mounts the layers on the base's registry (no upload), fetches them
 * from the base's registry when pushing to another (pcb_transfer_push), and without a way to
 * fetch fails naming the blob; pcb_transfer_fetch_blobs tries the next known location. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "build.h"
#include "image/store.h"
#include "regfix.h"
#include "registry/registry.h"
#include "registry/transfer.h"
#include "testutil.h"

#define MT_LAYER "application/vnd.oci.image.layer.v1.tar+gzip"

struct img {
	char manifest[PCB_DIGEST_BUFSZ];
	char config[PCB_DIGEST_BUFSZ];
	char layers[3][PCB_DIGEST_BUFSZ];
	uint64_t sizes[3];
	size_t n;
};

/* Blobs finished per kind, each counted once (the registry may report an end twice). */
struct counts {
	pthread_mutex_t mu;
	int pull, push, skip, mount;
	struct pcb_strv seen;
};

static char *tmp;

static void
setup(void)
{
	tmp = pcb_test_tmpdir();
}

static void
teardown(void)
{
	pcb_test_rmtree(tmp);
	free(tmp);
}

static struct pcb_store *
new_store(const char *name)
{
	struct pcb_store *s = NULL;
	struct pcb_err e;
	char *root = pcb_path_join(tmp, name);

	ck_assert_msg(pcb_store_create(root, &s, &e) == 0, "%s", e.msg);
	free(root);
	return s;
}

static void
put_random(struct pcb_store *s, size_t n, char digest[PCB_DIGEST_BUFSZ])
{
	struct pcb_blob_writer *w = NULL;
	struct pcb_err e;
	char buf[65536];

	ck_assert_int_eq(pcb_store_writer_create(s, &w, &e), 0);
	while (n > 0) {
		size_t k = n < sizeof buf ? n : sizeof buf;
		ck_assert_int_eq(getrandom(buf, k, 0), (ssize_t)k);
		ck_assert_int_eq(pcb_blob_writer_write(w, buf, k, &e), 0);
		n -= k;
	}
	ck_assert_msg(pcb_blob_writer_commit(w, MT_LAYER, NULL, digest, NULL, &e) == 0, "%s", e.msg);
}

/* Config and manifest for im's layers (the diff_ids stand in as the layer digests: the
 * registry does not look inside). */
static void
finish_image(struct pcb_store *s, struct img *im)
{
	struct pcb_buf cfg, man;
	struct pcb_err e;

	pcb_buf_init(&cfg, 1 << 16);
	pcb_buf_init(&man, 1 << 16);
	pcb_buf_appendf(&cfg, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
	    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");
	for (size_t i = 0; i < im->n; i++)
		pcb_buf_appendf(&cfg, "%s\"%s\"", i ? "," : "", im->layers[i]);
	pcb_buf_appendf(&cfg, "]}}");
	ck_assert_int_eq(pcb_store_put(s, cfg.data, cfg.len, PCB_MT_OCI_CONFIG, im->config, &e), 0);
	pcb_buf_appendf(&man, "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
	    "\"%s\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[", PCB_MT_OCI_MANIFEST,
	    PCB_MT_OCI_CONFIG, im->config, cfg.len);
	for (size_t i = 0; i < im->n; i++)
		pcb_buf_appendf(&man, "%s{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%llu}",
		    i ? "," : "", MT_LAYER, im->layers[i], (unsigned long long)im->sizes[i]);
	pcb_buf_appendf(&man, "]}");
	ck_assert_int_eq(pcb_store_put(s, man.data, man.len, PCB_MT_OCI_MANIFEST, im->manifest,
	    &e), 0);
	pcb_buf_free(&cfg);
	pcb_buf_free(&man);
}

/* A two-layer base image in s. */
static void
make_base(struct pcb_store *s, struct img *im)
{
	memset(im, 0, sizeof *im);
	im->n = 2;
	im->sizes[0] = 200000;
	im->sizes[1] = 3000;
	put_random(s, im->sizes[0], im->layers[0]);
	put_random(s, im->sizes[1], im->layers[1]);
	finish_image(s, im);
}

/* An image on base: the base's layer descriptors as they are, plus a layer of its own,
 * made in s (which need not hold the base's layers). */
static void
make_derived(struct pcb_store *s, const struct img *base, struct img *im)
{
	memset(im, 0, sizeof *im);
	im->n = 3;
	for (size_t i = 0; i < 2; i++) {
		memcpy(im->layers[i], base->layers[i], PCB_DIGEST_BUFSZ);
		im->sizes[i] = base->sizes[i];
	}
	im->sizes[2] = 5000;
	put_random(s, im->sizes[2], im->layers[2]);
	finish_image(s, im);
}

static bool
has_blob(struct pcb_store *s, const char *digest)
{
	return pcb_store_stat(s, digest, NULL, NULL, NULL) == 0;
}

static bool
has_location(struct pcb_store *s, const char *digest, const char *host, const char *repo)
{
	bool has = false;

	ck_assert_int_eq(pcb_store_location_has(s, digest, host, repo, &has, NULL), 0);
	return has;
}

static void
same_blob(struct pcb_store *a, struct pcb_store *b, const char *digest)
{
	char *pa = pcb_store_blob_path(a, digest), *pb = pcb_store_blob_path(b, digest);
	size_t la = 0, lb = 0;
	char *da = pcb_test_read(pa, &la), *db = pcb_test_read(pb, &lb);

	ck_assert_msg(da != NULL && db != NULL, "blob %s missing", digest);
	ck_assert_uint_eq(la, lb);
	ck_assert(memcmp(da, db, la) == 0);
	free(da);
	free(db);
	free(pa);
	free(pb);
}

static void
on_progress(void *ud, enum pcb_xfer_kind kind, const char *digest, uint64_t done,
    uint64_t total)
{
	struct counts *c = ud;

	char key[PCB_DIGEST_BUFSZ + 8];

	ck_assert(pcb_digest_valid(digest));
	if (done < total)
		return;
	snprintf(key, sizeof key, "%d:%s", (int)kind, digest);
	pthread_mutex_lock(&c->mu);
	if (pcb_strv_contains(&c->seen, key)) {
		pthread_mutex_unlock(&c->mu);
		return;
	}
	pcb_strv_push(&c->seen, key);
	switch (kind) {
	case PCB_XFER_PULL: c->pull++; break;
	case PCB_XFER_PUSH: c->push++; break;
	case PCB_XFER_SKIP: c->skip++; break;
	case PCB_XFER_MOUNT: c->mount++; break;
	}
	pthread_mutex_unlock(&c->mu);
}

static void
counts_init(struct counts *c)
{
	memset(c, 0, sizeof *c);
	pthread_mutex_init(&c->mu, NULL);
	pcb_strv_init(&c->seen);
}

static void
counts_free(struct counts *c)
{
	pcb_strv_free(&c->seen);
	pthread_mutex_destroy(&c->mu);
}

/* Zero again for the next client. */
static void
counts_reset(struct counts *c)
{
	counts_free(c);
	counts_init(c);
}

static struct pcb_registry *
client(const char *host, struct counts *c)
{
	struct pcb_registry_opts o;
	struct pcb_registry *r = NULL;
	struct pcb_err e;

	counts_reset(c);
	memset(&o, 0, sizeof o);
	o.progress = on_progress;
	o.progress_ud = c;
	o.max_retry_ms = 20000;
	ck_assert_msg(pcb_registry_create(host, &o, &r, &e) == 0, "%s", e.msg);
	return r;
}

static int
push(struct pcb_registry *r, struct pcb_store *s, const char *manifest, const char *host,
    const char *repo_tag, struct pcb_err *e)
{
	struct pcb_image_ref ref;
	char *t = pcb_xasprintf("%s/%s", host, repo_tag), dg[PCB_DIGEST_BUFSZ];
	int rc;

	ck_assert_msg(pcb_image_ref_parse(t, &ref, e) == 0, "%s", e->msg);
	rc = pcb_registry_push(r, s, manifest, &ref, dg, e);
	if (rc == 0)
		ck_assert_str_eq(dg, manifest);
	pcb_image_ref_free(&ref);
	free(t);
	return rc;
}

static int
pull(struct pcb_registry *r, struct pcb_store *s, const char *host, const char *repo_tag,
    bool meta, json_object **res, struct pcb_err *e)
{
	struct pcb_image_ref ref;
	struct pcb_platform p;
	char *t = pcb_xasprintf("%s/%s", host, repo_tag);
	int rc;

	ck_assert_msg(pcb_image_ref_parse(t, &ref, e) == 0, "%s", e->msg);
	ck_assert_int_eq(pcb_platform_parse("linux/amd64", &p, NULL), 0);
	rc = meta ? pcb_registry_pull_meta(r, s, &ref, &p, res, e) :
	    pcb_registry_pull(r, s, &ref, &p, res, e);
	pcb_image_ref_free(&ref);
	free(t);
	return rc;
}

/* The base pushed from its own store to host/lib/base:1, then pulled without its layers into
 * a fresh store, *lazy_out. */
static void
publish_and_pull_meta(const char *host, struct pcb_store *origin, struct img *base,
    struct pcb_store **lazy_out)
{
	struct pcb_registry *r;
	struct counts c;
	struct pcb_err e;
	json_object *res = NULL;

	counts_init(&c);
	make_base(origin, base);
	r = client(host, &c);
	ck_assert_msg(push(r, origin, base->manifest, host, "lib/base:1", &e) == 0, "%s", e.msg);
	pcb_registry_destroy(r);
	*lazy_out = new_store("lazy");
	r = client(host, &c);
	ck_assert_msg(pull(r, *lazy_out, host, "lib/base:1", true, &res, &e) == 0, "%s", e.msg);
	json_object_put(res);
	pcb_registry_destroy(r);
	counts_free(&c);
}

/* The proxy's counter once it reaches want (polled, 5 s deadline): its stats file may lag a
 * request behind the client's answer. */
static int
proxy_count(const struct pcb_test_proxy *px, const char *method, const char *kind, int want)
{
	int64_t end = pcb_monotonic_ms() + 5000;
	int n;

	while ((n = pcb_test_proxy_count(px, method, kind)) != want && pcb_monotonic_ms() < end) {
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return n;
}

/* ---- build-engine-like context for the transfer layer ------------------------------- */

struct events {
	int downloads, uploads, mounts;
	struct pcb_buf logs;
};

static void
on_event(void *ud, const struct pcb_event *ev)
{
	struct events *x = ud;

	if (ev->type == PCB_EVENT_BLOB && ev->done >= ev->total && ev->action != NULL) {
		if (strcmp(ev->action, "download") == 0)
			x->downloads++;
		else if (strcmp(ev->action, "upload") == 0)
			x->uploads++;
		else if (strcmp(ev->action, "mount") == 0)
			x->mounts++;
	} else if (ev->type == PCB_EVENT_LOG && ev->message != NULL) {
		(void)pcb_buf_appendf(&x->logs, "%s\n", ev->message);
	}
}

static void
ctx_init(struct pcb_build_ctx *ctx, struct pcb_store *s, struct events *ev)
{
	memset(ev, 0, sizeof *ev);
	pcb_buf_init(&ev->logs, 1 << 20);
	memset(ctx, 0, sizeof *ctx);
	ctx->store = s;
	ctx->emit = on_event;
	ctx->emit_ud = ev;
}

/* ---- tests --------------------------------------------------------------------------- */

START_TEST(pull_meta_then_fetch)
{
	struct pcb_test_registry reg;
	struct pcb_store *s1 = new_store("s1"), *s2 = new_store("s2");
	struct pcb_registry *r;
	struct counts c;
	struct img base;
	struct pcb_err e;
	struct pcb_strv ds;
	json_object *res = NULL, *v;
	char *root;

	counts_init(&c);
	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_PLAIN);
	make_base(s1, &base);
	r = client(reg.host, &c);
	ck_assert_msg(push(r, s1, base.manifest, reg.host, "lib/base:1", &e) == 0, "%s", e.msg);
	pcb_registry_destroy(r);

	/* Manifest and config come in, the layers do not; their locations are recorded. */
	r = client(reg.host, &c);
	ck_assert_msg(pull(r, s2, reg.host, "lib/base:1", true, &res, &e) == 0, "%s", e.msg);
	ck_assert(json_object_object_get_ex(res, "manifest", &v));
	ck_assert_str_eq(json_object_get_string(json_object_object_get(v, "digest")), base.manifest);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	    json_object_object_get(res, "config"), "digest")), base.config);
	ck_assert(json_object_object_get_ex(res, "layers", &v));
	ck_assert_int_eq(json_object_array_length(v), 2);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	    json_object_array_get_idx(v, 0), "digest")), base.layers[0]);
	ck_assert_int_eq(json_object_get_int64(json_object_object_get(
	    json_object_array_get_idx(v, 0), "size")), (int64_t)base.sizes[0]);
	{
		char *want = pcb_xasprintf("%s/lib/base:1@%s", reg.host, base.manifest);
		ck_assert_str_eq(json_object_get_string(json_object_object_get(res, "ref")), want);
		free(want);
	}
	json_object_put(res);
	res = NULL;
	ck_assert(has_blob(s2, base.manifest));
	ck_assert(has_blob(s2, base.config));
	same_blob(s1, s2, base.manifest);
	same_blob(s1, s2, base.config);
	for (int i = 0; i < 2; i++) {
		ck_assert(!has_blob(s2, base.layers[i]));
		ck_assert(has_location(s2, base.layers[i], reg.host, "lib/base"));
	}
	ck_assert_int_eq(c.pull, 1);   /* the config */

	/* Now the layers, by digest: verified, and only those missing are fetched. */
	pcb_registry_destroy(r);
	r = client(reg.host, &c);
	pcb_strv_init(&ds);
	pcb_strv_push(&ds, base.layers[0]);
	pcb_strv_push(&ds, base.layers[1]);
	pcb_strv_push(&ds, base.layers[0]);   /* duplicates are fine */
	pcb_strv_push(&ds, base.config);      /* already here: skipped */
	ck_assert_msg(pcb_registry_fetch_blobs(r, s2, "lib/base", &ds, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(c.pull, 2);
	ck_assert_int_eq(c.skip, 1);
	same_blob(s1, s2, base.layers[0]);
	same_blob(s1, s2, base.layers[1]);
	ck_assert_int_eq(pcb_store_read(s2, base.layers[1], 1 << 20, &root, NULL, &e), 0);
	free(root);
	/* Fetching again is free. */
	ck_assert_msg(pcb_registry_fetch_blobs(r, s2, "lib/base", &ds, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(c.pull, 2);
	pcb_strv_free(&ds);

	/* A digest the repository lacks: PCB_ENOENT naming it. */
	pcb_strv_init(&ds);
	pcb_strv_push(&ds, "sha256:0000000000000000000000000000000000000000000000000000000000000001");
	ck_assert_int_eq(pcb_registry_fetch_blobs(r, s2, "lib/base", &ds, &e), PCB_ENOENT);
	ck_assert_msg(strstr(e.msg, "sha256:000000000000") != NULL, "%s", e.msg);
	ck_assert_msg(strstr(e.msg, "lib/base") != NULL, "%s", e.msg);
	pcb_strv_free(&ds);
	/* Nothing half-written left behind. */
	root = pcb_path_join(pcb_store_root(s2), "tmp");
	ck_assert_int_eq(pcb_test_count_dir(root), 0);
	free(root);

	pcb_registry_destroy(r);
	pcb_store_destroy(s1);
	pcb_store_destroy(s2);
	pcb_test_registry_stop(&reg);
	counts_free(&c);
}
END_TEST

START_TEST(fetch_refuses_corrupt_blob)
{
	struct pcb_test_registry reg;
	struct pcb_test_proxy px;
	struct pcb_store *s1 = new_store("s1"), *s2;
	struct pcb_registry *r;
	struct counts c;
	struct img base;
	struct pcb_err e;
	struct pcb_strv ds;
	char *text = NULL, *root;
	size_t len = 0;

	counts_init(&c);
	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_PLAIN);
	publish_and_pull_meta(reg.host, s1, &base, &s2);
	/* Every blob body through the proxy has a byte flipped. */
	pcb_test_proxy_start(&px, reg.host, "blob-get:corrupt:100");
	r = client(px.host, &c);
	pcb_strv_init(&ds);
	pcb_strv_push(&ds, base.layers[0]);
	ck_assert_int_eq(pcb_registry_fetch_blobs(r, s2, "lib/base", &ds, &e), PCB_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "sha256:") != NULL, "%s", e.msg);
	ck_assert_int_ge(proxy_count(&px, "GET", "blob", 1), 1);
	/* The store is as it was: no layer, no temp file, manifest and config still read back
	 * (pcb_store_read verifies the digest). */
	ck_assert(!has_blob(s2, base.layers[0]));
	root = pcb_path_join(pcb_store_root(s2), "tmp");
	ck_assert_int_eq(pcb_test_count_dir(root), 0);
	free(root);
	ck_assert_int_eq(pcb_store_read(s2, base.manifest, 1 << 20, &text, &len, &e), 0);
	free(text);
	ck_assert_int_eq(pcb_store_read(s2, base.config, 1 << 20, &text, &len, &e), 0);
	free(text);
	pcb_registry_destroy(r);
	pcb_test_proxy_stop(&px);

	/* Straight from the registry it comes in fine. */
	r = client(reg.host, &c);
	ck_assert_msg(pcb_registry_fetch_blobs(r, s2, "lib/base", &ds, &e) == 0, "%s", e.msg);
	same_blob(s1, s2, base.layers[0]);
	pcb_strv_free(&ds);
	pcb_registry_destroy(r);
	pcb_store_destroy(s1);
	pcb_store_destroy(s2);
	pcb_test_registry_stop(&reg);
	counts_free(&c);
}
END_TEST

START_TEST(push_same_registry_mounts_absent_layers)
{
	struct pcb_test_registry reg;
	struct pcb_test_proxy px;
	struct pcb_store *s1 = new_store("s1"), *s2, *s3 = new_store("s3");
	struct pcb_registry *r;
	struct counts c;
	struct img base, app;
	struct pcb_err e;
	json_object *res = NULL;

	counts_init(&c);
	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_PLAIN);
	/* Through the proxy throughout, so the store's location records name its host. */
	pcb_test_proxy_start(&px, reg.host, "");
	publish_and_pull_meta(px.host, s1, &base, &s2);
	make_derived(s2, &base, &app);
	ck_assert(!has_blob(s2, base.layers[0]) && !has_blob(s2, base.layers[1]));

	r = client(px.host, &c);
	ck_assert_msg(push(r, s2, app.manifest, px.host, "team/app:1", &e) == 0, "%s", e.msg);
	/* The base layers are mounted from lib/base; only config and the app layer are sent. */
	ck_assert_int_eq(c.mount, 2);
	ck_assert_int_eq(c.push, 2);
	ck_assert_int_eq(proxy_count(&px, "PUT", "upload", 2 + 3), 2 + 3);   /* 3 for the base */
	ck_assert_int_eq(proxy_count(&px, "PATCH", "upload", 0), 0);
	/* Nothing was fetched into the store to do it. */
	ck_assert(!has_blob(s2, base.layers[0]) && !has_blob(s2, base.layers[1]));
	pcb_registry_destroy(r);

	/* The pushed image is whole: a full pull elsewhere gets every byte. */
	r = client(reg.host, &c);
	ck_assert_msg(pull(r, s3, reg.host, "team/app:1", false, &res, &e) == 0, "%s", e.msg);
	json_object_put(res);
	same_blob(s1, s3, base.layers[0]);
	same_blob(s1, s3, base.layers[1]);
	same_blob(s2, s3, app.layers[2]);
	same_blob(s2, s3, app.manifest);
	pcb_registry_destroy(r);

	pcb_test_proxy_stop(&px);
	pcb_store_destroy(s1);
	pcb_store_destroy(s2);
	pcb_store_destroy(s3);
	pcb_test_registry_stop(&reg);
	counts_free(&c);
}
END_TEST

START_TEST(push_other_registry_fetches_from_base_registry)
{
	struct pcb_test_registry ra, rb;
	struct pcb_test_proxy px;
	struct pcb_store *s1 = new_store("s1"), *s2, *s3 = new_store("s3");
	struct pcb_transfer_access acc;
	struct pcb_build_ctx ctx;
	struct events ev;
	struct pcb_registry *r;
	struct counts c;
	struct img base, app;
	struct pcb_err e;
	json_object *pushed = NULL, *res = NULL, *blobs;
	char *target;

	counts_init(&c);
	pcb_test_registry_start(&ra, PCB_TEST_REGISTRY_PLAIN);
	pcb_test_registry_start(&rb, PCB_TEST_REGISTRY_PLAIN);
	pcb_test_proxy_start(&px, ra.host, "");
	publish_and_pull_meta(px.host, s1, &base, &s2);
	make_derived(s2, &base, &app);
	ck_assert_int_eq(proxy_count(&px, "GET", "blob", 1), 1);   /* the config */

	pcb_transfer_access_init(&acc);
	ctx_init(&ctx, s2, &ev);
	target = pcb_xasprintf("%s/team/app:1", rb.host);
	ck_assert_msg(pcb_transfer_push(&acc, &ctx, app.manifest, target, &pushed, &e) == 0, "%s",
	    e.msg);
	blobs = json_object_object_get(pushed, "blobs");
	ck_assert_int_eq(json_object_get_int64(json_object_object_get(blobs, "uploaded")), 4);
	ck_assert_int_eq(json_object_get_int64(json_object_object_get(blobs, "mounted")), 0);
	/* bytes_sent counts what went up (the four blobs), not what came down. */
	{
		uint64_t cfg_size = 0;
		ck_assert_int_eq(pcb_store_stat(s2, app.config, &cfg_size, NULL, &e), 0);
		ck_assert_int_eq(json_object_get_int64(json_object_object_get(blobs, "bytes_sent")),
		    (int64_t)(base.sizes[0] + base.sizes[1] + app.sizes[2] + cfg_size));
	}
	ck_assert_int_eq(ev.downloads, 2);
	ck_assert_int_eq(ev.uploads, 4);
	ck_assert_int_eq(proxy_count(&px, "GET", "blob", 3), 3);   /* + the two layers */
	ck_assert_msg(strstr(ev.logs.data, "lib/base") != NULL, "%s", ev.logs.data);
	/* They came into the store on the way, verified. */
	same_blob(s1, s2, base.layers[0]);
	same_blob(s1, s2, base.layers[1]);
	json_object_put(pushed);

	/* The second registry has the whole image. */
	r = client(rb.host, &c);
	ck_assert_msg(pull(r, s3, rb.host, "team/app:1", false, &res, &e) == 0, "%s", e.msg);
	json_object_put(res);
	same_blob(s1, s3, base.layers[0]);
	same_blob(s1, s3, base.layers[1]);
	same_blob(s2, s3, app.config);
	pcb_registry_destroy(r);

	free(target);
	pcb_buf_free(&ev.logs);
	pcb_transfer_access_free(&acc);
	pcb_test_proxy_stop(&px);
	pcb_store_destroy(s1);
	pcb_store_destroy(s2);
	pcb_store_destroy(s3);
	pcb_test_registry_stop(&ra);
	pcb_test_registry_stop(&rb);
	counts_free(&c);
}
END_TEST

START_TEST(push_without_source_names_the_blob)
{
	struct pcb_test_registry ra, rb;
	struct pcb_store *s1 = new_store("s1"), *s2;
	struct pcb_transfer_access acc;
	struct pcb_build_ctx ctx;
	struct events ev;
	struct pcb_registry *r;
	struct counts c;
	struct img base, app;
	struct pcb_err e;
	json_object *pushed = NULL;
	char *target;

	counts_init(&c);
	pcb_test_registry_start(&ra, PCB_TEST_REGISTRY_PLAIN);
	pcb_test_registry_start(&rb, PCB_TEST_REGISTRY_PLAIN);
	publish_and_pull_meta(ra.host, s1, &base, &s2);
	make_derived(s2, &base, &app);

	/* The registry client alone has no way to fetch: a clear error naming the blob. */
	r = client(rb.host, &c);
	ck_assert_int_eq(push(r, s2, app.manifest, rb.host, "team/app:1", &e), PCB_ENOENT);
	ck_assert_msg(strstr(e.msg, base.layers[0]) != NULL || strstr(e.msg, base.layers[1]) != NULL,
	    "%s", e.msg);
	ck_assert_msg(strstr(e.msg, "not in the store") != NULL, "%s", e.msg);
	ck_assert_msg(strstr(e.msg, "no repository on this registry") != NULL, "%s", e.msg);
	ck_assert_msg(strstr(e.msg, rb.host) != NULL, "%s", e.msg);
	pcb_registry_destroy(r);

	/* The transfer layer with the base's registry gone: the error names blob and source. */
	pcb_test_registry_stop(&ra);
	pcb_transfer_access_init(&acc);
	ctx_init(&ctx, s2, &ev);
	target = pcb_xasprintf("%s/team/app:1", rb.host);
	ck_assert_int_ne(pcb_transfer_push(&acc, &ctx, app.manifest, target, &pushed, &e), 0);
	ck_assert(pushed == NULL);
	ck_assert_msg(strstr(e.msg, "is not in the store, and fetching it failed") != NULL, "%s",
	    e.msg);
	ck_assert_msg(strstr(e.msg, "/lib/base") != NULL, "%s", e.msg);
	ck_assert(!has_blob(s2, base.layers[0]) && !has_blob(s2, base.layers[1]));

	/* A blob no registry is known to hold. */
	{
		struct pcb_strv ds;
		const char *nowhere =
		    "sha256:00000000000000000000000000000000000000000000000000000000000000aa";
		pcb_strv_init(&ds);
		pcb_strv_push(&ds, nowhere);
		ck_assert_int_eq(pcb_transfer_fetch_blobs(&acc, &ctx, &ds, &e), PCB_ENOENT);
		ck_assert_msg(strstr(e.msg, nowhere) != NULL, "%s", e.msg);
		ck_assert_msg(strstr(e.msg, "no registry is known to hold it") != NULL, "%s", e.msg);
		pcb_strv_free(&ds);
	}

	free(target);
	pcb_buf_free(&ev.logs);
	pcb_transfer_access_free(&acc);
	pcb_store_destroy(s1);
	pcb_store_destroy(s2);
	pcb_test_registry_stop(&rb);
	counts_free(&c);
}
END_TEST

START_TEST(transfer_fetch_tries_next_location)
{
	struct pcb_test_registry reg;
	struct pcb_store *s1 = new_store("s1"), *s2;
	struct pcb_transfer_access acc;
	struct pcb_build_ctx ctx;
	struct events ev;
	struct img base;
	struct pcb_err e;
	struct pcb_strv ds;

	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_PLAIN);
	publish_and_pull_meta(reg.host, s1, &base, &s2);
	/* A stale record: a repository that does not have the layers, on the same registry,
	 * and one on a registry that is not there at all. */
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(pcb_store_location_add(s2, base.layers[i], reg.host, "gone/repo",
		    &e), 0);
	}
	{
		char *dead = pcb_xasprintf("127.0.0.1:%d", pcb_test_free_port());
		ck_assert_int_eq(pcb_store_location_add(s2, base.layers[0], dead, "lib/base", &e), 0);
		free(dead);
	}
	pcb_transfer_access_init(&acc);
	ctx_init(&ctx, s2, &ev);
	pcb_strv_init(&ds);
	pcb_strv_push(&ds, base.layers[0]);
	pcb_strv_push(&ds, base.layers[1]);
	pcb_strv_push(&ds, base.config);
	ck_assert_msg(pcb_transfer_fetch_blobs(&acc, &ctx, &ds, &e) == 0, "%s", e.msg);
	same_blob(s1, s2, base.layers[0]);
	same_blob(s1, s2, base.layers[1]);
	ck_assert_int_eq(ev.downloads, 2);
	ck_assert_msg(strstr(ev.logs.data, "fetched 2 blobs") != NULL, "%s", ev.logs.data);
	/* All here: a second call does nothing. */
	ev.downloads = 0;
	ck_assert_msg(pcb_transfer_fetch_blobs(&acc, &ctx, &ds, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(ev.downloads, 0);
	pcb_strv_free(&ds);
	pcb_buf_free(&ev.logs);
	pcb_transfer_access_free(&acc);
	pcb_store_destroy(s1);
	pcb_store_destroy(s2);
	pcb_test_registry_stop(&reg);
}
END_TEST

static Suite *
lazybase_suite(void)
{
	Suite *s = suite_create("lazybase");
	TCase *tc = tcase_create("lazy");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, pull_meta_then_fetch);
	tcase_add_test(tc, fetch_refuses_corrupt_blob);
	tcase_add_test(tc, push_same_registry_mounts_absent_layers);
	tcase_add_test(tc, push_other_registry_fetches_from_base_registry);
	tcase_add_test(tc, push_without_source_names_the_blob);
	tcase_add_test(tc, transfer_fetch_tries_next_location);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pcb_test_run_suite(lazybase_suite());
}
