package metric

// Names of what the runner measures of an external consumer (a scenario's
// service.command) as a process tree: the program and every process it
// started. cpu.per_message is shared with the built-in service.
const (
	ProcessRSSPeak    = "process.rss.peak"
	ProcessThreadsMax = "process.threads.max"
	ProcessStartup    = "process.startup"
)

func init() {
	def(Def{Name: ProcessRSSPeak, Unit: Bytes, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.15,
		Help: "external consumer: peak resident memory of its process tree (sum over its processes, sampled every 250ms; at least the program's own VmHWM)"})
	def(Def{Name: ProcessThreadsMax, Unit: Count, Better: NoDirection,
		Help: "external consumer: most threads its process tree had at once (sampled every 250ms)"})
	def(Def{Name: ProcessStartup, Unit: Duration, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.50,
		Help: "external consumer: time from starting the program to its readiness (first receive, log line or open port)"})
}
