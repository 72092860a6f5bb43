package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sqsperf/sqsperf/runner/result"
	"github.com/sqsperf/sqsperf/runner/sqsbackend"
)

// Backends opens the SQS backends of one invocation. A backend that is
// slow to start (a LocalStack container: 20-60 s; a remote endpoint: a
// credentials chain and a first round trip) is opened once and shared by
// every case and repeat; each repeat gets its own queues under a unique
// prefix, created before it and deleted after it, so repeats stay
// isolated.
//
// The embedded backend is opened fresh for every repeat instead: it is
// ready in milliseconds, and a fresh server means nothing a repeat left
// in memory (leases, deleted queues' maps, idle connections, the
// server's goroutines) can shift the next repeat's CPU, allocation and
// heap figures, which are measured in this very process.
type Backends struct {
	mu     sync.Mutex
	shared map[backendKey]*sharedBackend
	opened []result.BackendInstance
	seq    int // backends opened, for instance ids
	queues int // queue sets handed out, for unique prefixes
	// open opens a backend; sqsbackend.Open unless a test counts opens.
	open func(context.Context, sqsbackend.Config) (*sqsbackend.Backend, error)
}

// backendKey names a backend: the Config without its functions.
type backendKey struct{ kind, endpoint, region, prefix, image string }

type sharedBackend struct {
	b  *sqsbackend.Backend
	id string
}

// NewBackends returns an empty set; Close it when the invocation ends.
func NewBackends() *Backends {
	return &Backends{shared: map[backendKey]*sharedBackend{}, open: sqsbackend.Open}
}

// sharedKind says whether a backend kind is opened once per invocation.
func sharedKind(kind string) bool { return kind != sqsbackend.Embedded && kind != "" }

// repeatBackend is the backend one repeat runs on.
type repeatBackend struct {
	*sqsbackend.Backend
	// ID names the instance within the invocation ("endpoint#1").
	ID string
	// Start is what this repeat waited for the backend: its start time
	// when opened for it, 0 when it was already running.
	Start time.Duration
	// release closes a backend opened for this repeat only.
	release func(context.Context) error
}

// acquire returns the backend a repeat runs on: a fresh one for the
// embedded kind, the invocation's shared one otherwise (opened on first
// use).
func (p *Backends) acquire(ctx context.Context, cfg sqsbackend.Config) (repeatBackend, error) {
	if !sharedKind(cfg.Kind) {
		b, id, err := p.openNew(ctx, cfg)
		if err != nil {
			return repeatBackend{}, err
		}
		return repeatBackend{Backend: b, ID: id, Start: b.StartDuration, release: b.Close}, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock() // one opener at a time: a second repeat waits for the first's container
	key := backendKey{cfg.Kind, cfg.Endpoint, cfg.Region, cfg.Prefix, cfg.Image}
	if s, ok := p.shared[key]; ok {
		return repeatBackend{Backend: s.b, ID: s.id, release: noRelease}, nil
	}
	b, id, err := p.openNewLocked(ctx, cfg)
	if err != nil {
		return repeatBackend{}, err
	}
	p.shared[key] = &sharedBackend{b: b, id: id}
	return repeatBackend{Backend: b, ID: id, Start: b.StartDuration, release: noRelease}, nil
}

func noRelease(context.Context) error { return nil }

func (p *Backends) openNew(ctx context.Context, cfg sqsbackend.Config) (*sqsbackend.Backend, string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.openNewLocked(ctx, cfg)
}

func (p *Backends) openNewLocked(ctx context.Context, cfg sqsbackend.Config) (*sqsbackend.Backend, string, error) {
	b, err := p.open(ctx, cfg)
	if err != nil {
		return nil, "", envError(fmt.Errorf("starting the %s SQS backend: %w", cfg.Kind, err))
	}
	p.seq++
	id := fmt.Sprintf("%s#%d", b.Kind, p.seq)
	if sharedKind(b.Kind) {
		p.opened = append(p.opened, result.BackendInstance{ID: id, Kind: b.Kind, Start: b.StartDuration.Seconds()})
	}
	return b, id, nil
}

// queuePrefix is unique among the queue sets of this invocation; the
// shared backend's own prefix (unique per invocation for an endpoint)
// comes before it.
func (p *Backends) queuePrefix() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queues++
	return fmt.Sprintf("r%d-", p.queues)
}

// instances lists the shared backends opened so far, with their start
// times: each is recorded once here, and the repeats that reuse one
// record 0.
func (p *Backends) instances() []result.BackendInstance {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]result.BackendInstance(nil), p.opened...)
}

// Close closes every shared backend (deleting any queue still left);
// ctx bounds it.
func (p *Backends) Close(ctx context.Context) error {
	p.mu.Lock()
	shared := p.shared
	p.shared = map[backendKey]*sharedBackend{}
	p.mu.Unlock()
	var errs []error
	for _, s := range shared {
		errs = append(errs, s.b.Close(ctx))
	}
	return errors.Join(errs...)
}
