package sqsemu

import (
	"encoding/base64"
	"sort"
	"strconv"
	"strings"
)

func validQueueName(name string) bool {
	base := strings.TrimSuffix(name, ".fifo")
	if base == "" || len(name) > 80 {
		return false
	}
	for i := 0; i < len(base); i++ {
		c := base[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

type createQueueInput struct {
	QueueName  string            `json:"QueueName"`
	Attributes map[string]string `json:"Attributes"`
	Tags       map[string]string `json:"tags"`
}

type queueURLOutput struct {
	QueueURL string `json:"QueueUrl"`
}

func (h *Handler) createQueue(ri *requestInfo, body []byte) (any, *apiError) {
	var in createQueueInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, errMissingParameter("QueueName")
	}
	if !validQueueName(in.QueueName) {
		return nil, errInvalidParameterValue("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length. A FIFO queue name must end with .fifo. Got %q.", truncate(in.QueueName, 100))
	}
	fifo := strings.HasSuffix(in.QueueName, ".fifo")
	if v, ok := in.Attributes["FifoQueue"]; ok {
		if b, err := strconv.ParseBool(v); err == nil && b != fifo {
			return nil, errInvalidParameterValue("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix; a queue whose name ends with .fifo must set FifoQueue=true.")
		}
	} else if fifo {
		return nil, errInvalidParameterValue("The name of a FIFO queue must end with .fifo and the queue must be created with the attribute FifoQueue=true.")
	}
	if len(in.Tags) > 50 {
		return nil, errInvalidParameterValue("Too many tags: %d (at most 50).", len(in.Tags))
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if q := h.lookup(in.QueueName); q != nil {
		q.mu.Lock()
		differing, err := q.cfg.differsFrom(in.Attributes)
		q.mu.Unlock()
		if err != nil {
			return nil, err
		}
		if differing != "" {
			return nil, errQueueNameExists(differing)
		}
		return queueURLOutput{ri.queueURL(in.QueueName)}, nil
	}
	cfg := defaultQueueConfig(fifo)
	if err := cfg.apply(in.Attributes, true); err != nil {
		return nil, err
	}
	if err := h.checkDeadLetterTarget(&cfg, in.QueueName); err != nil {
		return nil, err
	}
	q := newQueue(h, in.QueueName, cfg, h.clock.Now())
	for k, v := range in.Tags {
		q.tags[k] = v
	}
	h.queues.Store(in.QueueName, q)
	return queueURLOutput{ri.queueURL(in.QueueName)}, nil
}

// checkDeadLetterTarget rejects a redrive policy whose dead-letter queue
// is missing or of the other kind, as SQS does.
func (h *Handler) checkDeadLetterTarget(cfg *queueConfig, self string) *apiError {
	if cfg.redrive == nil {
		return nil
	}
	name, _ := parseARN(cfg.redrive.DeadLetterTargetArn)
	dlq := h.lookup(name)
	if dlq == nil || cfg.redrive.DeadLetterTargetArn != h.arn(name) {
		return errInvalidParameterValue("Value %s for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.", cfg.redriveRaw)
	}
	if name == self {
		return errInvalidParameterValue("Value %s for parameter RedrivePolicy is invalid. Reason: A queue cannot be its own dead-letter queue.", cfg.redriveRaw)
	}
	if strings.HasSuffix(name, ".fifo") != cfg.fifo {
		return errInvalidParameterValue("Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter target must be the same type of queue (FIFO or standard) as the source.", cfg.redriveRaw)
	}
	return nil
}

func (h *Handler) getQueueURL(ri *requestInfo, body []byte) (any, *apiError) {
	var in struct {
		QueueName              string `json:"QueueName"`
		QueueOwnerAWSAccountID string `json:"QueueOwnerAWSAccountId"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, errMissingParameter("QueueName")
	}
	if in.QueueOwnerAWSAccountID != "" && in.QueueOwnerAWSAccountID != DefaultAccount {
		return nil, errQueueDoesNotExist()
	}
	if h.lookup(in.QueueName) == nil {
		return nil, errQueueDoesNotExist()
	}
	return queueURLOutput{ri.queueURL(in.QueueName)}, nil
}

type listQueuesOutput struct {
	QueueUrls []string `json:"QueueUrls,omitempty"`
	NextToken string   `json:"NextToken,omitempty"`
}

// page applies MaxResults/NextToken paging to sorted names.
func page(names []string, maxResults *int, token string) (out []string, next string, err *apiError) {
	if maxResults != nil && (*maxResults < 1 || *maxResults > 1000) {
		return nil, "", errInvalidParameterValue("Value %d for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.", *maxResults)
	}
	if token != "" {
		after, decodeErr := base64.RawURLEncoding.DecodeString(token)
		if decodeErr != nil || maxResults == nil {
			return nil, "", errInvalidParameterValue("Invalid NextToken value.")
		}
		i := sort.SearchStrings(names, string(after))
		if i < len(names) && names[i] == string(after) {
			i++
		}
		names = names[i:]
	}
	limit := 1000
	if maxResults != nil {
		limit = *maxResults
	}
	if len(names) > limit {
		out = names[:limit]
		if maxResults != nil {
			next = base64.RawURLEncoding.EncodeToString([]byte(out[len(out)-1]))
		}
		return out, next, nil
	}
	return names, "", nil
}

func (h *Handler) listQueues(ri *requestInfo, body []byte) (any, *apiError) {
	var in struct {
		QueueNamePrefix string `json:"QueueNamePrefix"`
		MaxResults      *int   `json:"MaxResults"`
		NextToken       string `json:"NextToken"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var names []string
	h.queues.Range(func(k, _ any) bool {
		if name := k.(string); strings.HasPrefix(name, in.QueueNamePrefix) {
			names = append(names, name)
		}
		return true
	})
	sort.Strings(names)
	selected, next, err := page(names, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := listQueuesOutput{NextToken: next}
	for _, n := range selected {
		out.QueueUrls = append(out.QueueUrls, ri.queueURL(n))
	}
	return out, nil
}

type queueURLInput struct {
	QueueURL string `json:"QueueUrl"`
}

type emptyOutput struct{}

func (emptyOutput) appendJSON(b []byte) []byte { return append(b, "{}"...) }

func (h *Handler) deleteQueue(_ *requestInfo, body []byte) (any, *apiError) {
	var in queueURLInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	q, err := h.queueFromURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	h.queues.Delete(q.name)
	q.mu.Lock()
	q.deleted = true
	q.stopTimerLocked()
	q.purgeLocked()
	q.wakeAllLocked()
	q.mu.Unlock()
	return emptyOutput{}, nil
}

func (h *Handler) purgeQueue(_ *requestInfo, body []byte) (any, *apiError) {
	q, err := h.queueOfRequest(body)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	q.purgeLocked()
	q.mu.Unlock()
	return emptyOutput{}, nil
}

type attributesOutput struct {
	Attributes map[string]string `json:"Attributes,omitempty"`
}

func (h *Handler) getQueueAttributes(_ *requestInfo, body []byte) (any, *apiError) {
	var in struct {
		QueueURL       string   `json:"QueueUrl"`
		AttributeNames []string `json:"AttributeNames"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := h.queueFromURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, n := range in.AttributeNames {
		switch {
		case n == "All":
			for _, a := range readableAttributes {
				want[a] = true
			}
		case readableAttributeSet[n]:
			want[n] = true
		default:
			return nil, errInvalidAttributeName(n)
		}
	}
	if len(want) == 0 {
		return attributesOutput{}, nil
	}
	q.mu.Lock()
	q.advanceLocked(h.clock.Now())
	all := q.cfg.values()
	all["ApproximateNumberOfMessages"] = strconv.Itoa(q.nVisible)
	all["ApproximateNumberOfMessagesNotVisible"] = strconv.Itoa(q.nInflight)
	all["ApproximateNumberOfMessagesDelayed"] = strconv.Itoa(q.nDelayed)
	all["CreatedTimestamp"] = strconv.FormatInt(q.created.Unix(), 10)
	all["LastModifiedTimestamp"] = strconv.FormatInt(q.modified.Unix(), 10)
	all["QueueArn"] = q.arn
	q.mu.Unlock()
	out := attributesOutput{Attributes: map[string]string{}}
	for n := range want {
		if v, ok := all[n]; ok {
			out.Attributes[n] = v
		}
	}
	return out, nil
}

func (h *Handler) setQueueAttributes(_ *requestInfo, body []byte) (any, *apiError) {
	var in struct {
		QueueURL   string            `json:"QueueUrl"`
		Attributes map[string]string `json:"Attributes"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.Attributes) == 0 {
		return nil, errMissingParameter("Attributes")
	}
	// Under h.mu so the dead-letter target cannot vanish while we check it.
	h.mu.Lock()
	defer h.mu.Unlock()
	q, err := h.queueFromURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	cfg := q.cfg
	cfg.passthrough = make(map[string]string, len(q.cfg.passthrough))
	for k, v := range q.cfg.passthrough {
		cfg.passthrough[k] = v
	}
	if err := cfg.apply(in.Attributes, false); err != nil {
		return nil, err
	}
	if _, ok := in.Attributes["RedrivePolicy"]; ok {
		if err := h.checkDeadLetterTarget(&cfg, q.name); err != nil {
			return nil, err
		}
	}
	q.cfg = cfg
	q.redrive.Store(cfg.redrive)
	q.modified = h.clock.Now()
	q.scheduleLocked(q.nextDeadlineLocked()) // a shorter retention may be due sooner
	return emptyOutput{}, nil
}

func (h *Handler) listDeadLetterSourceQueues(ri *requestInfo, body []byte) (any, *apiError) {
	var in struct {
		QueueURL   string `json:"QueueUrl"`
		MaxResults *int   `json:"MaxResults"`
		NextToken  string `json:"NextToken"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	dlq, err := h.queueFromURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	var names []string
	h.queues.Range(func(_, v any) bool {
		if rp := v.(*queue).redrive.Load(); rp != nil && rp.DeadLetterTargetArn == dlq.arn {
			names = append(names, v.(*queue).name)
		}
		return true
	})
	sort.Strings(names)
	selected, next, err := page(names, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := struct {
		QueueUrls []string `json:"queueUrls"`
		NextToken string   `json:"NextToken,omitempty"`
	}{QueueUrls: []string{}, NextToken: next}
	for _, n := range selected {
		out.QueueUrls = append(out.QueueUrls, ri.queueURL(n))
	}
	return out, nil
}

func (h *Handler) tagQueue(_ *requestInfo, body []byte) (any, *apiError) {
	var in struct {
		QueueURL string            `json:"QueueUrl"`
		Tags     map[string]string `json:"Tags"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, errMissingParameter("Tags")
	}
	q, err := h.queueFromURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	merged := len(q.tags)
	for k := range in.Tags {
		if _, ok := q.tags[k]; !ok {
			merged++
		}
	}
	if merged > 50 {
		return nil, errInvalidParameterValue("Too many tags: a queue can have at most 50, this would make %d.", merged)
	}
	for k, v := range in.Tags {
		if k == "" || len(k) > 128 || len(v) > 256 {
			return nil, errInvalidParameterValue("Tag keys must be 1 to 128 characters and values at most 256 characters.")
		}
	}
	for k, v := range in.Tags {
		q.tags[k] = v
	}
	return emptyOutput{}, nil
}

func (h *Handler) untagQueue(_ *requestInfo, body []byte) (any, *apiError) {
	var in struct {
		QueueURL string   `json:"QueueUrl"`
		TagKeys  []string `json:"TagKeys"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.TagKeys) == 0 {
		return nil, errMissingParameter("TagKeys")
	}
	q, err := h.queueFromURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	for _, k := range in.TagKeys {
		delete(q.tags, k)
	}
	q.mu.Unlock()
	return emptyOutput{}, nil
}

func (h *Handler) listQueueTags(_ *requestInfo, body []byte) (any, *apiError) {
	q, err := h.queueOfRequest(body)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	tags := make(map[string]string, len(q.tags))
	for k, v := range q.tags {
		tags[k] = v
	}
	q.mu.Unlock()
	return struct {
		Tags map[string]string `json:"Tags,omitempty"`
	}{tags}, nil
}

// queueOfRequest decodes a request whose only parameter is QueueUrl and
// finds its queue (DeleteQueue, PurgeQueue, ListQueueTags).
func (h *Handler) queueOfRequest(body []byte) (*queue, *apiError) {
	var in queueURLInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return h.queueFromURL(in.QueueURL)
}
