import Foundation
import XCTest

/// A small static program, compiled once per test process with the toolchain's clang, that makes
/// one system call Docker's seccomp profile blocks and prints `ok` or the errno's name. Bind-mounted
/// into a container at /probe. Its key calls use the process keyring, which dies with the process,
/// so an unconfined run leaves no key behind on the host.
enum SyscallProbe {
    static let source = #"""
    #define _GNU_SOURCE
    #include <errno.h>
    #include <sched.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <sys/mount.h>
    #include <sys/ptrace.h>
    #include <sys/syscall.h>
    #include <unistd.h>
    #include <time.h>
    #include <arpa/inet.h>
    #include <net/ethernet.h>
    #include <netpacket/packet.h>
    #include <sys/socket.h>

    static int report(long result) {
        if (result < 0) {
            printf("%s\n", errno == EPERM ? "EPERM" : errno == ENOSYS ? "ENOSYS" : strerror(errno));
            return 1;
        }
        printf("ok\n");
        return 0;
    }

    int main(int argc, char **argv) {
        if (argc < 2) return 2;
        const char *call = argv[1];
        if (!strcmp(call, "add_key"))   /* KEY_SPEC_PROCESS_KEYRING = -2 */
            return report(syscall(SYS_add_key, "user", "kiln-probe", "x", 1, -2));
        if (!strcmp(call, "keyctl"))    /* KEYCTL_GET_KEYRING_ID of the user keyring (-4), not created */
            return report(syscall(SYS_keyctl, 0, -4, 0));
        if (!strcmp(call, "unshare-user"))
            return report(unshare(CLONE_NEWUSER));
        if (!strcmp(call, "unshare-net"))
            return report(unshare(CLONE_NEWNET));
        if (!strcmp(call, "mount"))
            return report(mount("none", "/tmp", "tmpfs", 0, NULL));
        if (!strcmp(call, "ptrace") && argc > 2) {
            long result = ptrace(PTRACE_ATTACH, atoi(argv[2]), NULL, NULL);
            return report(result);
        }
        if (!strcmp(call, "sniff") && argc > 2) {  /* does any packet in sight carry argv[2]? (4 seconds) */
            int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
            if (fd < 0) return report(-1);
            struct timeval tv = {0, 200000};
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            static char buffer[65536];
            time_t end = time(NULL) + 4;
            while (time(NULL) < end) {
                ssize_t n = recv(fd, buffer, sizeof buffer, 0);
                if (n > 0 && memmem(buffer, n, argv[2], strlen(argv[2]))) { printf("seen\n"); return 0; }
            }
            printf("not-seen\n");
            return 0;
        }
        return 2;
    }
    """#

    /// The compiled probe's path; skips the test when no C compiler can build a static binary.
    static func path() throws -> String {
        switch built {
        case .success(let path): return path
        case .failure(let error): throw XCTSkip("cannot build the syscall probe: \(error)")
        }
    }

    private static let built: Result<String, Error> = Result {
        let directory = try Fixture.scratch("probe")
        let sourcePath = directory + "/probe.c", binary = directory + "/probe"
        try source.write(toFile: sourcePath, atomically: true, encoding: .utf8)
        for compiler in ["/opt/swift/usr/bin/clang", "/usr/bin/clang", "/usr/bin/cc", "/usr/bin/gcc"]
            where FileManager.default.isExecutableFile(atPath: compiler) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: compiler)
            process.arguments = ["-static", "-O1", "-o", binary, sourcePath]
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            if process.terminationStatus == 0 { return binary }
        }
        throw CocoaError(.featureUnsupported)
    }
}
