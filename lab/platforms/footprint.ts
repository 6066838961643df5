import { readFileSync } from "node:fs";
import { mean } from "simple-statistics";
import { sh } from "../../core/shell";
import { scriptHead } from "./shell";

/** Samples file columns: epoch milliseconds, RSS in KiB, cgroup memory usage in bytes (or -). */
export const FOOTPRINT_FILE = "footprint.tsv";
export const FOOTPRINT_STOP_FILE = "footprint.stop";

/**
 * The footprint sampler: every `intervalMs`, the resident set of the instance's host process
 * (app, container init or qemu) and, where that process sits in a memory cgroup of its own
 * (a container, the native cgroup), the cgroup's usage, which also counts page cache and kernel
 * memory charged to the instance. Runs until the instance is gone, a stop file appears or
 * `maxSeconds` pass. Plain shell, so it runs on a remote SUT beside the instance.
 */
export function footprintScript(workDir: string, intervalMs: number, maxSeconds: number): string {
  const interval = (intervalMs / 1000).toFixed(3);
  const rounds = Math.ceil((maxSeconds * 1000) / intervalMs);
  return sh`${scriptHead("footprint sampler", workDir)}
pid=$(cat instance.pid)
rm -f ${FOOTPRINT_STOP_FILE}
: > ${FOOTPRINT_FILE}
cgfile=""
line=$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' "/proc/$pid/cgroup" 2>/dev/null | head -n 1 || true)
if [ -n "$line" ]; then
  path=\${line##*:}
  [ "$path" != "/" ] && cgfile="/sys/fs/cgroup/memory$path/memory.usage_in_bytes"
else
  path=$(sed -n 's/^0:://p' "/proc/$pid/cgroup" 2>/dev/null || true)
  [ -n "$path" ] && [ "$path" != "/" ] && cgfile="/sys/fs/cgroup$path/memory.current"
fi
for _ in $(seq 1 ${rounds}); do
  [ -e ${FOOTPRINT_STOP_FILE} ] && break
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
  [ -z "$rss" ] && break
  usage=-
  if [ -n "$cgfile" ] && [ -r "$cgfile" ]; then usage=$(cat "$cgfile"); fi
  printf '%s\\t%s\\t%s\\n' "$(date +%s%3N)" "$rss" "$usage" >> ${FOOTPRINT_FILE}
  sleep ${interval}
done
`.text;
}

export interface Footprint {
  samples: number;
  rssPeakBytes: number;
  rssMeanBytes: number;
  cgroupPeakBytes: number | null;
  cgroupMeanBytes: number | null;
}

/** Summarise a samples file; null when nothing was sampled (the instance died at once). */
export function parseFootprint(text: string): Footprint | null {
  const rss: number[] = [];
  const cgroup: number[] = [];
  for (const line of text.split("\n")) {
    const [, rssKiB, usage] = line.split("\t");
    const rssBytes = Number(rssKiB) * 1024;
    if (!Number.isFinite(rssBytes) || rssKiB === undefined || rssKiB === "") continue;
    rss.push(rssBytes);
    const usageBytes = Number(usage);
    if (usage !== "-" && Number.isFinite(usageBytes)) cgroup.push(usageBytes);
  }
  if (rss.length === 0) return null;
  return {
    samples: rss.length,
    rssPeakBytes: Math.max(...rss),
    rssMeanBytes: Math.round(mean(rss)),
    cgroupPeakBytes: cgroup.length > 0 ? Math.max(...cgroup) : null,
    cgroupMeanBytes: cgroup.length > 0 ? Math.round(mean(cgroup)) : null,
  };
}

export function readFootprint(path: string): Footprint | null {
  try {
    return parseFootprint(readFileSync(path, "utf8"));
  } catch {
    return null;
  }
}
