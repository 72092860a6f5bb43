package sqsemu

import (
	"encoding/base64"
	"sort"
	"strconv"
	"unicode/utf8"
)

// Hand-written encoders for the responses on the message hot path
// (receive, send batch, delete and visibility batches): they append to a
// pooled buffer without reflection. Everything else uses encoding/json.

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			// Not reachable for validated bodies; keep the output valid JSON.
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendKey(b []byte, key string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

func appendStringMap(b []byte, m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, m[k])
	}
	return append(b, '}')
}

func appendAttributeMap(b []byte, m map[string]messageAttribute) []byte {
	b = append(b, '{')
	for i, k := range sortedNames(m) {
		a := m[k]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, `:{"DataType":`...)
		b = appendString(b, a.DataType)
		if a.StringValue != nil {
			b = append(b, `,"StringValue":`...)
			b = appendString(b, *a.StringValue)
		}
		if a.BinaryValue != nil {
			b = append(b, `,"BinaryValue":"`...)
			b = base64.StdEncoding.AppendEncode(b, a.BinaryValue)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func (o *receiveOutput) appendJSON(b []byte) []byte {
	if len(o.Messages) == 0 {
		return append(b, "{}"...)
	}
	b = append(b, `{"Messages":[`...)
	for i := range o.Messages {
		m := &o.Messages[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendKey(append(b, '{'), "MessageId", true)
		b = appendString(b, m.MessageID)
		b = appendKey(b, "ReceiptHandle", false)
		b = appendString(b, m.ReceiptHandle)
		b = appendKey(b, "MD5OfBody", false)
		b = appendString(b, m.MD5OfBody)
		b = appendKey(b, "Body", false)
		b = appendString(b, m.Body)
		if len(m.Attributes) > 0 {
			b = appendKey(b, "Attributes", false)
			b = appendStringMap(b, m.Attributes)
		}
		if m.MD5OfMessageAttributes != "" {
			b = appendKey(b, "MD5OfMessageAttributes", false)
			b = appendString(b, m.MD5OfMessageAttributes)
		}
		if len(m.MessageAttributes) > 0 {
			b = appendKey(b, "MessageAttributes", false)
			b = appendAttributeMap(b, m.MessageAttributes)
		}
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

func appendFailures(b []byte, failed []batchFailure) []byte {
	b = append(b, `"Failed":[`...)
	for i, f := range failed {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendKey(append(b, '{'), "Id", true)
		b = appendString(b, f.ID)
		b = appendKey(b, "SenderFault", false)
		b = strconv.AppendBool(b, f.SenderFault)
		b = appendKey(b, "Code", false)
		b = appendString(b, f.Code)
		if f.Message != "" {
			b = appendKey(b, "Message", false)
			b = appendString(b, f.Message)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

func (o *sendOutput) appendFields(b []byte) []byte {
	first := true
	if o.ID != "" {
		b = appendKey(b, "Id", true)
		b = appendString(b, o.ID)
		first = false
	}
	b = appendKey(b, "MessageId", first)
	b = appendString(b, o.MessageID)
	b = appendKey(b, "MD5OfMessageBody", false)
	b = appendString(b, o.MD5OfMessageBody)
	if o.MD5OfMessageAttributes != "" {
		b = appendKey(b, "MD5OfMessageAttributes", false)
		b = appendString(b, o.MD5OfMessageAttributes)
	}
	if o.MD5OfMessageSystemAttributes != "" {
		b = appendKey(b, "MD5OfMessageSystemAttributes", false)
		b = appendString(b, o.MD5OfMessageSystemAttributes)
	}
	if o.SequenceNumber != "" {
		b = appendKey(b, "SequenceNumber", false)
		b = appendString(b, o.SequenceNumber)
	}
	return b
}

func (o *sendOutput) appendJSON(b []byte) []byte {
	return append(o.appendFields(append(b, '{')), '}')
}

func (o *sendBatchOutput) appendJSON(b []byte) []byte {
	b = append(b, `{"Successful":[`...)
	for i := range o.Successful {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(o.Successful[i].appendFields(append(b, '{')), '}')
	}
	b = appendFailures(append(b, "],"...), o.Failed)
	return append(b, '}')
}

func (o *handleBatchOutput) appendJSON(b []byte) []byte {
	b = append(b, `{"Successful":[`...)
	for i, s := range o.Successful {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendString(append(b, `{"Id":`...), s.ID), '}')
	}
	b = appendFailures(append(b, "],"...), o.Failed)
	return append(b, '}')
}
