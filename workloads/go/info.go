package main

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// memoryInfo is what the app can see of its memory: the lab records it in
// every result because the limit the runtime *sees* drives GC and heap sizing.
type memoryInfo struct {
	TotalBytes       uint64  `json:"totalBytes"`
	CgroupVersion    *int    `json:"cgroupVersion"`
	CgroupLimitBytes *uint64 `json:"cgroupLimitBytes"`
}

type cpuInfo struct {
	Seen           int      `json:"seen"`
	CgroupQuotaCPU *float64 `json:"cgroupQuotaCpus"`
}

type appInfo struct {
	Runtime          string     `json:"runtime"`
	Version          string     `json:"version"`
	Pid              int        `json:"pid"`
	UptimeMs         int64      `json:"uptimeMs"`
	CPU              cpuInfo    `json:"cpu"`
	Gomaxprocs       int        `json:"gomaxprocs"`
	V8HeapLimitBytes *uint64    `json:"v8HeapLimitBytes"`
	Memory           memoryInfo `json:"memory"`
}

func collectInfo() appInfo {
	version, limit := cgroupMemoryLimit()
	return appInfo{
		Runtime:    "go",
		Version:    runtime.Version(),
		Pid:        os.Getpid(),
		UptimeMs:   time.Since(startedAt).Milliseconds(),
		CPU:        cpuInfo{Seen: runtime.NumCPU(), CgroupQuotaCPU: cgroupCPUQuota()},
		Gomaxprocs: runtime.GOMAXPROCS(0),
		Memory: memoryInfo{
			TotalBytes:       totalMemory(),
			CgroupVersion:    version,
			CgroupLimitBytes: limit,
		},
	}
}

// totalMemory uses sysinfo(2) rather than /proc/meminfo: Nanos implements the
// syscall, and it is what the Go runtime itself would consult.
func totalMemory() uint64 {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		return 0
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}

func readTrimmed(path string) (string, bool) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(raw)), true
}

// unlimitedV1 is the value cgroup v1 reports for "no limit" (page-rounded
// LONG_MAX); anything at or above a petabyte is treated as unlimited.
const unlimitedFloor = uint64(1) << 50

func cgroupMemoryLimit() (*int, *uint64) {
	if raw, ok := readTrimmed("/sys/fs/cgroup/memory.max"); ok {
		v := 2
		if raw == "max" {
			return &v, nil
		}
		if n, err := strconv.ParseUint(raw, 10, 64); err == nil {
			return &v, &n
		}
		return &v, nil
	}
	if raw, ok := readTrimmed("/sys/fs/cgroup/memory/memory.limit_in_bytes"); ok {
		v := 1
		if n, err := strconv.ParseUint(raw, 10, 64); err == nil && n < unlimitedFloor {
			return &v, &n
		}
		return &v, nil
	}
	return nil, nil
}

func cgroupCPUQuota() *float64 {
	if raw, ok := readTrimmed("/sys/fs/cgroup/cpu.max"); ok {
		fields := strings.Fields(raw)
		if len(fields) == 2 && fields[0] != "max" {
			return ratio(fields[0], fields[1])
		}
		return nil
	}
	quota, okQ := readTrimmed("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
	period, okP := readTrimmed("/sys/fs/cgroup/cpu/cpu.cfs_period_us")
	if okQ && okP && !strings.HasPrefix(quota, "-") {
		return ratio(quota, period)
	}
	return nil
}

func ratio(num, den string) *float64 {
	n, errN := strconv.ParseFloat(num, 64)
	d, errD := strconv.ParseFloat(den, 64)
	if errN != nil || errD != nil || d <= 0 {
		return nil
	}
	r := n / d
	return &r
}
