// Probes of what the running kernel can execute, for the seccomp filters kiln hands to the runtime.
#define _GNU_SOURCE
#include <unistd.h>
#include <sys/syscall.h>
#include "kernel_abi.h"

int kiln_kernel_runs_x32(void) {
#if defined(__x86_64__)
    // __X32_SYSCALL_BIT on x86-64's getpid (39).
    return syscall(0x40000000L | 39) >= 0 ? 1 : 0;
#else
    return 0;
#endif
}
