/* test-cache.c — the cache against a real daemon: GET /v1/cache agrees with the state dir,
 * entries list, prune through the API and `pcb cache prune --all` leave tagged images
 * buildable and exportable, `pcb cache verify` finds and repairs a blob damaged on disk, and
 * the automatic collection after a build brings the store down to what tags reference. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base/util.h"
#include "testutil.h"

static char *
pcb_bin(void)
{
	return pcb_xasprintf("%s/pcb", pcb_test_build_dir());
}

static void
write_app(const char *dir, const char *greeting)
{
	char *cli = pcb_xasprintf("def main():\n    print(\"%s\")\n", greeting);

	pcb_test_write(dir, "pyproject.toml",
	    "[project]\nname = \"cacheapp\"\nversion = \"1.0\"\n\n"
	    "[project.scripts]\ncacheapp = \"cacheapp.cli:main\"\n", 0644);
	pcb_test_write(dir, "cacheapp/__init__.py", "", 0644);
	pcb_test_write(dir, "cacheapp/cli.py", cli, 0644);
	free(cli);
}

static json_object *
parse_json(const char *text)
{
	json_object *j = json_tokener_parse(text);

	ck_assert_msg(j != NULL, "not JSON: %s", text);
	return j;
}

static json_object *
jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o != NULL)
		json_object_object_get_ex(o, key, &v);
	return v;
}

static int64_t
jint(json_object *o, const char *k1, const char *k2)
{
	json_object *v = jget(o, k1);

	if (k2 != NULL)
		v = jget(v, k2);
	ck_assert_msg(v != NULL, "no %s%s%s", k1, k2 ? "." : "", k2 ? k2 : "");
	return json_object_get_int64(v);
}

static json_object *
http_json(const struct pcb_test_daemon *d, const char *method, const char *path,
    const char *body, long want)
{
	char *out = NULL;
	long st = pcb_test_http(d, method, path, body, body ? strlen(body) : 0, &out);
	json_object *j;

	ck_assert_msg(st == want, "%s %s: HTTP %ld (want %ld): %s", method, path, st, want,
	    out ? out : "");
	j = parse_json(out);
	free(out);
	return j;
}

/* Blob files under state/blobs/sha256: count and total size. */
static void
count_blobs(const struct pcb_test_daemon *d, int64_t *n, int64_t *bytes)
{
	char *dir = pcb_path_join(d->state, "blobs/sha256");
	DIR *dd = opendir(dir);
	struct dirent *de;

	ck_assert_ptr_nonnull(dd);
	*n = *bytes = 0;
	while ((de = readdir(dd)) != NULL) {
		struct stat st;
		char *p;

		if (de->d_name[0] == '.')
			continue;
		p = pcb_path_join(dir, de->d_name);
		ck_assert(stat(p, &st) == 0);
		(*n)++;
		*bytes += st.st_size;
		free(p);
	}
	closedir(dd);
	free(dir);
}

/* GET /v1/cache and the state dir agree; the by-kind rows add up. */
static json_object *
check_usage(const struct pcb_test_daemon *d)
{
	json_object *j = http_json(d, "GET", "/v1/cache", NULL, 200);
	static const char *const kinds[] = { "manifests", "configs", "layers", "wheels", "other" };
	int64_t n, bytes, kn = 0, kb = 0;

	count_blobs(d, &n, &bytes);
	ck_assert_int_eq(jint(j, "usage", "blobs"), n);
	ck_assert_int_eq(jint(j, "usage", "bytes"), bytes);
	for (size_t i = 0; i < PCB_ARRAY_LEN(kinds); i++) {
		kn += jint(jget(j, "by_kind"), kinds[i], "blobs");
		kb += jint(jget(j, "by_kind"), kinds[i], "bytes");
	}
	ck_assert_int_eq(kn, n);
	ck_assert_int_eq(kb, bytes);
	ck_assert_int_le(jint(j, "referenced", "blobs"), n);
	ck_assert_int_gt(jint(j, "usage", "free_bytes"), 0);
	ck_assert_ptr_nonnull(jget(j, "hit_rates"));
	return j;
}

static void
build(const struct pcb_test_daemon *d, const char *ctx, const char *args)
{
	char *pcb = pcb_bin(), *out = NULL;
	int rc = pcb_test_runf(&out, "%s -H %s build %s %s 2>&1", pcb, d->host, ctx, args);

	ck_assert_msg(rc == 0, "pcb build %s %s exited %d: %s", ctx, args, rc, out);
	free(out);
	free(pcb);
}

START_TEST(usage_prune_verify)
{
	struct pcb_test_daemon d;
	char *tmp = pcb_test_tmpdir(), *pcb = pcb_bin(), *ctx, *out = NULL, *p, *bad = NULL;
	json_object *j, *ents;
	int64_t n0, n1, b, referenced;
	int rc, fd;
	unsigned char c;

	pcb_test_daemon_start(&d, NULL, NULL);
	ctx = pcb_path_join(tmp, "app");
	write_app(ctx, "one");
	build(&d, ctx, "-t cacheapp:1");
	j = check_usage(&d);
	ck_assert_int_ge(jint(j, "tags", NULL), 1);
	ck_assert_int_eq(jint(j, "referenced", "blobs"), jint(j, "usage", "blobs"));
	json_object_put(j);

	/* A changed app, the same tag: the first image's manifest, config and app layer are
	 * no longer referenced. */
	write_app(ctx, "two");
	build(&d, ctx, "-t cacheapp:1");
	j = check_usage(&d);
	referenced = jint(j, "referenced", "blobs");
	ck_assert_int_lt(referenced, jint(j, "usage", "blobs"));
	json_object_put(j);

	/* Entries: largest first, limited; a bad sort is refused. */
	j = http_json(&d, "GET", "/v1/cache/entries?sort=size&limit=2", NULL, 200);
	ents = jget(j, "entries");
	ck_assert_uint_eq(json_object_array_length(ents), 2);
	ck_assert_int_ge(jint(json_object_array_get_idx(ents, 0), "size", NULL),
	    jint(json_object_array_get_idx(ents, 1), "size", NULL));
	count_blobs(&d, &n0, &b);
	ck_assert_int_eq(jint(j, "total", NULL), n0);
	json_object_put(j);
	json_object_put(http_json(&d, "GET", "/v1/cache/entries?sort=newest", NULL, 400));
	json_object_put(http_json(&d, "POST", "/v1/cache/prune", "{\"bogus\":1}", 400));
	json_object_put(http_json(&d, "POST", "/v1/cache/prune", "{\"max_size\":-5}", 400));

	/* Dry run: says what would go, removes nothing. */
	j = http_json(&d, "POST", "/v1/cache/prune", "{\"all\":true,\"dry_run\":true}", 200);
	ck_assert_int_eq(jint(j, "removed", "blobs"), n0 - referenced);
	count_blobs(&d, &n1, &b);
	ck_assert_int_eq(n1, n0);
	json_object_put(j);

	/* Without `all`, the keep duration (1 h by default) protects blobs this young. */
	j = http_json(&d, "POST", "/v1/cache/prune", "{}", 200);
	ck_assert_int_eq(jint(j, "removed", "blobs"), 0);
	ck_assert_int_eq(jint(jget(j, "kept"), "recent", "blobs"), n0 - referenced);
	json_object_put(j);

	/* pcb cache prune --all removes exactly the unreferenced ones. */
	rc = pcb_test_runf(&out, "%s -H %s cache prune --all", pcb, d.host);
	ck_assert_msg(rc == 0, "pcb cache prune: %s", out);
	ck_assert_msg(strstr(out, "Removed ") != NULL, "%s", out);
	free(out);
	j = check_usage(&d);
	ck_assert_int_eq(jint(j, "usage", "blobs"), referenced);
	ck_assert_int_eq(jint(j, "referenced", "blobs"), referenced);
	json_object_put(j);

	/* The tagged image is whole: it exports, and it serves as a base. */
	p = pcb_xasprintf("--base-image cacheapp:1 -t derived:1 --output %s/out", tmp);
	build(&d, ctx, p);
	free(p);
	p = pcb_xasprintf("%s/out/index.json", tmp);
	ck_assert_msg(access(p, F_OK) == 0, "%s missing", p);
	free(p);

	/* du, ls in both forms. */
	rc = pcb_test_runf(&out, "%s -H %s cache du", pcb, d.host);
	ck_assert_msg(rc == 0 && strstr(out, "referenced") != NULL && strstr(out, "layers") != NULL,
	    "%s", out);
	free(out);
	rc = pcb_test_runf(&out, "%s -H %s cache ls --sort lru --limit 3", pcb, d.host);
	ck_assert_msg(rc == 0 && strstr(out, "DIGEST") != NULL && strstr(out, "tagged") != NULL,
	    "%s", out);
	free(out);
	rc = pcb_test_runf(&out, "%s -H %s cache ls --json", pcb, d.host);
	ck_assert_msg(rc == 0, "%s", out);
	j = parse_json(out);
	free(out);
	/* Damage the biggest layer on disk: flip a bit in its middle. */
	ents = jget(j, "entries");
	for (size_t i = 0; i < json_object_array_length(ents); i++) {
		json_object *e = json_object_array_get_idx(ents, i);
		if (strcmp(json_object_get_string(jget(e, "kind")), "layers") == 0 &&
		    (bad == NULL || jint(e, "size", NULL) > 100)) {
			free(bad);
			bad = pcb_xstrdup(json_object_get_string(jget(e, "digest")));
		}
	}
	json_object_put(j);
	ck_assert_ptr_nonnull(bad);
	p = pcb_xasprintf("%s/blobs/sha256/%s", d.state, bad + 7);
	ck_assert(chmod(p, 0644) == 0);
	fd = open(p, O_RDWR);
	ck_assert(fd >= 0);
	ck_assert(pread(fd, &c, 1, 40) == 1);
	c ^= 0x01;
	ck_assert(pwrite(fd, &c, 1, 40) == 1);
	close(fd);

	/* Report only: found, not repaired, exit 1. */
	rc = pcb_test_runf(&out, "%s -H %s cache verify --no-repair 2>&1", pcb, d.host);
	ck_assert_msg(rc == 1, "verify --no-repair exited %d: %s", rc, out);
	ck_assert_msg(strstr(out, bad) != NULL && strstr(out, "corrupt") != NULL, "%s", out);
	free(out);
	ck_assert(access(p, F_OK) == 0);

	/* Repair: the damaged blob goes (file and row), the store is sound again. */
	rc = pcb_test_runf(&out, "%s -H %s cache verify 2>&1", pcb, d.host);
	ck_assert_msg(rc == 0, "verify exited %d: %s", rc, out);
	ck_assert_msg(strstr(out, bad) != NULL && strstr(out, "(repaired)") != NULL, "%s", out);
	free(out);
	ck_assert(access(p, F_OK) != 0);
	json_object_put(check_usage(&d));
	rc = pcb_test_runf(&out, "%s -H %s cache verify --json 2>/dev/null", pcb, d.host);
	ck_assert_msg(rc == 0, "%s", out);
	j = parse_json(out);
	ck_assert_str_eq(json_object_get_string(jget(j, "kind")), "verify");
	ck_assert_uint_eq(json_object_array_length(jget(jget(j, "result"), "bad")), 0);
	ck_assert_int_gt(jint(jget(j, "result"), "checked", NULL), 0);
	json_object_put(j);
	free(out);
	j = http_json(&d, "GET", "/v1/jobs?kind=verify", NULL, 200);
	ck_assert_uint_eq(json_object_array_length(jget(j, "jobs")), 3);
	json_object_put(j);

	/* The lost layer is rebuilt by the next build of its image. */
	build(&d, ctx, "-t cacheapp:1");
	json_object_put(check_usage(&d));

	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	free(p);
	free(bad);
	free(ctx);
	free(pcb);
	pcb_test_rmtree(tmp);
	free(tmp);
}
END_TEST

/* With a tiny limit and no keep, the collection after each build leaves only what tags
 * reference, and says in the log that the limit cannot be met (tagged images stay). */
START_TEST(automatic_collection)
{
	struct pcb_test_daemon d;
	char *tmp = pcb_test_tmpdir(), *ctx, *log = NULL;
	json_object *j = NULL;
	int64_t deadline;
	bool settled = false;

	pcb_test_daemon_start(&d, NULL, "--cache-max-size 1K --cache-keep 0 --cache-min-free 0");
	ctx = pcb_path_join(tmp, "app");
	write_app(ctx, "one");
	build(&d, ctx, "-t auto:1");
	write_app(ctx, "two");
	build(&d, ctx, "-t auto:1");
	/* The collection runs after the job ended, on the daemon's thread pool: poll. */
	deadline = pcb_monotonic_ms() + 20000;
	while (!settled && pcb_monotonic_ms() < deadline) {
		/* While a collection runs, the index and the files may disagree for a moment
		 * (rows go first): only the settled state is compared with the state dir. */
		json_object_put(j);
		j = http_json(&d, "GET", "/v1/cache", NULL, 200);
		settled = jint(j, "usage", "blobs") == jint(j, "referenced", "blobs");
		if (!settled)
			usleep(50 * 1000);
	}
	ck_assert_msg(settled, "the store still holds unreferenced blobs: %s",
	    json_object_to_json_string(j));
	json_object_put(j);
	j = check_usage(&d);
	ck_assert_int_eq(jint(j, "usage", "limit_bytes"), 1024);
	ck_assert_int_eq(jint(j, "usage", "keep_seconds"), 0);
	json_object_put(j);
	deadline = pcb_monotonic_ms() + 20000;
	while (pcb_monotonic_ms() < deadline) {
		free(log);
		log = pcb_test_read(d.log, NULL);
		if (log != NULL && strstr(log, "limits not met") != NULL)
			break;
		usleep(50 * 1000);
	}
	ck_assert_msg(log != NULL && strstr(log, "tagged images are never evicted") != NULL,
	    "no warning in the log: %s", log ? log : "");
	free(log);
	build(&d, ctx, "-t auto:1");
	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	free(ctx);
	pcb_test_rmtree(tmp);
	free(tmp);
}
END_TEST

/* Bad limits are refused at start-up with the flag named. */
/* The tag with this name in GET /v1/cache/tags, or NULL. */
static json_object *
tag_row(json_object *tags, const char *name)
{
	json_object *arr = jget(tags, "tags");

	for (size_t i = 0; arr != NULL && i < json_object_array_length(arr); i++) {
		json_object *t = json_object_array_get_idx(arr, i);
		if (strcmp(json_object_get_string(jget(t, "name")), name) == 0)
			return t;
	}
	return NULL;
}

/* Tagged images are evictable: with a tag keep time, an image no build or push used for that
 * long loses its tag (a dry run only counts it) and its blobs go; one a build just used as its
 * base stays. pcb cache du shows what each tag holds and what untagging it would free. */
START_TEST(tagged_images_evicted_when_unused)
{
	struct pcb_test_daemon d;
	char *tmp = pcb_test_tmpdir(), *pcb = pcb_bin(), *a, *b, *c, *out = NULL;
	json_object *j, *t;
	int64_t deadline, unique_old;
	int rc;

	pcb_test_daemon_start(&d, NULL, NULL);
	a = pcb_path_join(tmp, "a");
	b = pcb_path_join(tmp, "b");
	c = pcb_path_join(tmp, "c");
	write_app(a, "old");
	write_app(b, "kept");
	write_app(c, "derived");
	build(&d, a, "-t old:1");
	build(&d, b, "-t kept:1");

	/* du: both tags, with their sizes; what only old:1 holds would be freed by untagging it. */
	j = http_json(&d, "GET", "/v1/cache/tags", NULL, 200);
	ck_assert_int_eq(jint(j, "tag_keep_seconds", NULL), 0);
	t = tag_row(j, "old:1");
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(tag_row(j, "kept:1"));
	unique_old = jint(t, "unique_bytes", NULL);
	ck_assert_int_gt(unique_old, 0);
	ck_assert_int_ge(jint(t, "bytes", NULL), unique_old);
	ck_assert(json_object_get_boolean(jget(t, "shared")));
	json_object_put(j);
	rc = pcb_test_runf(&out, "%s -H %s cache du", pcb, d.host);
	ck_assert_msg(rc == 0 && strstr(out, "UNIQUE") != NULL && strstr(out, "old:1") != NULL,
	    "%s", out);
	free(out);

	/* Wait, by polling a dry run, until both are 10 s unused: counted, not removed. */
	deadline = pcb_monotonic_ms() + 60000;
	for (;;) {
		j = http_json(&d, "POST", "/v1/cache/prune", "{\"dry_run\": true, "
		    "\"tag_keep_seconds\": 10}", 200);
		if (jint(j, "tags_removed", NULL) >= 2) {
			json_object_put(j);
			break;
		}
		json_object_put(j);
		ck_assert_msg(pcb_monotonic_ms() < deadline, "the tags never aged");
		nanosleep(&(struct timespec){ 0, 200 * 1000 * 1000 }, NULL);
	}
	j = http_json(&d, "GET", "/v1/cache/tags", NULL, 200);
	ck_assert_ptr_nonnull(tag_row(j, "old:1"));
	json_object_put(j);

	/* A build on kept:1 uses it; the prune then untags old:1 only, and its blobs go. */
	build(&d, c, "--base-image kept:1 -t derived:1");
	j = http_json(&d, "POST", "/v1/cache/prune", "{\"tag_keep_seconds\": 10, "
	    "\"keep_seconds\": 0}", 200);
	ck_assert_int_eq(jint(j, "tags_removed", NULL), 1);
	ck_assert_int_ge(jint(j, "removed", "bytes"), unique_old);
	json_object_put(j);
	j = http_json(&d, "GET", "/v1/cache/tags", NULL, 200);
	ck_assert_ptr_null(tag_row(j, "old:1"));
	ck_assert_ptr_nonnull(tag_row(j, "kept:1"));
	ck_assert_ptr_nonnull(tag_row(j, "derived:1"));
	json_object_put(j);
	json_object_put(check_usage(&d));

	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(tmp);
	free(tmp);
	free(pcb);
	free(a);
	free(b);
	free(c);
}
END_TEST

START_TEST(bad_flags)
{
	char *out = NULL;
	int rc = pcb_test_runf(&out, "%s/pycontainerd --cache-max-size 12Q 2>&1",
	    pcb_test_build_dir());

	ck_assert_int_eq(rc, 2);
	ck_assert_msg(strstr(out, "--cache-max-size") != NULL, "%s", out);
	free(out);
	rc = pcb_test_runf(&out, "%s/pycontainerd --cache-keep 1w 2>&1", pcb_test_build_dir());
	ck_assert_int_eq(rc, 2);
	ck_assert_msg(strstr(out, "--cache-keep") != NULL, "%s", out);
	free(out);
	rc = pcb_test_runf(&out, "%s/pycontainerd --resolve-max-age soon 2>&1",
	    pcb_test_build_dir());
	ck_assert_int_eq(rc, 2);
	ck_assert_msg(strstr(out, "--resolve-max-age") != NULL, "%s", out);
	free(out);
	rc = pcb_test_runf(&out, "%s/pcb cache prune --all --max-size 1G 2>&1",
	    pcb_test_build_dir());
	ck_assert_int_eq(rc, 2);
	free(out);
	rc = pcb_test_runf(&out, "%s/pcb cache frob 2>&1", pcb_test_build_dir());
	ck_assert_int_eq(rc, 2);
	ck_assert_msg(strstr(out, "frob") != NULL, "%s", out);
	free(out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("cache");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, usage_prune_verify);
	tcase_add_test(tc, automatic_collection);
	tcase_add_test(tc, tagged_images_evicted_when_unused);
	tcase_add_test(tc, bad_flags);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
