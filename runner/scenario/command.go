package scenario

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Command is an external consumer run as the service under test (issue
// 12): any program in any language, started by the runner, measured as a
// process tree and accounted for from the SQS server's view. Zero (no
// Argv) means the built-in service.
type Command struct {
	// Argv is the program and its arguments; the program is looked up in
	// PATH unless it holds a slash (then it is relative to Dir).
	Argv []string `json:",omitempty"`
	// Dir is the working directory, relative to the scenario file's
	// directory; empty means that directory.
	Dir string `json:",omitempty"`
	// Env is added to the runner's environment, after the variables the
	// runner always sets (CommandPlaceholders); values may use them as
	// ${NAME}.
	Env map[string]string `json:",omitempty"`
	// Ready says when the program is ready for the load.
	Ready Readiness `json:",omitzero"`
	// ReadyTimeout bounds the wait for readiness; 0 means 30s.
	ReadyTimeout time.Duration `json:",omitempty"`
	// StopSignal is sent to stop it; empty means SIGTERM.
	StopSignal string `json:",omitempty"`
	// Grace is how long it may take to exit after StopSignal before it
	// is killed; 0 means 10s.
	Grace time.Duration `json:",omitempty"`
}

// Readiness is how the runner knows a command is ready. With none set
// the program is ready when it first receives from a work queue.
type Readiness struct {
	// FirstReceive: ready once it has called ReceiveMessage on a work
	// queue (the server sees it).
	FirstReceive bool `json:",omitempty"`
	// Log: ready once a line of its output matches this regular expression.
	Log string `json:",omitempty"`
	// Port: ready once 127.0.0.1:Port accepts a connection.
	Port int `json:",omitempty"`
}

// Defaults of Command's optional fields.
const (
	DefaultReadyTimeout = 30 * time.Second
	DefaultStopSignal   = "SIGTERM"
	DefaultGrace        = 10 * time.Second
)

// IsZero reports whether no command is set (the built-in service runs).
func (c Command) IsZero() bool {
	return len(c.Argv) == 0 && c.Dir == "" && len(c.Env) == 0 && c.Ready == Readiness{} && c.ReadyTimeout == 0 && c.StopSignal == "" && c.Grace == 0
}

// ReadyWithin is ReadyTimeout or its default.
func (c Command) ReadyWithin() time.Duration { return cmpOr(c.ReadyTimeout, DefaultReadyTimeout) }

// GraceOrDefault is Grace or its default.
func (c Command) GraceOrDefault() time.Duration { return cmpOr(c.Grace, DefaultGrace) }

// Signal is StopSignal or its default.
func (c Command) Signal() string { return cmpOr(c.StopSignal, DefaultStopSignal) }

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// CommandPlaceholders are the variables the runner sets in a command's
// environment, and that env values may use as ${NAME}. The service
// settings let a matrix over service.workers reach the program.
var CommandPlaceholders = []string{
	"AWS_ENDPOINT_URL_SQS", "AWS_REGION",
	"SQS_EXPORT_JOBS_URL", "SQS_DOWNLOAD_TASKS_URL", "SQS_DLQ_URL",
	"WORKER_POOL_SIZE", "MAX_CONCURRENT_JOBS", "MAX_QUEUE_SIZE",
}

// StopSignals are the signals a command may be stopped with.
var StopSignals = []string{"SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2"}

var placeholderRE = regexp.MustCompile(`\$\{([^}]*)\}`)

// ExpandCommandEnv replaces ${NAME} in v by vars[NAME].
func ExpandCommandEnv(v string, vars map[string]string) string {
	return placeholderRE.ReplaceAllStringFunc(v, func(m string) string { return vars[m[2:len(m)-1]] })
}

// Extra field kinds of the command's section; their values are decoded
// by commandValue.
const (
	kStringList kind = 100 + iota // a list of strings
	kStringMap                    // a mapping of names to strings
)

const notCommand = "only with the built-in service"

func commandField() *field {
	return object("command", "An external consumer as the service under test, instead of the built-in service: any program, started by the runner with the queues' URLs in its environment, stopped with a signal, measured as a process tree (CPU per message, peak RSS, threads, start-up time) and accounted for from the SQS server's view (embedded backend). Runtime probes that need the Go runtime are not measured.",
		&field{key: "argv", kind: kStringList, axis: false,
			doc: "The program and its arguments, such as [node, index.js]; the program is looked up in PATH."},
		leaf("dir", kString, "", func(s *Scenario) any { return &s.Service.Command.Dir },
			"Working directory, relative to the scenario file's directory. Default: that directory.", notAxis),
		&field{key: "env", kind: kStringMap, axis: false,
			doc: "Environment variables added to the runner's; values may use ${AWS_ENDPOINT_URL_SQS}, ${AWS_REGION}, ${SQS_EXPORT_JOBS_URL}, ${SQS_DOWNLOAD_TASKS_URL}, ${SQS_DLQ_URL}, ${WORKER_POOL_SIZE}, ${MAX_CONCURRENT_JOBS}, ${MAX_QUEUE_SIZE} (all of which the runner also sets)."},
		object("ready", "When the program is ready for the load; one condition. Default: its first receive.",
			leaf("first_receive", kBool, "", func(s *Scenario) any { return &s.Service.Command.Ready.FirstReceive },
				"Ready once it has called ReceiveMessage on a work queue.", notAxis),
			leaf("log", kString, "", func(s *Scenario) any { return &s.Service.Command.Ready.Log },
				"Ready once a line of its output (stdout or stderr) matches this regular expression.", notAxis),
			leaf("port", kInt, "", func(s *Scenario) any { return &s.Service.Command.Ready.Port },
				"Ready once 127.0.0.1:PORT accepts a connection.", between(0, 65535), notAxis),
		),
		leaf("ready_timeout", kDuration, "", func(s *Scenario) any { return &s.Service.Command.ReadyTimeout },
			"Bound on the wait for readiness; a program not ready by then fails the run (exit 4). Default: 30s.", between(0, 10*minute), notAxis),
		leaf("stop_signal", kString, "", func(s *Scenario) any { return &s.Service.Command.StopSignal },
			"Signal that asks the program to stop. Default: SIGTERM.", withEnum(StopSignals...), notAxis),
		leaf("grace", kDuration, "", func(s *Scenario) any { return &s.Service.Command.Grace },
			"Time the program has to exit after the stop signal before it is killed. Default: 10s.", between(0, 10*minute), notAxis),
	)
}

// commandValue decodes the list and mapping fields of the command.
func (d *decoder) commandValue(f *field, k, n *yaml.Node, s *Scenario) {
	if isNull(n) {
		return
	}
	c := &s.Service.Command
	switch f.kind {
	case kStringList:
		if n.Kind != yaml.SequenceNode {
			d.add(k, f.path, "must be a list of strings, such as [node, index.js]; found %s", describe(n))
			return
		}
		for i, item := range n.Content {
			item = resolve(item)
			if item.Kind != yaml.ScalarNode || isNull(item) {
				d.add(item, fmt.Sprintf("%s[%d]", f.path, i), "must be a string; found %s", describe(item))
				continue
			}
			c.Argv = append(c.Argv, item.Value)
		}
	case kStringMap:
		if n.Kind != yaml.MappingNode {
			d.add(k, f.path, "must map variable names to values, such as {LOG_LEVEL: info}; found %s", describe(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, v := resolve(n.Content[i]), resolve(n.Content[i+1])
			name := f.path + "." + key.Value
			if c.Env == nil {
				c.Env = map[string]string{}
			}
			if _, dup := c.Env[key.Value]; dup {
				d.add(key, name, "set twice: keep one")
				continue
			}
			if v.Kind != yaml.ScalarNode {
				d.add(v, name, "must be a string, number or boolean; found %s", describe(v))
				continue
			}
			c.Env[key.Value] = v.Value
			s.positions[name] = position{key.Line, key.Column}
		}
	}
	s.positions[f.path] = position{k.Line, k.Column}
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// command checks the command section and what cannot go with it.
func (c *checker) command() {
	s := c.s
	cmd := s.Service.Command
	if cmd.IsZero() {
		return
	}
	if len(cmd.Argv) == 0 || strings.TrimSpace(cmd.Argv[0]) == "" {
		c.add(c.commandPath("service.command.argv"), "a command needs argv: the program and its arguments, such as [node, index.js]")
	}
	for _, name := range sortedEnvKeys(cmd.Env) {
		path := "service.command.env." + name
		if !envNameRE.MatchString(name) {
			c.add(path, "%q is not a variable name: use letters, digits and '_', not starting with a digit", name)
		}
		for _, m := range placeholderRE.FindAllStringSubmatch(cmd.Env[name], -1) {
			if !slices.Contains(CommandPlaceholders, m[1]) {
				c.add(path, "unknown placeholder ${%s}: use one of ${%s}", m[1], strings.Join(CommandPlaceholders, "}, ${"))
			}
		}
	}
	ready := 0
	if cmd.Ready.FirstReceive {
		ready++
	}
	if cmd.Ready.Log != "" {
		ready++
		if _, err := regexp.Compile(cmd.Ready.Log); err != nil {
			c.add("service.command.ready.log", "is not a regular expression: %v", err)
		}
	}
	if cmd.Ready.Port != 0 {
		ready++
	}
	if ready > 1 {
		c.add(c.written("service.command.ready.log", "service.command.ready.port", "service.command.ready.first_receive"), "set one readiness condition: first_receive, log or port")
	}
	// What needs the service in-process.
	for _, p := range []struct {
		path string
		set  bool
		why  string
	}{
		{"faults.crash.after", s.Faults.Crash.After > 0, "the runner cannot restart an external program mid-run"},
		{"faults.sqs", s.Faults.SQS.ErrorRate+s.Faults.SQS.ThrottleRate+s.Faults.SQS.LatencyRate+s.Faults.SQS.DropRate+s.Faults.SQS.TimeoutRate > 0, "SQS faults are injected into the built-in service's own client"},
		{"profile", s.Profile.CPU || s.Profile.Heap || s.Profile.Trace > 0, "profiles need the Go runtime of the service in the runner's process"},
		{"service.failure_rate", s.Service.FailureRate > 0, "pass the program its own failure setting through env"},
		{"service.crash_rate", s.Service.CrashRate > 0, "pass the program its own setting through env"},
	} {
		if p.set {
			c.add(c.written(p.path, p.path+".error_rate", p.path+".throttle_rate", p.path+".latency_rate", p.path+".drop_rate", p.path+".timeout_rate", p.path+".cpu", p.path+".heap", p.path+".trace", c.commandPath("")), "is not supported with service.command: %s (%s)", p.why, notCommand)
		}
	}
	if s.SQS.Backend != BackendEmbedded {
		c.add(c.written("sqs.backend", c.commandPath("")), "service.command needs backend: embedded: the accounting of an external program comes from the embedded SQS server's view")
	}
}

func sortedEnvKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// commandPath is want when the file wrote it, else the first key of the
// command section the file wrote: a problem of the section as a whole
// points at its first line.
func (c *checker) commandPath(want string) string {
	if _, ok := c.s.positions[want]; ok || want != "" && !strings.HasPrefix(want, "service.command") {
		return want
	}
	best, line := "service.command", 0
	for p, pos := range c.s.positions {
		if strings.HasPrefix(p, "service.command.") && (line == 0 || pos.line < line || pos.line == line && p < best) {
			best, line = p, pos.line
		}
	}
	return best
}
