// sync_file_range(2), copy_file_range(2) and O_DIRECT for LayerArchive's BlobFileSink (Swift's Glibc module lacks _GNU_SOURCE functions).
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include "file_io.h"

int kiln_start_writeback(int fd, int64_t offset, int64_t length) {
    return sync_file_range(fd, (off_t)offset, (off_t)length, SYNC_FILE_RANGE_WRITE);
}

int64_t kiln_copy_range(int in, int64_t in_offset, int out, int64_t out_offset, int64_t length) {
    off_t from = (off_t)in_offset, to = (off_t)out_offset;
    return (int64_t)copy_file_range(in, &from, out, &to, (size_t)length, 0);
}

int kiln_set_direct(int fd, int on) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFL, on ? (flags | O_DIRECT) : (flags & ~O_DIRECT));
}
