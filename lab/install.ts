/**
 * What a plugin (a platform or a load generator) installs on a machine, declared once in its
 * module: the files it downloads and its install, check and removal steps. The Pulumi bootstrap,
 * the download lock, the preflight, the clean-up on `pulumi destroy` and
 * `scripts/install-system.sh` read these declarations and name no plugin, so adding a platform
 * or a generator that comes as a download is its module, its scripts and a registry line (plus
 * the file's entry in the revision).
 *
 * A plugin's scripts get each download as environment variables named after its revision key
 * (`downloadEnvName`): `<KEY>_FILE` (the file's name), `<KEY>_URL`, `<KEY>_SHA256` (from the
 * revision or its lock) and, where the plugin names one, `<KEY>_VERSION`. They fetch it with the
 * bootstrap's `fetch` helper, which verifies the sha256 (from a bundle folder or the URL).
 */

export interface HostInstall {
  /**
   * Files of the revision's `downloads` it fetches, by key; each is locked on first use
   * (infra/lock.ts) when the revision gives no sha256. The value names the revision's `versions`
   * key the file is of (recorded in the lock, passed as `<KEY>_VERSION`), or null (unversioned).
   */
  downloads?: Readonly<Record<string, string | null>>;
  /** An idempotent shell body, run as root after the apt packages; `changed "..."` reports what it did. */
  installScript?: string;
  /** A shell body that fails, with a message, when the plugin cannot run on the host. */
  preflightScript?: string;
  /**
   * A shell body that removes what the install made, run by `pulumi destroy` on a host the user
   * lent the lab. Every command may fail (a half-installed host is cleaned as far as it goes).
   */
  removeScript?: string;
  /**
   * The install on a researcher's own machine: a bash script (a path from the repository's
   * root) that `scripts/install-system.sh` runs as root with the download variables above and
   * LAB_HELPERS (the bootstrap's helpers to source). Where it cannot install, it prints one line
   * saying why and exits 0.
   */
  localScript?: string;
  /**
   * apt packages the Pulumi hosts' OS (Ubuntu 24.04) does not carry, e.g. runsc: the revision must
   * name each under downloads.apt.packages, `for` this plugin and `from` its vendor's repository,
   * whose key the apt step checks against the fingerprint the revision gives before apt trusts it.
   * Preview refuses a profile with the plugin otherwise, and names the repository it will use.
   */
  vendorAptPackages?: readonly string[];
}

/** `nanosKernel` -> `NANOS_KERNEL`: the prefix of a download's variables. */
export function downloadEnvName(key: string): string {
  if (!/^[a-z][A-Za-z0-9]*$/.test(key))
    throw new Error(`download key ${JSON.stringify(key)}: expected camelCase like nanosKernel`);
  return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

/** One download as a plugin's script gets it. */
export interface DownloadValues {
  file: string;
  url: string;
  sha256: string;
  version: string | null;
}

/** The environment of a plugin's scripts: each download's variables (see the module's comment). */
export function downloadEnv(downloads: Readonly<Record<string, DownloadValues>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, d] of Object.entries(downloads)) {
    const name = downloadEnvName(key);
    env[`${name}_FILE`] = d.file;
    env[`${name}_URL`] = d.url;
    env[`${name}_SHA256`] = d.sha256;
    if (d.version !== null) env[`${name}_VERSION`] = d.version;
  }
  return env;
}
