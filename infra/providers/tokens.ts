/**
 * The shape of the API credentials each provider issues, checked at preview so a mistyped or
 * truncated token stops there and not after the first server is billing. A credential is a
 * secret: a message says what is wrong with its shape (its length, the characters it should
 * have), never its value.
 */
import * as pulumi from "@pulumi/pulumi";
import { refusal } from "../refusals";

export interface TokenShape {
  /** e.g. "a Hetzner Cloud API token". */
  what: string;
  pattern: RegExp;
  /** "64 letters and digits". */
  expected: string;
  /** Where to copy it from again. */
  where: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const TOKEN_SHAPES = {
  hcloudToken: {
    what: "a Hetzner Cloud API token",
    pattern: /^[A-Za-z0-9]{64}$/,
    expected: "64 letters and digits",
    where: "the Hetzner Cloud console: your project, Security, API tokens (Read & Write)",
  },
  scalewayAccessKey: {
    what: "a Scaleway access key",
    pattern: /^SCW[A-Z0-9]{17}$/,
    expected: "SCW and 17 capital letters or digits",
    where: "the Scaleway console: IAM, API keys",
  },
  scalewaySecretKey: {
    what: "a Scaleway secret key",
    pattern: UUID,
    expected: "a UUID (8-4-4-4-12 lowercase hex digits)",
    where: "the Scaleway console: IAM, API keys (shown once, when the key is made)",
  },
  scalewayProjectId: {
    what: "a Scaleway project id",
    pattern: UUID,
    expected: "a UUID (8-4-4-4-12 lowercase hex digits)",
    where: "the Scaleway console: Project settings",
  },
} as const satisfies Record<string, TokenShape>;

/** What a credential's text shows without showing it: its length, and whether it has stray characters. */
function describeShape(value: string): string {
  const stray = /\s/.test(value)
    ? ", with white space in it"
    : /[^A-Za-z0-9-]/.test(value)
      ? ", with other characters than letters, digits and dashes"
      : "";
  return `it has ${[...value].length} characters${stray}`;
}

/** A refusal when `value` (read from `source`) does not have the shape, else null. Never shows the value. */
export function tokenProblem(source: string, value: string, shape: TokenShape): string | null {
  if (shape.pattern.test(value)) return null;
  return refusal(
    "token-shape",
    `${source} (a secret: its value is not shown) does not have the shape of ${shape.what}: expected ${shape.expected}, ${describeShape(value)}; copy it again from ${shape.where}`,
  );
}

/**
 * A provider credential from `<namespace>:<key>` (as its plain text, only to check its shape) or
 * the environment: where it came from and its value, or null when neither has it.
 */
export function credentialText(key: string, env: string): { source: string; value: string } | null {
  const fromConfig = pulumi.runtime.getConfig(key);
  if (fromConfig !== undefined) return { source: key, value: fromConfig };
  const fromEnv = process.env[env];
  return fromEnv !== undefined && fromEnv !== "" ? { source: env, value: fromEnv } : null;
}
