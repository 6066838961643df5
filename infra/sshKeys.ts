/**
 * SSH key material as the lab checks it before any server exists: a private key the operator gives
 * (only on targets whose servers are the operator's own) must be one nothing has to unlock, and a
 * host key to pin must be one OpenSSH public key line. Pure functions; the values are secrets or
 * keys, so no message ever shows them.
 */

/** What is wrong with a private key's text, or null when it is a key without a passphrase. */
export function privateKeyProblem(text: string): { kind: "format" | "passphrase"; detail: string } | null {
  const pem = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----\r?\n([\s\S]*?)-----END \1PRIVATE KEY-----/.exec(text);
  if (!pem)
    return { kind: "format", detail: "expected a PEM or OpenSSH private key (-----BEGIN ... PRIVATE KEY-----)" };
  const label = (pem[1] ?? "").trim();
  const body = pem[2] ?? "";
  if (label === "ENCRYPTED" || /^Proc-Type:\s*4,ENCRYPTED/m.test(body)) {
    return { kind: "passphrase", detail: "it is an encrypted PEM key" };
  }
  if (label !== "OPENSSH") return null;
  const cipher = openSshCipher(body);
  if (cipher === null) return { kind: "format", detail: "expected an OpenSSH private key (openssh-key-v1)" };
  return cipher === "none" ? null : { kind: "passphrase", detail: `its cipher is ${cipher}` };
}

/** The cipher an OpenSSH private key is stored under ("none": no passphrase), or null when it is not one. */
function openSshCipher(base64Body: string): string | null {
  const data = Buffer.from(base64Body.replace(/\s+/g, ""), "base64");
  const magic = "openssh-key-v1\0";
  if (data.subarray(0, magic.length).toString("latin1") !== magic) return null;
  if (data.length < magic.length + 4) return null;
  const length = data.readUInt32BE(magic.length);
  if (length > 64 || data.length < magic.length + 4 + length) return null;
  return data.subarray(magic.length + 4, magic.length + 4 + length).toString("latin1");
}

/** An OpenSSH public host key: its type and base64 body, without a comment. */
export const HOST_KEY = /^(ssh-ed25519|ecdsa-sha2-nistp(?:256|384|521)|ssh-rsa) ([A-Za-z0-9+/]+={0,3})$/;

/** A host key line (`ssh-ed25519 AAAA...`, a comment dropped), or null when it is not one. */
export function hostKeyLine(text: string): string | null {
  const [type, body] = text.trim().split(/\s+/);
  const line = `${type ?? ""} ${body ?? ""}`;
  return HOST_KEY.test(line) ? line : null;
}

/** The line of a known_hosts file pinning `hostKey` for `address` (OpenSSH spells a port other than 22 as [address]:port). */
export function knownHostsLine(address: string, port: number, hostKey: string): string {
  const key = hostKeyLine(hostKey);
  if (key === null) throw new Error(`not an OpenSSH host key: ${JSON.stringify(hostKey.slice(0, 40))}`);
  if (!/^[A-Za-z0-9.:-]+$/.test(address))
    throw new Error(`not a host address: ${JSON.stringify(address.slice(0, 60))}`);
  return `${port === 22 ? address : `[${address}]:${port}`} ${key}`;
}
