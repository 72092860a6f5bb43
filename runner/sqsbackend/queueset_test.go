package sqsbackend

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSharedBackendQueueSetsPerRepeat: one backend, two repeats' queue
// sets under prefixes of their own; a message sent to one set never
// shows in the other, and each set is deleted on its own (Close then has
// nothing left to delete).
func TestSharedBackendQueueSetsPerRepeat(t *testing.T) {
	ctx := t.Context()
	srv := remote(t)
	admin := srv.Client()
	b, err := Open(ctx, Config{Kind: Endpoint, Endpoint: srv.URL, Getenv: env(nil)})
	require.NoError(t, err)
	defer b.Close(ctx)

	one, two := spec, spec
	one.Prefix, two.Prefix = "r1-", "r2-"
	q1, err := b.CreateQueues(ctx, one)
	require.NoError(t, err)
	q2, err := b.CreateQueues(ctx, two)
	require.NoError(t, err)
	assert.Equal(t, b.Prefix+"r1-export-jobs", q1.Names["export-jobs"])
	assert.NotEqual(t, q1.Jobs, q2.Jobs)

	_, err = b.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q1.Jobs), MessageBody: aws.String("repeat 1")})
	require.NoError(t, err)
	out, err := b.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q2.Jobs)})
	require.NoError(t, err)
	assert.Empty(t, out.Messages, "repeat 2's queue holds repeat 1's message")

	require.NoError(t, b.DeleteQueues(ctx, q1))
	assert.ElementsMatch(t, []string{b.Prefix + "r2-export-jobs", b.Prefix + "r2-download-tasks", b.Prefix + "r2-export-dlq"}, queueNames(t, admin, b.Prefix))
	require.NoError(t, b.DeleteQueues(ctx, q2))
	assert.Empty(t, queueNames(t, admin, b.Prefix))

	// Queues this backend did not create are never deleted.
	other, err := admin.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("team-jobs")})
	require.NoError(t, err)
	require.NoError(t, b.DeleteQueues(ctx, Queues{Jobs: aws.ToString(other.QueueUrl)}))
	assert.Equal(t, []string{"team-jobs"}, queueNames(t, admin, "team-"))
}

// TestQueueSpecPrefixCountsTowardsTheNameLimit: the repeat prefix is part
// of the name SQS checks.
func TestQueueSpecPrefixCountsTowardsTheNameLimit(t *testing.T) {
	b := &Backend{Prefix: "p-"}
	s := spec
	s.Prefix = "r1-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-"
	err := b.validate(s)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SQS allows at most 80")
}
