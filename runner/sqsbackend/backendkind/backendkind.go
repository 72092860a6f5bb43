// Package backendkind is the one list of SQS backend kinds: their names,
// what each is, and how to choose it. It imports nothing, so that the
// scenario package (validation, the JSON Schema's enum, did-you-mean) and
// the CLI can name the kinds without linking the backends themselves
// (testcontainers, the AWS SDK); package sqsbackend registers one opener
// per kind and a test there checks that every kind here has one.
package backendkind

import "strings"

// The kinds' names, as scenarios and -backend spell them.
const (
	Embedded   = "embedded"
	LocalStack = "localstack"
	Endpoint   = "endpoint"
)

// Kind describes one backend kind.
type Kind struct {
	// Name is the value of sqs.backend and -backend.
	Name string
	// Doc says what the backend is, for the scenario's field
	// documentation and its JSON Schema.
	Doc string
	// Hint says in a few words when to choose it, for the error that
	// names the known kinds.
	Hint string
}

// all is in the order the documentation and the errors list the kinds:
// the default first. Adding a backend adds its line here.
var all = []Kind{
	{Name: Embedded, Doc: "the in-process server", Hint: "in-process, the default"},
	{Name: LocalStack, Doc: "a LocalStack container (needs Docker)", Hint: "needs Docker"},
	{Name: Endpoint, Doc: "any SQS endpoint (endpoint, or the AWS SDK's default chain when empty)", Hint: "a URL or the AWS SDK's default chain"},
}

// Default is the kind a scenario gets when it names none.
const Default = Embedded

// All returns every kind, the default first. The slice is a copy.
func All() []Kind { return append([]Kind(nil), all...) }

// Names returns every kind's name, the default first.
func Names() []string {
	names := make([]string, len(all))
	for i, k := range all {
		names[i] = k.Name
	}
	return names
}

// Known reports whether name is a kind.
func Known(name string) bool {
	for _, k := range all {
		if k.Name == name {
			return true
		}
	}
	return false
}

// Doc is every kind's documentation in one sentence, as the scenario's
// sqs.backend field shows it: "embedded: the in-process server; ...".
func Doc() string {
	parts := make([]string, len(all))
	for i, k := range all {
		parts[i] = k.Name + ": " + k.Doc
	}
	return strings.Join(parts, "; ") + "."
}

// List names the kinds for a usage line: "embedded, localstack or endpoint".
func List() string { return orList(Names()) }

// Choices lists the kinds with their hints for an error message:
// "embedded (in-process, the default), localstack (needs Docker) or
// endpoint (...)".
func Choices() string {
	parts := make([]string, len(all))
	for i, k := range all {
		parts[i] = k.Name + " (" + k.Hint + ")"
	}
	return orList(parts)
}

func orList(parts []string) string {
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}
