/**
 * Host names resolved at plan time. A host the user lends the lab whose address a firewall admits
 * (the bare-metal SUT without a vSwitch: `admitsByAddress`) gets its `address` resolved once,
 * before any resource exists: the firewall source is then a real /32 or /128 (never
 * `sut.example.net/32`), and a name that does not resolve stops `pulumi preview` with the key and
 * the value named, instead of failing mid-`up` after servers were made. Other provided hosts keep
 * their names (ssh resolves them; the lab link already needs an IPv4 `privateAddress` for a host
 * given by name, infra/stackPlan.ts). A name is resolved as this machine resolves it now: re-run
 * `pulumi up` when its address changes.
 */
import { ConfigError } from "../../core/config/errors";
import { type Lookup, resolveHost, systemLookup } from "../network";
import type { LabPlan, PairPlan } from "../stackPlan";
import { providerOf } from "./index";
import { keyName } from "./keys";
import type { HostPlan } from "./types";

/** The plan with each provided host's `resolved` addresses; throws a ConfigError for names that do not resolve. */
export async function resolveHostAddresses(plan: LabPlan, lookup: Lookup = systemLookup): Promise<LabPlan> {
  const problems: string[] = [];
  const admitted = providerOf(plan.config.target).admitsByAddress?.(plan.config) ?? [];
  const resolveOne = async (host: HostPlan | null): Promise<HostPlan | null> => {
    if (host === null || host.kind !== "provided" || host.address === null) return host;
    if (!admitted.includes(host.label as "sut" | "loadgen")) return host;
    const answer = await resolveHost(`${keyName(host.label)}.address`, host.address, lookup);
    if ("problem" in answer) {
      problems.push(answer.problem);
      return host;
    }
    return { ...host, resolved: answer.networks };
  };
  const pairs: PairPlan[] = [];
  for (const pair of plan.pairs) {
    const [sut, loadgen] = await Promise.all([resolveOne(pair.hosts.sut), resolveOne(pair.hosts.loadgen)]);
    pairs.push({ ...pair, hosts: { sut: sut as HostPlan, loadgen } });
  }
  if (problems.length > 0) {
    throw new ConfigError(`stack ${plan.config.stack} (Pulumi.${plan.config.stack}.yaml)`, [...new Set(problems)]);
  }
  const first = pairs[0];
  return { ...plan, pairs, hosts: first ? first.hosts : plan.hosts };
}
