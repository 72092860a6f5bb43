#!/usr/bin/env bash
# Writes a PNG screenshot of a sample report (the test fixture rendered by
# report.Write) so a person can check that report.html reads well.
# Needs Debian's chromium (apt-get install -y chromium).
# Usage: runner/report/testdata/screenshot.sh [OUT.png]   (default: /tmp/sqsperf-report.png)
set -euo pipefail
out="$(realpath -m "${1:-/tmp/sqsperf-report.png}")"
cd "$(dirname "$0")/../../.."
go test ./runner/report -count=1 -run '^TestHTMLScreenshot$' -screenshot "$out" -v | grep -E 'screenshot|SKIP|FAIL|ok' || true
test -s "$out" && echo "wrote $out"
