# Shell helpers of the preflight step (inlined into the generated script).
# shellcheck shell=bash
failures=()
checked=0
skipped=0
# expect NAME WANT HAVE: HAVE must equal WANT
expect() {
  checked=$((checked + 1))
  if [ "$3" = "$2" ]; then
    echo "ok: $1 = $3"
  else
    failures+=("$1: expected $2, found \"${3:-nothing}\"")
    echo "MISMATCH: $1: expected $2, found \"${3:-nothing}\""
  fi
}
# ensure NAME MESSAGE COMMAND...: COMMAND must succeed
ensure() {
  local name=$1 message=$2
  shift 2
  checked=$((checked + 1))
  if "$@"; then
    echo "ok: $name"
  else
    failures+=("$name: $message")
    echo "FAILED: $name: $message"
  fi
}
skip() {
  skipped=$((skipped + 1))
  echo "skipped: $1 ($2)"
}
clock_synchronised() {
  local _
  if has_systemd && command -v timedatectl >/dev/null; then
    # A fresh host may take a little while to reach its NTP servers.
    for _ in $(seq 1 30); do
      [ "$(timedatectl show -p NTPSynchronized --value 2>/dev/null)" = yes ] && return 0
      sleep 2
    done
    return 1
  fi
  if command -v chronyc >/dev/null; then
    chronyc tracking 2>/dev/null | grep -q 'Leap status *: Normal'
    return
  fi
  return 1
}
kvm_usable() { [ -e /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; }
enough_cores() { [ "$(nproc)" -ge "$1" ]; }
# expect_package NAME VERSION: the installed Debian version is VERSION (a trailing * matches any rest)
expect_package() {
  local have
  # shellcheck disable=SC2016
  have=$(dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null | sed -n 's/^[a-z]* ok installed //p')
  checked=$((checked + 1))
  # shellcheck disable=SC2254
  case "$2" in
    *'*') case "$have" in ${2%\*}*) echo "ok: package $1 = $have"; return ;; esac ;;
    *) if [ "$have" = "$2" ]; then echo "ok: package $1 = $have"; return; fi ;;
  esac
  failures+=("package $1: expected $2, found \"${have:-nothing}\"")
  echo "MISMATCH: package $1: expected $2, found \"${have:-nothing}\""
}
