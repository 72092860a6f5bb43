package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Limits on what a message may carry. They keep one bad producer from
// making the service allocate without bound; a message beyond them goes to
// the dead-letter queue with the limit named in its reason.
const (
	MaxMessageBytes = 1 << 20 // SQS's own maximum message size
	MaxTasksPerJob  = 10_000
	MaxIDLength     = 256
	MaxURLLength    = 8192
)

// InvalidMessageError says why a message body is not a valid job or task.
// Its text is what the dead-letter queue's reason attribute carries.
type InvalidMessageError struct {
	Kind  string // "job" or "task"
	Field string // JSON path of the offending field; empty for the whole body
	Issue string // what is wrong and what is allowed
}

func (e *InvalidMessageError) Error() string {
	if e.Field == "" {
		return "invalid " + e.Kind + ": " + e.Issue
	}
	return "invalid " + e.Kind + ": " + e.Field + ": " + e.Issue
}

func invalid(kind, field, format string, args ...any) error {
	return &InvalidMessageError{Kind: kind, Field: field, Issue: fmt.Sprintf(format, args...)}
}

// DecodeJob parses and validates the body of an export-jobs message. Tasks
// that omit job_id inherit the job's; unknown fields are ignored so that
// producers can add fields without sending every message to the
// dead-letter queue.
func DecodeJob(body string) (ExportJob, error) {
	var job ExportJob
	if err := decodeJSON("job", body, &job); err != nil {
		return ExportJob{}, err
	}
	if err := checkID("job", "job_id", job.JobID); err != nil {
		return ExportJob{}, err
	}
	if len(job.Tasks) == 0 {
		return ExportJob{}, invalid("job", "tasks", "must list at least one task")
	}
	if len(job.Tasks) > MaxTasksPerJob {
		return ExportJob{}, invalid("job", "tasks", "has %d tasks; at most %d are allowed", len(job.Tasks), MaxTasksPerJob)
	}
	seen := make(map[string]struct{}, len(job.Tasks))
	for i := range job.Tasks {
		t := &job.Tasks[i]
		prefix := "tasks[" + strconv.Itoa(i) + "]."
		if t.JobID == "" {
			t.JobID = job.JobID
		} else if t.JobID != job.JobID {
			return ExportJob{}, invalid("job", prefix+"job_id", "is %q but the job is %q; omit it or make them equal", truncate(t.JobID), truncate(job.JobID))
		}
		if err := checkTask("job", prefix, t); err != nil {
			return ExportJob{}, err
		}
		if _, dup := seen[t.TaskID]; dup {
			return ExportJob{}, invalid("job", prefix+"task_id", "%q appears twice; task ids must be unique within a job", truncate(t.TaskID))
		}
		seen[t.TaskID] = struct{}{}
	}
	return job, nil
}

// DecodeTask parses and validates the body of a download-tasks message.
func DecodeTask(body string) (Task, error) {
	var t Task
	if err := decodeJSON("task", body, &t); err != nil {
		return Task{}, err
	}
	if err := checkID("task", "job_id", t.JobID); err != nil {
		return Task{}, err
	}
	if err := checkTask("task", "", &t); err != nil {
		return Task{}, err
	}
	return t, nil
}

func decodeJSON(kind, body string, v any) error {
	if len(body) > MaxMessageBytes {
		return invalid(kind, "", "body is %d bytes; at most %d are allowed", len(body), MaxMessageBytes)
	}
	if !utf8.ValidString(body) {
		return invalid(kind, "", "body is not valid UTF-8")
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		return invalid(kind, jsonField(err), "body is not a JSON %s object: %s", kind, jsonReason(err))
	}
	return nil
}

// jsonField extracts the field a type error is about, so the reason points
// at it.
func jsonField(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return typeErr.Field
	}
	return ""
}

func jsonReason(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return "got a JSON " + typeErr.Value + ", want " + typeErr.Type.String()
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return syntaxErr.Error() + " at byte " + strconv.FormatInt(syntaxErr.Offset, 10)
	}
	return err.Error()
}

func checkTask(kind, prefix string, t *Task) error {
	if err := checkID(kind, prefix+"task_id", t.TaskID); err != nil {
		return err
	}
	if len(t.URL) > MaxURLLength {
		return invalid(kind, prefix+"url", "is %d bytes; at most %d are allowed", len(t.URL), MaxURLLength)
	}
	if t.Size < 0 {
		return invalid(kind, prefix+"size", "is %d; must be 0 (handler default) or more", t.Size)
	}
	if t.Attempt < 0 {
		return invalid(kind, prefix+"attempt", "is %d; must be 0 or more", t.Attempt)
	}
	return nil
}

func checkID(kind, field, id string) error {
	if id == "" {
		return invalid(kind, field, "is missing or empty")
	}
	if len(id) > MaxIDLength {
		return invalid(kind, field, "is %d bytes; at most %d are allowed", len(id), MaxIDLength)
	}
	return nil
}

func truncate(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
