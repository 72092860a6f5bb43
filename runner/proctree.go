package runner

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's CPU times: 100
// on every Linux architecture Go supports (the kernel fixes it for the
// ABI, whatever CONFIG_HZ is).
const clockTicks = 100

// procTree is one reading of a process tree from /proc (Linux): the
// root and every descendant alive at that moment.
type procTree struct {
	// CPU is user+system time of the live processes, plus what their
	// reaped children spent (cutime, cstime): a build step `go run` ran
	// and waited for shows in its parent's total.
	CPU time.Duration
	// RSS is the resident memory of the live processes, summed.
	RSS int64
	// RootHWM is the root process's own peak resident memory (VmHWM).
	RootHWM int64
	Threads int
	Procs   int
}

// readProcTree reads the tree rooted at pid from procDir ("/proc").
func readProcTree(procDir string, pid int) (procTree, error) {
	entries, err := os.ReadDir(procDir)
	if err != nil {
		return procTree{}, fmt.Errorf("reading %s: %w (the process tree is measured on Linux only)", procDir, err)
	}
	type stat struct {
		ppid int
		cpu  int64
	}
	stats := map[int]stat{}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(procDir, e.Name(), "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		ppid, cpu, ok := parseStat(b)
		if !ok {
			continue
		}
		stats[p] = stat{ppid, cpu}
		children[ppid] = append(children[ppid], p)
	}
	if _, ok := stats[pid]; !ok {
		return procTree{}, fmt.Errorf("process %d is not running", pid)
	}
	var t procTree
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		t.Procs++
		t.CPU += time.Duration(stats[p].cpu) * time.Second / clockTicks
		rss, hwm, threads := readStatus(filepath.Join(procDir, strconv.Itoa(p), "status"))
		t.RSS += rss
		t.Threads += threads
		if p == pid {
			t.RootHWM = hwm
		}
		queue = append(queue, children[p]...)
	}
	return t, nil
}

// parseStat returns the parent pid and utime+stime+cutime+cstime (ticks)
// of a /proc/<pid>/stat line. The command name (field 2) may hold spaces
// and parentheses, so fields are counted after its last ')'.
func parseStat(b []byte) (ppid int, ticks int64, ok bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): ppid is field 4, utime..cstime 14..17.
	if len(f) < 15 {
		return 0, 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return 0, 0, false
	}
	for _, s := range f[11:15] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		ticks += v
	}
	return ppid, ticks, true
}

// readStatus returns VmRSS and VmHWM (bytes) and Threads of a
// /proc/<pid>/status file; zeros when it cannot be read.
func readStatus(path string) (rss, hwm int64, threads int) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			rss = n * 1024 // kB
		case "VmHWM":
			hwm = n * 1024
		case "Threads":
			threads = int(n)
		}
	}
	return rss, hwm, threads
}
