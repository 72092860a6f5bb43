package metric

// Every metric the runner measures, the runtime probes' included: probes do
// not register their own (the "Runtime probes" block below is theirs), so
// the registry is complete before any scenario is validated and a scenario
// cannot depend on which packages happened to be linked in. Keep names
// lowercase, dot-separated, noun first (metric_test.go checks them).
func init() {
	// Throughput and time.
	def(Def{Name: "throughput", Unit: Rate, Better: HigherIsBetter, MachineDependent: true, Tolerance: 0.20, Gate: true,
		Help: "download tasks finished per second, from the first send to the last task done"})
	def(Def{Name: "throughput.jobs", Unit: Rate, Better: HigherIsBetter, MachineDependent: true, Tolerance: 0.20,
		Help: "export jobs completed per second"})
	def(Def{Name: "duration", Unit: Duration, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.20,
		Help: "wall time from the first send until every message was accounted for"})
	def(Def{Name: "latency.job", Kind: Distribution, Unit: Duration, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.25,
		Help: "per job: send to its last task done"})
	def(Def{Name: "latency.job_in_service", Kind: Distribution, Unit: Duration, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.25,
		Help: "per job: first receive by the service to its last task done (how long the service held it)"})
	def(Def{Name: "fairness.job_spread", Unit: Number, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.30,
		Help: "slowest job's time in service over the median job's: near 1 when jobs taken on together share the pool, large when one starves"})
	def(Def{Name: "stage.queue_wait", Kind: Distribution, Unit: Duration, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.30,
		Help: "per message: SQS SentTimestamp to receive"})
	def(Def{Name: "stage.dispatch_wait", Kind: Distribution, Unit: Duration, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.30,
		Help: "per task: receive to a worker starting it (waits in the internal queue; invisible to scheduler latency)"})
	def(Def{Name: "stage.process", Kind: Distribution, Unit: Duration, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.25,
		Help: "per task: handler start to finish"})
	def(Def{Name: "stage.ack", Kind: Distribution, Unit: Duration, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.30,
		Help: "per message: ready to delete (all its tasks done or handed off) to deleted"})

	// Cost per message: the least noisy regression gates.
	def(Def{Name: "cpu.per_message", Unit: Duration, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.10, Gate: true,
		Help: "process CPU time (user+system, getrusage) per task processed"})
	// The whole process's allocations per task include the AWS SDK's per
	// request, and requests per task follow timing (how many messages each
	// receive carried): the same code against baselines from an earlier
	// session, beside another load, read allocated bytes +12% and +27%.
	// So they are timing-dependent (MachineDependent): judged in the
	// interleaved A/B at 5% (runner.ABTolerances), shown against a stored
	// baseline, where the consumer's own allocations (alloc.own.*, which
	// leave the SDK out) are judged instead.
	def(Def{Name: "alloc.per_message", Unit: Count, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.20, Gate: true,
		Help: "heap allocations per task processed (the whole process: the consumer, the SDK and the load driver)"})
	def(Def{Name: "alloc.bytes_per_message", Unit: Bytes, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.20, Gate: true,
		Help: "heap bytes allocated per task processed (the whole process: the consumer, the SDK and the load driver)"})

	// Accounting: every task by id. Not machine dependent: a lost message
	// is a lost message on any machine.
	for _, c := range []struct{ name, help string }{
		{"sent", "tasks sent (inside export jobs)"},
		{"jobs.sent", "export job messages sent"},
		{"processed", "tasks processed successfully, counted once per task id"},
		{"retried", "task deliveries beyond the first (failures retried through SQS)"},
		{"overflowed", "tasks handed to the download-tasks queue because the internal queue was full"},
		{"dead_lettered", "tasks found on the dead-letter queue at the end"},
		{"invalid", "messages rejected as invalid and dead-lettered with a reason"},
		{"failures", "task attempts that failed (injected or real)"},
		{"crashes", "worker panics recovered and replaced"},
	} {
		def(Def{Name: c.name, Unit: Count, Better: NoDirection, Exact: true, Help: c.help})
	}
	// Load-only mode sees queues, not ids: its dead letters are the growth
	// of the dead-letter queue's depth, which it reads but never consumes.
	def(Def{Name: "dead_lettered.queue", Unit: Count, Better: LowerIsBetter, Exact: true,
		Help: "load-only mode: growth of the dead-letter queue's depth during the run (messages, not task ids; includes other load machines' dead letters)"})
	def(Def{Name: "lost", Unit: Count, Better: LowerIsBetter, Tolerance: 0, Gate: true, Exact: true,
		Help: "tasks sent but neither processed nor dead-lettered (computed, never assumed)"})
	def(Def{Name: "duplicates", Unit: Count, Better: LowerIsBetter, Tolerance: 0, Exact: true,
		Help: "extra successful processings of a task id already processed (at-least-once delivery)"})
	def(Def{Name: "duplicates.ratio", Unit: Ratio, Better: LowerIsBetter,
		Help: "duplicates / processed"})
	def(Def{Name: "recovery", Unit: Duration, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.30,
		Help: "after an injected crash or fault: time until throughput was back to half its pre-fault rate"})

	// Fault injection (issue: reliability): how much the scenario's faults
	// actually hit, so a fault scenario that injected nothing cannot pass
	// unnoticed.
	def(Def{Name: "faults.injected", Unit: Count, Better: NoDirection, Exact: true,
		Help: "SQS calls of the service that met an injected fault (throttle, 500, timeout, dropped answer, added latency)"})
	def(Def{Name: "faults.calls", Unit: Count, Better: NoDirection, Exact: true,
		Help: "SQS calls of the service that went through the fault injector"})

	// Backend.
	def(Def{Name: "backend.start", Unit: Duration, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.50,
		Help: "time for the SQS backend to be ready"})

	// Runtime probes (filled by runner/probe).
	def(Def{Name: "sched.latency", Kind: Distribution, Unit: Duration, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.50,
		Help: "time goroutines spent runnable before running (runtime/metrics /sched/latencies:seconds, interval deltas; buckets ~25% wide)"})
	for _, b := range []string{"1ms", "10ms", "100ms"} {
		// The share over 1ms is gated (judged where time-based metrics
		// are: the same machine, or an interleaved A/B). A share over a
		// bound, not a quantile, because the runtime's buckets are ~25%
		// wide; its tolerance is wide because A/A runs spread by 2x.
		def(Def{Name: "sched.latency.over_" + b, Unit: Ratio, Better: LowerIsBetter, MachineDependent: true, Tolerance: 1.0, Gate: b == "1ms",
			Help: "share of scheduler-latency samples above " + b})
	}
	def(Def{Name: "tick.lag", Kind: Distribution, Unit: Duration, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.50,
		Help: "how late a 10ms ticker fires: the analogue of Node's event-loop delay (green <10ms, yellow <100ms, red above)"})
	for _, b := range []string{"10ms", "100ms"} {
		def(Def{Name: "tick.lag.over_" + b, Unit: Ratio, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.50,
			Help: "share of ticks later than " + b})
	}
	def(Def{Name: "gc.pause", Kind: Distribution, Unit: Duration, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.50,
		Help: "GC stop-the-world pauses (/sched/pauses/total/gc:seconds)"})
	def(Def{Name: "gc.cycles", Unit: Count, Better: LowerIsBetter, Tolerance: 0.25,
		Help: "completed GC cycles during the run"})
	def(Def{Name: "gc.cpu_fraction", Unit: Ratio, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.30,
		Help: "share of the process's CPU time spent in GC"})
	def(Def{Name: "heap.live.max", Unit: Bytes, Better: LowerIsBetter, Tolerance: 0.20, Gate: true,
		Help: "largest live heap after a GC (/gc/heap/live:bytes)"})
	def(Def{Name: "heap.live.slope", Unit: Bytes, Better: LowerIsBetter, Tolerance: 0.50,
		Help: "slope of the post-GC live heap across load batches, bytes per batch (linear regression): a leak as a number"})
	def(Def{Name: "heap.live.growth", Unit: Ratio, Better: LowerIsBetter, Tolerance: 0.50,
		Help: "post-GC live heap at the last quiet point relative to the first, minus one"})
	def(Def{Name: "heap.inuse.max", Unit: Bytes, Better: LowerIsBetter, Tolerance: 0.20,
		Help: "largest heap in use (objects, live and not yet swept)"})
	def(Def{Name: "goroutines.max", Unit: Count, Better: LowerIsBetter, Tolerance: 0.20,
		Help: "largest goroutine count sampled"})
	def(Def{Name: "goroutines.slope", Unit: Number, Better: LowerIsBetter, Tolerance: 0.50,
		Help: "slope of the goroutine count at quiet points across batches, goroutines per batch"})
	def(Def{Name: "queue.depth.max", Unit: Count, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.50,
		Help: "largest visible+in-flight+delayed count on any work queue"})
	def(Def{Name: "queue.drain_rate", Unit: Rate, Better: HigherIsBetter, MachineDependent: true, Tolerance: 0.30,
		Help: "median rate at which the work queues' depth fell while they were draining"})
}
