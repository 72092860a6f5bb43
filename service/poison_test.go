package service

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPoisonMessageOfMaximumSizeReachesTheDLQ: an invalid message at SQS's
// 1 MiB limit cannot be copied to the dead-letter queue with the reason
// attributes (they push it over the limit, a permanent refusal). The
// service must then release it on its own queue so that the queue's
// redrive policy moves it after maxReceiveCount deliveries: one copy
// attempt per delivery, no loop. The release once went to the tasks
// queue whatever the message's queue, where a job's receipt handle is
// invalid, so a job sat out its whole visibility timeout per delivery.
func TestPoisonMessageOfMaximumSizeReachesTheDLQ(t *testing.T) {
	for _, q := range []string{"jobs", "tasks"} {
		t.Run(q, func(t *testing.T) {
			e := newEnv(t, envOptions{jobsMaxReceives: 2, tasksMaxReceives: 2})
			faulty := newFaultySQS(e.client)
			rec := newRecorder()
			r := startWith(t, faulty, e, Config{Observer: rec, RetryDelay: time.Second})
			url, other := e.jobsURL, e.tasksURL
			if q == "tasks" {
				url, other = e.tasksURL, e.jobsURL
			}
			body := strings.Repeat("x", MaxMessageBytes) // not JSON: invalid
			e.sendBodies(t, url, body)

			var dead []string
			require.Eventually(t, func() bool {
				for _, m := range e.drainDLQ(t) {
					dead = append(dead, aws.ToString(m.Body))
				}
				return len(dead) > 0
			}, 90*time.Second, 100*time.Millisecond, "the redrive policy to move the message")
			require.NoError(t, r.stop(t))

			require.Len(t, dead, 1)
			assert.Equal(t, body, dead[0], "the body reaches the DLQ unchanged")
			visible, inFlight := e.counts(t, url)
			assert.Zero(t, visible+inFlight)
			assert.Equal(t, int64(2), faulty.callCount("send", e.dlqURL), "one refused copy per delivery, none retried")
			assert.Zero(t, count(rec.snapshot(), DeadLettered, nil), "the redrive policy, not the service, moved it")
			assert.Positive(t, faulty.callCount("visibility", url), "released on its own queue")
			assert.Zero(t, faulty.callCount("visibility", other), "released on another queue")
		})
	}
}
