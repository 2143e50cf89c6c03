#ifndef KILN_KERNEL_ABI_H
#define KILN_KERNEL_ABI_H

/// 1 when the running kernel executes x32 syscalls (an x32 getpid succeeds), 0 when it answers
/// ENOSYS (built without CONFIG_X86_X32_ABI, or booted with it off) or on other architectures.
int kiln_kernel_runs_x32(void);

#endif
