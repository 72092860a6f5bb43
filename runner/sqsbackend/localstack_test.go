package sqsbackend

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/exitcode"
)

const fakeToken = "ls-FAKEtoken-0123456789"

func TestLocalStackWithoutDockerSaysWhatToDo(t *testing.T) {
	ctx := t.Context()
	if CheckDocker(ctx) == nil {
		t.Skip("Docker is available here, so the no-Docker path cannot be exercised")
	}
	_, err := Open(ctx, Config{Kind: LocalStack, Getenv: env(map[string]string{"LOCALSTACK_AUTH_TOKEN": fakeToken})})
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrDockerUnavailable))
	assert.Equal(t, exitcode.Environment, exitcode.Of(err))
	assert.Contains(t, err.Error(), "install and start Docker")
	assert.Contains(t, err.Error(), "backend: embedded")
	assert.NotContains(t, err.Error(), fakeToken)
}

// TestLocalStack runs the whole backend against a real LocalStack
// container. It skips where no Docker engine runs, with the same message
// a user of -backend localstack would get.
func TestLocalStack(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	if err := CheckDocker(ctx); err != nil {
		t.Skip(err.Error())
	}
	b, err := Open(ctx, Config{Kind: LocalStack, Prefix: "ls-"})
	if b != nil {
		t.Cleanup(func() { _ = b.Close(context.Background()) })
	}
	require.NoError(t, err)
	assert.Equal(t, DefaultLocalStackImage, withDefaults(Config{}).Image)
	assert.Positive(t, b.StartDuration)

	q, err := b.CreateQueues(ctx, spec)
	require.NoError(t, err)
	_, err = b.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.Jobs), MessageBody: aws.String("hello")})
	require.NoError(t, err)
	out, err := b.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.Jobs), WaitTimeSeconds: 5})
	require.NoError(t, err)
	require.Len(t, out.Messages, 1)
	assert.Equal(t, "hello", aws.ToString(out.Messages[0].Body))
	assert.Equal(t, "ls-export-jobs", q.Names["export-jobs"])

	require.NoError(t, b.Close(ctx))
	require.NoError(t, b.Close(ctx))
}
