/* regopts.c — the registry options `pcb build --push`, `pcb push` and `pcb pull` share
 * (--creds, --insecure-registry, --ca-cert) and the request fields they become: credentials
 * resolved on the user's side for exactly the registries the job talks to, CA PEM text per
 * registry, plain-HTTP hosts. The daemon never sees the user's files; it gets what it needs for
 * one job and forgets it. */
#include "creds.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
pcb_regopts_init(struct pcb_regopts *o)
{
	memset(o, 0, sizeof *o);
	pcb_strv_init(&o->insecure);
	o->chunk_size = -1;
	pcb_strv_init(&o->ca_files);
}

void
pcb_regopts_free(struct pcb_regopts *o)
{
	pcb_strv_free(&o->insecure);
	pcb_strv_free(&o->ca_files);
}

/* HOST[:PORT] without scheme or path: what --insecure-registry takes. */
static bool
host_port_ok(const char *s)
{
	const char *colon = strrchr(s, ':');
	size_t i;

	if (s[0] == '\0' || strlen(s) > 255 || strchr(s, '/') != NULL)
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
			return false;
	}
	if (colon != NULL && s[0] != '[') {
		char *end;
		long port = strtol(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || port < 1 || port > 65535)
			return false;
	}
	return true;
}

bool
pcb_regopts_option(struct pcb_regopts *o, int c, const char *arg, bool *bad, char *msg,
    size_t msgsz)
{
	*bad = false;
	switch (c) {
	case PCB_REGOPT_CREDS:
		if (arg[0] == '\0' || arg[0] == ':') {
			snprintf(msg, msgsz, "--creds: expected USER[:PASSWORD]");
			*bad = true;
		}
		o->creds = arg;
		return true;
	case PCB_REGOPT_INSECURE:
		if (!host_port_ok(arg)) {
			snprintf(msg, msgsz, "--insecure-registry '%s': expected HOST[:PORT] (no "
			    "scheme, no path)", arg);
			*bad = true;
		}
		pcb_strv_push(&o->insecure, arg);
		return true;
	case PCB_REGOPT_CHUNK: {
		char *end;
		long long v = strtoll(arg, &end, 10);
		if (end != arg && (*end == 'K' || *end == 'k'))
			v *= 1024, end++;
		else if (end != arg && (*end == 'M' || *end == 'm'))
			v *= 1024 * 1024, end++;
		if (end == arg || *end != '\0' || v < 0 || (v > 0 && v < 65536) ||
		    v > (1LL << 30)) {
			snprintf(msg, msgsz, "--upload-chunk-size '%s': expected 0 (no chunks) or a "
			    "size from 64K to 1024M", arg);
			*bad = true;
		}
		o->chunk_size = v;
		return true;
	}
	case PCB_REGOPT_CA_CERT:
		if (access(arg, R_OK) != 0) {
			snprintf(msg, msgsz, "--ca-cert %s: %s", arg, strerror(errno));
			*bad = true;
		}
		pcb_strv_push(&o->ca_files, arg);
		return true;
	default:
		return false;
	}
}

int
pcb_regopts_ref_host(const char *ref, char **host_out, bool *explicit_out,
    struct pcb_err *err)
{
	struct pcb_image_ref r;
	size_t first = strcspn(ref, "/");
	int rc;

	*host_out = NULL;
	rc = pcb_image_ref_parse(ref, &r, err);
	if (rc != 0)
		return rc;
	*host_out = pcb_xstrdup(r.registry);
	/* Docker's rule: the first component names a host when it has a '.' or ':' or is
	 * "localhost", and there is a '/' after it. */
	if (explicit_out != NULL)
		*explicit_out = ref[first] == '/' && (memchr(ref, '.', first) != NULL ||
		    memchr(ref, ':', first) != NULL || (first == 9 &&
		    strncmp(ref, "localhost", 9) == 0));
	pcb_image_ref_free(&r);
	return 0;
}

/* Appends a PEM file to buf, checking it looks like PEM so a wrong path (a key, a DER file)
 * is caught here with the file named, not as a TLS failure on the daemon. */
static int
append_pem(struct pcb_buf *buf, const char *path, struct pcb_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	r = pcb_read_file(path, PCB_CREDS_PEM_MAX, &text, &len, err);
	if (r != 0) {
		if (r == PCB_ETOOBIG)
			pcb_err_set(err, r, "%s: larger than %zu bytes", path, PCB_CREDS_PEM_MAX);
		goto out;
	}
	if (strstr(text, "-----BEGIN CERTIFICATE-----") == NULL) {
		r = pcb_err_set(err, PCB_EINVAL, "%s: no PEM certificate in it (expected "
		    "-----BEGIN CERTIFICATE-----)", path);
		goto out;
	}
	if (pcb_buf_append(buf, text, len) != 0 ||
	    (len > 0 && text[len - 1] != '\n' && pcb_buf_append(buf, "\n", 1) != 0)) {
		r = pcb_err_set(err, PCB_ETOOBIG, "CA certificates for one registry: more than "
		    "%zu bytes", buf->max);
		goto out;
	}
out:
	free(text);
	return r;
}

/* ${XDG_CONFIG_HOME:-$HOME/.config}/containers/certs.d/HOST — podman's per-user place. */
static char *
user_certs_dir(const char *host)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (xdg != NULL && xdg[0] == '/')
		return pcb_xasprintf("%s/containers/certs.d/%s", xdg, host);
	if (home != NULL && home[0] != '\0')
		return pcb_xasprintf("%s/.config/containers/certs.d/%s", home, host);
	return NULL;
}

/* Every *.crt of the user's certs.d/HOST, in name order (client certificates and keys are not
 * CAs and are not sent). A missing directory is normal. */
static int
append_certs_d(struct pcb_buf *buf, const char *host, struct pcb_err *err)
{
	char *dir = user_certs_dir(host);
	struct pcb_strv names;
	struct dirent *de;
	DIR *d = NULL;
	size_t i;
	int r = 0;

	pcb_strv_init(&names);
	if (dir == NULL || (d = opendir(dir)) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' && pcb_str_has_suffix(de->d_name, ".crt"))
			pcb_strv_push(&names, de->d_name);
	}
	pcb_strv_sort(&names);
	for (i = 0; i < names.n; i++) {
		char *p = pcb_path_join(dir, names.v[i]);
		r = append_pem(buf, p, err);
		free(p);
		if (r != 0)
			goto out;
	}
out:
	if (d != NULL)
		closedir(d);
	pcb_strv_free(&names);
	free(dir);
	return r;
}

/* Credentials for one host from --creds or the environment. *found false when neither. */
static int
explicit_creds(const struct pcb_regopts *o, const char *host, struct pcb_credential *c,
    bool *found, struct pcb_err *err)
{
	const char *eu = getenv("PCB_REGISTRY_USERNAME"), *ep = getenv("PCB_REGISTRY_PASSWORD");
	char *user = NULL, *pass = NULL, *prompt;
	int r = 0;

	*found = false;
	if (o->creds != NULL) {
		if ((r = pcb_creds_parse_user_pass(o->creds, &user, &pass, err)) != 0)
			goto out;
		if (pass == NULL) {
			prompt = pcb_xasprintf("Password for %s at %s: ", user, host);
			r = pcb_creds_prompt(prompt, true, &pass, err);
			free(prompt);
			if (r != 0) {
				pcb_err_prefix(err, "--creds %s has no password and", user);
				goto out;
			}
		}
	} else if ((eu != NULL && eu[0] != '\0') || (ep != NULL && ep[0] != '\0')) {
		if (eu == NULL || eu[0] == '\0' || ep == NULL) {
			r = pcb_err_set(err, PCB_EINVAL, "PCB_REGISTRY_USERNAME and "
			    "PCB_REGISTRY_PASSWORD must be set together");
			goto out;
		}
		user = pcb_xstrdup(eu);
		pass = pcb_xstrdup(ep);
	} else {
		goto out;
	}
	c->registry = pcb_xstrdup(host);
	c->username = user;
	c->password = pass;
	user = pass = NULL;
	*found = true;
out:
	free(user);
	if (pass != NULL) {
		explicit_bzero(pass, strlen(pass));
		free(pass);
	}
	return r;
}

static void
add_credential(json_object *arr, const struct pcb_credential *c)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "registry", json_object_new_string(c->registry));
	if (c->identity_token != NULL) {
		json_object_object_add(e, "identity_token",
		    json_object_new_string(c->identity_token));
	} else if (c->registry_token != NULL) {
		json_object_object_add(e, "registry_token",
		    json_object_new_string(c->registry_token));
	} else {
		json_object_object_add(e, "username", json_object_new_string(c->username ?
		    c->username : ""));
		json_object_object_add(e, "password", json_object_new_string(c->password ?
		    c->password : ""));
	}
	json_object_array_add(arr, e);
}

int
pcb_regopts_apply(const struct pcb_regopts *o, const struct pcb_strv *hosts,
    json_object *body, struct pcb_err *err)
{
	json_object *creds = json_object_new_array(), *cas = json_object_new_object();
	json_object *insecure = json_object_new_array();
	struct pcb_credential c;
	struct pcb_strv seen;
	struct pcb_buf pem;
	size_t i, j;
	bool found;
	int r = 0;

	memset(&c, 0, sizeof c);
	pcb_strv_init(&seen);
	pcb_buf_init(&pem, PCB_CREDS_PEM_MAX);
	for (i = 0; i < hosts->n; i++) {
		const char *host = hosts->v[i];
		char key[256];

		pcb_creds_host_key(host, key, sizeof key);
		if (pcb_strv_contains(&seen, key))
			continue;
		pcb_strv_push(&seen, key);
		if ((r = explicit_creds(o, host, &c, &found, err)) != 0)
			goto out;
		if (!found && (r = pcb_creds_lookup(host, &c, &found, err)) != 0) {
			pcb_err_prefix(err, "credentials for %s", host);
			goto out;
		}
		if (found)
			add_credential(creds, &c);
		pcb_creds_clear(&c);

		pem.len = 0;
		if (pem.data != NULL)
			pem.data[0] = '\0';
		for (j = 0; j < o->ca_files.n; j++) {
			if ((r = append_pem(&pem, o->ca_files.v[j], err)) != 0) {
				pcb_err_prefix(err, "--ca-cert");
				goto out;
			}
		}
		if ((r = append_certs_d(&pem, host, err)) != 0)
			goto out;
		if (pem.len > 0)
			json_object_object_add(cas, host, json_object_new_string_len(pem.data,
			    (int)pem.len));
	}
	for (i = 0; i < o->insecure.n; i++)
		json_object_array_add(insecure, json_object_new_string(o->insecure.v[i]));
	if (json_object_array_length(creds) > 0) {
		json_object_object_add(body, "credentials", creds);
		creds = NULL;
	}
	if (json_object_array_length(insecure) > 0) {
		json_object_object_add(body, "insecure_registries", insecure);
		insecure = NULL;
	}
	if (json_object_object_length(cas) > 0) {
		json_object_object_add(body, "ca_certs", cas);
		cas = NULL;
	}
	if (o->chunk_size >= 0)
		json_object_object_add(body, "upload_chunk_size", json_object_new_int64(o->chunk_size));
out:
	pcb_creds_clear(&c);
	json_object_put(creds);
	json_object_put(cas);
	json_object_put(insecure);
	pcb_strv_free(&seen);
	pcb_buf_free(&pem);
	return r;
}

void
pcb_regopts_scrub(json_object *job)
{
	json_object *spec;

	if (job == NULL || !json_object_is_type(job, json_type_object))
		return;
	json_object_object_del(job, "credentials");
	if (json_object_object_get_ex(job, "spec", &spec) &&
	    json_object_is_type(spec, json_type_object))
		json_object_object_del(spec, "credentials");
}
