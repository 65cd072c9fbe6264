/*
 * mhd_fixed.c -- the HTTP ceiling of scripts/bench: libmicrohttpd started
 * exactly as reliefd starts it (http/server.c: an internal polling thread
 * pool of RELIEF_HTTP_THREADS threads with epoll, or a thread per
 * connection with poll when RELIEF_HTTP_THREAD_MODEL=per-connection; the
 * same connection timeout and limit, a completion callback), answering every request with
 * the same fixed body and reliefd's response headers.  No database, no
 * routing, no JSON: what is left is the HTTP stack's own cost.
 *
 * usage: mhd_fixed --port P [--body-bytes N]   (runs until SIGTERM/SIGINT;
 *        threads and timeout from RELIEF_CONFIG, as reliefd)
 */
#include "common.h"

#include <microhttpd.h>
#include <signal.h>
#include <unistd.h>

static char *body;
static size_t body_len;

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    (void)cls, (void)url, (void)method, (void)version, (void)upload_data;

    if (!*con_cls) { /* reliefd allocates its per-request state on the first call */
        *con_cls = c;
        return MHD_YES;
    }
    *upload_data_size = 0;
    r = MHD_create_response_from_buffer(body_len, body, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; script-src 'self'; style-src 'self'; "
                            "img-src 'self' data: blob:; media-src 'self' blob:; "
                            "object-src 'none'; base-uri 'none'; form-action 'self'; "
                            "frame-ancestors 'none'");
    ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    *con_cls = NULL;
}

int main(int argc, char **argv)
{
    struct config cfg;
    int port = 0;
    long n = 1500;
    sigset_t set;
    int sig;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc)
            port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--body-bytes") && i + 1 < argc)
            n = atol(argv[++i]);
        else {
            fprintf(stderr, "usage: %s --port P [--body-bytes N]\n", argv[0]);
            return 2;
        }
    }
    if (port <= 0 || port > 65535 || n < 0 || n > (1 << 24) || bench_config(&cfg) != 0)
        return 2;
    body = malloc((size_t)n + 1);
    if (!body)
        return 1;
    memset(body, 'x', (size_t)n);
    if (n >= 2) {
        body[0] = '"';
        body[n - 1] = '"';
    }
    body_len = (size_t)n;

    /* Block the signals before MHD's threads exist, so only sigwait sees them. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    int per_conn = strcmp(cfg.http_thread_model, "per-connection") == 0;
    struct MHD_OptionItem pool[2] = {
        {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)cfg.http_threads, NULL}, {MHD_OPTION_END, 0, NULL}};
    struct MHD_Daemon *d = MHD_start_daemon(
        per_conn ? MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
                       MHD_USE_ERROR_LOG
                 : MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG,
        (uint16_t)port, NULL, NULL, on_access, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)cfg.http_conn_timeout, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1000,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_ARRAY,
        per_conn ? pool + 1 : pool, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "mhd_fixed: cannot listen on port %d\n", port);
        return 1;
    }
    printf("mhd_fixed port=%d threads=%d model=%s body_bytes=%ld\n", port, cfg.http_threads,
           cfg.http_thread_model, n);
    fflush(stdout);
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    free(body);
    return 0;
}
