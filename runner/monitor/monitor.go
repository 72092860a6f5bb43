// Package monitor shows SQS queues live: visible, in flight, delayed, total
// and the rate the total moves at, coloured by thresholds. It is the Go
// counterpart of the original guide's hand-made queue monitor, usable
// against any SQS endpoint and, through New, inside a scenario run.
package monitor

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqsperf/sqsperf/runner/probe"
)

// API is what the monitor asks of SQS; *sqs.Client satisfies it.
type API interface {
	probe.QueueAttributesAPI
	ListQueues(ctx context.Context, in *sqs.ListQueuesInput, opts ...func(*sqs.Options)) (*sqs.ListQueuesOutput, error)
}

var _ API = (*sqs.Client)(nil)

// Thresholds colour a queue. A queue is yellow from Backlog messages in
// total and red from BacklogRed; a dead-letter queue is red as soon as it
// holds anything, because every message there is work that failed.
type Thresholds struct {
	Backlog    int64
	BacklogRed int64
	// StalledAfter is how long visible messages may sit with nothing in
	// flight and the total not falling before the queue is flagged
	// "stalled" (no consumer is taking them).
	StalledAfter time.Duration
}

// DefaultThresholds fit the scenarios' queue sizes.
var DefaultThresholds = Thresholds{Backlog: 100, BacklogRed: 1000, StalledAfter: 5 * time.Second}

// Options configure a Monitor.
type Options struct {
	// Interval between refreshes. Default 1s.
	Interval time.Duration
	// Interactive redraws one table in place with colours (ANSI); off, each
	// refresh appends plain lines, fit for logs and pipes.
	Interactive bool
	// Title heads the interactive view, such as the endpoint URL.
	Title      string
	Thresholds Thresholds
	// Names, when the monitor lists queues itself (no fixed set), keeps
	// only these names; a name not listed shows as a row with an error, so
	// a monitor started before the scenario creates its queues waits for
	// them instead of failing.
	Names []string
	// Prefix narrows the listing to queue names that start with it (runs
	// prefix their queues so concurrent runs never collide).
	Prefix string
	// Now is the clock; tests inject one.
	Now func() time.Time
}

// QueueState is one queue in a snapshot.
type QueueState struct {
	Name string
	URL  string
	probe.Depth
	// Rate is the change of the total per second since the previous
	// snapshot: negative while draining. HasRate is false on the first.
	Rate    float64
	HasRate bool
	// StalledFor is how long the queue has had visible messages, none in
	// flight and a total that is not falling.
	StalledFor time.Duration
	Err        string
}

// Snapshot is one refresh.
type Snapshot struct {
	At     time.Time
	Queues []QueueState
	// Err is a problem with the whole refresh (listing queues failed).
	Err string
}

// Monitor samples queues and renders them.
type Monitor struct {
	w      io.Writer
	api    API
	queues map[string]string // fixed set; nil lists all queues each refresh
	opts   Options

	mu     sync.Mutex
	prev   map[string]QueueState
	prevAt time.Time
	drawn  bool // the interactive view has cleared the screen once
}

// New returns a monitor of queues (name -> URL) that writes to w. With no
// queues it lists every queue of the endpoint on each refresh, so queues
// created later appear.
func New(w io.Writer, api API, queues map[string]string, opts Options) *Monitor {
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Thresholds == (Thresholds{}) {
		opts.Thresholds = DefaultThresholds
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Monitor{w: w, api: api, queues: queues, opts: opts, prev: map[string]QueueState{}}
}

// Run refreshes every Interval until ctx ends, then returns nil.
func (m *Monitor) Run(ctx context.Context) error {
	ticker := time.NewTicker(m.opts.Interval)
	defer ticker.Stop()
	for {
		if err := m.Render(m.Sample(ctx)); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// Sample reads every queue once and computes rates against the previous
// sample.
func (m *Monitor) Sample(ctx context.Context) Snapshot {
	// A hung endpoint must not freeze the view for longer than a refresh.
	ctx, cancel := context.WithTimeout(ctx, max(m.opts.Interval, time.Second))
	defer cancel()
	snap := Snapshot{}
	queues := m.queues
	if len(queues) == 0 {
		var err error
		queues, err = listQueues(ctx, m.api, m.opts.Prefix)
		if err != nil {
			snap.At = m.opts.Now()
			snap.Err = fmt.Sprintf("listing queues: %v", err)
			return snap
		}
		if len(m.opts.Names) > 0 {
			queues = keep(queues, m.opts.Names)
		}
	}
	names := make([]string, 0, len(queues))
	for n := range queues {
		names = append(names, n)
	}
	sort.Strings(names)
	states := make([]QueueState, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := QueueState{Name: n, URL: queues[n]}
			if st.URL == "" {
				st.Err = "queue not found (yet)"
				states[i] = st
				return
			}
			d, err := probe.ReadDepth(ctx, m.api, queues[n])
			if err != nil {
				st.Err = err.Error()
			}
			st.Depth = d
			states[i] = st
		}()
	}
	wg.Wait()
	snap.At = m.opts.Now()

	m.mu.Lock()
	defer m.mu.Unlock()
	elapsed := snap.At.Sub(m.prevAt)
	next := make(map[string]QueueState, len(states))
	for i := range states {
		st := &states[i]
		if prev, ok := m.prev[st.Name]; ok && st.Err == "" && prev.Err == "" && elapsed > 0 {
			st.Rate = float64(st.Total()-prev.Total()) / elapsed.Seconds()
			st.HasRate = true
			if st.Visible > 0 && st.InFlight == 0 && st.Total() >= prev.Total() {
				st.StalledFor = prev.StalledFor + elapsed
			}
		}
		next[st.Name] = *st
	}
	m.prev, m.prevAt = next, snap.At
	snap.Queues = states
	return snap
}

// listQueues returns every queue of the endpoint by name, following
// NextToken.
func listQueues(ctx context.Context, api API, prefix string) (map[string]string, error) {
	out := map[string]string{}
	var token *string
	for {
		in := &sqs.ListQueuesInput{NextToken: token, MaxResults: aws.Int32(1000)}
		if prefix != "" {
			in.QueueNamePrefix = aws.String(prefix)
		}
		page, err := api.ListQueues(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, u := range page.QueueUrls {
			out[QueueName(u)] = u
		}
		if page.NextToken == nil || *page.NextToken == "" {
			return out, nil
		}
		token = page.NextToken
	}
}

// keep returns the named queues; a name that is not there maps to "".
func keep(all map[string]string, names []string) map[string]string {
	out := make(map[string]string, len(names))
	for _, n := range names {
		out[n] = all[n]
	}
	return out
}

// QueueName is the last path segment of a queue URL.
func QueueName(url string) string {
	url = strings.TrimRight(url, "/")
	if i := strings.LastIndexByte(url, '/'); i >= 0 {
		return url[i+1:]
	}
	return url
}
