package sqsemu

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestErrorsDecodeToSDKTypes serves every error the emulator can answer
// with to the real SDK client and checks what the SDK makes of it: the
// typed error from service/sqs/types where the model has one, the query
// code as ErrorCode() (the SDK's AWS-query compatibility), the fault and
// the HTTP status.
func TestErrorsDecodeToSDKTypes(t *testing.T) {
	cases := []struct {
		err    *apiError
		target any // pointer to the expected typed error, nil for a generic API error
	}{
		{errQueueDoesNotExist(), new(*types.QueueDoesNotExist)},
		{errQueueNameExists("VisibilityTimeout"), new(*types.QueueNameExists)},
		{errReceiptHandleIsInvalid("x"), new(*types.ReceiptHandleIsInvalid)},
		{errMessageNotInflight(), new(*types.MessageNotInflight)},
		{errInvalidAttributeName("X"), new(*types.InvalidAttributeName)},
		{errInvalidAttributeValue("bad"), new(*types.InvalidAttributeValue)},
		{errInvalidMessageContents(), new(*types.InvalidMessageContents)},
		{errEmptyBatchRequest(), new(*types.EmptyBatchRequest)},
		{errTooManyEntriesInBatchRequest(11), new(*types.TooManyEntriesInBatchRequest)},
		{errBatchEntryIdsNotDistinct("a"), new(*types.BatchEntryIdsNotDistinct)},
		{errInvalidBatchEntryID("a b"), new(*types.InvalidBatchEntryId)},
		{errBatchRequestTooLong(2, 1), new(*types.BatchRequestTooLong)},
		{errUnsupportedOperation("no"), new(*types.UnsupportedOperation)},
		{errInvalidParameterValue("bad"), nil},
		{errMissingParameter("QueueName"), nil},
		{errSerialization("bad"), nil},
		{errUnknownOperation("x"), nil},
		{errRequestTooLarge(1), nil},
		{errInternal(), nil},
	}
	h := New()
	defer h.Close()
	for _, tc := range cases {
		t.Run(tc.err.shape, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { h.writeError(w, tc.err) }))
			defer srv.Close()
			httpc := newHTTPClient()
			defer httpc.CloseIdleConnections()
			c := newClient(srv.URL, DefaultRegion, httpc)
			_, err := c.GetQueueUrl(t.Context(), &sqs.GetQueueUrlInput{QueueName: aws.String("q")},
				func(o *sqs.Options) { o.RetryMaxAttempts = 1 })
			require.Error(t, err)
			if tc.target != nil {
				require.True(t, errors.As(err, tc.target), "want %T, got %v", tc.target, err)
			}
			var apiErr smithy.APIError
			require.True(t, errors.As(err, &apiErr), "%v", err)
			assert.Equal(t, tc.err.queryCode, apiErr.ErrorCode())
			if tc.err.shape != "MessageNotInflight" { // its model shape has no message member
				assert.Equal(t, tc.err.message, apiErr.ErrorMessage())
			}
			wantFault := smithy.FaultClient
			if !tc.err.sender {
				wantFault = smithy.FaultServer
			}
			assert.Equal(t, wantFault, apiErr.ErrorFault())
			var respErr *awshttp.ResponseError
			require.True(t, errors.As(err, &respErr))
			assert.Equal(t, tc.err.status, respErr.HTTPStatusCode())
		})
	}
}
