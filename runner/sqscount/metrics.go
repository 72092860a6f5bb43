package sqscount

import "github.com/sqsperf/sqsperf/runner/metric"

// PricePerMillionRequests is SQS's list price for standard queues in
// us-east-1 beyond the free tier (USD). The cost metric is meant for
// comparing two builds, where the exact price cancels out.
const PricePerMillionRequests = 0.40

// PerMessage turns the counts of a measured window into per-message
// metrics: requests by action, billable cost and payload bytes. With
// nothing processed it returns nothing, as a rate per zero messages is
// not a number to judge.
func PerMessage(c Counts, processed int) map[string]float64 {
	if processed <= 0 {
		return map[string]float64{}
	}
	n := float64(processed)
	out := map[string]float64{
		metric.SQSRequests:       float64(c.Total()) / n,
		metric.SQSCostPerMillion: float64(c.Billable) / n * PricePerMillionRequests,
		metric.PayloadSent:       float64(c.BytesSent) / n,
		metric.PayloadReceived:   float64(c.BytesReceived) / n,
	}
	for a := Action(0); a < numActions; a++ {
		out[metric.SQSRequestsBy(a.String())] = float64(c.Requests[a]) / n
	}
	// A batch maximum of an action the consumer never called is not 0: it
	// is not there.
	for name, v := range map[string]uint64{
		metric.SQSBatchReceive: c.ReceiveAskedMax,
		metric.SQSBatchDelete:  c.DeleteBatchMax,
		metric.SQSBatchSend:    c.SendBatchMax,
	} {
		if v > 0 {
			out[name] = float64(v)
		}
	}
	return out
}
