/**
 * Reads the stack's `edge-lab:*` values from Pulumi and hands them to the pure parser. The
 * credentials leave here only as Pulumi secrets: the operator's ssh private key
 * (`edge-lab:sshPrivateKey`, only on targets that reach the operator's own servers; servers the
 * stack makes get a key of its own, infra/hosts.ts) and the host provider's API credentials (read
 * by the provider module, e.g. `hcloud:token`, checked for the provider's shape). A credential
 * stored in plain text in the stack file is refused.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, describeValue } from "../core/config/errors";
import { CONFIG_KEYS, type ConfigKey, type LabConfig, NAMESPACE, parseLabConfig, readRaw } from "./config";
import { PROVIDERS, providerOf } from "./providers";

export interface StackSettings {
  config: LabConfig;
  /** The operator's ssh key, as a secret: only on targets that reach the operator's own servers. */
  operatorKey?: pulumi.Output<string>;
  /** The host provider's credentials (API tokens), as secrets. */
  credentials: Record<string, pulumi.Output<string>>;
}

interface RuntimeConfigInternals {
  isConfigSecret?: (key: string) => boolean;
}

/**
 * Whether the stack file keeps `key` encrypted. Pulumi passes the list of secret keys to the
 * program; when it does not (old CLI), nothing can be said and the check is skipped.
 */
export function storedInPlainText(key: string, secretKeys: readonly string[] | null): boolean {
  return secretKeys !== null && !secretKeys.includes(key);
}

/** The environment variable through which the Pulumi CLI tells a program its secret config keys. */
export const SECRET_KEYS_ENV = "PULUMI_CONFIG_SECRET_KEYS";
/** A config key as Pulumi spells it: `namespace:key` (a `--path` key may carry dots and brackets). */
const CONFIG_KEY = /^[A-Za-z0-9_.-]+:[A-Za-z0-9_.[\]-]+$/;

/**
 * The secret keys Pulumi passes in PULUMI_CONFIG_SECRET_KEYS: a JSON list of config keys, or
 * unset (null). Anything else is refused with the variable and its value named: a list this
 * check cannot read must not pass for "no secret configured".
 */
export function parseSecretKeyList(raw: string | undefined): string[] | null {
  // Unset, or set to nothing (as `export PULUMI_CONFIG_SECRET_KEYS=` leaves it): no list given.
  if (raw === undefined || raw === "") return null;
  const refuse = (what: string) =>
    new ConfigError(`environment ${SECRET_KEYS_ENV}`, [
      `${SECRET_KEYS_ENV} = ${describeValue(raw)} is not allowed: ${what}; expected a JSON list of config keys like ["hcloud:token"] (the Pulumi CLI sets it: run the program through pulumi, or unset it)`,
    ]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw refuse("it is not JSON");
  }
  if (!Array.isArray(parsed)) throw refuse("it is not a list");
  const bad = parsed.find((k) => typeof k !== "string" || !CONFIG_KEY.test(k));
  if (bad !== undefined) throw refuse(`${describeValue(bad)} is not a config key`);
  return parsed as string[];
}

function secretKeyList(): string[] | null {
  const raw = process.env[SECRET_KEYS_ENV];
  let internals: RuntimeConfigInternals = {};
  try {
    internals = require("@pulumi/pulumi/runtime/config") as RuntimeConfigInternals;
  } catch {
    // an SDK without it: fall back to the environment
  }
  const all = Object.keys(pulumi.runtime.allConfig());
  if (typeof internals.isConfigSecret === "function") {
    const secret = all.filter((k) => internals.isConfigSecret?.(k));
    // An empty list with secrets configured means the engine did not pass the list at all.
    if (secret.length > 0 || raw !== undefined) return secret;
    return null;
  }
  return parseSecretKeyList(raw);
}

export function readStackConfig(stack: string = pulumi.getStack()): StackSettings {
  const all = pulumi.runtime.allConfig();
  // No prototype: a key "__proto__" in the stack file is a key like any other (refused as unknown).
  const raw: Record<string, unknown> = Object.create(null);
  const problems: string[] = [];
  for (const [fullKey, value] of Object.entries(all)) {
    if (!fullKey.startsWith(`${NAMESPACE}:`)) continue;
    const key = fullKey.slice(NAMESPACE.length + 1);
    if (!Object.hasOwn(CONFIG_KEYS, key)) {
      raw[key] = value;
      continue;
    }
    try {
      raw[key] = readRaw(key as ConfigKey, value);
    } catch (error) {
      if (error instanceof ConfigError) problems.push(...error.problems);
      else throw error;
    }
  }
  if (problems.length > 0) throw new ConfigError(`stack ${stack} (Pulumi.${stack}.yaml)`, problems);
  const config = parseLabConfig(raw, stack);

  const secretKeys = secretKeyList();
  const plain: string[] = [];
  const keyName = `${NAMESPACE}:sshPrivateKey`;
  if (all[keyName] !== undefined && storedInPlainText(keyName, secretKeys)) plain.push(keyName);
  const providerSecrets = [...new Set(Object.values(PROVIDERS).flatMap((p) => p.secretKeys))];
  for (const k of providerSecrets) if (all[k] !== undefined && storedInPlainText(k, secretKeys)) plain.push(k);
  if (plain.length > 0) {
    throw new ConfigError(
      `stack ${stack} (Pulumi.${stack}.yaml)`,
      plain.map(
        (k) =>
          `${k} is stored in plain text: remove it (pulumi config rm ${k}) and set it again as a secret, typed at the prompt or from a file: \`pulumi config set --secret ${k}\` (or \`... < file\`), never as an argument`,
      ),
    );
  }

  const provider = providerOf(config.target);
  const settings: StackSettings = { config, credentials: provider.credentials(stack, config) };
  if (Object.hasOwn(provider.keys, "sshPrivateKey")) {
    settings.operatorKey = new pulumi.Config(NAMESPACE).requireSecret("sshPrivateKey");
  }
  return settings;
}
