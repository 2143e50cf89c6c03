// The fork/unshare/exec dance of entering a user namespace: the child of a (multithreaded) Swift
// process runs only async-signal-safe calls between fork and exec.
#define _GNU_SOURCE
#include "user_namespace.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
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

// ---- Entering a user namespace in place (no second start of kiln) ----

static ssize_t read_full(int fd, void *buffer, size_t count) {
    char *bytes = buffer;
    size_t done = 0;
    while (done < count) {
        ssize_t n = read(fd, bytes + done, count - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t length = strlen(text);
    ssize_t n = write(fd, text, length);
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)length ? 0 : -1;
}

// Starts argv (absolute path first) with its standard output and error into `output`; its pid, or -1.
static pid_t start_map_helper(char *const argv[], int output) {
    pid_t pid = fork();
    if (pid == 0) {
        dup2(output, 1);
        dup2(output, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

// The exit status of a helper started by start_map_helper (0 when it succeeded; 127 when it could not
// be run, -1 when it could not be started).
static int wait_map_helper(pid_t pid) {
    if (pid < 0) return -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void append_text(char *message, size_t size, const char *text) {
    size_t used = strlen(message);
    if (used + 1 >= size) return;
    strncat(message, text, size - used - 1);
}

// Declared in user_namespace.h; also the helper child's part of kiln_userns_enter.
int kiln_userns_write_maps(pid_t target, char *const uid_argv[], char *const gid_argv[], uid_t uid, gid_t gid,
                           char *message, size_t size) {
    message[0] = 0;
    if (uid_argv && gid_argv) {
        int out[2];
        if (pipe2(out, O_CLOEXEC) != 0) { append_text(message, size, "pipe failed"); return -1; }
        // newuidmap and newgidmap write different files of the same process: both at once.
        pid_t uid_helper = start_map_helper(uid_argv, out[1]), gid_helper = start_map_helper(gid_argv, out[1]);
        int uid_status = wait_map_helper(uid_helper), gid_status = wait_map_helper(gid_helper);
        int failed = uid_status != 0 ? 1 : gid_status != 0 ? 2 : 0;
        int status = failed == 1 ? uid_status : gid_status;
        close(out[1]);
        if (failed) {
            char code[48];
            snprintf(code, sizeof code, " failed (exit status %d): ", status);
            append_text(message, size, failed == 1 ? uid_argv[0] : gid_argv[0]);
            append_text(message, size, code);
            size_t used = strlen(message);
            ssize_t n = read_full(out[0], message + used, size - used - 1);
            message[used + (n > 0 ? (size_t)n : 0)] = 0;
        }
        close(out[0]);
        return failed ? -1 : 0;
    }
    char path[64], text[64];
    snprintf(path, sizeof path, "/proc/%d/uid_map", (int)target);
    snprintf(text, sizeof text, "0 %u 1\n", (unsigned)uid);
    if (write_file(path, text) != 0) { append_text(message, size, "cannot write uid_map: "); append_text(message, size, strerror(errno)); return -1; }
    snprintf(path, sizeof path, "/proc/%d/setgroups", (int)target);
    if (write_file(path, "deny") != 0) { append_text(message, size, "cannot write setgroups: "); append_text(message, size, strerror(errno)); return -1; }
    snprintf(path, sizeof path, "/proc/%d/gid_map", (int)target);
    snprintf(text, sizeof text, "0 %u 1\n", (unsigned)gid);
    if (write_file(path, text) != 0) { append_text(message, size, "cannot write gid_map: "); append_text(message, size, strerror(errno)); return -1; }
    return 0;
}

int kiln_userns_enter(char *const uid_argv[], char *const gid_argv[], uid_t uid, gid_t gid,
                      char *message, size_t message_size) {
    if (message_size > 0) message[0] = 0;
    pid_t self = getpid();
    int go[2], result[2];
    if (pipe2(go, O_CLOEXEC) != 0) return -1;
    if (pipe2(result, O_CLOEXEC) != 0) { close(go[0]); close(go[1]); return -1; }
    pid_t helper = fork();
    if (helper < 0) {
        int saved = errno;
        close(go[0]); close(go[1]); close(result[0]); close(result[1]);
        errno = saved;
        return -1;
    }
    if (helper == 0) {
        // The helper: outside, until the namespace's process says what to do.
        close(go[1]);
        close(result[0]);
        char command = 0;
        if (read_full(go[0], &command, 1) != 1 || command != 'g') _exit(0);
        int32_t ok = kiln_userns_write_maps(self, uid_argv, gid_argv, uid, gid, message, message_size) == 0 ? 0 : 1;
        write_all(result[1], &ok, sizeof ok);
        close(result[1]);
        if (ok == 0) _exit(0);
        // The maps failed: the other process cannot go back, so this one goes on as it was.
        if (read_full(go[0], &command, 1) != 1 || command != 'c') _exit(125);
        close(go[0]);
        return 1;
    }
    close(go[0]);
    close(result[1]);
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
        int saved = errno;
        write_all(go[1], "q", 1);
        close(go[1]);
        close(result[0]);
        while (waitpid(helper, NULL, 0) < 0 && errno == EINTR) {}
        errno = saved;
        return -1;
    }
    write_all(go[1], "g", 1);
    int32_t ok = 1;
    if (read_full(result[0], &ok, sizeof ok) != (ssize_t)sizeof ok) ok = 1;
    close(result[0]);
    if (ok != 0) {
        // Unmapped in a namespace of our own: the helper carries on, this process waits for it.
        write_all(go[1], "c", 1);
        close(go[1]);
        _exit(kiln_userns_wait(helper));
    }
    close(go[1]);
    while (waitpid(helper, NULL, 0) < 0 && errno == EINTR) {}
    if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) {
        append_text(message, message_size, "cannot become uid 0 in the new user namespace");
        return -2;
    }
    // Mounts made by kiln in here never propagate back to the host's namespace.
    mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL);
    return 0;
}
