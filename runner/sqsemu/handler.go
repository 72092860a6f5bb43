// Package sqsemu is an in-process Amazon SQS server speaking the AWS JSON
// 1.0 protocol that current AWS SDKs use. It keeps real queue semantics
// (visibility timeouts, delays, retention, dead-letter redrive, FIFO
// groups and deduplication, long polling) so a consumer tested against it
// behaves as it will against SQS. New returns an http.Handler for
// embedding; NewServer runs it on a loopback port like httptest.
package sqsemu

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// DefaultAccount is the account ID in queue URLs and ARNs.
const DefaultAccount = "000000000000"

// DefaultRegion is the region in ARNs unless WithRegion says otherwise.
const DefaultRegion = "us-east-1"

// DefaultMaxBodyBytes caps a request body: room for a 1 MiB message whose
// JSON escaping doubles it, plus attributes.
const DefaultMaxBodyBytes = 4 << 20

type config struct {
	clock    Clock
	logger   *slog.Logger
	region   string
	maxBody  int64
	senderID string
	hooks    hooks
}

// Option configures a Handler or Server.
type Option func(*config)

// WithClock sets the clock (default: RealClock).
func WithClock(c Clock) Option { return func(cfg *config) { cfg.clock = c } }

// WithLogger sets where internal errors (recovered panics) are logged.
func WithLogger(l *slog.Logger) Option { return func(cfg *config) { cfg.logger = l } }

// WithRegion sets the region used in queue ARNs.
func WithRegion(r string) Option { return func(cfg *config) { cfg.region = r } }

// WithMaxBodyBytes caps the size of a request body.
func WithMaxBodyBytes(n int64) Option { return func(cfg *config) { cfg.maxBody = n } }

// Handler serves the SQS API. It is safe for concurrent use.
type Handler struct {
	clock   Clock
	log     *slog.Logger
	region  string
	maxBody int64
	sender  string
	hooks   hooks

	mu     sync.Mutex // serialises create/delete; lookups go through queues
	queues sync.Map   // name -> *queue

	done      chan struct{}
	closeOnce sync.Once
	closed    atomic.Bool

	idPrefix [6]byte
	idSeq    atomic.Uint64
	bufs     sync.Pool
}

// New returns a Handler. Call Close to stop its timers and release
// waiting long polls.
func New(opts ...Option) *Handler {
	cfg := config{clock: RealClock{}, region: DefaultRegion, maxBody: DefaultMaxBodyBytes, senderID: "AIDAEMULATORSENDER00"}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	if cfg.maxBody <= 0 {
		cfg.maxBody = DefaultMaxBodyBytes
	}
	var prefix [6]byte
	_, _ = rand.Read(prefix[:])
	return &Handler{
		clock: cfg.clock, log: cfg.logger, region: cfg.region, maxBody: cfg.maxBody, sender: cfg.senderID,
		hooks:    cfg.hooks,
		done:     make(chan struct{}),
		idPrefix: prefix,
		bufs:     sync.Pool{New: func() any { return new(bytes.Buffer) }},
	}
}

// Close stops every queue timer and makes waiting long polls return.
// The handler answers requests afterwards but no longer schedules timers.
func (h *Handler) Close() {
	h.closeOnce.Do(func() {
		h.closed.Store(true)
		close(h.done)
		h.queues.Range(func(_, v any) bool {
			q := v.(*queue)
			q.mu.Lock()
			q.stopTimerLocked()
			q.wakeAllLocked()
			q.mu.Unlock()
			return true
		})
	})
}

func (h *Handler) arn(name string) string {
	return "arn:aws:sqs:" + h.region + ":" + DefaultAccount + ":" + name
}

// newMessageID returns a UUID-shaped ID (version 4 layout), unique within
// this handler without a random read per message: a random prefix per
// handler and a counter.
func (h *Handler) newMessageID() string {
	var b [16]byte
	copy(b[:6], h.idPrefix[:])
	b[6] = 0x40
	binary.BigEndian.PutUint64(b[8:], h.idSeq.Add(1))
	b[8] = 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}

func (h *Handler) lookup(name string) *queue {
	v, ok := h.queues.Load(name)
	if !ok {
		return nil
	}
	return v.(*queue)
}

// queueFromURL resolves a QueueUrl by its last path segment, whatever the
// host: clients may reach the server under another name than the one in
// the URL it handed out.
func (h *Handler) queueFromURL(raw string) (*queue, *apiError) {
	if raw == "" {
		return nil, errMissingParameter("QueueUrl")
	}
	// Only the path matters: scheme://host[:port]/ACCOUNT/NAME, or the
	// path alone. Parsed by hand: this runs on every message request.
	path := raw
	if _, rest, ok := strings.Cut(raw, "://"); ok {
		path = ""
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			path = rest[i:]
		}
	}
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	path = strings.Trim(path, "/")
	name, account := path, ""
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		name, account = path[i+1:], path[:i]
		if j := strings.LastIndexByte(account, '/'); j >= 0 {
			account = account[j+1:]
		}
	}
	if account != "" && account != DefaultAccount {
		return nil, errQueueDoesNotExist()
	}
	q := h.lookup(name)
	if q == nil {
		return nil, errQueueDoesNotExist()
	}
	return q, nil
}

type requestInfo struct {
	ctx context.Context
	r   *http.Request
}

// queueURL builds a queue's URL from the host this request came to
// (built only by the few actions that answer with one).
func (ri *requestInfo) queueURL(name string) string {
	scheme := "http"
	if ri.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + ri.r.Host + "/" + DefaultAccount + "/" + name
}

// notImplemented are SQS actions the emulator knows of but does not do;
// they get UnsupportedOperation rather than an unknown-operation error.
var notImplemented = map[string]bool{
	"AddPermission": true, "RemovePermission": true,
	"StartMessageMoveTask": true, "CancelMessageMoveTask": true, "ListMessageMoveTasks": true,
}

type action func(h *Handler, ri *requestInfo, body []byte) (any, *apiError)

var actions map[string]action

func init() {
	actions = map[string]action{
		"CreateQueue":                  (*Handler).createQueue,
		"GetQueueUrl":                  (*Handler).getQueueURL,
		"ListQueues":                   (*Handler).listQueues,
		"DeleteQueue":                  (*Handler).deleteQueue,
		"PurgeQueue":                   (*Handler).purgeQueue,
		"GetQueueAttributes":           (*Handler).getQueueAttributes,
		"SetQueueAttributes":           (*Handler).setQueueAttributes,
		"SendMessage":                  (*Handler).sendMessage,
		"SendMessageBatch":             (*Handler).sendMessageBatch,
		"ReceiveMessage":               (*Handler).receiveMessage,
		"DeleteMessage":                (*Handler).deleteMessage,
		"DeleteMessageBatch":           (*Handler).deleteMessageBatch,
		"ChangeMessageVisibility":      (*Handler).changeMessageVisibility,
		"ChangeMessageVisibilityBatch": (*Handler).changeMessageVisibilityBatch,
		"ListDeadLetterSourceQueues":   (*Handler).listDeadLetterSourceQueues,
		"TagQueue":                     (*Handler).tagQueue,
		"UntagQueue":                   (*Handler).untagQueue,
		"ListQueueTags":                (*Handler).listQueueTags,
	}
}

// ServeHTTP answers one AWS JSON 1.0 request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.log.Error("sqsemu: internal error", "panic", fmt.Sprint(p), "target", r.Header.Get("X-Amz-Target"), "stack", string(debug.Stack()))
			h.writeError(w, errInternal())
		}
	}()
	if r.Method != http.MethodPost {
		h.writeError(w, errMethodNotAllowed())
		return
	}
	target := r.Header.Get("X-Amz-Target")
	name, ok := strings.CutPrefix(target, "AmazonSQS.")
	act := actions[name]
	if ok && act == nil && notImplemented[name] {
		h.writeError(w, errUnsupportedOperation("The emulator does not implement %s.", name))
		return
	}
	if !ok || act == nil {
		h.writeError(w, errUnknownOperation(target))
		return
	}
	if ct := r.Header["Content-Type"]; len(ct) != 1 || !isAmzJSON10(ct[0]) {
		h.writeError(w, errUnsupportedContentType(r.Header.Get("Content-Type")))
		return
	}
	buf := h.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer h.bufs.Put(buf)
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, h.maxBody)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.writeError(w, errRequestTooLarge(h.maxBody))
			return
		}
		h.writeError(w, errSerialization("Could not read the request body: %v", err))
		return
	}
	body := buf.Bytes()
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	ri := &requestInfo{ctx: r.Context(), r: r}
	out, apiErr := act(h, ri, body)
	if apiErr != nil {
		h.writeError(w, apiErr)
		return
	}
	h.writeJSON(w, http.StatusOK, out)
}

func (h *Handler) writeJSON(w http.ResponseWriter, status int, v any) {
	buf := h.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer h.bufs.Put(buf)
	if enc, ok := v.(interface{ appendJSON([]byte) []byte }); ok {
		buf.Write(enc.appendJSON(buf.AvailableBuffer()))
	} else if err := json.NewEncoder(buf).Encode(v); err != nil {
		h.log.Error("sqsemu: encoding a response", "err", err)
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"__type":"com.amazonaws.sqs#InternalError","message":"response encoding failed"}`)
	}
	hdr := w.Header()
	hdr["Content-Type"] = contentTypeJSON
	// One allocation for both header values.
	vals := make([]string, 2)
	// An explicit length spares clients chunked decoding of large receives.
	vals[0], vals[1] = strconv.Itoa(buf.Len()), h.newMessageID()
	hdr["Content-Length"], hdr["X-Amzn-Requestid"] = vals[0:1:1], vals[1:2:2]
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

var contentTypeJSON = []string{"application/x-amz-json-1.0"}

// isAmzJSON10 reports whether a Content-Type names the AWS JSON 1.0
// protocol, the only one served (parameters such as charset are allowed).
func isAmzJSON10(ct string) bool {
	mediaType, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mediaType), "application/x-amz-json-1.0")
}

func (h *Handler) writeError(w http.ResponseWriter, e *apiError) {
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.typeName(), e.message})
	hdr := w.Header()
	hdr["Content-Type"] = contentTypeJSON
	hdr["Content-Length"] = []string{strconv.Itoa(len(body))}
	hdr["X-Amzn-Query-Error"] = []string{e.queryHeader()}
	hdr["X-Amzn-Requestid"] = []string{h.newMessageID()}
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}

// decode parses a request body into v; type mismatches and malformed
// JSON become the SerializationException AWS JSON services answer with.
func decode(body []byte, v any) *apiError {
	if err := json.Unmarshal(body, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return errSerialization("Field %s: expected %s, got a JSON %s.", typeErr.Field, typeErr.Type, typeErr.Value)
		}
		return errSerialization("The request body is not valid JSON: %v", err)
	}
	return nil
}

// sortedNames returns the keys of m in order.
func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
