/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Cloud Hypervisor API client's HTTP reader on any bytes a peer can send. Besides not
 * crashing or reading past the data: a complete response lies inside the data, and the client
 * may call the parser after every read, so a response complete on a prefix is the same response
 * on the whole data, and EOF never turns a complete response into another one. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http-response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BODY 4096

static int parse(const uint8_t *data, size_t size, bool eof, HttpResponse *ret) {
        /* An exact-size copy, so ASan sees any read past SIZE. */
        char *copy = malloc(size ?: 1);
        if (!copy)
                abort();
        memcpy(copy, data, size);
        *ret = (HttpResponse) {};
        int r = http_response_parse(copy, size, eof, MAX_BODY, ret);
        free(copy);
        if (r != 0 && r != -EAGAIN && r != -EBADMSG && r != -EMSGSIZE)
                abort();
        if (eof && r == -EAGAIN)
                abort();   /* at EOF there is nothing more to wait for */
        if (r == 0 && (ret->status < 100 || ret->status > 999 || ret->body_offset > size ||
                       ret->body_size > size - ret->body_offset || ret->body_size > MAX_BODY))
                abort();
        return r;
}

static bool same(const HttpResponse *a, const HttpResponse *b) {
        return a->status == b->status && a->body_offset == b->body_offset && a->body_size == b->body_size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        HttpResponse whole, whole_eof, part;

        if (size > 16384)
                return 0;
        int r = parse(data, size, false, &whole);
        int r_eof = parse(data, size, true, &whole_eof);
        if (r == 0 && (r_eof != 0 || !same(&whole, &whole_eof)))
                abort();
        for (size_t k = 0; k < size; k += 1 + k / 4)
                if (parse(data, k, false, &part) == 0 && (r != 0 || !same(&part, &whole)))
                        abort();
        return 0;
}
