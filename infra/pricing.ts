/** Cost arithmetic shared by the providers (each provider owns its own price table). */

/** Cloud providers bill every started hour: a run of `hours` costs ceil(hours) times the hourly price. */
export function runCostEur(perHour: number | null, hours: number): number | null {
  return perHour === null ? null : Math.round(perHour * Math.max(1, Math.ceil(hours)) * 100) / 100;
}

/** Rounded to 1/10000 EUR, as the stack publishes hourly prices. */
export function roundEur(value: number): number {
  return Math.round(value * 10000) / 10000;
}
