package sqsemu

import (
	"encoding/base64"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// jsonReader decodes the requests of the message hot path (send,
// receive, delete, change visibility) straight from the request bytes,
// without reflection: encoding/json was half of the handler's CPU.
//
// It also keeps strings byte-faithful, which encoding/json does not:
// invalid UTF-8 is copied as it arrived and a lone surrogate escape
// (\ud800) becomes its 3-byte WTF-8 form, itself invalid UTF-8. So the
// character check SQS applies to message bodies and attribute values
// (validMessageChars) sees what the client sent, where encoding/json
// would have handed it U+FFFD and let the message through.
//
// Differences from encoding/json that no SDK relies on: field names
// match exactly (encoding/json also accepts other letter cases).
type jsonReader struct {
	data []byte
	pos  int
	err  *apiError
}

func (r *jsonReader) fail(what string) {
	if r.err == nil {
		r.err = errSerialization("The request body is not valid JSON for this action: %s at offset %d.", what, r.pos)
	}
	r.pos = len(r.data) // stop every loop
}

func (r *jsonReader) ws() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (r *jsonReader) peek() byte {
	r.ws()
	if r.pos >= len(r.data) {
		return 0
	}
	return r.data[r.pos]
}

// null consumes a JSON null if one is next; encoding/json leaves the
// target untouched for it, and so do the callers.
func (r *jsonReader) null() bool {
	if r.peek() != 'n' {
		return false
	}
	r.literal("null")
	return true
}

func (r *jsonReader) literal(lit string) {
	if len(r.data)-r.pos < len(lit) || string(r.data[r.pos:r.pos+len(lit)]) != lit {
		r.fail("invalid literal")
		return
	}
	r.pos += len(lit)
}

// end checks that nothing but space follows the top-level value.
func (r *jsonReader) end() *apiError {
	if r.ws(); r.err == nil && r.pos < len(r.data) {
		r.fail("data after the top-level value")
	}
	return r.err
}

// object calls field for each member of an object (none for null); field
// must consume the value. The key slice is valid only during the call.
func (r *jsonReader) object(field func(key []byte)) {
	if r.null() {
		return
	}
	if r.peek() != '{' {
		r.fail("expected an object")
		return
	}
	r.pos++
	if r.peek() == '}' {
		r.pos++
		return
	}
	for r.err == nil {
		if r.peek() != '"' {
			r.fail("expected a field name")
			return
		}
		key := r.rawString()
		if r.peek() != ':' {
			r.fail("expected ':'")
			return
		}
		r.pos++
		field(key)
		switch r.peek() {
		case ',':
			r.pos++
		case '}':
			r.pos++
			return
		default:
			r.fail("expected ',' or '}'")
			return
		}
	}
}

// array calls elem for each element of an array (none for null); elem
// must consume the value.
func (r *jsonReader) array(elem func()) {
	if r.null() {
		return
	}
	if r.peek() != '[' {
		r.fail("expected an array")
		return
	}
	r.pos++
	if r.peek() == ']' {
		r.pos++
		return
	}
	for r.err == nil {
		elem()
		switch r.peek() {
		case ',':
			r.pos++
		case ']':
			r.pos++
			return
		default:
			r.fail("expected ',' or ']'")
			return
		}
	}
}

// str reads a string ("" for null).
func (r *jsonReader) str() string {
	if r.null() {
		return ""
	}
	if r.peek() != '"' {
		r.fail("expected a string")
		return ""
	}
	start := r.pos + 1
	for i := start; i < len(r.data); i++ {
		switch c := r.data[i]; {
		case c == '"':
			r.pos = i + 1
			return string(r.data[start:i])
		case c == '\\' || c < 0x20:
			// Escapes only shorten a string: its raw length is enough room.
			b := r.stringBytes(make([]byte, 0, r.rawLen()))
			if len(b) == 0 {
				return ""
			}
			return unsafe.String(&b[0], len(b)) // b is fresh and never written again
		}
	}
	r.fail("unterminated string")
	return ""
}

// rawLen is the length of the string starting at the reader (at its
// opening quote) as it stands in the request, escapes included.
func (r *jsonReader) rawLen() int {
	for i := r.pos + 1; i < len(r.data); i++ {
		switch r.data[i] {
		case '\\':
			i++
		case '"':
			return i - r.pos - 1
		}
	}
	return len(r.data) - r.pos
}

// strTo reads a string into *dst; null leaves it as it is, as
// encoding/json does.
func (r *jsonReader) strTo(dst *string) {
	if !r.null() {
		*dst = r.str()
	}
}

// strPtr reads a string, nil for null.
func (r *jsonReader) strPtr() *string {
	if r.null() {
		return nil
	}
	s := r.str()
	return &s
}

func (r *jsonReader) strList() []string {
	var out []string
	r.array(func() { out = append(out, r.str()) })
	return out
}

// rawString reads a string (the reader is at its opening quote) and
// returns its bytes: a slice of the request when it has no escapes, else
// a decoded copy. Either is valid only until the request buffer is reused.
func (r *jsonReader) rawString() []byte {
	start := r.pos + 1
	for i := start; i < len(r.data); i++ {
		switch c := r.data[i]; {
		case c == '"':
			r.pos = i + 1
			return r.data[start:i]
		case c == '\\' || c < 0x20:
			return r.stringBytes(nil)
		}
	}
	r.fail("unterminated string")
	return nil
}

// stringBytes reads a string (the reader is at its opening quote) and
// appends its decoded bytes to buf. Bytes that are not valid UTF-8 are
// kept as they are; escaped lone surrogates become WTF-8.
func (r *jsonReader) stringBytes(buf []byte) []byte {
	r.pos++ // opening quote
	start := r.pos
	for r.pos < len(r.data) {
		c := r.data[r.pos]
		switch {
		case c == '"':
			buf = append(buf, r.data[start:r.pos]...)
			r.pos++
			return buf
		case c < 0x20:
			r.fail("control character in a string")
			return buf
		case c != '\\':
			r.pos++
			continue
		}
		buf = append(buf, r.data[start:r.pos]...)
		r.pos++
		if r.pos >= len(r.data) {
			break
		}
		esc := r.data[r.pos]
		r.pos++
		switch esc {
		case '"', '\\', '/':
			buf = append(buf, esc)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			u := r.hex4()
			if u < 0 {
				r.fail("invalid \\u escape")
				return buf
			}
			if u >= 0xD800 && u < 0xDC00 && r.pos+6 <= len(r.data) && r.data[r.pos] == '\\' && r.data[r.pos+1] == 'u' {
				save := r.pos
				r.pos += 2
				if lo := r.hex4(); lo >= 0xDC00 && lo < 0xE000 {
					buf = utf8.AppendRune(buf, rune((u-0xD800)<<10|(lo-0xDC00))+0x10000)
					break
				}
				r.pos = save
			}
			if u >= 0xD800 && u < 0xE000 {
				// A lone surrogate: keep it visible to the character check.
				buf = append(buf, 0xE0|byte(u>>12), 0x80|byte(u>>6)&0x3F, 0x80|byte(u)&0x3F)
				break
			}
			buf = utf8.AppendRune(buf, rune(u))
		default:
			r.fail("invalid escape")
			return buf
		}
		start = r.pos
	}
	r.fail("unterminated string")
	return buf
}

func (r *jsonReader) hex4() int {
	if r.pos+4 > len(r.data) {
		return -1
	}
	v := 0
	for _, c := range r.data[r.pos : r.pos+4] {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | int(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | int(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | int(c-'A'+10)
		default:
			return -1
		}
	}
	r.pos += 4
	return v
}

// intPtr reads an integer, nil for null. A fraction, an exponent or a
// value out of range is an error, as for encoding/json into an int.
func (r *jsonReader) intPtr() *int {
	if r.null() {
		return nil
	}
	start := r.pos
	if r.pos < len(r.data) && r.data[r.pos] == '-' {
		r.pos++
	}
	digits := r.pos
	for r.pos < len(r.data) && r.data[r.pos] >= '0' && r.data[r.pos] <= '9' {
		r.pos++
	}
	if r.pos == digits || (r.data[digits] == '0' && r.pos-digits > 1) {
		r.fail("expected an integer")
		return nil
	}
	if r.pos < len(r.data) {
		if c := r.data[r.pos]; c == '.' || c == 'e' || c == 'E' {
			r.fail("expected an integer")
			return nil
		}
	}
	n, err := strconv.Atoi(string(r.data[start:r.pos]))
	if err != nil {
		r.fail("integer out of range")
		return nil
	}
	return &n
}

// base64Bytes reads a base64 string as encoding/json does for []byte
// (nil for null).
func (r *jsonReader) base64Bytes() []byte {
	if r.null() {
		return nil
	}
	if r.peek() != '"' {
		r.fail("expected a base64 string")
		return nil
	}
	s := r.rawString()
	out := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(out, s)
	if err != nil {
		r.fail("invalid base64")
		return nil
	}
	return out[:n]
}

// skip consumes one value of any type, checking its syntax.
func (r *jsonReader) skip() {
	switch c := r.peek(); {
	case c == '{':
		r.object(func([]byte) { r.skip() })
	case c == '[':
		r.array(r.skip)
	case c == '"':
		r.rawString()
	case c == 't':
		r.literal("true")
	case c == 'f':
		r.literal("false")
	case c == 'n':
		r.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		r.number()
	default:
		r.fail("expected a value")
	}
}

func (r *jsonReader) number() {
	if r.data[r.pos] == '-' {
		r.pos++
	}
	digits := func() int {
		n := 0
		for r.pos < len(r.data) && r.data[r.pos] >= '0' && r.data[r.pos] <= '9' {
			r.pos++
			n++
		}
		return n
	}
	if n := digits(); n == 0 || (n > 1 && r.data[r.pos-n] == '0') {
		r.fail("invalid number")
		return
	}
	if r.pos < len(r.data) && r.data[r.pos] == '.' {
		r.pos++
		if digits() == 0 {
			r.fail("invalid number")
			return
		}
	}
	if r.pos < len(r.data) && (r.data[r.pos] == 'e' || r.data[r.pos] == 'E') {
		r.pos++
		if r.pos < len(r.data) && (r.data[r.pos] == '+' || r.data[r.pos] == '-') {
			r.pos++
		}
		if digits() == 0 {
			r.fail("invalid number")
			return
		}
	}
}

// --- the request shapes ---

// messageAttributes reads a map of attributes into *dst: null clears
// it, a repeated field adds to it, as with encoding/json.
func (r *jsonReader) messageAttributes(dst *map[string]messageAttribute) {
	if r.null() {
		*dst = nil
		return
	}
	if *dst == nil {
		*dst = map[string]messageAttribute{}
	}
	out := *dst
	r.object(func(name []byte) {
		var a messageAttribute
		r.object(func(key []byte) {
			switch string(key) {
			case "DataType":
				r.strTo(&a.DataType)
			case "StringValue":
				a.StringValue = r.strPtr()
			case "BinaryValue":
				a.BinaryValue = r.base64Bytes()
			case "StringListValues":
				a.StringListValues = r.strList()
			case "BinaryListValues":
				r.array(func() { a.BinaryListValues = append(a.BinaryListValues, r.base64Bytes()) })
			default:
				r.skip()
			}
		})
		out[string(name)] = a
	})
}

// sendEntryField reads one field of a SendMessage request or batch
// entry; it reports false for a field that is not part of an entry.
func (r *jsonReader) sendEntryField(e *sendEntry, key []byte) bool {
	switch string(key) {
	case "Id":
		r.strTo(&e.ID)
	case "MessageBody":
		r.strTo(&e.MessageBody)
	case "DelaySeconds":
		e.DelaySeconds = r.intPtr()
	case "MessageAttributes":
		r.messageAttributes(&e.MessageAttributes)
	case "MessageSystemAttributes":
		r.messageAttributes(&e.MessageSystemAttributes)
	case "MessageDeduplicationId":
		r.strTo(&e.MessageDeduplicationID)
	case "MessageGroupId":
		r.strTo(&e.MessageGroupID)
	default:
		return false
	}
	return true
}

// entry is what a request carries one of, or a batch of.
type entry interface{ sendEntry | handleEntry }

// entryField reads one field of e; it reports false for a field that is
// not part of an entry. A type switch, not a function value: a call
// through a function value makes the reader escape to the heap, one
// allocation more per request on the hot path.
func entryField[E entry](r *jsonReader, e *E, key []byte) bool {
	switch e := any(e).(type) {
	case *sendEntry:
		return r.sendEntryField(e, key)
	case *handleEntry:
		return r.handleEntryField(e, key)
	}
	return false
}

// decodeEntryInput reads a request of one entry beside its QueueUrl
// (SendMessage, DeleteMessage, ChangeMessageVisibility).
func decodeEntryInput[E entry](body []byte, queueURL *string, e *E) *apiError {
	r := jsonReader{data: body}
	r.object(func(key []byte) {
		if string(key) == "QueueUrl" {
			r.strTo(queueURL)
		} else if !entryField(&r, e, key) {
			r.skip()
		}
	})
	return r.end()
}

// decodeBatchInput reads a batch request: its QueueUrl and its Entries
// (the *Batch actions).
func decodeBatchInput[E entry](body []byte, queueURL *string, entries *[]E) *apiError {
	r := jsonReader{data: body}
	r.object(func(key []byte) {
		switch string(key) {
		case "QueueUrl":
			r.strTo(queueURL)
		case "Entries":
			// As encoding/json: null leaves no slice, [] an empty one.
			if r.null() {
				*entries = nil
				break
			}
			// Room for a full batch: growing by appends took five
			// allocations for ten entries.
			*entries = make([]E, 0, maxBatchEntries)
			r.array(func() {
				var zero E
				*entries = append(*entries, zero)
				e := &(*entries)[len(*entries)-1]
				r.object(func(key []byte) {
					if !entryField(&r, e, key) {
						r.skip()
					}
				})
			})
		default:
			r.skip()
		}
	})
	return r.end()
}

func decodeSendInput(body []byte, in *sendInput) *apiError {
	return decodeEntryInput(body, &in.QueueURL, &in.sendEntry)
}

func decodeSendBatchInput(body []byte, in *sendBatchInput) *apiError {
	return decodeBatchInput(body, &in.QueueURL, &in.Entries)
}

func decodeReceiveInput(body []byte, in *receiveInput) *apiError {
	r := jsonReader{data: body}
	r.object(func(key []byte) {
		switch string(key) {
		case "QueueUrl":
			r.strTo(&in.QueueURL)
		case "AttributeNames":
			in.AttributeNames = r.strList()
		case "MessageSystemAttributeNames":
			in.MessageSystemAttributeNames = r.strList()
		case "MessageAttributeNames":
			in.MessageAttributeNames = r.strList()
		case "MaxNumberOfMessages":
			in.MaxNumberOfMessages = r.intPtr()
		case "VisibilityTimeout":
			in.VisibilityTimeout = r.intPtr()
		case "WaitTimeSeconds":
			in.WaitTimeSeconds = r.intPtr()
		case "ReceiveRequestAttemptId":
			r.strTo(&in.ReceiveRequestAttemptID)
		default:
			r.skip()
		}
	})
	return r.end()
}

// handleInput is DeleteMessage and ChangeMessageVisibility.
type handleInput struct {
	QueueURL string
	handleEntry
}

func (r *jsonReader) handleEntryField(e *handleEntry, key []byte) bool {
	switch string(key) {
	case "Id":
		r.strTo(&e.ID)
	case "ReceiptHandle":
		r.strTo(&e.ReceiptHandle)
	case "VisibilityTimeout":
		e.VisibilityTimeout = r.intPtr()
	default:
		return false
	}
	return true
}

func decodeHandleInput(body []byte, in *handleInput) *apiError {
	return decodeEntryInput(body, &in.QueueURL, &in.handleEntry)
}

func decodeHandleBatchInput(body []byte, in *handleBatchInput) *apiError {
	return decodeBatchInput(body, &in.QueueURL, &in.Entries)
}
