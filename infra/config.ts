/**
 * The stack's configuration (`edge-lab:*` keys in Pulumi.<stack>.yaml), typed and validated in one
 * place. The keys every target has are declared here; each host provider (infra/providers/) owns
 * its own keys and the checks of their combinations. Pure: `parseLabConfig` takes the raw
 * key/value pairs, so every bad value and every bad combination is tested without Pulumi. Errors
 * name the key, the value and what is allowed.
 */
import { z } from "zod";
import { ConfigError, describeIssues, describeKey } from "../core/config/errors";
import { RUN_ID_PATTERN, RUN_ID_RULE } from "../core/results/runId";
import { PROVIDER_KEYS, PROVIDERS, providerOf, TARGETS, type Target } from "./providers";
import { NETWORK } from "./providers/common";
import { type KeyDef, type KeyKind, NAMESPACE } from "./providers/keys";
import { refusal } from "./refusals";

export { type HostConfig, HostSchema } from "./providers/keys";
export { NAMESPACE, NETWORK, TARGETS, type Target };

export const PAPER_IMAGE_MODES = ["docker-provider", "on-sut", "off"] as const;
/** More pairs than this is a typo more often than a plan. */
export const MAX_PAIRS = 10;

/** Keys every target has. */
const COMMON_KEYS = {
  target: { kind: "string", schema: z.enum(TARGETS) },
  revision: { kind: "string", schema: z.string().min(1).default("paper-2025") },
  profile: {
    kind: "string",
    schema: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/, "expected a profile name like paper")
      .default("paper"),
  },
  runId: {
    kind: "string",
    schema: z.string().regex(RUN_ID_PATTERN, `expected ${RUN_ID_RULE}`).optional(),
  },
  allowEmulation: { kind: "boolean", schema: z.boolean().default(false) },
  bootstrap: { kind: "boolean", schema: z.boolean().optional() },
  paperImages: { kind: "string", schema: z.enum(PAPER_IMAGE_MODES).optional() },
  pairs: {
    kind: "number",
    schema: z
      .number()
      .int("expected a whole number of host pairs")
      .min(1, "expected at least 1 host pair")
      .max(MAX_PAIRS, `expected at most ${MAX_PAIRS} host pairs`)
      .default(1),
  },
} as const satisfies Record<string, KeyDef>;

/** Every key of every provider (a key two providers share has one definition). */
const ALL_KEYS = { ...COMMON_KEYS, ...PROVIDER_KEYS, ...COMMON_KEYS } as const;

type Shape<T extends Record<string, KeyDef>> = { [K in keyof T]: T[K]["schema"] };
const shape = Object.fromEntries(Object.entries(ALL_KEYS).map(([k, d]) => [k, d.schema])) as Shape<typeof ALL_KEYS>;
const LabConfigSchema = z.object(shape).strict();

export type ConfigKey = keyof typeof ALL_KEYS;

/** Keys, their kinds (how the raw string is read) and the targets each key belongs to. */
export const CONFIG_KEYS: Readonly<Record<ConfigKey, { kind: KeyKind; targets: readonly Target[] }>> =
  Object.fromEntries(
    (Object.keys(ALL_KEYS) as ConfigKey[]).map((key) => [
      key,
      {
        kind: ALL_KEYS[key].kind,
        targets: key in COMMON_KEYS ? TARGETS : TARGETS.filter((t) => key in PROVIDERS[t].keys),
      },
    ]),
  ) as unknown as Record<ConfigKey, { kind: KeyKind; targets: readonly Target[] }>;

export type LabConfigInput = z.input<typeof LabConfigSchema>;

export interface LabConfig extends Omit<z.output<typeof LabConfigSchema>, "bootstrap" | "paperImages"> {
  /** Install pinned software on the hosts (default: yes, except on this machine). */
  bootstrap: boolean;
  /** How the paper's Docker images are built on the SUT. */
  paperImages: (typeof PAPER_IMAGE_MODES)[number];
  stack: string;
}

/** Problems no single key shows: keys that do not belong to the target, the provider's own checks, pairs. */
function combinationProblems(
  raw: Record<string, unknown>,
  c: z.output<typeof LabConfigSchema>,
  stack: string,
): string[] {
  const problems: string[] = [];
  const key = (k: string) => `${NAMESPACE}:${k}`;
  for (const k of Object.keys(raw) as ConfigKey[]) {
    const allowed: readonly Target[] = CONFIG_KEYS[k].targets;
    if (allowed.includes(c.target)) continue;
    if (k === "sshPrivateKey" && providerOf(c.target).remote) {
      problems.push(
        refusal(
          "ssh-key-unused",
          `${key(k)} is set but target ${c.target} makes its servers with a key of the stack's own (kept as a secret in its state): remove yours with \`pulumi config rm ${key(k)}\`; for your own logins set ${key("sshPublicKey")} (it is for: ${allowed.join(", ")})`,
        ),
      );
      continue;
    }
    problems.push(`${key(k)} is set but target ${c.target} does not use it (it is for: ${allowed.join(", ")})`);
  }
  const provider = providerOf(c.target);
  if (c.pairs > provider.maxPairs) {
    problems.push(
      `${key("pairs")} = ${c.pairs} is not allowed for target ${c.target}: it stands up at most ${provider.maxPairs} pair${provider.maxPairs === 1 ? "" : "s"} (targets that provision servers take more: ${TARGETS.filter((t) => PROVIDERS[t].maxPairs > 1).join(", ")})`,
    );
  }
  problems.push(...provider.configProblems(raw, withDefaults(c, stack)));
  // The Docker provider logs in to the SUT with your key from your ssh-agent: a server the stack
  // makes admits it only when you gave your public key.
  if (c.paperImages === "docker-provider" && provider.pairHosts(withDefaults(c, stack), 1).sut.kind === "cloud") {
    if (raw.sshPublicKey === undefined) {
      problems.push(
        `${key("paperImages")} = "docker-provider" needs ${key("sshPublicKey")} on target ${c.target}: the Docker provider logs in to the SUT with your own key from your ssh-agent (or set ${key("paperImages")} to on-sut, the default, and the SUT builds them)`,
      );
    }
  }
  return problems;
}

function withDefaults(c: z.output<typeof LabConfigSchema>, stack: string): LabConfig {
  const remote = providerOf(c.target).remote;
  return {
    ...c,
    bootstrap: c.bootstrap ?? remote,
    paperImages: c.paperImages ?? (remote ? "on-sut" : "off"),
    stack,
  };
}

/** Read a raw config string as its key's kind; a bad string names the key, the value and the kind. */
export function readRaw(key: ConfigKey, value: string): unknown {
  const kind = CONFIG_KEYS[key].kind;
  const bad = (what: string) =>
    new ConfigError(`stack config`, [
      `${NAMESPACE}:${key} = ${JSON.stringify(value)} is not allowed: expected ${what}`,
    ]);
  switch (kind) {
    case "string":
      return value;
    case "boolean":
      if (value === "true" || value === "false") return value === "true";
      throw bad("true or false");
    case "number": {
      // Decimal only ("0x10", "1e3" and " 3 " are typos more often than numbers); exact (2^53 at most).
      const n = Number(value);
      if (!/^-?\d+(\.\d+)?$/.test(value) || !Number.isFinite(n) || Math.abs(n) > Number.MAX_SAFE_INTEGER) {
        throw bad("a number");
      }
      return n;
    }
    case "json":
      try {
        return JSON.parse(value);
      } catch {
        throw bad(key === "sshAllowedCidrs" ? "a YAML list of CIDRs" : "a YAML object {address, privateAddress, user}");
      }
  }
}

/**
 * Validate the stack's `edge-lab:*` values (already read to their kinds). Throws a ConfigError
 * listing every problem: unknown keys, bad values, and keys that do not fit the target.
 */
export function parseLabConfig(raw: Record<string, unknown>, stack: string): LabConfig {
  // Own keys only: "constructor" or "__proto__" are not keys of this lab because every object inherits them.
  const unknown = Object.keys(raw).filter((k) => !Object.hasOwn(CONFIG_KEYS, k));
  const problems: string[] = unknown.map(
    (k) => `${NAMESPACE}:${describeKey(k)} is not a key of this lab (known: ${Object.keys(CONFIG_KEYS).join(", ")})`,
  );
  const known = Object.fromEntries(Object.entries(raw).filter(([k]) => Object.hasOwn(CONFIG_KEYS, k)));
  if (known.target === undefined) {
    problems.push(`${NAMESPACE}:target is missing: set it to one of ${TARGETS.join(", ")}`);
  }
  const parsed = LabConfigSchema.safeParse(known, { reportInput: true });
  if (!parsed.success) {
    problems.push(
      ...describeIssues(parsed.error.issues, known)
        .filter((line) => !(known.target === undefined && line.startsWith("target =")))
        .map((line) =>
          line.startsWith("sshPrivateKey =")
            ? `${NAMESPACE}:sshPrivateKey (a secret: its value is not shown) ${line.slice(line.indexOf("is not allowed"))}`
            : `${NAMESPACE}:${line.replace(/ is not allowed: Invalid option: expected one of (.*)$/, " is not allowed: use one of $1")}`,
        ),
    );
  }
  if (parsed.success) problems.push(...combinationProblems(known, parsed.data, stack));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(`stack ${stack} (Pulumi.${stack}.yaml)`, problems);
  return withDefaults(parsed.data, stack);
}
