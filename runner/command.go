package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sqsperf/sqsperf/runner/exitcode"
	"github.com/sqsperf/sqsperf/runner/ledger"
	"github.com/sqsperf/sqsperf/runner/load"
	"github.com/sqsperf/sqsperf/runner/metric"
	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/scenario"
	"github.com/sqsperf/sqsperf/runner/sqsbackend"
)

// How an external consumer is watched.
const (
	// commandPoll is how often the ledger is asked whether every message
	// has settled, and readiness is checked.
	commandPoll = 50 * time.Millisecond
	// commandSample is how often the process tree's memory and threads
	// are sampled.
	commandSample = 250 * time.Millisecond
	// commandLogLimit bounds the output kept in the report directory.
	commandLogLimit = 8 << 20
	// commandTail is how much of the output an error message quotes.
	commandTail = 2048
)

// warnCommandRuntime is what every command run carries: what it cannot see.
const warnCommandRuntime = "service.command: the runtime metrics (sched.latency, tick.lag, gc, heap, goroutines), the stage timings and the per-task accounting " +
	"(processed, retried, duplicates) need the built-in service's Go runtime and events and are not measured; thresholds on them fail as not measured. " +
	"Accounting is the SQS server's (server.*, per SQS message); cpu.per_message is the process tree's CPU per task sent"

// commandRun is a repeat whose service under test is an external program
// (the scenario's service.command): the runner starts it with the queues'
// URLs in its environment, waits until it is ready, drives the same load
// as for the built-in service, waits until the SQS server's ledger says
// every message was processed or dead-lettered, stops it with its signal
// and grace period, and measures its process tree from /proc.
type commandRun struct {
	proc    *commandProc
	startup time.Duration
	stats   load.Stats
	window  measureWindow
	// tree readings at the window's start and end; treeErr says why CPU
	// per message is not measured.
	treeBefore, treeAfter procTree
	treeErr               error
	peak                  treePeak
	stopSampler           func()
	server                ledger.Summary
	serverOK              bool
}

// checkCommand refuses what a command run cannot do.
func checkCommand(sc *scenario.Scenario, opt Options) error {
	if opt.LoadOnly {
		return exitcode.Errorf(exitcode.Usage, "%s: service.command and -load-only exclude each other: a command is the service the runner starts; load-only sends load to a service that runs elsewhere", sc.File)
	}
	if b := opt.backendConfig(sc).Kind; b != "" && !strings.EqualFold(b, sqsbackend.Embedded) {
		return exitcode.Errorf(exitcode.Usage, "%s: service.command runs on the embedded backend only (its accounting is the embedded SQS server's view), not %q: drop -backend", sc.File, b)
	}
	return nil
}

// createRepeatQueues creates this repeat's queues (under a prefix of
// their own when the backend is shared) and records them in r. They are
// deleted when the repeat ends, on every path, even a half-created set.
// Every run kind that owns its service (full, command, consumer) sets up
// its queues the same way.
func createRepeatQueues(ctx context.Context, r *repeat) error {
	sc := r.sc
	queues, err := r.backend.CreateQueues(ctx, sqsbackend.QueueSpec{
		Jobs:              sc.SQS.Queues.Jobs,
		Tasks:             sc.SQS.Queues.Tasks,
		DeadLetter:        sc.SQS.Queues.DeadLetter,
		VisibilityTimeout: sc.SQS.VisibilityTimeout,
		MaxReceiveCount:   sc.SQS.MaxReceiveCount,
		WaitTime:          sc.SQS.WaitTime,
		Prefix:            r.queuePrefix(),
	})
	r.onEnd(func(ctx context.Context) {
		if err := r.backend.DeleteQueues(ctx, queues); err != nil {
			r.run.Warnings = append(r.run.Warnings, err.Error())
		}
	})
	if err != nil {
		return envError(fmt.Errorf("creating queues: %w", err))
	}
	r.queues = queues
	r.run.Warnings = append(r.run.Warnings, r.backend.Warnings...)
	return nil
}

func (c *commandRun) setup(ctx context.Context, r *repeat) error {
	sc := r.sc
	if err := createRepeatQueues(ctx, r); err != nil {
		return err
	}
	queues := r.queues

	receivesBefore, _, _ := r.backend.ServerReceives(ctx)
	proc, err := startCommand(sc, r.backend.Backend, queues, r.opt, r.label)
	if err != nil {
		return err
	}
	c.proc = proc
	r.onEnd(func(ctx context.Context) { c.proc.stop(ctx) })
	if proc.logPath != "" {
		r.run.Profiles = append(r.run.Profiles, result.Profile{Kind: "output", Path: filepath.Base(proc.logPath)})
	}
	r.prog.phase("start " + proc.name)
	if err := c.waitReady(r, receivesBefore); err != nil {
		return err
	}
	c.startup = time.Since(proc.started)
	return nil
}

// waitReady waits for the command's readiness condition, its exit or
// the ready timeout, whichever comes first.
func (c *commandRun) waitReady(r *repeat, receivesBefore int64) error {
	cmd := r.sc.Service.Command
	ctx, cancel := context.WithTimeout(r.life, cmd.ReadyWithin())
	defer cancel()
	what := "its first ReceiveMessage"
	switch {
	case cmd.Ready.Log != "":
		what = fmt.Sprintf("an output line matching %q", cmd.Ready.Log)
	case cmd.Ready.Port != 0:
		what = fmt.Sprintf("127.0.0.1:%d to accept connections", cmd.Ready.Port)
	}
	t := time.NewTicker(commandPoll)
	defer t.Stop()
	for {
		ready := false
		switch {
		case cmd.Ready.Log != "":
			select {
			case <-c.proc.logReady:
				ready = true
			default:
			}
		case cmd.Ready.Port != 0:
			conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(cmd.Ready.Port)), commandPoll)
			if err == nil {
				conn.Close()
				ready = true
			}
		default:
			n, ok, err := r.backend.ServerReceives(ctx)
			if err == nil && ok && n > receivesBefore {
				ready = true
			}
		}
		if ready {
			return nil
		}
		select {
		case <-c.proc.exited:
			return c.proc.crashed("before it was ready")
		case <-ctx.Done():
			if r.life.Err() != nil {
				return interrupted(r.life)
			}
			return exitcode.Errorf(exitcode.Environment, "service.command %s was not ready within %s (ready_timeout): it did not show %s; its output ends with:\n%s",
				c.proc.name, cmd.ReadyWithin(), what, c.proc.tail())
		case <-t.C:
		}
	}
}

func (c *commandRun) warmup(ctx context.Context, r *repeat) error {
	return ledgerWarmup(ctx, r, c.waitSettled)
}

// settleFunc waits until the server's ledger shows every message sent
// since since settled (see waitLedgerSettled); each run kind that counts
// from the server's view binds it to its own consumer's exit.
type settleFunc func(ctx context.Context, r *repeat, since time.Time, loadDone <-chan struct{}) (bool, error)

// ledgerWarmup sends the warm-up load and waits until the server's
// ledger shows it settled: the warm-up of every run kind that counts
// from the server's view (command, consumer).
func ledgerWarmup(ctx context.Context, r *repeat, settled settleFunc) error {
	plan := loadPlan(r.sc, "w")
	plan.Jobs, plan.Batches, plan.BatchInterval, plan.Rate = r.sc.Load.Warmup, 1, 0, 0
	if _, err := load.Run(ctx, r.backend.Client, r.queues.Jobs, plan, sentOnly{}, load.Hooks{}); err != nil {
		return fmt.Errorf("warm-up load: %w", err)
	}
	ok, err := settled(ctx, r, time.Time{}, closed)
	if err != nil {
		return err
	}
	if !ok {
		r.run.Errors = append(r.run.Errors, "warm-up did not settle before the timeout")
	}
	return nil
}

// driveLedgerLoad sends the scenario's load with hooks while settled
// watches the server's ledger from since, and returns when both ended:
// the load's stats, whether every message settled, the load's error and
// the wait's (the consumer exited: the repeat fails).
func driveLedgerLoad(ctx context.Context, r *repeat, hooks load.Hooks, since time.Time, settled settleFunc) (stats load.Stats, drained bool, loadErr, waitErr error) {
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		stats, loadErr = load.Run(ctx, r.backend.Client, r.queues.Jobs, loadPlan(r.sc, ""), sentOnly{}, hooks)
	}()
	drained, waitErr = settled(ctx, r, since, loadDone)
	<-loadDone
	return stats, drained, loadErr, waitErr
}

// recordLedgerLoad records how the measured load ended, for the run
// kinds that count from the server's view.
func recordLedgerLoad(ctx context.Context, r *repeat, drained bool, loadErr error) {
	if loadErr != nil && !errors.Is(loadErr, context.DeadlineExceeded) {
		r.run.Errors = append(r.run.Errors, "load: "+loadErr.Error())
	}
	r.drained = drained
	if !drained && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		r.run.Errors = append(r.run.Errors, fmt.Sprintf("timeout: the SQS server did not see every message processed or dead-lettered within %s (see server.lost, server.in_flight, server.waiting)", r.sc.Timeout))
	}
}

// ledgerAccounting is the accounting of a run counted from the server's
// view: what the load sent and what the server saw lost (the first 20
// ids).
func ledgerAccounting(stats load.Stats, s ledger.Summary) result.Accounting {
	a := result.Accounting{JobsSent: stats.JobsSent, Sent: stats.TasksSent, Lost: s.Lost}
	for i, l := range s.LostIDs {
		if i == 20 {
			break
		}
		a.LostIDs = append(a.LostIDs, l.ID)
	}
	return a
}

func (c *commandRun) measure(ctx context.Context, r *repeat) error {
	c.window.Start = time.Now()
	c.treeBefore, c.treeErr = readProcTree("/proc", c.proc.pid())
	c.stopSampler = c.peak.sample(c.proc.pid())
	r.onEnd(func(context.Context) { c.stopSampler() })
	r.prog.phase("load")
	hooks := load.Hooks{
		BeforeBatch: func(ctx context.Context, batch int) error {
			if batch > 0 {
				_, err := c.waitSettled(ctx, r, c.window.Start, closed)
				return err
			}
			return nil
		},
	}
	var drained bool
	var loadErr, err error
	c.stats, drained, loadErr, err = driveLedgerLoad(ctx, r, hooks, c.window.Start, c.waitSettled)
	c.window.End = time.Now()
	if c.treeErr == nil {
		c.treeAfter, c.treeErr = readProcTree("/proc", c.proc.pid())
	}
	c.stopSampler()
	if err != nil {
		return err
	}
	recordLedgerLoad(ctx, r, drained, loadErr)
	return nil
}

// waitSettled polls the server's ledger until the load is sent (loadDone
// closed) and every message sent to a work queue since since was
// processed or dead-lettered. It returns false when ctx ends first, and
// an error (exit 4) when the program exits meanwhile.
func (c *commandRun) waitSettled(ctx context.Context, r *repeat, since time.Time, loadDone <-chan struct{}) (bool, error) {
	return waitLedgerSettled(ctx, r, since, loadDone, c.proc.exited, func() error { return c.proc.crashed("during the run") })
}

// waitLedgerSettled is waitSettled for any consumer: exited closes when
// the consumer ended on its own, and crashed says how.
func waitLedgerSettled(ctx context.Context, r *repeat, since time.Time, loadDone, exited <-chan struct{}, crashed func() error) (bool, error) {
	t := time.NewTicker(commandPoll)
	defer t.Stop()
	work := []string{r.queues.Names[r.sc.SQS.Queues.Jobs], r.queues.Names[r.sc.SQS.Queues.Tasks]}
	for {
		select {
		case <-loadDone:
			s, ok, err := r.backend.ServerLedger(ctx, since)
			if err == nil && ok && workSettled(s, work) {
				return true, nil
			}
		default:
		}
		select {
		case <-exited:
			return false, crashed()
		case <-ctx.Done():
			return false, nil
		case <-t.C:
		}
	}
}

// workSettled reports whether every message sent to the work queues was
// processed or dead-lettered (messages a consumer sends to the
// dead-letter queue itself are its business: nobody consumes them).
func workSettled(s ledger.Summary, work []string) bool {
	sent := 0
	for _, q := range work {
		c := s.Queues[q]
		if c.Processed+c.DeadLettered != c.Sent {
			return false
		}
		sent += c.Sent
	}
	return sent > 0
}

// teardown stops the program and reads the server's view of the window:
// after the stop, a message still in flight was held and not released.
func (c *commandRun) teardown(ctx context.Context, r *repeat) {
	if err := c.proc.stop(ctx); err != nil {
		r.run.Warnings = append(r.run.Warnings, err.Error())
	}
	c.server, c.serverOK = checkReleased(ctx, r, c.window.Start, c.proc.name, "on "+r.sc.Service.Command.Signal())
}

// checkReleased reads the server's view after the consumer stopped: a
// message still in flight then was neither finished nor released, and a
// lost one is named by id.
func checkReleased(ctx context.Context, r *repeat, since time.Time, name, how string) (ledger.Summary, bool) {
	s, ok := r.recordServerView(ctx, since)
	if !ok {
		r.run.Errors = append(r.run.Errors, "the SQS server's accounting could not be read, so nothing is known of the messages (see the warnings)")
		return s, false
	}
	if n := s.InFlight; n > 0 {
		r.run.Errors = append(r.run.Errors, fmt.Sprintf("%d messages were still in flight after %s stopped: it neither finished nor released them (ChangeMessageVisibility to 0) %s; they come back only after their visibility timeout: %s",
			n, name, how, firstIDs(r.run.Server.InFlightIDs, "in_flight_ids")))
	}
	if s.Lost > 0 {
		r.run.Errors = append(r.run.Errors, serverLostError(r.run.Server))
	}
	return s, true
}

func (c *commandRun) assemble(r *repeat) {
	run := &r.run
	m := map[string]float64{
		metric.JobsSent:          float64(c.stats.JobsSent),
		metric.Sent:              float64(c.stats.TasksSent),
		metric.ProcessStartup:    c.startup.Seconds(),
		metric.ProcessRSSPeak:    float64(max(c.peak.rss, c.treeAfter.RootHWM)),
		metric.ProcessThreadsMax: float64(c.peak.threads),
	}
	wall := c.window.Seconds()
	m[metric.RunDuration] = wall
	if wall > 0 && r.drained {
		m[metric.Throughput] = float64(c.stats.TasksSent) / wall
	}
	if c.serverOK {
		m[metric.Lost] = float64(c.server.Lost) // messages, from the server: none lost means none lost
	}
	switch {
	case c.treeErr != nil:
		run.Warnings = append(run.Warnings, "service.command: cpu.per_message is not measured: "+c.treeErr.Error())
	case c.stats.TasksSent > 0 && r.drained:
		m[metric.CPUPerMessage] = (c.treeAfter.CPU - c.treeBefore.CPU).Seconds() / float64(c.stats.TasksSent)
	}
	if c.peak.samples == 0 {
		delete(m, metric.ProcessRSSPeak)
		delete(m, metric.ProcessThreadsMax)
	}
	maps.Copy(run.Metrics, m)
	run.Accounting = ledgerAccounting(c.stats, c.server)
	run.Warnings = append(run.Warnings, warnCommandRuntime)
	run.Duration = wall
}

// treePeak samples the process tree's memory and threads.
type treePeak struct {
	mu      sync.Mutex
	rss     int64
	threads int
	samples int
}

// sample reads the tree every commandSample until the returned stop is
// called (safe to call twice).
func (p *treePeak) sample(pid int) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	read := func() {
		t, err := readProcTree("/proc", pid)
		if err != nil {
			return
		}
		p.mu.Lock()
		p.rss, p.threads = max(p.rss, t.RSS, t.RootHWM), max(p.threads, t.Threads)
		p.samples++
		p.mu.Unlock()
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(commandSample)
		defer t.Stop()
		for {
			read()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			<-finished
			read()
		})
	}
}

// commandProc is the running program.
type commandProc struct {
	name    string // argv joined, for messages
	cmd     *exec.Cmd
	started time.Time
	exited  chan struct{}
	waitErr error // set before exited is closed
	out     *commandOutput
	logPath string
	// logReady is closed when an output line matches ready.log.
	logReady chan struct{}
	spec     scenario.Command
	stopOnce sync.Once
	stopErr  error
}

// commandEnv is the environment of the program: the runner's, then what
// the runner always sets, then the scenario's env with placeholders filled.
func commandEnv(sc *scenario.Scenario, b *sqsbackend.Backend, q sqsbackend.Queues) []string {
	vars := map[string]string{
		"AWS_ENDPOINT_URL_SQS":   b.Endpoint,
		"AWS_REGION":             b.Region,
		"SQS_EXPORT_JOBS_URL":    q.Jobs,
		"SQS_DOWNLOAD_TASKS_URL": q.Tasks,
		"SQS_DLQ_URL":            q.DeadLetter,
		"WORKER_POOL_SIZE":       strconv.Itoa(sc.Service.Workers),
		"MAX_CONCURRENT_JOBS":    strconv.Itoa(sc.Service.MaxConcurrentJobs),
		"MAX_QUEUE_SIZE":         strconv.Itoa(sc.Service.MaxQueueSize),
	}
	env := os.Environ()
	// The embedded server takes any credentials; these keep an SDK from
	// searching profiles or an instance role (slow, or a real account).
	env = append(env, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_SESSION_TOKEN=", "AWS_PROFILE=",
		"AWS_DEFAULT_REGION="+b.Region, "AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_EC2_METADATA_DISABLED=true")
	for _, k := range scenario.CommandPlaceholders {
		env = append(env, k+"="+vars[k])
	}
	for _, k := range sortedKeys(sc.Service.Command.Env) {
		env = append(env, k+"="+scenario.ExpandCommandEnv(sc.Service.Command.Env[k], vars))
	}
	return env
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// commandDir is the program's working directory: Dir relative to the
// scenario file's directory.
func commandDir(sc *scenario.Scenario) string {
	base := "."
	if sc.File != "" {
		base = filepath.Dir(sc.File)
	}
	dir := sc.Service.Command.Dir
	if filepath.IsAbs(dir) {
		return dir
	}
	return filepath.Join(base, dir)
}

func startCommand(sc *scenario.Scenario, b *sqsbackend.Backend, q sqsbackend.Queues, opt Options, label string) (*commandProc, error) {
	spec := sc.Service.Command
	dir := commandDir(sc)
	p := &commandProc{name: strings.Join(spec.Argv, " "), exited: make(chan struct{}), logReady: make(chan struct{}), spec: spec}
	if spec.Dir != "" {
		p.name += " (in " + dir + ")"
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, exitcode.Errorf(exitcode.Environment, "%s: service.command.dir: %s is not a directory (it is relative to the scenario file's directory)", sc.File, dir)
	}
	var ready *regexp.Regexp
	if spec.Ready.Log != "" {
		ready = regexp.MustCompile(spec.Ready.Log) // validated with the scenario
	}
	p.out = &commandOutput{ready: ready, onReady: func() { close(p.logReady) }}
	if opt.ProfileDir != "" {
		if err := os.MkdirAll(opt.ProfileDir, 0o755); err == nil {
			p.logPath = filepath.Join(opt.ProfileDir, filePrefix(label)+"command.log")
			if f, err := os.Create(p.logPath); err == nil {
				p.out.file = f
			} else {
				p.logPath = ""
			}
		}
	}
	cmd := exec.Command(spec.Argv[0], spec.Argv[1:]...)
	cmd.Dir = dir
	cmd.Env = commandEnv(sc, b, q)
	cmd.Stdout, cmd.Stderr = p.out, p.out
	inOwnGroup(cmd)
	p.cmd = cmd
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		p.out.close()
		return nil, exitcode.Errorf(exitcode.Environment, "service.command %s could not be started: %v", p.name, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		p.out.close()
		close(p.exited)
	}()
	return p, nil
}

func (p *commandProc) pid() int { return p.cmd.Process.Pid }

func (p *commandProc) tail() string {
	t := p.out.tailString()
	if t == "" {
		return "(no output)"
	}
	return t
}

// crashed is the error of a program that exited on its own.
func (p *commandProc) crashed(when string) error {
	<-p.exited
	return exitcode.Errorf(exitcode.Environment, "service.command %s exited %s (%v) after %s; its output ends with:\n%s",
		p.name, when, p.waitErr, time.Since(p.started).Round(time.Millisecond), p.tail())
}

// stop sends the stop signal to the program's process group, waits the
// grace period (bounded by ctx too) and then kills the group. It returns
// a note when the program had to be killed or exited with an error.
func (p *commandProc) stop(ctx context.Context) error {
	p.stopOnce.Do(func() {
		select {
		case <-p.exited:
			return
		default:
		}
		sig, grace := p.spec.Signal(), p.spec.GraceOrDefault()
		_ = signalGroup(p.pid(), sig)
		timer := time.NewTimer(grace)
		defer timer.Stop()
		select {
		case <-p.exited:
			if p.waitErr != nil {
				p.stopErr = fmt.Errorf("service.command %s exited with %v after %s", p.name, p.waitErr, sig)
			}
		case <-timer.C:
			_ = signalGroup(p.pid(), "SIGKILL")
			<-p.exited
			p.stopErr = fmt.Errorf("service.command %s did not exit within %s of %s and was killed", p.name, grace, sig)
		case <-ctx.Done():
			_ = signalGroup(p.pid(), "SIGKILL")
			<-p.exited
			p.stopErr = fmt.Errorf("service.command %s did not exit within the teardown budget after %s and was killed", p.name, sig)
		}
	})
	<-p.exited
	return p.stopErr
}

// commandOutput keeps the program's output: a bounded file, a tail for
// messages, and a line scanner for the readiness pattern.
type commandOutput struct {
	mu      sync.Mutex
	file    *os.File
	written int64
	ring    []byte
	line    []byte
	ready   *regexp.Regexp
	onReady func()
	matched bool
}

func (o *commandOutput) Write(b []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.file != nil && o.written < commandLogLimit {
		n := min(int64(len(b)), commandLogLimit-o.written)
		_, _ = o.file.Write(b[:n])
		o.written += n
		if o.written >= commandLogLimit {
			_, _ = io.WriteString(o.file, "\n[sqsperf: output truncated here]\n")
		}
	}
	o.ring = append(o.ring, b...)
	if len(o.ring) > 2*commandTail {
		o.ring = append(o.ring[:0], o.ring[len(o.ring)-commandTail:]...)
	}
	if o.ready != nil && !o.matched {
		o.line = append(o.line, b...)
		for {
			i := strings.IndexByte(string(o.line), '\n')
			if i < 0 {
				break
			}
			if o.ready.Match(o.line[:i]) {
				o.matched = true
				o.onReady()
				break
			}
			o.line = o.line[i+1:]
		}
		if len(o.line) > 64<<10 {
			o.line = o.line[len(o.line)-(64<<10):] // a line without end
		}
	}
	return len(b), nil
}

func (o *commandOutput) tailString() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	t := o.ring
	if len(t) > commandTail {
		t = t[len(t)-commandTail:]
	}
	return strings.TrimRight(string(t), "\n")
}

func (o *commandOutput) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.file != nil {
		_ = o.file.Close()
		o.file = nil
	}
}
