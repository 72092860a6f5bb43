package sqsemu

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBodiesCheckedOnRawBytes sends bodies and attribute values that a
// JSON decoder would silently turn into U+FFFD (invalid UTF-8, lone
// surrogate escapes). SQS rejects them; so must the emulator, instead of
// storing a changed body and answering 200.
func TestBodiesCheckedOnRawBytes(t *testing.T) {
	h := New()
	defer h.Close()
	status, _, out := call(t, h, "AmazonSQS.CreateQueue", `{"QueueName":"raw"}`)
	require.Equal(t, http.StatusOK, status, out)
	const url = `"QueueUrl":"/000000000000/raw"`

	rejected := []struct{ name, body, wantType string }{
		{"invalid UTF-8 byte", "{" + url + ",\"MessageBody\":\"a\xffb\"}", "com.amazonaws.sqs#InvalidMessageContents"},
		{"truncated UTF-8 sequence", "{" + url + ",\"MessageBody\":\"a\xe2\x82\"}", "com.amazonaws.sqs#InvalidMessageContents"},
		{"UTF-8 encoded surrogate", "{" + url + ",\"MessageBody\":\"\xed\xa0\x80\"}", "com.amazonaws.sqs#InvalidMessageContents"},
		{"lone high surrogate escape", `{` + url + `,"MessageBody":"x\ud800y"}`, "com.amazonaws.sqs#InvalidMessageContents"},
		{"lone low surrogate escape", `{` + url + `,"MessageBody":"\udc00"}`, "com.amazonaws.sqs#InvalidMessageContents"},
		{"high surrogate then non-surrogate", `{` + url + `,"MessageBody":"\ud800\u0041"}`, "com.amazonaws.sqs#InvalidMessageContents"},
		{"escaped U+FFFE", `{` + url + `,"MessageBody":"\ufffe"}`, "com.amazonaws.sqs#InvalidMessageContents"},
		{"attribute value lone surrogate", `{` + url + `,"MessageBody":"ok","MessageAttributes":{"a":{"DataType":"String","StringValue":"\ud800"}}}`, "com.amazonaws.sqs#InvalidParameterValue"},
		{"attribute value invalid UTF-8", "{" + url + ",\"MessageBody\":\"ok\",\"MessageAttributes\":{\"a\":{\"DataType\":\"String\",\"StringValue\":\"\xc3\"}}}", "com.amazonaws.sqs#InvalidParameterValue"},
	}
	for _, tc := range rejected {
		t.Run(tc.name, func(t *testing.T) {
			status, hdr, out := call(t, h, "AmazonSQS.SendMessage", tc.body)
			assert.Equal(t, http.StatusBadRequest, status, out)
			assert.Equal(t, tc.wantType, out["__type"])
			assert.NotEmpty(t, hdr.Get("X-Amzn-Query-Error"))
		})
	}

	t.Run("batch entry", func(t *testing.T) {
		status, _, out := call(t, h, "AmazonSQS.SendMessageBatch",
			`{`+url+`,"Entries":[{"Id":"bad","MessageBody":"\udfff"},{"Id":"good","MessageBody":"fine"}]}`)
		require.Equal(t, http.StatusOK, status, out)
		failed := out["Failed"].([]any)
		require.Len(t, failed, 1)
		assert.Equal(t, "bad", failed[0].(map[string]any)["Id"])
		assert.Equal(t, "InvalidMessageContents", failed[0].(map[string]any)["Code"])
		assert.Len(t, out["Successful"].([]any), 1)
	})

	// Nothing rejected above may have been stored; what is valid arrives
	// byte for byte, a surrogate pair as the character it encodes.
	status, _, out = call(t, h, "AmazonSQS.PurgeQueue", `{`+url+`}`)
	require.Equal(t, http.StatusOK, status, out)
	for _, body := range []string{`"pair \ud83d\ude00 \u00e9 \ufffd \/"`, "\"raw \xf0\x9f\x8e\x89\""} {
		status, _, out = call(t, h, "AmazonSQS.SendMessage", `{`+url+`,"MessageBody":`+body+`}`)
		require.Equal(t, http.StatusOK, status, out)
	}
	status, _, out = call(t, h, "AmazonSQS.ReceiveMessage", `{`+url+`,"MaxNumberOfMessages":10}`)
	require.Equal(t, http.StatusOK, status, out)
	msgs := out["Messages"].([]any)
	require.Len(t, msgs, 2)
	assert.Equal(t, "pair \U0001F600 é \uFFFD /", msgs[0].(map[string]any)["Body"])
	assert.Equal(t, "raw 🎉", msgs[1].(map[string]any)["Body"])
}
