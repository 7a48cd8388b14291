/* multi.c — the multi-platform driver (see multi.h): every platform's part of the build on a
 * few helper threads, the app layer packed once beside them, then the index, its tags, the
 * outputs and the pushes.
 *
 * Why threads inside the job rather than one job per platform: the parts share the app layer,
 * the plan and the outcome (one index, one tag), and a platform of a build waiting in the job
 * queue behind another user's build would hold the whole index back. The helpers are bounded
 * by the CPUs (the compression pool is process-wide already, so parallel packs share it), and
 * the job still takes one worker of the daemon's pool. */
#include "multi.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/jsonx.h"
#include "image/archive.h"
#include "image/events.h"
#include "image/oci.h"

#define MULTI_MAX_THREADS 8
/* How often the waiting driver looks at the job's cancel flag (it forwards it to the parts). */
#define MULTI_CANCEL_POLL_MS 200

struct multi;

/* One piece of work for a helper, and the context its part reports through. */
struct slot {
	struct multi *m;
	const char *platform;          /* as the plan has it; NULL: the app layer (no prefix) */
	struct pcb_build_ctx ctx;      /* emit: slot_emit; cancel: the driver's flag */
	struct pcb_build_part *part;
	bool is_app;
	int rc;
	struct pcb_err err;
};

struct multi {
	const struct pcb_build_spec *s;
	const struct pcb_build_ctx *outer;
	/* Serialises the events of the helpers (the daemon's emit takes one at a time) and
	 * guards step. */
	pthread_mutex_t emit_mu;
	int step, steps;
	/* The parts stop on this one: the job's cancel flag forwarded by the driver, or a
	 * failed platform when the build cannot go on without it. */
	atomic_int cancel;
	/* The work: slots[0] is the app layer, slots[1..] the platforms. */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct slot *slots;
	size_t n_slots, next, done;
};

static void
multi_emit(struct multi *m, const struct pcb_event *ev)
{
	struct pcb_event e = *ev;

	pthread_mutex_lock(&m->emit_mu);
	e.step = m->step;
	e.steps = m->steps;
	if (m->outer->emit != NULL)
		m->outer->emit(m->outer->emit_ud, &e);
	pthread_mutex_unlock(&m->emit_mu);
}

static void
multi_phase(struct multi *m, const char *phase, const char *message)
{
	multi_emit(m, &(struct pcb_event){ .type = PCB_EVENT_PHASE, .phase = phase,
	    .message = message });
}

static void
multi_next_step(struct multi *m)
{
	pthread_mutex_lock(&m->emit_mu);
	if (m->step < m->steps)
		m->step++;
	pthread_mutex_unlock(&m->emit_mu);
}

/* A part's event: its messages and progress say which platform they are about, its layer
 * events carry "platform" (the layer names stay the single-platform ones). */
static void
slot_emit(void *ud, const struct pcb_event *ev)
{
	const struct slot *sl = ud;
	struct pcb_event e = *ev;
	char *msg = NULL, *layer = NULL;
	json_object *data = NULL;

	if (sl->platform != NULL) {
		if (e.message != NULL)
			e.message = msg = pcb_xasprintf("%s: %s", sl->platform, e.message);
		if (e.type == PCB_EVENT_PROGRESS && e.layer != NULL)
			e.layer = layer = pcb_xasprintf("%s %s", sl->platform, e.layer);
		if (e.type == PCB_EVENT_LAYER && e.data != NULL &&
		    json_object_deep_copy(e.data, &data, NULL) == 0) {
			json_object_object_add(data, "platform", json_object_new_string(sl->platform));
			e.data = data;
		}
	}
	multi_emit(sl->m, &e);
	json_object_put(data);
	free(msg);
	free(layer);
}

static bool
outer_cancelled(const struct multi *m)
{
	return m->outer->cancel != NULL && atomic_load(m->outer->cancel) != 0;
}

static void *
helper_main(void *arg)
{
	struct multi *m = arg;

	pthread_mutex_lock(&m->mu);
	while (m->next < m->n_slots) {
		struct slot *sl = &m->slots[m->next++];

		pthread_mutex_unlock(&m->mu);
		pcb_err_clear(&sl->err);
		if (atomic_load(&m->cancel) != 0)
			sl->rc = pcb_err_set(&sl->err, PCB_ECANCELED, "build cancelled");
		else if (sl->is_app)
			sl->rc = pcb_build_part_app(sl->part, &sl->err);
		else
			sl->rc = pcb_build_part_prepare(sl->part, &sl->err);
		/* Without skip, one platform failing fails the build: the others stop early. */
		if (sl->rc != 0 && (sl->is_app || !m->s->platform_fail_skip))
			atomic_store(&m->cancel, 1);
		pthread_mutex_lock(&m->mu);
		m->done++;
		pthread_cond_broadcast(&m->cond);
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

/* Runs every slot on up to one helper per CPU and waits for them, forwarding the job's
 * cancel flag meanwhile (the parts look at the driver's flag, which a failure raises too). */
static void
run_slots(struct multi *m)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = cpus > 0 ? (size_t)cpus : 1;
	pthread_t th[MULTI_MAX_THREADS];
	size_t started = 0;

	if (n > MULTI_MAX_THREADS)
		n = MULTI_MAX_THREADS;
	if (n > m->n_slots)
		n = m->n_slots;
	for (size_t i = 0; i < n; i++)
		if (pthread_create(&th[started], NULL, helper_main, m) == 0)
			started++;
	if (started == 0)
		(void)helper_main(m);   /* no thread to be had: do the work here */
	pthread_mutex_lock(&m->mu);
	while (m->done < m->n_slots) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)MULTI_CANCEL_POLL_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&m->cond, &m->mu, &ts);
		if (outer_cancelled(m))
			atomic_store(&m->cancel, 1);
	}
	pthread_mutex_unlock(&m->mu);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
}

static json_object *
strv_json(const struct pcb_strv *sv)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < sv->n; i++)
		json_object_array_add(a, json_object_new_string(sv->v[i]));
	return a;
}

static json_object *
platform_json(const struct pcb_platform *p)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "architecture", json_object_new_string(p->arch));
	json_object_object_add(o, "os", json_object_new_string(p->os));
	if (p->variant[0] != '\0')
		json_object_object_add(o, "variant", json_object_new_string(p->variant));
	return o;
}

static bool
is_host(const struct pcb_platform *p)
{
	struct pcb_platform h;

	pcb_platform_host(&h);
	return strcmp(h.os, p->os) == 0 && strcmp(h.arch, p->arch) == 0 &&
	    strcmp(pcb_platform_variant(h.arch, h.variant), pcb_platform_variant(p->arch,
	    p->variant)) == 0;
}

/* The platforms that failed, as the build's error: the first one's whole message (in the
 * order asked), the others named. */
static int
platform_failure(struct multi *m, struct pcb_err *err)
{
	struct slot *first = NULL;
	struct pcb_buf others;
	int rc;

	pcb_buf_init(&others, 4096);
	for (size_t i = 1; i < m->n_slots; i++) {
		struct slot *sl = &m->slots[i];
		if (sl->rc == 0 || sl->rc == PCB_ECANCELED)
			continue;
		if (first == NULL)
			first = sl;
		else
			(void)pcb_buf_appendf(&others, "%s%s", others.len > 0 ? ", " : "",
			    sl->platform);
	}
	if (first == NULL) {
		pcb_buf_free(&others);
		return 0;
	}
	if (err != NULL)
		*err = first->err;
	pcb_err_prefix(err, "platform %s", first->platform);
	if (err != NULL && others.len > 0) {
		size_t n = strlen(err->msg);
		snprintf(err->msg + n, sizeof err->msg - n, " (also failed: %s)", others.data);
	}
	rc = first->rc;
	pcb_buf_free(&others);
	return rc;
}

/* The index over the parts that were built, stored and pinned. */
static int
put_index(struct multi *m, struct pcb_build_part **parts, size_t n, char *digest,
    size_t *size, bool *pinned, struct pcb_err *err)
{
	json_object *idx = json_object_new_object(), *ms = json_object_new_array();
	int rc;

	for (size_t i = 0; i < n; i++) {
		struct pcb_build_part_info pi;
		json_object *d;

		pcb_build_part_info(parts[i], &pi);
		d = pcb_oci_descriptor(PCB_MT_OCI_MANIFEST, pi.manifest_digest, pi.manifest_size);
		json_object_object_add(d, "platform", platform_json(pi.platform));
		json_object_array_add(ms, d);
	}
	json_object_object_add(idx, "schemaVersion", json_object_new_int(2));
	json_object_object_add(idx, "mediaType", json_object_new_string(PCB_MT_OCI_INDEX));
	json_object_object_add(idx, "manifests", ms);
	rc = pcb_oci_put_json(m->outer->store, idx, PCB_MT_OCI_INDEX, digest, size, err);
	json_object_put(idx);
	if (rc == 0)
		*pinned = pcb_store_pin(m->outer->store, digest) == 0;
	return rc;
}

/* One output holding the index: every platform's base layers are fetched first (a layout
 * or an archive holds every byte). */
static int
export_one(struct multi *m, struct pcb_build_part **parts, size_t n,
    size_t primary, const struct pcb_output *o, const char *index_digest, size_t index_size,
    json_object *outs, struct pcb_err *err)
{
	struct pcb_build_part_info pi;
	struct pcb_strv blobs, all;
	json_object *oj;
	int rc = 0;

	pcb_strv_init(&blobs);
	pcb_strv_init(&all);
	for (size_t i = 0; i < n; i++)
		if ((rc = pcb_build_part_fetch_base(parts[i], err)) != 0)
			goto out;
	if (outer_cancelled(m)) {
		rc = pcb_err_set(err, PCB_ECANCELED, "build cancelled");
		goto out;
	}
	multi_phase(m, "export", o->path);
	pcb_build_part_info(parts[primary], &pi);
	oj = json_object_new_object();
	json_object_object_add(oj, "type", json_object_new_string(pcb_output_type_name(o->type)));
	json_object_object_add(oj, "path", json_object_new_string(o->path));
	if (o->type != PCB_OUTPUT_OCI_LAYOUT) {
		struct pcb_archive_image img = { index_digest, pi.tags, pi.platform };
		rc = pcb_archive_write_file(m->outer->store, o->type == PCB_OUTPUT_DOCKER_ARCHIVE ?
		    PCB_ARCHIVE_DOCKER : PCB_ARCHIVE_OCI, &img, o->path, &m->s->as,
		    m->outer->cancel, err);
		json_object_object_add(oj, "tags", strv_json(pi.tags));
	} else {
		/* Every platform's manifest, config and layers; shared layers once. */
		for (size_t i = 0; i < n; i++) {
			struct pcb_build_part_info ci;
			pcb_build_part_info(parts[i], &ci);
			pcb_strv_push(&all, ci.manifest_digest);
			pcb_build_part_blobs(parts[i], &all);
		}
		for (size_t i = 0; i < all.n; i++)
			if (!pcb_strv_contains(&blobs, all.v[i]))
				pcb_strv_push(&blobs, all.v[i]);
		rc = pcb_oci_layout_write(m->outer->store, o->path, index_digest, index_size,
		    &blobs, pi.ref_names, NULL, &m->s->as, err);
		json_object_object_add(oj, "ref_names", strv_json(pi.ref_names));
	}
	if (rc == 0)
		json_object_array_add(outs, oj);
	else
		json_object_put(oj);
out:
	pcb_strv_free(&blobs);
	pcb_strv_free(&all);
	return rc;
}

int
pcb_multi_run(const struct pcb_build_spec *s, const struct pcb_build_ctx *ctx,
    const struct pcb_strv *platforms, json_object **result_out, struct pcb_err *err)
{
	struct multi m;
	struct slot drv;
	struct pcb_build_part **built = NULL;
	struct pcb_build_part_info pi;
	json_object *result = NULL, *outs = json_object_new_array(), *pushed = json_object_new_array();
	json_object *skipped = json_object_new_array(), *plist;
	char index_digest[PCB_DIGEST_BUFSZ] = "", *msg;
	struct pcb_buf names;
	size_t index_size = 0, n_built = 0, primary = 0;
	bool pinned = false;
	int rc = 0;

	memset(&m, 0, sizeof m);
	m.s = s;
	m.outer = ctx;
	pthread_mutex_init(&m.emit_mu, NULL);
	pthread_mutex_init(&m.mu, NULL);
	pthread_cond_init(&m.cond, NULL);
	atomic_init(&m.cancel, 0);
	pcb_buf_init(&names, 64 * 1024);
	/* Steps: plan (done by pcb_build_run), the platforms, the images and the index, the
	 * tags, one per output, one per tag pushed. */
	m.step = 1;
	m.steps = 4 + (int)s->n_outputs;
	memset(&drv, 0, sizeof drv);
	drv.m = &m;
	drv.ctx = (struct pcb_build_ctx){ ctx->store, &m.cancel, slot_emit, &drv };

	/* Every part planned here, one after the other (plans switch to the caller's rights on
	 * this thread); slots[0], the app layer, has a part of its own so that no two threads
	 * ever share one. */
	m.n_slots = platforms->n + 1;
	m.slots = pcb_xcalloc(m.n_slots, sizeof *m.slots);
	for (size_t i = 0; i < m.n_slots; i++) {
		struct slot *sl = &m.slots[i];
		const char *plat = platforms->v[i == 0 ? 0 : i - 1];

		sl->m = &m;
		sl->is_app = i == 0;
		sl->platform = i == 0 ? NULL : plat;
		sl->ctx = (struct pcb_build_ctx){ ctx->store, &m.cancel, slot_emit, sl };
		if ((rc = pcb_build_part_create(s, &sl->ctx, plat, &sl->part, err)) != 0) {
			pcb_err_prefix(err, "platform %s", plat);
			goto out;
		}
	}
	pcb_build_part_info(m.slots[1].part, &pi);
	if (s->push)
		m.steps += (int)pi.tags->n;

	multi_next_step(&m);
	for (size_t i = 0; i < platforms->n; i++)
		(void)pcb_buf_appendf(&names, "%s%s", i > 0 ? ", " : "", platforms->v[i]);
	msg = pcb_xasprintf("%zu platforms (%s): bases and dependencies per platform, one app "
	    "layer for all", platforms->n, names.data);
	multi_phase(&m, "platforms", msg);
	free(msg);
	run_slots(&m);
	/* No helper runs any more: from here the job's own flag stops the outputs and pushes. */
	for (size_t i = 0; i < m.n_slots; i++)
		m.slots[i].ctx.cancel = ctx->cancel;
	drv.ctx.cancel = ctx->cancel;
	if (outer_cancelled(&m)) {
		rc = pcb_err_set(err, PCB_ECANCELED, "build cancelled");
		goto out;
	}
	if (m.slots[0].rc != 0) {
		rc = m.slots[0].rc;
		if (err != NULL)
			*err = m.slots[0].err;
		goto out;
	}
	if (!s->platform_fail_skip && (rc = platform_failure(&m, err)) != 0)
		goto out;

	/* What is left: with skip, the platforms that failed are named and dropped. */
	built = pcb_xcalloc(platforms->n, sizeof *built);
	for (size_t i = 1; i < m.n_slots; i++) {
		struct slot *sl = &m.slots[i];
		json_object *sk;

		if (sl->rc == 0) {
			built[n_built++] = sl->part;
			continue;
		}
		if (sl->rc == PCB_ECANCELED) {
			rc = pcb_err_set(err, PCB_ECANCELED, "build cancelled");
			goto out;
		}
		sk = json_object_new_object();
		json_object_object_add(sk, "platform", json_object_new_string(sl->platform));
		json_object_object_add(sk, "error", json_object_new_string(sl->err.msg));
		json_object_object_add(sk, "code", json_object_new_string(
		    pcb_err_code_name(sl->rc)));
		json_object_array_add(skipped, sk);
		msg = pcb_xasprintf("platform %s skipped (--platform-fail=skip): %s", sl->platform,
		    sl->err.msg);
		multi_emit(&m, &(struct pcb_event){ .type = PCB_EVENT_LOG, .level = "warn",
		    .message = msg });
		free(msg);
	}
	if (n_built == 0) {
		rc = platform_failure(&m, err);
		pcb_err_prefix(err, "no platform could be built (--platform-fail=skip)");
		goto out;
	}

	multi_next_step(&m);
	multi_phase(&m, "manifest", "writing each platform's config and manifest, and the index");
	for (size_t i = 0; i < n_built; i++) {
		pcb_build_part_share_app(built[i], m.slots[0].part);
		if ((rc = pcb_build_part_image(built[i], err)) != 0)
			goto out;
	}
	/* The host's platform stands for the index where one image is shown (config, layers),
	 * as `pcb inspect` picks it; else the first one. */
	for (size_t i = n_built; i-- > 0;) {
		pcb_build_part_info(built[i], &pi);
		if (is_host(pi.platform))
			primary = i;
	}
	if ((rc = put_index(&m, built, n_built, index_digest, &index_size, &pinned, err)) != 0)
		goto out;

	multi_next_step(&m);
	pcb_build_part_info(built[primary], &pi);
	multi_phase(&m, "tag", pi.tags->v[0]);
	for (size_t i = 0; i < pi.tags->n; i++)
		if ((rc = pcb_store_tag_set_as(ctx->store, &s->as, pi.tags->v[i], index_digest,
		    err)) != 0)
			goto out;

	for (size_t i = 0; i < s->n_outputs; i++) {
		multi_next_step(&m);
		if ((rc = export_one(&m, built, n_built, primary, &s->outputs[i], index_digest,
		    index_size, outs, err)) != 0)
			goto out;
	}
	/* Each manifest by digest, then the index under the tag (registry.h pcb_registry_push):
	 * after everything local, so a failed push leaves the index tagged and exported. */
	for (size_t i = 0; s->push && i < pi.tags->n; i++) {
		json_object *pj = NULL;
		multi_next_step(&m);
		if ((rc = pcb_transfer_push(&s->access, &drv.ctx, index_digest, pi.tags->v[i], &pj,
		    err)) != 0) {
			if (outer_cancelled(&m))
				rc = pcb_err_set(err, PCB_ECANCELED, "build cancelled");
			goto out;
		}
		json_object_array_add(pushed, pj);
	}

	result = pcb_build_part_result(built[primary]);
	plist = json_object_new_array();
	for (size_t i = 0; i < n_built; i++)
		json_object_array_add(plist, pcb_build_part_result(built[i]));
	json_object_object_add(result, "manifest",
	    pcb_oci_descriptor(PCB_MT_OCI_INDEX, index_digest, index_size));
	json_object_object_add(result, "index",
	    pcb_oci_descriptor(PCB_MT_OCI_INDEX, index_digest, index_size));
	pcb_buf_free(&names);
	pcb_buf_init(&names, 64 * 1024);
	for (size_t i = 0; i < n_built; i++) {
		char text[100];
		struct pcb_build_part_info ci;
		pcb_build_part_info(built[i], &ci);
		pcb_platform_format(ci.platform, text);
		(void)pcb_buf_appendf(&names, "%s%s", i > 0 ? "," : "", text);
	}
	json_object_object_add(result, "platform", json_object_new_string(names.data));
	json_object_object_add(result, "platforms", plist);
	json_object_object_add(result, "skipped", skipped);
	skipped = NULL;
	{
		json_object *img = json_object_new_object();
		json_object_object_add(img, "name", json_object_new_string(pi.image_name));
		json_object_object_add(img, "tags", strv_json(pi.tags));
		json_object_object_add(result, "image", img);
	}
	json_object_object_add(result, "outputs", outs);
	json_object_object_add(result, "pushed", pushed);
	outs = pushed = NULL;
out:
	if (pinned)
		pcb_store_unpin(ctx->store, index_digest);
	for (size_t i = 0; m.slots != NULL && i < m.n_slots; i++)
		pcb_build_part_destroy(m.slots[i].part);
	free(m.slots);
	free(built);
	json_object_put(outs);
	json_object_put(pushed);
	json_object_put(skipped);
	pcb_buf_free(&names);
	pthread_cond_destroy(&m.cond);
	pthread_mutex_destroy(&m.mu);
	pthread_mutex_destroy(&m.emit_mu);
	if (rc != 0) {
		json_object_put(result);
		result = NULL;
	}
	*result_out = result;
	return rc;
}
