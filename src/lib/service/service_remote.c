/*
 * service_remote.c — POST /api/ops/<name> to a daemon (service_remote.h).
 */
#include "service/service_remote.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLY_MAX (64u << 20)

typedef struct reply {
    char *buf;
    size_t len, cap;
} reply;

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
    reply *r = ud;
    size_t len = sz * n;
    if (r->len + len + 1 > REPLY_MAX)
        return 0;
    if (r->len + len + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + len + 1)
            cap *= 2;
        char *b = realloc(r->buf, cap);
        if (!b)
            return 0;
        r->buf = b;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, p, len);
    r->len += len;
    r->buf[r->len] = '\0';
    return len;
}

int reel_service_remote_call(const char *base_url, const char *token, const char *op,
                             json_t *args, json_t **out, reel_error *err)
{
    *out = NULL;
    char *body = json_dumps(args ? args : json_object(), JSON_COMPACT);
    CURL *c = curl_easy_init();
    if (!body || !c) {
        free(body);
        if (c)
            curl_easy_cleanup(c);
        return reel_error_set(err, REEL_ENOMEM, "out of memory");
    }
    char url[512], auth[1100], errbuf[CURL_ERROR_SIZE] = "";
    snprintf(url, sizeof url, "%s/api/ops/%s", base_url, op);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (token && token[0]) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, auth);
    }
    reply r = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(body);
    int rc = REEL_OK;
    json_t *j = r.buf ? json_loads(r.buf, 0, NULL) : NULL;
    if (cc != CURLE_OK) {
        rc = reel_error_set(err, REEL_EIO, "%s: %s", url, errbuf[0] ? errbuf :
                            curl_easy_strerror(cc));
    } else if (status < 200 || status > 299) {
        json_t *e = json_object_get(j, "error");
        const char *msg = json_string_value(json_object_get(e, "message"));
        rc = reel_error_set(err, reel_error_code_from_name(
                                     json_string_value(json_object_get(e, "code"))),
                            "%s", msg ? msg : "the daemon refused the request");
        if (!msg && err)
            snprintf(err->msg, sizeof err->msg, "%s answered HTTP %ld", url, status);
        reel_error_reason(err, rc, json_string_value(json_object_get(e, "reason")));
    } else if (!j) {
        rc = reel_error_set(err, REEL_EIO, "%s answered something that is not JSON", url);
    } else {
        *out = j;
        j = NULL;
    }
    json_decref(j);
    free(r.buf);
    return rc;
}
