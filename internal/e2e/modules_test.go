package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// nestedModules are the repository's public modules below the server's
// (go.work lists them). `go test ./...` at the root stops where a nested
// module begins, so TestNestedModules runs their own tests from here: the
// README's one test command then runs every test of the repository.
var nestedModules = []string{"client", "verify", "verify/ginverify"}

// TestNestedModules runs `go test ./...` in each public module, with the
// flags of this run that mean something there (-race, -short, -count).
// `go test -short` skips it; a module run on its own (GOWORK=off, the way
// its users build it) is CI's own step.
func TestNestedModules(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the nested modules are not run")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range nestedModules {
		t.Run(m, func(t *testing.T) {
			args := []string{"test"}
			if raceEnabled {
				args = append(args, "-race")
			}
			cmd := exec.Command(gobin, append(args, "./...")...)
			cmd.Dir = filepath.Join(root, m)
			cmd.Env = os.Environ()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("go test ./... in %s: %v\n%s", m, err, out)
				return
			}
			if !strings.Contains(string(out), "ok ") {
				t.Errorf("go test ./... in %s ran no test:\n%s", m, out)
			}
		})
	}
}
