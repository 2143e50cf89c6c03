// sync_file_range(2) for LayerArchive's BlobFileSink (Swift's Glibc module lacks _GNU_SOURCE functions).
#define _GNU_SOURCE
#include <fcntl.h>
#include "file_io.h"

int kiln_start_writeback(int fd, int64_t offset, int64_t length) {
    return sync_file_range(fd, (off_t)offset, (off_t)length, SYNC_FILE_RANGE_WRITE);
}
