#ifndef KILN_FILE_IO_H
#define KILN_FILE_IO_H

#include <stdint.h>

/// sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE): starts writeback of the range
/// without waiting for it (a _GNU_SOURCE function Swift's Glibc module does not import).
/// Returns 0, or -1 with errno set.
int kiln_start_writeback(int fd, int64_t offset, int64_t length);

/// copy_file_range(in, &in_offset, out, &out_offset, length, 0): copies up to length bytes between
/// files inside the kernel (no user-space buffer). Returns the bytes copied (0 at the end of in),
/// or -1 with errno set.
int64_t kiln_copy_range(int in, int64_t in_offset, int out, int64_t out_offset, int64_t length);

/// Turns O_DIRECT on (on != 0) or off for the open file: writes then go from the caller's memory
/// to the disk without the page cache (aligned offsets, lengths and memory only). Returns 0, or
/// -1 with errno set (EINVAL: the filesystem does not do direct I/O).
int kiln_set_direct(int fd, int on);

#endif
