/* test-users.c — the daemon shared by several users (issue 13): real accounts made with
 * useradd for the suite (removed afterwards) talk to one root daemon over its socket. Each
 * sees only their own jobs (another's answers 404, an admin sees all), builds only what they
 * may read, gets outputs they own and only where they may write, cannot make the daemon
 * quote a file they may not read, and cannot prune the cache unless admin. */
#include <check.h>
#include <grp.h>
#include <json-c/json.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/jsonx.h"
#include "base/util.h"
#include "ocicheck.h"
#include "regfix.h"
#include "testutil.h"

static char alice[32], bob[32], carol[32], admins[32];
static uid_t alice_uid, bob_uid;
static struct pcb_test_daemon d;
static char *top;            /* 0711 folder the users' files live under */
static bool ready;
static char *setup_error;

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static json_object *
parse(const char *s)
{
	json_object *j = json_tokener_parse(s != NULL ? s : "");
	ck_assert_msg(j != NULL, "not JSON: %s", s != NULL ? s : "(null)");
	return j;
}

static const char *
jstr(json_object *j, const char *path)
{
	return json_object_get_string(pcb_test_jget(j, path));
}

/* A request as `user` (runuser + curl over the daemon's socket): the HTTP status, the body in
 * *out (caller frees). body may be NULL. */
static long
as_http(const char *user, const char *method, const char *path, const char *body, char **out)
{
	char *bf = NULL, *text = NULL, *nl;
	long status = -1;
	int rc;

	if (body != NULL) {
		static int n;
		char name[32];
		snprintf(name, sizeof name, "body-%d.json", n++);
		pcb_test_write(top, name, body, 0644);
		bf = pcb_path_join(top, name);
	}
	rc = pcb_test_runf(&text, "runuser -u %s -- curl -s --max-time 60 --unix-socket '%s' "
	    "-X %s %s%s%s -w '\\n%%{http_code}' 'http://localhost%s'", user, d.sock, method,
	    bf != NULL ? "-H 'Content-Type: application/json' --data-binary @'" : "",
	    bf != NULL ? bf : "", bf != NULL ? "'" : "", path);
	ck_assert_msg(rc == 0, "curl as %s: %s", user, text);
	nl = strrchr(text, '\n');
	if (nl != NULL) {
		status = strtol(nl + 1, NULL, 10);
		*nl = '\0';
	}
	*out = text;
	free(bf);
	return status;
}

/* The same as root, the daemon's own user (an admin). */
static long
as_root(const char *method, const char *path, const char *body, char **out)
{
	return pcb_test_http(&d, method, path, body, body != NULL ? strlen(body) : 0, out);
}

/* Polls the job (as root) until it has finished; returns it. */
static json_object *
wait_done(const char *id)
{
	int64_t deadline = pcb_monotonic_ms() + 120000;
	char *path = pcb_xasprintf("/v1/jobs/%s", id);

	for (;;) {
		char *body = NULL;
		json_object *j;
		const char *st;

		ck_assert_int_eq(as_root("GET", path, NULL, &body), 200);
		j = parse(body);
		free(body);
		st = jstr(j, "state");
		if (strcmp(st, "succeeded") == 0 || strcmp(st, "failed") == 0 ||
		    strcmp(st, "cancelled") == 0) {
			free(path);
			return j;
		}
		json_object_put(j);
		ck_assert_msg(pcb_monotonic_ms() < deadline, "job %s did not finish", id);
		sleep_ms(50);
	}
}

/* Submits a build as user; returns its id (caller frees), failing unless 202. */
static char *
submit_as(const char *user, const char *spec)
{
	char *out = NULL, *id;
	long st = as_http(user, "POST", "/v1/builds", spec, &out);
	json_object *j;

	ck_assert_msg(st == 202, "POST /v1/builds as %s: %ld %s", user, st, out);
	j = parse(out);
	id = pcb_xstrdup(jstr(j, "id"));
	ck_assert_str_eq(jstr(j, "owner"), user);
	json_object_put(j);
	free(out);
	return id;
}

/* A small project owned by user under top/<name>. Returns its path (caller frees). */
static char *
user_project(const char *user, const char *name, mode_t mode)
{
	char *dir = pcb_path_join(top, name);

	pcb_test_write(dir, "pyproject.toml", "[project]\nname = \"t\"\nversion = \"1.0\"\n\n"
	    "[project.scripts]\nt = \"t.cli:main\"\n", 0644);
	pcb_test_write(dir, "t/__init__.py", "", 0644);
	pcb_test_write(dir, "t/cli.py", "def main():\n    print(\"hello\")\n", 0644);
	ck_assert_int_eq(pcb_test_runf(NULL, "chown -R %s: '%s' && chmod %o '%s'", user, dir,
	    (unsigned)mode, dir), 0);
	return dir;
}

static void
suite_setup(void)
{
	char *out = NULL;
	int n = (int)(getpid() % 100000);
	struct passwd *pw;

	ready = false;
	if (geteuid() != 0) {
		setup_error = pcb_xstrdup("these tests make users with useradd: run them as root");
		return;
	}
	snprintf(alice, sizeof alice, "pcbalice%d", n);
	snprintf(bob, sizeof bob, "pcbbob%d", n);
	snprintf(carol, sizeof carol, "pcbcarol%d", n);
	snprintf(admins, sizeof admins, "pcbadm%d", n);
	if (pcb_test_runf(&out, "groupadd %s && useradd -M -U -s /bin/sh %s && "
	    "useradd -M -U -s /bin/sh %s && useradd -M -U -s /bin/sh -G %s %s 2>&1", admins, alice,
	    bob, admins, carol) != 0) {
		setup_error = pcb_xasprintf("useradd: %s", out);
		free(out);
		return;
	}
	free(out);
	pw = getpwnam(alice);
	alice_uid = pw->pw_uid;
	pw = getpwnam(bob);
	bob_uid = pw->pw_uid;
	top = pcb_test_tmpdir();
	chmod(top, 0711);
	{
		char *args = pcb_xasprintf("--admin-group %s", admins);
		pcb_test_daemon_start(&d, NULL, args);
		free(args);
	}
	/* Everyone may connect (a team box gives the socket to a group; here, to all). */
	chmod(d.dir, 0711);
	chmod(d.sock, 0666);
	ready = true;
}

static void
suite_teardown(void)
{
	if (ready) {
		pcb_test_daemon_stop(&d);
		pcb_test_daemon_free(&d, true);
		pcb_test_rmtree(top);
		free(top);
	}
	if (alice[0] != '\0')
		(void)pcb_test_runf(NULL, "userdel %s; userdel %s; userdel %s; groupdel %s; true "
		    ">/dev/null 2>&1", alice, bob, carol, admins);
	free(setup_error);
	setup_error = NULL;
}

#define NEED_READY() do { \
	ck_assert_msg(ready, "suite setup: %s", setup_error != NULL ? setup_error : "?"); \
} while (0)

/* Alice's build is hers: bob gets 404 for it everywhere (read, events, cancel, the list),
 * an admin-group member and root see it, and alice sees her own. */
START_TEST(test_jobs_are_the_owners)
{
	char *proj, *spec, *id, *path, *out = NULL;
	json_object *j;

	NEED_READY();
	proj = user_project(alice, "a-jobs", 0755);
	spec = pcb_xasprintf("{\"context\": \"%s\"}", proj);
	id = submit_as(alice, spec);
	j = wait_done(id);
	ck_assert_str_eq(jstr(j, "owner"), alice);
	json_object_put(j);

	path = pcb_xasprintf("/v1/builds/%s", id);
	ck_assert_int_eq(as_http(alice, "GET", path, NULL, &out), 200);
	free(out);
	ck_assert_int_eq(as_http(bob, "GET", path, NULL, &out), 404);
	ck_assert_msg(strstr(out, "not_found") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(as_http(carol, "GET", path, NULL, &out), 200);
	free(out);
	free(path);
	path = pcb_xasprintf("/v1/jobs/%s/events", id);
	ck_assert_int_eq(as_http(bob, "GET", path, NULL, &out), 404);
	free(out);
	free(path);
	path = pcb_xasprintf("/v1/builds/%s", id);
	ck_assert_int_eq(as_http(bob, "DELETE", path, NULL, &out), 404);
	ck_assert_msg(strstr(out, "not_found") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(as_http(alice, "DELETE", path, NULL, &out), 409);   /* hers: finished */
	free(out);
	free(path);
	ck_assert_int_eq(as_http(bob, "GET", "/v1/jobs", NULL, &out), 200);
	ck_assert_msg(strstr(out, id) == NULL, "bob's list shows alice's job: %s", out);
	free(out);
	ck_assert_int_eq(as_http(alice, "GET", "/v1/builds", NULL, &out), 200);
	ck_assert_msg(strstr(out, id) != NULL, "alice's list lacks her job: %s", out);
	free(out);
	ck_assert_int_eq(as_root("GET", "/v1/builds", NULL, &out), 200);
	ck_assert_msg(strstr(out, id) != NULL, "root's list lacks alice's job: %s", out);
	free(out);
	free(id);
	free(spec);
	free(proj);
}
END_TEST

/* Files are read and written with the caller's rights: bob's 0700 project and a root-only
 * file inside alice's own project do not reach her image; her output belongs to her; she
 * cannot write where she may not, into a folder that is neither empty nor a layout, or
 * through a symlink. */
START_TEST(test_files_with_the_callers_rights)
{
	char *aproj, *bproj, *spec, *id, *outdir, *p;
	json_object *j;
	struct stat st;

	NEED_READY();
	bproj = user_project(bob, "b-secret", 0700);
	spec = pcb_xasprintf("{\"context\": \"%s\"}", bproj);
	{
		char *out = NULL;
		long s = as_http(alice, "POST", "/v1/builds", spec, &out);
		ck_assert_msg(s == 400 || s == 403, "bob's 0700 project as alice: %ld %s", s, out);
		ck_assert_msg(strstr(out, "ermission denied") != NULL, "%s", out);
		free(out);
	}
	free(spec);

	/* A root-only file in her own project: the build fails naming it, nothing packed. */
	aproj = user_project(alice, "a-rootfile", 0755);
	pcb_test_write(aproj, "t/secret.txt", "TOP SECRET\n", 0600);   /* root's */
	spec = pcb_xasprintf("{\"context\": \"%s\"}", aproj);
	id = submit_as(alice, spec);
	j = wait_done(id);
	ck_assert_str_eq(jstr(j, "state"), "failed");
	ck_assert_msg(strstr(jstr(j, "error.message"), "secret.txt") != NULL &&
	    strstr(jstr(j, "error.message"), "ermission denied") != NULL, "%s",
	    jstr(j, "error.message"));
	json_object_put(j);
	free(id);
	free(spec);
	p = pcb_path_join(aproj, "t/secret.txt");
	unlink(p);
	free(p);

	/* Her output is hers. */
	outdir = pcb_path_join(top, "a-out");
	pcb_test_mkdir(top, "a-out");
	ck_assert_int_eq(pcb_test_runf(NULL, "chown %s: '%s'", alice, outdir), 0);
	spec = pcb_xasprintf("{\"context\": \"%s\", \"outputs\": [{\"type\": \"oci-layout\", "
	    "\"path\": \"%s/img\"}]}", aproj, outdir);
	id = submit_as(alice, spec);
	j = wait_done(id);
	ck_assert_msg(strcmp(jstr(j, "state"), "succeeded") == 0, "%s", jstr(j, "error.message"));
	json_object_put(j);
	free(id);
	free(spec);
	p = pcb_xasprintf("%s/img/index.json", outdir);
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert_uint_eq(st.st_uid, alice_uid);
	free(p);
	{
		char *out = NULL;
		ck_assert_int_eq(pcb_test_runf(&out, "find '%s/img' ! -user %s", outdir, alice), 0);
		ck_assert_msg(out[0] == '\0', "files in alice's output not hers: %s", out);
		free(out);
	}

	/* Where she may not write: /etc, and bob's 0700 folder. */
	{
		for (size_t i = 0; i < 2; i++) {
			char *dst = i == 0 ? pcb_xasprintf("/etc/pcb-users-test-%d", (int)getpid()) :
			    pcb_xasprintf("%s/b-secret/out", top);
			spec = pcb_xasprintf("{\"context\": \"%s\", \"outputs\": [{\"type\": "
			    "\"oci-layout\", \"path\": \"%s\"}]}", aproj, dst);
			char *out = NULL;
			long s = as_http(alice, "POST", "/v1/builds", spec, &out);
			if (s == 202) {
				json_object *sj = parse(out);
				j = wait_done(jstr(sj, "id"));
				json_object_put(sj);
				ck_assert_str_eq(jstr(j, "state"), "failed");
				ck_assert_msg(strstr(jstr(j, "error.message"), "ermission denied") != NULL,
				    "%s", jstr(j, "error.message"));
				json_object_put(j);
			} else {
				ck_assert_msg(s == 400 || s == 403, "%s: %ld %s", dst, s, out);
			}
			free(out);
			ck_assert_msg(access(dst, F_OK) != 0, "%s was created", dst);
			free(dst);
			free(spec);
		}
	}

	/* A folder holding other files, and a path through a symlink: refused. */
	pcb_test_write(outdir, "notes/readme.txt", "mine\n", 0644);
	ck_assert_int_eq(pcb_test_runf(NULL, "chown -R %s: '%s' && ln -s '%s' '%s/link' && "
	    "chown -h %s: '%s/link'", alice, outdir, outdir, top, alice, top), 0);
	{
		static const char *const bad[] = { "a-out/notes", "link/img2" };
		static const char *const why[] = { "neither empty nor an OCI layout",
			"symbolic link" };
		for (size_t i = 0; i < 2; i++) {
			char *dst = pcb_path_join(top, bad[i]), *out = NULL;
			long s;
			spec = pcb_xasprintf("{\"context\": \"%s\", \"outputs\": [{\"type\": "
			    "\"oci-layout\", \"path\": \"%s\"}]}", aproj, dst);
			s = as_http(alice, "POST", "/v1/builds", spec, &out);
			ck_assert_msg(s == 202, "%ld %s", s, out);
			{
				json_object *sj = parse(out);
				j = wait_done(jstr(sj, "id"));
				json_object_put(sj);
			}
			ck_assert_str_eq(jstr(j, "state"), "failed");
			ck_assert_msg(strstr(jstr(j, "error.message"), why[i]) != NULL, "%s: %s", dst,
			    jstr(j, "error.message"));
			json_object_put(j);
			free(out);
			free(dst);
			free(spec);
		}
		p = pcb_path_join(outdir, "notes/readme.txt");
		ck_assert_msg(access(p, F_OK) == 0, "the folder's own file is gone");
		free(p);
		p = pcb_path_join(outdir, "notes/index.json");
		ck_assert_msg(access(p, F_OK) != 0, "written into a folder of other files");
		free(p);
	}
	free(outdir);
	free(aproj);
	free(bproj);
}
END_TEST

/* /etc/shadow named as a requirements file, or included from one with -r: the error names
 * the file and the reason, and holds nothing of its contents. */
START_TEST(test_unreadable_requirements_not_quoted)
{
	char *aproj, *spec, *id, *shadow_line = NULL;
	json_object *j;

	NEED_READY();
	ck_assert_int_eq(pcb_test_runf(&shadow_line, "head -n1 /etc/shadow | cut -d: -f1-2"), 0);
	ck_assert_msg(strlen(shadow_line) > 3, "no /etc/shadow line");
	shadow_line[strcspn(shadow_line, "\n")] = '\0';
	aproj = user_project(alice, "a-shadow", 0755);
	for (int form = 0; form < 2; form++) {
		if (form == 0) {
			spec = pcb_xasprintf("{\"context\": \"%s\", \"dependencies\": {\"requirements\": "
			    "[\"/etc/shadow\"], \"index_url\": \"http://127.0.0.1:9/simple\"}}", aproj);
		} else {
			pcb_test_write(aproj, "requirements.txt", "-r /etc/shadow\n", 0644);
			spec = pcb_xasprintf("{\"context\": \"%s\", \"dependencies\": {\"index_url\": "
			    "\"http://127.0.0.1:9/simple\"}}", aproj);
		}
		{
			char *out = NULL;
			long s = as_http(alice, "POST", "/v1/builds", spec, &out);
			if (s == 202) {
				json_object *sj = parse(out);
				id = pcb_xstrdup(jstr(sj, "id"));
				json_object_put(sj);
				j = wait_done(id);
				free(out);
				out = pcb_xstrdup(pcb_json_str(j));
				ck_assert_str_eq(jstr(j, "state"), "failed");
				json_object_put(j);
				{
					/* The events too. */
					char *ev = NULL, *path = pcb_xasprintf("/v1/jobs/%s/events", id);
					ck_assert_int_eq(as_http(alice, "GET", path, NULL, &ev), 200);
					ck_assert_msg(strstr(ev, shadow_line) == NULL, "events quote shadow");
					free(ev);
					free(path);
				}
				free(id);
			}
			ck_assert_msg(strstr(out, shadow_line) == NULL, "form %d quotes /etc/shadow: %s",
			    form, out);
			ck_assert_msg(strstr(out, "/etc/shadow") != NULL && (strstr(out, "ermission "
			    "denied") != NULL || strstr(out, "Errno 13") != NULL), "form %d: %s", form,
			    out);
			free(out);
		}
		free(spec);
	}
	free(aproj);
	free(shadow_line);
}
END_TEST

/* Pruning and verifying the cache: admins only. */
START_TEST(test_cache_admin_only)
{
	char *out = NULL;

	NEED_READY();
	ck_assert_int_eq(as_http(alice, "POST", "/v1/cache/prune", "{\"dry_run\": true}", &out),
	    403);
	ck_assert_msg(strstr(out, "permission_denied") != NULL && strstr(out, admins) != NULL,
	    "%s", out);
	free(out);
	ck_assert_int_eq(as_http(alice, "POST", "/v1/cache/verify", "{}", &out), 403);
	free(out);
	ck_assert_int_eq(as_http(carol, "POST", "/v1/cache/prune", "{\"dry_run\": true}", &out),
	    200);
	free(out);
	ck_assert_int_eq(as_http(alice, "GET", "/v1/cache", NULL, &out), 200);
	free(out);
}
END_TEST

/* A base from the host's Python runs the interpreter named, as root: a user's own script is
 * refused (403 naming it), the system's python3 is not. */
START_TEST(test_base_interpreter_must_be_the_systems)
{
	char *script, *spec, *out = NULL;
	long st;

	NEED_READY();
	script = pcb_path_join(top, "a-python3");
	pcb_test_write(top, "a-python3", "#!/bin/sh\ntouch /etc/pcb-owned-by-alice\n", 0755);
	ck_assert_int_eq(pcb_test_runf(NULL, "chown %s: '%s'", alice, script), 0);
	spec = pcb_xasprintf("{\"python\": \"%s\", \"tag\": \"mybase:1\"}", script);
	st = as_http(alice, "POST", "/v1/bases", spec, &out);
	ck_assert_msg(st == 403 && strstr(out, "not a system file") != NULL, "%ld %s", st, out);
	ck_assert_msg(access("/etc/pcb-owned-by-alice", F_OK) != 0, "alice's script ran as root");
	free(out);
	free(spec);
	spec = pcb_xstrdup("{\"python\": \"/usr/bin/python3\", \"tag\": \"mybase:1\"}");
	st = as_http(alice, "POST", "/v1/bases", spec, &out);
	ck_assert_msg(st == 202, "the system python3: %ld %s", st, out);
	{
		json_object *sj = parse(out);
		json_object *j = wait_done(jstr(sj, "id"));
		json_object_put(sj);
		json_object_put(j);
	}
	free(out);
	free(spec);
	free(script);
}
END_TEST

/* A user outside the socket's group is told to join it (by name), not to start a daemon;
 * one in the group gets through. */
START_TEST(test_socket_group_message)
{
	char *out = NULL;
	int rc;

	NEED_READY();
	ck_assert_int_eq(pcb_test_runf(NULL, "chgrp %s '%s' && chmod 0660 '%s'", admins, d.sock,
	    d.sock), 0);
	rc = pcb_test_runf(&out, "runuser -u %s -- %s/pcb -H '%s' builds 2>&1", alice,
	    pcb_test_build_dir(), d.host);
	ck_assert_int_ne(rc, 0);
	ck_assert_msg(strstr(out, "permission denied") != NULL && strstr(out, admins) != NULL &&
	    strstr(out, "usermod -aG") != NULL && strstr(out, "Start one with") == NULL, "%s",
	    out);
	free(out);
	rc = pcb_test_runf(&out, "runuser -u %s -- %s/pcb -H '%s' builds 2>&1", carol,
	    pcb_test_build_dir(), d.host);
	ck_assert_msg(rc == 0, "%s", out);
	free(out);
	ck_assert_int_eq(chmod(d.sock, 0666), 0);
}
END_TEST

/* The manifest digest of a finished, succeeded build (caller frees). */
static char *
built_digest(json_object *j)
{
	ck_assert_msg(strcmp(jstr(j, "state"), "succeeded") == 0, "%s", jstr(j, "error.message"));
	return pcb_xstrdup(jstr(j, "result.manifest.digest"));
}

/* Tags are per owner: alice's app:1 and bob's app:1 are different images, each found as a base
 * by its owner only; root's tags are shared (everyone may build on them); another user's tag
 * cannot be named through its store key. */
START_TEST(test_tags_per_owner)
{
	char *pa, *pb, *pr, *spec, *id, *da, *db, *dr;
	const char *users[2];
	char *digests[2];
	json_object *j;

	NEED_READY();
	pa = user_project(alice, "a-tag", 0755);
	pcb_test_write(pa, "t/who.py", "WHO = 'alice'\n", 0644);
	pb = user_project(bob, "b-tag", 0755);
	pcb_test_write(pb, "t/who.py", "WHO = 'bob'\n", 0644);
	spec = pcb_xasprintf("{\"context\": \"%s\", \"tags\": [\"app:1\"]}", pa);
	id = submit_as(alice, spec);
	j = wait_done(id);
	da = built_digest(j);
	json_object_put(j);
	free(id);
	free(spec);
	spec = pcb_xasprintf("{\"context\": \"%s\", \"tags\": [\"app:1\"]}", pb);
	id = submit_as(bob, spec);
	j = wait_done(id);
	db = built_digest(j);
	json_object_put(j);
	free(id);
	free(spec);
	ck_assert_str_ne(da, db);

	/* Root's image under a shared name. */
	pr = pcb_path_join(top, "r-tag");
	pcb_test_write(pr, "main.py", "print('shared')\n", 0644);
	spec = pcb_xasprintf("{\"context\": \"%s\", \"tags\": [\"team-base:1\"]}", pr);
	{
		char *out = NULL;
		json_object *sj;
		ck_assert_int_eq(as_root("POST", "/v1/builds", spec, &out), 202);
		sj = parse(out);
		j = wait_done(jstr(sj, "id"));
		json_object_put(sj);
		free(out);
	}
	dr = built_digest(j);
	json_object_put(j);
	free(spec);

	/* Each builds on "app:1" and gets their own; both may build on the shared one. */
	users[0] = alice;
	users[1] = bob;
	digests[0] = da;
	digests[1] = db;
	for (int u = 0; u < 2; u++) {
		const char *proj = u == 0 ? pa : pb;
		spec = pcb_xasprintf("{\"context\": \"%s\", \"base_image\": \"app:1\"}", proj);
		id = submit_as(users[u], spec);
		j = wait_done(id);
		ck_assert_msg(strcmp(jstr(j, "state"), "succeeded") == 0, "%s on app:1: %s", users[u],
		    jstr(j, "error.message"));
		ck_assert_str_eq(jstr(j, "result.base.digest"), digests[u]);
		json_object_put(j);
		free(id);
		free(spec);
		spec = pcb_xasprintf("{\"context\": \"%s\", \"base_image\": \"team-base:1\"}",
		    proj);
		id = submit_as(users[u], spec);
		j = wait_done(id);
		ck_assert_msg(strcmp(jstr(j, "state"), "succeeded") == 0, "%s on team-base:1: %s",
		    users[u], jstr(j, "error.message"));
		ck_assert_str_eq(jstr(j, "result.base.digest"), dr);
		json_object_put(j);
		free(id);
		free(spec);
	}
	/* Bob's image through its store key: not alice's to name. */
	spec = pcb_xasprintf("{\"context\": \"%s\", \"base_image\": \"~%u/app:1\"}", pa,
	    (unsigned)bob_uid);
	{
		char *out = NULL;
		long st = as_http(alice, "POST", "/v1/builds", spec, &out);
		if (st == 202) {
			json_object *sj = parse(out);
			j = wait_done(jstr(sj, "id"));
			json_object_put(sj);
			ck_assert_str_eq(jstr(j, "state"), "failed");
			ck_assert_msg(jstr(j, "result.base.digest") == NULL ||
			    strcmp(jstr(j, "result.base.digest"), db) != 0, "alice got bob's image");
			json_object_put(j);
		} else {
			ck_assert_msg(st == 400, "%ld %s", st, out);
		}
		free(out);
	}
	free(spec);
	free(da);
	free(db);
	free(dr);
	free(pa);
	free(pb);
	free(pr);
}
END_TEST

/* A file's text as a JSON string literal (caller frees). */
static char *
json_file(const char *path)
{
	char *text = pcb_test_read(path, NULL);
	json_object *s = json_object_new_string(text);
	char *out = pcb_xstrdup(json_object_to_json_string(s));

	json_object_put(s);
	free(text);
	return out;
}

/* Registry credentials are one job's: alice's build pushes with her password; bob, pushing to
 * the same registry without one, is refused (nothing of hers is reused: no token, no
 * password), cannot push her build (404), and her password is in no answer, event, state file
 * or log. */
START_TEST(test_registry_credentials_per_user)
{
	struct pcb_test_registry reg;
	char *pa, *pb, *pem, *spec, *id, *out = NULL, *path;
	json_object *j;
	long st;

	NEED_READY();
	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_BASIC_TLS);
	pem = json_file(reg.ca_file);
	pa = user_project(alice, "a-push", 0755);
	spec = pcb_xasprintf("{\"context\": \"%s\", \"push\": true, \"tags\": "
	    "[\"%s/alice/app:1\"], \"credentials\": [{\"registry\": \"%s\", \"username\": "
	    "\"%s\", \"password\": \"%s\"}], \"ca_certs\": {\"%s\": %s}}", pa, reg.host,
	    reg.host, reg.username, reg.password, reg.host, pem);
	st = as_http(alice, "POST", "/v1/builds", spec, &out);
	ck_assert_msg(st == 202 && strstr(out, reg.password) == NULL, "%ld %s", st, out);
	j = parse(out);
	id = pcb_xstrdup(jstr(j, "id"));
	json_object_put(j);
	free(out);
	free(spec);
	j = wait_done(id);
	ck_assert_msg(strcmp(jstr(j, "state"), "succeeded") == 0, "%s", jstr(j, "error.message"));
	json_object_put(j);

	/* Bob: her build is not his to push; his own push has no credentials and fails. */
	spec = pcb_xasprintf("{\"source\": \"%s\", \"targets\": [\"%s/bob/copy:1\"], "
	    "\"ca_certs\": {\"%s\": %s}}", id, reg.host, reg.host, pem);
	st = as_http(bob, "POST", "/v1/pushes", spec, &out);
	ck_assert_msg(st == 404, "bob pushing alice's build: %ld %s", st, out);
	free(out);
	free(spec);
	pb = user_project(bob, "b-push", 0755);
	spec = pcb_xasprintf("{\"context\": \"%s\", \"push\": true, \"tags\": "
	    "[\"%s/alice/app:2\"], \"ca_certs\": {\"%s\": %s}}", pb, reg.host, reg.host, pem);
	{
		json_object *sj;
		st = as_http(bob, "POST", "/v1/builds", spec, &out);
		ck_assert_msg(st == 202, "%ld %s", st, out);
		sj = parse(out);
		j = wait_done(jstr(sj, "id"));
		json_object_put(sj);
		free(out);
	}
	ck_assert_str_eq(jstr(j, "state"), "failed");
	ck_assert_msg(strstr(jstr(j, "error.message"), "none were given") != NULL, "%s",
	    jstr(j, "error.message"));
	json_object_put(j);
	free(spec);

	/* Her password: not in her job as root sees it, its events, the state dir or the log. */
	path = pcb_xasprintf("/v1/jobs/%s", id);
	ck_assert_int_eq(as_root("GET", path, NULL, &out), 200);
	ck_assert(strstr(out, reg.password) == NULL);
	free(out);
	free(path);
	path = pcb_xasprintf("/v1/jobs/%s/events", id);
	ck_assert_int_eq(as_http(alice, "GET", path, NULL, &out), 200);
	ck_assert(strstr(out, reg.password) == NULL);
	free(out);
	free(path);
	st = pcb_test_runf(&out, "grep -rlaF -- '%s' '%s' '%s'", reg.password, d.state, d.log);
	ck_assert_msg(st == 1, "the password was found: %s", out);
	free(out);

	pcb_test_registry_stop(&reg);
	free(id);
	free(pem);
	free(pa);
	free(pb);
}
END_TEST

/* The same requests against another daemon (the limits tests start their own). */
static long
as_http_to(const struct pcb_test_daemon *dm, const char *user, const char *method,
    const char *path, const char *body, char **out)
{
	struct pcb_test_daemon keep = d;
	long st;

	d = *dm;
	st = as_http(user, method, path, body, out);
	d = keep;
	return st;
}

/* A listening socket nobody answers: pip waits on it, keeping a worker busy. */
static int
silent_listener(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 64) == 0);
	ck_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void
wait_state(const struct pcb_test_daemon *dm, const char *id, const char *state)
{
	int64_t deadline = pcb_monotonic_ms() + 60000;
	char *path = pcb_xasprintf("/v1/jobs/%s", id);

	for (;;) {
		char *body = NULL;
		json_object *j;
		bool hit;

		ck_assert_int_eq(pcb_test_http(dm, "GET", path, NULL, 0, &body), 200);
		j = parse(body);
		hit = strcmp(jstr(j, "state"), state) == 0;
		json_object_put(j);
		free(body);
		if (hit)
			break;
		ck_assert_msg(pcb_monotonic_ms() < deadline, "%s never %s", id, state);
		sleep_ms(50);
	}
	free(path);
}

/* Per-user limits: with the one worker busy, alice may queue two builds and gets 429 naming
 * the limit for a third; bob, under his own limit, is not affected. */
START_TEST(test_user_limits)
{
	struct pcb_test_daemon dm;
	char *proj, *proj_b, *blocker, *spec, *out = NULL, *ids[4];
	int lfd, port;
	size_t n = 0;
	long st;

	NEED_READY();
	pcb_test_daemon_start(&dm, NULL, "--workers 1 --user-max-queued 2 --user-max-running 1");
	chmod(dm.dir, 0711);
	chmod(dm.sock, 0666);
	lfd = silent_listener(&port);
	blocker = pcb_path_join(top, "blocker");
	pcb_test_write(blocker, "main.py", "print(1)\n", 0644);
	pcb_test_write(blocker, "requirements.txt", "flask\n", 0644);
	spec = pcb_xasprintf("{\"context\": \"%s\", \"dependencies\": {\"index_url\": "
	    "\"http://127.0.0.1:%d/simple\"}}", blocker, port);
	ck_assert_int_eq(pcb_test_http(&dm, "POST", "/v1/builds", spec, strlen(spec), &out), 202);
	{
		json_object *j = parse(out);
		ids[n++] = pcb_xstrdup(jstr(j, "id"));
		json_object_put(j);
	}
	free(out);
	free(spec);
	wait_state(&dm, ids[0], "running");

	proj = user_project(alice, "a-limits", 0755);
	spec = pcb_xasprintf("{\"context\": \"%s\"}", proj);
	for (int i = 0; i < 2; i++) {
		json_object *j;
		st = as_http_to(&dm, alice, "POST", "/v1/builds", spec, &out);
		ck_assert_msg(st == 202, "alice's build %d: %ld %s", i, st, out);
		j = parse(out);
		ids[n++] = pcb_xstrdup(jstr(j, "id"));
		json_object_put(j);
		free(out);
	}
	st = as_http_to(&dm, alice, "POST", "/v1/builds", spec, &out);
	ck_assert_msg(st == 429 && strstr(out, "too_many_requests") != NULL &&
	    strstr(out, "user_max_queued = 2") != NULL, "alice's third build: %ld %s", st, out);
	free(out);
	free(spec);
	proj_b = user_project(bob, "b-limits", 0755);
	spec = pcb_xasprintf("{\"context\": \"%s\"}", proj_b);
	st = as_http_to(&dm, bob, "POST", "/v1/builds", spec, &out);
	ck_assert_msg(st == 202, "bob's build: %ld %s", st, out);
	free(out);
	free(spec);

	/* Cancelling the blocker lets the rest run; every job ends. */
	for (size_t i = 0; i < n; i++) {
		char *path = pcb_xasprintf("/v1/jobs/%s", ids[i]);
		(void)pcb_test_http(&dm, "DELETE", path, NULL, 0, NULL);
		free(path);
		free(ids[i]);
	}
	close(lfd);
	ck_assert_int_eq(pcb_test_daemon_stop(&dm), 0);
	pcb_test_daemon_free(&dm, true);
	free(proj);
	free(proj_b);
	free(blocker);
}
END_TEST

/* 2,000 idle connections from alice do not lock bob out: past her share they are closed, and
 * bob's requests and build go through while hers stay open. */
START_TEST(test_idle_connections)
{
	char *script, *readyf, *proj, *spec, *id, *out = NULL;
	json_object *j;
	pid_t pid;
	int64_t deadline;

	NEED_READY();
	script = pcb_path_join(top, "idle.py");
	readyf = pcb_path_join(top, "idle.ready");
	pcb_test_write(top, "idle.py",
	    "import resource, socket, sys, time\n"
	    "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
	    "resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))\n"
	    "conns = []\n"
	    "for i in range(2000):\n"
	    "    s = socket.socket(socket.AF_UNIX)\n"
	    "    s.connect(sys.argv[1])\n"
	    "    conns.append(s)\n"
	    "open(sys.argv[2], 'w').write(str(len(conns)))\n"
	    "time.sleep(300)\n", 0644);
	chmod(top, 0777);   /* alice writes the ready file */
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exec 2>/dev/null; exec runuser -u \"$0\" -- python3 \"$1\" "
		    "\"$2\" \"$3\"", alice, script, d.sock, readyf, (char *)NULL);
		_exit(127);
	}
	deadline = pcb_monotonic_ms() + 60000;
	while (access(readyf, F_OK) != 0) {
		int status;
		ck_assert_msg(waitpid(pid, &status, WNOHANG) == 0, "the idle script ended early");
		ck_assert_msg(pcb_monotonic_ms() < deadline, "alice's connections never opened");
		sleep_ms(50);
	}
	chmod(top, 0711);
	/* Bob gets answers and a build while alice's 2,000 connections are open. */
	ck_assert_int_eq(as_http(bob, "GET", "/v1/health", NULL, &out), 200);
	free(out);
	proj = user_project(bob, "b-conn", 0755);
	spec = pcb_xasprintf("{\"context\": \"%s\"}", proj);
	id = submit_as(bob, spec);
	j = wait_done(id);
	ck_assert_str_eq(jstr(j, "state"), "succeeded");
	json_object_put(j);
	ck_assert_msg(waitpid(pid, NULL, WNOHANG) == 0, "alice's script is gone");
	(void)pcb_test_runf(NULL, "pkill -u %s python3; true", alice);
	(void)waitpid(pid, NULL, 0);
	free(id);
	free(spec);
	free(proj);
	free(script);
	free(readyf);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("users");
	TCase *tc = tcase_create("users");

	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_jobs_are_the_owners);
	tcase_add_test(tc, test_files_with_the_callers_rights);
	tcase_add_test(tc, test_unreadable_requirements_not_quoted);
	tcase_add_test(tc, test_cache_admin_only);
	tcase_add_test(tc, test_socket_group_message);
	tcase_add_test(tc, test_base_interpreter_must_be_the_systems);
	tcase_add_test(tc, test_tags_per_owner);
	tcase_add_test(tc, test_registry_credentials_per_user);
	tcase_add_test(tc, test_user_limits);
	tcase_add_test(tc, test_idle_connections);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
