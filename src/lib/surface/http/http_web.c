/*
 * http_web.c — the web page's files: GET / (index.html) and /web/{name},
 * looked up by exact name in the table the caller handed to the server.
 *
 * Must never: open a file named by a request, or serve a name the table
 * does not hold.
 */
#include "surface/http/http_internal.h"

#include <string.h>

enum MHD_Result http_page_send(http_req *r, struct MHD_Connection *conn)
{
    reel_http *h = r->h;
    const reel_web_file *f = NULL;
    for (size_t i = 0; i < h->o.n_web && !f; i++)
        if (strcmp(h->o.web[i].name, r->route.param) == 0)
            f = &h->o.web[i];
    if (!f)
        return http_send_error(conn, 404, "not_found",
                               h->o.n_web ? "no such web file"
                                          : "this server has no web page (reel serve has one)");
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(f->len, (void *)f->data, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", f->mime);
    /* The page is built into the binary: a new build is a new server. */
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data: blob:; media-src 'self' "
                            "blob:; style-src 'self' 'unsafe-inline'");
    enum MHD_Result ret = MHD_queue_response(conn, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}
