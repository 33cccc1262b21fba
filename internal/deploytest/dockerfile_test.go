package deploytest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"go/version"
	"io/fs"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// buildTarget is the package the image must build.
const buildTarget = "./cmd/latchkey"

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line int    // where it starts
	cmd  string // upper case: FROM, RUN, ...
	args string
}

func (in instruction) String() string { return fmt.Sprintf("line %d: %s %s", in.line, in.cmd, in.args) }

// parseDockerfile splits a Dockerfile into instructions. It drops comments
// and blank lines (also inside continuations, as Docker does) and joins lines
// ending in a backslash. Heredocs are not supported.
func parseDockerfile(text string) []instruction {
	var (
		out   []instruction
		buf   strings.Builder
		start int
	)
	flush := func() {
		cmd, args, _ := strings.Cut(strings.TrimSpace(buf.String()), " ")
		if cmd != "" {
			out = append(out, instruction{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)})
		}
		buf.Reset()
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if buf.Len() == 0 {
			start = n
		}
		if s, ok := strings.CutSuffix(line, `\`); ok {
			buf.WriteString(s)
			buf.WriteString(" ")
			continue
		}
		buf.WriteString(line)
		flush()
	}
	flush()
	return out
}

// stage is one FROM and the instructions up to the next.
type stage struct {
	index  int
	from   instruction
	image  string
	name   string
	instrs []instruction
}

func stages(instrs []instruction) []*stage {
	var out []*stage
	for _, in := range instrs {
		if in.cmd == "FROM" {
			s := &stage{index: len(out), from: in}
			var f []string
			for _, w := range strings.Fields(in.args) {
				if !strings.HasPrefix(w, "--") {
					f = append(f, w)
				}
			}
			if len(f) > 0 {
				s.image = f[0]
			}
			if len(f) >= 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			out = append(out, s)
			continue
		}
		if len(out) > 0 {
			out[len(out)-1].instrs = append(out[len(out)-1].instrs, in)
		}
	}
	return out
}

// shellWords splits s on white space, keeping quoted parts together and
// dropping the quotes. It is enough for the RUN, ENV and COPY lines here, not
// a shell.
func shellWords(s string) []string {
	var (
		out   []string
		cur   strings.Builder
		quote rune
		inTok bool
	)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inTok = r, true
		case r == ' ' || r == '\t':
			if inTok {
				out = append(out, cur.String())
				cur.Reset()
				inTok = false
			}
		default:
			cur.WriteRune(r)
			inTok = true
		}
	}
	if inTok {
		out = append(out, cur.String())
	}
	return out
}

// envPairs reads ENV or ARG arguments, in KEY=VALUE form or the legacy
// "ENV KEY VALUE" form.
func envPairs(args string) map[string]string {
	w := shellWords(args)
	out := map[string]string{}
	if len(w) > 0 && !strings.Contains(w[0], "=") {
		out[w[0]] = strings.Join(w[1:], " ")
		return out
	}
	for _, kv := range w {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

// listArgs reads the arguments of ENTRYPOINT, CMD or VOLUME: a JSON array
// (exec form) or, with exec=false, white-space separated words.
func listArgs(args string) (list []string, exec bool) {
	if strings.HasPrefix(args, "[") {
		if err := json.Unmarshal([]byte(args), &list); err == nil {
			return list, true
		}
	}
	return shellWords(args), false
}

// env returns the value of an ENV or ARG key set in the stage before
// instruction number before, and whether it is set.
func (s *stage) env(key string, before int) (string, bool) {
	var v string
	var set bool
	for i, in := range s.instrs {
		if i >= before {
			break
		}
		if in.cmd == "ENV" || in.cmd == "ARG" {
			if val, ok := envPairs(in.args)[key]; ok {
				v, set = val, true
			}
		}
	}
	return v, set
}

// copySpec is a COPY: its flags, sources and destination.
type copySpec struct {
	from  string
	srcs  []string
	dest  string
	index int
}

func (s *stage) copies() []copySpec {
	var out []copySpec
	for i, in := range s.instrs {
		if in.cmd != "COPY" && in.cmd != "ADD" {
			continue
		}
		c := copySpec{index: i}
		var rest []string
		w, exec := listArgs(in.args)
		if !exec {
			for _, x := range w {
				if v, ok := strings.CutPrefix(x, "--from="); ok {
					c.from = v
				} else if !strings.HasPrefix(x, "--") {
					rest = append(rest, x)
				}
			}
		} else {
			rest = w
		}
		if len(rest) >= 2 {
			c.srcs, c.dest = rest[:len(rest)-1], rest[len(rest)-1]
		}
		out = append(out, c)
	}
	return out
}

var goVersionTag = regexp.MustCompile(`^(\d+\.\d+(?:\.\d+)?)(?:-|$)`)

// imageRef splits an image reference into repository and tag, dropping a
// digest and Docker Hub's default prefixes.
func imageRef(image string) (repo, tag string) {
	image, _, _ = strings.Cut(image, "@")
	repo = image
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		repo, tag = image[:i], image[i+1:]
	}
	repo = strings.TrimPrefix(repo, "docker.io/")
	repo = strings.TrimPrefix(repo, "library/")
	return repo, tag
}

// goDirective returns the go version a go.mod asks for.
func goDirective(gomod string) string {
	for _, line := range strings.Split(gomod, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// checkDockerfile returns one message per problem found in the Dockerfile.
// goMod is the version from go.mod's go directive; modFiles are the
// repository's go.mod, go.sum, go.work and go.work.sum files, relative to
// its root.
func checkDockerfile(instrs []instruction, goMod string, modFiles []string) []string {
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	st := stages(instrs)
	if len(st) < 2 {
		fail("Dockerfile: got %d FROM stage(s), want a multi-stage build (>= 2): build with Go, run without it", len(st))
		if len(st) == 0 {
			return problems
		}
	}
	final := st[len(st)-1]

	// The build stage: the one that runs go build.
	var (
		build    *stage
		buildIdx int
		buildRun []string
	)
	for _, s := range st[:len(st)-1] {
		for i, in := range s.instrs {
			if in.cmd != "RUN" {
				continue
			}
			w := shellWords(in.args)
			for j := range w {
				if w[j] == "go" && j+1 < len(w) && w[j+1] == "build" {
					build, buildIdx, buildRun = s, i, w
				}
			}
		}
	}
	var output string
	if build == nil {
		fail("Dockerfile: no stage before the final one runs go build, want a build stage")
	} else {
		run := build.instrs[buildIdx]
		// The toolchain in the image must satisfy go.mod, or the build fails
		// (or downloads another toolchain) at image build time.
		repo, tag := imageRef(build.image)
		m := goVersionTag.FindStringSubmatch(tag)
		switch {
		case repo != "golang":
			fail("Dockerfile: build stage FROM %q, want a golang:<version> image", build.image)
		case m == nil:
			fail("Dockerfile: build stage FROM %q, want a pinned golang:<version>[-<os>] tag", build.image)
		case goMod == "":
			fail("go.mod: no go directive to compare with %q", build.image)
		case strings.Count(m[1], ".") == 1 && version.Compare("go"+m[1], version.Lang("go"+goMod)) < 0,
			strings.Count(m[1], ".") == 2 && version.Compare("go"+m[1], "go"+goMod) < 0:
			fail("Dockerfile: build stage FROM %q has Go %s, want at least go.mod's go %s", build.image, m[1], goMod)
		}

		// The binary must be static: the final image has no libc.
		cgo, set := build.env("CGO_ENABLED", buildIdx)
		if slices.Contains(buildRun, "CGO_ENABLED=0") {
			cgo, set = "0", true
		}
		if !set || cgo != "0" {
			fail("Dockerfile: %v: CGO_ENABLED = %q, want CGO_ENABLED=0 (the final image is static)", run, cgo)
		}
		if !slices.Contains(buildRun, buildTarget) && !slices.Contains(buildRun, "github.com/latchkey/latchkey/cmd/latchkey") {
			fail("Dockerfile: %v: want it to build %s", run, buildTarget)
		}
		if !strings.Contains(run.args, "main.version=") {
			fail("Dockerfile: %v: want -ldflags \"-X main.version=...\" so `latchkey version` names the build", run)
		}
		output = flagValue(buildRun, "-o")
		if output == "" {
			fail("Dockerfile: %v: want -o <path> naming the binary to copy", run)
		}

		// Module downloads cached in their own layer: go.mod copied and
		// modules downloaded before the rest of the source is.
		var srcCopy, modCopy, download = -1, -1, -1
		for _, c := range build.copies() {
			if c.from != "" {
				continue
			}
			if srcCopy < 0 && slices.Contains(c.srcs, ".") {
				srcCopy = c.index
			}
			if modCopy < 0 && slices.Contains(c.srcs, "go.mod") {
				modCopy = c.index
			}
		}
		for i, in := range build.instrs {
			if download < 0 && in.cmd == "RUN" && strings.Contains(in.args, "go mod download") {
				download = i
			}
		}
		if srcCopy < 0 || modCopy < 0 || download < 0 || !(modCopy < download && download < srcCopy) {
			fail("Dockerfile: build stage copies go.mod at #%d, runs go mod download at #%d, copies the source at #%d; want go.mod, then go mod download, then the source (-1: missing)", modCopy, download, srcCopy)
		}
		// The server's module requires the public modules (client/,
		// verify/) from their directories, through go.work and replace:
		// go mod download needs every module's go.mod and go.sum, and the
		// workspace, each where it is in the repository.
		if download >= 0 {
			if missing := notCopiedBefore(build, download, modFiles); len(missing) > 0 {
				fail("Dockerfile: build stage does not copy %q to the same place before go mod download; want every go.mod, go.sum, go.work and go.work.sum of the repository there", missing)
			}
		}
	}

	// The final stage runs as a non-root user.
	var user string
	for _, in := range final.instrs {
		if in.cmd == "USER" {
			user = in.args
		}
	}
	if user != "" {
		if name, _, _ := strings.Cut(user, ":"); name == "root" || name == "0" {
			fail("Dockerfile: final stage USER %q, want a non-root user", user)
		}
	} else if _, tag := imageRef(final.image); !strings.Contains(tag, "nonroot") {
		fail("Dockerfile: final stage FROM %q has no USER, want a USER or a :nonroot image", final.image)
	}

	// ENTRYPOINT is the binary copied from the build stage, in exec form
	// (distroless has no /bin/sh for the shell form).
	var entry *instruction
	for i, in := range final.instrs {
		if in.cmd == "ENTRYPOINT" {
			entry = &final.instrs[i]
		}
	}
	if entry == nil {
		fail("Dockerfile: final stage has no ENTRYPOINT, want [\"/latchkey\"]")
	} else if ep, exec := listArgs(entry.args); !exec || len(ep) == 0 {
		fail("Dockerfile: %v: want the exec form [\"/path/to/latchkey\"]; the shell form needs /bin/sh, which the image lacks", entry)
	} else if build != nil && output != "" {
		var copied []string
		for _, c := range final.copies() {
			if c.from == "" || (c.from != build.name && c.from != strconv.Itoa(build.index)) {
				continue
			}
			for _, src := range c.srcs {
				if path.Clean(src) != path.Clean(output) {
					continue
				}
				dest := c.dest
				if strings.HasSuffix(dest, "/") {
					dest = path.Join(dest, path.Base(src))
				}
				copied = append(copied, path.Clean(dest))
			}
		}
		if !slices.Contains(copied, path.Clean(ep[0])) {
			fail("Dockerfile: %v: got %q, want the binary go build wrote to %s, copied from the build stage to %q", entry, ep[0], output, copied)
		}
	}

	// The server listens on every interface, on the port EXPOSEd.
	var exposed []string
	for _, in := range final.instrs {
		if in.cmd == "EXPOSE" {
			for _, p := range strings.Fields(in.args) {
				p, _, _ = strings.Cut(p, "/")
				exposed = append(exposed, p)
			}
		}
	}
	if addr, ok := final.env("LATCHKEY_SERVER_ADDR", len(final.instrs)); !ok {
		fail("Dockerfile: final stage sets no LATCHKEY_SERVER_ADDR, want 0.0.0.0:<port> (the default 127.0.0.1 is unreachable from outside the container)")
	} else if host, port, err := net.SplitHostPort(addr); err != nil {
		fail("Dockerfile: LATCHKEY_SERVER_ADDR = %q: %v", addr, err)
	} else if host != "0.0.0.0" {
		fail("Dockerfile: LATCHKEY_SERVER_ADDR = %q binds %q, want 0.0.0.0", addr, host)
	} else if !slices.Contains(exposed, port) {
		fail("Dockerfile: LATCHKEY_SERVER_ADDR = %q listens on %s, want it EXPOSEd: got EXPOSE %q", addr, port, exposed)
	}

	// The embedded store keeps its data in a volume.
	var volumes []string
	for _, in := range final.instrs {
		if in.cmd == "VOLUME" {
			v, _ := listArgs(in.args)
			volumes = append(volumes, v...)
		}
	}
	if dir, ok := final.env("LATCHKEY_STORE_DATA_DIR", len(final.instrs)); !ok {
		fail("Dockerfile: final stage sets no LATCHKEY_STORE_DATA_DIR, want the data volume (e.g. /data) for the embedded store")
	} else if !slices.Contains(volumes, dir) {
		fail("Dockerfile: LATCHKEY_STORE_DATA_DIR = %q, want a VOLUME: got VOLUME %q", dir, volumes)
	}
	return problems
}

// notCopiedBefore returns the files of want that the stage does not COPY
// from the build context to the same path (under its WORKDIR) before
// instruction number before.
func notCopiedBefore(s *stage, before int, want []string) []string {
	workdir := "/"
	for i, in := range s.instrs {
		if i < before && in.cmd == "WORKDIR" {
			workdir = path.Join(workdir, in.args)
		}
	}
	copied := map[string]bool{}
	for _, c := range s.copies() {
		if c.from != "" || c.index > before {
			continue
		}
		for _, src := range c.srcs {
			dest := c.dest
			if strings.HasSuffix(dest, "/") || dest == "." || len(c.srcs) > 1 {
				dest = path.Join(dest, path.Base(src))
			}
			if !path.IsAbs(dest) {
				dest = path.Join(workdir, dest)
			}
			if path.Join(workdir, src) == path.Clean(dest) {
				copied[path.Clean(src)] = true
			}
		}
	}
	var missing []string
	for _, f := range want {
		if !copied[f] {
			missing = append(missing, f)
		}
	}
	return missing
}

// moduleFiles returns the repository's go.mod, go.sum, go.work and
// go.work.sum files, relative to its root, with forward slashes.
func moduleFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != repoRoot && (strings.HasPrefix(n, ".") || n == "testdata" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		switch d.Name() {
		case "go.mod", "go.sum", "go.work", "go.work.sum":
			rel, err := filepath.Rel(repoRoot, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(out, "go.mod") || !slices.Contains(out, "client/go.mod") {
		t.Fatalf("module files %q: want go.mod and client/go.mod among them", out)
	}
	return out
}

func readDockerfile(t *testing.T) ([]instruction, string, []string) {
	t.Helper()
	df, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatalf("read Dockerfile: %v", err)
	}
	gomod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatalf("read go.mod: %v", err)
	}
	return parseDockerfile(string(df)), goDirective(string(gomod)), moduleFiles(t)
}

// TestDockerfile checks the image build: multi-stage, a static binary built
// from ./cmd/latchkey with a Go that satisfies go.mod, run as non-root from
// its exec-form ENTRYPOINT, listening on every interface.
func TestDockerfile(t *testing.T) {
	instrs, goMod, modFiles := readDockerfile(t)
	for _, p := range checkDockerfile(instrs, goMod, modFiles) {
		t.Error(p)
	}
}

// TestDockerfileChecksFail breaks the real Dockerfile in one way at a time and
// expects the checks to notice.
func TestDockerfileChecksFail(t *testing.T) {
	// edit rewrites the arguments of every cmd instruction; drop removes
	// every cmd instruction whose arguments contain substr.
	edit := func(cmd, old, new string) func([]instruction) []instruction {
		return func(in []instruction) []instruction {
			for i := range in {
				if in[i].cmd == cmd {
					in[i].args = strings.ReplaceAll(in[i].args, old, new)
				}
			}
			return in
		}
	}
	drop := func(cmd, substr string) func([]instruction) []instruction {
		return func(in []instruction) []instruction {
			return slices.DeleteFunc(in, func(x instruction) bool { return x.cmd == cmd && strings.Contains(x.args, substr) })
		}
	}
	// image replaces the image of every FROM whose image starts with prefix.
	image := func(prefix, image string) func([]instruction) []instruction {
		return func(in []instruction) []instruction {
			for i := range in {
				if in[i].cmd != "FROM" {
					continue
				}
				w := strings.Fields(in[i].args)
				for j, x := range w {
					if !strings.HasPrefix(x, "--") {
						if strings.HasPrefix(x, prefix) {
							w[j] = image
						}
						break
					}
				}
				in[i].args = strings.Join(w, " ")
			}
			return in
		}
	}
	tests := []struct {
		name   string
		mutate func([]instruction) []instruction
		goMod  string // "" keeps go.mod's
		want   string
	}{
		{"single stage", func(in []instruction) []instruction {
			// Keep only the last FROM and what follows it.
			last := 0
			for i, x := range in {
				if x.cmd == "FROM" {
					last = i
				}
			}
			return in[last:]
		}, "", "multi-stage"},
		{"cgo on", func(in []instruction) []instruction {
			in = drop("ENV", "CGO_ENABLED")(in)
			in = drop("ARG", "CGO_ENABLED")(in)
			return edit("RUN", "CGO_ENABLED=0", "CGO_ENABLED=1")(in)
		}, "", "CGO_ENABLED=0"},
		{"other build target", edit("RUN", buildTarget, "./cmd/other"), "", buildTarget},
		{"no go build", drop("RUN", "go build"), "", "go build"},
		{"old go", image("golang:", "golang:1.20-bookworm"), "", "want at least"},
		{"floating go tag", image("golang:", "golang:latest"), "", "pinned"},
		{"newer go.mod", nil, "1.99.0", "want at least"},
		{"root user", edit("USER", "65532:65532", "root"), "", "non-root"},
		{"no user on a root image", func(in []instruction) []instruction {
			in = drop("USER", "")(in)
			return image("gcr.io/distroless/", "gcr.io/distroless/static-debian12:latest")(in)
		}, "", "no USER"},
		{"shell form entrypoint", edit("ENTRYPOINT", `["/latchkey"]`, `/latchkey`), "", "exec form"},
		{"entrypoint not the binary", edit("ENTRYPOINT", `"/latchkey"`, `"/usr/bin/latchkey"`), "", "want the binary"},
		{"no entrypoint", drop("ENTRYPOINT", ""), "", "no ENTRYPOINT"},
		{"no module layer", drop("RUN", "go mod download"), "", "go mod download"},
		{"a module's go.mod not copied", drop("COPY", "client/go.mod"), "", `"client/go.mod"`},
		{"the workspace not copied", edit("COPY", "go.work go.work.sum ", ""), "", `"go.work"`},
		{"a module's files copied elsewhere", edit("COPY", "./verify/ginverify/", "./verify/"), "", `"verify/ginverify/go.mod"`},
		{"loopback addr", edit("ENV", "0.0.0.0:8080", "127.0.0.1:8080"), "", "want 0.0.0.0"},
		{"port not exposed", edit("EXPOSE", "8080", "9090"), "", "EXPOSE"},
		{"no data volume", drop("VOLUME", ""), "", "VOLUME"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			instrs, goMod, modFiles := readDockerfile(t)
			if tt.goMod != "" {
				goMod = tt.goMod
			}
			if tt.mutate != nil {
				before := fmt.Sprint(instrs)
				instrs = tt.mutate(slices.Clone(instrs))
				if fmt.Sprint(instrs) == before {
					t.Fatalf("mutation changed nothing; update the test to match the Dockerfile")
				}
			}
			problems := checkDockerfile(instrs, goMod, modFiles)
			for _, p := range problems {
				if strings.Contains(p, tt.want) {
					t.Logf("caught: %s", p)
					return
				}
			}
			t.Errorf("problems = %q, want one mentioning %q", problems, tt.want)
		})
	}
}

// TestDockerfileAcceptsNonrootImageWithoutUser: the distroless :nonroot image
// already runs as 65532, so USER is optional there.
func TestDockerfileAcceptsNonrootImageWithoutUser(t *testing.T) {
	instrs, goMod, modFiles := readDockerfile(t)
	instrs = slices.DeleteFunc(instrs, func(x instruction) bool { return x.cmd == "USER" })
	for _, p := range checkDockerfile(instrs, goMod, modFiles) {
		t.Error(p)
	}
}

func TestParseDockerfile(t *testing.T) {
	const text = `# syntax=docker/dockerfile:1
FROM golang:1.26 AS build
RUN a \
  # a comment inside a continuation
  && b
env K=V
`
	got := parseDockerfile(text)
	want := []instruction{
		{line: 2, cmd: "FROM", args: "golang:1.26 AS build"},
		{line: 3, cmd: "RUN", args: "a  && b"},
		{line: 6, cmd: "ENV", args: "K=V"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("parseDockerfile = %v, want %v", got, want)
	}
	if got, want := shellWords(`go build -ldflags "-s -w" -o /out/x`), []string{"go", "build", "-ldflags", "-s -w", "-o", "/out/x"}; !slices.Equal(got, want) {
		t.Errorf("shellWords = %q, want %q", got, want)
	}
}
