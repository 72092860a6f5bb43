package metric

// Names of the server-view accounting (issue 12): what the embedded SQS
// server saw of every message by id, whoever the consumer is. Messages,
// not tasks: a job message holds several tasks, so server.processed
// counts deleted SQS messages on every queue (jobs, tasks the service
// sent itself), and the service's event view (processed, lost, ...)
// counts task ids. lost and server.lost must both be 0 in a good run.
const (
	ServerSent          = "server.sent"
	ServerProcessed     = "server.processed"
	ServerDeadLettered  = "server.dead_lettered"
	ServerLost          = "server.lost"
	ServerInFlight      = "server.in_flight"
	ServerWaiting       = "server.waiting"
	ServerRedeliveries  = "server.redeliveries"
	ServerQueueWait     = "server.queue_wait"
	ServerTimeInService = "server.time_in_service"
)

func init() {
	def(Def{Name: ServerSent, Unit: Count, Better: NoDirection,
		Help: "SQS messages sent during the measured window on every queue (the load's and the consumer's own), seen by the embedded server"})
	def(Def{Name: ServerProcessed, Unit: Count, Better: NoDirection,
		Help: "SQS messages deleted by the consumer (server view; messages, not tasks)"})
	def(Def{Name: ServerDeadLettered, Unit: Count, Better: LowerIsBetter,
		Help: "SQS messages the redrive policy moved to the dead-letter queue (server view; a consumer's own sends to the DLQ count as sent and processed there)"})
	def(Def{Name: ServerLost, Unit: Count, Better: LowerIsBetter, Tolerance: 0, Gate: true,
		Help: "SQS messages sent but never deleted, dead-lettered, released or waiting at the end of the run (server view; their ids are in the report)"})
	def(Def{Name: ServerInFlight, Unit: Count, Better: LowerIsBetter,
		Help: "SQS messages still held by a consumer at the end of the run (received, visibility timeout not yet run out): not released on shutdown"})
	def(Def{Name: ServerWaiting, Unit: Count, Better: LowerIsBetter,
		Help: "SQS messages visible or delayed at the end of the run (never received, or released by the consumer)"})
	def(Def{Name: ServerRedeliveries, Unit: Count, Better: LowerIsBetter,
		Help: "receives beyond each message's first (retries through the visibility timeout, releases), server view"})
	def(Def{Name: ServerQueueWait, Kind: Distribution, Unit: Duration, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.30,
		Help: "send to first receive per SQS message, server view (any consumer)"})
	def(Def{Name: ServerTimeInService, Kind: Distribution, Unit: Duration, Better: LowerIsBetter, MachineDependent: true, Tolerance: 0.25,
		Help: "first receive to delete per SQS message, server view (any consumer)"})
}
