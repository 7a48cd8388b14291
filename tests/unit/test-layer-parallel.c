/* test-layer-parallel.c — the parallel packer: chunked gzip members and zstd decompress to
 * exactly the tar that was hashed (diff_id), the bytes do not depend on the worker count,
 * edge sizes around the chunk size, per-file digests, cancellation, and real readers (gzip,
 * zcat, zstd, umoci, skopeo) taking the multi-member blobs. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>

#include "base/util.h"
#include "image/layer.h"
#include "image/store.h"
#include "testutil.h"

#define MTIME 1700000000
#define CHUNK PCB_LAYER_CHUNK

static char *tdir;
static struct pcb_store *store;

static void
setup(void)
{
	store = pcb_test_store_new(&tdir);
}

static void
teardown(void)
{
	pcb_test_store_free(store, tdir);
	store = NULL;
	tdir = NULL;
	/* Joins the pool's threads: a clean exit under valgrind, and the next pack restarts it. */
	pcb_layer_pool_shutdown();
}

/* n bytes of text that compresses somewhat (not a repeated pattern). */
static char *
text(size_t n, unsigned seed)
{
	char *s = pcb_xmalloc(n + 1);
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		s[i] = (i % 61 == 60) ? '\n' : (char)('a' + (x >> 16) % ((x >> 28) + 4));
	}
	s[n] = '\0';
	return s;
}

static int
pack_dir(const char *ctx, const struct pcb_layer_opts *opts, struct pcb_layer_result *res,
    struct pcb_err *e)
{
	struct pcb_layer_list l;
	int rc;

	pcb_layer_list_init(&l);
	rc = pcb_layer_list_add(&l, ctx, ".", "", NULL, NULL, e);
	ck_assert_msg(rc == 0, "list: %s", e->msg);
	pcb_layer_list_finish(&l);
	rc = pcb_layer_pack(store, &l, opts, res, e);
	pcb_layer_list_free(&l);
	return rc;
}

static char *
read_blob(const struct pcb_layer_result *r, size_t *len)
{
	char *path = pcb_store_blob_path(store, r->digest);
	char *data = pcb_test_read(path, len);

	ck_assert_ptr_nonnull(data);
	free(path);
	return data;
}

static void
sha_str(EVP_MD_CTX *md, char out[PCB_DIGEST_BUFSZ])
{
	unsigned char bin[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	ck_assert_int_eq(EVP_DigestFinal_ex(md, bin, &n), 1);
	pcb_sha256_digest_str(bin, out);
}

/* Inflates every gzip member in turn (as a multistream reader does); checks that each one
 * has the fixed header and holds at most one chunk. Returns the member count; *sha gets the
 * digest of everything inflated, *total its length. */
static size_t
inflate_members(const unsigned char *in, size_t len, char sha[PCB_DIGEST_BUFSZ],
    uint64_t *total)
{
	static const unsigned char hdr[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255 };
	unsigned char *out = pcb_xmalloc(CHUNK + 1);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t members = 0, off = 0;
	z_stream z;

	*total = 0;
	ck_assert_int_eq(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
	while (off < len) {
		int zr;

		ck_assert_msg(len - off >= 18 && memcmp(in + off, hdr, sizeof hdr) == 0,
		    "member %zu at %zu: header", members, off);
		memset(&z, 0, sizeof z);
		ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
		z.next_in = (unsigned char *)(uintptr_t)(in + off);
		z.avail_in = (uInt)(len - off);
		/* One extra byte of room: a member holding more than one chunk would fill it. */
		z.next_out = out;
		z.avail_out = (uInt)(CHUNK + 1);
		zr = inflate(&z, Z_FINISH);
		ck_assert_msg(zr == Z_STREAM_END, "member %zu: inflate %d", members, zr);
		ck_assert_uint_le(z.total_out, CHUNK);
		ck_assert_int_eq(EVP_DigestUpdate(md, out, z.total_out), 1);
		*total += z.total_out;
		off += z.total_in;
		inflateEnd(&z);
		members++;
	}
	sha_str(md, sha);
	EVP_MD_CTX_free(md);
	free(out);
	return members;
}

static void
unzstd(const unsigned char *in, size_t len, char sha[PCB_DIGEST_BUFSZ], uint64_t *total)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	ZSTD_inBuffer ib = { in, len, 0 };
	size_t cap = ZSTD_DStreamOutSize(), r = 1;
	unsigned char *out = pcb_xmalloc(cap);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	*total = 0;
	ck_assert_int_eq(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
	while (ib.pos < ib.size || r != 0) {
		ZSTD_outBuffer ob = { out, cap, 0 };
		size_t before = ib.pos;

		r = ZSTD_decompressStream(d, &ob, &ib);
		ck_assert_msg(!ZSTD_isError(r), "zstd: %s", ZSTD_getErrorName(r));
		ck_assert_int_eq(EVP_DigestUpdate(md, out, ob.pos), 1);
		*total += ob.pos;
		if (ob.pos == 0 && ib.pos == before)
			break;
	}
	ck_assert_uint_eq(r, 0);   /* the frame ended */
	sha_str(md, sha);
	EVP_MD_CTX_free(md);
	ZSTD_freeDCtx(d);
	free(out);
}

/* Checks that the blob decompresses to the tar that was hashed; returns the member count
 * (gzip) or 1 (zstd). */
static size_t
check_blob(const struct pcb_layer_result *r, enum pcb_compression c)
{
	size_t len, members = 1;
	unsigned char *blob = (unsigned char *)read_blob(r, &len);
	char sha[PCB_DIGEST_BUFSZ];
	uint64_t total;

	ck_assert_uint_eq(len, r->size);
	ck_assert_str_eq(r->media_type, pcb_layer_media_type(c));
	if (c == PCB_COMPRESS_GZIP)
		members = inflate_members(blob, len, sha, &total);
	else
		unzstd(blob, len, sha, &total);
	ck_assert_str_eq(sha, r->diff_id);
	ck_assert_uint_eq(total, r->tar_size);
	pcb_sha256_buf(blob, len, sha);
	ck_assert_str_eq(sha, r->digest);
	free(blob);
	return members;
}

/* A tree of several chunks: one file bigger than two chunks, many small ones. */
static char *
make_tree(void)
{
	char *ctx = pcb_path_join(tdir, "ctx"), *big = text(CHUNK * 5 / 2 + 777, 1);

	pcb_test_write(ctx, "big/data.txt", big, 0644);
	free(big);
	for (int i = 0; i < 300; i++) {
		char name[64], *t = text(100 + (size_t)i * 37, (unsigned)i + 2);
		snprintf(name, sizeof name, "pkg/m%03d/mod.py", i);
		pcb_test_write(ctx, name, t, i % 7 == 0 ? 0755 : 0644);
		free(t);
	}
	return ctx;
}

START_TEST(test_gzip_members_are_the_tar)
{
	char *ctx = make_tree(), *path, *out;
	struct pcb_layer_opts o = { .mtime = MTIME, .workers = 2 };
	struct pcb_layer_result r;
	struct pcb_err e;
	size_t members;

	ck_assert_msg(pack_dir(ctx, &o, &r, &e) == 0, "%s", e.msg);
	members = check_blob(&r, PCB_COMPRESS_GZIP);
	ck_assert_uint_eq(members, (r.tar_size + CHUNK - 1) / CHUNK);
	ck_assert_uint_ge(members, 3);
	/* The command-line readers take the concatenated members. */
	path = pcb_store_blob_path(store, r.digest);
	ck_assert_int_eq(pcb_test_runf(NULL, "gzip -t '%s'", path), 0);
	ck_assert_int_eq(pcb_test_runf(&out, "zcat '%s' | sha256sum", path), 0);
	ck_assert_msg(strncmp(out, r.diff_id + 7, 64) == 0, "%s vs %s", out, r.diff_id);
	free(out);
	ck_assert_int_eq(pcb_test_runf(&out, "zcat '%s' | tar -tf - | wc -l", path), 0);
	ck_assert_int_eq(atoi(out), 300 * 2 + 1 + 2);   /* files, pkg/mNNN, pkg, big, big/data */
	free(out);
	free(path);
	free(ctx);
}
END_TEST

/* Same bytes whatever the number of workers, for both compressions; the same tar for both. */
START_TEST(test_workers_do_not_change_bytes)
{
	static const int workers[] = { 1, 2, 4, 8, 0 };
	char *ctx = make_tree();
	char gz[PCB_DIGEST_BUFSZ] = "", zs[PCB_DIGEST_BUFSZ] = "", diff[PCB_DIGEST_BUFSZ] = "";
	struct pcb_err e;

	for (size_t i = 0; i < PCB_ARRAY_LEN(workers); i++) {
		for (int c = 0; c < 2; c++) {
			struct pcb_layer_opts o = { .mtime = MTIME, .workers = workers[i],
			    .compression = c ? PCB_COMPRESS_ZSTD : PCB_COMPRESS_GZIP };
			struct pcb_layer_result r;
			char *want = c ? zs : gz;

			ck_assert_msg(pack_dir(ctx, &o, &r, &e) == 0, "%s", e.msg);
			if (want[0] == '\0') {
				check_blob(&r, o.compression);
				memcpy(want, r.digest, sizeof r.digest);
			}
			ck_assert_msg(strcmp(r.digest, want) == 0, "%s workers %d: %s vs %s",
			    c ? "zstd" : "gzip", workers[i], r.digest, want);
			if (diff[0] == '\0')
				memcpy(diff, r.diff_id, sizeof r.diff_id);
			ck_assert_str_eq(r.diff_id, diff);
		}
	}
	ck_assert_str_ne(gz, zs);
	free(ctx);
}
END_TEST

START_TEST(test_levels)
{
	char *ctx = make_tree();
	struct pcb_layer_result r1, r9, rdef, z1, z9;
	struct pcb_err e;
	struct pcb_layer_opts o = { .mtime = MTIME };

	ck_assert_int_eq(pack_dir(ctx, &o, &rdef, &e), 0);
	o.gzip_level = PCB_LAYER_GZIP_DEFAULT;
	ck_assert_int_eq(pack_dir(ctx, &o, &r1, &e), 0);
	ck_assert_str_eq(r1.digest, rdef.digest);   /* 0 means the default */
	o.gzip_level = 1;
	ck_assert_int_eq(pack_dir(ctx, &o, &r1, &e), 0);
	o.gzip_level = 12;
	ck_assert_int_eq(pack_dir(ctx, &o, &r9, &e), 0);
	check_blob(&r9, PCB_COMPRESS_GZIP);
	ck_assert_uint_gt(r1.size, r9.size);
	ck_assert_str_eq(r1.diff_id, r9.diff_id);
	o.gzip_level = 13;
	ck_assert_int_eq(pack_dir(ctx, &o, &r9, &e), PCB_EINVAL);
	ck_assert_msg(strstr(e.msg, "gzip level") != NULL, "%s", e.msg);
	o.gzip_level = 0;
	o.compression = PCB_COMPRESS_ZSTD;
	o.zstd_level = 1;
	ck_assert_int_eq(pack_dir(ctx, &o, &z1, &e), 0);
	o.zstd_level = 9;
	ck_assert_int_eq(pack_dir(ctx, &o, &z9, &e), 0);
	ck_assert_str_ne(z1.digest, z9.digest);
	ck_assert_str_eq(z1.diff_id, z9.diff_id);
	o.zstd_level = 20;
	ck_assert_int_eq(pack_dir(ctx, &o, &z9, &e), PCB_EINVAL);
	o.zstd_level = 0;
	o.compression = (enum pcb_compression)7;
	ck_assert_int_eq(pack_dir(ctx, &o, &z9, &e), PCB_EINVAL);
	free(ctx);
}
END_TEST

/* Packs one file of `size` bytes (or nothing when size is -1) at the image root. */
static void
pack_one(long size, enum pcb_compression c, struct pcb_layer_result *r)
{
	struct pcb_layer_list l;
	struct pcb_layer_opts o = { .mtime = MTIME, .compression = c };
	struct pcb_err e;
	char *ctx = pcb_path_join(tdir, "one");

	pcb_layer_list_init(&l);
	pcb_test_mkdir(tdir, "one");
	if (size >= 0) {
		char *t = text((size_t)size, 9);
		pcb_test_write(ctx, "f.bin", t, 0644);
		free(t);
		ck_assert_int_eq(pcb_layer_list_add(&l, ctx, "f.bin", "", NULL, NULL, &e), 0);
	}
	pcb_layer_list_finish(&l);
	ck_assert_msg(pcb_layer_pack(store, &l, &o, r, &e) == 0, "%s", e.msg);
	pcb_layer_list_free(&l);
	free(ctx);
}

START_TEST(test_edge_sizes)
{
	struct pcb_layer_result r;

	for (int c = 0; c < 2; c++) {
		enum pcb_compression comp = c ? PCB_COMPRESS_ZSTD : PCB_COMPRESS_GZIP;
		size_t members;

		/* Empty layer: just the two zero blocks that end a tar. */
		pack_one(-1, comp, &r);
		ck_assert_uint_eq(r.tar_size, 1024);
		ck_assert_uint_eq(r.n_entries, 0);
		ck_assert_uint_eq(check_blob(&r, comp), 1);
		/* Smaller than one chunk. */
		pack_one(1000, comp, &r);
		ck_assert_uint_eq(r.tar_size, 512 + 1024 + 1024);
		ck_assert_uint_eq(check_blob(&r, comp), 1);
		/* Exactly two chunks: header + data + trailer = 2 MiB, no empty third member. */
		pack_one((long)(2 * CHUNK - 1536), comp, &r);
		ck_assert_uint_eq(r.tar_size, 2 * CHUNK);
		members = check_blob(&r, comp);
		ck_assert_uint_eq(members, comp == PCB_COMPRESS_GZIP ? 2 : 1);
		/* One byte more of tar (a block) spills into a third chunk. */
		pack_one((long)(2 * CHUNK - 1535), comp, &r);
		ck_assert_uint_eq(r.tar_size, 2 * CHUNK + 512);
		members = check_blob(&r, comp);
		ck_assert_uint_eq(members, comp == PCB_COMPRESS_GZIP ? 3 : 1);
	}
}
END_TEST

struct fd_log {
	size_t n;
	size_t idx[16];
	char hex[16][65];
};

static void
record_digest(void *ud, size_t index, const unsigned char sha[32], const struct stat *st)
{
	struct fd_log *fl = ud;

	ck_assert_ptr_nonnull(st);
	ck_assert(S_ISREG(st->st_mode));
	ck_assert_uint_lt(fl->n, PCB_ARRAY_LEN(fl->idx));
	fl->idx[fl->n] = index;
	pcb_hex(sha, 32, fl->hex[fl->n]);
	fl->n++;
}

START_TEST(test_file_digest)
{
	char *ctx = pcb_path_join(tdir, "ctx"), *big = text(CHUNK + 12345, 3);
	struct fd_log fl = { 0 };
	struct pcb_layer_list l;
	struct pcb_layer_opts o = { .mtime = MTIME, .file_digest = record_digest,
	    .file_digest_ud = &fl, .workers = 2 };
	struct pcb_layer_result r, r2;
	struct pcb_err e;
	size_t files = 0;

	pcb_test_write(ctx, "a/big.txt", big, 0644);
	pcb_test_write(ctx, "a/small.py", "print(1)\n", 0644);
	pcb_test_write(ctx, "empty", "", 0644);
	pcb_test_write(ctx, "z.sh", "#!/bin/sh\n", 0755);
	ck_assert_int_eq(pcb_test_runf(NULL, "cd '%s' && ln -s z.sh link && ln z.sh hard",
	    ctx), 0);
	pcb_layer_list_init(&l);
	ck_assert_int_eq(pcb_layer_list_add(&l, ctx, ".", "app", NULL, NULL, &e), 0);
	pcb_layer_list_finish(&l);
	ck_assert_msg(pcb_layer_pack(store, &l, &o, &r, &e) == 0, "%s", e.msg);
	for (size_t i = 0; i < l.n; i++)
		files += l.v[i].type == PCB_ENTRY_FILE;
	ck_assert_uint_eq(files, 4);   /* hard (a link to the first path) and link are not */
	ck_assert_uint_eq(fl.n, files);
	for (size_t k = 0; k < fl.n; k++) {
		const struct pcb_layer_entry *en = &l.v[fl.idx[k]];
		char *out;

		ck_assert_int_eq(en->type, PCB_ENTRY_FILE);
		if (k > 0)
			ck_assert_uint_gt(fl.idx[k], fl.idx[k - 1]);   /* list order */
		ck_assert_int_eq(pcb_test_runf(&out, "sha256sum '%s'", en->src), 0);
		ck_assert_msg(strncmp(out, fl.hex[k], 64) == 0, "%s: %s vs %s", en->path, out,
		    fl.hex[k]);
		free(out);
	}
	/* The callback does not change the layer. */
	o.file_digest = NULL;
	ck_assert_int_eq(pcb_layer_pack(store, &l, &o, &r2, &e), 0);
	ck_assert_str_eq(r.digest, r2.digest);
	pcb_layer_list_free(&l);
	free(big);
	free(ctx);
}
END_TEST

static void
cancel_after_a_chunk(void *ud, uint64_t done, uint64_t total)
{
	(void)total;
	if (done > CHUNK * 3 / 2)
		atomic_store((atomic_int *)ud, 1);
}

START_TEST(test_cancel_mid_pack)
{
	char *ctx = make_tree();
	char *blobs = pcb_path_join(pcb_store_root(store), "blobs/sha256");
	char *tmp = pcb_path_join(pcb_store_root(store), "tmp");
	struct pcb_layer_result r;
	struct pcb_err e;

	for (int c = 0; c < 2; c++) {
		atomic_int flag = 0;
		struct pcb_layer_opts o = { .mtime = MTIME, .cancel = &flag,
		    .progress = cancel_after_a_chunk, .progress_ud = &flag, .workers = 2,
		    .compression = c ? PCB_COMPRESS_ZSTD : PCB_COMPRESS_GZIP };

		ck_assert_int_eq(pack_dir(ctx, &o, &r, &e), PCB_ECANCELED);
		ck_assert_msg(strstr(e.msg, "cancelled") != NULL, "%s", e.msg);
		ck_assert_int_eq(pcb_test_count_dir(blobs), 0);
		ck_assert_int_eq(pcb_test_count_dir(tmp), 0);
	}
	/* The pool is still good for the next pack. */
	{
		struct pcb_layer_opts o = { .mtime = MTIME };
		ck_assert_int_eq(pack_dir(ctx, &o, &r, &e), 0);
		ck_assert_int_eq(pcb_test_count_dir(blobs), 1);
	}
	free(blobs);
	free(tmp);
	free(ctx);
}
END_TEST

/* A file changing size mid-pack fails the pack with no blob, with chunks in flight. */
START_TEST(test_error_mid_pack)
{
	char *ctx = make_tree(), *blobs = pcb_path_join(pcb_store_root(store), "blobs/sha256");
	struct pcb_layer_list l;
	struct pcb_layer_opts o = { .mtime = MTIME, .workers = 2 };
	struct pcb_layer_result r;
	struct pcb_err e;

	pcb_layer_list_init(&l);
	ck_assert_int_eq(pcb_layer_list_add(&l, ctx, ".", "", NULL, NULL, &e), 0);
	pcb_layer_list_finish(&l);
	pcb_test_write(ctx, "pkg/m299/mod.py", "shorter now\n", 0644);
	ck_assert_int_eq(pcb_layer_pack(store, &l, &o, &r, &e), PCB_EINVAL);
	ck_assert_msg(strstr(e.msg, "m299/mod.py") != NULL, "%s", e.msg);
	ck_assert_int_eq(pcb_test_count_dir(blobs), 0);
	pcb_layer_list_free(&l);
	free(blobs);
	free(ctx);
}
END_TEST

struct conc {
	const char *ctx;
	enum pcb_compression c;
	struct pcb_layer_result r;
	int rc;
};

static void *
conc_pack(void *arg)
{
	struct conc *c = arg;
	struct pcb_layer_list l;
	struct pcb_layer_opts o = { .mtime = MTIME, .compression = c->c };
	struct pcb_err e;

	pcb_layer_list_init(&l);
	c->rc = pcb_layer_list_add(&l, c->ctx, ".", "", NULL, NULL, &e);
	pcb_layer_list_finish(&l);
	if (c->rc == 0)
		c->rc = pcb_layer_pack(store, &l, &o, &c->r, &e);
	pcb_layer_list_free(&l);
	return NULL;
}

/* Several packs at once share the pool and each gets the bytes it gets alone. */
START_TEST(test_concurrent_packs)
{
	char *ctx = make_tree();
	struct conc c[4];
	pthread_t t[4];
	struct pcb_layer_result gz, zs;
	struct pcb_err e;

	for (int i = 0; i < 4; i++) {
		c[i].ctx = ctx;
		c[i].c = i % 2 ? PCB_COMPRESS_ZSTD : PCB_COMPRESS_GZIP;
		ck_assert_int_eq(pthread_create(&t[i], NULL, conc_pack, &c[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	{
		struct pcb_layer_opts o = { .mtime = MTIME, .workers = 1 };
		ck_assert_int_eq(pack_dir(ctx, &o, &gz, &e), 0);
		o.compression = PCB_COMPRESS_ZSTD;
		ck_assert_int_eq(pack_dir(ctx, &o, &zs, &e), 0);
	}
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(c[i].rc, 0);
		ck_assert_str_eq(c[i].r.digest, i % 2 ? zs.digest : gz.digest);
	}
	free(ctx);
}
END_TEST

/* Writes a one-layer OCI image layout around a packed layer, for umoci and skopeo. */
static char *
make_layout(const struct pcb_layer_result *r)
{
	char *lay = pcb_path_join(tdir, "layout"), *cfg, *man, *idx, *src;
	char cfgd[PCB_DIGEST_BUFSZ], mand[PCB_DIGEST_BUFSZ];

	cfg = pcb_xasprintf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
	    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}", r->diff_id);
	pcb_sha256_buf(cfg, strlen(cfg), cfgd);
	man = pcb_xasprintf("{\"schemaVersion\":2,\"mediaType\":"
	    "\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":"
	    "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%zu},"
	    "\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%llu}]}", cfgd,
	    strlen(cfg), r->media_type, r->digest, (unsigned long long)r->size);
	pcb_sha256_buf(man, strlen(man), mand);
	idx = pcb_xasprintf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
	    "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu,"
	    "\"annotations\":{\"org.opencontainers.image.ref.name\":\"t\"}}]}", mand, strlen(man));
	pcb_test_write(lay, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 0644);
	pcb_test_write(lay, "index.json", idx, 0644);
	{
		char *p1 = pcb_xasprintf("blobs/sha256/%s", cfgd + 7);
		char *p2 = pcb_xasprintf("blobs/sha256/%s", mand + 7);
		pcb_test_write(lay, p1, cfg, 0644);
		pcb_test_write(lay, p2, man, 0644);
		free(p1);
		free(p2);
	}
	src = pcb_store_blob_path(store, r->digest);
	ck_assert_int_eq(pcb_test_runf(NULL, "cp '%s' '%s/blobs/sha256/'", src, lay), 0);
	free(src);
	free(cfg);
	free(man);
	free(idx);
	return lay;
}

/* Go readers take the multi-member gzip (skopeo and umoci) and the zstd layers (skopeo; the
 * containers/image code that podman and CRI-O use) and find the files intact. */
START_TEST(test_go_readers)
{
	char *ctx = make_tree(), *out;

	if (!pcb_test_have("umoci") || !pcb_test_have("skopeo")) {
		free(ctx);
		return;
	}
	for (int c = 0; c < 2; c++) {
		struct pcb_layer_opts o = { .mtime = MTIME,
		    .compression = c ? PCB_COMPRESS_ZSTD : PCB_COMPRESS_GZIP };
		struct pcb_layer_result r;
		struct pcb_err e;
		char *lay;

		ck_assert_int_eq(pack_dir(ctx, &o, &r, &e), 0);
		lay = make_layout(&r);
		/* skopeo decompresses every layer into a dir: destination and checks diff_ids. */
		ck_assert_msg(pcb_test_runf(&out, "cd '%s' && rm -rf dirout && skopeo copy -q "
		    "--dest-decompress oci:layout:t dir:dirout 2>&1 && sha256sum dirout/%s",
		    tdir, r.diff_id + 7) == 0, "skopeo: %s", out);
		ck_assert_msg(strncmp(out, r.diff_id + 7, 64) == 0, "%s", out);
		free(out);
		/* umoci 0.4.7 (Debian 12) refuses zstd layers by media type; gzip only. */
		if (o.compression == PCB_COMPRESS_ZSTD)
			goto next;
		ck_assert_msg(pcb_test_runf(&out, "cd '%s' && rm -rf bundle && umoci unpack "
		    "--rootless --image layout:t bundle 2>&1 && cmp bundle/rootfs/big/data.txt "
		    "'%s/big/data.txt' && cmp bundle/rootfs/pkg/m299/mod.py '%s/pkg/m299/mod.py'",
		    tdir, ctx, ctx) == 0, "umoci (%s): %s", r.media_type, out);
		free(out);
next:
		pcb_test_rmtree(lay);
		free(lay);
	}
	free(ctx);
}
END_TEST

static Suite *
layer_parallel_suite(void)
{
	Suite *s = suite_create("layer-parallel");
	TCase *tc = tcase_create("layer-parallel");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_gzip_members_are_the_tar);
	tcase_add_test(tc, test_workers_do_not_change_bytes);
	tcase_add_test(tc, test_levels);
	tcase_add_test(tc, test_edge_sizes);
	tcase_add_test(tc, test_file_digest);
	tcase_add_test(tc, test_cancel_mid_pack);
	tcase_add_test(tc, test_error_mid_pack);
	tcase_add_test(tc, test_concurrent_packs);
	tcase_add_test(tc, test_go_readers);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pcb_test_run_suite(layer_parallel_suite());
}
