// Package workflowcheck holds the test that keeps .github/workflows honest:
// every workflow parses, has the triggers and jobs the project relies on,
// and every run step calls only commands that exist in this repository
// (make targets, Go packages and tests, runner subcommands and flags,
// scripts, scenario files). A workflow that references something renamed
// fails here, on a developer's machine, instead of on the next pull request.
//
// Commands, the small splitter of run: scripts into commands that the
// test uses, is the package's only code.
package workflowcheck
