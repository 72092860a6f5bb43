package sqsemu

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// messageAttribute is a message (or message system) attribute as it
// travels in requests and responses.
type messageAttribute struct {
	DataType         string   `json:"DataType"`
	StringValue      *string  `json:"StringValue,omitempty"`
	BinaryValue      []byte   `json:"BinaryValue,omitempty"`
	StringListValues []string `json:"StringListValues,omitempty"`
	BinaryListValues [][]byte `json:"BinaryListValues,omitempty"`
}

// md5Hex is the hex MD5 of a message body: one allocation (the result)
// where md5.Sum([]byte(s)) and hex.EncodeToString took three, ten times
// per SendMessageBatch. The body is hashed in place (md5 only reads it).
func md5Hex(s string) string {
	sum := md5.Sum(unsafe.Slice(unsafe.StringData(s), len(s)))
	var out [2 * md5.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

// md5OfAttributes implements the digest SQS defines for message
// attributes: names sorted, each field length-prefixed (4 bytes, big
// endian), a transport byte of 1 for String/Number and 2 for Binary.
// The SDKs recompute it and reject a mismatch.
func md5OfAttributes(attrs map[string]messageAttribute) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	sort.Strings(names)
	h := md5.New()
	var lenBuf [4]byte
	writeField := func(b []byte) {
		binary.BigEndian.PutUint32(lenBuf[:], uint32(len(b)))
		h.Write(lenBuf[:])
		h.Write(b)
	}
	for _, name := range names {
		a := attrs[name]
		writeField([]byte(name))
		writeField([]byte(a.DataType))
		if strings.HasPrefix(a.DataType, "Binary") {
			h.Write([]byte{2})
			writeField(a.BinaryValue)
		} else {
			h.Write([]byte{1})
			var v string
			if a.StringValue != nil {
				v = *a.StringValue
			}
			writeField([]byte(v))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// validMessageChars reports whether s holds only the characters SQS
// accepts in a message body or attribute value.
func validMessageChars(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return false
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
		i += size
	}
	return true
}

// validateMessageAttributes checks names, types and values the way SQS
// does and returns the attributes' share of the message size.
func validateMessageAttributes(attrs map[string]messageAttribute, system bool) (int, *apiError) {
	if len(attrs) > 10 {
		return 0, errInvalidParameterValue("Number of message attributes [%d] exceeds the allowed maximum [10].", len(attrs))
	}
	size := 0
	for name, a := range attrs {
		if system {
			if name != "AWSTraceHeader" {
				return 0, errInvalidParameterValue("Message system attribute name '%s' is invalid.", truncate(name, 64))
			}
		} else if msg := invalidAttributeName(name); msg != "" {
			return 0, errInvalidParameterValue("Message attribute name '%s' is invalid. %s", truncate(name, 64), msg)
		}
		base, custom, _ := strings.Cut(a.DataType, ".")
		switch {
		case a.DataType == "":
			return 0, errInvalidParameterValue("The message attribute '%s' must contain non-empty message attribute type.", truncate(name, 64))
		case base != "String" && base != "Number" && base != "Binary":
			return 0, errInvalidParameterValue("The type of message attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", truncate(name, 64))
		case len(a.DataType) > 256 || (custom == "" && strings.Contains(a.DataType, ".")):
			return 0, errInvalidParameterValue("The type of message attribute '%s' is invalid.", truncate(name, 64))
		case len(a.StringListValues) > 0 || len(a.BinaryListValues) > 0:
			return 0, errInvalidParameterValue("Message attribute list values in '%s' are not supported.", truncate(name, 64))
		}
		if base == "Binary" {
			if len(a.BinaryValue) == 0 || a.StringValue != nil {
				return 0, errInvalidParameterValue("The message attribute '%s' with type 'Binary' must use field 'Binary'.", truncate(name, 64))
			}
			size += len(a.BinaryValue)
		} else {
			if a.StringValue == nil || *a.StringValue == "" || a.BinaryValue != nil {
				return 0, errInvalidParameterValue("The message attribute '%s' with type '%s' must use field 'String'.", truncate(name, 64), base)
			}
			if !validMessageChars(*a.StringValue) {
				return 0, errInvalidParameterValue("The message attribute '%s' contains invalid characters.", truncate(name, 64))
			}
			if base == "Number" && !isSQSNumber(*a.StringValue) {
				return 0, errInvalidParameterValue("Can't cast the value of message (user) attribute '%s' to a number.", truncate(name, 64))
			}
			size += len(*a.StringValue)
		}
		size += len(name) + len(a.DataType)
	}
	return size, nil
}

func invalidAttributeName(name string) string {
	switch {
	case name == "":
		return "The name must not be empty."
	case len(name) > 256:
		return "The name can be up to 256 characters long."
	case strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, ".."):
		return "The name can't start or end with a period, or contain successive periods."
	case strings.HasPrefix(strings.ToLower(name), "aws.") || strings.HasPrefix(strings.ToLower(name), "amazon."):
		return "The prefixes AWS. and Amazon. are reserved."
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return "Valid characters are A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.)."
		}
	}
	return ""
}

// isSQSNumber accepts what SQS accepts for the Number type: up to 38
// significant digits, an optional sign, decimal point and exponent.
func isSQSNumber(s string) bool {
	i, digits := 0, 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	seenDot := false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !seenDot:
			seenDot = true
		case (c == 'e' || c == 'E') && digits > 0:
			rest := s[i+1:]
			if len(rest) > 0 && (rest[0] == '+' || rest[0] == '-') {
				rest = rest[1:]
			}
			if rest == "" {
				return false
			}
			for j := 0; j < len(rest); j++ {
				if rest[j] < '0' || rest[j] > '9' {
					return false
				}
			}
			return digits <= 38
		default:
			return false
		}
	}
	return digits > 0 && digits <= 38
}
