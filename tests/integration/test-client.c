/* test-client.c — the pcb client end to end against a real pycontainerd: build with --json,
 * list, logs, cancel of a finished build, dry run, a failing build, bad paths and an
 * unreachable daemon. The SSE parser is also fed here byte by byte (it is client code, which
 * the unit suites do not link, so its source is included directly). */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "testutil.h"

#include "../../client/sse.c"

/* ---- SSE parser ---- */

struct collected {
	struct pcb_strv items;    /* "id|type|data" */
	int stop_after;           /* stop after this many events (0 = never) */
};

static int
collect_event(void *ud, const struct pcb_sse_event *ev)
{
	struct collected *c = ud;

	pcb_strv_push_owned(&c->items, pcb_xasprintf("%s|%s|%s", ev->id, ev->type, ev->data));
	return c->stop_after > 0 && (int)c->items.n >= c->stop_after;
}

static const char sse_stream[] =
    ": keep-alive\n\n"
    "id: 1\nevent: state\ndata: {\"state\":\"queued\"}\n\n"
    "id: 2\r\nevent: log\r\ndata: line one\r\ndata: line two\r\n\r\n"
    "id: 3\revent: phase\rdata:{\"phase\":\"plan\"}\r\r"
    "retry: 100\nunknown: x\nevent: ignored-no-data\n\n"
    "id: 4\ndata\n\n"
    "id: 5\nevent: end\ndata: {\"state\":\"succeeded\"}\n\n";

static void
check_stream_events(const struct collected *c)
{
	ck_assert_uint_eq(c->items.n, 5);
	ck_assert_str_eq(c->items.v[0], "1|state|{\"state\":\"queued\"}");
	ck_assert_str_eq(c->items.v[1], "2|log|line one\nline two");
	ck_assert_str_eq(c->items.v[2], "3|phase|{\"phase\":\"plan\"}");
	ck_assert_str_eq(c->items.v[3], "4|message|");
	ck_assert_str_eq(c->items.v[4], "5|end|{\"state\":\"succeeded\"}");
}

START_TEST(sse_whole_and_split)
{
	size_t len = strlen(sse_stream), chunk;

	/* Every chunk size, 1 byte up to the whole stream: lines and CRLF pairs get split at
	 * every possible place, and the events must come out the same. */
	for (chunk = 1; chunk <= len; chunk++) {
		struct pcb_sse_parser p;
		struct collected c = { .stop_after = 0 };
		size_t off;

		pcb_strv_init(&c.items);
		pcb_sse_init(&p, 4096, collect_event, &c);
		for (off = 0; off < len; off += chunk) {
			size_t n = len - off < chunk ? len - off : chunk;
			ck_assert_int_eq(pcb_sse_feed(&p, sse_stream + off, n, NULL), 0);
		}
		check_stream_events(&c);
		pcb_sse_free(&p);
		pcb_strv_free(&c.items);
	}
}
END_TEST

START_TEST(sse_stop_and_limit)
{
	struct pcb_sse_parser p;
	struct collected c = { .stop_after = 2 };
	struct pcb_err err;
	char big[200];

	pcb_strv_init(&c.items);
	pcb_sse_init(&p, 64, collect_event, &c);
	ck_assert_int_eq(pcb_sse_feed(&p, sse_stream, strlen(sse_stream), NULL), 1);
	ck_assert_uint_eq(c.items.n, 2);
	ck_assert_int_eq(pcb_sse_feed(&p, "data: x\n\n", 9, NULL), 1);
	ck_assert_uint_eq(c.items.n, 2);
	pcb_sse_free(&p);

	/* A line over the limit is an error, not unbounded growth. */
	pcb_sse_init(&p, 64, collect_event, &c);
	memset(big, 'a', sizeof big);
	ck_assert_int_eq(pcb_sse_feed(&p, big, sizeof big, &err), PCB_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "line"));
	pcb_sse_free(&p);
	pcb_strv_free(&c.items);
}
END_TEST

/* ---- against the daemon ---- */

static char *
pcb_bin(void)
{
	return pcb_xasprintf("%s/pcb", pcb_test_build_dir());
}

/* The fixture project of the brief: a console script entry point. */
static void
write_hello(const char *dir)
{
	pcb_test_write(dir, "pyproject.toml",
	    "[project]\nname = \"hello\"\nversion = \"1.0\"\n\n"
	    "[project.scripts]\nhello = \"hello.cli:main\"\n", 0644);
	pcb_test_write(dir, "hello/__init__.py", "", 0644);
	pcb_test_write(dir, "hello/cli.py",
	    "def main():\n    print(\"hello from the image\")\n", 0644);
}

static json_object *
parse_json(const char *text)
{
	json_object *j = json_tokener_parse(text);
	ck_assert_msg(j != NULL, "not JSON: %s", text);
	return j;
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;
	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static json_object *
jget(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (o != NULL)
		json_object_object_get_ex(o, key, &v);
	return v;
}

START_TEST(build_list_logs_cancel)
{
	struct pcb_test_daemon d;
	char *tmp = pcb_test_tmpdir(), *pcb = pcb_bin(), *ctx, *outdir, *index, *cmd, *out = NULL;
	json_object *b, *list;
	const char *id, *digest;
	size_t i;
	bool listed = false;
	int rc;

	pcb_test_daemon_start(&d, NULL, NULL);
	ctx = pcb_path_join(tmp, "proj");
	outdir = pcb_path_join(tmp, "out");
	write_hello(ctx);

	/* stdout only: it must be exactly the JSON of the build resource. */
	cmd = pcb_xasprintf("%s -H %s build %s -t hello:1 --output %s --json 2>%s/stderr.txt",
	    pcb, d.host, ctx, outdir, tmp);
	rc = pcb_test_run(cmd, false, &out);
	free(cmd);
	{
		char *p = pcb_path_join(tmp, "stderr.txt");
		char *err_text = pcb_test_read(p, NULL);
		ck_assert_msg(rc == 0, "pcb build exited %d: %s%s", rc, out, err_text ? err_text : "");
		/* the readable progress stays on stderr with --json */
		ck_assert_msg(err_text != NULL && strstr(err_text, "Built ") != NULL,
		    "no summary on stderr: %s", err_text ? err_text : "(none)");
		free(err_text);
		free(p);
	}
	b = parse_json(out);
	ck_assert_str_eq(jstr(b, "state"), "succeeded");
	digest = jstr(jget(jget(b, "result"), "manifest"), "digest");
	ck_assert_msg(digest != NULL && pcb_digest_valid(digest), "bad manifest digest");
	id = jstr(b, "id");
	ck_assert_ptr_nonnull(id);
	index = pcb_path_join(outdir, "index.json");
	ck_assert_msg(access(index, F_OK) == 0, "%s missing", index);
	free(index);
	free(out);

	/* pcb builds --json lists it */
	rc = pcb_test_runf(&out, "%s -H %s builds --json", pcb, d.host);
	ck_assert_msg(rc == 0, "pcb builds: %s", out);
	list = parse_json(out);
	for (i = 0; i < json_object_array_length(jget(list, "builds")); i++) {
		if (strcmp(jstr(json_object_array_get_idx(jget(list, "builds"), i), "id"), id) == 0)
			listed = true;
	}
	ck_assert_msg(listed, "build %s not in %s", id, out);
	json_object_put(list);
	free(out);

	/* the table too */
	rc = pcb_test_runf(&out, "%s -H %s builds --state succeeded", pcb, d.host);
	ck_assert_msg(rc == 0 && strstr(out, id) != NULL && strstr(out, "hello:1") != NULL &&
	    strstr(out, digest + 7 /* "sha256:" */) == NULL, "table: %s", out);
	{
		char short_digest[13];
		snprintf(short_digest, sizeof short_digest, "%.12s", digest + 7);
		ck_assert_msg(strstr(out, short_digest) != NULL, "no short digest in %s", out);
	}
	free(out);

	/* pcb logs replays the phases and ends (no -f needed for a finished build) */
	rc = pcb_test_runf(&out, "%s -H %s logs %s", pcb, d.host, id);
	ck_assert_msg(rc == 0, "pcb logs: %s", out);
	ck_assert_msg(strstr(out, "[plan]") != NULL && strstr(out, "[manifest]") != NULL &&
	    strstr(out, "[end] succeeded") != NULL, "logs: %s", out);
	free(out);

	/* cancelling a finished build: 409 and its message */
	rc = pcb_test_runf(&out, "%s -H %s cancel %s", pcb, d.host, id);
	ck_assert_msg(rc != 0, "cancel of a finished build succeeded: %s", out);
	ck_assert_msg(strstr(out, "already succeeded") != NULL && strstr(out, "409") != NULL,
	    "cancel: %s", out);
	free(out);

	/* an unknown id: the daemon's 404 message */
	rc = pcb_test_runf(&out, "%s -H %s logs b-0000000000000000", pcb, d.host);
	ck_assert_msg(rc == 1 && strstr(out, "404") != NULL, "logs of unknown id: %d %s", rc, out);
	free(out);

	json_object_put(b);
	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(tmp);
	free(ctx);
	free(outdir);
	free(tmp);
	free(pcb);
}
END_TEST

START_TEST(dry_run_builds_nothing)
{
	struct pcb_test_daemon d;
	char *tmp = pcb_test_tmpdir(), *pcb = pcb_bin(), *out = NULL, *cmd;
	json_object *plan, *list, *cmdv;
	int rc;

	pcb_test_daemon_start(&d, NULL, NULL);
	write_hello(tmp);

	rc = pcb_test_runf(&out, "%s -H %s build %s --dry-run", pcb, d.host, tmp);
	ck_assert_msg(rc == 0, "dry run: %s", out);
	ck_assert_msg(strstr(out, "name:") != NULL && strstr(out, "hello") != NULL &&
	    strstr(out, "cmd:") != NULL, "dry run output: %s", out);
	ck_assert_msg(strstr(out, "pyproject.toml") != NULL, "no source shown: %s", out);
	free(out);

	cmd = pcb_xasprintf("%s -H %s build %s --dry-run --json", pcb, d.host, tmp);
	rc = pcb_test_run(cmd, false, &out);
	free(cmd);
	ck_assert_int_eq(rc, 0);
	plan = parse_json(out);
	ck_assert_str_eq(jstr(plan, "name"), "hello");
	cmdv = jget(plan, "cmd");
	ck_assert(cmdv != NULL && json_object_is_type(cmdv, json_type_array));
	json_object_put(plan);
	free(out);

	rc = pcb_test_runf(&out, "%s -H %s builds --json", pcb, d.host);
	ck_assert_int_eq(rc, 0);
	list = parse_json(out);
	ck_assert_msg(json_object_array_length(jget(list, "builds")) == 0, "dry run built: %s", out);
	json_object_put(list);
	free(out);

	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(tmp);
	free(tmp);
	free(pcb);
}
END_TEST

START_TEST(failing_build_exits_1)
{
	struct pcb_test_daemon d;
	char *tmp = pcb_test_tmpdir(), *pcb = pcb_bin(), *out = NULL;
	int rc;

	pcb_test_daemon_start(&d, NULL, NULL);
	/* no scripts, no __main__.py, no main.py: discovery cannot tell how to start it */
	pcb_test_write(tmp, "pyproject.toml", "[project]\nname = \"nostart\"\nversion = \"1\"\n",
	    0644);
	pcb_test_write(tmp, "nostart/__init__.py", "", 0644);
	rc = pcb_test_runf(&out, "%s -H %s build %s", pcb, d.host, tmp);
	ck_assert_msg(rc == 1, "exit %d: %s", rc, out);
	ck_assert_msg(strstr(out, "cannot tell how to start") != NULL, "message: %s", out);
	free(out);

	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(tmp);
	free(tmp);
	free(pcb);
}
END_TEST

/* ---- without a daemon ---- */

START_TEST(missing_context_named)
{
	char *tmp = pcb_test_tmpdir(), *pcb = pcb_bin(), *out = NULL, *missing;
	int rc;

	missing = pcb_path_join(tmp, "no-such-project");
	rc = pcb_test_runf(&out, "%s -H unix:///nonexistent build %s", pcb, missing);
	ck_assert_msg(rc != 0, "build of a missing dir succeeded");
	ck_assert_msg(strstr(out, missing) != NULL, "path not named: %s", out);
	free(out);
	free(missing);
	pcb_test_rmtree(tmp);
	free(tmp);
	free(pcb);
}
END_TEST

START_TEST(unreachable_daemon)
{
	char *pcb = pcb_bin(), *out = NULL;
	int rc;

	rc = pcb_test_runf(&out, "%s -H unix:///nonexistent version", pcb);
	ck_assert_int_eq(rc, 2);
	ck_assert_msg(strstr(out, "cannot reach pycontainerd at unix:///nonexistent") != NULL &&
	    strstr(out, "pycontainerd --host unix:///nonexistent") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "pcb " PCB_VERSION) != NULL, "client version missing: %s", out);
	free(out);

	/* PCB_HOST is honoured when -H is absent */
	rc = pcb_test_runf(&out, "PCB_HOST=unix:///nonexistent/x %s builds", pcb);
	ck_assert_int_eq(rc, 2);
	ck_assert_msg(strstr(out, "unix:///nonexistent/x") != NULL, "%s", out);
	free(out);
	free(pcb);
}
END_TEST

START_TEST(usage_errors_name_the_flag)
{
	char *pcb = pcb_bin(), *out = NULL;
	int rc;

	rc = pcb_test_runf(&out, "%s -H unix:///nonexistent build --frobnicate .", pcb);
	ck_assert_int_eq(rc, 2);
	ck_assert_msg(strstr(out, "--frobnicate") != NULL, "%s", out);
	free(out);
	rc = pcb_test_runf(&out, "%s -H unix:///nonexistent build . --env NOEQUALS", pcb);
	ck_assert_int_eq(rc, 2);
	ck_assert_msg(strstr(out, "NOEQUALS") != NULL, "%s", out);
	free(out);
	rc = pcb_test_runf(&out, "SOURCE_DATE_EPOCH=yesterday %s -H unix:///nonexistent build .",
	    pcb);
	ck_assert_int_eq(rc, 2);
	ck_assert_msg(strstr(out, "SOURCE_DATE_EPOCH") != NULL, "%s", out);
	free(out);
	rc = pcb_test_runf(&out, "%s -H unix:///nonexistent builds --limit 0", pcb);
	ck_assert_int_eq(rc, 2);
	ck_assert_msg(strstr(out, "--limit") != NULL, "%s", out);
	free(out);
	rc = pcb_test_runf(&out, "%s -H ftp://x version", pcb);
	ck_assert_int_eq(rc, 2);
	ck_assert_msg(strstr(out, "ftp://x") != NULL, "%s", out);
	free(out);
	rc = pcb_test_runf(&out, "%s frob", pcb);
	ck_assert_int_eq(rc, 2);
	ck_assert_msg(strstr(out, "frob") != NULL, "%s", out);
	free(out);
	rc = pcb_test_runf(&out, "%s build --help", pcb);
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(strstr(out, "--entrypoint") != NULL, "%s", out);
	free(out);
	free(pcb);
}
END_TEST

static Suite *
client_suite(void)
{
	Suite *s = suite_create("client");
	TCase *sse = tcase_create("sse");
	TCase *local = tcase_create("local");
	TCase *daemon = tcase_create("daemon");

	tcase_add_test(sse, sse_whole_and_split);
	tcase_add_test(sse, sse_stop_and_limit);
	tcase_add_test(local, missing_context_named);
	tcase_add_test(local, unreachable_daemon);
	tcase_add_test(local, usage_errors_name_the_flag);
	tcase_set_timeout(daemon, 180);
	tcase_add_test(daemon, build_list_logs_cancel);
	tcase_add_test(daemon, dry_run_builds_nothing);
	tcase_add_test(daemon, failing_build_exits_1);
	suite_add_tcase(s, sse);
	suite_add_tcase(s, local);
	suite_add_tcase(s, daemon);
	return s;
}

int
main(void)
{
	return pcb_test_run_suite(client_suite());
}
