package main

import (
	"fmt"
	"strings"
)

// A change is one realistic regression, applied to the service's source
// in a copy of the tree: text edits anchored on lines that exist today,
// so a change that no longer applies fails loudly instead of measuring
// nothing.
type change struct {
	name, what string
	edits      []edit
}

type edit struct {
	file, anchor, replace string
	appendText            string // added at the end of the file
}

const invokeAnchor = "\treturn s.handler.Handle(ctx, w.task), false\n"

// changes are the regressions the suite injects. The amounts are set
// against the service's measured cost on the development machine: one
// round of injectedBusy is about 0.42 µs on a quiet core, so the default
// 143 rounds are the +60 µs per task of issue 11 (+15% of stress's
// cpu.per_message of about 410 µs once the SQS server runs in its own
// process) and cpu5's third of it +5%; stress allocates about 23 KB per
// task, so 2.5 KiB more is +14% and alloc10's 1.8 KiB +10%.
func changes(cpuWork int) []change {
	afterHandler := func(code string) edit {
		return edit{file: "service/service.go", anchor: invokeAnchor,
			replace: "\terr = s.handler.Handle(ctx, w.task)\n" + code + "\treturn err, false\n"}
	}
	return []change{
		{name: "none", what: "no change (A/A: the false-alarm rate)"},
		{name: "cpu", what: fmt.Sprintf("busy CPU per task (%d rounds of a hash, about +15%% cpu.per_message)", cpuWork), edits: []edit{
			afterHandler(fmt.Sprintf("\tinjectedSink += injectedBusy(%d)\n", cpuWork)), busyFunc}},
		{name: "cpu5", what: fmt.Sprintf("busy CPU per task (%d rounds, about +5%%)", max(1, cpuWork/3)), edits: []edit{
			afterHandler(fmt.Sprintf("\tinjectedSink += injectedBusy(%d)\n", max(1, cpuWork/3))), busyFunc}},
		{name: "alloc", what: "2.5 KiB more allocated per task (about +14% alloc.bytes_per_message)", edits: []edit{
			afterHandler("\tinjectedBytes = make([]byte, 2560)\n"), sinks}},
		{name: "alloc10", what: "1.8 KiB more allocated per task in two objects (+10% alloc.bytes_per_message)", edits: []edit{
			afterHandler("\tinjectedBytes = make([]byte, 1536)\n\tinjectedBytes = make([]byte, 320)\n"), sinks}},
		{name: "retain", what: "1 KiB retained per task (a leak)", edits: []edit{
			afterHandler("\tinjectedMu.Lock()\n\tinjectedRetained = append(injectedRetained, make([]byte, 1024))\n\tinjectedMu.Unlock()\n"), sinks}},
		{name: "deletes", what: "messages deleted one by one instead of in batches", edits: []edit{
			{file: "service/service.go",
				anchor:  "func(ctx context.Context, b []*message) { s.deleteBatch(ctx, jobsQueue, b) }",
				replace: "func(ctx context.Context, b []*message) { for _, m := range b { s.deleteBatch(ctx, jobsQueue, []*message{m}) } }"},
			{file: "service/service.go",
				anchor:  "func(ctx context.Context, b []*message) { s.deleteBatch(ctx, tasksQueue, b) }",
				replace: "func(ctx context.Context, b []*message) { for _, m := range b { s.deleteBatch(ctx, tasksQueue, []*message{m}) } }"},
		}},
		// Not WaitTimeSeconds 0: the SDK omits a zero and the queue's own
		// long-poll setting applies, so that edit changes nothing.
		{name: "polling", what: "receives one message per call instead of up to ten: many more receive requests", edits: []edit{
			{file: "service/service.go", anchor: "\tin.MaxNumberOfMessages = int32(max)\n",
				replace: "\tin.MaxNumberOfMessages = 1\n"}}},
		{name: "lock", what: "a global lock held around the handler", edits: []edit{
			{file: "service/service.go", anchor: invokeAnchor,
				replace: "\tinjectedMu.Lock()\n\tdefer injectedMu.Unlock()\n" + invokeAnchor}, sinks}},
		{name: "goroutine", what: "one goroutine leaked per job", edits: []edit{
			{file: "service/service.go", anchor: "func (s *Service) startJob(ctx context.Context, m *message) {\n",
				replace: "func (s *Service) startJob(ctx context.Context, m *message) {\n\tgo func() { <-injectedNever }()\n"}, sinks}},
		{name: "io", what: "+500 µs of I/O wait per task", edits: []edit{
			afterHandler("\ttime.Sleep(500 * time.Microsecond)\n")}},
	}
}

var busyFunc = edit{file: "service/service.go", appendText: `
var injectedSink uint64

// injectedBusy does a fixed amount of CPU work (FNV-1a rounds over a
// buffer): the same work on every machine, like slower code would be.
func injectedBusy(rounds int) uint64 {
	var buf [256]byte
	h := uint64(14695981039346656037)
	for r := 0; r < rounds; r++ {
		for i := range buf {
			h ^= uint64(buf[i]) + uint64(r)
			h *= 1099511628211
			buf[i] = byte(h)
		}
	}
	return h
}
`}

var sinks = edit{file: "service/service.go", appendText: `
var (
	injectedBytes    []byte
	injectedMu       sync.Mutex
	injectedRetained [][]byte
	injectedNever    = make(chan struct{})
)
`}

// apply edits a tree's files in place.
func apply(read func(string) (string, error), write func(string, string) error, c change) error {
	for _, e := range c.edits {
		src, err := read(e.file)
		if err != nil {
			return err
		}
		if e.anchor != "" {
			if strings.Count(src, e.anchor) != 1 {
				return fmt.Errorf("change %s: anchor %q found %d times in %s; update runner/internal/inject/changes.go to today's service code",
					c.name, e.anchor, strings.Count(src, e.anchor), e.file)
			}
			src = strings.Replace(src, e.anchor, e.replace, 1)
		}
		if e.appendText != "" && !strings.Contains(src, e.appendText) {
			src += e.appendText
		}
		if err := write(e.file, src); err != nil {
			return err
		}
	}
	return nil
}
