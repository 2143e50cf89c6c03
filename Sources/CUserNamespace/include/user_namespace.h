#ifndef KILN_USER_NAMESPACE_H
#define KILN_USER_NAMESPACE_H
#include <sys/types.h>
#include "tree_copy.h"

/// Forks a child that enters a new user + mount namespace and then waits. Returns the child's pid
/// (and in *control_fd the pipe that releases it), or -1 with errno set when the child could not
/// enter the namespaces (the child has exited then). The caller writes the child's uid/gid maps
/// (newuidmap/newgidmap on the pid), then calls kiln_userns_release.
pid_t kiln_userns_spawn(const char *path, char *const argv[], char *const envp[], int *control_fd);

/// Lets the child go on (go != 0: become uid/gid 0 in the namespace, make every mount a slave,
/// exec `path`) or makes it exit with status 125 (go == 0). Closes control_fd.
int kiln_userns_release(int control_fd, int go);

/// Waits for the child, forwarding SIGTERM, SIGHUP and SIGUSR1/2 to it and ignoring SIGINT/SIGQUIT
/// (a terminal sends those to the child itself). Returns the exit status, or 128 + the signal number
/// that ended the child.
int kiln_userns_wait(pid_t pid);

/// Writes the uid/gid maps of `target` (in a new user namespace whose parent is this process's): runs
/// uid_argv and gid_argv (newuidmap/newgidmap with their arguments, absolute paths first) side by side,
/// or, when they are NULL, writes the single-id maps "0 uid 1" / "0 gid 1" (setgroups denied). 0 on
/// success; otherwise -1 with what failed (a helper's exit status and output) in message.
int kiln_userns_write_maps(pid_t target, char *const uid_argv[], char *const gid_argv[], uid_t uid, gid_t gid,
                           char *message, size_t message_size);

/// Moves this process, which must be single-threaded, into a new user + mount namespace where it is
/// uid and gid 0, without starting it again. A helper child forked first (it stays outside, as
/// newuidmap/newgidmap need) writes the maps: it runs uid_argv and gid_argv (absolute paths, this
/// process's pid as their first argument) or, when they are NULL, writes the single-id maps
/// "0 uid 1" / "0 gid 1". Returns
///    0  entered: uid 0 in the namespace, every mount a slave;
///   -1  not entered, errno set (unshare refused); the process is as it was;
///   -2  mapped but could not become uid 0 (message says so);
///    1  the maps could not be written (message says why): the caller is now the helper, outside and
///       as the process was before the call; the process in the namespace waits for it and exits with
///       its status, forwarding signals as kiln_userns_wait does.
int kiln_userns_enter(char *const uid_argv[], char *const gid_argv[], uid_t uid, gid_t gid,
                      char *message, size_t message_size);

#endif
