// Package fingerprint describes the machine a run measured on: CPU model,
// cores, GOMAXPROCS, Go release, platform and SQS backend. A baseline
// stores one; the verdict compares time-based metrics only between runs
// whose fingerprints name the same machine, because their values move
// with it, while counts and allocations are compared anywhere.
package fingerprint

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// Fingerprint describes where a baseline was measured. Time-based metrics
// are only comparable between runs with the same fingerprint; counts and
// allocations are comparable anywhere.
type Fingerprint struct {
	CPUModel   string `json:"cpu_model"`
	Cores      int    `json:"cores"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	GoVersion  string `json:"go_version"`
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	Backend    string `json:"backend"`
}

// Current describes this process and the SQS backend the run uses.
func Current(backend string) Fingerprint {
	return Fingerprint{
		CPUModel:   cpuModel(),
		Cores:      runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion:  runtime.Version(),
		GOOS:       runtime.GOOS,
		GOARCH:     runtime.GOARCH,
		Backend:    backend,
	}
}

func cpuModel() string {
	if runtime.GOOS != "linux" {
		return "unknown"
	}
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	return parseCPUModel(f)
}

// parseCPUModel reads the CPU model from /proc/cpuinfo text. x86 kernels
// name it "model name"; many ARM kernels only give "Hardware" or "Model".
func parseCPUModel(r io.Reader) string {
	fallback := ""
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		key, value = strings.TrimSpace(key), strings.Join(strings.Fields(value), " ")
		if value == "" {
			continue
		}
		switch key {
		case "model name":
			return value
		case "Hardware", "Model":
			if fallback == "" {
				fallback = value
			}
		}
	}
	if fallback != "" {
		return fallback
	}
	return "unknown"
}

// SameMachine reports whether time-based metrics measured under o can be
// compared with those measured under f, and if not, why, in words a reader
// of a CI log understands. Go versions are compared by release (go1.26),
// not by patch: patch releases are bug and security fixes, and treating
// each one as another machine would silence time-based gates on every
// routine toolchain update of a CI image.
func (f Fingerprint) SameMachine(o Fingerprint) (bool, []string) {
	var diffs []string
	differ := func(what string, base, cur any) {
		diffs = append(diffs, fmt.Sprintf("%s differs: baseline %v, this run %v", what, base, cur))
	}
	if f.CPUModel != o.CPUModel {
		differ("CPU model", quoteOrUnknown(f.CPUModel), quoteOrUnknown(o.CPUModel))
	}
	if f.Cores != o.Cores {
		differ("CPU core count", f.Cores, o.Cores)
	}
	if f.GOMAXPROCS != o.GOMAXPROCS {
		differ("GOMAXPROCS", f.GOMAXPROCS, o.GOMAXPROCS)
	}
	if goRelease(f.GoVersion) != goRelease(o.GoVersion) {
		differ("Go version", quoteOrUnknown(f.GoVersion), quoteOrUnknown(o.GoVersion))
	}
	if f.GOOS != o.GOOS || f.GOARCH != o.GOARCH {
		differ("platform", f.GOOS+"/"+f.GOARCH, o.GOOS+"/"+o.GOARCH)
	}
	if f.Backend != o.Backend {
		differ("SQS backend", quoteOrUnknown(f.Backend), quoteOrUnknown(o.Backend))
	}
	return len(diffs) == 0, diffs
}

// Environment returns the fingerprint as the flat map result.Scenario
// stores under "environment".
func (f Fingerprint) Environment() map[string]string {
	return map[string]string{
		"cpu_model":  f.CPUModel,
		"cores":      fmt.Sprint(f.Cores),
		"gomaxprocs": fmt.Sprint(f.GOMAXPROCS),
		"go_version": f.GoVersion,
		"goos":       f.GOOS,
		"goarch":     f.GOARCH,
		"backend":    f.Backend,
	}
}

func quoteOrUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return fmt.Sprintf("%q", s)
}

// goRelease trims a Go version to its release: "go1.26.8" -> "go1.26",
// "go1.27rc1" -> "go1.27", "devel go1.27-abcdef ..." -> "devel go1.27-abcdef ...".
func goRelease(v string) string {
	if !strings.HasPrefix(v, "go1.") {
		return v
	}
	rest := v[len("go1."):]
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	return "go1." + rest[:end]
}
