#!/usr/bin/env bash
# Prints rev=<commit> for $GITHUB_OUTPUT: the commit a pull request is
# judged against. For a pull request, the merge base of its base branch and
# its head (what the change is relative to, whatever landed on the base
# since); for a manual run, the previous commit.
set -euo pipefail
if [ -n "${BASE_SHA:-}" ]; then
  rev=$(git merge-base "$BASE_SHA" HEAD)
else
  rev=$(git rev-parse HEAD~1)
fi
echo "judging $(git rev-parse HEAD) against $rev" >&2
echo "rev=$rev" >> "${GITHUB_OUTPUT:-/dev/stdout}"
