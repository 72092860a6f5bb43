package sqsemu

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// Limits and defaults of Amazon SQS queue attributes.
const (
	defaultVisibilityTimeout = 30
	maxVisibilityTimeout     = 43200 // 12 hours
	maxDelaySeconds          = 900
	maxMessageSizeLimit      = 1048576 // 1 MiB
	minMessageSizeLimit      = 1024
	defaultRetention         = 345600 // 4 days
	minRetention             = 60
	maxRetention             = 1209600 // 14 days
	maxWaitTimeSeconds       = 20
	maxBatchEntries          = 10
	fifoDedupWindowSeconds   = 300
	maxReceiveCountLimit     = 1000
)

type redrivePolicy struct {
	DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	MaxReceiveCount     int    `json:"maxReceiveCount"`
}

// queueConfig is a queue's settable attributes, parsed.
type queueConfig struct {
	visibilityTimeout int
	delaySeconds      int
	maxMessageSize    int
	retentionPeriod   int
	receiveWait       int
	redrive           *redrivePolicy
	redriveRaw        string
	fifo              bool
	contentDedup      bool
	// passthrough keeps attributes that have no effect here (policies,
	// encryption, FIFO throughput settings) so they round-trip.
	passthrough map[string]string
}

func defaultQueueConfig(fifo bool) queueConfig {
	c := queueConfig{
		visibilityTimeout: defaultVisibilityTimeout,
		maxMessageSize:    maxMessageSizeLimit,
		retentionPeriod:   defaultRetention,
		fifo:              fifo,
		passthrough:       map[string]string{"SqsManagedSseEnabled": "true"},
	}
	if fifo {
		c.passthrough["DeduplicationScope"] = "queue"
		c.passthrough["FifoThroughputLimit"] = "perQueue"
	}
	return c
}

var passthroughAttributes = map[string]bool{
	"Policy": true, "KmsMasterKeyId": true, "KmsDataKeyReusePeriodSeconds": true,
	"SqsManagedSseEnabled": true, "RedriveAllowPolicy": true,
	"DeduplicationScope": true, "FifoThroughputLimit": true,
}

// readableAttributes lists every name GetQueueAttributes accepts.
var readableAttributes = []string{
	"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed",
	"CreatedTimestamp", "LastModifiedTimestamp", "QueueArn", "VisibilityTimeout", "DelaySeconds",
	"MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds", "RedrivePolicy",
	"FifoQueue", "ContentBasedDeduplication", "Policy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds",
	"SqsManagedSseEnabled", "RedriveAllowPolicy", "DeduplicationScope", "FifoThroughputLimit",
}

var readableAttributeSet = func() map[string]bool {
	m := make(map[string]bool, len(readableAttributes))
	for _, n := range readableAttributes {
		m[n] = true
	}
	return m
}()

// apply validates attrs and sets them on c. creating allows FifoQueue,
// which cannot change afterwards.
func (c *queueConfig) apply(attrs map[string]string, creating bool) *apiError {
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names) // report the first bad attribute deterministically
	for _, name := range names {
		v := attrs[name]
		var err *apiError
		switch name {
		case "VisibilityTimeout":
			c.visibilityTimeout, err = intAttr(name, v, 0, maxVisibilityTimeout)
		case "DelaySeconds":
			c.delaySeconds, err = intAttr(name, v, 0, maxDelaySeconds)
		case "MaximumMessageSize":
			c.maxMessageSize, err = intAttr(name, v, minMessageSizeLimit, maxMessageSizeLimit)
		case "MessageRetentionPeriod":
			c.retentionPeriod, err = intAttr(name, v, minRetention, maxRetention)
		case "ReceiveMessageWaitTimeSeconds":
			c.receiveWait, err = intAttr(name, v, 0, maxWaitTimeSeconds)
		case "RedrivePolicy":
			err = c.setRedrive(v)
		case "FifoQueue":
			if !creating {
				return errInvalidAttributeName(name)
			}
			b, perr := strconv.ParseBool(v)
			if perr != nil {
				return errInvalidAttributeValue("Invalid value for the parameter FifoQueue: %q is not a boolean.", truncate(v, 32))
			}
			if b != c.fifo {
				return errInvalidParameterValue("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix. FifoQueue=%s does not match the queue name.", v)
			}
		case "ContentBasedDeduplication":
			if !c.fifo {
				return errInvalidAttributeName(name)
			}
			b, perr := strconv.ParseBool(v)
			if perr != nil {
				return errInvalidAttributeValue("Invalid value for the parameter ContentBasedDeduplication: %q is not a boolean.", truncate(v, 32))
			}
			c.contentDedup = b
		default:
			if !passthroughAttributes[name] {
				return errInvalidAttributeName(name)
			}
			if (name == "DeduplicationScope" || name == "FifoThroughputLimit") && !c.fifo {
				return errInvalidAttributeName(name)
			}
			c.passthrough[name] = v
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func intAttr(name, v string, lo, hi int) (int, *apiError) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return 0, errInvalidAttributeValue("Invalid value for the parameter %s: %q must be an integer from %d to %d.", name, truncate(v, 32), lo, hi)
	}
	return n, nil
}

func (c *queueConfig) setRedrive(v string) *apiError {
	if v == "" {
		c.redrive, c.redriveRaw = nil, ""
		return nil
	}
	// maxReceiveCount arrives as a number or a string depending on the
	// client; accept both, as SQS does.
	var raw struct {
		DeadLetterTargetArn string          `json:"deadLetterTargetArn"`
		MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return errInvalidAttributeValue("Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.")
	}
	if raw.DeadLetterTargetArn == "" || len(raw.MaxReceiveCount) == 0 {
		return errInvalidAttributeValue("Value %s for parameter RedrivePolicy is invalid. Reason: Redrive policy does not contain mandatory attribute: deadLetterTargetArn and maxReceiveCount.", truncate(v, 128))
	}
	countText := strings.Trim(string(raw.MaxReceiveCount), `"`)
	n, err := strconv.Atoi(countText)
	if err != nil || n < 1 || n > maxReceiveCountLimit {
		return errInvalidAttributeValue("Value %s for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: %s, valid values are from 1 to 1000 both inclusive.", truncate(v, 128), truncate(countText, 16))
	}
	if _, ok := parseARN(raw.DeadLetterTargetArn); !ok {
		return errInvalidAttributeValue("Value %s for parameter RedrivePolicy is invalid. Reason: Invalid value for deadLetterTargetArn.", truncate(v, 128))
	}
	rp := &redrivePolicy{DeadLetterTargetArn: raw.DeadLetterTargetArn, MaxReceiveCount: n}
	canonical, _ := json.Marshal(rp)
	c.redrive, c.redriveRaw = rp, string(canonical)
	return nil
}

// values renders the settable attributes as GetQueueAttributes shows them.
func (c *queueConfig) values() map[string]string {
	m := map[string]string{
		"VisibilityTimeout":             strconv.Itoa(c.visibilityTimeout),
		"DelaySeconds":                  strconv.Itoa(c.delaySeconds),
		"MaximumMessageSize":            strconv.Itoa(c.maxMessageSize),
		"MessageRetentionPeriod":        strconv.Itoa(c.retentionPeriod),
		"ReceiveMessageWaitTimeSeconds": strconv.Itoa(c.receiveWait),
	}
	if c.redriveRaw != "" {
		m["RedrivePolicy"] = c.redriveRaw
	}
	if c.fifo {
		m["FifoQueue"] = "true"
		m["ContentBasedDeduplication"] = strconv.FormatBool(c.contentDedup)
	}
	for k, v := range c.passthrough {
		m[k] = v
	}
	return m
}

// differsFrom reports the first attribute in requested whose value (after
// parsing) differs from c: CreateQueue on an existing name must then fail.
func (c *queueConfig) differsFrom(requested map[string]string) (string, *apiError) {
	probe := *c
	probe.passthrough = make(map[string]string, len(c.passthrough))
	for k, v := range c.passthrough {
		probe.passthrough[k] = v
	}
	if err := probe.apply(requested, true); err != nil {
		return "", err
	}
	have, want := c.values(), probe.values()
	names := make([]string, 0, len(requested))
	for n := range requested {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if have[n] != want[n] {
			return n, nil
		}
	}
	return "", nil
}

// parseARN returns the queue name of an SQS ARN
// (arn:aws:sqs:REGION:ACCOUNT:NAME).
func parseARN(arn string) (string, bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[5] == "" {
		return "", false
	}
	return parts[5], true
}
