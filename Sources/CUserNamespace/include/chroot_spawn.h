#ifndef KILN_CHROOT_SPAWN_H
#define KILN_CHROOT_SPAWN_H
#include <sys/types.h>

/// `--isolation chroot`: forks a child that, with no new namespace, enters `root` (chroot), creates and
/// enters `cwd` there, takes the supplementary groups, gid and uid, and execs argv[0] (looked up in the
/// PATH of `envp` inside the root when it has no slash) with `envp`. Its stdin is /dev/null; stdout and
/// stderr go to out_fd and err_fd. Returns the pid, or -1 with errno set when fork failed. A child that
/// cannot set itself up writes why to err_fd and exits with 127 (command not found) or 126.
pid_t kiln_chroot_spawn(const char *root, const char *cwd, uid_t uid, gid_t gid, int ngroups, const gid_t *groups,
                        char *const argv[], char *const envp[], int out_fd, int err_fd);

#endif
