// The chroot isolation's process start: fork, then only async-signal-safe calls in the child
// (chroot, mkdir, chdir, setgroups, setgid, setuid, execve, write, _exit).
#define _GNU_SOURCE
#include "chroot_spawn.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void say(int fd, const char *a, const char *b, const char *c) {
    const char *parts[3] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        if (parts[i]) { ssize_t r = write(fd, parts[i], strlen(parts[i])); (void)r; }
    }
    ssize_t r = write(fd, "\n", 1); (void)r;
}

// mkdir -p of an absolute path inside the (already entered) root.
static int make_dirs(const char *path) {
    char buffer[4096];
    size_t n = strlen(path);
    if (n >= sizeof(buffer)) { errno = ENAMETOOLONG; return -1; }
    memcpy(buffer, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buffer[i] == '/' || buffer[i] == 0) {
            char saved = buffer[i];
            buffer[i] = 0;
            if (mkdir(buffer, 0755) != 0 && errno != EEXIST) return -1;
            buffer[i] = saved;
        }
    }
    return 0;
}

static const char *path_of(char *const envp[]) {
    for (int i = 0; envp[i]; i++) {
        if (strncmp(envp[i], "PATH=", 5) == 0) return envp[i] + 5;
    }
    return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

pid_t kiln_chroot_spawn(const char *root, const char *cwd, uid_t uid, gid_t gid, int ngroups, const gid_t *groups,
                        char *const argv[], char *const envp[], int out_fd, int err_fd) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd >= 0) dup2(null_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    if (chroot(root) != 0) { say(2, "kiln: chroot: ", strerror(errno), NULL); _exit(126); }
    if (chdir("/") != 0) { say(2, "kiln: chdir /: ", strerror(errno), NULL); _exit(126); }
    if (make_dirs(cwd) != 0 || chdir(cwd) != 0) { say(2, "kiln: working directory ", cwd, ": cannot be entered"); _exit(126); }
    if (setgroups((size_t)ngroups, groups) != 0 && !(ngroups == 0 && errno == EPERM)) {
        say(2, "kiln: setgroups: ", strerror(errno), NULL); _exit(126);
    }
    if (getgid() != gid && setgid(gid) != 0) { say(2, "kiln: setgid: ", strerror(errno), NULL); _exit(126); }
    if (getuid() != uid && setuid(uid) != 0) { say(2, "kiln: setuid: ", strerror(errno), NULL); _exit(126); }
    const char *file = argv[0];
    if (strchr(file, '/')) {
        execve(file, argv, envp);
        say(2, "kiln: exec ", file, errno == ENOENT ? ": no such file or directory" : ": cannot execute");
        _exit(errno == ENOENT ? 127 : 126);
    }
    const char *search = path_of(envp);
    char candidate[4096];
    int denied = 0;
    while (*search) {
        const char *end = strchr(search, ':');
        size_t length = end ? (size_t)(end - search) : strlen(search);
        size_t file_length = strlen(file);
        if (length + 1 + file_length < sizeof(candidate)) {
            memcpy(candidate, search, length);
            size_t at = length;
            if (at == 0) candidate[at++] = '.';
            candidate[at++] = '/';
            memcpy(candidate + at, file, file_length + 1);
            execve(candidate, argv, envp);
            if (errno == EACCES) denied = 1;
        }
        if (!end) break;
        search = end + 1;
    }
    say(2, "kiln: exec ", file, ": executable file not found in $PATH");
    _exit(denied ? 126 : 127);
}
