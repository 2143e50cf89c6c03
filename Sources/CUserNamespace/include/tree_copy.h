#ifndef KILN_TREE_COPY_H
#define KILN_TREE_COPY_H
#include <sys/types.h>
#include <sys/xattr.h>

/// Copies from in_fd to out_fd (both at their offsets) until the end of in_fd with copy_file_range.
/// Returns 0, or -1 with errno set (EXDEV, EINVAL, ENOSYS, EOPNOTSUPP: not supported here, read and write instead).
int kiln_copy_file_range_all(int in_fd, int out_fd);

#endif
