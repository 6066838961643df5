import type { Downloads, Revision } from "../../core/config/revision";

/** What a host is in the lab. The local target is both at once. */
export interface HostRoles {
  sut: boolean;
  loadgen: boolean;
}

/** Everything the step generators need to know about one host. */
export interface BootstrapContext {
  revision: Revision;
  /** The revision's downloads (the Pulumi lab refuses a revision without them). */
  downloads: Downloads;
  roles: HostRoles;
  /** Name in script headers and logs: "sut", "loadgen" or "local". */
  hostLabel: string;
  /** Where the lab's code lives on this host. */
  labDir: string;
  /** The uploaded code archive; null where the code is already there (the local target). */
  code: { archivePath: string; sha256: string } | null;
  /** The apt packages this host installs (names in the revision's downloads.apt.packages). */
  aptPackages: string[];
  /** Write the sshd drop-in that forbids passwords (not on the operator's own machine). */
  hardenSsh: boolean;
  /** The npm registry the hosts fetch the pinned Node and npm from (the operator's own `npm config get registry`). */
  npmRegistry: string;
}

/** What the preflight holds a host to. */
export interface PreflightOptions {
  /** Install mode: a difference from the revision fails. Record mode (the local target): it is listed. */
  strict: boolean;
  /** The profile runs Docker cells. */
  docker: boolean;
  /** The checks of the host's plugins (their preflightScript), each one check of the preflight. */
  plugins?: readonly PluginSetup[];
  /** Nanos cells without allowEmulation: KVM must be usable. */
  requireKvm: boolean;
  /** The profile's largest CPU count. */
  minCores: number;
  /** SUT only: the load generator the runner reaches over ssh with the lab key (null: k6 runs here). */
  loadgen: { user: string; address: string } | null;
}

/** A plugin's install as the bootstrap runs it (lab/install.ts; infra/installs.ts makes it). */
export interface PluginSetup {
  /** The platform's or the generator's name: its steps are `<name>-setup`, its check is `<name>`. */
  plugin: string;
  role: "sut" | "loadgen";
  /** Its downloads' variables (lab/install.ts downloadEnv). */
  env: Readonly<Record<string, string>>;
  install?: string;
  preflight?: string;
  remove?: string;
}
