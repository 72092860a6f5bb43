#!/bin/sh
# Installs the pinned AWS SDK for JavaScript used by TestNodeSDK
# (runner/sqsemu). CI calls this before `go test`; without it the test
# skips and says so.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
