package sqsbackend

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/require"
)

// TestServerLedgerInBothEmbeddedModes: the child process and the
// in-process fallback both account for every message, and since leaves
// out what was sent before it (a run's warm-up).
func TestServerLedgerInBothEmbeddedModes(t *testing.T) {
	for _, inProcess := range []bool{false, true} {
		b, err := Open(t.Context(), Config{Kind: Embedded, InProcess: inProcess})
		require.NoError(t, err)
		t.Cleanup(func() { _ = b.Close(t.Context()) })
		require.Equal(t, inProcess, b.PID == 0, "child process: %v", b.Warnings)
		q, err := b.CreateQueues(t.Context(), QueueSpec{Jobs: "j", Tasks: "t", DeadLetter: "d", VisibilityTimeout: time.Second, MaxReceiveCount: 2})
		require.NoError(t, err)
		send := func(body string) {
			_, err := b.Client.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: &q.Jobs, MessageBody: aws.String(body)})
			require.NoError(t, err)
		}
		send("warm-up")
		time.Sleep(2 * time.Millisecond)
		since := time.Now()
		send("kept")
		send("held")
		out, err := b.Client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: &q.Jobs, MaxNumberOfMessages: 10})
		require.NoError(t, err)
		require.Len(t, out.Messages, 3)
		for _, m := range out.Messages {
			if aws.ToString(m.Body) != "held" {
				_, err := b.Client.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: &q.Jobs, ReceiptHandle: m.ReceiptHandle})
				require.NoError(t, err)
			}
		}

		n, ok, err := b.ServerReceives(t.Context())
		require.NoError(t, err)
		require.True(t, ok)
		require.EqualValues(t, 1, n, "one ReceiveMessage call")

		all, ok, err := b.ServerLedger(t.Context(), time.Time{})
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, 3, all.Sent)
		require.Equal(t, 2, all.Processed)
		require.Equal(t, 1, all.InFlight, "held within its visibility timeout")

		window, ok, err := b.ServerLedger(t.Context(), since)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, 2, window.Sent, "the warm-up message is left out")
		require.Equal(t, 1, window.Processed)
	}
}

func TestServerLedgerOnlyForTheEmbeddedKind(t *testing.T) {
	_, ok, err := (&Backend{Kind: Endpoint, Endpoint: "http://127.0.0.1:1"}).ServerLedger(t.Context(), time.Time{})
	require.NoError(t, err)
	require.False(t, ok)
	_, ok, err = (*Backend)(nil).ServerLedger(t.Context(), time.Time{})
	require.NoError(t, err)
	require.False(t, ok)
}
