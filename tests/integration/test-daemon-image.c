/* test-daemon-image.c — `make image` (tools/make-image.sh with BUILD_DIR/pcb-mkimage) and the
 * deploy/kubernetes/ example. The script makes a valid OCI layout of pycontainerd itself from
 * this build: the config says how it runs (Entrypoint, Volumes, User, labels), the same inputs
 * give the same digests and IMAGE_USER only changes the config; unpacked by umoci, the binaries,
 * their libraries, Python and pip run in a chroot of it. Then the image is run by runc the way
 * the manifests run it in a pod (uid 10001, a read-only root, the token init container's command
 * taken from the YAML, the ConfigMap's config.toml, the Secret's token file for the client):
 * /v1/health answers on the unix socket, pcb reaches the daemon over loopback TCP with the
 * token (and not without it), and a build with a dependency runs pip download inside the image.
 * The manifests parse as YAML and hold the kinds and fields the daemon needs (kubectl is not
 * installed here), and their config.toml passes `pycontainerd --check-config`. */
#include <check.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "ocicheck.h"
#include "testutil.h"
#include "wheelfix.h"

#define SDE "1700000000"        /* SOURCE_DATE_EPOCH of every image made here */
#define REF "0.1.0"             /* the layout's ref name: the tag part of pycontainerd:VERSION */

static const char K8S_CHECK_PY[] =
    "# k8scheck.py DIR OUT.json: the manifests parse as YAML and hold what the daemon needs.\n"
    "import json, os, sys, tomllib, yaml\n"
    "d, out = sys.argv[1], sys.argv[2]\n"
    "errors = []\n"
    "def need(cond, msg):\n"
    "    if not cond:\n"
    "        errors.append(msg)\n"
    "docs = {}\n"
    "for f in sorted(os.listdir(d)):\n"
    "    if f.endswith(('.yaml', '.yml')):\n"
    "        for doc in yaml.safe_load_all(open(os.path.join(d, f))):\n"
    "            if doc is None:\n"
    "                continue\n"
    "            kind = doc.get('kind')\n"
    "            need(isinstance(doc.get('apiVersion'), str) and kind, f + ': kind')\n"
    "            if kind != 'Kustomization':\n"
    "                name = doc.get('metadata', {}).get('name')\n"
    "                need(isinstance(name, str), f + ': metadata.name')\n"
    "            docs.setdefault(kind, []).append((f, doc))\n"
    "kinds = sorted(docs)\n"
    "need(kinds == ['ConfigMap', 'Deployment', 'Kustomization', 'Pod', 'Secret',\n"
    "               'StatefulSet'], 'kinds %s' % kinds)\n"
    "for r in docs['Kustomization'][0][1]['resources']:\n"
    "    need(os.path.exists(os.path.join(d, r)), 'kustomization: no file ' + r)\n"
    "cfg_text = docs['ConfigMap'][0][1]['data']['config.toml']\n"
    "cfg = tomllib.loads(cfg_text)\n"
    "need('tcp://127.0.0.1:7070' in cfg['host'], 'config: no tcp://127.0.0.1:7070')\n"
    "need('unix:///run/pycontainerd/pycontainerd.sock' in cfg['host'], 'config: no socket')\n"
    "need(cfg.get('state_dir') == '/var/lib/pycontainerd', 'config: state_dir')\n"
    "need('cache_to' in cfg and 'cache_from' in cfg, 'config: cache_to, cache_from')\n"
    "tok = docs['Secret'][0][1]['stringData']['token']\n"
    "need(16 <= len(tok) <= 256 and all(33 <= ord(c) < 127 for c in tok), 'secret: token')\n"
    "init_cmd = probe = None\n"
    "for kind in ('Pod', 'Deployment', 'StatefulSet'):\n"
    "    for f, doc in docs[kind]:\n"
    "        top = doc['spec']\n"
    "        spec = top if kind == 'Pod' else top['template']['spec']\n"
    "        if kind != 'Pod':\n"
    "            labels = top['template']['metadata']['labels']\n"
    "            sel = top['selector']['matchLabels']\n"
    "            need(all(labels.get(a) == b for a, b in sel.items()), f + ': selector')\n"
    "            need(top.get('replicas') == 2, f + ': replicas 2')\n"
    "        vols = {v['name']: v for v in spec.get('volumes', [])}\n"
    "        for t in top.get('volumeClaimTemplates', []):\n"
    "            vols[t['metadata']['name']] = {'pvc': t}\n"
    "        sc = spec.get('securityContext', {})\n"
    "        need(sc.get('runAsUser') == 10001 and sc.get('fsGroup') == 10001 and\n"
    "             sc.get('runAsNonRoot') is True, f + ': pod securityContext')\n"
    "        inits = spec.get('initContainers', [])\n"
    "        conts = inits + spec['containers']\n"
    "        names = [c['name'] for c in conts]\n"
    "        need(len(names) == len(set(names)), f + ': container names repeat')\n"
    "        daemon = None\n"
    "        for c in conts:\n"
    "            where = f + ': ' + c['name'] + ': '\n"
    "            need(isinstance(c.get('image'), str) and c['image'], where + 'image')\n"
    "            mounts = c.get('volumeMounts', [])\n"
    "            paths = [m['mountPath'] for m in mounts]\n"
    "            need(len(paths) == len(set(paths)), where + 'mountPaths repeat')\n"
    "            for m in mounts:\n"
    "                need(m['name'] in vols, where + 'no volume ' + m['name'])\n"
    "            for e in c.get('env', []):\n"
    "                need(isinstance(e.get('name'), str) and 'value' in e, where + 'env')\n"
    "                if e['name'] == 'PCB_TOKEN_FILE':\n"
    "                    v = e['value']\n"
    "                    m = [m for m in mounts if v.startswith(m['mountPath'] + '/')]\n"
    "                    need(m and 'secret' in vols[m[0]['name']], where + 'PCB_TOKEN_FILE')\n"
    "            if c['name'] == 'token':\n"
    "                init_cmd = c['command']\n"
    "                need(c in inits, where + 'not an init container')\n"
    "            if c['name'] == 'pycontainerd':\n"
    "                daemon = c\n"
    "        need(daemon is not None, f + ': no pycontainerd container')\n"
    "        if daemon is None:\n"
    "            continue\n"
    "        where = f + ': pycontainerd: '\n"
    "        mounts = {m['mountPath']: m['name'] for m in daemon['volumeMounts']}\n"
    "        need('configMap' in vols[mounts['/etc/pycontainerd']], where + 'config')\n"
    "        need(os.path.dirname(cfg['tcp_token_file']) in mounts, where + 'token dir')\n"
    "        need('token-secret' not in mounts.values(), where + 'reads the Secret')\n"
    "        for p in ('/var/lib/pycontainerd', '/run/pycontainerd', '/tmp'):\n"
    "            need(p in mounts, where + 'no volume at ' + p)\n"
    "        sc = daemon.get('securityContext', {})\n"
    "        need(sc.get('readOnlyRootFilesystem') is True, where + 'read-only root')\n"
    "        probe = daemon['startupProbe']['exec']['command']\n"
    "        if kind == 'Pod':\n"
    "            need(daemon in inits and daemon.get('restartPolicy') == 'Always',\n"
    "                 where + 'not a native sidecar')\n"
    "            cmd = [c for c in spec['containers'] if '-H' in c.get('command', [])]\n"
    "            need(cmd and 'tcp://127.0.0.1:7070' in cmd[0]['command'], f + ': pcb -H')\n"
    "json.dump({'errors': errors, 'kinds': kinds, 'init_command': init_cmd, 'probe': probe,\n"
    "           'config_toml': cfg_text}, open(out, 'w'))\n";

static const char EDIT_CONFIG_PY[] =
    "import json, sys\n"
    "# edit-config.py CONFIG ARGS MOUNTS ENV (JSON): the umoci bundle made to run as the pod's\n"
    "# container does: uid 10001, a read-only root, the pod's volumes as bind mounts.\n"
    "p = sys.argv[1]\n"
    "args, mounts, env = (json.loads(a) for a in sys.argv[2:5])\n"
    "c = json.load(open(p))\n"
    "c['process']['terminal'] = False\n"
    "c['process']['user'] = {'uid': 10001, 'gid': 10001, 'additionalGids': [10001]}\n"
    "if args:\n"
    "    c['process']['args'] = args\n"
    "c['process']['env'] += env\n"
    "c['root']['readonly'] = True\n"
    "c['mounts'] = [m for m in c['mounts'] if m['destination'] != '/var/lib/pycontainerd']\n"
    "for src, dst, ro in mounts:\n"
    "    c['mounts'].append({'destination': dst, 'type': 'bind', 'source': src,\n"
    "                        'options': ['rbind', 'ro' if ro else 'rw']})\n"
    "json.dump(c, open(p, 'w'))\n";

static char *top;               /* the suite's temp dir */
static char *layout;            /* top/img1: the image every test reads */
static int make_rc = -1;
static char *make_out;
static bool have_pip;

/* Runs tools/make-image.sh into top/NAME with extra environment; returns its exit status. */
static int
make_image(const char *name, const char *env, char **out)
{
	return pcb_test_runf(out, "cd '%s' && %s SOURCE_DATE_EPOCH=" SDE " IMAGE_STORE='%s/store' "
	    "tools/make-image.sh '%s' '%s/%s' 2>&1", pcb_test_source_dir(), env, top,
	    pcb_test_build_dir(), top, name);
}

static void
suite_setup(void)
{
	have_pip = pcb_test_runf(NULL, "/usr/bin/python3 -c 'import pip' >/dev/null 2>&1") == 0;
	if (!have_pip)
		return;
	top = pcb_test_tmpdir();
	layout = pcb_path_join(top, "img1");
	make_rc = make_image("img1", "", &make_out);
}

static void
suite_teardown(void)
{
	if (top != NULL)
		pcb_test_rmtree(top);
	free(top);
	free(layout);
	free(make_out);
}

static bool
skip_without_pip(const char *test)
{
	if (have_pip)
		return false;
	fprintf(stderr, "test-daemon-image: %s: /usr/bin/python3 has no pip (python3-pip), "
	    "skipped\n", test);
	return true;
}

static void
assert_made(void)
{
	ck_assert_msg(make_rc == 0, "make-image.sh: exit %d: %s", make_rc, make_out);
}

static const char *
jstr(json_object *j, const char *path)
{
	return json_object_get_string(pcb_test_jget(j, path));
}

static char *
manifest_digest(const char *dir)
{
	char *p = pcb_path_join(dir, "index.json"), *text = pcb_test_read(p, NULL);
	json_object *idx;
	char *d;

	ck_assert_msg(text != NULL, "no %s", p);
	idx = pcb_test_json(text, p);
	d = pcb_xstrdup(jstr(idx, "manifests.0.digest"));
	json_object_put(idx);
	free(text);
	free(p);
	return d;
}

static json_object *
read_blob_json(const char *dir, const char *digest)
{
	char *p = pcb_xasprintf("%s/blobs/sha256/%s", dir, digest + 7), *text = pcb_test_read(p, NULL);
	json_object *j;

	ck_assert_msg(text != NULL, "no blob %s", p);
	j = pcb_test_json(text, p);
	free(text);
	free(p);
	return j;
}

/* The layout is valid (ocicheck: every blob, size, digest and diff_id), the config says how
 * pycontainerd runs, and there are the two host-base layers and our two. */
START_TEST(test_layout_and_config)
{
	json_object *config = NULL, *c, *vols, *env, *hist, *labels;
	char *digest, *out = NULL;
	bool pcb_host = false;

	if (skip_without_pip("layout"))
		return;
	assert_made();
	ck_assert_msg(strstr(make_out, "pycontainerd:0.1.0 is the OCI image layout") != NULL, "%s",
	    make_out);
	digest = pcb_test_check_layout(layout, REF, &config);
	c = pcb_test_jget(config, "config");
	ck_assert_str_eq(jstr(c, "Entrypoint.0"), "/usr/local/bin/pycontainerd");
	ck_assert_str_eq(jstr(c, "Entrypoint.1"), "--config");
	ck_assert_str_eq(jstr(c, "Entrypoint.2"), "/etc/pycontainerd/config.toml");
	ck_assert_ptr_null(pcb_test_jget(c, "Cmd"));   /* the base's python3 is not an argument */
	ck_assert_str_eq(jstr(c, "User"), "0:0");
	ck_assert_str_eq(jstr(c, "WorkingDir"), "/");
	ck_assert(json_object_object_get_ex(c, "Volumes", &vols));
	ck_assert(json_object_object_get_ex(vols, "/var/lib/pycontainerd", NULL));
	env = pcb_test_jget(c, "Env");
	for (size_t i = 0; i < json_object_array_length(env); i++)
		pcb_host = pcb_host || strcmp(json_object_get_string(json_object_array_get_idx(env, i)),
		    "PCB_HOST=unix:///run/pycontainerd/pycontainerd.sock") == 0;
	ck_assert(pcb_host);
	labels = json_object_object_get(c, "Labels");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(labels,
	    "org.opencontainers.image.title")), "pycontainerd");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(labels,
	    "org.opencontainers.image.version")), "0.1.0");
	ck_assert_str_eq(jstr(config, "created"), "2023-11-14T22:13:20Z");
	hist = pcb_test_jget(config, "history");
	ck_assert_int_eq(json_object_array_length(hist), 4);
	ck_assert_int_eq(json_object_array_length(pcb_test_jget(config, "rootfs.diff_ids")), 4);
	ck_assert_str_eq(jstr(hist, "0.created_by"), "pycontainerd: base from host: system layer");
	ck_assert_str_eq(jstr(hist, "1.created_by"), "pycontainerd: base from host: python layer");
	ck_assert_str_eq(jstr(hist, "2.created_by"), "pcb-mkimage: runtime layer");
	ck_assert_str_eq(jstr(hist, "3.created_by"), "pcb-mkimage: pycontainerd layer");
	if (pcb_test_have("skopeo")) {
		ck_assert_msg(pcb_test_runf(&out, "skopeo inspect 'oci:%s:" REF "' 2>&1", layout) == 0,
		    "skopeo: %s", out);
		ck_assert_msg(strstr(out, digest) != NULL, "skopeo: %s", out);
		free(out);
	}
	json_object_put(config);
	free(digest);
}
END_TEST

/* Made again from the same tree: the same bytes. IMAGE_USER=10001:10001 changes the config's
 * User and nothing in the layers; a User that is not UID[:GID] is refused. */
START_TEST(test_reproducible_and_user)
{
	json_object *m1, *m3, *c3;
	char *out = NULL, *img2, *img3, *d1, *d2, *d3, *i1, *i2, *p;

	if (skip_without_pip("reproducible"))
		return;
	assert_made();
	ck_assert_msg(make_image("img2", "", &out) == 0, "second run: %s", out);
	free(out);
	img2 = pcb_path_join(top, "img2");
	d1 = manifest_digest(layout);
	d2 = manifest_digest(img2);
	ck_assert_str_eq(d1, d2);
	p = pcb_path_join(layout, "index.json");
	i1 = pcb_test_read(p, NULL);
	free(p);
	p = pcb_path_join(img2, "index.json");
	i2 = pcb_test_read(p, NULL);
	free(p);
	ck_assert_str_eq(i1, i2);

	ck_assert_msg(make_image("img3", "IMAGE_USER=10001:10001", &out) == 0, "user run: %s", out);
	free(out);
	img3 = pcb_path_join(top, "img3");
	d3 = manifest_digest(img3);
	ck_assert_str_ne(d1, d3);
	m1 = read_blob_json(layout, d1);
	m3 = read_blob_json(img3, d3);
	ck_assert_str_eq(json_object_to_json_string(pcb_test_jget(m1, "layers")),
	    json_object_to_json_string(pcb_test_jget(m3, "layers")));
	c3 = read_blob_json(img3, jstr(m3, "config.digest"));
	ck_assert_str_eq(jstr(c3, "config.User"), "10001:10001");

	ck_assert_int_ne(make_image("img4", "IMAGE_USER=nobody", &out), 0);
	ck_assert_msg(strstr(out, "IMAGE_USER=nobody") != NULL, "%s", out);
	free(out);
	json_object_put(m1);
	json_object_put(m3);
	json_object_put(c3);
	free(img2);
	free(img3);
	free(d1);
	free(d2);
	free(d3);
	free(i1);
	free(i2);
}
END_TEST

static bool
can_unpack(const char *test)
{
	if (getuid() == 0 && pcb_test_have("umoci"))
		return true;
	fprintf(stderr, "test-daemon-image: %s: needs root and umoci, skipped\n", test);
	return false;
}

static char *
unpack(const char *name)
{
	char *bundle = pcb_path_join(top, name), *out = NULL;

	ck_assert_msg(pcb_test_runf(&out, "umoci unpack --image '%s:" REF "' '%s' 2>&1", layout,
	    bundle) == 0, "umoci unpack: %s", out);
	free(out);
	return bundle;
}

/* In a chroot of the unpacked image: the binaries start (every library they load is there),
 * Python imports pip from where the image put it, the daemon reads its config file; the CA
 * bundle, the pycontainerd user and the mount points are in place. */
START_TEST(test_rootfs_runs)
{
	char *bundle, *rootfs, *out = NULL, *p;
	struct stat st;

	if (skip_without_pip("rootfs") || !can_unpack("rootfs"))
		return;
	assert_made();
	bundle = unpack("bundle-chroot");
	rootfs = pcb_path_join(bundle, "rootfs");
	/* With /proc mounted in a private mount namespace: a sanitizer build (make check SAN=1)
	 * needs /proc/self/maps. stdout only: it may still warn on stderr. */
	ck_assert_msg(pcb_test_runf(&out, "unshare -m sh -c 'mkdir -p \"$0/proc\" && "
	    "mount -t proc proc \"$0/proc\" && exec chroot \"$0\" /usr/local/bin/pycontainerd "
	    "--version' '%s' 2>/dev/null", rootfs) == 0, "pycontainerd in the image: %s", out);
	ck_assert_str_eq(out, "pycontainerd 0.1.0\n");
	free(out);
	ck_assert_msg(pcb_test_runf(&out, "unshare -m sh -c 'mkdir -p \"$0/proc\" && "
	    "mount -t proc proc \"$0/proc\" && exec chroot \"$0\" /usr/local/bin/pcb --version' "
	    "'%s' 2>/dev/null", rootfs) == 0, "pcb in the image: %s", out);
	ck_assert_str_eq(out, "pcb 0.1.0\n");
	free(out);
	ck_assert_msg(pcb_test_runf(&out, "chroot '%s' /usr/local/bin/python3 -m pip --version 2>&1",
	    rootfs) == 0, "pip in the image: %s", out);
	ck_assert_msg(strstr(out, "/usr/local/lib/python3.") != NULL, "pip: %s", out);
	free(out);
	ck_assert_msg(pcb_test_runf(&out, "unshare -m sh -c 'mkdir -p \"$0/proc\" && "
	    "mount -t proc proc \"$0/proc\" && exec chroot \"$0\" /usr/local/bin/pycontainerd "
	    "--config /etc/pycontainerd/config.toml --check-config' '%s' 2>&1", rootfs) == 0,
	    "config: %s", out);
	ck_assert_msg(strstr(out, "tcp://127.0.0.1:7070") != NULL, "config: %s", out);
	free(out);
	/* The stripped binaries, executable; what the daemon and pip need at run time. */
	p = pcb_path_join(rootfs, "usr/local/bin/pycontainerd");
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0755);
	free(p);
	p = pcb_path_join(rootfs, "etc/ssl/certs/ca-certificates.crt");
	ck_assert_msg(stat(p, &st) == 0 && st.st_size > 0, "no CA bundle");
	free(p);
	p = pcb_xasprintf("%s/etc/passwd", rootfs);
	out = pcb_test_read(p, NULL);
	ck_assert_msg(out != NULL && strstr(out, "\npycontainerd:x:10001:10001:") != NULL, "%s", out);
	free(out);
	free(p);
	p = pcb_path_join(rootfs, "run/pycontainerd");
	ck_assert_msg(stat(p, &st) == 0 && S_ISDIR(st.st_mode), "no /run/pycontainerd");
	free(p);
	free(rootfs);
	free(bundle);
}
END_TEST

/* What k8scheck.py found in deploy/kubernetes (see K8S_CHECK_PY). Caller puts. */
static json_object *
check_manifests(void)
{
	char *script, *outp, *out = NULL, *text;
	json_object *j;

	script = pcb_path_join(top, "k8scheck.py");
	outp = pcb_path_join(top, "k8s.json");
	pcb_test_write(top, "k8scheck.py", K8S_CHECK_PY, 0644);
	ck_assert_msg(pcb_test_runf(&out, "/usr/bin/python3 '%s' '%s/deploy/kubernetes' '%s' 2>&1",
	    script, pcb_test_source_dir(), outp) == 0, "k8scheck.py: %s", out);
	free(out);
	text = pcb_test_read(outp, NULL);
	j = pcb_test_json(text, outp);
	free(text);
	free(script);
	free(outp);
	return j;
}

/* The ConfigMap's config.toml at top/NAME/config.toml, as the daemon of this tree takes it:
 * cache_to and cache_from come with the registry cache; a daemon without them would refuse
 * them as unknown keys, and they are left out for it (with a note). */
static char *
daemon_config(json_object *k8s, const char *name)
{
	char *dir = pcb_path_join(top, name), *file, *out = NULL;
	int rc;

	pcb_test_mkdir(top, name);
	pcb_test_write(dir, "config.toml", jstr(k8s, "config_toml"), 0644);
	file = pcb_path_join(dir, "config.toml");
	rc = pcb_test_runf(&out, "'%s/pycontainerd' --config '%s' --check-config 2>&1",
	    pcb_test_build_dir(), file);
	if (rc != 0 && (strstr(out, "unknown key \"cache_to\"") != NULL ||
	    strstr(out, "unknown key \"cache_from\"") != NULL)) {
		fprintf(stderr, "test-daemon-image: this daemon has no cache_to/cache_from keys yet "
		    "(the registry cache): checked without them\n");
		free(out);
		ck_assert_int_eq(pcb_test_runf(NULL, "sed -i '/^cache_\\(to\\|from\\) *=/d' '%s'",
		    file), 0);
		rc = pcb_test_runf(&out, "'%s/pycontainerd' --config '%s' --check-config 2>&1",
		    pcb_test_build_dir(), file);
	}
	ck_assert_msg(rc == 0, "pycontainerd --check-config of the ConfigMap: %s", out);
	ck_assert_msg(strstr(out, "/run/pycontainerd-token/token") != NULL, "%s", out);
	free(out);
	free(file);
	return dir;
}

/* The manifests: YAML with the kinds and fields the daemon needs, a config the daemon takes,
 * and a token init command that leaves the daemon a 0600 file (run here with the host's
 * Python on temp paths). */
START_TEST(test_kubernetes_manifests)
{
	json_object *k8s = check_manifests(), *errs = pcb_test_jget(k8s, "errors");
	char *dir, *cmd, *tok, *out = NULL;
	const char *init;
	struct stat st;

	ck_assert_msg(json_object_array_length(errs) == 0, "deploy/kubernetes: %s",
	    json_object_to_json_string(errs));
	ck_assert_str_eq(json_object_to_json_string(pcb_test_jget(k8s, "kinds")),
	    "[ \"ConfigMap\", \"Deployment\", \"Kustomization\", \"Pod\", \"Secret\", "
	    "\"StatefulSet\" ]");
	ck_assert_str_eq(jstr(k8s, "probe.0"), "/usr/local/bin/pcb");
	dir = daemon_config(k8s, "k8s-config");
	free(dir);

	init = jstr(k8s, "init_command.2");
	ck_assert_str_eq(jstr(k8s, "init_command.1"), "-c");
	pcb_test_mkdir(top, "init/secret");
	pcb_test_mkdir(top, "init/token");
	dir = pcb_path_join(top, "init");
	pcb_test_write(dir, "secret/token", "0123456789abcdef0123456789abcdef\n", 0440);
	pcb_test_write(dir, "script.py", init, 0644);
	cmd = pcb_xasprintf("sed -i 's|/etc/pycontainerd-secret|%s/secret|; "
	    "s|/run/pycontainerd-token|%s/token|' '%s/script.py' && /usr/bin/python3 '%s/script.py' "
	    "2>&1", dir, dir, dir, dir);
	ck_assert_msg(pcb_test_run(cmd, true, &out) == 0, "token init: %s", out);
	free(out);
	tok = pcb_path_join(dir, "token/token");
	ck_assert_int_eq(stat(tok, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	free(tok);
	free(cmd);
	free(dir);
	json_object_put(k8s);
}
END_TEST

/* `runc run` of bundle as it is configured, in the background; returns the child. */
static pid_t
runc_start(const char *bundle, const char *id, const char *log)
{
	pid_t pid = fork();

	ck_assert(pid >= 0);
	if (pid == 0) {
		char *cmd = pcb_xasprintf("exec runc run --bundle '%s' '%s' >'%s' 2>&1 </dev/null",
		    bundle, id, log);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* The image run as the manifests run it: see the top of the file. */
START_TEST(test_runs_like_the_pod)
{
	json_object *k8s, *args, *build;
	char *bundle, *dir, *cfgdir, *mounts, *out = NULL, *id, *log, *wheel, *body = NULL;
	char *sock, *envj, *cmd;
	const char *init;
	pid_t pid;
	int st = 0, rc;
	int64_t deadline;
	struct stat sb;

	if (skip_without_pip("runc") || !can_unpack("runc"))
		return;
	if (!pcb_test_have("runc") || !pcb_test_have("curl") || !pcb_test_have("setpriv")) {
		fprintf(stderr, "test-daemon-image: runc: needs runc, curl and setpriv, skipped\n");
		return;
	}
	assert_made();
	k8s = check_manifests();
	cfgdir = daemon_config(k8s, "pod-config");
	bundle = unpack("bundle-runc");
	pcb_test_write(top, "edit-config.py", EDIT_CONFIG_PY, 0644);

	/* The pod's volumes. The Secret's file is root's, readable by the fsGroup (0440), as
	 * Kubernetes mounts it with fsGroup set; the emptyDirs are the pod user's. */
	dir = pcb_path_join(top, "pod");
	pcb_test_mkdir(dir, "secret");
	pcb_test_mkdir(dir, "token");
	pcb_test_mkdir(dir, "run");
	pcb_test_mkdir(dir, "store");
	pcb_test_mkdir(dir, "tmp");
	pcb_test_mkdir(dir, "workspace/proj");
	pcb_test_write(dir, "secret/token", "0123456789abcdef0123456789abcdef\n", 0440);
	pcb_test_write(dir, "workspace/proj/requirements.txt", "click\n", 0644);
	pcb_test_write(dir, "workspace/proj/main.py", "import click\nprint('hi')\n", 0644);
	ck_assert_int_eq(pcb_test_runf(NULL, "chgrp -R 10001 '%s/secret' && chown -R 10001:10001 "
	    "'%s/token' '%s/run' '%s/store' '%s/tmp' '%s/workspace'", dir, dir, dir, dir, dir,
	    dir), 0);
	/* The host's client, as uid 10001, reaches the socket through the temp dirs. */
	ck_assert_int_eq(pcb_test_runf(NULL, "chmod 0755 '%s' '%s'", top, dir), 0);
	wheel = pcb_path_join(dir, "wheels");
	pcb_test_wheels_make(wheel, "click");
	mounts = pcb_xasprintf("[[\"%s/secret\", \"/etc/pycontainerd-secret\", true], "
	    "[\"%s/token\", \"/run/pycontainerd-token\", false], [\"%s\", \"/etc/pycontainerd\", true], "
	    "[\"%s/run\", \"/run/pycontainerd\", false], [\"%s/store\", \"/var/lib/pycontainerd\", false], "
	    "[\"%s/tmp\", \"/tmp\", false], [\"%s/workspace\", \"/workspace\", false], "
	    "[\"%s\", \"/wheels\", true]]", dir, dir, cfgdir, dir, dir, dir, dir, wheel);
	/* No index here: pip takes the wheel from --find-links /wheels. */
	envj = pcb_xstrdup("[\"PIP_NO_INDEX=1\"]");
	id = pcb_xasprintf("pcbtest-dimg-%d", (int)getpid());
	log = pcb_path_join(dir, "runc.log");

	/* The token init container, its command from the manifest. */
	args = pcb_test_jget(k8s, "init_command");
	init = json_object_to_json_string_ext(args, JSON_C_TO_STRING_PLAIN);
	pcb_test_write(dir, "init-args.json", init, 0644);
	pcb_test_write(dir, "mounts.json", mounts, 0644);
	pcb_test_write(dir, "env.json", envj, 0644);
	cmd = pcb_xasprintf("cd '%s' && /usr/bin/python3 '%s/edit-config.py' '%s/config.json' "
	    "\"$(cat init-args.json)\" \"$(cat mounts.json)\" \"$(cat env.json)\" 2>&1", dir, top,
	    bundle);
	ck_assert_msg(pcb_test_run(cmd, true, &out) == 0, "edit-config: %s", out);
	free(out);
	free(cmd);
	rc = pcb_test_runf(&out, "runc run --bundle '%s' '%s-init' 2>&1 </dev/null", bundle, id);
	ck_assert_msg(rc == 0, "the token init container (exit %d): %s", rc, out);
	free(out);
	(void)pcb_test_runf(NULL, "runc delete -f '%s-init' >/dev/null 2>&1", id);
	out = pcb_xasprintf("%s/token/token", dir);
	ck_assert_int_eq(stat(out, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	ck_assert_int_eq(sb.st_uid, 10001);
	free(out);

	/* The daemon: the image's own Entrypoint (the bundle made again from the image, so its
	 * args are the image's; "[]" keeps them). */
	free(bundle);
	ck_assert_int_eq(pcb_test_runf(NULL, "rm -rf '%s/bundle-runc'", top), 0);
	bundle = unpack("bundle-runc");
	cmd = pcb_xasprintf("cd '%s' && /usr/bin/python3 '%s/edit-config.py' '%s/config.json' '[]' "
	    "\"$(cat mounts.json)\" \"$(cat env.json)\" 2>&1", dir, top, bundle);
	ck_assert_msg(pcb_test_run(cmd, true, &out) == 0, "edit-config: %s", out);
	free(out);
	free(cmd);
	pid = runc_start(bundle, id, log);
	sock = pcb_path_join(dir, "run/pycontainerd.sock");
	deadline = pcb_monotonic_ms() + 30000;
	for (;;) {
		rc = pcb_test_runf(&body, "setpriv --reuid 10001 --regid 10001 --clear-groups curl -sf "
		    "--max-time 5 --unix-socket '%s' http://pycontainerd/v1/health", sock);
		if (rc == 0 || waitpid(pid, &st, WNOHANG) == pid || pcb_monotonic_ms() > deadline)
			break;
		free(body);
		body = NULL;
		nanosleep(&(struct timespec){ 0, 100 * 1000000L }, NULL);
	}
	if (rc != 0) {
		char *text = pcb_test_read(log, NULL);
		(void)pcb_test_runf(NULL, "runc delete -f '%s' >/dev/null 2>&1", id);
		ck_abort_msg("the daemon in the image never answered /v1/health: %s",
		    text ? text : "(no log)");
	}
	ck_assert_msg(strstr(body, "\"status\":\"ok\"") != NULL, "health: %s", body);
	free(body);

	/* The CI container's side: loopback TCP in the pod's network namespace, the token from
	 * the Secret's file; the probe of the manifests; no token, no entry. */
	rc = pcb_test_runf(&out, "runc exec --user 10001:10001 --env "
	    "PCB_TOKEN_FILE=/etc/pycontainerd-secret/token '%s' /usr/local/bin/pcb -H "
	    "tcp://127.0.0.1:7070 version 2>&1", id);
	ck_assert_msg(rc == 0 && strstr(out, "at tcp://127.0.0.1:7070") != NULL, "pcb over TCP "
	    "(exit %d): %s", rc, out);
	free(out);
	rc = pcb_test_runf(&out, "runc exec --user 10001:10001 --env PCB_TOKEN=not-the-token-at-all "
	    "'%s' /usr/local/bin/pcb -H tcp://127.0.0.1:7070 version 2>&1", id);
	ck_assert_msg(rc != 0, "a wrong token was let in: %s", out);
	free(out);
	rc = pcb_test_runf(&out, "runc exec --user 10001:10001 '%s' %s %s %s %s 2>&1", id,
	    jstr(k8s, "probe.0"), jstr(k8s, "probe.1"), jstr(k8s, "probe.2"), jstr(k8s, "probe.3"));
	ck_assert_msg(rc == 0, "the probe: %s", out);
	free(out);

	/* A build with a dependency: pip download runs inside the image. */
	rc = pcb_test_runf(&out, "runc exec --user 10001:10001 --env "
	    "PCB_TOKEN_FILE=/etc/pycontainerd-secret/token --env SOURCE_DATE_EPOCH=" SDE " '%s' "
	    "/usr/local/bin/pcb -H tcp://127.0.0.1:7070 build /workspace/proj --base-image scratch "
	    "--find-links /wheels -t proj:1 -o type=oci,dest=/workspace/out --json --progress quiet "
	    "2>&1", id);
	ck_assert_msg(rc == 0, "pcb build in the pod (exit %d): %s", rc, out);
	build = pcb_test_json(out, "pcb build --json");
	ck_assert_msg(strstr(out, "click") != NULL, "no click in the build: %s", out);
	json_object_put(build);
	free(out);
	out = pcb_xasprintf("%s/workspace/out/index.json", dir);
	ck_assert_int_eq(stat(out, &sb), 0);
	ck_assert_int_eq(sb.st_uid, 10001);
	free(out);
	out = pcb_xasprintf("%s/workspace/out", dir);
	free(pcb_test_check_layout(out, "1", NULL));
	free(out);

	/* SIGTERM: the daemon stops cleanly, as a pod's container is stopped. */
	(void)pcb_test_runf(NULL, "runc kill '%s' TERM >/dev/null 2>&1", id);
	deadline = pcb_monotonic_ms() + 30000;
	while (waitpid(pid, &st, WNOHANG) == 0 && pcb_monotonic_ms() < deadline)
		nanosleep(&(struct timespec){ 0, 50 * 1000000L }, NULL);
	(void)pcb_test_runf(NULL, "runc delete -f '%s' >/dev/null 2>&1", id);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the daemon's exit: %d", st);
	ck_assert_int_ne(stat(sock, &sb), 0);   /* it removed its socket */

	json_object_put(k8s);
	free(sock);
	free(log);
	free(id);
	free(envj);
	free(mounts);
	free(wheel);
	free(dir);
	free(cfgdir);
	free(bundle);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("daemon-image");
	TCase *tc = tcase_create("image");

	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_layout_and_config);
	tcase_add_test(tc, test_reproducible_and_user);
	tcase_add_test(tc, test_rootfs_runs);
	tcase_add_test(tc, test_kubernetes_manifests);
	tcase_add_test(tc, test_runs_like_the_pod);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
