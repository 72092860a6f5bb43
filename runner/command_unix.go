//go:build unix

package runner

import (
	"os/exec"
	"syscall"
)

// inOwnGroup starts cmd as the leader of a process group of its own, so
// that the stop signal reaches what it started too (`go run` and its
// binary, `npm start` and node).
func inOwnGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// signalGroup sends the named signal to the process group led by pid.
func signalGroup(pid int, name string) error {
	sig, ok := map[string]syscall.Signal{
		"SIGTERM": syscall.SIGTERM, "SIGINT": syscall.SIGINT, "SIGQUIT": syscall.SIGQUIT,
		"SIGHUP": syscall.SIGHUP, "SIGUSR1": syscall.SIGUSR1, "SIGUSR2": syscall.SIGUSR2,
		"SIGKILL": syscall.SIGKILL,
	}[name]
	if !ok {
		sig = syscall.SIGTERM
	}
	return syscall.Kill(-pid, sig)
}
