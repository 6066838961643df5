/**
 * Hetzner Cloud prices the stack's cost estimate is made from: EUR, excluding VAT, for Germany and
 * Finland (fsn1, nbg1, hel1), as published on 21 Oct 2025 (hetzner.com/cloud, transcribed in
 * tonoid/hcloud-multiregion-mongodb-replicaset HETZNER_SERVERS.md). Hetzner raised prices on
 * 1 Apr 2026 and reprices new orders from 15 Jun 2026: treat the figures as a lower bound and check
 * `hcloud server-type describe <type>` before a long run. US and Singapore prices are higher.
 */
export const PRICES_AS_OF = "2025-10-21";

export interface ServerTypeInfo {
  cores: number;
  memoryGB: number;
  dedicated: boolean;
  eurPerHour: number;
  eurPerMonth: number;
}

export const SERVER_TYPES: Readonly<Record<string, ServerTypeInfo>> = {
  ccx13: { cores: 2, memoryGB: 8, dedicated: true, eurPerHour: 0.02, eurPerMonth: 12.49 },
  ccx23: { cores: 4, memoryGB: 16, dedicated: true, eurPerHour: 0.0392, eurPerMonth: 24.49 },
  ccx33: { cores: 8, memoryGB: 32, dedicated: true, eurPerHour: 0.0777, eurPerMonth: 48.49 },
  ccx43: { cores: 16, memoryGB: 64, dedicated: true, eurPerHour: 0.1546, eurPerMonth: 96.49 },
  ccx53: { cores: 32, memoryGB: 128, dedicated: true, eurPerHour: 0.3085, eurPerMonth: 192.49 },
  ccx63: { cores: 48, memoryGB: 192, dedicated: true, eurPerHour: 0.4623, eurPerMonth: 288.49 },
  cpx22: { cores: 2, memoryGB: 4, dedicated: false, eurPerHour: 0.0104, eurPerMonth: 6.49 },
  cpx32: { cores: 4, memoryGB: 8, dedicated: false, eurPerHour: 0.0176, eurPerMonth: 10.99 },
  cpx42: { cores: 8, memoryGB: 16, dedicated: false, eurPerHour: 0.032, eurPerMonth: 19.99 },
  cpx52: { cores: 12, memoryGB: 24, dedicated: false, eurPerHour: 0.0457, eurPerMonth: 28.49 },
  cpx62: { cores: 16, memoryGB: 32, dedicated: false, eurPerHour: 0.0625, eurPerMonth: 38.99 },
  cx23: { cores: 2, memoryGB: 4, dedicated: false, eurPerHour: 0.0056, eurPerMonth: 3.49 },
  cx33: { cores: 4, memoryGB: 8, dedicated: false, eurPerHour: 0.0088, eurPerMonth: 5.49 },
  cx43: { cores: 8, memoryGB: 16, dedicated: false, eurPerHour: 0.0152, eurPerMonth: 9.49 },
  cx53: { cores: 16, memoryGB: 32, dedicated: false, eurPerHour: 0.028, eurPerMonth: 17.49 },
};

/** A primary IPv4 per server (EUR 0.50 a month). */
export const IPV4_EUR_PER_HOUR = 0.5 / 730;

/** Hourly cost of the servers the stack creates; null when a server type is not in the table. */
export function hourlyCostEur(serverTypes: readonly string[]): number | null {
  let total = 0;
  for (const type of serverTypes) {
    const info = SERVER_TYPES[type];
    if (!info) return null;
    total += info.eurPerHour + IPV4_EUR_PER_HOUR;
  }
  return Math.round(total * 10000) / 10000;
}
