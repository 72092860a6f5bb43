package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sqsperf/sqsperf/service"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeSQS answers SendMessageBatch with respond (default: accept all).
type fakeSQS struct {
	mu      sync.Mutex
	calls   [][]string  // bodies per call
	at      []time.Time // when each call came
	respond func(call int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error)
}

func (f *fakeSQS) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	f.mu.Lock()
	call := len(f.calls)
	bodies := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		bodies[i] = aws.ToString(e.MessageBody)
	}
	f.calls = append(f.calls, bodies)
	f.at = append(f.at, time.Now())
	respond := f.respond
	f.mu.Unlock()
	if respond != nil {
		return respond(call, in)
	}
	return acceptAll(in), nil
}

func (f *fakeSQS) callBodies() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]string(nil), f.calls...)
}

// gaps returns, for every distinct set of bodies sent, the time between
// each call carrying it and the one before: the backoffs of a retried
// call. Inside a synctest bubble no time passes but what is slept, so
// they are exact.
func (f *fakeSQS) gaps() map[string][]time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	last := map[string]time.Time{}
	out := map[string][]time.Duration{}
	for i, bodies := range f.calls {
		sorted := slices.Sorted(slices.Values(bodies))
		key := strings.Join(sorted, "\n")
		if prev, ok := last[key]; ok {
			out[key] = append(out[key], f.at[i].Sub(prev))
		}
		last[key] = f.at[i]
	}
	return out
}

func acceptAll(in *sqs.SendMessageBatchInput) *sqs.SendMessageBatchOutput {
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id, MessageId: aws.String("m-" + aws.ToString(e.Id))})
	}
	return out
}

// recorder remembers every job recorded as sent.
type recorder struct {
	mu    sync.Mutex
	times map[string][]time.Time
	tasks map[string][]string
}

func newRecorder() *recorder {
	return &recorder{times: map[string][]time.Time{}, tasks: map[string][]string{}}
}

func (r *recorder) JobSent(jobID string, taskIDs []string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.times[jobID] = append(r.times[jobID], at)
	r.tasks[jobID] = taskIDs
}

// once asserts that each of the first n jobs was recorded exactly once.
func (r *recorder) once(t *testing.T, prefix string, n int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	assert.Len(t, r.times, n)
	for j := 0; j < n; j++ {
		assert.Len(t, r.times[JobID(prefix, j)], 1, "job %d", j)
	}
}

func jobOf(t *testing.T, body string) service.ExportJob {
	t.Helper()
	var job service.ExportJob
	require.NoError(t, json.Unmarshal([]byte(body), &job))
	return job
}

func TestIDsAndBodies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sqsFake, rec := &fakeSQS{}, newRecorder()
		p := Plan{Jobs: 3, TasksPerJob: 2, Payload: 100, JobIDPrefix: "x-", Seed: 1}
		st, err := Run(t.Context(), sqsFake, "q", p, rec, Hooks{})
		require.NoError(t, err)
		assert.Equal(t, Stats{Planned: 3, JobsSent: 3, TasksSent: 6, Calls: st.Calls, Batches: 1}, st)

		var jobs []service.ExportJob
		for _, call := range sqsFake.callBodies() {
			for _, b := range call {
				jobs = append(jobs, jobOf(t, b))
			}
		}
		sort.Slice(jobs, func(a, b int) bool { return jobs[a].JobID < jobs[b].JobID })
		require.Len(t, jobs, 3)
		for j, job := range jobs {
			id := "x-j" + strconv.Itoa(j)
			assert.Equal(t, id, job.JobID)
			assert.Equal(t, []service.Task{{TaskID: id + "/t0", JobID: id}, {TaskID: id + "/t1", JobID: id}}, job.Tasks)
			assert.Len(t, job.Payload, 100)
			assert.Equal(t, []string{id + "/t0", id + "/t1"}, rec.tasks[id])
		}

		// The padding is reproducible from the seed, and only from it.
		again := &fakeSQS{}
		_, err = Run(t.Context(), again, "q", p, newRecorder(), Hooks{})
		require.NoError(t, err)
		assert.Equal(t, jobs[0].Payload, jobOf(t, again.callBodies()[0][0]).Payload)
		other := &fakeSQS{}
		p.Seed = 2
		_, err = Run(t.Context(), other, "q", p, newRecorder(), Hooks{})
		require.NoError(t, err)
		assert.NotEqual(t, jobs[0].Payload, jobOf(t, other.callBodies()[0][0]).Payload)
	})
}

func TestPartialBatchFailureIsRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		sqsFake := &fakeSQS{respond: func(call int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
			if call > 0 {
				return acceptAll(in), nil
			}
			out := acceptAll(&sqs.SendMessageBatchInput{Entries: in.Entries[1:]})
			out.Failed = []types.BatchResultErrorEntry{{Id: in.Entries[0].Id, Code: aws.String("InternalError"), Message: aws.String("try again")}}
			return out, nil
		}}
		p := Plan{Jobs: 1, TasksPerJob: 3}
		st, err := Run(t.Context(), sqsFake, "q", p, rec, Hooks{})
		require.NoError(t, err)
		rec.once(t, "", 1)
		assert.Equal(t, 2, st.Calls)
		assert.Equal(t, 1, st.Resent)
		assert.Equal(t, 0, st.Unsent)
		assert.Equal(t, "InternalError: try again", st.LastError)
		sqsFake.mu.Lock()
		defer sqsFake.mu.Unlock()
		require.Len(t, sqsFake.at, 2)
		wait := sqsFake.at[1].Sub(sqsFake.at[0])
		assert.GreaterOrEqual(t, wait, backoffBase/2, "one backoff before the retry")
		assert.LessOrEqual(t, wait, backoffBase)
		assert.Equal(t, wait, st.Elapsed, "and no other wait")
	})
}

func TestSenderFaultIsNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		sqsFake := &fakeSQS{respond: func(call int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
			out := &sqs.SendMessageBatchOutput{}
			for _, e := range in.Entries {
				if strings.Contains(aws.ToString(e.MessageBody), `"job_id":"j1"`) {
					out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, SenderFault: true, Code: aws.String("InvalidMessageContents"), Message: aws.String("bad")})
					continue
				}
				out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id})
			}
			return out, nil
		}}
		st, err := Run(t.Context(), sqsFake, "q", Plan{Jobs: 3, TasksPerJob: 1}, rec, Hooks{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "1 of 3 jobs could not be sent")
		assert.Contains(t, err.Error(), "InvalidMessageContents")
		assert.Equal(t, 2, st.JobsSent)
		assert.Equal(t, 1, st.Unsent)
		assert.Equal(t, []string{"j1"}, st.UnsentIDs)
		assert.Zero(t, st.Resent)
		rec.mu.Lock()
		defer rec.mu.Unlock()
		assert.NotContains(t, rec.times, "j1", "a job SQS refused is never recorded as sent")
	})
}

func TestCallErrorsAreRetriedThenGivenUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sqsFake := &fakeSQS{respond: func(int, *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
			return nil, errors.New("connection reset by peer")
		}}
		st, err := Run(t.Context(), sqsFake, "q", Plan{Jobs: 2, TasksPerJob: 1}, newRecorder(), Hooks{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "2 of 2 jobs could not be sent after 8 attempts")
		assert.Contains(t, err.Error(), "connection reset by peer")
		assert.Equal(t, 2, st.Unsent)
		assert.ElementsMatch(t, []string{"j0", "j1"}, st.UnsentIDs)
		assert.Zero(t, st.JobsSent)

		// Each call attempt but the last is followed by a backoff that grows
		// exponentially (with jitter) up to its cap.
		gaps := sqsFake.gaps()
		require.NotEmpty(t, gaps)
		for bodies, waits := range gaps {
			require.Len(t, waits, maxAttempts-1, "the calls carrying %s", bodies)
			for i, d := range waits {
				step := min(backoffBase<<i, backoffMax)
				assert.GreaterOrEqual(t, d, step/2, "attempt %d", i+1)
				assert.LessOrEqual(t, d, step, "attempt %d", i+1)
			}
		}
	})
}

func TestTransientErrorsThenSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		sqsFake := &fakeSQS{respond: func(call int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
			switch call {
			case 0:
				return nil, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded", Fault: smithy.FaultClient}
			case 1:
				return nil, &smithy.GenericAPIError{Code: "InternalError", Fault: smithy.FaultServer}
			}
			return acceptAll(in), nil
		}}
		st, err := Run(t.Context(), sqsFake, "q", Plan{Jobs: 1, TasksPerJob: 4}, rec, Hooks{})
		require.NoError(t, err)
		rec.once(t, "", 1)
		assert.Equal(t, 3, st.Calls)
		assert.Equal(t, 2, st.Resent)
	})
}

func TestPermanentErrorStopsTheLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sqsFake := &fakeSQS{respond: func(int, *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
			return nil, &types.QueueDoesNotExist{Message: aws.String("The specified queue does not exist.")}
		}}
		st, err := Run(t.Context(), sqsFake, "http://sqs/q", Plan{Jobs: 200, TasksPerJob: 1, Senders: 4}, newRecorder(), Hooks{})
		require.Error(t, err)
		var missing *types.QueueDoesNotExist
		assert.ErrorAs(t, err, &missing)
		assert.Contains(t, err.Error(), "sending to http://sqs/q")
		assert.Equal(t, 200, st.Unsent)
		assert.Less(t, st.Calls, 20, "the load stops instead of trying every job")
		assert.Zero(t, st.Elapsed, "no backoff for an error retrying cannot fix")
	})
}

func TestMalformedAnswerIsRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		sqsFake := &fakeSQS{respond: func(call int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
			if call == 0 {
				return &sqs.SendMessageBatchOutput{}, nil // neither successful nor failed
			}
			return acceptAll(in), nil
		}}
		st, err := Run(t.Context(), sqsFake, "q", Plan{Jobs: 1, TasksPerJob: 1}, rec, Hooks{})
		require.NoError(t, err)
		rec.once(t, "", 1)
		assert.Equal(t, 1, st.Resent)
	})
}

func TestManyFailuresLoseNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Job N's entry fails its first N%4 tries; every fifth call fails as a
		// whole when it carries only fresh jobs. So each job needs at most five
		// tries, whatever the interleaving of the eight senders.
		var mu sync.Mutex
		seen := map[string]int{}
		sqsFake := &fakeSQS{respond: func(call int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
			mu.Lock()
			defer mu.Unlock()
			fresh := true
			for _, e := range in.Entries {
				if seen[aws.ToString(e.MessageBody)] > 0 {
					fresh = false
				}
			}
			if call%5 == 0 && fresh {
				for _, e := range in.Entries {
					seen[aws.ToString(e.MessageBody)]++
				}
				return nil, errors.New("timeout")
			}
			out := &sqs.SendMessageBatchOutput{}
			for _, e := range in.Entries {
				body := aws.ToString(e.MessageBody)
				n, _ := strconv.Atoi(strings.TrimPrefix(jobOf(t, body).JobID, "j"))
				seen[body]++
				if seen[body] <= n%4 {
					out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("ServiceUnavailable")})
				} else {
					out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id})
				}
			}
			return out, nil
		}}
		rec := newRecorder()
		var progress sync.Map
		st, err := Run(t.Context(), sqsFake, "q", Plan{Jobs: 500, TasksPerJob: 2, Senders: 8, Batches: 2}, rec,
			Hooks{Progress: func(n int) { progress.Store(n, true) }})
		require.NoError(t, err)
		rec.once(t, "", 500)
		assert.Equal(t, 1000, st.TasksSent)
		assert.GreaterOrEqual(t, st.Resent, 125+250+375, "jobs 1,2,3 mod 4 fail 1,2,3 times")
		_, sawEnd := progress.Load(500)
		assert.True(t, sawEnd, "progress reports the final count")
	})
}

func TestConstantPacer(t *testing.T) {
	p := ConstantPacer{PerSecond: 4}
	assert.Zero(t, p.Pace(0, 0))
	assert.Equal(t, 250*time.Millisecond, p.Pace(0, 1))
	assert.Equal(t, 150*time.Millisecond, p.Pace(100*time.Millisecond, 1))
	assert.Zero(t, p.Pace(time.Second, 2), "behind schedule: due jobs go at once")
	assert.Zero(t, Unpaced{}.Pace(0, 1000))
	assert.Zero(t, ConstantPacer{}.Pace(0, 5))
}

func TestRateIsPacedOnTheClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		start := time.Now()
		st, err := Run(t.Context(), &fakeSQS{}, "q", Plan{Jobs: 100, TasksPerJob: 1, Rate: 50, Senders: 4}, rec, Hooks{})
		require.NoError(t, err)
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for j := 0; j < 100; j++ {
			at := rec.times[JobID("", j)]
			require.Len(t, at, 1)
			assert.Equal(t, time.Duration(j)*20*time.Millisecond, at[0].Sub(start), "job %d is released at j/rate", j)
		}
		assert.Equal(t, 99*20*time.Millisecond, st.Elapsed, "the last job is due at 99/rate, and sending takes no time in the bubble")
	})
}

func TestBatchesAreLimitedBySize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sqsFake := &fakeSQS{}
		p := Plan{Jobs: 9, TasksPerJob: 1, Payload: 100 * 1024}
		_, err := Run(t.Context(), sqsFake, "q", p, newRecorder(), Hooks{})
		require.NoError(t, err)
		total := 0
		for _, call := range sqsFake.callBodies() {
			size := 0
			for _, b := range call {
				size += len(b)
			}
			assert.LessOrEqual(t, size, MaxMessageBytes, "a SendMessageBatch call carries at most 256 KiB")
			assert.LessOrEqual(t, len(call), 2)
			total += len(call)
		}
		assert.Equal(t, 9, total)
	})
}

func TestBatchesHoldAtMostTenEntries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sqsFake := &fakeSQS{}
		_, err := Run(t.Context(), sqsFake, "q", Plan{Jobs: 305, TasksPerJob: 1}, newRecorder(), Hooks{})
		require.NoError(t, err)
		total := 0
		for _, call := range sqsFake.callBodies() {
			assert.LessOrEqual(t, len(call), maxBatchEntries)
			total += len(call)
		}
		assert.Equal(t, 305, total)
	})
}

func TestBatchesAndHooksInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var log []string
		add := func(s string) { mu.Lock(); log = append(log, s); mu.Unlock() }
		start := time.Now()
		sqsFake := &fakeSQS{respond: func(call int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
			var ids []string
			for _, e := range in.Entries {
				ids = append(ids, jobOf(t, aws.ToString(e.MessageBody)).JobID)
			}
			sort.Strings(ids)
			add("send " + strings.Join(ids, ","))
			return acceptAll(in), nil
		}}
		h := Hooks{
			BeforeBatch: func(ctx context.Context, b int) error {
				add(fmt.Sprint("before ", b, " at ", time.Since(start)))
				return nil
			},
			BatchSent: func(b int) { add(fmt.Sprint("sent ", b, " at ", time.Since(start))) },
		}
		// One sender: the calls of a batch then come in a known order.
		st, err := Run(t.Context(), sqsFake, "q", Plan{Jobs: 7, TasksPerJob: 1, Batches: 3, BatchInterval: time.Second}, newRecorder(), h)
		require.NoError(t, err)
		assert.Equal(t, 3, st.Batches)

		// Within a batch the sender may split the jobs over several calls;
		// join them to compare batch membership.
		var got []string
		for _, l := range log {
			if strings.HasPrefix(l, "send ") && len(got) > 0 && strings.HasPrefix(got[len(got)-1], "send ") {
				got[len(got)-1] += "," + strings.TrimPrefix(l, "send ")
				continue
			}
			got = append(got, l)
		}
		for i, l := range got {
			if strings.HasPrefix(l, "send ") {
				ids := strings.Split(strings.TrimPrefix(l, "send "), ",")
				sort.Strings(ids)
				got[i] = "send " + strings.Join(ids, ",")
			}
		}
		assert.Equal(t, []string{
			"before 0 at 0s", "send j0,j1,j2", "sent 0 at 0s",
			"before 1 at 1s", "send j3,j4", "sent 1 at 1s",
			"before 2 at 2s", "send j5,j6", "sent 2 at 2s",
		}, got)
	})
}

func TestBeforeBatchErrorStopsTheLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		h := Hooks{BeforeBatch: func(ctx context.Context, b int) error {
			if b == 1 {
				return errors.New("service never drained")
			}
			return nil
		}}
		st, err := Run(t.Context(), &fakeSQS{}, "q", Plan{Jobs: 6, TasksPerJob: 1, Batches: 2}, rec, h)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "before batch 1: service never drained")
		assert.Contains(t, err.Error(), "3 of 6 jobs sent")
		assert.Equal(t, 3, st.JobsSent)
		assert.Equal(t, 3, st.Unsent)
		assert.Equal(t, 1, st.Batches)
		rec.once(t, "", 3)
	})
}

func TestCancelledContextStopsAndAccounts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		sqsFake := &fakeSQS{respond: func(call int, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
			if call == 3 {
				cancel()
				return nil, ctx.Err()
			}
			return acceptAll(in), nil
		}}
		rec := newRecorder()
		st, err := Run(ctx, sqsFake, "q", Plan{Jobs: 1000, TasksPerJob: 1, Senders: 2}, rec, Hooks{})
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 1000, st.JobsSent+st.Unsent)
		assert.Positive(t, st.Unsent)
		rec.mu.Lock()
		defer rec.mu.Unlock()
		assert.Len(t, rec.times, st.JobsSent)
	})
}

func TestPayloadLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Find the largest payload that fits: the error names it.
		_, err := Run(t.Context(), &fakeSQS{}, "q", Plan{Jobs: 10, TasksPerJob: 5, Payload: MaxMessageBytes}, newRecorder(), Hooks{})
		require.Error(t, err)
		msg := err.Error()
		assert.Contains(t, msg, "Payload 262144")
		i := strings.Index(msg, "at most ")
		require.Positive(t, i, msg)
		allowed, convErr := strconv.Atoi(strings.Fields(msg[i+len("at most "):])[0])
		require.NoError(t, convErr)

		sqsFake := &fakeSQS{}
		_, err = Run(t.Context(), sqsFake, "q", Plan{Jobs: 10, TasksPerJob: 5, Payload: allowed}, newRecorder(), Hooks{})
		require.NoError(t, err, "the advertised maximum must fit")
		assert.Len(t, sqsFake.callBodies()[9], 1)
		assert.Len(t, sqsFake.callBodies()[9][0], MaxMessageBytes, "the last (longest) job is exactly at the limit")
		_, err = Run(t.Context(), &fakeSQS{}, "q", Plan{Jobs: 10, TasksPerJob: 5, Payload: allowed + 1}, newRecorder(), Hooks{})
		require.Error(t, err)

		_, err = Run(t.Context(), &fakeSQS{}, "q", Plan{Jobs: 1, TasksPerJob: 10000}, newRecorder(), Hooks{})
		require.ErrorContains(t, err, "lower TasksPerJob")
	})
}

func TestPlanValidation(t *testing.T) {
	for _, tc := range []struct {
		plan Plan
		want string
	}{
		{Plan{Jobs: 0, TasksPerJob: 1}, "Jobs is 0"},
		{Plan{Jobs: 1, TasksPerJob: 0}, "TasksPerJob is 0"},
		{Plan{Jobs: 2, TasksPerJob: 1, Batches: 3}, "Batches is 3"},
		{Plan{Jobs: 2, TasksPerJob: 1, Senders: -1}, "Senders is -1"},
		{Plan{Jobs: 2, TasksPerJob: 1, Rate: -1}, "Rate is -1"},
		{Plan{Jobs: 2, TasksPerJob: 1, Payload: -1}, "Payload is -1"},
		{Plan{Jobs: 2, TasksPerJob: 1, BatchInterval: -time.Second}, "BatchInterval is -1s"},
	} {
		sqsFake := &fakeSQS{}
		_, err := Run(t.Context(), sqsFake, "q", tc.plan, newRecorder(), Hooks{})
		assert.ErrorContains(t, err, tc.want)
		assert.Empty(t, sqsFake.callBodies(), "nothing is sent on an invalid plan")
	}
}
