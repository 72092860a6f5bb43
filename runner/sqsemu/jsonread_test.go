package sqsemu

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRequestDecoder compares the hand-written request decoder with
// encoding/json, which it replaced: on input where encoding/json is
// faithful (valid UTF-8, no surrogate escapes, field names spelled
// exactly) both must agree on success and on the decoded value; on any
// input the hand-written one must not accept what encoding/json rejects
// as malformed.
func FuzzRequestDecoder(f *testing.F) {
	for _, seed := range []string{
		`{"QueueUrl":"q","Entries":[{"Id":"1","MessageBody":"a\"b\\u00e9","DelaySeconds":3,"MessageAttributes":{"n":{"DataType":"Number","StringValue":"1"},"b":{"DataType":"Binary","BinaryValue":"AAE="}}}]}`,
		`{"QueueUrl":null,"Entries":null}`,
		`{"Entries":[null,{}],"Other":[1,2.5e3,true,false,null,{"x":[]}]}`,
		`{"QueueUrl":"q","MessageBody":"\ud83d\ude00","MessageGroupId":"g","MessageSystemAttributes":{"AWSTraceHeader":{"DataType":"String","StringValue":"t"}}}`,
		`{"QueueUrl":"q","MaxNumberOfMessages":10,"AttributeNames":["All"],"WaitTimeSeconds":-1,"VisibilityTimeout":0}`,
		`{"QueueUrl":"q","ReceiptHandle":"h","VisibilityTimeout":1.5}`,
		`{"DelaySeconds":"1"}`, `[]`, `{"a":1}x`, `{"a":01}`, `  {  }  `, `{"MessageBody":"\x01"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		faithful := utf8.Valid(body) && !bytes.Contains(bytes.ToLower(body), []byte(`\ud`)) && exactFieldNames(body) && noDuplicateKeys(body)
		check := func(name string, mine, std any, decodeMine func() *apiError) {
			errMine := decodeMine()
			errStd := json.Unmarshal(body, std)
			if errMine == nil && errStd != nil {
				var syntax *json.SyntaxError
				if isSyntax := errorAs(errStd, &syntax); isSyntax || faithful {
					t.Fatalf("%s: accepted what encoding/json rejects (%v): %q", name, errStd, body)
				}
			}
			if !faithful {
				return
			}
			if (errMine == nil) != (errStd == nil) {
				t.Fatalf("%s: hand-written %v, encoding/json %v: %q", name, errMine, errStd, body)
			}
			if errMine == nil && !reflect.DeepEqual(mine, std) {
				t.Fatalf("%s: decoded differently:\n%#v\n%#v\n%q", name, mine, std, body)
			}
		}
		var sb1, sb2 sendBatchInput
		check("send batch", &sb1, &sb2, func() *apiError { return decodeSendBatchInput(body, &sb1) })
		var s1, s2 sendInput
		check("send", &s1, &s2, func() *apiError { return decodeSendInput(body, &s1) })
		var r1, r2 receiveInput
		check("receive", &r1, &r2, func() *apiError { return decodeReceiveInput(body, &r1) })
		var h1, h2 handleBatchInput
		check("handle batch", &h1, &h2, func() *apiError { return decodeHandleBatchInput(body, &h1) })
	})
}

func errorAs(err error, target **json.SyntaxError) bool {
	se, ok := err.(*json.SyntaxError)
	if ok {
		*target = se
	}
	return ok
}

// noDuplicateKeys reports whether no object in body repeats a key
// (encoding/json merges repeated fields into what it decoded first; the
// hand-written decoder starts them afresh, except attribute maps).
func noDuplicateKeys(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		keys     map[string]bool
		isObject bool
		wantKey  bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return true // end, or malformed: nothing to compare
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.isObject && top.wantKey {
			if k, ok := tok.(string); ok {
				if top.keys[k] {
					return false
				}
				top.keys[k] = true
				top.wantKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, isObject: true, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && stack[len(stack)-1].isObject {
			stack[len(stack)-1].wantKey = true // a value ended
		}
	}
}

// exactFieldNames reports whether body is JSON whose object keys never
// match a request field only when letter case is ignored (encoding/json
// accepts those, the hand-written decoder does not).
func exactFieldNames(body []byte) bool {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return true // malformed: nothing to compare field by field
	}
	fields := []string{"QueueUrl", "Entries", "Id", "MessageBody", "DelaySeconds", "MessageAttributes",
		"MessageSystemAttributes", "MessageDeduplicationId", "MessageGroupId", "DataType", "StringValue",
		"BinaryValue", "StringListValues", "BinaryListValues", "AttributeNames", "MessageSystemAttributeNames",
		"MessageAttributeNames", "MaxNumberOfMessages", "VisibilityTimeout", "WaitTimeSeconds",
		"ReceiveRequestAttemptId", "ReceiptHandle"}
	var walk func(any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				for _, f := range fields {
					if k != f && strings.EqualFold(k, f) {
						return false
					}
				}
				if !walk(e) {
					return false
				}
			}
		case []any:
			for _, e := range v {
				if !walk(e) {
					return false
				}
			}
		}
		return true
	}
	return walk(v)
}
