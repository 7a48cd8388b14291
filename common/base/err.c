/* err.c — the error record: root cause once, context added by callers. */
#include "base/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
pcb_err_clear(struct pcb_err *e)
{
	if (e == NULL)
		return;
	e->code = 0;
	e->http_status = 0;
	e->msg[0] = '\0';
}

int
pcb_err_set(struct pcb_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	e->http_status = 0;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return code;
}

int
pcb_err_errno(struct pcb_err *e, int errnum, const char *fmt, ...)
{
	va_list ap;
	int code;
	size_t n;

	switch (errnum) {
	case ENOENT: case ENOTDIR: code = PCB_ENOENT; break;
	case ENOSPC:
#ifdef EDQUOT
	case EDQUOT:
#endif
		code = PCB_ENOSPC; break;
	case EACCES: case EPERM: case EROFS: code = PCB_EPERM; break;
	case EEXIST: code = PCB_EEXIST; break;
	default: code = PCB_EIO; break;
	}
	if (e == NULL)
		return code;
	e->code = code;
	e->http_status = 0;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(errnum));
	return code;
}

void
pcb_err_prefix(struct pcb_err *e, const char *fmt, ...)
{
	char ctx[PCB_ERR_MSG_MAX], old[PCB_ERR_MSG_MAX];
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof ctx, fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof old);
	/* Truncation is acceptable: the root cause may be cut, never overflowed. */
	{
		size_t n = strnlen(ctx, sizeof e->msg - 1);
		memcpy(e->msg, ctx, n);
		if (old[0] != '\0' && n + 2 < sizeof e->msg) {
			size_t m = strnlen(old, sizeof old);
			e->msg[n++] = ':';
			e->msg[n++] = ' ';
			if (m > sizeof e->msg - 1 - n)
				m = sizeof e->msg - 1 - n;
			memcpy(e->msg + n, old, m);
			n += m;
		}
		e->msg[n] = '\0';
	}
}

const char *
pcb_err_code_name(int code)
{
	switch (code) {
	case PCB_OK: return "ok";
	case PCB_EINVAL: return "invalid_request";
	case PCB_ENOENT: return "not_found";
	case PCB_EIO: return "io_error";
	case PCB_ECANCELED: return "cancelled";
	case PCB_ENOSPC: return "disk_full";
	case PCB_ECORRUPT: return "corrupt";
	case PCB_EEXIST: return "already_exists";
	case PCB_ETOOBIG: return "too_large";
	case PCB_EUNSUPPORTED: return "unsupported";
	case PCB_ECONFLICT: return "conflict";
	case PCB_EPERM: return "permission_denied";
	case PCB_ELIMIT: return "too_many_requests";
	case PCB_EUNREACHABLE: return "registry_unreachable";
	case PCB_EAUTH: return "registry_auth";
	case PCB_ETIMEDOUT: return "registry_timeout";
	case PCB_EDEPS: return "dependency_resolution";
	case PCB_EBASEMISSING: return "base_not_found";
	default: return "internal";
	}
}

int
pcb_err_http_status(int code)
{
	switch (code) {
	case PCB_EINVAL: return 400;
	case PCB_EPERM: return 403;
	case PCB_ENOENT: return 404;
	case PCB_ECONFLICT: case PCB_EEXIST: return 409;
	case PCB_ETOOBIG: return 413;
	case PCB_EUNSUPPORTED: return 501;
	case PCB_ENOSPC: return 507;
	case PCB_ELIMIT: return 429;
	/* Upstream trouble: the daemon is a gateway to the registry here. */
	case PCB_EUNREACHABLE: case PCB_EAUTH: return 502;
	case PCB_ETIMEDOUT: return 504;
	case PCB_EDEPS: return 422;
	case PCB_EBASEMISSING: return 404;
	default: return 500;
	}
}
