// The fork/unshare/exec dance of entering a user namespace: the child of a (multithreaded) Swift
// process runs only async-signal-safe calls between fork and exec.
#define _GNU_SOURCE
#include "user_namespace.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static void write_all(int fd, const void *buffer, size_t count) {
    const char *bytes = buffer;
    while (count > 0) {
        ssize_t n = write(fd, bytes, count);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        bytes += n;
        count -= (size_t)n;
    }
}

pid_t kiln_userns_spawn(const char *path, char *const argv[], char *const envp[], int *control_fd) {
    int ready[2], control[2];
    if (pipe2(ready, O_CLOEXEC) != 0) return -1;
    if (pipe2(control, O_CLOEXEC) != 0) { close(ready[0]); close(ready[1]); return -1; }
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(ready[0]); close(ready[1]); close(control[0]); close(control[1]);
        errno = saved;
        return -1;
    }
    if (pid == 0) {
        close(ready[0]);
        close(control[1]);
        int32_t code = 0;
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) code = errno;
        write_all(ready[1], &code, sizeof code);
        if (code != 0) _exit(126);
        char go = 0;
        ssize_t n;
        do { n = read(control[0], &go, 1); } while (n < 0 && errno == EINTR);
        if (n != 1 || go != 'g') _exit(125);
        if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) _exit(124);
        // Mounts made by kiln in here never propagate back to the host's namespace.
        mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL);
        execve(path, argv, envp);
        _exit(127);
    }
    close(ready[1]);
    close(control[0]);
    int32_t code = 0;
    ssize_t n;
    do { n = read(ready[0], &code, sizeof code); } while (n < 0 && errno == EINTR);
    close(ready[0]);
    if (n != (ssize_t)sizeof code || code != 0) {
        close(control[1]);
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        errno = code != 0 ? code : ECHILD;
        return -1;
    }
    *control_fd = control[1];
    return pid;
}

int kiln_userns_release(int control_fd, int go) {
    char byte = go ? 'g' : 'x';
    write_all(control_fd, &byte, 1);
    return close(control_fd);
}

static volatile sig_atomic_t forward_pid = 0;

static void forward(int signal) {
    if (forward_pid > 0) kill((pid_t)forward_pid, signal);
}

int kiln_userns_wait(pid_t pid) {
    forward_pid = pid;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = forward;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
    sigaction(SIGUSR1, &action, NULL);
    sigaction(SIGUSR2, &action, NULL);
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return 1;
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}
