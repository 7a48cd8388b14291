/* regref.c — image references as docker spells them ("python", "docker.io/x",
 * "localhost:5000/a@sha256:…") and the credential list handed in with a job.
 *
 * The grammar follows the distribution reference rules: an optional registry host first (a
 * component with '.', ':' or exactly "localhost"), lowercase path components, then ":tag"
 * and/or "@digest". Docker Hub names are normalised to its API host and the "library/"
 * namespace, so that two spellings of one image compare equal. */
#include "registry/registry.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REF_MAX 1024
#define NAME_MAX_LEN 255
#define TAG_MAX 128
#define DOCKER_HUB "registry-1.docker.io"

static bool
tag_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > TAG_MAX || !(isalnum((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return false;
	return true;
}

/* docker.io and index.docker.io are names for Docker Hub; its API lives elsewhere. */
static bool
is_docker_hub(const char *host)
{
	return strcasecmp(host, "docker.io") == 0 || strcasecmp(host, "index.docker.io") == 0 ||
	    strcasecmp(host, DOCKER_HUB) == 0;
}

int
pcb_image_ref_parse(const char *s, struct pcb_image_ref *out, struct pcb_err *err)
{
	struct pcb_image_ref r = { NULL, NULL, NULL, NULL };
	char *copy = NULL, *at, *name, *slash, *colon, *p;
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (s == NULL || s[0] == '\0') {
		rc = pcb_err_set(err, PCB_EINVAL, "empty image reference");
		goto out;
	}
	if (strlen(s) > REF_MAX) {
		rc = pcb_err_set(err, PCB_EINVAL, "image reference longer than %d bytes", REF_MAX);
		goto out;
	}
	copy = pcb_xstrdup(s);
	at = strchr(copy, '@');
	if (at != NULL) {
		*at = '\0';
		if (!pcb_digest_valid(at + 1)) {
			rc = pcb_err_set(err, PCB_EINVAL,
			    "image reference '%s': digest '%.80s' is not sha256:<64 lowercase hex>", s,
			    at + 1);
			goto out;
		}
		r.digest = pcb_xstrdup(at + 1);
	}
	name = copy;
	/* A tag is the part after the last ':' that follows the last '/'. */
	slash = strrchr(name, '/');
	colon = strrchr(slash != NULL ? slash : name, ':');
	if (colon != NULL) {
		*colon = '\0';
		if (!tag_ok(colon + 1)) {
			rc = pcb_err_set(err, PCB_EINVAL,
			    "image reference '%s': tag '%.140s' is not valid "
			    "([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})", s, colon + 1);
			goto out;
		}
		r.tag = pcb_xstrdup(colon + 1);
	}
	slash = strchr(name, '/');
	if (slash != NULL && (memchr(name, '.', (size_t)(slash - name)) != NULL ||
	    memchr(name, ':', (size_t)(slash - name)) != NULL ||
	    ((size_t)(slash - name) == 9 && strncmp(name, "localhost", 9) == 0))) {
		if (!pcb_ref_host_ok(name, (size_t)(slash - name))) {
			rc = pcb_err_set(err, PCB_EINVAL,
			    "image reference '%s': registry host '%.*s' is not valid", s,
			    (int)(slash - name), name);
			goto out;
		}
		r.registry = pcb_xstrndup(name, (size_t)(slash - name));
		name = slash + 1;
	} else {
		r.registry = pcb_xstrdup(DOCKER_HUB);
	}
	if (is_docker_hub(r.registry)) {
		free(r.registry);
		r.registry = pcb_xstrdup(DOCKER_HUB);
		if (strchr(name, '/') == NULL)
			r.repository = pcb_xasprintf("library/%s", name);
	} else {
		/* Hosts are case-insensitive; keep one spelling so store records match. */
		for (p = r.registry; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	if (r.repository == NULL)
		r.repository = pcb_xstrdup(name);
	if (strlen(r.repository) > NAME_MAX_LEN) {
		rc = pcb_err_set(err, PCB_EINVAL, "image reference '%s': name longer than %d bytes", s,
		    NAME_MAX_LEN);
		goto out;
	}
	for (p = r.repository;;) {
		char *e = strchr(p, '/');
		size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (!pcb_ref_path_component_ok(p, n)) {
			rc = pcb_err_set(err, PCB_EINVAL,
			    "image reference '%s': '%.*s' is not a valid repository name component "
			    "(lowercase letters and digits, separated by '.', '_', '__' or '-')", s,
			    (int)(n < 128 ? n : 128), p);
			goto out;
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	if (r.tag == NULL && r.digest == NULL)
		r.tag = pcb_xstrdup("latest");
out:
	free(copy);
	if (rc != 0)
		pcb_image_ref_free(&r);
	else
		*out = r;
	return rc;
}

char *
pcb_image_ref_format(const struct pcb_image_ref *r)
{
	return pcb_xasprintf("%s/%s%s%s%s%s", r->registry, r->repository,
	    r->tag != NULL ? ":" : "", r->tag != NULL ? r->tag : "",
	    r->digest != NULL ? "@" : "", r->digest != NULL ? r->digest : "");
}

void
pcb_image_ref_free(struct pcb_image_ref *r)
{
	if (r == NULL)
		return;
	free(r->registry);
	free(r->repository);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof *r);
}

/* Wipes a secret before freeing it, so it does not linger in freed heap memory. */
static void
free_secret(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
pcb_credentials_free(struct pcb_credentials *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].registry);
		free(c->v[i].username);
		free_secret(c->v[i].password);
		free_secret(c->v[i].identity_token);
		free_secret(c->v[i].registry_token);
	}
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

/* The host part of a credential key: docker config keys may be URLs
 * ("https://index.docker.io/v1/"). Writes at most outsz-1 bytes. */
static void
cred_host(const char *key, char *out, size_t outsz)
{
	const char *p = key, *e;
	size_t n;

	if (strncasecmp(p, "https://", 8) == 0)
		p += 8;
	else if (strncasecmp(p, "http://", 7) == 0)
		p += 7;
	e = strchr(p, '/');
	n = e != NULL ? (size_t)(e - p) : strlen(p);
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

const struct pcb_credential *
pcb_credentials_find(const struct pcb_credentials *c, const char *registry)
{
	char want[300], have[300];

	if (c == NULL || registry == NULL)
		return NULL;
	cred_host(registry, want, sizeof want);
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].registry == NULL)
			continue;
		cred_host(c->v[i].registry, have, sizeof have);
		if (strcasecmp(have, want) == 0 || (is_docker_hub(have) && is_docker_hub(want)))
			return &c->v[i];
	}
	return NULL;
}
