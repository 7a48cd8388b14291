/* test-openapi.c — api/openapi.yaml and the daemon's route table describe the same API:
 * every (method, path, operationId) of one is in the other. The yaml is read line by line
 * (its layout is kept regular on purpose, see its header); the table comes from
 * `pycontainerd --print-routes`. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "testutil.h"

/* "METHOD PATH OPID" lines from the yaml's paths section, sorted. */
static void
read_spec_ops(struct pcb_strv *out)
{
	char *path = pcb_path_join(pcb_test_source_dir(), "api/openapi.yaml");
	char *text = pcb_test_read(path, NULL);
	char cur_path[256] = "", cur_method[16] = "";
	bool in_paths = false;

	ck_assert_msg(text != NULL, "cannot read %s", path);
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if (line[0] != ' ' && line[0] != '#') {
			in_paths = strcmp(line, "paths:") == 0;
			continue;
		}
		if (!in_paths)
			continue;
		if (strncmp(line, "  /", 3) == 0) {
			size_t n = strlen(line);
			ck_assert_msg(line[n - 1] == ':', "bad path line: %s", line);
			ck_assert(n - 3 < sizeof cur_path);
			memcpy(cur_path, line + 2, n - 3);
			cur_path[n - 3] = '\0';
			cur_method[0] = '\0';
		} else if (strncmp(line, "    ", 4) == 0 && line[4] != ' ') {
			static const char *const methods[] = { "get", "post", "put", "delete",
			    "patch", "head", "options" };
			cur_method[0] = '\0';
			for (size_t i = 0; i < PCB_ARRAY_LEN(methods); i++) {
				size_t n = strlen(methods[i]);
				if (strncmp(line + 4, methods[i], n) == 0 && strcmp(line + 4 + n, ":") == 0) {
					for (size_t k = 0; k <= n; k++)
						cur_method[k] = (char)(methods[i][k] >= 'a' ?
						    methods[i][k] - 32 : methods[i][k]);
				}
			}
		} else if (cur_method[0] != '\0' && strncmp(line, "      operationId: ", 19) == 0) {
			pcb_strv_push_owned(out, pcb_xasprintf("%s %s %s", cur_method, cur_path,
			    line + 19));
			cur_method[0] = '\0';
		}
	}
	pcb_strv_sort(out);
	free(text);
	free(path);
}

static void
read_route_table(struct pcb_strv *out)
{
	char *output = NULL;
	int rc = pcb_test_runf(&output, "%s/pycontainerd --print-routes", pcb_test_build_dir());

	ck_assert_msg(rc == 0, "pycontainerd --print-routes failed: %s", output);
	for (char *line = strtok(output, "\n"); line != NULL; line = strtok(NULL, "\n"))
		pcb_strv_push(out, line);
	pcb_strv_sort(out);
	free(output);
}

START_TEST(test_routes_match_spec)
{
	struct pcb_strv spec, routes;

	pcb_strv_init(&spec);
	pcb_strv_init(&routes);
	read_spec_ops(&spec);
	read_route_table(&routes);
	ck_assert_msg(spec.n >= 7, "only %zu operations found in openapi.yaml", spec.n);
	for (size_t i = 0; i < spec.n; i++)
		ck_assert_msg(pcb_strv_contains(&routes, spec.v[i]),
		    "openapi.yaml has \"%s\" but the daemon has no such route", spec.v[i]);
	for (size_t i = 0; i < routes.n; i++)
		ck_assert_msg(pcb_strv_contains(&spec, routes.v[i]),
		    "the daemon serves \"%s\" but openapi.yaml does not describe it", routes.v[i]);
	ck_assert_uint_eq(spec.n, routes.n);
	pcb_strv_free(&spec);
	pcb_strv_free(&routes);
}
END_TEST

/* Every operation has an operationId, and operationIds are unique. */
START_TEST(test_operation_ids)
{
	char *path = pcb_path_join(pcb_test_source_dir(), "api/openapi.yaml");
	char *text = pcb_test_read(path, NULL);
	struct pcb_strv ids;
	int methods = 0;

	ck_assert(text != NULL);
	pcb_strv_init(&ids);
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if (strcmp(line, "    get:") == 0 || strcmp(line, "    post:") == 0 ||
		    strcmp(line, "    delete:") == 0 || strcmp(line, "    put:") == 0)
			methods++;
		if (strncmp(line, "      operationId: ", 19) == 0) {
			ck_assert_msg(!pcb_strv_contains(&ids, line + 19), "duplicate operationId %s",
			    line + 19);
			pcb_strv_push(&ids, line + 19);
		}
	}
	ck_assert_int_eq((int)ids.n, methods);
	pcb_strv_free(&ids);
	free(text);
	free(path);
}
END_TEST

/* The schemas the contract names exist; BuildSpec is closed like the parser. */
START_TEST(test_schemas_present)
{
	static const char *const names[] = { "BuildSpec", "Build", "BuildResult", "Plan",
	    "Event", "Error", "Version", "Health" };
	char *path = pcb_path_join(pcb_test_source_dir(), "api/openapi.yaml");
	char *text = pcb_test_read(path, NULL);
	char *bs;

	ck_assert(text != NULL);
	ck_assert(strstr(text, "openapi: 3.1.0\n") != NULL);
	ck_assert(strstr(text, "text/event-stream:") != NULL);
	for (size_t i = 0; i < PCB_ARRAY_LEN(names); i++) {
		char *key = pcb_xasprintf("\n    %s:\n", names[i]);
		ck_assert_msg(strstr(text, key) != NULL, "schema %s missing", names[i]);
		free(key);
	}
	bs = strstr(text, "\n    BuildSpec:\n");
	ck_assert(strncmp(bs, "\n    BuildSpec:\n      type: object\n"
	    "      additionalProperties: false\n", 66) == 0);
	free(text);
	free(path);
}
END_TEST

/* Issue 4: the job schemas exist, and every spec that carries credentials marks them
 * write-only (they are never echoed). */
START_TEST(test_registry_schemas)
{
	static const char *const names[] = { "PushSpec", "PullSpec", "Job", "JobKind",
	    "Credentials", "PushResult", "PullResult" };
	static const char *const specs[] = { "BuildSpec", "PushSpec", "PullSpec" };
	char *path = pcb_path_join(pcb_test_source_dir(), "api/openapi.yaml");
	char *text = pcb_test_read(path, NULL);
	char *cr, *end;

	ck_assert(text != NULL);
	for (size_t i = 0; i < PCB_ARRAY_LEN(names); i++) {
		char *key = pcb_xasprintf("\n    %s:\n", names[i]);
		ck_assert_msg(strstr(text, key) != NULL, "schema %s missing", names[i]);
		free(key);
	}
	cr = strstr(text, "\n    Credentials:\n");
	end = strstr(cr + 1, "\n    InsecureRegistries:\n");
	ck_assert(end != NULL);
	*end = '\0';
	ck_assert_msg(strncmp(cr, "\n    Credentials:\n      type: array\n      writeOnly: true\n",
	    58) == 0, "Credentials must be writeOnly");
	ck_assert(strstr(cr, "          password:\n            type: string\n"
	    "            writeOnly: true\n") != NULL);
	*end = '\n';
	for (size_t i = 0; i < PCB_ARRAY_LEN(specs); i++) {
		char *key = pcb_xasprintf("\n    %s:\n", specs[i]);
		char *sp = strstr(text, key), *next;
		ck_assert(sp != NULL);
		/* The schema runs until the next line at 4 spaces + a name. */
		for (next = strchr(sp + strlen(key), '\n'); next != NULL; next = strchr(next + 1, '\n'))
			if (strncmp(next, "\n    ", 5) == 0 && next[5] != ' ')
				break;
		ck_assert(next != NULL);
		*next = '\0';
		ck_assert_msg(strstr(sp, "        credentials:\n          $ref: \"#/components/schemas/"
		    "Credentials\"\n") != NULL, "%s has no write-only credentials", specs[i]);
		*next = '\n';
		free(key);
	}
	free(text);
	free(path);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("openapi");
	TCase *tc = tcase_create("openapi");

	tcase_add_test(tc, test_routes_match_spec);
	tcase_add_test(tc, test_operation_ids);
	tcase_add_test(tc, test_schemas_present);
	tcase_add_test(tc, test_registry_schemas);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
