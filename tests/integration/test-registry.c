/* test-registry.c — the registry client against a real CNCF distribution registry on loopback
 * (tests/lib/regfix.h): push, skopeo's view of what was pushed, pull back into a fresh store,
 * re-push without uploads, cross-repository mounts, chunked uploads, and faults injected by
 * the proxy (corrupt manifest, 500, 429 + Retry-After, dropped blob download); then basic auth
 * over TLS and bearer tokens. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "regfix.h"
#include "registry/registry.h"
#include "testutil.h"

#define MT_LAYER "application/vnd.oci.image.layer.v1.tar+gzip"

struct img {
	char manifest[PCB_DIGEST_BUFSZ];
	char config[PCB_DIGEST_BUFSZ];
	char layers[2][PCB_DIGEST_BUFSZ];
	uint64_t sizes[2];
};

struct counts {
	pthread_mutex_t mu;
	int pull, push, skip, mount;
	uint64_t push_bytes_max;
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

/* A random blob of n bytes, streamed into the store. */
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

/* An OCI image of two random layers (sizes a, b), its config and manifest. */
static void
make_image(struct pcb_store *s, size_t a, size_t b, struct img *im)
{
	struct pcb_err e;
	char *cfg, *man;

	put_random(s, a, im->layers[0]);
	put_random(s, b, im->layers[1]);
	im->sizes[0] = a;
	im->sizes[1] = b;
	cfg = pcb_xasprintf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
	    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\",\"%s\"]}}",
	    im->layers[0], im->layers[1]);
	ck_assert_int_eq(pcb_store_put(s, cfg, strlen(cfg), PCB_MT_OCI_CONFIG, im->config, &e), 0);
	man = pcb_xasprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\","
	    "\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu},"
	    "\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu},"
	    "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}]}",
	    PCB_MT_OCI_MANIFEST, PCB_MT_OCI_CONFIG, im->config, strlen(cfg), MT_LAYER,
	    im->layers[0], a, MT_LAYER, im->layers[1], b);
	ck_assert_int_eq(pcb_store_put(s, man, strlen(man), PCB_MT_OCI_MANIFEST, im->manifest, &e),
	    0);
	free(cfg);
	free(man);
}

static void
on_progress(void *ud, enum pcb_xfer_kind kind, const char *digest, uint64_t done,
    uint64_t total)
{
	struct counts *c = ud;

	ck_assert(pcb_digest_valid(digest));
	ck_assert(done <= total);
	pthread_mutex_lock(&c->mu);
	switch (kind) {
	case PCB_XFER_PULL: c->pull++; break;
	case PCB_XFER_PUSH:
		c->push++;
		if (done > c->push_bytes_max)
			c->push_bytes_max = done;
		break;
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
}

static void
opts_init(struct pcb_registry_opts *o, struct counts *c)
{
	memset(o, 0, sizeof *o);
	o->progress = on_progress;
	o->progress_ud = c;
	o->max_retry_ms = 20000;
}

static struct pcb_registry *
client(const char *host, const struct pcb_registry_opts *o)
{
	struct pcb_registry *r = NULL;
	struct pcb_err e;

	ck_assert_msg(pcb_registry_create(host, o, &r, &e) == 0, "%s", e.msg);
	return r;
}

static void
ref_of(struct pcb_image_ref *ref, const char *host, const char *repo_tag)
{
	struct pcb_err e;
	char *s = pcb_xasprintf("%s/%s", host, repo_tag);

	ck_assert_msg(pcb_image_ref_parse(s, ref, &e) == 0, "%s", e.msg);
	free(s);
}

static int
push(struct pcb_registry *r, struct pcb_store *s, const char *manifest, const char *host,
    const char *repo_tag, char digest[PCB_DIGEST_BUFSZ], struct pcb_err *e)
{
	struct pcb_image_ref ref;
	int rc;

	ref_of(&ref, host, repo_tag);
	rc = pcb_registry_push(r, s, manifest, &ref, digest, e);
	pcb_image_ref_free(&ref);
	return rc;
}

static int
pull(struct pcb_registry *r, struct pcb_store *s, const char *host, const char *repo_tag,
    json_object **res, struct pcb_err *e)
{
	struct pcb_image_ref ref;
	struct pcb_platform p;
	int rc;

	ref_of(&ref, host, repo_tag);
	ck_assert_int_eq(pcb_platform_parse("linux/amd64", &p, NULL), 0);
	rc = pcb_registry_pull(r, s, &ref, &p, res, e);
	pcb_image_ref_free(&ref);
	return rc;
}

/* Both stores hold the same bytes for digest. */
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
same_image(struct pcb_store *a, struct pcb_store *b, const struct img *im)
{
	same_blob(a, b, im->manifest);
	same_blob(a, b, im->config);
	same_blob(a, b, im->layers[0]);
	same_blob(a, b, im->layers[1]);
}

static bool
has_blob(struct pcb_store *s, const char *digest)
{
	return pcb_store_stat(s, digest, NULL, NULL, NULL) == 0;
}

/* skopeo's digest of an image in the registry (plain HTTP or the test CA). */
static char *
skopeo_digest(const struct pcb_test_registry *reg, const char *repo_tag)
{
	char *out = NULL, *cmd, *creds = NULL, *d;
	json_object *j, *v;

	if (reg->username != NULL)
		creds = pcb_xasprintf("--creds '%s:%s'", reg->username, reg->password);
	if (reg->ca_file != NULL) {
		/* A directory with the CA alone: skopeo takes any X.key there for a client key. */
		char *cd = pcb_path_join(tmp, "skopeo-certs"), *ca = pcb_test_read(reg->ca_file, NULL);
		pcb_test_write(cd, "ca.crt", ca, 0644);
		free(ca);
		cmd = pcb_xasprintf("skopeo inspect --cert-dir '%s' %s docker://%s/%s", cd,
		    creds != NULL ? creds : "", reg->host, repo_tag);
		free(cd);
	} else {
		cmd = pcb_xasprintf("skopeo inspect --tls-verify=false docker://%s/%s", reg->host,
		    repo_tag);
	}
	ck_assert_msg(pcb_test_run(cmd, true, &out) == 0, "%s: %s", cmd, out);
	j = json_tokener_parse(out);
	ck_assert_msg(j != NULL && json_object_object_get_ex(j, "Digest", &v), "%s", out);
	d = pcb_xstrdup(json_object_get_string(v));
	json_object_put(j);
	free(out);
	free(cmd);
	free(creds);
	return d;
}

START_TEST(push_inspect_pull_repush_mount)
{
	struct pcb_test_registry reg;
	struct pcb_store *s1 = new_store("s1"), *s2 = new_store("s2"), *s3 = new_store("s3");
	struct pcb_registry_opts o;
	struct pcb_registry *r;
	struct counts c;
	struct img im;
	struct pcb_err e;
	char dg[PCB_DIGEST_BUFSZ], *sd;
	json_object *res = NULL, *v;

	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_PLAIN);
	make_image(s1, 300000, 5000, &im);
	counts_init(&c);
	opts_init(&o, &c);
	r = client(reg.host, &o);

	/* First push: every blob uploaded. */
	ck_assert_msg(push(r, s1, im.manifest, reg.host, "team/app:v1", dg, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(dg, im.manifest);
	ck_assert_int_eq(c.skip, 0);
	ck_assert_int_ge(c.push, 3);
	ck_assert_uint_eq(c.push_bytes_max, 300000);
	if (pcb_test_have("skopeo")) {
		sd = skopeo_digest(&reg, "team/app:v1");
		ck_assert_str_eq(sd, im.manifest);
		free(sd);
	}

	/* Pull into a fresh store: the same bytes, and the result names them. */
	ck_assert_msg(pull(r, s2, reg.host, "team/app:v1", &res, &e) == 0, "%s", e.msg);
	same_image(s1, s2, &im);
	ck_assert(json_object_object_get_ex(res, "manifest", &v));
	ck_assert_str_eq(json_object_get_string(json_object_object_get(v, "digest")), im.manifest);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	    json_object_object_get(res, "config"), "digest")), im.config);
	ck_assert_int_eq(json_object_array_length(json_object_object_get(res, "layers")), 2);
	{
		char *want = pcb_xasprintf("%s/team/app:v1@%s", reg.host, im.manifest);
		ck_assert_str_eq(json_object_get_string(json_object_object_get(res, "ref")), want);
		free(want);
	}
	json_object_put(res);
	res = NULL;
	/* Pulling again fetches no blob. */
	counts_init(&c);
	ck_assert_msg(pull(r, s2, reg.host, "team/app:v1", &res, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(c.pull, 0);
	ck_assert_int_eq(c.skip, 3);
	json_object_put(res);
	res = NULL;

	/* Re-push of the unchanged image: nothing uploaded (the store's records say so). */
	counts_init(&c);
	ck_assert_msg(push(r, s1, im.manifest, reg.host, "team/app:v1", dg, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(c.push, 0);
	ck_assert_int_eq(c.skip, 3);

	/* A store without records (s3 gets the image by pull from s2's copy? no: a fresh copy)
	 * still uploads nothing: HEAD says the registry has every blob. */
	{
		struct pcb_registry *r3 = client(reg.host, &o);
		counts_init(&c);
		ck_assert_msg(pull(r3, s3, reg.host, "team/app:v1", &res, &e) == 0, "%s", e.msg);
		json_object_put(res);
		res = NULL;
		pcb_registry_destroy(r3);
	}

	/* Another repository on the same registry: blobs are mounted, not sent. */
	counts_init(&c);
	ck_assert_msg(push(r, s1, im.manifest, reg.host, "team/other:v2", dg, &e) == 0, "%s",
	    e.msg);
	ck_assert_int_eq(c.mount, 3);
	ck_assert_int_eq(c.push, 0);
	if (pcb_test_have("skopeo")) {
		sd = skopeo_digest(&reg, "team/other:v2");
		ck_assert_str_eq(sd, im.manifest);
		free(sd);
	}
	/* By digest, no tag. */
	{
		struct pcb_image_ref ref;
		ref_of(&ref, reg.host, "team/bydigest");
		free(ref.tag);
		ref.tag = NULL;
		ck_assert_msg(pcb_registry_push(r, s1, im.manifest, &ref, dg, &e) == 0, "%s", e.msg);
		pcb_image_ref_free(&ref);
		ck_assert_str_eq(dg, im.manifest);
	}

	pcb_registry_destroy(r);
	pcb_store_destroy(s1);
	pcb_store_destroy(s2);
	pcb_store_destroy(s3);
	pcb_test_registry_stop(&reg);
}
END_TEST

/* The proxy's counter for method+kind once it reaches want (polled, 5 s deadline): its stats
 * file has been seen to lag a request behind right after the client's answer. */
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

START_TEST(stale_location_records_recovered)
{
	struct pcb_test_registry reg;
	struct pcb_store *s1 = new_store("s1"), *s2 = new_store("s2");
	struct pcb_registry_opts o;
	struct pcb_registry *r;
	struct counts c;
	struct img im;
	struct pcb_err e;
	char dg[PCB_DIGEST_BUFSZ], *out = NULL;
	json_object *res = NULL;

	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_PLAIN);
	make_image(s1, 20000, 100, &im);
	counts_init(&c);
	opts_init(&o, &c);
	r = client(reg.host, &o);
	ck_assert_msg(push(r, s1, im.manifest, reg.host, "a/b:1", dg, &e) == 0, "%s", e.msg);
	/* The registry loses a layer behind our back; s1's records still say a/b has it. */
	ck_assert_int_eq(pcb_test_runf(&out, "curl -sf -o /dev/null -w '%%{http_code}' -X DELETE "
	    "http://%s/v2/a/b/blobs/%s", reg.host, im.layers[0]), 0);
	ck_assert_str_eq(out, "202");
	free(out);
	counts_init(&c);
	ck_assert_msg(push(r, s1, im.manifest, reg.host, "a/b:2", dg, &e) == 0, "%s", e.msg);
	ck_assert_int_ge(c.push, 1);
	ck_assert_msg(pull(r, s2, reg.host, "a/b:2", &res, &e) == 0, "%s", e.msg);
	same_image(s1, s2, &im);
	json_object_put(res);
	pcb_registry_destroy(r);
	pcb_store_destroy(s1);
	pcb_store_destroy(s2);
	pcb_test_registry_stop(&reg);
}
END_TEST

START_TEST(index_platform_choice)
{
	struct pcb_test_registry reg;
	struct pcb_store *s1 = new_store("s1"), *s2 = new_store("s2");
	struct pcb_registry_opts o;
	struct pcb_registry *r;
	struct counts c;
	struct img amd, arm;
	struct pcb_err e;
	struct pcb_image_ref ref;
	struct pcb_platform p;
	char dg[PCB_DIGEST_BUFSZ], *index, *ipath, *out = NULL;
	uint64_t amd_size, arm_size;
	json_object *res = NULL;

	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_PLAIN);
	make_image(s1, 3000, 100, &amd);
	make_image(s1, 4000, 200, &arm);
	counts_init(&c);
	opts_init(&o, &c);
	r = client(reg.host, &o);
	ck_assert_msg(push(r, s1, amd.manifest, reg.host, "multi/app:amd", dg, &e) == 0, "%s", e.msg);
	ck_assert_msg(push(r, s1, arm.manifest, reg.host, "multi/app:arm", dg, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(pcb_store_stat(s1, amd.manifest, &amd_size, NULL, &e), 0);
	ck_assert_int_eq(pcb_store_stat(s1, arm.manifest, &arm_size, NULL, &e), 0);
	/* An index put there by another tool; arm64 written with its default variant. */
	index = pcb_xasprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":["
	    "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%llu,"
	    "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
	    "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%llu,"
	    "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}}]}",
	    PCB_MT_OCI_INDEX, PCB_MT_OCI_MANIFEST, amd.manifest, (unsigned long long)amd_size,
	    PCB_MT_OCI_MANIFEST, arm.manifest, (unsigned long long)arm_size);
	pcb_test_write(tmp, "index.json", index, 0644);
	ipath = pcb_path_join(tmp, "index.json");
	ck_assert_int_eq(pcb_test_runf(&out, "curl -sf -o /dev/null -w '%%{http_code}' -X PUT "
	    "-H 'Content-Type: %s' --data-binary @%s http://%s/v2/multi/app/manifests/multi",
	    PCB_MT_OCI_INDEX, ipath, reg.host), 0);
	ck_assert_str_eq(out, "201");
	free(out);

	ref_of(&ref, reg.host, "multi/app:multi");
	ck_assert_int_eq(pcb_platform_parse("linux/arm64", &p, NULL), 0);
	ck_assert_msg(pcb_registry_pull(r, s2, &ref, &p, &res, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	    json_object_object_get(res, "manifest"), "digest")), arm.manifest);
	ck_assert_ptr_nonnull(json_object_object_get(res, "index"));
	same_image(s1, s2, &arm);
	json_object_put(res);
	res = NULL;
	ck_assert_int_eq(pcb_platform_parse("linux/amd64", &p, NULL), 0);
	ck_assert_msg(pcb_registry_pull(r, s2, &ref, &p, &res, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
	    json_object_object_get(res, "manifest"), "digest")), amd.manifest);
	json_object_put(res);
	res = NULL;
	ck_assert_int_eq(pcb_platform_parse("linux/s390x", &p, NULL), 0);
	ck_assert_int_eq(pcb_registry_pull(r, s2, &ref, &p, &res, &e), PCB_ENOENT);
	ck_assert_msg(strstr(e.msg, "linux/s390x") != NULL, "%s", e.msg);
	pcb_image_ref_free(&ref);

	/* Our own push of an index: both images first (mounted from multi/app), then it. */
	{
		char idg[PCB_DIGEST_BUFSZ];
		ck_assert_int_eq(pcb_store_put(s1, index, strlen(index), PCB_MT_OCI_INDEX, idg, &e), 0);
		counts_init(&c);
		ck_assert_msg(push(r, s1, idg, reg.host, "multi/copy:1", dg, &e) == 0, "%s", e.msg);
		ck_assert_str_eq(dg, idg);
		ck_assert_int_eq(c.mount, 6);
		ck_assert_int_eq(c.push, 0);
		ref_of(&ref, reg.host, "multi/copy:1");
		ck_assert_int_eq(pcb_platform_parse("linux/arm64/v8", &p, NULL), 0);
		ck_assert_msg(pcb_registry_pull(r, s2, &ref, &p, &res, &e) == 0, "%s", e.msg);
		ck_assert_str_eq(json_object_get_string(json_object_object_get(
		    json_object_object_get(res, "manifest"), "digest")), arm.manifest);
		ck_assert_str_eq(json_object_get_string(json_object_object_get(
		    json_object_object_get(res, "index"), "digest")), idg);
		json_object_put(res);
		res = NULL;
		pcb_image_ref_free(&ref);
	}
	free(index);
	free(ipath);
	pcb_registry_destroy(r);
	pcb_store_destroy(s1);
	pcb_store_destroy(s2);
	pcb_test_registry_stop(&reg);
}
END_TEST

/* Copies an image's blobs into another store by hand, so that store has no location
 * records for it. */
static void
copy_blob(struct pcb_store *from, struct pcb_store *to, const char *digest)
{
	char *data = NULL, *mt = NULL;
	size_t len = 0;
	struct pcb_err e;

	ck_assert_int_eq(pcb_store_read(from, digest, 64 << 20, &data, &len, &e), 0);
	ck_assert_int_eq(pcb_store_stat(from, digest, NULL, &mt, &e), 0);
	ck_assert_int_eq(pcb_store_put(to, data, len, mt, NULL, &e), 0);
	free(data);
	free(mt);
}

static void
copy_image(struct pcb_store *from, struct pcb_store *to, const struct img *im)
{
	copy_blob(from, to, im->manifest);
	copy_blob(from, to, im->config);
	copy_blob(from, to, im->layers[0]);
	copy_blob(from, to, im->layers[1]);
}

START_TEST(repush_through_proxy_sends_no_blob)
{
	struct pcb_test_registry reg;
	struct pcb_test_proxy px;
	struct pcb_store *s1 = new_store("s1"), *s2 = new_store("s2");
	struct pcb_registry_opts o;
	struct pcb_registry *r;
	struct counts c;
	struct img im;
	struct pcb_err e;
	char dg[PCB_DIGEST_BUFSZ];

	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_PLAIN);
	pcb_test_proxy_start(&px, reg.host, "");
	make_image(s1, 100000, 100, &im);
	copy_image(s1, s2, &im);
	counts_init(&c);
	opts_init(&o, &c);
	r = client(px.host, &o);
	ck_assert_msg(push(r, s1, im.manifest, px.host, "a/b:1", dg, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(proxy_count(&px, "PUT", "upload", 3), 3);
	ck_assert_int_eq(proxy_count(&px, "PUT", "manifest", 1), 1);
	pcb_registry_destroy(r);
	pcb_test_proxy_stop(&px);

	/* The same image from a store with no location records: HEADs, no upload. */
	pcb_test_proxy_start(&px, reg.host, "");
	counts_init(&c);
	r = client(px.host, &o);
	ck_assert_msg(push(r, s2, im.manifest, px.host, "a/b:1", dg, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(proxy_count(&px, "HEAD", "blob", 3), 3);
	ck_assert_int_eq(proxy_count(&px, "PUT", "upload", 0), 0);
	ck_assert_int_eq(proxy_count(&px, "PATCH", "upload", 0), 0);
	ck_assert_int_eq(proxy_count(&px, "POST", "upload", 0), 0);
	ck_assert_int_eq(c.skip, 3);
	ck_assert_int_eq(c.push, 0);
	/* And now s2 knows: a third push does not even HEAD. */
	ck_assert_msg(push(r, s2, im.manifest, px.host, "a/b:1", dg, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(proxy_count(&px, "HEAD", "blob", 3), 3);
	pcb_registry_destroy(r);
	pcb_test_proxy_stop(&px);
	pcb_store_destroy(s1);
	pcb_store_destroy(s2);
	pcb_test_registry_stop(&reg);
}
END_TEST

START_TEST(chunked_upload)
{
	struct pcb_test_registry reg;
	struct pcb_test_proxy px;
	struct pcb_store *s1 = new_store("s1"), *s2 = new_store("s2");
	struct pcb_registry_opts o;
	struct pcb_registry *r;
	struct counts c;
	struct img im;
	struct pcb_err e;
	char dg[PCB_DIGEST_BUFSZ];
	json_object *res = NULL;

	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_PLAIN);
	pcb_test_proxy_start(&px, reg.host, "");
	make_image(s1, 1000000, 65536, &im);
	counts_init(&c);
	opts_init(&o, &c);
	o.chunk_size = 64 << 10;
	r = client(px.host, &o);
	ck_assert_msg(push(r, s1, im.manifest, px.host, "big/chunks:1", dg, &e) == 0, "%s", e.msg);
	/* 16 chunks for the 1 MB layer, 1 for the 64 KiB one, 1 for the config. */
	ck_assert_int_eq(proxy_count(&px, "PATCH", "upload", 18), 18);
	ck_assert_int_eq(proxy_count(&px, "PUT", "upload", 3), 3);
	ck_assert_msg(pull(r, s2, px.host, "big/chunks:1", &res, &e) == 0, "%s", e.msg);
	same_image(s1, s2, &im);
	json_object_put(res);
	pcb_registry_destroy(r);
	pcb_test_proxy_stop(&px);
	pcb_store_destroy(s1);
	pcb_store_destroy(s2);
	pcb_test_registry_stop(&reg);
}
END_TEST

/* Pushes an image directly, then runs one proxied operation with rules. */
struct faulty {
	struct pcb_test_registry reg;
	struct pcb_test_proxy px;
	struct pcb_store *s1, *s2;
	struct pcb_registry *r;
	struct counts c;
	struct pcb_registry_opts o;
	struct img im;
};

static void
faulty_start(struct faulty *f, const char *rules, size_t layer, bool prepush)
{
	struct pcb_registry *direct;
	struct pcb_err e;
	char dg[PCB_DIGEST_BUFSZ];

	f->s1 = new_store("s1");
	f->s2 = new_store("s2");
	pcb_test_registry_start(&f->reg, PCB_TEST_REGISTRY_PLAIN);
	make_image(f->s1, layer, 1000, &f->im);
	counts_init(&f->c);
	opts_init(&f->o, &f->c);
	if (prepush) {
		direct = client(f->reg.host, &f->o);
		ck_assert_msg(push(direct, f->s1, f->im.manifest, f->reg.host, "f/app:1", dg, &e) == 0,
		    "%s", e.msg);
		pcb_registry_destroy(direct);
		counts_init(&f->c);
	}
	pcb_test_proxy_start(&f->px, f->reg.host, rules);
	f->r = client(f->px.host, &f->o);
}

static void
faulty_stop(struct faulty *f)
{
	pcb_registry_destroy(f->r);
	pcb_test_proxy_stop(&f->px);
	pcb_store_destroy(f->s1);
	pcb_store_destroy(f->s2);
	pcb_test_registry_stop(&f->reg);
}

START_TEST(corrupt_manifest_refused)
{
	struct faulty f;
	struct pcb_err e;
	json_object *res = NULL;

	faulty_start(&f, "manifest-get:corrupt", 2000, true);
	ck_assert_int_eq(pull(f.r, f.s2, f.px.host, "f/app:1", &res, &e), PCB_ECORRUPT);
	ck_assert_ptr_null(res);
	ck_assert_msg(strstr(e.msg, "does not match its digest") != NULL, "%s", e.msg);
	ck_assert_msg(strstr(e.msg, "f/app") != NULL, "%s", e.msg);
	/* Nothing was stored. */
	ck_assert(!has_blob(f.s2, f.im.manifest));
	ck_assert(!has_blob(f.s2, f.im.config));
	ck_assert(!has_blob(f.s2, f.im.layers[0]));
	ck_assert_int_eq(proxy_count(&f.px, "GET", "blob", 0), 0);
	faulty_stop(&f);
}
END_TEST

START_TEST(server_errors_retried)
{
	struct faulty f;
	struct pcb_err e;
	char dg[PCB_DIGEST_BUFSZ];
	json_object *res = NULL;

	faulty_start(&f, "blob-put:status=500;manifest-get:status=503:2;blob-get:status=500",
	    50000, false);
	ck_assert_msg(push(f.r, f.s1, f.im.manifest, f.px.host, "f/app:1", dg, &e) == 0, "%s",
	    e.msg);
	ck_assert_str_eq(dg, f.im.manifest);
	/* The broken upload started again from a new POST. */
	ck_assert_int_eq(proxy_count(&f.px, "POST", "upload", 4), 4);
	ck_assert_msg(pull(f.r, f.s2, f.px.host, "f/app:1", &res, &e) == 0, "%s", e.msg);
	same_image(f.s1, f.s2, &f.im);
	ck_assert_int_eq(proxy_count(&f.px, "GET", "manifest", 3), 3);
	ck_assert_int_eq(proxy_count(&f.px, "GET", "blob", 4), 4);
	json_object_put(res);
	faulty_stop(&f);
}
END_TEST

START_TEST(persistent_500_names_everything)
{
	struct faulty f;
	struct pcb_err e;
	char dg[PCB_DIGEST_BUFSZ];

	faulty_start(&f, "blob-put:status=500:100", 3000, false);
	f.o.max_attempts = 3;
	pcb_registry_destroy(f.r);
	f.r = client(f.px.host, &f.o);
	ck_assert_int_eq(push(f.r, f.s1, f.im.manifest, f.px.host, "team/app:1", dg, &e), PCB_EIO);
	ck_assert_int_eq(e.http_status, 500);
	ck_assert_msg(strstr(e.msg, "pushing blob sha256:") != NULL, "%s", e.msg);
	ck_assert_msg(strstr(e.msg, f.px.host) != NULL && strstr(e.msg, "team/app") != NULL, "%s",
	    e.msg);
	ck_assert_msg(strstr(e.msg, "HTTP 500") != NULL, "%s", e.msg);
	faulty_stop(&f);
}
END_TEST

START_TEST(too_many_requests_honours_retry_after)
{
	struct faulty f;
	struct pcb_err e;
	char dg[PCB_DIGEST_BUFSZ];
	int64_t t0;

	faulty_start(&f, "manifest-put:status=429,retry-after=1", 3000, false);
	t0 = pcb_monotonic_ms();
	ck_assert_msg(push(f.r, f.s1, f.im.manifest, f.px.host, "f/app:1", dg, &e) == 0, "%s",
	    e.msg);
	ck_assert_int_ge(pcb_monotonic_ms() - t0, 1000);
	ck_assert_int_eq(proxy_count(&f.px, "PUT", "manifest", 2), 2);
	faulty_stop(&f);
}
END_TEST

START_TEST(dropped_blob_get_resumed)
{
	struct faulty f;
	struct pcb_err e;
	json_object *res = NULL;

	/* Five cuts at 300000 bytes each within five attempts: only a download that resumes
	 * (300000, 600000, 900000, then the last 100000 bytes whole) gets through; one that
	 * starts over fails every time. */
	faulty_start(&f, "blob-get:drop@300000:5", 1000000, true);
	f.o.max_attempts = 5;
	pcb_registry_destroy(f.r);
	f.r = client(f.px.host, &f.o);
	/* The rule fires on any blob GET: make the big layer the only one to fetch. */
	copy_blob(f.s1, f.s2, f.im.config);
	copy_blob(f.s1, f.s2, f.im.layers[1]);
	ck_assert_msg(pull(f.r, f.s2, f.px.host, "f/app:1", &res, &e) == 0, "%s", e.msg);
	same_image(f.s1, f.s2, &f.im);
	ck_assert_int_eq(proxy_count(&f.px, "GET", "blob", 4), 4);
	json_object_put(res);
	faulty_stop(&f);
}
END_TEST

START_TEST(dropped_upload_restarts)
{
	struct faulty f;
	struct pcb_err e;
	char dg[PCB_DIGEST_BUFSZ];
	json_object *res = NULL;

	faulty_start(&f, "blob-put:drop@50000", 300000, false);
	/* The first upload to send data is cut (mid-body for the big layer, before the answer
	 * for a small blob): that blob starts again from a new POST. */
	ck_assert_msg(push(f.r, f.s1, f.im.manifest, f.px.host, "f/app:1", dg, &e) == 0, "%s",
	    e.msg);
	ck_assert_str_eq(dg, f.im.manifest);
	ck_assert_int_eq(proxy_count(&f.px, "POST", "upload", 4), 4);
	ck_assert_msg(pull(f.r, f.s2, f.px.host, "f/app:1", &res, &e) == 0, "%s", e.msg);
	same_image(f.s1, f.s2, &f.im);
	json_object_put(res);
	faulty_stop(&f);
}
END_TEST

START_TEST(cancelled_push)
{
	struct faulty f;
	struct pcb_err e;
	char dg[PCB_DIGEST_BUFSZ];
	atomic_int cancel = 1;

	faulty_start(&f, "", 3000, false);
	f.o.cancel = &cancel;
	pcb_registry_destroy(f.r);
	f.r = client(f.px.host, &f.o);
	ck_assert_int_eq(push(f.r, f.s1, f.im.manifest, f.px.host, "f/app:1", dg, &e),
	    PCB_ECANCELED);
	ck_assert_int_eq(proxy_count(&f.px, "PUT", "any", 0), 0);
	faulty_stop(&f);
}
END_TEST


/* One credential for reg, as the client would hand it in. */
static void
creds_for(struct pcb_credentials *cs, struct pcb_credential *c, const char *host,
    const char *user, const char *pass, const char *identity)
{
	memset(c, 0, sizeof *c);
	c->registry = (char *)host;
	c->username = (char *)user;
	c->password = (char *)pass;
	c->identity_token = (char *)identity;
	cs->v = c;
	cs->n = 1;
}

START_TEST(basic_auth_over_tls)
{
	struct pcb_test_registry reg;
	struct pcb_store *s1 = new_store("s1"), *s2 = new_store("s2");
	struct pcb_registry_opts o;
	struct pcb_registry *r;
	struct pcb_credentials cs;
	struct pcb_credential cr;
	struct counts c;
	struct img im;
	struct pcb_err e;
	char dg[PCB_DIGEST_BUFSZ], *sd, *certs_d, *ca;
	json_object *res = NULL;

	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_BASIC_TLS);
	make_image(s1, 200000, 100, &im);
	counts_init(&c);
	opts_init(&o, &c);
	o.max_attempts = 2;

	/* Without the test CA: a TLS verification error, and no fallback to plain HTTP. */
	creds_for(&cs, &cr, reg.host, reg.username, reg.password, NULL);
	o.creds = &cs;
	o.certs_d = tmp;   /* an empty certs.d */
	r = client(reg.host, &o);
	ck_assert_int_eq(push(r, s1, im.manifest, reg.host, "sec/app:1", dg, &e), PCB_EIO);
	ck_assert_msg(strstr(e.msg, "certificate") != NULL, "%s", e.msg);
	ck_assert_msg(strstr(e.msg, reg.host) != NULL, "%s", e.msg);
	pcb_registry_destroy(r);

	/* certs.d/<host:port>/ca.crt, as docker reads it. */
	certs_d = pcb_path_join(tmp, "certs.d");
	ca = pcb_test_read(reg.ca_file, NULL);
	{
		char *rel = pcb_xasprintf("%s/ca.crt", reg.host);
		pcb_test_write(certs_d, rel, ca, 0644);
		free(rel);
	}
	o.certs_d = certs_d;
	r = client(reg.host, &o);
	ck_assert_msg(push(r, s1, im.manifest, reg.host, "sec/app:1", dg, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(dg, im.manifest);
	pcb_registry_destroy(r);
	if (pcb_test_have("skopeo")) {
		sd = skopeo_digest(&reg, "sec/app:1");
		ck_assert_str_eq(sd, im.manifest);
		free(sd);
	}

	/* --ca-cert, and pull back. */
	o.certs_d = tmp;
	o.ca_file = reg.ca_file;
	r = client(reg.host, &o);
	ck_assert_msg(pull(r, s2, reg.host, "sec/app:1", &res, &e) == 0, "%s", e.msg);
	same_image(s1, s2, &im);
	json_object_put(res);
	res = NULL;
	pcb_registry_destroy(r);

	/* A wrong password: named as such, for this host and user, and never echoed. */
	creds_for(&cs, &cr, reg.host, reg.username, "wrong-secret-xyz", NULL);
	r = client(reg.host, &o);
	ck_assert_int_eq(pull(r, s2, reg.host, "sec/app:2", &res, &e), PCB_EAUTH);
	{
		char *want = pcb_xasprintf("authentication failed for %s (as %s)", reg.host,
		    reg.username);
		ck_assert_msg(strstr(e.msg, want) != NULL, "%s", e.msg);
		free(want);
	}
	ck_assert_int_eq(e.http_status, 401);
	ck_assert(strstr(e.msg, "wrong-secret-xyz") == NULL);
	pcb_registry_destroy(r);

	/* No credentials at all. */
	o.creds = NULL;
	r = client(reg.host, &o);
	ck_assert_int_eq(pull(r, s2, reg.host, "sec/app:1", &res, &e), PCB_EAUTH);
	ck_assert_msg(strstr(e.msg, "username and password") != NULL, "%s", e.msg);
	pcb_registry_destroy(r);

	free(ca);
	free(certs_d);
	pcb_store_destroy(s1);
	pcb_store_destroy(s2);
	pcb_test_registry_stop(&reg);
}
END_TEST

START_TEST(bearer_tokens)
{
	struct pcb_test_registry reg;
	struct pcb_store *s1 = new_store("s1"), *s2 = new_store("s2"), *s3 = new_store("s3");
	struct pcb_registry_opts o;
	struct pcb_registry *r;
	struct pcb_credentials cs;
	struct pcb_credential cr;
	struct counts c;
	struct img im;
	struct pcb_err e;
	char dg[PCB_DIGEST_BUFSZ], *out = NULL;
	json_object *res = NULL, *j, *v;
	int n1, n2;

	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_TOKEN);
	make_image(s1, 200000, 100, &im);
	counts_init(&c);
	opts_init(&o, &c);
	o.max_attempts = 2;
	o.ca_file = reg.ca_file;
	o.certs_d = tmp;
	creds_for(&cs, &cr, reg.host, reg.username, reg.password, NULL);
	o.creds = &cs;

	/* Push with a password: tokens fetched by GET, then reused from the cache. */
	r = client(reg.host, &o);
	ck_assert_msg(push(r, s1, im.manifest, reg.host, "tok/app:1", dg, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(dg, im.manifest);
	n1 = pcb_test_registry_token_count(&reg, "GET", 200);
	ck_assert_int_ge(n1, 1);
	ck_assert_int_eq(pcb_test_registry_token_count(&reg, "any", 401), 0);
	ck_assert_msg(push(r, s1, im.manifest, reg.host, "tok/app:2", dg, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(pcb_test_registry_token_count(&reg, "GET", 200), n1);
	/* A mount from tok/app into tok/other needs a token with both scopes. */
	counts_init(&c);
	ck_assert_msg(push(r, s1, im.manifest, reg.host, "tok/other:1", dg, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(c.mount, 3);
	pcb_registry_destroy(r);

	/* Anonymous pull, when the token server allows it. */
	o.creds = NULL;
	r = client(reg.host, &o);
	ck_assert_int_eq(pull(r, s2, reg.host, "tok/app:1", &res, &e), PCB_EAUTH);
	ck_assert_msg(strstr(e.msg, "authentication failed") != NULL, "%s", e.msg);
	pcb_test_registry_token_set(&reg, 300, true);
	ck_assert_msg(pull(r, s2, reg.host, "tok/app:1", &res, &e) == 0, "%s", e.msg);
	same_image(s1, s2, &im);
	json_object_put(res);
	res = NULL;
	/* … but not a push. */
	ck_assert_int_eq(push(r, s1, im.manifest, reg.host, "tok/anon:1", dg, &e), PCB_EPERM);
	ck_assert_msg(strstr(e.msg, "has no push access to") != NULL, "%s", e.msg);
	pcb_registry_destroy(r);

	/* An identity token (docker's "identitytoken"): the OAuth2 refresh-token POST. */
	ck_assert_int_eq(pcb_test_runf(&out, "curl -sf --cacert '%s' -u '%s:%s' "
	    "'%s?service=%s&scope=repository:tok/app:pull&offline_token=true'", reg.ca_file,
	    reg.username, reg.password, reg.token_realm, reg.service), 0);
	j = json_tokener_parse(out);
	ck_assert_msg(j != NULL && json_object_object_get_ex(j, "refresh_token", &v), "%s", out);
	creds_for(&cs, &cr, reg.host, NULL, NULL, json_object_get_string(v));
	o.creds = &cs;
	n2 = pcb_test_registry_token_count(&reg, "POST", 200);
	r = client(reg.host, &o);
	ck_assert_msg(pull(r, s3, reg.host, "tok/other:1", &res, &e) == 0, "%s", e.msg);
	ck_assert_int_gt(pcb_test_registry_token_count(&reg, "POST", 200), n2);
	json_object_put(res);
	res = NULL;
	pcb_registry_destroy(r);
	json_object_put(j);
	free(out);

	/* Expired tokens: a clear authentication error, not a loop. */
	pcb_test_registry_token_set(&reg, 0, false);
	creds_for(&cs, &cr, reg.host, reg.username, reg.password, NULL);
	o.creds = &cs;
	r = client(reg.host, &o);
	ck_assert_int_eq(pull(r, s2, reg.host, "tok/app:2", &res, &e), PCB_EAUTH);
	/* The token server took the password; the registry refused its token: say that. */
	ck_assert_msg(strstr(e.msg, "refused the token") != NULL && strstr(e.msg, "expired") != NULL,
	    "%s", e.msg);
	ck_assert(strstr(e.msg, reg.password) == NULL);
	pcb_registry_destroy(r);

	pcb_store_destroy(s1);
	pcb_store_destroy(s2);
	pcb_store_destroy(s3);
	pcb_test_registry_stop(&reg);
}
END_TEST

static Suite *
registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("plain");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, push_inspect_pull_repush_mount);
	tcase_add_test(tc, repush_through_proxy_sends_no_blob);
	tcase_add_test(tc, chunked_upload);
	tcase_add_test(tc, stale_location_records_recovered);
	tcase_add_test(tc, index_platform_choice);
	suite_add_tcase(s, tc);
	tc = tcase_create("faults");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, corrupt_manifest_refused);
	tcase_add_test(tc, server_errors_retried);
	tcase_add_test(tc, persistent_500_names_everything);
	tcase_add_test(tc, too_many_requests_honours_retry_after);
	tcase_add_test(tc, dropped_blob_get_resumed);
	tcase_add_test(tc, dropped_upload_restarts);
	tcase_add_test(tc, cancelled_push);
	suite_add_tcase(s, tc);
	tc = tcase_create("auth");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, basic_auth_over_tls);
	tcase_add_test(tc, bearer_tokens);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pcb_test_run_suite(registry_suite());
}
