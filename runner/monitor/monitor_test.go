package monitor

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/sqsperf/sqsperf/internal/syncbuf"
	"github.com/sqsperf/sqsperf/runner/probe"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func fixedSnapshot() Snapshot {
	return Snapshot{
		At: time.Date(2026, 11, 29, 1, 2, 3, 0, time.UTC),
		Queues: []QueueState{
			{Name: "download-tasks", URL: "u1", Depth: probe.Depth{Visible: 40, InFlight: 8, Delayed: 2}, Rate: -12.5, HasRate: true},
			{Name: "download-tasks-dlq", URL: "u2", Depth: probe.Depth{Visible: 3}, Rate: 0, HasRate: true},
			{Name: "export-jobs", URL: "u3", Depth: probe.Depth{Visible: 1200, InFlight: 10}, Rate: 250, HasRate: true},
			{Name: "idle", URL: "u4", HasRate: false},
			{Name: "orphans", URL: "u5", Depth: probe.Depth{Visible: 5}, HasRate: true, StalledFor: 6 * time.Second},
			{Name: "gone", URL: "u6", Err: "QueueDoesNotExist: The specified queue does not exist."},
		},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with -update to create %s", path)
	if !bytes.Equal(want, got) {
		_ = os.WriteFile(path+".got", got, 0o644)
		t.Fatalf("%s differs from the output (written to %s.got; -update accepts it):\n%s", path, path, got)
	}
}

func TestRenderPlainGolden(t *testing.T) {
	var buf bytes.Buffer
	m := New(&buf, nil, nil, Options{})
	require.NoError(t, m.Render(fixedSnapshot()))
	golden(t, "plain.golden", buf.Bytes())
	assert.NotContains(t, buf.String(), "\x1b[", "no escape codes when not a terminal")
}

func TestRenderInteractiveGolden(t *testing.T) {
	var buf bytes.Buffer
	m := New(&buf, nil, nil, Options{Interactive: true, Title: "http://127.0.0.1:9324"})
	require.NoError(t, m.Render(fixedSnapshot()))
	golden(t, "interactive.golden", buf.Bytes())
	assert.True(t, strings.HasPrefix(buf.String(), ansiClear+ansiHome), "the first frame clears the screen")
	assert.True(t, strings.HasSuffix(buf.String(), ansiClrDown), "clears what a longer frame left")
	buf.Reset()
	require.NoError(t, m.Render(fixedSnapshot()))
	assert.True(t, strings.HasPrefix(buf.String(), ansiHome), "later frames redraw in place without clearing")
}

func TestJudge(t *testing.T) {
	th := DefaultThresholds
	for _, c := range []struct {
		name  string
		q     QueueState
		level Level
		flags []string
	}{
		{"empty", QueueState{Name: "q"}, Green, nil},
		{"draining backlog", QueueState{Name: "q", Depth: probe.Depth{Visible: 150}, Rate: -5, HasRate: true}, Yellow, []string{"backlog>=100"}},
		{"red backlog", QueueState{Name: "q", Depth: probe.Depth{Delayed: 1000}}, Red, []string{"backlog>=1000"}},
		{"growing", QueueState{Name: "q", Depth: probe.Depth{Visible: 2}, Rate: 1, HasRate: true}, Yellow, []string{"growing"}},
		{"dlq", QueueState{Name: "jobs_DLQ", Depth: probe.Depth{Visible: 1}, Rate: 1, HasRate: true}, Red, []string{"dead-letters"}},
		{"fifo dlq", QueueState{Name: "jobs-dead-letter.fifo", Depth: probe.Depth{Visible: 1}}, Red, []string{"dead-letters"}},
		{"stalled", QueueState{Name: "q", Depth: probe.Depth{Visible: 1}, StalledFor: 5 * time.Second}, Yellow, []string{"stalled"}},
		{"error", QueueState{Name: "q", Err: "boom"}, Red, []string{"error"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			level, flags := Judge(c.q, th)
			assert.Equal(t, c.level, level)
			assert.Equal(t, c.flags, flags)
		})
	}
}

// fakeSQS holds queue depths by URL and pages ListQueues two at a time, so
// the monitor must follow NextToken.
type fakeSQS struct {
	mu      sync.Mutex
	depths  map[string]probe.Depth
	failURL map[string]bool
	listErr error
	lists   int
}

func newFake(depths map[string]probe.Depth) *fakeSQS {
	return &fakeSQS{depths: depths, failURL: map[string]bool{}}
}

func (f *fakeSQS) set(url string, d probe.Depth) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.depths[url] = d
}

func (f *fakeSQS) GetQueueAttributes(_ context.Context, in *sqs.GetQueueAttributesInput, _ ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	url := aws.ToString(in.QueueUrl)
	d, ok := f.depths[url]
	if !ok || f.failURL[url] {
		return nil, errors.New("QueueDoesNotExist")
	}
	return &sqs.GetQueueAttributesOutput{Attributes: map[string]string{
		"ApproximateNumberOfMessages":           strconv.FormatInt(d.Visible, 10),
		"ApproximateNumberOfMessagesNotVisible": strconv.FormatInt(d.InFlight, 10),
		"ApproximateNumberOfMessagesDelayed":    strconv.FormatInt(d.Delayed, 10),
	}}, nil
}

func (f *fakeSQS) ListQueues(_ context.Context, in *sqs.ListQueuesInput, _ ...func(*sqs.Options)) (*sqs.ListQueuesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	if f.listErr != nil {
		return nil, f.listErr
	}
	var urls []string
	for u := range f.depths {
		if in.QueueNamePrefix == nil || strings.HasPrefix(QueueName(u), *in.QueueNamePrefix) {
			urls = append(urls, u)
		}
	}
	sortStrings(urls)
	start := 0
	if in.NextToken != nil {
		start, _ = strconv.Atoi(*in.NextToken)
	}
	end := min(start+2, len(urls))
	out := &sqs.ListQueuesOutput{QueueUrls: urls[start:end]}
	if end < len(urls) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func sortStrings(s []string) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

type stepClock struct{ t time.Time }

func (c *stepClock) now() time.Time { return c.t }

func TestSampleListsAllQueuesAndComputesRates(t *testing.T) {
	f := newFake(map[string]probe.Depth{
		"http://h/000/a": {Visible: 10},
		"http://h/000/b": {Visible: 4, InFlight: 0},
		"http://h/000/c": {},
	})
	clock := &stepClock{t: time.Unix(100, 0)}
	m := New(&bytes.Buffer{}, f, nil, Options{Now: clock.now})

	s1 := m.Sample(t.Context())
	require.Empty(t, s1.Err)
	require.Len(t, s1.Queues, 3, "all pages followed")
	assert.Equal(t, []string{"a", "b", "c"}, []string{s1.Queues[0].Name, s1.Queues[1].Name, s1.Queues[2].Name})
	assert.False(t, s1.Queues[0].HasRate, "no rate before a second sample")

	f.set("http://h/000/a", probe.Depth{Visible: 4, InFlight: 2})
	f.set("http://h/000/d", probe.Depth{Visible: 1}) // created meanwhile
	clock.t = clock.t.Add(2 * time.Second)
	s2 := m.Sample(t.Context())
	require.Len(t, s2.Queues, 4, "new queues appear")
	a := s2.Queues[0]
	assert.True(t, a.HasRate)
	assert.InDelta(t, -2.0, a.Rate, 1e-9, "10 -> 6 in 2s")
	assert.Equal(t, 2*time.Second, s2.Queues[1].StalledFor, "b: visible, nothing in flight, not falling")
	assert.False(t, s2.Queues[3].HasRate, "d is new")
}

func TestSampleFixedQueuesWithErrors(t *testing.T) {
	f := newFake(map[string]probe.Depth{"u1": {Visible: 1}})
	m := New(&bytes.Buffer{}, f, map[string]string{"one": "u1", "missing": "u2"}, Options{})
	s := m.Sample(t.Context())
	require.Len(t, s.Queues, 2)
	assert.Equal(t, "missing", s.Queues[0].Name)
	assert.Contains(t, s.Queues[0].Err, "QueueDoesNotExist")
	assert.Equal(t, int64(1), s.Queues[1].Visible)
	assert.Zero(t, f.lists, "a fixed set is never listed")

	f.listErr = errors.New("connection refused")
	all := New(&bytes.Buffer{}, f, nil, Options{})
	s = all.Sample(t.Context())
	assert.Equal(t, "listing queues: connection refused", s.Err)
	var buf bytes.Buffer
	require.NoError(t, New(&buf, f, nil, Options{}).Render(s))
	assert.Contains(t, buf.String(), "error: listing queues: connection refused")
}

func TestNamesFilterTheListingAndShowMissingOnes(t *testing.T) {
	f := newFake(map[string]probe.Depth{"http://h/000/run1-jobs": {Visible: 2}, "http://h/000/run1-tasks": {}, "http://h/000/other": {}})
	m := New(&bytes.Buffer{}, f, nil, Options{Names: []string{"run1-jobs", "run1-dlq"}, Prefix: "run1-"})
	s := m.Sample(t.Context())
	require.Len(t, s.Queues, 2)
	assert.Equal(t, "run1-dlq", s.Queues[0].Name)
	assert.Equal(t, "queue not found (yet)", s.Queues[0].Err)
	assert.Equal(t, int64(2), s.Queues[1].Visible)
}

func TestRunRefreshesUntilCancelled(t *testing.T) {
	f := newFake(map[string]probe.Depth{"u1": {Visible: 3}})
	var buf syncbuf.Buffer
	m := New(&buf, f, map[string]string{"jobs": "u1"}, Options{Interval: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	require.Eventually(t, func() bool { return strings.Count(buf.String(), "jobs visible=3") >= 3 }, 20*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	assert.Contains(t, buf.String(), "rate=→0/s status=green")
}

func TestQueueName(t *testing.T) {
	assert.Equal(t, "jobs", QueueName("http://127.0.0.1:9324/000000000000/jobs"))
	assert.Equal(t, "jobs", QueueName("http://127.0.0.1:9324/000000000000/jobs/"))
	assert.Equal(t, "jobs", QueueName("jobs"))
}
