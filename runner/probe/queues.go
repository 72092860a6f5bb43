package probe

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/montanaflynn/stats"

	"github.com/sqsperf/sqsperf/runner/metric"
)

// QueueAttributesAPI is the one SQS call the queue probe needs; the SDK's
// *sqs.Client satisfies it.
type QueueAttributesAPI interface {
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

var _ QueueAttributesAPI = (*sqs.Client)(nil)

// QueueDepthAttributes are the attributes a depth sample asks for.
var QueueDepthAttributes = []types.QueueAttributeName{
	types.QueueAttributeNameApproximateNumberOfMessages,
	types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
	types.QueueAttributeNameApproximateNumberOfMessagesDelayed,
}

// Depth is one queue's counts at one moment.
type Depth struct {
	Visible, InFlight, Delayed int64
}

// Total is every message the queue holds.
func (d Depth) Total() int64 { return d.Visible + d.InFlight + d.Delayed }

// ReadDepth asks SQS for a queue's approximate counts.
func ReadDepth(ctx context.Context, api QueueAttributesAPI, url string) (Depth, error) {
	out, err := api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: QueueDepthAttributes,
	})
	if err != nil {
		return Depth{}, err
	}
	var d Depth
	for _, f := range []struct {
		name types.QueueAttributeName
		dst  *int64
	}{
		{types.QueueAttributeNameApproximateNumberOfMessages, &d.Visible},
		{types.QueueAttributeNameApproximateNumberOfMessagesNotVisible, &d.InFlight},
		{types.QueueAttributeNameApproximateNumberOfMessagesDelayed, &d.Delayed},
	} {
		s, ok := out.Attributes[string(f.name)]
		if !ok {
			continue // an endpoint that omits a count reports it as zero
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return Depth{}, fmt.Errorf("queue attribute %s = %q is not a whole number", f.name, s)
		}
		*f.dst = n
	}
	return d, nil
}

type sampledQueue struct {
	name, url string
	work      bool
	visible   *series
	inFlight  *series
	delayed   *series
}

// queueSampler polls each queue's depth. It owns all its state until the
// probe's goroutines have exited.
type queueSampler struct {
	cfg    Config
	start  time.Time
	now    func() time.Time // a clock, so drain-rate tests do not sleep
	queues []*sampledQueue

	depthMax float64
	// Drain rate: per-interval decreases of the work queues' total depth.
	prevTotal float64
	prevT     float64
	havePrev  bool
	decreases []float64 // per-second rates, capped below
	errors    map[string]int
	errOrder  []string
}

// maxDrainSamples bounds the drain-rate samples kept; at one sample a second
// this is over five hours of draining, and older samples are thinned.
const maxDrainSamples = 20000

func newQueueSampler(cfg Config, start time.Time) *queueSampler {
	q := &queueSampler{cfg: cfg, start: start, now: time.Now, errors: map[string]int{}}
	add := func(m map[string]string, work bool) {
		names := make([]string, 0, len(m))
		for n := range m {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			prefix := "queue." + n + "."
			unit := metric.Count.String()
			q.queues = append(q.queues, &sampledQueue{
				name: n, url: m[n], work: work,
				visible:  newSeries(prefix+"visible", unit, mergeMax),
				inFlight: newSeries(prefix+"in_flight", unit, mergeMax),
				delayed:  newSeries(prefix+"delayed", unit, mergeMax),
			})
		}
	}
	add(cfg.Queues, true)
	add(cfg.OtherQueues, false)
	return q
}

func (q *queueSampler) run(ctx context.Context) {
	q.sample(ctx)
	ticker := time.NewTicker(q.cfg.QueueInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			q.sample(ctx)
		}
	}
}

func (q *queueSampler) sample(ctx context.Context) {
	// A hung endpoint must not stretch the sampling period.
	ctx, cancel := context.WithTimeout(ctx, q.cfg.QueueInterval)
	defer cancel()
	var total float64
	complete := true
	for _, sq := range q.queues {
		d, err := ReadDepth(ctx, q.cfg.SQS, sq.url)
		if err != nil {
			if ctx.Err() == nil {
				q.noteError(fmt.Sprintf("queue probe: %s: %v", sq.name, err))
			}
			if sq.work {
				complete = false
			}
			continue
		}
		t := q.now().Sub(q.start).Seconds()
		sq.visible.add(t, float64(d.Visible))
		sq.inFlight.add(t, float64(d.InFlight))
		sq.delayed.add(t, float64(d.Delayed))
		if sq.work {
			total += float64(d.Total())
			q.depthMax = max(q.depthMax, float64(d.Total()))
		}
	}
	if !complete {
		// A partial total would look like a sudden drain.
		q.havePrev = false
		return
	}
	t := q.now().Sub(q.start).Seconds()
	if q.havePrev && t > q.prevT && total < q.prevTotal {
		q.decreases = append(q.decreases, (q.prevTotal-total)/(t-q.prevT))
		if len(q.decreases) >= maxDrainSamples {
			q.decreases = thin(q.decreases)
		}
	}
	q.prevTotal, q.prevT, q.havePrev = total, t, true
}

// thin keeps every other sample, which keeps the median's estimate fair.
func thin(v []float64) []float64 {
	n := 0
	for i := 0; i < len(v); i += 2 {
		v[n] = v[i]
		n++
	}
	return v[:n]
}

const maxProbeErrors = 10

func (q *queueSampler) noteError(msg string) {
	if _, seen := q.errors[msg]; !seen {
		if len(q.errOrder) >= maxProbeErrors {
			return
		}
		q.errOrder = append(q.errOrder, msg)
	}
	q.errors[msg]++
}

func (q *queueSampler) summarize(sum *Summary) {
	hasWork := false
	for _, sq := range q.queues {
		sum.Series = append(sum.Series, sq.visible.result(), sq.inFlight.result(), sq.delayed.result())
		hasWork = hasWork || sq.work
	}
	if hasWork {
		sum.Metrics[metric.QueueDepthMax] = q.depthMax
		if med, err := stats.Median(q.decreases); err == nil {
			sum.Metrics[metric.QueueDrainRate] = med
		}
	}
	for _, msg := range q.errOrder {
		if n := q.errors[msg]; n > 1 {
			msg = fmt.Sprintf("%s (%d times)", msg, n)
		}
		sum.Errors = append(sum.Errors, msg)
	}
}
