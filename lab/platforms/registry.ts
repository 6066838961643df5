import { dockerPlatform } from "./docker";
import { microvmPlatform } from "./microvm";
import { nanosPlatform } from "./nanos";
import { nativePlatform } from "./native";
import type { Platform, PlatformName } from "./types";

/** Every platform the lab knows. Adding one is a new module plus a line here. */
export const platformRegistry: Record<PlatformName, Platform> = {
  native: nativePlatform,
  docker: dockerPlatform,
  nanos: nanosPlatform,
  microvm: microvmPlatform,
};
