/* Says which platform it was built for, which instruction set it was compiled to, and which machine
 * it runs on (under QEMU user-mode emulation, uname reports the emulated one). */
#include <stdio.h>
#include <sys/utsname.h>

#ifndef TARGETPLATFORM
#define TARGETPLATFORM "unknown"
#endif

#if defined(__x86_64__)
#define COMPILED_FOR "x86_64"
#elif defined(__aarch64__)
#define COMPILED_FOR "aarch64"
#elif defined(__arm__)
#define COMPILED_FOR "arm"
#else
#define COMPILED_FOR "another architecture"
#endif

int main(void) {
    struct utsname machine;
    if (uname(&machine) != 0) {
        perror("uname");
        return 1;
    }
    printf("Hello from %s: compiled for %s, running on %s\n", TARGETPLATFORM, COMPILED_FOR, machine.machine);
    return 0;
}
