#!/usr/bin/env bash
# A plugin's install on a researcher's machine (the test platform microfc): it prints one line with
# the variables scripts/installPlugins.ts gave it, and sources the helpers it was pointed at.
set -euo pipefail
# shellcheck source=infra/bootstrap/helpers.sh
. "${LAB_HELPERS:?}"
command -v fetch >/dev/null
echo "microfc: would install $MICROFC_FILE $MICROFC_VERSION sha256 $MICROFC_SHA256 from $MICROFC_URL"
