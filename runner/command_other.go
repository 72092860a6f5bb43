//go:build !unix

package runner

import (
	"os"
	"os/exec"
)

func inOwnGroup(*exec.Cmd) {}

// signalGroup can only kill on systems without Unix signals.
func signalGroup(pid int, _ string) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}
