// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "kiln",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "kiln", targets: ["kiln"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // Only for the test target's in-process fake registry (already a dependency of async-http-client).
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
    ],
    targets: [
        // The formatting every module's one error type shares (message, hint, cause). No kiln deps;
        // holds no module's error codes.
        .target(name: "ErrorReporting"),
        // Shell-word expansion exactly as BuildKit's frontend does it ($VAR, ${VAR:-x}, quotes, word splitting).
        // Knows no Dockerfile; no I/O.
        .target(name: "ShellWords"),
        // .dockerignore files, BuildKit's context-filter pattern matching, the one context walker (its
        // exclusion rule a parameter). Never chooses the rule for its callers.
        .target(name: "ContextFilter"),
        // Dockerfile text -> syntax tree -> typed instructions, with source ranges and diagnostics. No I/O.
        .target(name: "DockerfileSyntax", dependencies: ["ShellWords"]),
        // Build checks: BuildKit's lint rules plus the tutorial's security and cache advice. Never builds,
        // runs or writes anything.
        .target(name: "BuildChecks", dependencies: ["DockerfileSyntax", "ShellWords", "ContextFilter"]),
        // OCI/Docker image value types: digests, media types, descriptors, manifests, configs, platforms, references.
        // No I/O.
        .target(name: "ImageSpec", dependencies: ["ErrorReporting", .product(name: "Crypto", package: "swift-crypto")]),
        // The fuzz body shared by the libFuzzer binary (scripts/fuzz.sh) and the regression tests. Never
        // linked into kiln.
        .target(name: "KilnFuzz", dependencies: ["DockerfileSyntax", "ShellWords", "LayerArchive", "ImageSpec"]),
        // The one way kiln touches an image's or container's root filesystem from the host: every path
        // resolved inside the root by openat2(RESOLVE_IN_ROOT), results as descriptors (mkdir -p with
        // owners, create, chown/chmod, readlink, stat, small reads, removal, mount targets). No kiln deps;
        // never follows a path out of its root.
        .target(name: "ConfinedFS", dependencies: ["CConfinedFS", "ErrorReporting"]),
        // openat2(2) for ConfinedFS (Swift cannot call the variadic syscall()).
        .target(name: "CConfinedFS"),
        // sync_file_range(2) and copy_file_range(2) for LayerArchive's blob writer (_GNU_SOURCE functions Glibc does not import).
        .target(name: "CFileIO"),
        // SHA-256 with a saveable state (libcrypto, libssl-dev), so a COPY layer's blob is hashed only from its first change.
        .target(name: "CSHA256", linkerSettings: [.linkedLibrary("crypto")]),
        // zlib, as a system library (zlib1g-dev).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libdeflate, as a system library (libdeflate-dev): fast gzip of layers leaving the machine.
        .systemLibrary(name: "CDeflate", path: "Sources/CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        // libzstd, as a system library (libzstd-dev): zstd layers (push/save --compression zstd, pulls).
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // Streaming tar read/write, gzip, zstd, OCI layer semantics (whiteouts), confined layer apply, layer diffs.
        // Knows neither the store nor images.
        .target(name: "LayerArchive", dependencies: ["CZlib", "CDeflate", "CZstd", "CFileIO", "CSHA256", "ImageSpec", "ErrorReporting", "ConfinedFS"]),
        // The on-disk content store: an OCI image layout with verified ingest, references, snapshots, GC.
        // Never reaches the network.
        .target(name: "ImageStore", dependencies: ["ImageSpec", "ErrorReporting"]),
        // Compressed variants of uncompressed store layers for images leaving the machine (push, save):
        // compressed once on all cores, remembered per diffID + compression + level. Never changes a stored layer.
        .target(name: "LayerVariants", dependencies: ["ImageSpec", "ImageStore", "LayerArchive"]),
        // OCI distribution-spec registry client: auth (Bearer/Basic), pull and push primitives. Streams; never writes files.
        .target(name: "Distribution", dependencies: ["ImageSpec", "ErrorReporting", .product(name: "AsyncHTTPClient", package: "async-http-client")]),
        // Images locally and in registries: pull, push, list, remove, layer snapshots, and the one local image
        // resolver (ImageService.localImage) every command uses. Composes the store, the registry client and
        // layer unpacking. Never runs containers or builds.
        .target(name: "Images", dependencies: ["ImageSpec", "ImageStore", "Distribution", "LayerArchive", "LayerVariants", "ErrorReporting"]),
        // COPY/ADD semantics: which files a COPY or ADD adds, as layer entries, without a container. Runs no process.
        .target(name: "CopyPlanner", dependencies: ["LayerArchive", "ContextFilter", "ImageSpec", "CZlib", "ConfinedFS", "ErrorReporting"]),
        // `kiln build`: Dockerfile stages -> layers and config in the store (RUN, COPY/ADD, metadata, cache).
        // Never parses command-line flags.
        .target(name: "Builder", dependencies: [
            "DockerfileSyntax", "ShellWords", "ContextFilter", "ImageSpec", "ImageStore", "LayerArchive", "Images", "CopyPlanner", "ContainerRuntime",
            "ContainerNetwork", "Containers",
            "ConfinedFS",
        ]),
        // Runs a process in an isolated container through an OCI runtime (runc/crun) over overlayfs. Keeps no
        // container records (Containers does).
        .target(name: "ContainerRuntime", dependencies: ["ConfinedFS", "CUserNamespace", "ErrorReporting"]),
        // fork + unshare(CLONE_NEWUSER) + exec for rootless kiln (the child runs only async-signal-safe calls).
        .target(name: "CUserNamespace"),
        // A container's user-space network (pasta): outbound connectivity and published ports, no host firewall.
        // Knows no container records.
        .target(name: "ContainerNetwork"),
        // Containers: their records in the store, the session that runs one (root filesystem, runtime,
        // log, exit), the detached monitor, health checks, the network attachment, stop/kill/rm/start.
        // Never parses flags or prints: the CLI does, from the ContainerErrors it throws.
        .target(name: "Containers", dependencies: ["ContainerRuntime", "ContainerNetwork", "ImageSpec", "ImageStore", "Images", "ErrorReporting"]),
        // Moving images between the store and archives: docker save/load format, OCI archives, import of a rootfs tar.
        // Never resolves image names by itself (Images does; docker save's own naming rules sit on top).
        .target(name: "ImageArchive", dependencies: ["ImageSpec", "ImageStore", "LayerArchive", "LayerVariants", "DockerfileSyntax", "ShellWords", "Images", "ErrorReporting"]),
        // `kiln audit`: reads an image's layers once each and reports secrets, wasted space, risky settings and an SBOM. Never writes to the store.
        .target(name: "Audit", dependencies: ["ImageSpec", "LayerArchive", "ImageStore", "BuildChecks"]),
        // `kiln build --sbom/--provenance`: in-toto statements (SPDX SBOM, SLSA provenance) in attestation manifests of an image index, as BuildKit lays them out.
        .target(name: "Attestations", dependencies: ["ImageSpec", "ImageStore", "BuildChecks"]),
        // The command line: argument parsing, output formatting, exit codes, and the thin entry points of
        // `kiln __monitor` and `kiln __network-hook`. Holds no engine logic (containers, image lookup, walks).
        .executableTarget(
            name: "kiln",
            dependencies: [
                "ContainerNetwork",
                "DockerfileSyntax", "ShellWords", "ContextFilter", "BuildChecks",
                "ImageSpec", "ImageStore", "Images", "Distribution", "Builder", "LayerArchive", "ImageArchive",
                "ContainerRuntime", "LayerVariants", "Audit", "Containers", "Attestations",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Test-only helpers: locating shared/vectors, running the built kiln binary.
        .target(name: "TestVectors", path: "Tests/TestVectors"),
        .testTarget(name: "ShellWordsTests", dependencies: ["ShellWords", "TestVectors"]),
        .testTarget(name: "ContextFilterTests", dependencies: ["ContextFilter", "TestVectors"]),
        .testTarget(name: "DockerfileSyntaxTests", dependencies: ["DockerfileSyntax", "TestVectors"]),
        .testTarget(name: "BuildChecksTests", dependencies: ["BuildChecks", "DockerfileSyntax", "TestVectors"], exclude: ["Corpus"]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["KilnFuzz", "TestVectors"]),
        // ConfinedFS against hostile symlink graphs: per-operation checks and a seeded property test.
        .testTarget(name: "ConfinedFSTests", dependencies: ["ConfinedFS"]),
        .testTarget(name: "LayerArchiveTests", dependencies: ["LayerArchive", "TestVectors"]),
        .testTarget(name: "CLITests", dependencies: ["kiln", "TestVectors"]),
        .testTarget(name: "CopyPlannerTests", dependencies: ["CopyPlanner", "LayerArchive", "ContextFilter", "ImageSpec", "TestVectors"]),
        .testTarget(name: "ImageSpecTests", dependencies: ["ImageSpec", "TestVectors"]),
        .testTarget(name: "ImageStoreTests", dependencies: ["ImageStore", "ImageSpec", "TestVectors"]),
        .testTarget(name: "ImagesTests", dependencies: ["Images", "ImageSpec", "ImageStore", "Distribution", "LayerVariants", "LayerArchive", "kiln", "TestVectors", .product(name: "AsyncHTTPClient", package: "async-http-client")], exclude: ["Vectors"]),
        // kiln and a real Docker engine exchanging images (shared/tools/reference-docker).
        .testTarget(name: "InteropTests", dependencies: ["TestVectors"]),
        .testTarget(name: "ContainerRuntimeTests", dependencies: ["ContainerRuntime", "LayerArchive", "TestVectors"]),
        .testTarget(name: "ContainerNetworkTests", dependencies: ["ContainerNetwork"]),
        // The Containers module called directly: records, lookup, the engine's errors (no binary).
        .testTarget(name: "ContainersTests", dependencies: ["Containers", "ContainerRuntime", "ImageSpec", "ImageStore", "TestVectors"]),
        // Rootless kiln: subordinate-id maps, and a new unprivileged user building and running the web example.
        .testTarget(name: "RootlessTests", dependencies: ["ContainerRuntime", "TestVectors"]),
        // kiln run/ps/logs/stop/kill/rm/exec/port through the built binary (busybox fixture, runc).
        .testTarget(name: "RunTests", dependencies: ["ImageArchive", "ImageStore", "ImageSpec", "TestVectors"]),
        // kiln audit over images built by kiln from crafted Dockerfiles (busybox fixture) and the Debian base.
        .testTarget(name: "AuditTests", dependencies: ["Audit", "Attestations", "ImageArchive", "ImageSpec", "ImageStore", "LayerArchive", "TestVectors"]),
        .testTarget(name: "ImageArchiveTests", dependencies: ["ImageArchive", "ImageStore", "ImageSpec", "LayerArchive", "LayerVariants", "Images", "Distribution", "TestVectors"]),
        .testTarget(name: "BuilderTests", dependencies: [
            "Builder", "Images", "ImageArchive", "ImageStore", "ImageSpec", "LayerArchive", "LayerVariants", "Distribution", "TestVectors", "Containers",
        ]),
        .testTarget(
            name: "DistributionTests",
            dependencies: [
                "Distribution", "ImageSpec", "TestVectors",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
