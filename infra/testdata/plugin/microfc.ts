/**
 * A platform that comes as a download, in files of its own, as Firecracker would: its module (this
 * file, the platform's fields taken from the native platform's: only its install is new), its
 * scripts (install-local.sh beside it) and its registry line (the test registers it). The revision
 * names its file and version (infra/installs.test.ts writes them). Nothing in infra/ changes.
 */
import { nativePlatform } from "../../../lab/platforms/native";
import type { Platform } from "../../../lab/platforms/types";

export const microfcPlatform: Platform = {
  ...nativePlatform,
  name: "microfc",
  description: "a platform from a download (a test's stand-in for Firecracker)",
  host: {
    downloads: { microfc: "microfc" },
    installScript: `fetch microfc "$MICROFC_FILE" "$MICROFC_URL" sha256 "$MICROFC_SHA256"
install -m 0755 "$tools/downloads/$MICROFC_FILE" "$tools/microfc-$MICROFC_VERSION"
changed "microfc $MICROFC_VERSION"`,
    preflightScript: `"$tools/microfc-$MICROFC_VERSION" --version | grep -q "$MICROFC_VERSION" || fail "microfc is not $MICROFC_VERSION"`,
    removeScript: `rm -f "$tools"/microfc-*`,
    localScript: "infra/testdata/plugin/install-local.sh",
  },
};
