package sqsemu

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzAppendString: the hand-written encoder must produce JSON that
// decodes back to the same string, for any valid UTF-8.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\" back\\slash", "ctl\x00\x01\x1f\t\n\r", "ünï 🎉", "\u2028\u2029", "</script>&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		enc := appendString(nil, s)
		var back string
		require.NoError(t, json.Unmarshal(enc, &back), "%q", enc)
		require.Equal(t, s, back)
	})
}

func TestHandWrittenEncodersMatchEncodingJSON(t *testing.T) {
	v := "v\"1"
	out := &receiveOutput{Messages: []outMessage{{
		MessageID: "id", ReceiptHandle: "rh", MD5OfBody: "md5", Body: "body\n",
		Attributes:             map[string]string{"b": "2", "a": "1"},
		MD5OfMessageAttributes: "x",
		MessageAttributes: map[string]messageAttribute{
			"s": {DataType: "String", StringValue: &v},
			"b": {DataType: "Binary", BinaryValue: []byte{0, 255}},
		},
	}}}
	for _, v := range []interface{ appendJSON([]byte) []byte }{
		out,
		&receiveOutput{},
		&sendBatchOutput{Successful: []sendOutput{{ID: "1", MessageID: "m", MD5OfMessageBody: "d", SequenceNumber: "10000000000000000001"}},
			Failed: []batchFailure{{ID: "2", SenderFault: true, Code: "InvalidParameterValue", Message: "bad"}}},
		&sendOutput{MessageID: "m", MD5OfMessageBody: "d", MD5OfMessageAttributes: "a"},
		&handleBatchOutput{Successful: []idOnly{{"a"}}, Failed: []batchFailure{}},
	} {
		want, err := json.Marshal(v)
		require.NoError(t, err)
		assert.JSONEq(t, string(want), string(v.appendJSON(nil)))
	}
}
