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

// ownCgroups reads this process's cgroup folders from /proc/self/cgroup: "/" inside a container
// (cgroup namespace), natively wherever the lab put the process.
func ownCgroups() (v2 string, v1 map[string]string) {
	v1 = map[string]string{}
	raw, _ := readTrimmed("/proc/self/cgroup")
	for _, line := range strings.Split(raw, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			v2 = parts[2]
		}
		for _, controller := range strings.Split(parts[1], ",") {
			if controller != "" {
				v1[controller] = parts[2]
			}
		}
	}
	return v2, v1
}

// cgroupFile reads file in the process's own cgroup under root, falling back to root itself.
func cgroupFile(root, own, file string) (string, bool) {
	if own != "" && own != "/" {
		if value, ok := readTrimmed(root + own + "/" + file); ok {
			return value, true
		}
	}
	return readTrimmed(root + "/" + file)
}

func isCgroupV2() bool {
	_, err := os.Stat("/sys/fs/cgroup/cgroup.controllers")
	return err == nil
}

func cgroupMemoryLimit() (*int, *uint64) {
	v2path, v1paths := ownCgroups()
	if isCgroupV2() {
		v := 2
		raw, ok := cgroupFile("/sys/fs/cgroup", v2path, "memory.max")
		if !ok || raw == "max" {
			return &v, nil
		}
		if n, err := strconv.ParseUint(raw, 10, 64); err == nil {
			return &v, &n
		}
		return &v, nil
	}
	if raw, ok := cgroupFile("/sys/fs/cgroup/memory", v1paths["memory"], "memory.limit_in_bytes"); ok {
		v := 1
		if n, err := strconv.ParseUint(raw, 10, 64); err == nil && n < unlimitedFloor {
			return &v, &n
		}
		return &v, nil
	}
	return nil, nil
}

func cgroupCPUQuota() *float64 {
	v2path, v1paths := ownCgroups()
	if isCgroupV2() {
		raw, _ := cgroupFile("/sys/fs/cgroup", v2path, "cpu.max")
		fields := strings.Fields(raw)
		if len(fields) == 2 && fields[0] != "max" {
			return ratio(fields[0], fields[1])
		}
		return nil
	}
	cpuPath := v1paths["cpu"]
	if cpuPath == "" {
		cpuPath = v1paths["cpuacct"]
	}
	quota, okQ := cgroupFile("/sys/fs/cgroup/cpu", cpuPath, "cpu.cfs_quota_us")
	period, okP := cgroupFile("/sys/fs/cgroup/cpu", cpuPath, "cpu.cfs_period_us")
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
