// SHA-256 with a saveable state, over libcrypto's SHA256_CTX (swift-crypto does not expose its
// state). Used by LayerArchive's ResumableSHA256.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include "sha256_state.h"

struct kiln_sha256 {
    SHA256_CTX ctx;
    uint64_t count;
};

kiln_sha256 *kiln_sha256_new(void) {
    kiln_sha256 *s = malloc(sizeof *s);
    if (s == NULL) return NULL;
    SHA256_Init(&s->ctx);
    s->count = 0;
    return s;
}

void kiln_sha256_free(kiln_sha256 *s) { free(s); }

void kiln_sha256_update(kiln_sha256 *s, const void *bytes, size_t count) {
    SHA256_Update(&s->ctx, bytes, count);
    s->count += count;
}

void kiln_sha256_digest(const kiln_sha256 *s, uint8_t out[32]) {
    SHA256_CTX copy = s->ctx;
    SHA256_Final(out, &copy);
    OPENSSL_cleanse(&copy, sizeof copy);
}

int kiln_sha256_save(const kiln_sha256 *s, uint32_t words[8], uint64_t *count) {
    if (s->count % 64 != 0 || s->ctx.num != 0) return -1;
    for (int i = 0; i < 8; i++) words[i] = s->ctx.h[i];
    *count = s->count;
    return 0;
}

int kiln_sha256_restore(kiln_sha256 *s, const uint32_t words[8], uint64_t count) {
    if (count % 64 != 0) return -1;
    SHA256_Init(&s->ctx);
    for (int i = 0; i < 8; i++) s->ctx.h[i] = words[i];
    uint64_t bits = count * 8;
    s->ctx.Nl = (SHA_LONG)(bits & 0xffffffffu);
    s->ctx.Nh = (SHA_LONG)(bits >> 32);
    s->count = count;
    return 0;
}

void kiln_sha256_oneshot(const void *bytes, size_t count, uint8_t out[32]) {
    SHA256(bytes, count, out);
}
