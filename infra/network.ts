/**
 * Firewall sources as IP networks, not strings. A rule source is `address/prefix`, parsed with
 * Node's own address parser (net.isIP, net.SocketAddress) and checked as a network:
 *
 * - IPv4 is four decimal numbers 0-255 without leading zeros: `010.0.0.1` is refused, because
 *   inet_aton (and so getaddrinfo, ping, ssh) reads `010` as octal 8 while others read 10.
 * - IPv6 in any spelling (`0::`, `0:0:0:0:0:0:0:0`, upper case, an embedded IPv4 tail); a zone id
 *   (`fe80::1%eth0`) names one machine's interface, not a network, and is refused. An IPv4-mapped
 *   network (`::ffff:a.b.c.d/n`, n >= 96) is the IPv4 network `a.b.c.d/(n-96)`: the firewall gets
 *   that spelling, and its checks are the IPv4 ones (`::ffff:0.0.0.0/96` is every IPv4 address).
 * - The prefix is required: a bare address is refused with the `/32` (or `/128`) spelling to use,
 *   so a forgotten prefix never silently means something.
 * - A prefix length of 0 is refused in every spelling (`/0`, `/00`, before any address): it
 *   admits every address. So is a network that contains every IPv4-mapped address (`::/80`),
 *   and a list whose networks add up to a whole family (`0.0.0.0/1` + `128.0.0.0/1`).
 * - Host bits must be zero: `203.0.113.7/3` is refused with both readings it may have meant
 *   (the /3 network, or /32 for this one address), so a typo never opens an eighth of the internet.
 * - Short prefixes warn (`shortPrefixWarning`): IPv4 shorter than /16, IPv6 shorter than /48.
 *   /48 is the most RFC 6177 assigns one end site and /16 (65,536 addresses) is larger than any
 *   office or home network: a shorter rule admits other people's machines, e.g. an ISP's whole
 *   customer pool. Allowed (a university's network may be that big), but said out loud.
 *
 * Host names (`resolveHost`) are resolved at plan time into one /32 or /128 per address.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { isIP, SocketAddress } from "node:net";

export type Family = 4 | 6;

/** A parsed network: its canonical spelling is what firewalls get. */
export interface Network {
  family: Family;
  /** The network address, canonical (IPv6 compressed, lower case). */
  address: string;
  prefix: number;
  /** `address/prefix`. */
  cidr: string;
}

export type NetworkProblem = "syntax" | "zero-prefix" | "host-bits" | "prefix-range";

export type ParsedNetwork = { ok: true; network: Network } | { ok: false; problem: NetworkProblem; reason: string };

/** Warn below these prefix lengths (see the module comment). */
export const SHORT_PREFIX = { 4: 16, 6: 48 } as const;

const BITS = { 4: 32, 6: 128 } as const;
/** ::ffff:0:0/96, the IPv4-mapped addresses. */
const MAPPED = 0xffffn << 32n;

function fail(problem: NetworkProblem, reason: string): ParsedNetwork {
  return { ok: false, problem, reason };
}

/** An address Node accepts as the number it denotes. */
function toBits(address: string, family: Family): bigint {
  if (family === 4) return address.split(".").reduce((n, octet) => (n << 8n) | BigInt(octet), 0n);
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const v4 = toBits(dotted[1], 4);
    text = `${text.slice(0, -dotted[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  return groups.reduce((n, g) => (n << 16n) | BigInt(`0x${g}`), 0n);
}

/** The canonical spelling of an address given as a number. */
function fromBits(bits: bigint, family: Family): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((bits >> s) & 0xffn)).join(".");
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((s) => ((bits >> s) & 0xffffn).toString(16));
  return new SocketAddress({ address: groups.join(":"), family: "ipv6" }).address;
}

function network(bits: bigint, prefix: number, family: Family): Network {
  const address = fromBits(bits, family);
  return { family, address, prefix, cidr: `${address}/${prefix}` };
}

function hostMask(prefix: number, family: Family): bigint {
  return (1n << BigInt(BITS[family] - prefix)) - 1n;
}

function addressProblem(address: string): string {
  if (address.includes("%")) {
    return `"${address}" has a zone id (%...): it names one machine's interface, not a network; drop the %... part`;
  }
  if (/^[0-9.]+$/.test(address)) {
    return `"${address}" is not an IPv4 address: expected four decimal numbers 0-255 without leading zeros (a leading zero reads as octal in some tools: 010 is 8)`;
  }
  return `"${address}" is not an IP address: expected IPv4 like 203.0.113.0 or IPv6 like 2001:db8::`;
}

/**
 * Parse a rule source `address/prefix` as a network (see the module comment for what is refused).
 * The reasons name the part that is wrong; the caller names the key and the value.
 */
export function parseNetwork(text: string): ParsedNetwork {
  const parts = text.split("/");
  const [address = "", prefixText] = parts;
  if (parts.length > 2) return fail("syntax", "expected one address and one prefix length, like 203.0.113.7/32");
  if (prefixText === undefined) {
    const family = isIP(address);
    return fail(
      "syntax",
      family === 0
        ? "expected a network like 203.0.113.7/32 or 2001:db8::/48"
        : `a prefix length is required: write ${address}/${family === 4 ? 32 : 128} for this one address`,
    );
  }
  if (!/^\d{1,3}$/.test(prefixText)) {
    return fail("syntax", `prefix length "${prefixText}" is not a number: expected /1 to /32 (IPv4) or /128 (IPv6)`);
  }
  const prefix = Number(prefixText);
  // Before the address: /0 admits everything however the address is spelled (000.0.0.0, 0::, ...).
  if (prefix === 0) return fail("zero-prefix", "a prefix length of 0 admits every address (the whole internet)");
  const family = isIP(address) as Family | 0;
  if (family === 0 || address.includes("%")) return fail("syntax", addressProblem(address));
  if (prefix > BITS[family]) {
    return fail("prefix-range", `prefix length ${prefix} is out of range: IPv${family} takes 1 to ${BITS[family]}`);
  }
  const bits = toBits(address, family);
  const mask = hostMask(prefix, family);
  if ((bits & mask) !== 0n) {
    const net = network(bits & ~mask, prefix, family);
    const host = network(bits, BITS[family], family);
    return fail(
      "host-bits",
      `${address}/${prefix} has host bits set, so it is no network: write ${net.cidr} for the network or ${host.cidr} for this one address`,
    );
  }
  if (family === 6 && prefix >= 96 && bits >> 32n === 0xffffn) {
    // An IPv4-mapped network is an IPv4 network: check and spell it as one.
    if (prefix === 96) {
      return fail("zero-prefix", "::ffff:0:0/96 is every IPv4 address written as IPv6 (the whole IPv4 internet)");
    }
    return { ok: true, network: network(bits & 0xffffffffn, prefix - 96, 4) };
  }
  if (family === 6 && prefix < 96 && (MAPPED & ~hostMask(prefix, 6)) === bits) {
    return fail(
      "zero-prefix",
      `${address}/${prefix} contains ::ffff:0:0/96, every IPv4 address written as IPv6 (the whole IPv4 internet)`,
    );
  }
  return { ok: true, network: network(bits, prefix, family) };
}

/** A checked network or an Error naming the key, the value and the reason. */
export function networkOf(key: string, text: string): Network {
  const parsed = parseNetwork(text);
  if (!parsed.ok) throw new Error(`${key} = ${JSON.stringify(text)} is not allowed: ${parsed.reason}`);
  return parsed.network;
}

/**
 * The families whose every address these networks admit together (`0.0.0.0/1` and
 * `128.0.0.0/1` are the whole IPv4 internet without a /0 among them).
 */
export function wholeFamilies(networks: readonly Network[]): Family[] {
  return ([4, 6] as const).filter((family) => {
    const ranges = networks
      .filter((n) => n.family === family)
      .map((n) => {
        const start = toBits(n.address, family);
        return [start, start + hostMask(n.prefix, family)] as const;
      })
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let next = 0n;
    for (const [start, end] of ranges) {
      if (start > next) return false;
      if (end + 1n > next) next = end + 1n;
    }
    return next === 1n << BigInt(BITS[family]);
  });
}

/** One address as a network of one: /32, or /128 (an IPv4-mapped address is its IPv4 /32). */
export function hostNetwork(address: string): Network {
  const family = isIP(address) as Family | 0;
  if (family === 0 || address.includes("%")) throw new Error(addressProblem(address));
  const parsed = parseNetwork(`${address}/${BITS[family]}`);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.network;
}

/** Whether an address lies in a network. */
export function networkContains(net: Network, address: string): boolean {
  const host = hostNetwork(address);
  if (host.family !== net.family) return false;
  const mask = ~hostMask(net.prefix, net.family);
  return (toBits(host.address, host.family) & mask) === toBits(net.address, net.family);
}

/** Whether `inner` lies wholly inside `outer` (the same family, a prefix at least as long, the same leading bits). */
export function networkWithin(inner: Network, outer: Network): boolean {
  if (inner.family !== outer.family || inner.prefix < outer.prefix) return false;
  const mask = ~hostMask(outer.prefix, outer.family);
  return (toBits(inner.address, inner.family) & mask) === toBits(outer.address, outer.family);
}

/** Networks no public server sees a connection come from, by what they are for. */
export const UNSEEN_RANGES: readonly { cidr: string; what: string; kind: "documentation" | "private" }[] = [
  { cidr: "192.0.2.0/24", what: "TEST-NET-1, for documentation (RFC 5737)", kind: "documentation" },
  { cidr: "198.51.100.0/24", what: "TEST-NET-2, for documentation (RFC 5737)", kind: "documentation" },
  { cidr: "203.0.113.0/24", what: "TEST-NET-3, for documentation (RFC 5737)", kind: "documentation" },
  { cidr: "2001:db8::/32", what: "for documentation (RFC 3849)", kind: "documentation" },
  { cidr: "10.0.0.0/8", what: "private (RFC 1918)", kind: "private" },
  { cidr: "172.16.0.0/12", what: "private (RFC 1918)", kind: "private" },
  { cidr: "192.168.0.0/16", what: "private (RFC 1918)", kind: "private" },
  { cidr: "100.64.0.0/10", what: "shared address space behind carrier-grade NAT (RFC 6598)", kind: "private" },
  { cidr: "127.0.0.0/8", what: "loopback", kind: "private" },
  { cidr: "169.254.0.0/16", what: "link-local", kind: "private" },
  { cidr: "fc00::/7", what: "unique local, private (RFC 4193)", kind: "private" },
  { cidr: "fe80::/10", what: "link-local", kind: "private" },
  { cidr: "::1/128", what: "loopback", kind: "private" },
];

/** The range a network lies in that no public server sees connections from, or null. */
export function unseenRange(net: Network): (typeof UNSEEN_RANGES)[number] | null {
  return UNSEEN_RANGES.find((r) => networkWithin(net, networkOf("range", r.cidr))) ?? null;
}

/** A warning for a network shorter than one site's (see SHORT_PREFIX), naming the key and the value. */
export function shortPrefixWarning(key: string, text: string, net: Network): string | null {
  const limit = SHORT_PREFIX[net.family];
  if (net.prefix >= limit) return null;
  const size = BITS[net.family] - net.prefix;
  const count = size <= 32 ? (2 ** size).toLocaleString("en-US") : `2^${size}`;
  return (
    `${key} contains ${JSON.stringify(text)}: a /${net.prefix} admits ${count} addresses, more than one site's network ` +
    `(IPv${net.family} warns below /${limit}); SSH on the lab's hosts is open to all of them. ` +
    `Narrow it to your own public address as a /32 (curl -4s https://ifconfig.me) unless that is what you mean`
  );
}

/** Addresses of a host name, as the system resolves them (getaddrinfo, like ssh). */
export type Lookup = (name: string) => Promise<string[]>;

export const systemLookup: Lookup = async (name) =>
  (await dnsLookup(name, { all: true, verbatim: true })).map((a) => a.address);

/**
 * A host name's last label is never all digits (RFC 1123 2.1): `010.1.2.3`, `1.2.3` or `127.1`
 * are address spellings inet_aton reads in octal or with missing parts (010.1.2.3 is 8.1.2.3).
 */
export function isAmbiguousAddress(value: string): boolean {
  return isIP(value) === 0 && /(^|\.)(\d+|0x[0-9a-f]+)\.?$/i.test(value);
}

export const RESOLVE_TIMEOUT_MS = 10_000;

/**
 * A host's addresses as /32 and /128 networks, at plan time: an address as itself, a host name
 * as every address it resolves to now. A name that does not resolve (or an address spelling that
 * is neither) is a problem naming the key and the value.
 */
export async function resolveHost(
  key: string,
  value: string,
  lookup: Lookup = systemLookup,
  timeoutMs = RESOLVE_TIMEOUT_MS,
): Promise<{ networks: Network[] } | { problem: string }> {
  const allowed = "an IPv4 address, or a host name this machine resolves";
  const refuse = (why: string) => ({ problem: `${key} = ${JSON.stringify(value)} is not allowed: ${why}` });
  if (isIP(value) !== 0 && !value.includes("%")) return { networks: [hostNetwork(value)] };
  if (isAmbiguousAddress(value)) {
    return refuse(
      `it is neither an IPv4 address (four decimal numbers 0-255, no leading zeros) nor a host name; expected ${allowed}`,
    );
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    // A scoped (link-local) answer names an interface of this machine: no firewall source.
    const addresses = (await Promise.race([lookup(value), timeout])).filter((a) => !a.includes("%"));
    const networks = [...new Map(addresses.map(hostNetwork).map((n) => [n.cidr, n])).values()];
    if (networks.length === 0) return refuse(`it resolves to no address; expected ${allowed}`);
    return { networks };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return refuse(
      `it does not resolve (${code ?? (error as Error).message}): the firewall admits the host by address; expected ${allowed}`,
    );
  } finally {
    clearTimeout(timer);
  }
}
