#ifndef KILN_SHA256_STATE_H
#define KILN_SHA256_STATE_H

#include <stddef.h>
#include <stdint.h>

/// A SHA-256 computation (libcrypto's) whose state can be saved at a 64-byte boundary and
/// restored later, so a blob that shares a prefix with an earlier one is hashed from there on.
typedef struct kiln_sha256 kiln_sha256;

/// A fresh computation, or NULL when out of memory. Free it with kiln_sha256_free.
kiln_sha256 *kiln_sha256_new(void);
void kiln_sha256_free(kiln_sha256 *ctx);
void kiln_sha256_update(kiln_sha256 *ctx, const void *bytes, size_t count);
/// Writes the digest of everything fed so far into out; ctx is left unchanged.
void kiln_sha256_digest(const kiln_sha256 *ctx, uint8_t out[32]);
/// The eight state words and the number of bytes fed so far. Returns 0, or -1 when the bytes fed
/// are not a multiple of 64 (the state then includes a partial block and cannot be saved).
int kiln_sha256_save(const kiln_sha256 *ctx, uint32_t words[8], uint64_t *count);
/// Makes ctx continue a computation saved by kiln_sha256_save. Returns 0, or -1 when count is
/// not a multiple of 64.
int kiln_sha256_restore(kiln_sha256 *ctx, const uint32_t words[8], uint64_t count);
/// The digest of count bytes at bytes, in one call (small inputs: no allocation).
void kiln_sha256_oneshot(const void *bytes, size_t count, uint8_t out[32]);

#endif
