package sqscount

import (
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// sentSize is a message's size as SQS counts it against its limit: the
// body plus each attribute's name, type and value.
func sentSize(body *string, attrs map[string]types.MessageAttributeValue) uint64 {
	n := 0
	if body != nil {
		n = len(*body)
	}
	return uint64(n + attributesSize(attrs))
}

func receivedSize(m *types.Message) uint64 {
	return sentSize(m.Body, m.MessageAttributes)
}

func attributesSize(attrs map[string]types.MessageAttributeValue) int {
	n := 0
	for name, v := range attrs {
		n += len(name)
		if v.DataType != nil {
			n += len(*v.DataType)
		}
		if v.StringValue != nil {
			n += len(*v.StringValue)
		}
		n += len(v.BinaryValue)
	}
	return n
}
