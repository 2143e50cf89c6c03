#!/usr/bin/env bash
# Installs the Debian packages kiln's build, tests and demo need, when they are missing.
# Idempotent; safe to run on every CI run. Needs root (or sudo) only when something is missing.
set -euo pipefail

# One package per line: what needs it.
PACKAGES=(
  git              # the test harness and `kiln check` on git work trees
  ca-certificates  # HTTPS to registries
  zlib1g-dev       # LayerArchive: gzip (CZlib)
  libdeflate-dev   # LayerArchive: fast parallel gzip of layers leaving the machine (CDeflate)
  libzstd-dev      # LayerArchive: zstd layers, push/save --compression zstd and pulls (CZstd)
  libssl-dev       # LayerArchive: SHA-256 with a saveable state, COPY layers hashed from their first change (CSHA256)
  docker-registry  # DistributionTests: a real registry on 127.0.0.1 (shared/tools/local-registry)
  skopeo           # DistributionTests: seeds the local registry with the busybox fixture
  apache2-utils    # DistributionTests: htpasswd for the Basic-auth registry
  curl             # shared/tools/local-registry: waits for the registry to answer
  openssl          # ImagesTests: the token server's signing certificate
  python3-cryptography  # ImagesTests: the token server's JWT signatures (skipped when absent)
  bzip2            # CopyPlanner: ADD of .tar.bz2 archives
  xz-utils         # CopyPlanner: ADD of .tar.xz archives
  zstd             # CopyPlanner: ADD of .tar.zst archives
  bsdutils         # RunTests: script(1) drives `kiln run -it` under a pseudo-terminal
  fuse-overlayfs   # rootless kiln: overlay root filesystems where the kernel refuses overlayfs (KILN_SNAPSHOTS=fuse; needs /dev/fuse)
  uidmap           # rootless kiln: newuidmap/newgidmap map /etc/subuid and /etc/subgid ranges into its user namespace
  runc             # ContainerRuntime: runs RUN steps in containers (crun fails on cgroup v1 hybrid hosts)
  openssh-client   # Builder: kiln build --ssh ID=KEYFILE starts ssh-agent/ssh-add; SSHMountTests (ssh-keygen)
  passt            # ContainerNetwork: pasta, the user-space network of `kiln run` containers, RUN steps and published ports
  iproute2         # ContainerNetworkTests: ip sets up the fake host namespace outbound tests run in
  tmux             # CLITests: the terminal progress view, driven and captured in a real terminal
  busybox-static   # scripts/demo.sh: the demo's own base image (scripts/make-base-image.sh)
  python3-venv     # AuditTests: a venv for the SPDX/CycloneDX schema validators (pip-installed there; skipped when pip fails)
  debootstrap      # AuditTests, InteropTests: shared/tools/debian-base makes the Debian base image
  qemu-user-static # kiln setup-binfmt: emulators for foreign-architecture RUN steps (MultiPlatformBuildTests)
  binfmt-support   # registers qemu-user-static's handlers where binfmt_misc is mounted at install time
  file             # scripts/multiplatform-proof.sh: the ELF architecture of each platform's binary
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
