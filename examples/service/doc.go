// Package service runs the built-in service (service/cmd/service) as an
// external program through the runner, exactly as the Node and Go
// example consumers are run, so the three can be compared side by side
// (see scenarios/ and the README's table).
package service
