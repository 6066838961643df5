#!/usr/bin/env bash
# Prints the archive URI this machine's apt already uses for SUITE (e.g. bookworm), so that new
# entries (bookworm-backports) and debootstrap use the operator's own mirror, never a hard-coded one.
# Reads deb822 files (/etc/apt/sources.list.d/*.sources) and one-line files (sources.list, *.list);
# the first enabled `deb` entry that lists SUITE wins. APT_SOURCES_DIR overrides /etc/apt (tests).
# Usage: apt-mirror.sh SUITE    Exit 1, naming the files read, when no entry lists SUITE.
set -euo pipefail

suite=${1:?usage: apt-mirror.sh SUITE}
etc=${APT_SOURCES_DIR:-/etc/apt}

files=()
for f in "$etc/sources.list" "$etc"/sources.list.d/*.list "$etc"/sources.list.d/*.sources; do
  [ -f "$f" ] && files+=("$f")
done

uri=""
for f in "${files[@]}"; do
  case "$f" in
    *.sources)
      # deb822: paragraphs of "Field: value" separated by blank lines; comments start with #.
      uri=$(awk -v suite="$suite" '
        function flush() {
          if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled != "no" && (" " suites " ") ~ ("[ \t]" suite "[ \t]") && uris != "") {
            split(uris, u, /[ \t]+/); print u[1]; found = 1; exit
          }
          types = ""; suites = ""; uris = ""; enabled = ""
        }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        {
          line = $0; sub(/^[ \t]+/, "", line)
          key = tolower(line); sub(/:.*/, "", key)
          value = line; sub(/^[^:]*:[ \t]*/, "", value); sub(/[ \t]+$/, "", value)
          if (key == "types") types = value
          else if (key == "suites") suites = value
          else if (key == "uris") uris = value
          else if (key == "enabled") enabled = tolower(value)
        }
        END { if (!found) flush() }
      ' "$f")
      ;;
    *)
      # One-line style: deb [options] URI SUITE COMPONENT...
      uri=$(awk -v suite="$suite" '
        /^[ \t]*deb[ \t]/ {
          line = $0; sub(/#.*/, "", line); gsub(/\[[^]]*\]/, "", line)
          n = split(line, w, /[ \t]+/); i = 1; if (w[1] == "") i = 2
          if (w[i] == "deb" && w[i + 2] == suite) { print w[i + 1]; exit }
        }
      ' "$f")
      ;;
  esac
  if [ -n "$uri" ]; then
    echo "${uri%/}"
    exit 0
  fi
done

echo "apt-mirror: no enabled 'deb' entry for suite '$suite' in ${files[*]:-$etc (no source files)}" >&2
exit 1
