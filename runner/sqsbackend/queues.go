package sqsbackend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqsperf/sqsperf/runner/exitcode"
)

// QueueSpec names the queues a scenario needs, before prefixing.
type QueueSpec struct {
	Jobs, Tasks string
	// DeadLetter is optional; without it the work queues have no redrive.
	DeadLetter        string
	VisibilityTimeout time.Duration
	MaxReceiveCount   int
	WaitTime          time.Duration
	// Prefix goes between the backend's prefix and each name. A backend
	// shared by several repeats gives each its own, so that one repeat's
	// queues never hold another's messages.
	Prefix string
}

// Queues are the created queues' URLs.
type Queues struct {
	Jobs, Tasks, DeadLetter string
	// Names maps each logical name of the spec to the real (prefixed) name.
	Names map[string]string
}

// SQS limits that CreateQueue enforces; checked here so the error names
// the scenario's field rather than echoing an API error.
const (
	maxQueueNameLen   = 80
	maxVisibility     = 12 * time.Hour
	maxWaitTime       = 20 * time.Second
	maxMaxReceiveCnt  = 1000
	fifoSuffix        = ".fifo"
	logicalJobs       = "jobs"
	logicalTasks      = "tasks"
	logicalDeadLetter = "dead letter"
)

// CreateQueues creates the dead-letter queue first (its ARN is needed for
// the redrive policy), then the jobs and tasks queues with a RedrivePolicy
// pointing at it. Every name gets the backend's prefix. Each queue created
// is remembered so that Close can delete it.
func (b *Backend) CreateQueues(ctx context.Context, spec QueueSpec) (Queues, error) {
	if err := b.validate(spec); err != nil {
		return Queues{}, err
	}
	q := Queues{Names: map[string]string{}}
	attrs := map[string]string{
		string(types.QueueAttributeNameVisibilityTimeout):             strconv.Itoa(int(math.Ceil(spec.VisibilityTimeout.Seconds()))),
		string(types.QueueAttributeNameReceiveMessageWaitTimeSeconds): strconv.Itoa(int(math.Ceil(spec.WaitTime.Seconds()))),
	}
	if spec.DeadLetter != "" {
		url, err := b.createQueue(ctx, spec.Prefix+spec.DeadLetter, nil)
		if err != nil {
			return q, err
		}
		q.DeadLetter = url
		q.Names[spec.DeadLetter] = b.Prefix + spec.Prefix + spec.DeadLetter
		out, err := b.Client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl:       aws.String(url),
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
		})
		if err != nil {
			return q, b.apiError("reading the dead-letter queue's ARN", err)
		}
		arn := out.Attributes[string(types.QueueAttributeNameQueueArn)]
		if arn == "" {
			return q, exitcode.Errorf(exitcode.Environment, "sqs backend %s: the endpoint returned no QueueArn for %s; it cannot be used as a dead-letter queue", b.Kind, url)
		}
		policy, _ := json.Marshal(map[string]any{"deadLetterTargetArn": arn, "maxReceiveCount": strconv.Itoa(spec.MaxReceiveCount)})
		attrs[string(types.QueueAttributeNameRedrivePolicy)] = string(policy)
	}
	for _, w := range []struct {
		name string
		dst  *string
	}{{spec.Jobs, &q.Jobs}, {spec.Tasks, &q.Tasks}} {
		url, err := b.createQueue(ctx, spec.Prefix+w.name, attrs)
		if err != nil {
			return q, err
		}
		*w.dst = url
		q.Names[w.name] = b.Prefix + spec.Prefix + w.name
	}
	b.log.Info("sqs queues created", "backend", b.Kind, "jobs", q.Jobs, "tasks", q.Tasks, "dead_letter", q.DeadLetter)
	return q, nil
}

func (b *Backend) validate(spec QueueSpec) error {
	bad := func(format string, args ...any) error {
		return exitcode.Errorf(exitcode.Usage, "sqs queues: "+format, args...)
	}
	seen := map[string]string{}
	for _, n := range []struct{ logical, name string }{{logicalJobs, spec.Jobs}, {logicalTasks, spec.Tasks}, {logicalDeadLetter, spec.DeadLetter}} {
		if n.name == "" {
			if n.logical == logicalDeadLetter {
				continue
			}
			return bad("the %s queue has no name", n.logical)
		}
		if other, dup := seen[n.name]; dup {
			return bad("the %s and %s queues are both named %q; give each its own name", other, n.logical, n.name)
		}
		seen[n.name] = n.logical
		if err := validQueueName(b.Prefix + spec.Prefix + n.name); err != nil {
			return bad("%s queue %q: %v", n.logical, b.Prefix+spec.Prefix+n.name, err)
		}
	}
	fifo := strings.HasSuffix(spec.Jobs, fifoSuffix)
	if strings.HasSuffix(spec.Tasks, fifoSuffix) != fifo || (spec.DeadLetter != "" && strings.HasSuffix(spec.DeadLetter, fifoSuffix) != fifo) {
		return bad("mixing FIFO (.fifo) and standard queues: a FIFO queue's dead-letter queue must be FIFO too; name all of them with or without .fifo")
	}
	if spec.VisibilityTimeout < 0 || spec.VisibilityTimeout > maxVisibility {
		return bad("visibility timeout %v is outside 0s..12h", spec.VisibilityTimeout)
	}
	if spec.WaitTime < 0 || spec.WaitTime > maxWaitTime {
		return bad("receive wait time %v is outside 0s..20s", spec.WaitTime)
	}
	if spec.DeadLetter != "" && (spec.MaxReceiveCount < 1 || spec.MaxReceiveCount > maxMaxReceiveCnt) {
		return bad("max receive count %d is outside 1..1000 (it decides when a message goes to the dead-letter queue)", spec.MaxReceiveCount)
	}
	return nil
}

// validQueueName applies SQS's naming rule: 1 to 80 letters, digits,
// hyphens and underscores, plus ".fifo" at the end of a FIFO queue.
func validQueueName(name string) error {
	if len(name) > maxQueueNameLen {
		return fmt.Errorf("is %d characters long; SQS allows at most %d (with the prefix): use shorter names or a shorter prefix", len(name), maxQueueNameLen)
	}
	base := strings.TrimSuffix(name, fifoSuffix)
	if base == "" {
		return errors.New("is empty")
	}
	for _, r := range base {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("contains %q; SQS queue names allow letters, digits, '-' and '_' (and a .fifo suffix)", r)
		}
	}
	return nil
}

func (b *Backend) createQueue(ctx context.Context, logical string, attrs map[string]string) (string, error) {
	name := b.Prefix + logical
	if b.guardExisting {
		out, err := b.Client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		if err == nil {
			return "", exitcode.Errorf(exitcode.Environment,
				"sqs backend %s: queue %s already exists at %s; sqsperf deletes the queues it creates and will not adopt one it did not create: use another prefix (or none, for a unique one per run) or delete %s",
				b.Kind, name, b.Endpoint, aws.ToString(out.QueueUrl))
		}
		var missing *types.QueueDoesNotExist
		if !errors.As(err, &missing) {
			return "", b.apiError("checking whether queue "+name+" exists", err)
		}
	}
	all := map[string]string{}
	for k, v := range attrs {
		all[k] = v
	}
	if strings.HasSuffix(name, fifoSuffix) {
		all[string(types.QueueAttributeNameFifoQueue)] = "true"
	}
	out, err := b.Client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: all})
	if err != nil {
		return "", b.apiError("creating queue "+name, err)
	}
	url := aws.ToString(out.QueueUrl)
	b.mu.Lock()
	b.created = append(b.created, url)
	b.mu.Unlock()
	return url, nil
}

// DeleteQueues deletes the queues of q that this backend created (the work
// queues first, then the dead-letter queue their redrive points at) and
// forgets them, so that Close does not try again. A backend shared by
// several repeats calls it after each; ctx bounds the calls: an endpoint
// that stopped answering must not hold the run.
func (b *Backend) DeleteQueues(ctx context.Context, q Queues) error {
	if b == nil || b.Client == nil {
		return nil
	}
	var errs []error
	for _, url := range []string{q.Jobs, q.Tasks, q.DeadLetter} {
		if url == "" || !b.forget(url) {
			continue
		}
		if err := deleteQueue(ctx, b.Client, url); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return exitcode.Wrap(exitcode.Environment, fmt.Errorf("sqs backend %s: deleting a repeat's queues: %w", b.Kind, errors.Join(errs...)))
	}
	return nil
}

// forget removes url from the queues Close deletes and says whether this
// backend had created it (a load-only run's queues are not its own).
func (b *Backend) forget(url string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, u := range b.created {
		if u == url {
			b.created = append(b.created[:i], b.created[i+1:]...)
			return true
		}
	}
	return false
}

func (b *Backend) apiError(what string, err error) error {
	return exitcode.Errorf(exitcode.Environment, "sqs backend %s at %s: %s: %w; check that the endpoint is reachable and the credentials may create and delete queues", b.Kind, b.Endpoint, what, err)
}

func deleteQueue(ctx context.Context, c *sqs.Client, url string) error {
	_, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
	var missing *types.QueueDoesNotExist
	if err != nil && !errors.As(err, &missing) {
		return fmt.Errorf("deleting queue %s: %w", url, err)
	}
	return nil
}
