package profile

import (
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/google/pprof/profile"

	"github.com/sqsperf/sqsperf/runner/result"
)

// TopFunctions reads a CPU profile and returns its n hottest functions by
// flat share (samples in the function itself), ties broken by cumulative
// share. A profile without samples gives an empty list.
func TopFunctions(cpuProfilePath string, n int) ([]result.FunctionCost, error) {
	f, err := os.Open(cpuProfilePath)
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	defer f.Close()
	top, err := TopFunctionsFrom(f, n)
	if err != nil {
		return nil, fmt.Errorf("profile: %s: %w", cpuProfilePath, err)
	}
	return top, nil
}

// TopFunctionsFrom is TopFunctions on a profile read from r.
func TopFunctionsFrom(r io.Reader, n int) ([]result.FunctionCost, error) {
	p, err := profile.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("not a pprof profile (%v); pass the CPU profile file written by the runner", err)
	}
	idx := valueIndex(p)
	if idx < 0 {
		return nil, fmt.Errorf("profile has no sample values")
	}
	flat := map[string]int64{}
	cum := map[string]int64{}
	var total int64
	seen := map[string]bool{}
	for _, s := range p.Sample {
		if idx >= len(s.Value) {
			continue
		}
		v := s.Value[idx]
		if v <= 0 {
			continue
		}
		total += v
		clear(seen)
		leaf := true
		for _, loc := range s.Location {
			if loc == nil {
				continue
			}
			// Line[0] is the innermost of the functions inlined at this
			// location; the sample's flat cost belongs to it alone.
			for i, line := range loc.Line {
				name := "?"
				if line.Function != nil {
					name = line.Function.Name
				}
				if leaf && i == 0 {
					flat[name] += v
				}
				if !seen[name] { // recursion must not count a sample twice
					seen[name] = true
					cum[name] += v
				}
			}
			if len(loc.Line) == 0 {
				name := fmt.Sprintf("0x%x", loc.Address)
				if leaf {
					flat[name] += v
				}
				if !seen[name] {
					seen[name] = true
					cum[name] += v
				}
			}
			leaf = false
		}
	}
	if total == 0 {
		return []result.FunctionCost{}, nil
	}
	out := make([]result.FunctionCost, 0, len(cum))
	for name, c := range cum {
		out = append(out, result.FunctionCost{
			Function: name,
			Flat:     float64(flat[name]) / float64(total),
			Cum:      float64(c) / float64(total),
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Flat != out[j].Flat {
			return out[i].Flat > out[j].Flat
		}
		if out[i].Cum != out[j].Cum {
			return out[i].Cum > out[j].Cum
		}
		return out[i].Function < out[j].Function
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out, nil
}

// valueIndex picks the CPU time column (cpu/nanoseconds) of a CPU profile,
// else the last column, which pprof treats as the default.
func valueIndex(p *profile.Profile) int {
	for i, st := range p.SampleType {
		if st != nil && st.Type == "cpu" {
			return i
		}
	}
	return len(p.SampleType) - 1
}
