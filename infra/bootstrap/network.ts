/**
 * Steps a provider runs on a host before its bootstrap: the private link where the provider hands
 * over a VLAN instead of an interface (Scaleway Elastic Metal), and the lab's firewall rules on the
 * host itself where the provider has no firewall for bare metal. Same rules as Hetzner's firewalls:
 * SSH only from the operator's networks, the app ports only from the load generator.
 */

import { sh, shellHeredoc } from "../../core/shell";
import { STATE_DIR } from "../layout";
import { parseNetwork } from "../network";
import type { FirewallRule } from "../providers/common";
import { stepScript } from "./shell";

/** The VLAN interface the lab's private network arrives on. */
export const PRIVATE_LINK_INTERFACE = "edgelab0";

const isIpv6 = (cidr: string) => cidr.includes(":");

/**
 * What an nftables comment may hold: printable ASCII without `"` and `\`, at most 128 characters
 * (nft's limit). Anything else is refused, never escaped: a newline in a comment would end the
 * rule and start a rule of its own.
 */
const NFT_COMMENT = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,128}$/;
/** A port or a port range as nft writes them. */
const NFT_PORT = /^[1-9]\d{0,4}(-[1-9]\d{0,4})?$/;

/**
 * A rule fit for the ruleset's text: its description a plain comment, its port a number or a
 * range, every source a network in its canonical spelling (infra/network.ts). Rules are made by
 * the program (infra/providers/common.ts firewallRules), so a bad one is a bug, named here.
 */
export function checkedRule(rule: FirewallRule): FirewallRule {
  const problems: string[] = [];
  if (!NFT_COMMENT.test(rule.description)) {
    problems.push(
      `description ${JSON.stringify(rule.description.slice(0, 60))} is not allowed: expected 1 to 128 printable ASCII characters without " or \\ (an nftables comment; a newline would start a rule of its own)`,
    );
  }
  if (!NFT_PORT.test(rule.port))
    problems.push(`port ${JSON.stringify(rule.port)} is not allowed: expected 22 or 32768-60999`);
  if (rule.sourceIps.length === 0) problems.push("it has no source");
  for (const source of rule.sourceIps) {
    const parsed = parseNetwork(source);
    if (!parsed.ok || parsed.network.cidr !== source) {
      problems.push(
        `source ${JSON.stringify(source.slice(0, 60))} is not allowed: expected a network in its canonical spelling${parsed.ok ? ` (${parsed.network.cidr})` : ""}`,
      );
    }
  }
  if (problems.length > 0)
    throw new Error(`firewall rule for port ${JSON.stringify(rule.port)}: ${problems.join("; ")}`);
  return rule;
}

/** The nftables ruleset (one table of the lab's own; other tables, Docker's included, stay as they are). */
export function nftRuleset(unchecked: readonly FirewallRule[]): string {
  const rules = unchecked.map(checkedRule);
  const accept = (rule: FirewallRule) => {
    const lines: string[] = [];
    const v4 = rule.sourceIps.filter((s) => !isIpv6(s));
    const v6 = rule.sourceIps.filter(isIpv6);
    if (v4.length > 0) lines.push(`    tcp dport ${rule.port} ip saddr { ${v4.join(", ")} } accept`);
    if (v6.length > 0) lines.push(`    tcp dport ${rule.port} ip6 saddr { ${v6.join(", ")} } accept`);
    return lines.map((l) => `${l} comment "${rule.description}"`);
  };
  // Ports Docker publishes are DNATed before the input hook: the forward hook sees them, with the
  // original source address kept, so only the app rules' sources may reach a published port.
  const appSources = rules.filter((r) => r.port !== "22").flatMap((r) => r.sourceIps);
  const forward = [
    ...(appSources.filter((s) => !isIpv6(s)).length > 0
      ? [`    ct status dnat ip saddr { ${[...new Set(appSources.filter((s) => !isIpv6(s)))].join(", ")} } accept`]
      : []),
    "    ct status dnat drop",
  ];
  return `# edgelab host firewall (written by the lab's bootstrap; removed on pulumi destroy)
table inet edgelab
delete table inet edgelab
table inet edgelab {
  chain input {
    type filter hook input priority 0; policy drop;
    ct state established,related accept
    ct state invalid drop
    iifname "lo" accept
    meta l4proto { icmp, ipv6-icmp } accept
    udp dport { 68, 546 } accept comment "DHCP replies"
${rules.flatMap(accept).join("\n")}
  }
  chain forward {
    type filter hook forward priority -1; policy accept;
    ct state established,related accept
${forward.join("\n")}
  }
}
`;
}

const FIREWALL_FILE = "/etc/edgelab/firewall.nft";
const FIREWALL_UNIT = `[Unit]
Description=edgelab host firewall (nftables table inet edgelab)
Wants=network-pre.target
Before=network-pre.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/nft -f ${FIREWALL_FILE}
ExecStop=/usr/sbin/nft delete table inet edgelab

[Install]
WantedBy=multi-user.target
`;

/** The lab's inbound rules enforced by the host's own kernel (nftables), applied now and at every boot. */
export function hostFirewallStep(hostLabel: string, rules: readonly FirewallRule[]): string {
  const ruleset = nftRuleset(rules);
  const body = sh`
packages nftables
file_changed=0
if put_file ${FIREWALL_FILE} 0644 ${shellHeredoc(ruleset)}
then
  file_changed=1
  changed "firewall rules"
fi
if has_systemd; then
  if put_file /etc/systemd/system/edgelab-firewall.service 0644 ${shellHeredoc(FIREWALL_UNIT)}
  then
    systemctl daemon-reload
    changed "edgelab-firewall.service"
  fi
  if ! systemctl is-enabled --quiet edgelab-firewall.service; then
    systemctl enable edgelab-firewall.service
    changed "firewall enabled at boot"
  fi
fi
if [ "$file_changed" = 1 ] || ! nft list table inet edgelab >/dev/null 2>&1; then
  nft -c -f ${FIREWALL_FILE} || fail "nft refuses the lab's ruleset (see the log)"
  nft -f ${FIREWALL_FILE} || fail "could not apply the lab's firewall (CAP_NET_ADMIN?)"
  changed "firewall applied"
fi
input_chain=$(nft list chain inet edgelab input 2>&1 || true)
grep -q 'policy drop' <<<"$input_chain" || fail "the lab's input chain is not in place"
printf '%s\\n' "$(digest_of sha256 ${FIREWALL_FILE})" > ${`${STATE_DIR}/firewall.sha256`}`;
  return stepScript({
    id: "host-firewall",
    host: hostLabel,
    title: "the lab's firewall on the host (the provider has none for bare metal)",
    body,
  });
}

/** The private network's VLAN on the public interface, with the host's fixed lab address. */
export function privateLinkStep(
  hostLabel: string,
  link: { vlan: number; address: string; prefixLength: number },
): string {
  if (!Number.isInteger(link.vlan) || link.vlan < 1 || link.vlan > 4094) {
    throw new Error(`not a VLAN id: ${link.vlan}`);
  }
  const cidr = `${link.address}/${link.prefixLength}`;
  const body = sh`
iface=$(ip -o -4 route show default | awk '{print $5; exit}')
[ -n "$iface" ] || fail "no default route: cannot tell which interface carries the private network's VLAN"
want=${cidr}
vlan=${link.vlan}
netplan_file=/etc/netplan/60-edgelab-private.yaml
if command -v netplan >/dev/null; then
  if printf 'network:\\n  version: 2\\n  vlans:\\n    %s:\\n      id: %s\\n      link: %s\\n      addresses: [%s]\\n' ${PRIVATE_LINK_INTERFACE} ${link.vlan} "$iface" "$want" | put_file "$netplan_file" 0600; then
    netplan apply
    changed "vlan $vlan on $iface (netplan)"
  fi
elif ! ip link show ${PRIVATE_LINK_INTERFACE} >/dev/null 2>&1; then
  ip link add link "$iface" name ${PRIVATE_LINK_INTERFACE} type vlan id "$vlan"
  ip link set ${PRIVATE_LINK_INTERFACE} up
  changed "vlan $vlan on $iface"
fi
if ! ip -o addr show dev ${PRIVATE_LINK_INTERFACE} | grep -qF " $want "; then
  ip addr replace "$want" dev ${PRIVATE_LINK_INTERFACE}
  changed "address $want"
fi`;
  return stepScript({
    id: "private-link",
    host: hostLabel,
    title: `the private network on VLAN ${link.vlan}`,
    body,
  });
}
