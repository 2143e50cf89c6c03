#ifndef KILN_CONFINED_FS_H
#define KILN_CONFINED_FS_H

#include <stdint.h>

/// openat2(2) with `struct open_how` (Swift cannot call the variadic syscall()). Retries EAGAIN
/// (a concurrent rename seen during RESOLVE_IN_ROOT) a bounded number of times.
/// Returns the new descriptor, or -1 with errno set (ENOSYS when the kernel lacks openat2).
int kiln_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);

#define KILN_RESOLVE_NO_XDEV 0x01
#define KILN_RESOLVE_NO_MAGICLINKS 0x02
#define KILN_RESOLVE_NO_SYMLINKS 0x04
#define KILN_RESOLVE_BENEATH 0x08
#define KILN_RESOLVE_IN_ROOT 0x10

#define KILN_O_PATH 010000000
#define KILN_O_NOFOLLOW 0400000
#define KILN_O_DIRECTORY 0200000
#define KILN_AT_EMPTY_PATH 0x1000

#endif
