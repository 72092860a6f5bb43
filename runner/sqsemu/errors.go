package sqsemu

import (
	"fmt"
	"net/http"
)

// apiError is an error answer in the shape the AWS SDKs decode: the
// `__type` names the modelled shape (so aws-sdk-go-v2 returns the typed
// error from service/sqs/types) and the x-amzn-query-error header carries
// the legacy query code the SDKs expose as ErrorCode().
type apiError struct {
	status    int
	shape     string // __type without namespace, e.g. QueueDoesNotExist
	queryCode string // e.g. AWS.SimpleQueueService.NonExistentQueue
	sender    bool   // client fault (Sender) or server fault (Receiver)
	message   string
}

func (e *apiError) Error() string { return e.queryCode + ": " + e.message }

func (e *apiError) typeName() string {
	if e.shape == "SerializationException" || e.shape == "UnknownOperationException" {
		return "com.amazon.coral.service#" + e.shape
	}
	return "com.amazonaws.sqs#" + e.shape
}

func (e *apiError) queryHeader() string {
	if e.sender {
		return e.queryCode + ";Sender"
	}
	return e.queryCode + ";Receiver"
}

// The constructors below mirror the modelled errors of the SQS API
// (status and query code as in the service model the SDKs are built from).

func errQueueDoesNotExist() *apiError {
	return &apiError{http.StatusBadRequest, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", true,
		"The specified queue does not exist."}
}

func errQueueNameExists(name string) *apiError {
	return &apiError{http.StatusBadRequest, "QueueNameExists", "QueueAlreadyExists", true,
		fmt.Sprintf("A queue already exists with the same name and a different value for attribute(s): %s", name)}
}

func errReceiptHandleIsInvalid(handle string) *apiError {
	return &apiError{http.StatusNotFound, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", true,
		fmt.Sprintf("The input receipt handle %q is not a valid receipt handle.", truncate(handle, 64))}
}

func errMessageNotInflight() *apiError {
	return &apiError{http.StatusBadRequest, "MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", true,
		"The message referred to is not in flight."}
}

func errInvalidParameterValue(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidParameterValue", "InvalidParameterValue", true,
		fmt.Sprintf(format, args...)}
}

func errMissingParameter(name string) *apiError {
	return &apiError{http.StatusBadRequest, "MissingParameter", "MissingParameter", true,
		fmt.Sprintf("The request must contain the parameter %s.", name)}
}

func errInvalidAttributeName(name string) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidAttributeName", "InvalidAttributeName", true,
		fmt.Sprintf("Unknown Attribute %s.", truncate(name, 64))}
}

func errInvalidAttributeValue(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidAttributeValue", "InvalidAttributeValue", true,
		fmt.Sprintf(format, args...)}
}

func errInvalidMessageContents() *apiError {
	return &apiError{http.StatusBadRequest, "InvalidMessageContents", "InvalidMessageContents", true,
		"Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"}
}

func errEmptyBatchRequest() *apiError {
	return &apiError{http.StatusBadRequest, "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", true,
		"There should be at least one entry in the request."}
}

func errTooManyEntriesInBatchRequest(n int) *apiError {
	return &apiError{http.StatusBadRequest, "TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", true,
		fmt.Sprintf("Maximum number of entries per request are 10. You have sent %d.", n)}
}

func errBatchEntryIdsNotDistinct(id string) *apiError {
	return &apiError{http.StatusBadRequest, "BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", true,
		fmt.Sprintf("Id %s repeated.", truncate(id, 80))}
}

func errInvalidBatchEntryID(id string) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", true,
		fmt.Sprintf("A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long. Got %q.", truncate(id, 100))}
}

func errBatchRequestTooLong(size, limit int) *apiError {
	return &apiError{http.StatusBadRequest, "BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong", true,
		fmt.Sprintf("Batch requests cannot be longer than %d bytes. You have sent %d bytes.", limit, size)}
}

func errUnsupportedOperation(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", true,
		fmt.Sprintf(format, args...)}
}

func errSerialization(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "SerializationException", "SerializationException", true,
		fmt.Sprintf(format, args...)}
}

func errUnknownOperation(target string) *apiError {
	return &apiError{http.StatusBadRequest, "UnknownOperationException", "UnknownOperationException", true,
		fmt.Sprintf("Unknown operation %q: expected header X-Amz-Target: AmazonSQS.<Action> (AWS JSON 1.0 protocol).", truncate(target, 64))}
}

// errUnsupportedContentType answers a request in another protocol or
// none: SQS's AWS JSON endpoint routes only application/x-amz-json-1.0
// (the query protocol's form encoding gets the same answer as an
// unknown target).
func errUnsupportedContentType(ct string) *apiError {
	return &apiError{http.StatusBadRequest, "UnknownOperationException", "UnknownOperationException", true,
		fmt.Sprintf("Unsupported Content-Type %q: the AWS JSON 1.0 protocol needs Content-Type: application/x-amz-json-1.0.", truncate(ct, 64))}
}

func errRequestTooLarge(limit int64) *apiError {
	return &apiError{http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "RequestEntityTooLarge", true,
		fmt.Sprintf("Request body is larger than the server's limit of %d bytes.", limit)}
}

func errInternal() *apiError {
	return &apiError{http.StatusInternalServerError, "InternalError", "InternalError", false,
		"We encountered an internal error. Please try again."}
}

func errMethodNotAllowed() *apiError {
	return &apiError{http.StatusMethodNotAllowed, "UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", true,
		"Only POST requests with the AWS JSON 1.0 protocol are supported."}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
