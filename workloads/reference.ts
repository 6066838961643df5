import { sha256 } from "@noble/hashes/sha2.js";

/**
 * The golden reference for /compute: h0 = payload, h(i+1) = SHA-256(h(i)), 100 rounds, lowercase
 * hex. Written against @noble/hashes, a pure-JS SHA-256 independent of both apps' crypto (Go's
 * crypto/sha256 and Node's OpenSSL), so a shared bug cannot make the apps agree with it.
 */
export const HASH_ROUNDS = 100;

export function referenceDigest(payload: Uint8Array, rounds = HASH_ROUNDS): string {
  let digest = payload;
  for (let i = 0; i < rounds; i++) digest = sha256(digest);
  return Buffer.from(digest).toString("hex");
}
