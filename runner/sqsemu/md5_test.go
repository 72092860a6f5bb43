package sqsemu

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
)

// md5OfSDKAttributes adapts SDK attribute values to the emulator's digest.
func md5OfSDKAttributes(in map[string]types.MessageAttributeValue) string {
	m := make(map[string]messageAttribute, len(in))
	for k, v := range in {
		m[k] = messageAttribute{DataType: aws.ToString(v.DataType), StringValue: v.StringValue, BinaryValue: v.BinaryValue}
	}
	return md5OfAttributes(m)
}

// Known answers published with SQS samples and reproduced by other
// implementations (the AWS documentation's SellerName example).
func TestMD5OfAttributesKnownAnswers(t *testing.T) {
	s := func(v string) *string { return &v }
	assert.Equal(t, "cd28f3b68aeee4b2eac9c66f2f694b58", md5OfAttributes(map[string]messageAttribute{
		"SellerName": {DataType: "String", StringValue: s("Example Store")},
	}))
	assert.Equal(t, "d21ae90c49061e927f57df5f5d72be1f", md5OfAttributes(map[string]messageAttribute{
		"ordinal":  {DataType: "Number", StringValue: s("1")},
		"category": {DataType: "String", StringValue: s("test")},
	}))
	assert.Equal(t, "", md5OfAttributes(nil))
}

func TestValidMessageChars(t *testing.T) {
	assert.True(t, validMessageChars("plain \t\r\n ünïcode 🎉"))
	assert.False(t, validMessageChars("nul\x00"))
	assert.False(t, validMessageChars("bell\x07"))
	assert.False(t, validMessageChars("bad utf8 \xff"))
	assert.False(t, validMessageChars("\uFFFE"))
}

func TestIsSQSNumber(t *testing.T) {
	for _, ok := range []string{"0", "-1", "+2.5", "1e10", "1.5E-3", ".5"} {
		assert.True(t, isSQSNumber(ok), ok)
	}
	for _, bad := range []string{"", "-", "1e", "abc", "1.2.3", "0x10", "123456789012345678901234567890123456789"} {
		assert.False(t, isSQSNumber(bad), bad)
	}
}
