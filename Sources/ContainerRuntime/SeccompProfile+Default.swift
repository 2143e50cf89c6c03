/// Docker's default seccomp profile as data: which syscalls a container may make, and under which
/// conditions (capability held, architecture, kernel version). The facts are those of moby's
/// `profiles/seccomp/default.json`; everything not listed fails with EPERM (`defaultErrnoRet` 1).
extension SeccompProfile {
    public static let dockerDefault = SeccompProfile(
        defaultAction: "SCMP_ACT_ERRNO",
        defaultErrnoRet: 1,
        archMap: [
            ArchitectureMap(architecture: "SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]),
            ArchitectureMap(architecture: "SCMP_ARCH_AARCH64", subArchitectures: ["SCMP_ARCH_ARM"]),
            ArchitectureMap(architecture: "SCMP_ARCH_MIPS64", subArchitectures: ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"]),
            ArchitectureMap(architecture: "SCMP_ARCH_MIPS64N32", subArchitectures: ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"]),
            ArchitectureMap(architecture: "SCMP_ARCH_MIPSEL64", subArchitectures: ["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"]),
            ArchitectureMap(architecture: "SCMP_ARCH_MIPSEL64N32", subArchitectures: ["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"]),
            ArchitectureMap(architecture: "SCMP_ARCH_S390X", subArchitectures: ["SCMP_ARCH_S390"]),
            ArchitectureMap(architecture: "SCMP_ARCH_RISCV64", subArchitectures: nil),
        ],
        architectures: nil,
        syscalls: defaultRules)

    /// Syscalls every container may make, unconditionally.
    static let alwaysAllowed = words("""
        accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32
        clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
        clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3
        epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old
        eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate
        fanotify_mark fchdir fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr
        flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate
        ftruncate64 futex futex_time64 futex_waitv futimesat getcpu getcwd getdents getdents64 getegid getegid32
        geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid
        getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit get_robust_list
        getrusage getsid getsockname getsockopt get_thread_area gettid gettimeofday getuid getuid32 getxattr
        inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents
        io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit io_uring_enter
        io_uring_register io_uring_setup ipc kill landlock_add_rule landlock_create_ruleset
        landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listxattr llistxattr _llseek
        lremovexattr lseek lsetxattr lstat lstat64 madvise membarrier memfd_create memfd_secret mincore mkdir
        mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open
        mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl msgget
        msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat _newselect open
        openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll
        ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64
        pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv recvfrom recvmmsg
        recvmmsg_time64 recvmsg remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir
        rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend
        rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr
        sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler sched_rr_get_interval
        sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam sched_setscheduler
        sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64
        sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32
        setitimer setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid
        setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32
        setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn
        socketcall socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range
        syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64
        timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime
        timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat utime
        utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write writev
        """)

    /// Syscalls allowed only with a capability the default set lacks.
    static let byCapability: [(capability: String, names: [String])] = [
        ("CAP_DAC_READ_SEARCH", ["open_by_handle_at"]),
        ("CAP_SYS_ADMIN", words("""
            bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount mount_setattr
            move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname sethostname setns syslog
            umount umount2 unshare
            """)),
        ("CAP_SYS_BOOT", ["reboot"]),
        ("CAP_SYS_CHROOT", ["chroot"]),
        ("CAP_SYS_MODULE", ["delete_module", "init_module", "finit_module"]),
        ("CAP_SYS_PACCT", ["acct"]),
        ("CAP_SYS_PTRACE", ["kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"]),
        ("CAP_SYS_RAWIO", ["iopl", "ioperm"]),
        ("CAP_SYS_TIME", ["settimeofday", "stime", "clock_settime", "clock_settime64"]),
        ("CAP_SYS_TTY_CONFIG", ["vhangup"]),
        ("CAP_SYS_NICE", ["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"]),
        ("CAP_SYSLOG", ["syslog"]),
        ("CAP_BPF", ["bpf"]),
        ("CAP_PERFMON", ["perf_event_open"]),
    ]

    /// Syscalls allowed only on some architectures (Go's names).
    static let byArchitecture: [(arches: [String], names: [String])] = [
        (["ppc64le"], ["sync_file_range2", "swapcontext"]),
        (["arm", "arm64"], ["arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls"]),
        (["amd64", "x32"], ["arch_prctl"]),
        (["amd64", "x32", "x86"], ["modify_ldt"]),
        (["s390", "s390x"], ["s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"]),
        (["riscv64"], ["riscv_flush_icache"]),
    ]

    /// The clone flags that create namespaces (CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET):
    /// without CAP_SYS_ADMIN, clone is allowed only when none of them is set.
    static let namespaceCloneFlags: UInt64 = 0x7E02_0000

    static var defaultRules: [Rule] {
        var rules = [Rule(alwaysAllowed)]
        // ptrace and process_vm_* are safe from kernel 4.8 on (seccomp is checked after ptrace there).
        rules.append(Rule(["process_vm_readv", "process_vm_writev", "ptrace"], includes: Filter(minKernel: "4.8")))
        // socket() of anything but AF_VSOCK (40).
        rules.append(Rule(["socket"], args: [Argument(index: 0, value: 40, op: "SCMP_CMP_NE")]))
        // personality(): only PER_LINUX, PER_LINUX32, UNAME26 variants and the query 0xffffffff.
        for persona: UInt64 in [0x0, 0x8, 0x20000, 0x20008, 0xFFFF_FFFF] {
            rules.append(Rule(["personality"], args: [Argument(index: 0, value: persona, op: "SCMP_CMP_EQ")]))
        }
        for entry in byArchitecture { rules.append(Rule(entry.names, includes: Filter(arches: entry.arches))) }
        for entry in byCapability where entry.capability == "CAP_DAC_READ_SEARCH" || entry.capability == "CAP_SYS_ADMIN" {
            rules.append(Rule(entry.names, includes: Filter(caps: [entry.capability])))
        }
        // Without CAP_SYS_ADMIN: clone without namespace flags (the flags are the second argument on s390),
        // and clone3 (whose flags seccomp cannot see) answers ENOSYS so that libc falls back to clone.
        rules.append(Rule(["clone"], args: [Argument(index: 0, value: namespaceCloneFlags, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")],
                          excludes: Filter(caps: ["CAP_SYS_ADMIN"], arches: ["s390", "s390x"])))
        rules.append(Rule(["clone"], args: [Argument(index: 1, value: namespaceCloneFlags, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")],
                          includes: Filter(arches: ["s390", "s390x"]), excludes: Filter(caps: ["CAP_SYS_ADMIN"])))
        rules.append(Rule(["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38, excludes: Filter(caps: ["CAP_SYS_ADMIN"])))
        for entry in byCapability where entry.capability != "CAP_DAC_READ_SEARCH" && entry.capability != "CAP_SYS_ADMIN" {
            rules.append(Rule(entry.names, includes: Filter(caps: [entry.capability])))
        }
        return rules
    }

    private static func words(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }
}
