import { randomBytes } from "node:crypto";

/**
 * A test's run id: its name and a random suffix (`quick-3f9a1c`). Run ids label the instances a run
 * starts and scope the clean-up of leftovers, so two copies of a test at once (two checkouts, two
 * agents on one machine) must never share one: each would remove the other's instances.
 */
export function testRunId(name: string): string {
  return `${name}-${randomBytes(3).toString("hex")}`;
}
