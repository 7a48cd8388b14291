/* test-progress.c — issue 14, "Progress and messages" and "The API for IDEs", against a real
 * daemon on a private socket:
 *   - pcb build --progress tty on a pseudo-terminal: a live view redrawn in place (escape
 *     codes, a line per step with its [i/n] count and a row for the layer being packed), each
 *     finished step collapsed to one line with its time, and the closing summary (reference,
 *     digest, size, layers new/reused with bytes, time per step);
 *   - NO_COLOR and TERM=dumb on a terminal: the same record without a single escape code;
 *   - plain (a line per event, each with its time) and rawjson (the daemon's events, each a
 *     valid Event of api/openapi.yaml with its step, and a layer event with done/total);
 *   - every event and error the daemon sends validates against the spec's schemas, checked by
 *     a real JSON Schema validator (tests/lib/schemacheck.py);
 *   - error codes a program can act on: registry_unreachable (a closed loopback port: for a
 *     base image, with the next steps named; each retry is a warn event), registry_auth (a
 *     wrong password for a real htpasswd registry);
 *   - GET /v1/jobs?kind=all, GET /v1/openapi.yaml (the file's bytes);
 *   - pcb completion bash|zsh|fish. */
#include <check.h>
#include <json-c/json.h>
#include <regex.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/util.h"
#include "ptyrun.h"
#include "regfix.h"
#include "schemacheck.h"
#include "testutil.h"

static struct pcb_test_daemon d;
static char *tmp, *ctx, *pcb;

static void
setup(void)
{
	tmp = pcb_test_tmpdir();
	ctx = pcb_path_join(tmp, "hello");
	ck_assert_int_eq(pcb_test_runf(NULL, "cp -r '%s/examples/hello' '%s'",
	    pcb_test_source_dir(), ctx), 0);
	pcb = pcb_path_join(pcb_test_build_dir(), "pcb");
	pcb_test_daemon_start(&d, NULL, NULL);
}

static void
teardown(void)
{
	pcb_test_daemon_stop(&d);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(tmp);
	free(tmp);
	free(ctx);
	free(pcb);
}

/* pcb build on a pty with env; returns what the terminal got (caller frees). */
static char *
build_on_pty(const char *tag, const char *progress, const char *const *env)
{
	const char *argv[] = { pcb, "-H", d.host, "build", ctx, "-t", tag, progress, NULL };
	char *out = NULL;
	int rc;

	if (progress == NULL)
		argv[7] = NULL;
	rc = pcb_test_pty_run(argv, env, 120000, &out);
	ck_assert_msg(rc == 0, "pcb build on a pty: exit %d:\n%s", rc, out);
	return out;
}

START_TEST(tty_live_view)
{
	static const char *const env[] = { "TERM=xterm-256color", "NO_COLOR=", NULL };
	char *out = build_on_pty("hello:1", NULL, env);   /* auto: a terminal gets tty */

	/* Live: the running step's line, redrawn in place (cursor up, clear below). */
	ck_assert_msg(strstr(out, "=> [1/7] plan") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "\033[1A\033[J") != NULL, "no redraw in place: %s", out);
	/* A row for the layer being packed: name, bytes done / total, percent. */
	ck_assert_msg(strstr(out, "   app ") != NULL && strstr(out, "100%") != NULL,
	    "no layer row: %s", out);
	/* Each finished step collapses to one (green) line with its time. */
	for (int i = 1; i <= 7; i++) {
		char *want = pcb_xasprintf("\033[32m=> [%d/7] ", i);
		ck_assert_msg(strstr(out, want) != NULL, "step %d not collapsed: %s", i, out);
		free(want);
	}
	ck_assert_msg(strstr(out, "\033[32m=> [7/7] tag      hello:1\033[0m \033[2m") != NULL,
	    "%s", out);
	/* The summary. */
	ck_assert_msg(strstr(out, "Built hello:1 in ") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "  manifest sha256:") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "  size     ") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "  layers   1 new (") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "  steps    plan ") != NULL && strstr(out, ", tag ") != NULL,
	    "%s", out);
	free(out);

	/* Built again: the app layer comes from the layer cache, and the summary says so. */
	out = build_on_pty("hello:2", "--progress=tty", env);
	ck_assert_msg(strstr(out, "  layers   0 new (0 B), 1 reused (") != NULL, "%s", out);
	free(out);
}
END_TEST

static void
assert_no_escapes(const char *out, const char *how)
{
	ck_assert_msg(strchr(out, '\033') == NULL, "%s: an escape code: %s", how, out);
	ck_assert_msg(strstr(out, "=> [4/7] pack") != NULL, "%s: no collapsed step: %s", how, out);
	ck_assert_msg(strstr(out, "=> [7/7] tag") != NULL, "%s: %s", how, out);
	ck_assert_msg(strstr(out, "Built hello:") != NULL && strstr(out, "  steps    ") != NULL,
	    "%s: no summary: %s", how, out);
}

START_TEST(tty_without_escapes)
{
	static const char *const no_color[] = { "TERM=xterm", "NO_COLOR=1", NULL };
	static const char *const dumb[] = { "TERM=dumb", "NO_COLOR=", NULL };
	char *out;

	out = build_on_pty("hello:3", NULL, no_color);
	assert_no_escapes(out, "NO_COLOR");
	free(out);
	out = build_on_pty("hello:4", "--progress=tty", dumb);
	assert_no_escapes(out, "TERM=dumb");
	free(out);
}
END_TEST

START_TEST(plain_and_rawjson)
{
	char *out = NULL, *id, *data;
	regex_t re;
	int rc;

	/* plain: a line per event, each starting with its time of day. */
	rc = pcb_test_runf(&out, "%s -H %s build %s -t hello:5 --progress plain 2>&1", pcb, d.host,
	    ctx);
	ck_assert_msg(rc == 0, "%s", out);
	ck_assert_msg(strchr(out, '\033') == NULL, "plain wrote an escape code: %s", out);
	ck_assert_int_eq(regcomp(&re, "^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\\.[0-9][0-9][0-9] "
	    "\\[plan\\] reading the project$", REG_EXTENDED | REG_NEWLINE), 0);
	ck_assert_msg(regexec(&re, out, 0, NULL, 0) == 0, "no timestamped line: %s", out);
	regfree(&re);
	ck_assert_msg(strstr(out, " layer app sha256:") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "Built hello:5") != NULL, "%s", out);
	free(out);

	/* rawjson: stderr is the daemon's events, one JSON object a line, each a valid Event;
	 * the summary is left out (stdout stays for -q / --json). */
	rc = pcb_test_runf(&out, "%s -H %s build %s -t hello:6 --progress rawjson 2>&1 >/dev/null",
	    pcb, d.host, ctx);
	ck_assert_msg(rc == 0, "%s", out);
	ck_assert_msg(strstr(out, "Built ") == NULL, "%s", out);
	for (char *line = out, *e; line != NULL && *line != '\0'; line = e != NULL ? e + 1 : NULL) {
		json_object *j;
		e = strchr(line, '\n');
		if (e != NULL)
			*e = '\0';
		j = json_tokener_parse(line);
		ck_assert_msg(j != NULL, "not JSON: %s", line);
		ck_assert_msg(json_object_object_get_ex(j, "step", NULL), "no step: %s", line);
		json_object_put(j);
		if (e != NULL)
			*e = '\n';
	}
	ck_assert_msg(strstr(out, "\"type\":\"layer\"") != NULL && strstr(out, "\"done\":") != NULL,
	    "%s", out);
	ck_assert_msg(strstr(out, "\"step\":{\"index\":7,\"count\":7}") != NULL, "%s", out);
	if (pcb_test_schema_available())
		pcb_test_schema_check("Event", out);
	free(out);

	/* pcb logs --progress rawjson: the same events again, valid too. */
	rc = pcb_test_runf(&out, "%s -H %s builds --json", pcb, d.host);
	ck_assert_int_eq(rc, 0);
	id = strstr(out, "\"b-");
	ck_assert(id != NULL);
	id = pcb_xstrndup(id + 1, 18);
	free(out);
	rc = pcb_test_runf(&out, "%s -H %s logs --progress rawjson %s", pcb, d.host, id);
	ck_assert_msg(rc == 0 && strstr(out, "\"type\":\"end\"") != NULL, "%s", out);
	if (pcb_test_schema_available())
		pcb_test_schema_check("Event", out);
	free(out);

	/* The SSE stream itself. */
	{
		char *path = pcb_xasprintf("/v1/builds/%s/events", id);
		ck_assert_int_eq(pcb_test_http(&d, "GET", path, NULL, 0, &out), 200);
		data = pcb_test_sse_data(out);
		ck_assert_msg(strstr(data, "\"type\":\"result\"") != NULL, "%s", data);
		if (pcb_test_schema_available())
			pcb_test_schema_check("Event", data);
		free(data);
		free(out);
		free(path);
	}
	free(id);
}
END_TEST

/* Submits a job (POST path body), follows its events to the end, checks them against the
 * spec and returns the final job (caller puts). *events_out (may be NULL): the events'
 * data, one per line (caller frees). */
static json_object *
run_job(const char *post_path, const char *body, char **events_out)
{
	char *out = NULL, *path, *data;
	json_object *j, *id;
	long st;

	st = pcb_test_http(&d, "POST", post_path, body, strlen(body), &out);
	ck_assert_msg(st == 202, "POST %s: %ld %s", post_path, st, out);
	j = json_tokener_parse(out);
	ck_assert(j != NULL && json_object_object_get_ex(j, "id", &id));
	path = pcb_xasprintf("/v1/jobs/%s/events", json_object_get_string(id));
	free(out);
	/* The stream ends with the job's `end` event. */
	ck_assert_int_eq(pcb_test_http(&d, "GET", path, NULL, 0, &out), 200);
	data = pcb_test_sse_data(out);
	free(out);
	if (pcb_test_schema_available())
		pcb_test_schema_check("Event", data);
	path[strlen(path) - strlen("/events")] = '\0';
	ck_assert_int_eq(pcb_test_http(&d, "GET", path, NULL, 0, &out), 200);
	if (pcb_test_schema_available())
		pcb_test_schema_check("Job", out);
	json_object_put(j);
	j = json_tokener_parse(out);
	ck_assert(j != NULL);
	free(out);
	free(path);
	if (events_out != NULL)
		*events_out = data;
	else
		free(data);
	return j;
}

static const char *
job_error(json_object *job, const char *key)
{
	json_object *e, *v;

	if (!json_object_object_get_ex(job, "error", &e) || !json_object_object_get_ex(e, key, &v))
		return "";
	return json_object_get_string(v);
}

START_TEST(unreachable_registry)
{
	int port = pcb_test_free_port();   /* nothing listens there */
	char *body, *events = NULL;
	const char *msg;
	json_object *job;

	/* A base image on a registry that cannot be reached: registry_unreachable, with the
	 * ways out named, and each retry shown as an event. */
	body = pcb_xasprintf("{\"context\":\"%s\",\"base_image\":\"127.0.0.1:%d/lib/python:3.12"
	    "\"}", ctx, port);
	job = run_job("/v1/builds", body, &events);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(job, "state")), "failed");
	ck_assert_str_eq(job_error(job, "code"), "registry_unreachable");
	msg = job_error(job, "message");
	ck_assert_msg(strstr(msg, "pcb base create --from-host") != NULL &&
	    strstr(msg, "--base-registry") != NULL && strstr(msg, "--base-image") != NULL, "%s", msg);
	ck_assert_msg(strstr(events, "\"level\":\"warn\"") != NULL &&
	    strstr(events, "retrying in") != NULL, "no retry event: %s", events);
	ck_assert_msg(strstr(events, "\"code\":\"registry_unreachable\"") != NULL, "%s", events);
	json_object_put(job);
	free(events);
	free(body);

	/* The client shows it, and the retries. */
	{
		char *out = NULL;
		int rc = pcb_test_runf(&out, "%s -H %s build %s --base-image 127.0.0.1:%d/lib/py:3 "
		    "--progress plain 2>&1", pcb, d.host, ctx, port);
		ck_assert_msg(rc == 1 && strstr(out, "[warn] registry 127.0.0.1:") != NULL &&
		    strstr(out, "pcb base create --from-host") != NULL, "%d %s", rc, out);
		free(out);
	}

	/* A push there: the same code. */
	ck_assert_int_eq(pcb_test_runf(NULL, "%s -H %s build %s -t hello:1 -q >/dev/null 2>&1",
	    pcb, d.host, ctx), 0);
	body = pcb_xasprintf("{\"source\":\"hello:1\",\"targets\":[\"127.0.0.1:%d/team/app:1\"]}",
	    port);
	job = run_job("/v1/pushes", body, NULL);
	ck_assert_str_eq(job_error(job, "code"), "registry_unreachable");
	json_object_put(job);
	free(body);
}
END_TEST

/* The other codes a program acts on: a base the registry does not have (base_not_found), a
 * requirement no index has (dependency_resolution), and a registry that accepts the
 * connection and then says nothing (registry_timeout, with the stall limit at 1 s). */
START_TEST(not_found_resolution_timeout)
{
	struct pcb_test_registry reg;
	struct pcb_test_daemon keep, stalled;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof a;
	char *body, *proj;
	json_object *job;
	int lfd;

	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_PLAIN);
	body = pcb_xasprintf("{\"context\":\"%s\",\"base_image\":\"%s/lib/none:1\"}", ctx,
	    reg.host);
	job = run_job("/v1/builds", body, NULL);
	ck_assert_str_eq(job_error(job, "code"), "base_not_found");
	ck_assert_msg(strstr(job_error(job, "message"), "lib/none") != NULL, "%s",
	    job_error(job, "message"));
	json_object_put(job);
	free(body);

	proj = pcb_path_join(tmp, "needs");
	pcb_test_write(proj, "main.py", "print(1)\n", 0644);
	pcb_test_write(proj, "requirements.txt", "no-such-distribution-anywhere==1.0\n", 0644);
	body = pcb_xasprintf("{\"context\":\"%s\",\"dependencies\":{\"index_url\":"
	    "\"http://%s/simple\"}}", proj, reg.host);
	job = run_job("/v1/builds", body, NULL);
	ck_assert_str_eq(job_error(job, "code"), "dependency_resolution");
	ck_assert_msg(strstr(job_error(job, "message"), "no-such-distribution-anywhere") != NULL,
	    "%s", job_error(job, "message"));
	json_object_put(job);
	free(body);
	pcb_test_registry_stop(&reg);

	/* A listener that never answers; a daemon that gives up on silence after 1 s. */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(lfd >= 0 && bind(lfd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    listen(lfd, 64) == 0 && getsockname(lfd, (struct sockaddr *)&a, &alen) == 0);
	setenv("PCB_REGISTRY_STALL_SECONDS", "1", 1);
	pcb_test_daemon_start(&stalled, NULL, NULL);
	unsetenv("PCB_REGISTRY_STALL_SECONDS");
	keep = d;
	d = stalled;
	body = pcb_xasprintf("{\"context\":\"%s\",\"base_image\":\"127.0.0.1:%d/lib/py:3\"}",
	    ctx, ntohs(a.sin_port));
	job = run_job("/v1/builds", body, NULL);
	d = keep;
	ck_assert_str_eq(job_error(job, "code"), "registry_timeout");
	json_object_put(job);
	free(body);
	close(lfd);
	pcb_test_daemon_stop(&stalled);
	pcb_test_daemon_free(&stalled, true);
	free(proj);
}
END_TEST

START_TEST(wrong_password)
{
	struct pcb_test_registry reg;
	json_object *body, *cred, *creds, *cas, *targets, *job;
	char *pem, *target;

	if (!pcb_test_have("docker-registry")) {
		fprintf(stderr, "docker-registry not installed: skipped\n");
		return;
	}
	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_BASIC_TLS);
	ck_assert_int_eq(pcb_test_runf(NULL, "%s -H %s build %s -t hello:1 -q >/dev/null 2>&1",
	    pcb, d.host, ctx), 0);
	pem = pcb_test_read(reg.ca_file, NULL);
	target = pcb_xasprintf("%s/team/app:1", reg.host);
	body = json_object_new_object();
	json_object_object_add(body, "source", json_object_new_string("hello:1"));
	targets = json_object_new_array();
	json_object_array_add(targets, json_object_new_string(target));
	json_object_object_add(body, "targets", targets);
	cred = json_object_new_object();
	json_object_object_add(cred, "registry", json_object_new_string(reg.host));
	json_object_object_add(cred, "username", json_object_new_string(reg.username));
	json_object_object_add(cred, "password", json_object_new_string("not-the-password"));
	creds = json_object_new_array();
	json_object_array_add(creds, cred);
	json_object_object_add(body, "credentials", creds);
	cas = json_object_new_object();
	json_object_object_add(cas, reg.host, json_object_new_string(pem));
	json_object_object_add(body, "ca_certs", cas);

	job = run_job("/v1/pushes", json_object_to_json_string(body), NULL);
	ck_assert_str_eq(job_error(job, "code"), "registry_auth");
	ck_assert_msg(strstr(job_error(job, "message"), "authentication failed") != NULL, "%s",
	    job_error(job, "message"));
	ck_assert(strstr(json_object_to_json_string(job), "not-the-password") == NULL);
	json_object_put(job);
	json_object_put(body);
	free(target);
	free(pem);
	pcb_test_registry_stop(&reg);
}
END_TEST

START_TEST(jobs_of_every_kind)
{
	char *out = NULL;

	ck_assert_int_eq(pcb_test_runf(NULL, "%s -H %s build %s -t hello:1 -q >/dev/null 2>&1",
	    pcb, d.host, ctx), 0);
	ck_assert_int_eq(pcb_test_http(&d, "GET", "/v1/jobs?kind=all", NULL, 0, &out), 200);
	ck_assert_msg(strstr(out, "\"kind\":\"build\"") != NULL, "%s", out);
	free(out);
	static const char *const kinds[] = { "build", "push", "pull", "base", "verify" };
	for (size_t i = 0; i < PCB_ARRAY_LEN(kinds); i++) {
		char *path = pcb_xasprintf("/v1/jobs?kind=%s", kinds[i]);
		ck_assert_int_eq(pcb_test_http(&d, "GET", path, NULL, 0, &out), 200);
		ck_assert_msg(strncmp(out, "{\"jobs\":[", 9) == 0, "%s: %s", path, out);
		free(out);
		free(path);
	}
	ck_assert_int_eq(pcb_test_http(&d, "GET", "/v1/jobs?kind=images", NULL, 0, &out), 400);
	ck_assert_msg(strstr(out, "all, build, push, pull, base, verify") != NULL, "%s", out);
	if (pcb_test_schema_available())
		pcb_test_schema_check("Error", out);
	free(out);
	ck_assert_int_eq(pcb_test_http(&d, "GET", "/v1/nothing", NULL, 0, &out), 404);
	if (pcb_test_schema_available())
		pcb_test_schema_check("Error", out);
	free(out);
}
END_TEST

START_TEST(spec_served)
{
	char *path = pcb_path_join(pcb_test_source_dir(), "api/openapi.yaml");
	char *file = pcb_test_read(path, NULL), *out = NULL;

	ck_assert(file != NULL);
	ck_assert_int_eq(pcb_test_http(&d, "GET", "/v1/openapi.yaml", NULL, 0, &out), 200);
	ck_assert_msg(strcmp(out, file) == 0, "GET /v1/openapi.yaml differs from %s (%zu bytes "
	    "served, %zu in the file): rebuild the daemon", path, strlen(out), strlen(file));
	free(out);
	free(file);
	free(path);
}
END_TEST

START_TEST(completion_scripts)
{
	char *out = NULL;

	ck_assert_int_eq(pcb_test_runf(&out, "%s completion bash", pcb), 0);
	ck_assert_msg(strstr(out, "complete -F _pcb pcb") != NULL && strstr(out, "--progress") !=
	    NULL && strstr(out, "rawjson") != NULL && strstr(out, " completion ") != NULL, "%s", out);
	free(out);
	/* bash parses it, and completes a command and a flag with it. */
	ck_assert_int_eq(pcb_test_runf(&out, "bash -c 'source <(%s completion bash); "
	    "COMP_WORDS=(pcb bu); COMP_CWORD=1; _pcb; echo \"${COMPREPLY[*]}\"; "
	    "COMP_WORDS=(pcb build --prog); COMP_CWORD=2; _pcb; echo \"${COMPREPLY[*]}\"; "
	    "COMP_WORDS=(pcb build --progress p); COMP_CWORD=3; _pcb; echo \"${COMPREPLY[*]}\"'",
	    pcb), 0);
	ck_assert_msg(strcmp(out, "build builds\n--progress\nplain\n") == 0, "%s", out);
	free(out);
	ck_assert_int_eq(pcb_test_runf(&out, "%s completion zsh", pcb), 0);
	ck_assert_msg(strncmp(out, "#compdef pcb\n", 13) == 0, "%s", out);
	free(out);
	if (pcb_test_have("zsh"))
		ck_assert_int_eq(pcb_test_runf(NULL, "%s completion zsh | zsh -n", pcb), 0);
	ck_assert_int_eq(pcb_test_runf(&out, "%s completion fish", pcb), 0);
	ck_assert_msg(strstr(out, "-l progress -x -a 'auto tty plain rawjson quiet'") != NULL,
	    "%s", out);
	free(out);
	if (pcb_test_have("fish"))
		ck_assert_int_eq(pcb_test_runf(NULL, "%s completion fish | fish -n", pcb), 0);
	ck_assert_int_eq(pcb_test_runf(NULL, "%s completion tcsh 2>/dev/null", pcb), 2);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("progress");
	TCase *tc = tcase_create("progress");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, tty_live_view);
	tcase_add_test(tc, tty_without_escapes);
	tcase_add_test(tc, plain_and_rawjson);
	tcase_add_test(tc, unreachable_registry);
	tcase_add_test(tc, wrong_password);
	tcase_add_test(tc, not_found_resolution_timeout);
	tcase_add_test(tc, jobs_of_every_kind);
	tcase_add_test(tc, spec_served);
	tcase_add_test(tc, completion_scripts);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
