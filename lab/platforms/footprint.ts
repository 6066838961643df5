import { readFileSync } from "node:fs";
import { mean, median } from "simple-statistics";
import { sh } from "../../core/shell";
import { scriptHead } from "./shell";

/**
 * Samples file columns: epoch milliseconds, RSS in KiB, cgroup memory usage in bytes (or -); then
 * (files of older runs end here) the cgroup's own peak in bytes (v2 memory.peak, v1
 * memory.max_usage_in_bytes), the host process's PSS in KiB (smaps_rollup), and the summed PSS in
 * KiB of the cgroup's other processes, those sharing one address space counted once (gVisor's gofer
 * and the systrap stubs the app runs in, beside its sandbox), each - where not readable.
 */
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
peakfile=""
cgdir=""
line=$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' "/proc/$pid/cgroup" 2>/dev/null | head -n 1 || true)
if [ -n "$line" ]; then
  path=\${line##*:}
  if [ "$path" != "/" ]; then
    cgdir="/sys/fs/cgroup/memory$path"
    cgfile="$cgdir/memory.usage_in_bytes"
    peakfile="$cgdir/memory.max_usage_in_bytes"
  fi
else
  path=$(sed -n 's/^0:://p' "/proc/$pid/cgroup" 2>/dev/null || true)
  if [ -n "$path" ] && [ "$path" != "/" ]; then
    cgdir="/sys/fs/cgroup$path"
    cgfile="$cgdir/memory.current"
    peakfile="$cgdir/memory.peak"
  fi
fi
for _ in $(seq 1 ${rounds}); do
  [ -e ${FOOTPRINT_STOP_FILE} ] && break
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
  [ -z "$rss" ] && break
  usage=-
  if [ -n "$cgfile" ] && [ -r "$cgfile" ]; then usage=$(cat "$cgfile"); fi
  peak=-
  if [ -n "$peakfile" ] && [ -r "$peakfile" ]; then peak=$(cat "$peakfile"); fi
  pss=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null || true)
  [ -z "$pss" ] && pss=-
  others=-
  if [ -n "$cgdir" ] && [ -r "$cgdir/cgroup.procs" ]; then
    others=0
    # Processes that share one address space (gVisor's systrap stubs) read the same: counted once.
    seen=" "
    while read -r other; do
      [ "$other" = "$pid" ] && continue
      mem=$(awk '/^(Rss|Pss):/ { printf "%s,", $2 }' "/proc/$other/smaps_rollup" 2>/dev/null || true)
      [ -z "$mem" ] && continue
      case "$seen" in *" $mem "*) continue ;; esac
      seen="$seen$mem "
      kib=\${mem#*,}
      others=$((others + \${kib%,}))
    done 2>/dev/null < "$cgdir/cgroup.procs"
  fi
  printf '%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$(date +%s%3N)" "$rss" "$usage" "$peak" "$pss" "$others" >> ${FOOTPRINT_FILE}
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
  /** The cgroup's own peak (memory.peak, v1 memory.max_usage_in_bytes): what sampling can miss between samples. */
  cgroupMaxBytes?: number | null;
  /** The host process's proportional set size, peak (QEMU's, a container's init, the sandbox's). */
  pssPeakBytes?: number | null;
  /**
   * The summed PSS of the cgroup's other processes (gVisor's gofer and stubs beside its sandbox), the
   * median of the samples: a sample taken while the stubs change reads them apart, once each.
   */
  othersPssMedianBytes?: number | null;
}

/** Summarise a samples file; null when nothing was sampled (the instance died at once). */
export function parseFootprint(text: string): Footprint | null {
  const rss: number[] = [];
  const cgroup: number[] = [];
  const cgroupMax: number[] = [];
  const pss: number[] = [];
  const others: number[] = [];
  // A column that is "-", empty or absent (a file of an older sampler) adds nothing.
  const add = (into: number[], raw: string | undefined, scale: number) => {
    const value = Number(raw) * scale;
    if (raw !== undefined && raw !== "" && raw !== "-" && Number.isFinite(value)) into.push(value);
  };
  let extended = false;
  for (const line of text.split("\n")) {
    const [, rssKiB, usage, peak, pssKiB, othersKiB] = line.split("\t");
    const rssBytes = Number(rssKiB) * 1024;
    if (!Number.isFinite(rssBytes) || rssKiB === undefined || rssKiB === "") continue;
    rss.push(rssBytes);
    add(cgroup, usage, 1);
    extended ||= peak !== undefined;
    add(cgroupMax, peak, 1);
    add(pss, pssKiB, 1024);
    add(others, othersKiB, 1024);
  }
  if (rss.length === 0) return null;
  const peakOf = (values: number[]) => (values.length > 0 ? Math.max(...values) : null);
  return {
    samples: rss.length,
    rssPeakBytes: Math.max(...rss),
    rssMeanBytes: Math.round(mean(rss)),
    cgroupPeakBytes: peakOf(cgroup),
    cgroupMeanBytes: cgroup.length > 0 ? Math.round(mean(cgroup)) : null,
    ...(extended
      ? {
          cgroupMaxBytes: peakOf(cgroupMax),
          pssPeakBytes: peakOf(pss),
          othersPssMedianBytes: others.length > 0 ? median(others) : null,
        }
      : {}),
  };
}

export function readFootprint(path: string): Footprint | null {
  try {
    return parseFootprint(readFileSync(path, "utf8"));
  } catch {
    return null;
  }
}
