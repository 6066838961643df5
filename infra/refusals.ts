/**
 * What `pulumi preview` refuses because it would fail only after servers are billing. Each
 * refusal has a name, ends the problem's line in brackets (`[ssh-key-passphrase]`) and is listed
 * in docs/pulumi-lab.md with what to change; a test per name feeds it hostile input
 * (infra/refusals.hostile.test.ts).
 */

export const REFUSALS = {
  "ssh-source-documentation":
    "an address of a documentation range (RFC 5737, RFC 3849) in edge-lab:sshAllowedCidrs: the firewall would admit nobody",
  "ssh-source-private":
    "a private, loopback, link-local or shared address in edge-lab:sshAllowedCidrs: a public server never sees you from it",
  "ssh-key-missing": "the target uses your own servers and no edge-lab:sshPrivateKey is set",
  "ssh-key-passphrase": "edge-lab:sshPrivateKey is protected by a passphrase: nothing could type it",
  "ssh-key-unused": "edge-lab:sshPrivateKey is set on a target whose servers the stack makes (it has its own key)",
  "token-shape": "an API token or key that does not have the shape the provider issues",
  "generator-unreachable": "the profile's load generator is one the Pulumi lab's load generator host cannot run",
  "vendor-repository-missing":
    "a platform of the profile needs a package the hosts' OS does not carry (runsc), and the revision names no vendor repository for it",
} as const;

export type RefusalName = keyof typeof REFUSALS;

/** A problem line that says which refusal it is. */
export function refusal(name: RefusalName, problem: string): string {
  return `${problem} [${name}]`;
}

/** The refusal a problem line names, if any. */
export function refusalOf(problem: string): RefusalName | null {
  const name = /\[([a-z-]+)\]$/.exec(problem)?.[1];
  return name !== undefined && Object.hasOwn(REFUSALS, name) ? (name as RefusalName) : null;
}
