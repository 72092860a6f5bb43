package sqsemu

import (
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"strings"
	"time"
)

type sendEntry struct {
	ID                      string                      `json:"Id"`
	MessageBody             string                      `json:"MessageBody"` // null and "" are both missing
	DelaySeconds            *int                        `json:"DelaySeconds"`
	MessageAttributes       map[string]messageAttribute `json:"MessageAttributes"`
	MessageSystemAttributes map[string]messageAttribute `json:"MessageSystemAttributes"`
	MessageDeduplicationID  string                      `json:"MessageDeduplicationId"`
	MessageGroupID          string                      `json:"MessageGroupId"`
}

type sendInput struct {
	QueueURL string `json:"QueueUrl"`
	sendEntry
}

type sendOutput struct {
	ID                           string `json:"Id,omitempty"`
	MessageID                    string `json:"MessageId"`
	MD5OfMessageBody             string `json:"MD5OfMessageBody"`
	MD5OfMessageAttributes       string `json:"MD5OfMessageAttributes,omitempty"`
	MD5OfMessageSystemAttributes string `json:"MD5OfMessageSystemAttributes,omitempty"`
	SequenceNumber               string `json:"SequenceNumber,omitempty"`
}

type batchFailure struct {
	ID          string `json:"Id"`
	SenderFault bool   `json:"SenderFault"`
	Code        string `json:"Code"`
	Message     string `json:"Message,omitempty"`
}

func failure(id string, e *apiError) batchFailure {
	return batchFailure{ID: id, SenderFault: e.sender, Code: e.shape, Message: e.message}
}

// sendLimits is the part of a queue's configuration a send needs,
// copied out so validation and hashing run without the queue lock.
type sendLimits struct {
	fifo, contentDedup bool
	maxSize, delay     int
}

func (q *queue) sendLimits() sendLimits {
	q.mu.Lock()
	defer q.mu.Unlock()
	return sendLimits{fifo: q.cfg.fifo, contentDedup: q.cfg.contentDedup, maxSize: q.cfg.maxMessageSize, delay: q.cfg.delaySeconds}
}

func validFIFOID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '!' || s[i] > '~' { // alphanumeric and punctuation only
			return false
		}
	}
	return true
}

// prepare validates one message and builds it, with its digests, outside
// the queue lock. It returns the message, its delay and its size.
func (h *Handler) prepare(lim sendLimits, e *sendEntry, now time.Time) (*message, time.Duration, int, *apiError) {
	if e.MessageBody == "" {
		return nil, 0, 0, errMissingParameter("MessageBody")
	}
	body := e.MessageBody
	if !validMessageChars(body) {
		return nil, 0, 0, errInvalidMessageContents()
	}
	attrSize, err := validateMessageAttributes(e.MessageAttributes, false)
	if err != nil {
		return nil, 0, 0, err
	}
	if _, err := validateMessageAttributes(e.MessageSystemAttributes, true); err != nil {
		return nil, 0, 0, err
	}
	size := len(body) + attrSize
	if size > lim.maxSize {
		return nil, 0, 0, errInvalidParameterValue("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", lim.maxSize)
	}
	delay := lim.delay
	if e.DelaySeconds != nil {
		if lim.fifo {
			return nil, 0, 0, errInvalidParameterValue("Value %d for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.", *e.DelaySeconds)
		}
		if *e.DelaySeconds < 0 || *e.DelaySeconds > maxDelaySeconds {
			return nil, 0, 0, errInvalidParameterValue("Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.", *e.DelaySeconds)
		}
		delay = *e.DelaySeconds
	}
	if lim.fifo {
		if e.MessageGroupID == "" {
			return nil, 0, 0, errMissingParameter("MessageGroupId")
		}
		if !validFIFOID(e.MessageGroupID) {
			return nil, 0, 0, errInvalidParameterValue("Value %s for parameter MessageGroupId is invalid. Reason: it must be 1 to 128 alphanumeric or punctuation characters.", truncate(e.MessageGroupID, 140))
		}
		if e.MessageDeduplicationID == "" && !lim.contentDedup {
			return nil, 0, 0, errInvalidParameterValue("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		}
		if e.MessageDeduplicationID != "" && !validFIFOID(e.MessageDeduplicationID) {
			return nil, 0, 0, errInvalidParameterValue("Value %s for parameter MessageDeduplicationId is invalid. Reason: it must be 1 to 128 alphanumeric or punctuation characters.", truncate(e.MessageDeduplicationID, 140))
		}
	} else {
		if e.MessageDeduplicationID != "" {
			return nil, 0, 0, errInvalidParameterValue("Value %s for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.", truncate(e.MessageDeduplicationID, 140))
		}
		if e.MessageGroupID != "" && !validFIFOID(e.MessageGroupID) {
			return nil, 0, 0, errInvalidParameterValue("Value %s for parameter MessageGroupId is invalid.", truncate(e.MessageGroupID, 140))
		}
	}
	m := &message{
		id:          h.newMessageID(),
		body:        body,
		md5Body:     md5Hex(body),
		attrs:       e.MessageAttributes,
		md5Attrs:    md5OfAttributes(e.MessageAttributes),
		sysAttrs:    e.MessageSystemAttributes,
		md5SysAttrs: md5OfAttributes(e.MessageSystemAttributes),
		senderID:    h.sender,
		sentAt:      now,
		groupID:     e.MessageGroupID,
		dedupID:     e.MessageDeduplicationID,
		heapIndex:   -1,
	}
	return m, time.Duration(delay) * time.Second, size, nil
}

// commitLocked enqueues a prepared message, or for a FIFO duplicate
// within the deduplication window returns the original's ID instead.
func (q *queue) commitLocked(m *message, delay time.Duration, now time.Time) sendOutput {
	out := sendOutput{MessageID: m.id, MD5OfMessageBody: m.md5Body, MD5OfMessageAttributes: m.md5Attrs, MD5OfMessageSystemAttributes: m.md5SysAttrs}
	if q.cfg.fifo {
		key := dedupKey(m.dedupID, m.body, q.cfg.contentDedup)
		if e, ok := q.dedup[key]; ok && e.expires.After(now) {
			out.MessageID, out.SequenceNumber = e.messageID, formatSeq(e.seqNumber)
			return out
		}
		if m.dedupID == "" {
			m.dedupID = key[len("sha:"):]
		}
		q.seq++
		m.seqNumber = q.seq
		out.SequenceNumber = formatSeq(m.seqNumber)
		if _, ok := q.dedup[key]; !ok {
			q.dedupOrder = append(q.dedupOrder, key)
		}
		q.dedup[key] = dedupEntry{messageID: m.id, seqNumber: m.seqNumber, expires: now.Add(fifoDedupWindowSeconds * time.Second)}
	}
	q.enqueueLocked(m, delay, now)
	q.observe(EventSent, m, now)
	if q.oldest == m {
		q.scheduleLocked(q.nextDeadlineLocked()) // retention of the first message
	}
	return out
}

func (h *Handler) sendMessage(_ *requestInfo, body []byte) (any, *apiError) {
	var in sendInput
	if err := decodeSendInput(body, &in); err != nil {
		return nil, err
	}
	q, err := h.queueFromURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	now := h.clock.Now()
	m, delay, _, err := h.prepare(q.sendLimits(), &in.sendEntry, now)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		return nil, errQueueDoesNotExist()
	}
	out := q.commitLocked(m, delay, now)
	q.mu.Unlock()
	return &out, nil
}

func validBatchID(id string) bool {
	if id == "" || len(id) > 80 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// checkBatchIDs applies the rules every batch action shares.
func checkBatchIDs(n int, id func(int) string) *apiError {
	if n == 0 {
		return errEmptyBatchRequest()
	}
	if n > maxBatchEntries {
		return errTooManyEntriesInBatchRequest(n)
	}
	for i := 0; i < n; i++ {
		v := id(i)
		if !validBatchID(v) {
			return errInvalidBatchEntryID(v)
		}
		for j := 0; j < i; j++ { // at most 45 comparisons: cheaper than a map
			if id(j) == v {
				return errBatchEntryIdsNotDistinct(v)
			}
		}
	}
	return nil
}

type sendBatchOutput struct {
	Successful []sendOutput   `json:"Successful"`
	Failed     []batchFailure `json:"Failed"`
}

type sendBatchInput struct {
	QueueURL string
	Entries  []sendEntry
}

func (h *Handler) sendMessageBatch(_ *requestInfo, body []byte) (any, *apiError) {
	var in sendBatchInput
	if err := decodeSendBatchInput(body, &in); err != nil {
		return nil, err
	}
	q, err := h.queueFromURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	if err := checkBatchIDs(len(in.Entries), func(i int) string { return in.Entries[i].ID }); err != nil {
		return nil, err
	}
	now := h.clock.Now()
	lim := q.sendLimits()
	out := sendBatchOutput{Successful: make([]sendOutput, 0, len(in.Entries)), Failed: []batchFailure{}}
	prepared := make([]*message, len(in.Entries))
	delays := make([]time.Duration, len(in.Entries))
	total := 0
	for i := range in.Entries {
		e := &in.Entries[i]
		total += len(e.MessageBody)
		for name, a := range e.MessageAttributes {
			total += len(name) + len(a.DataType) + len(a.BinaryValue)
			if a.StringValue != nil {
				total += len(*a.StringValue)
			}
		}
	}
	if total > maxMessageSizeLimit {
		return nil, errBatchRequestTooLong(total, maxMessageSizeLimit)
	}
	for i := range in.Entries {
		m, delay, _, err := h.prepare(lim, &in.Entries[i], now)
		if err != nil {
			out.Failed = append(out.Failed, failure(in.Entries[i].ID, err))
			continue
		}
		prepared[i], delays[i] = m, delay
	}
	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		return nil, errQueueDoesNotExist()
	}
	for i, m := range prepared {
		if m == nil {
			continue
		}
		res := q.commitLocked(m, delays[i], now)
		res.ID = in.Entries[i].ID
		out.Successful = append(out.Successful, res)
	}
	q.mu.Unlock()
	return &out, nil
}

// --- receipt handles ---

// A receipt handle is opaque to clients: base64url of the queue's tag
// (8 bytes), the random receipt number of this receive (8 bytes) and the
// message ID (36 bytes). Nobody can derive a live handle from a message
// ID or from an earlier handle; the server decodes it without a lookup
// table. Each receive issues a new one; only the newest acts.
const (
	receiptRawLen    = 8 + 8 + 36
	receiptHandleLen = (receiptRawLen*8 + 5) / 6 // base64 without padding
)

func (q *queue) receiptHandle(m *message) string {
	var raw [receiptRawLen]byte
	copy(raw[:8], q.tag[:])
	binary.BigEndian.PutUint64(raw[8:16], m.receipt)
	copy(raw[16:], m.id)
	var out [receiptHandleLen]byte
	base64.RawURLEncoding.Encode(out[:], raw[:])
	return string(out[:])
}

// handleRef is a decoded receipt handle.
type handleRef struct {
	raw [receiptRawLen]byte
}

func (r *handleRef) receipt() uint64 { return binary.BigEndian.Uint64(r.raw[8:16]) }

// message finds the message the handle names (nil if it is gone); the
// map lookup with string(bytes) does not allocate.
func (r *handleRef) message(q *queue) *message { return q.byID[string(r.raw[16:])] }

// parseReceiptHandle decodes a handle issued by q. A handle that is not
// one of ours, or one issued by another queue, is ReceiptHandleIsInvalid
// as in SQS.
func (q *queue) parseReceiptHandle(handle string) (handleRef, *apiError) {
	var ref handleRef
	if len(handle) != receiptHandleLen {
		return ref, errReceiptHandleIsInvalid(handle)
	}
	var src [receiptHandleLen]byte // a copy on the stack: no allocation
	copy(src[:], handle)
	n, err := base64.RawURLEncoding.Decode(ref.raw[:], src[:])
	if err != nil || n != receiptRawLen || ref.receipt() == 0 || [8]byte(ref.raw[:8]) != q.tag {
		return ref, errReceiptHandleIsInvalid(handle)
	}
	return ref, nil
}

// --- receiving ---

type receiveInput struct {
	QueueURL                    string   `json:"QueueUrl"`
	AttributeNames              []string `json:"AttributeNames"`
	MessageSystemAttributeNames []string `json:"MessageSystemAttributeNames"`
	MessageAttributeNames       []string `json:"MessageAttributeNames"`
	MaxNumberOfMessages         *int     `json:"MaxNumberOfMessages"`
	VisibilityTimeout           *int     `json:"VisibilityTimeout"`
	WaitTimeSeconds             *int     `json:"WaitTimeSeconds"`
	ReceiveRequestAttemptID     string   `json:"ReceiveRequestAttemptId"`
}

// delivery is what a receive saw of a message, copied under the queue
// lock: the message may be received again (and change) once it is unlocked.
type delivery struct {
	m            *message // only its fields fixed at send time are read unlocked
	receiveCount int
	firstReceive time.Time
	handle       string
	seqNumber    uint64 // these two change if the message is dead-lettered
	dlqSource    string
}

type outMessage struct {
	MessageID              string                      `json:"MessageId"`
	ReceiptHandle          string                      `json:"ReceiptHandle"`
	MD5OfBody              string                      `json:"MD5OfBody"`
	Body                   string                      `json:"Body"`
	Attributes             map[string]string           `json:"Attributes,omitempty"`
	MD5OfMessageAttributes string                      `json:"MD5OfMessageAttributes,omitempty"`
	MessageAttributes      map[string]messageAttribute `json:"MessageAttributes,omitempty"`
}

type receiveOutput struct {
	Messages []outMessage `json:"Messages,omitempty"`
}

var systemAttributeNames = []string{
	"SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
	"SequenceNumber", "MessageDeduplicationId", "MessageGroupId", "AWSTraceHeader", "DeadLetterQueueSourceArn",
}

func (h *Handler) receiveMessage(ri *requestInfo, body []byte) (any, *apiError) {
	var in receiveInput
	if err := decodeReceiveInput(body, &in); err != nil {
		return nil, err
	}
	q, err := h.queueFromURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	max := 1
	if in.MaxNumberOfMessages != nil {
		max = *in.MaxNumberOfMessages
		if max < 1 || max > maxBatchEntries {
			return nil, errInvalidParameterValue("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", max)
		}
	}
	q.mu.Lock()
	visibilitySecs, waitSecs := q.cfg.visibilityTimeout, q.cfg.receiveWait
	q.mu.Unlock()
	if in.VisibilityTimeout != nil {
		visibilitySecs = *in.VisibilityTimeout
		if visibilitySecs < 0 || visibilitySecs > maxVisibilityTimeout {
			return nil, errInvalidParameterValue("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.", visibilitySecs)
		}
	}
	if in.WaitTimeSeconds != nil {
		waitSecs = *in.WaitTimeSeconds
		if waitSecs < 0 || waitSecs > maxWaitTimeSeconds {
			return nil, errInvalidParameterValue("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", waitSecs)
		}
	}
	got, err := h.waitAndTake(ri, q, max, time.Duration(visibilitySecs)*time.Second, time.Duration(waitSecs)*time.Second)
	if err != nil {
		return nil, err
	}
	return buildReceiveOutput(got, &in, q.fifo), nil
}

// waitAndTake takes up to max messages, parking on the queue for up to
// wait when none are visible. A parked receiver is woken by the queue when
// a message becomes visible: no polling.
func (h *Handler) waitAndTake(ri *requestInfo, q *queue, max int, visibility, wait time.Duration) ([]delivery, *apiError) {
	var expired chan struct{}
	var expiry Timer
	var woken *waiter // woken by the queue, not yet accounted for
	defer func() {
		if expiry != nil {
			expiry.Stop()
		}
	}()
	for {
		var dlq *queue
		maxReceives := 0
		if rp := q.redrive.Load(); rp != nil {
			if name, ok := parseARN(rp.DeadLetterTargetArn); ok {
				if dlq = h.lookup(name); dlq != nil {
					maxReceives = rp.MaxReceiveCount
				}
			}
		}
		q.mu.Lock()
		if woken != nil {
			q.resumeLocked(woken)
			woken = nil
		}
		if q.deleted {
			q.mu.Unlock()
			return nil, errQueueDoesNotExist()
		}
		now := h.clock.Now()
		q.advanceLocked(now)
		got, moved := q.takeLocked(now, max, visibility, maxReceives)
		var out []delivery
		if len(got) > 0 {
			out = make([]delivery, len(got))
			for i, m := range got {
				out[i] = delivery{m: m, receiveCount: m.receiveCount, firstReceive: m.firstReceive,
					handle: q.receiptHandle(m), seqNumber: m.seqNumber, dlqSource: m.dlqSource}
			}
		}
		// When all it found went to the dead-letter queue, look again at
		// once: others may be behind them (each pass moves at least one).
		again := len(got) == 0 && len(moved) > 0
		done := !again && (len(got) > 0 || wait <= 0 || isClosed(expired) || h.closed.Load() || ri.ctx.Err() != nil)
		var w *waiter
		if !done && !again {
			w = q.addWaiterLocked(max)
		}
		q.mu.Unlock()
		if len(moved) > 0 {
			dlq.acceptDeadLetters(moved, q.arn)
		}
		if done {
			return out, nil
		}
		if again {
			continue
		}
		if expired == nil {
			ch := make(chan struct{})
			expired = ch
			expiry = h.clock.AfterFunc(wait, func() { close(ch) })
		}
		select {
		case <-w.ch:
			woken = w
			continue
		case <-expired:
		case <-ri.ctx.Done():
		case <-h.done:
		}
		q.mu.Lock()
		q.leaveLocked(w)
		q.mu.Unlock()
	}
}

func isClosed(ch chan struct{}) bool {
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// acceptDeadLetters puts messages that exceeded their source's
// maxReceiveCount on this dead-letter queue, visible at once.
func (q *queue) acceptDeadLetters(msgs []*message, sourceARN string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return
	}
	now := q.h.clock.Now()
	for _, m := range msgs {
		m.dlqSource = sourceARN
		m.heapIndex = -1
		if q.cfg.fifo {
			q.seq++
			m.seqNumber = q.seq
		}
		q.enqueueLocked(m, 0, now)
		q.observe(EventDeadLettered, m, now)
	}
	q.scheduleLocked(q.nextDeadlineLocked())
}

func wantsAll(names []string) bool {
	for _, n := range names {
		if n == "All" || n == ".*" {
			return true
		}
	}
	return false
}

func buildReceiveOutput(got []delivery, in *receiveInput, fifo bool) *receiveOutput {
	out := &receiveOutput{}
	if len(got) == 0 {
		return out
	}
	sysNames := append(append([]string(nil), in.AttributeNames...), in.MessageSystemAttributeNames...)
	if wantsAll(sysNames) {
		sysNames = systemAttributeNames
	}
	allAttrs := wantsAll(in.MessageAttributeNames)
	out.Messages = make([]outMessage, len(got))
	for i, d := range got {
		m := d.m
		om := outMessage{MessageID: m.id, ReceiptHandle: d.handle, MD5OfBody: m.md5Body, Body: m.body}
		for _, n := range sysNames {
			var v string
			switch n {
			case "SenderId":
				v = m.senderID
			case "SentTimestamp":
				v = strconv.FormatInt(m.sentAt.UnixMilli(), 10)
			case "ApproximateReceiveCount":
				v = strconv.Itoa(d.receiveCount)
			case "ApproximateFirstReceiveTimestamp":
				v = strconv.FormatInt(d.firstReceive.UnixMilli(), 10)
			case "SequenceNumber":
				if fifo {
					v = formatSeq(d.seqNumber)
				}
			case "MessageDeduplicationId":
				if fifo {
					v = m.dedupID
				}
			case "MessageGroupId":
				v = m.groupID
			case "AWSTraceHeader":
				if a, ok := m.sysAttrs["AWSTraceHeader"]; ok && a.StringValue != nil {
					v = *a.StringValue
				}
			case "DeadLetterQueueSourceArn":
				v = d.dlqSource
			}
			if v != "" {
				if om.Attributes == nil {
					om.Attributes = make(map[string]string, len(sysNames))
				}
				om.Attributes[n] = v
			}
		}
		if len(m.attrs) > 0 && len(in.MessageAttributeNames) > 0 {
			selected := m.attrs
			if !allAttrs {
				selected = map[string]messageAttribute{}
				for _, want := range in.MessageAttributeNames {
					if prefix, ok := strings.CutSuffix(want, ".*"); ok {
						for name, a := range m.attrs {
							if strings.HasPrefix(name, prefix+".") {
								selected[name] = a
							}
						}
					} else if a, ok := m.attrs[want]; ok {
						selected[want] = a
					}
				}
			}
			if len(selected) > 0 {
				om.MessageAttributes = selected
				// SQS digests the attributes it returns; SDKs that check
				// this (Java) recompute it over the same set.
				om.MD5OfMessageAttributes = md5OfAttributes(selected)
			}
		}
		out.Messages[i] = om
	}
	return out
}

// --- deleting and changing visibility ---

type handleEntry struct {
	ID                string `json:"Id"`
	ReceiptHandle     string `json:"ReceiptHandle"`
	VisibilityTimeout *int   `json:"VisibilityTimeout"`
}

// deleteLocked deletes the message a receipt handle names. A handle of
// this queue that is stale (the message was deleted, expired or received
// again since) succeeds without effect, as SQS does; another queue's
// handle is ReceiptHandleIsInvalid.
func (q *queue) deleteLocked(handle string) *apiError {
	ref, err := q.parseReceiptHandle(handle)
	if err != nil {
		return err
	}
	if m := ref.message(q); m != nil && m.receipt == ref.receipt() {
		q.removeLocked(m)
		q.observe(EventDeleted, m, time.Time{})
	}
	return nil
}

func (h *Handler) deleteMessage(_ *requestInfo, body []byte) (any, *apiError) {
	var in handleInput
	if err := decodeHandleInput(body, &in); err != nil {
		return nil, err
	}
	q, err := h.queueFromURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	if in.ReceiptHandle == "" {
		return nil, errMissingParameter("ReceiptHandle")
	}
	q.mu.Lock()
	err = q.deleteLocked(in.ReceiptHandle)
	q.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return emptyOutput{}, nil
}

type idOnly struct {
	ID string `json:"Id"`
}

type handleBatchOutput struct {
	Successful []idOnly       `json:"Successful"`
	Failed     []batchFailure `json:"Failed"`
}

type handleBatchInput struct {
	QueueURL string
	Entries  []handleEntry
}

func (h *Handler) handleBatch(body []byte, apply func(q *queue, e *handleEntry, now time.Time) *apiError) (any, *apiError) {
	var in handleBatchInput
	if err := decodeHandleBatchInput(body, &in); err != nil {
		return nil, err
	}
	q, err := h.queueFromURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	if err := checkBatchIDs(len(in.Entries), func(i int) string { return in.Entries[i].ID }); err != nil {
		return nil, err
	}
	out := handleBatchOutput{Successful: make([]idOnly, 0, len(in.Entries)), Failed: []batchFailure{}}
	now := h.clock.Now()
	q.mu.Lock()
	q.advanceLocked(now)
	for i := range in.Entries {
		e := &in.Entries[i]
		if err := apply(q, e, now); err != nil {
			out.Failed = append(out.Failed, failure(e.ID, err))
		} else {
			out.Successful = append(out.Successful, idOnly{e.ID})
		}
	}
	q.mu.Unlock()
	return &out, nil
}

func (h *Handler) deleteMessageBatch(_ *requestInfo, body []byte) (any, *apiError) {
	return h.handleBatch(body, func(q *queue, e *handleEntry, _ time.Time) *apiError {
		if e.ReceiptHandle == "" {
			return errMissingParameter("ReceiptHandle")
		}
		return q.deleteLocked(e.ReceiptHandle)
	})
}

// changeVisibilityLocked sets a new visibility timeout, counted from now,
// on the in-flight message a receipt handle names.
func (q *queue) changeVisibilityLocked(handle string, timeout *int, now time.Time) *apiError {
	if handle == "" {
		return errMissingParameter("ReceiptHandle")
	}
	if timeout == nil {
		return errMissingParameter("VisibilityTimeout")
	}
	if *timeout < 0 || *timeout > maxVisibilityTimeout {
		return errInvalidParameterValue("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200.", *timeout)
	}
	ref, err := q.parseReceiptHandle(handle)
	if err != nil {
		return err
	}
	m := ref.message(q)
	if m == nil || m.receipt != ref.receipt() {
		return errInvalidParameterValue("Value %s for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.", truncate(handle, 64))
	}
	if m.state != stateInflight {
		return errMessageNotInflight()
	}
	until := now.Add(time.Duration(*timeout) * time.Second)
	if until.Sub(m.lastReceive) > maxVisibilityTimeout*time.Second {
		return errInvalidParameterValue("Value %d for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds].", *timeout)
	}
	m.visibleAt = until
	q.observe(EventVisibilityChanged, m, now)
	if *timeout == 0 {
		q.inflight.remove(m)
		q.nInflight--
		q.makeVisibleLocked(m)
		if q.cfg.fifo {
			q.releaseGroupLocked(m.groupID)
		}
		q.wakeLocked()
		return nil
	}
	q.inflight.fix(m)
	q.scheduleLocked(until)
	return nil
}

func (h *Handler) changeMessageVisibility(_ *requestInfo, body []byte) (any, *apiError) {
	var in handleInput
	if err := decodeHandleInput(body, &in); err != nil {
		return nil, err
	}
	q, err := h.queueFromURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	now := h.clock.Now()
	q.mu.Lock()
	q.advanceLocked(now)
	err = q.changeVisibilityLocked(in.ReceiptHandle, in.VisibilityTimeout, now)
	q.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return emptyOutput{}, nil
}

func (h *Handler) changeMessageVisibilityBatch(_ *requestInfo, body []byte) (any, *apiError) {
	return h.handleBatch(body, func(q *queue, e *handleEntry, now time.Time) *apiError {
		return q.changeVisibilityLocked(e.ReceiptHandle, e.VisibilityTimeout, now)
	})
}
