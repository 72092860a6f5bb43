#!/usr/bin/env bash
# Writes PNG screenshots of the reports the browser test checks (a pass, a
# threshold failure and a regression, each at laptop and phone width) so a
# person can check that report.html reads well. The pictures are 6000px
# tall: the whole page. Needs Debian's chromium (apt-get install -y chromium).
# Usage: runner/report/testdata/screenshot.sh [OUT_DIR]   (default: /tmp/sqsperf-report)
set -euo pipefail
out="$(realpath -m "${1:-/tmp/sqsperf-report}")"
cd "$(dirname "$0")/../../.."
go test ./runner/report -count=1 -run '^TestReportInChromiumAtLaptopAndPhoneWidths$' -screenshots "$out" -v | grep -E 'screenshot:|SKIP|FAIL|^ok' || true
ls "$out"/*.png
