package service

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeJob(t *testing.T) {
	job, err := DecodeJob(`{"job_id":"j","tasks":[{"task_id":"a","url":"https://x/a","size":10},{"task_id":"b","job_id":"j"}],"payload":"xx","extra":1}`)
	require.NoError(t, err)
	assert.Equal(t, ExportJob{JobID: "j", Payload: "xx", Tasks: []Task{
		{TaskID: "a", JobID: "j", URL: "https://x/a", Size: 10},
		{TaskID: "b", JobID: "j"},
	}}, job)

	for body, want := range map[string]string{
		``:                           "body is not a JSON job object",
		`[]`:                         "got a JSON array",
		`{"job_id":"j"}`:             "tasks: must list at least one task",
		`{"job_id":"","tasks":[{}]}`: "job_id: is missing or empty",
		`{"job_id":"j","tasks":[{"task_id":""}]}`:                                                      "tasks[0].task_id: is missing or empty",
		`{"job_id":"j","tasks":[{"task_id":"a","job_id":"k"}]}`:                                        `tasks[0].job_id: is "k" but the job is "j"`,
		`{"job_id":"j","tasks":[{"task_id":"a","size":-1}]}`:                                           "tasks[0].size: is -1",
		`{"job_id":"j","tasks":[{"task_id":"a","attempt":-2}]}`:                                        "tasks[0].attempt: is -2",
		`{"job_id":"j","tasks":[{"task_id":"a"}]} {}`:                                                  "after top-level value",
		`{"job_id":"j","tasks":[{"task_id":"a","size":"big"}]}`:                                        "tasks.size: body is not a JSON job object: got a JSON string, want int",
		"{\"job_id\":\"\xff\",\"tasks\":[]}":                                                           "not valid UTF-8",
		`{"job_id":"j","tasks":[{"task_id":"a","url":"` + strings.Repeat("u", MaxURLLength+1) + `"}]}`: "tasks[0].url: is 8193 bytes",
	} {
		_, err := DecodeJob(body)
		var invalid *InvalidMessageError
		if assert.ErrorAs(t, err, &invalid, "%q", body) {
			assert.Equal(t, "job", invalid.Kind)
			assert.Contains(t, err.Error(), want, "%q", body)
		}
	}
	_, err = DecodeJob(strings.Repeat(" ", MaxMessageBytes+1))
	assert.ErrorContains(t, err, "at most 1048576 are allowed")
}

func TestDecodeTask(t *testing.T) {
	task, err := DecodeTask(`{"task_id":"a","job_id":"j","attempt":2}`)
	require.NoError(t, err)
	assert.Equal(t, Task{TaskID: "a", JobID: "j", Attempt: 2}, task)
	_, err = DecodeTask(`{"task_id":"a"}`)
	assert.EqualError(t, err, "invalid task: job_id: is missing or empty")
	_, err = DecodeTask(`{"job_id":"j"}`)
	assert.EqualError(t, err, "invalid task: task_id: is missing or empty")
}

func TestAttributeTextIsSafeForSQS(t *testing.T) {
	assert.Equal(t, "a?b\tc", attributeText("a\x00b\tc"))
	assert.Equal(t, "\uFFFD??", attributeText("\uFFFD\uFFFE\uFFFF"))
	assert.Len(t, []rune(attributeText(strings.Repeat("é", 5000))), 1024)
}

// checkDecoded holds for anything a decoder accepts: it re-encodes and
// decodes to the same value, and passes validation again.
func FuzzDecodeJob(f *testing.F) {
	for _, seed := range []string{
		`{"job_id":"j","tasks":[{"task_id":"a"}]}`,
		`{"job_id":"j","tasks":[{"task_id":"a","url":"https://x","size":5,"attempt":1}],"payload":"p"}`,
		`{"job_id":"j","tasks":[]}`,
		`not json`,
		`{"job_id":1}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		job, err := DecodeJob(body)
		if err != nil {
			var invalid *InvalidMessageError
			require.ErrorAs(t, err, &invalid)
			require.Equal(t, "job", invalid.Kind)
			require.Equal(t, ExportJob{}, job)
			return
		}
		require.NotEmpty(t, job.JobID)
		require.NotEmpty(t, job.Tasks)
		for _, task := range job.Tasks {
			require.Equal(t, job.JobID, task.JobID)
			require.NotEmpty(t, task.TaskID)
		}
		again, err := json.Marshal(job)
		require.NoError(t, err)
		decoded, err := DecodeJob(string(again))
		require.NoError(t, err)
		require.Equal(t, job, decoded)
	})
}

func FuzzDecodeTask(f *testing.F) {
	for _, seed := range []string{
		`{"task_id":"a","job_id":"j"}`,
		`{"task_id":"a","job_id":"j","url":"u","size":1,"attempt":3}`,
		`{"task_id":"a"}`,
		`{`,
		`{"task_id":"a","job_id":"j","size":-1}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		task, err := DecodeTask(body)
		if err != nil {
			var invalid *InvalidMessageError
			require.ErrorAs(t, err, &invalid)
			require.Equal(t, "task", invalid.Kind)
			return
		}
		body2, err := encodeTask(task)
		require.NoError(t, err)
		decoded, err := DecodeTask(body2)
		require.NoError(t, err)
		require.Equal(t, task, decoded)
	})
}
