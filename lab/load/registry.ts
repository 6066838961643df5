/** Every load generator the lab knows: adding one is its module and one line here. */

import type { GeneratorName } from "../../core/load/types";
import { autocannonGenerator } from "./autocannon";
import { k6Generator } from "./k6";
import type { LoadGenerator } from "./plugin";
import { wrkGenerator } from "./wrk";

export const generatorRegistry: Record<GeneratorName, LoadGenerator> = {
  k6: k6Generator,
  wrk: wrkGenerator,
  autocannon: autocannonGenerator,
};
