/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>

#include "ch-api.h"

int ch_api_request(const char *socket_path, const char *method, const char *endpoint, const char *body,
                   int timeout_ms, ChApiResponse *ret) {
        return -EOPNOTSUPP;
}

void ch_api_response_done(ChApiResponse *r) {
        free(r->body);
        r->body = NULL;
}
