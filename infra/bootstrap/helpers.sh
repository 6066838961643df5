# Shell helpers shared by every bootstrap step (inlined into each generated script).
# shellcheck shell=bash
# shellcheck disable=SC2154 # step, log, tools, bundle and offline are set by the step's frame (infra/bootstrap/shell.ts)
changes=()
# A plugin's script runs in a subshell (it may exit): what it reports and a clean failure reach
# the step through these files (infra/bootstrap/index.ts pluginShell); empty outside one.
plugin_changes=""
plugin_failed=""
changed() {
  changes+=("$1")
  echo "changed: $1"
  if [ -n "$plugin_changes" ]; then printf '%s\n' "$1" >>"$plugin_changes"; fi
}
failed_cleanly=0
fail() {
  echo "FAILED: $*"
  echo "$step: $*" >&4
  failed_cleanly=1
  if [ -n "$plugin_failed" ]; then : >"$plugin_failed"; fi
  exit 1
}
# A failure the step explains (fail) says it in one line; any other shows the end of the log.
on_exit() {
  local status=$?
  if [ -n "$plugin_failed" ] && [ -e "$plugin_failed" ]; then failed_cleanly=1; fi
  rm -f "${plugin_changes:-}" "${plugin_failed:-}"
  if [ "$status" -ne 0 ] && [ "$failed_cleanly" = 0 ]; then
    { echo "$step failed (exit $status); the end of $log:"; tail -n 25 "$log"; } >&4
  fi
}
trap on_exit EXIT
# digest_of ALGORITHM FILE: the hex digest (md5, sha256 or sha512)
digest_of() { "$1sum" "$2" | cut -d' ' -f1; }
# fetch NAME FILE URL ALGORITHM DIGEST: leaves the verified file at $tools/downloads/FILE, taken from
# the bundle when it holds FILE, otherwise downloaded; a file whose digest differs is never used.
fetch() {
  local name=$1 file=$2 url=$3 algorithm=$4 digest=$5
  local dest="$tools/downloads/$file" origin actual
  if [ -f "$dest" ] && [ "$(digest_of "$algorithm" "$dest")" = "$digest" ]; then return 0; fi
  if [ -f "$bundle/$file" ]; then
    origin="the bundle ($bundle/$file)"
    cp "$bundle/$file" "$dest.part"
  elif [ "$offline" = 1 ]; then
    fail "$name: $file is not in the bundle $bundle and downloads are off (EDGELAB_OFFLINE=1)"
  else
    origin=$url
    curl --fail --silent --show-error --location --retry 3 --connect-timeout 20 --output "$dest.part" "$url" ||
      fail "$name: downloading $url failed (and $file is not in the bundle $bundle)"
  fi
  actual=$(digest_of "$algorithm" "$dest.part")
  if [ "$actual" != "$digest" ]; then
    rm -f "$dest.part"
    fail "$name: $file from $origin has $algorithm $actual, the revision pins $digest: refusing it"
  fi
  mv "$dest.part" "$dest"
  echo "fetched $file from $origin ($algorithm verified)"
}
# put_file PATH MODE < CONTENT: writes PATH only when its content differs; true when it wrote.
put_file() {
  local path=$1 mode=$2 tmp
  tmp=$(mktemp)
  cat > "$tmp"
  if [ -f "$path" ] && cmp -s "$tmp" "$path"; then
    rm -f "$tmp"
    return 1
  fi
  mkdir -p "$(dirname "$path")"
  install -m "$mode" "$tmp" "$path"
  rm -f "$tmp"
}
# link TARGET NAME: a symlink NAME -> TARGET, replaced only when it points elsewhere.
link() {
  if [ "$(readlink "$2" 2>/dev/null || true)" != "$1" ]; then
    ln -sfn "$1" "$2"
    changed "link $2"
  fi
}
# packages NAME...: installs the Debian/Ubuntu packages that are missing, nothing else.
packages() {
  local missing=() p
  for p in "$@"; do
    # shellcheck disable=SC2016
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    # A fresh cloud server may still be upgrading itself: wait for dpkg's lock instead of failing.
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
    changed "packages ${missing[*]}"
  fi
}
# first_version TEXT PATTERN: the first x.y.z after PATTERN in TEXT (empty when none)
first_version() { printf '%s\n' "$1" | sed -n "s/.*$2\([0-9][0-9]*\.[0-9][0-9]*\(\.[0-9][0-9]*\)\{0,1\}\).*/\1/p" | head -n 1; }
has_systemd() { [ -d /run/systemd/system ]; }
