#!/usr/bin/env bash
# Installs and starts what the lab needs, as root, on Debian 12 (bookworm) or Ubuntu 24.04 (noble):
# the Docker engine, Go 1.22, QEMU, gVisor's runsc (Debian), shellcheck, Chromium (Debian), debootstrap,
# wrk, jq, busybox-static, cpio, iproute2, binutils, and a supported Node.js with npm
# (scripts/install-node.sh); then, once `npm ci` has run, each plugin's own install
# (scripts/installPlugins.ts: the locked ops and Nanos kernel). Packages come from the running
# distribution's own archive and suites, through the mirror its apt sources already name. Safe to run
# again. Used by .ci/run and the README's quick start.
#
# Environment:
#   LAB_SKIP_SERVICES=1  install everything but start no service (dockerd) and register no runtime: for a
#                        container without privileges, where dockerd cannot start (the pristine-machine test).
#   LAB_SKIP_BROWSER=1   leave out Chromium (only the report's browser test needs it).
# What differs between the distributions: docs/distributions.md.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")

if [ "$(id -u)" -ne 0 ]; then
  echo "run as root (sudo bash $0)" >&2
  exit 1
fi

# shellcheck source=/dev/null
. /etc/os-release
case "${ID:-}:${VERSION_ID:-}" in
  debian:12) distro=debian codename=bookworm ;;
  ubuntu:24.04) distro=ubuntu codename=noble ;;
  *)
    echo "unsupported system: ${PRETTY_NAME:-unknown} (ID=${ID:-} VERSION_ID=${VERSION_ID:-}); supported: Debian 12 (bookworm), Ubuntu 24.04 (noble)" >&2
    exit 1
    ;;
esac

common=(docker.io shellcheck ca-certificates qemu-system-x86 util-linux procps time fonts-dejavu-core debootstrap
  wrk jq busybox-static cpio iproute2 binutils curl dpkg-dev gnupg)
browser=()
[ "${LAB_SKIP_BROWSER:-}" = 1 ] || browser=(chromium)

if [ "$distro" = debian ]; then
  # Go 1.22 (the paper's minor release) and runsc come from bookworm-backports; bookworm itself has
  # Go 1.19 and no runsc. The backports entry uses the mirror this machine's apt already uses.
  if ! bash "$here/apt-mirror.sh" "$codename-backports" >/dev/null 2>&1; then
    mirror=$(bash "$here/apt-mirror.sh" "$codename")
    cat > "/etc/apt/sources.list.d/$codename-backports.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: $codename-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    echo "apt: added $codename-backports from $mirror"
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${common[@]}" "${browser[@]}" >/dev/null
  apt-get install -y -qq --no-install-recommends -t "$codename-backports" golang-1.22-go runsc >/dev/null
else
  # Ubuntu 24.04 has golang-1.22-go in noble itself (main; docker.io and wrk are in universe). It has no
  # runsc, and its chromium is a snap (not usable without snapd): both are left out, see docs/distributions.md.
  apt-get update -qq
  if [ -z "$(apt-cache madison docker.io 2>/dev/null)" ]; then
    echo "docker.io is not in this machine's apt sources: Ubuntu ships it in the 'universe' component; enable it and run again" >&2
    exit 1
  fi
  apt-get install -y -qq --no-install-recommends "${common[@]}" golang-1.22-go >/dev/null
  echo "apt: Ubuntu $VERSION_ID has no runsc and no Chromium package (a snap): gVisor cells and the report's browser test are skipped (docs/distributions.md)"
fi
[ "${LAB_SKIP_BROWSER:-}" != 1 ] || echo "apt: Chromium left out (LAB_SKIP_BROWSER=1)"

# Both distributions install Go 1.22 outside PATH (/usr/lib/go-1.22); the lab's builder finds it there,
# but the tests and a user's shell look on PATH, so link it unless a go is already there.
if ! command -v go >/dev/null 2>&1; then
  ln -sfn /usr/lib/go-1.22/bin/go /usr/local/bin/go
  ln -sfn /usr/lib/go-1.22/bin/gofmt /usr/local/bin/gofmt
fi

bash "$here/install-node.sh"
# Fails with one line if the node on PATH is still not one the project supports.
node "$repo/scripts/check-node.cjs"

# The plugins' own installs (lab/install.ts): a platform or a generator that comes as a download
# installs it here from the revision and its lock, e.g. the locked ops and Nanos kernel for the
# Nanos cells. They need the lab's dependencies (npm ci); each prints one line, also when it cannot.
if [ -x "$repo/node_modules/.bin/tsx" ]; then
  (cd "$repo" && node --import tsx scripts/installPlugins.ts)
else
  echo "plugins: not installed yet: run npm ci, then this script again (ops and the Nanos kernel for the Nanos cells come with it)"
fi

if [ "${LAB_SKIP_SERVICES:-}" = 1 ]; then
  echo "system ready (services not started: LAB_SKIP_SERVICES=1): $(/usr/lib/go-1.22/bin/go version), node $(node --version), npm $(npm --version)"
  exit 0
fi

# The Docker engine: start one unless one already answers (no systemd in containers and CI).
if ! docker info >/dev/null 2>&1; then
  # In the background, outliving this script; the wait ends early if dockerd exits.
  dockerd >/var/log/dockerd-lab.log 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || break
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    tail -n 30 /var/log/dockerd-lab.log >&2
    # Last, so that it is the line one sees.
    echo "dockerd did not start (its log is above and in /var/log/dockerd-lab.log; inside a container without privileges it cannot: set LAB_SKIP_SERVICES=1 there)" >&2
    exit 1
  fi
fi
# gVisor's runtimes, registered with the engine now that it runs (the script comes with the gVisor platform).
if [ -f "$repo/lab/platforms/gvisor/register-runtimes.sh" ]; then
  bash "$repo/lab/platforms/gvisor/register-runtimes.sh"
fi
echo "system ready: $(docker version --format 'docker engine {{.Server.Version}}'), $(/usr/lib/go-1.22/bin/go version), node $(node --version), npm $(npm --version)"
