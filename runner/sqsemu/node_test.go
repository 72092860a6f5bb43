package sqsemu

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestNodeSDK runs testdata/node/check.mjs, which uses the AWS SDK for
// JavaScript v3 through AWS_ENDPOINT_URL_SQS, against a NewServer. It
// needs Node.js and the SDK installed by testdata/node/install.sh.
func TestNodeSDK(t *testing.T) {
	dir := filepath.Join("testdata", "node")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@aws-sdk", "client-sqs")); err != nil {
		t.Skip("the AWS SDK for JavaScript is not installed: run runner/sqsemu/testdata/node/install.sh (needs npm) to enable this test")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: install Node.js 18 or later to enable this test")
	}
	srv := NewServer()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "check.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"AWS_ENDPOINT_URL_SQS="+srv.URL,
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_SESSION_TOKEN=",
		"AWS_PROFILE=",
		"AWS_CONFIG_FILE="+os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE="+os.DevNull,
	)
	var stderr strings.Builder
	cmd.Stderr = &stderr // the SDK prints deprecation warnings there
	out, err := cmd.Output()
	require.NoError(t, err, "node check failed:\n%s\n%s", out, stderr.String())
	require.Equal(t, "ok", strings.TrimSpace(string(out)), "stderr:\n%s", stderr.String())
}
