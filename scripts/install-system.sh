#!/usr/bin/env bash
# Installs and starts what the lab needs on a Debian 12 (bookworm) machine, as root:
# Docker engine, Go 1.22 (bookworm-backports), shellcheck, QEMU, Chromium, debootstrap. Safe to run again.
# Used by .ci/run and by the README's quick start.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" -ne 0 ]; then
  echo "run as root (sudo bash $0)" >&2
  exit 1
fi

# Go 1.22 (the paper's minor release) comes from bookworm-backports; bookworm itself has 1.19.
if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  cat > /etc/apt/sources.list.d/bookworm-backports.sources <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends docker.io shellcheck ca-certificates qemu-system-x86 util-linux procps time chromium fonts-dejavu-core debootstrap >/dev/null
apt-get install -y -qq --no-install-recommends -t bookworm-backports golang-1.22-go >/dev/null

# The Docker engine: start one unless one already answers (no systemd in containers and CI).
if ! docker info >/dev/null 2>&1; then
  (dockerd >/var/log/dockerd-lab.log 2>&1 &)
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    echo "dockerd did not start:" >&2
    tail -n 30 /var/log/dockerd-lab.log >&2
    exit 1
  fi
fi
echo "system ready: $(docker version --format 'docker engine {{.Server.Version}}'), $(/usr/lib/go-1.22/bin/go version)"
