package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

// latchkeyBinary builds the latchkey binary once per test run, so tests
// can run instances as separate processes, as an operator would.
func latchkeyBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "latchkey-bin-*")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "latchkey")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = err
			t.Logf("go build: %s", out)
		}
	})
	if binErr != nil {
		t.Fatalf("build latchkey: %v", binErr)
	}
	return binPath
}

// process is a latchkey run by a test as a process of its own.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when it has exited
	code   int           // its exit code, once exited is closed
	killed atomic.Bool
}

// kill ends p with SIGKILL, as a crash would, and returns once it has
// exited: nothing of it runs after.
func (p *process) kill(t *testing.T) {
	t.Helper()
	p.killed.Store(true)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL latchkey (pid %d): %v", p.cmd.Process.Pid, err)
	}
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("latchkey (pid %d) did not exit within 30s of SIGKILL", p.cmd.Process.Pid)
	}
}

// startProcess runs `latchkey <args>` as a separate process with env (and
// PATH, HOME) until the test ends, when it gets SIGTERM and must exit 0
// (unless the test killed it), and waits until its output contains want.
func startProcess(t *testing.T, env []string, want string, args ...string) (string, *process) {
	t.Helper()
	cmd := exec.Command(latchkeyBinary(t), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start latchkey %s: %v", args[0], err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	done := make(chan int, 1)
	go func() {
		_ = cmd.Wait()
		p.code = cmd.ProcessState.ExitCode()
		close(p.exited)
		done <- p.code
	}()
	t.Cleanup(func() {
		if p.killed.Load() {
			return
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
			if p.code != 0 {
				t.Errorf("latchkey %s (pid %d): exit %d after SIGTERM; stderr %s", args[0], cmd.Process.Pid, p.code, stderr.String())
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("latchkey %s did not stop within 30s of SIGTERM", args[0])
		}
	})
	waitFor(t, &stdout, want, done)
	return stdout.String(), p
}
