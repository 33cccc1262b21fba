package deploytest

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// textFiles returns the repository's text files a reader opens: documents,
// code, configuration and scripts (not the git directory, not binaries).
func textFiles(t *testing.T) []string {
	t.Helper()
	exts := map[string]bool{".md": true, ".go": true, ".yaml": true, ".yml": true, ".json": true, ".js": true,
		".html": true, ".css": true, ".sh": true, ".conf": true, ".toml": true, ".txt": true}
	names := map[string]bool{"Caddyfile": true, "Dockerfile": true, "run": true}
	var files []string
	err := filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if exts[filepath.Ext(p)] || names[d.Name()] {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 100 {
		t.Fatalf("found %d text files under %s, want the whole repository", len(files), repoRoot)
	}
	return files
}

// outside are the ways a text can send its reader out of the repository to
// documents they cannot open: the contract and notes the project was
// specified in, and the tracker's issue numbers.
var outside = regexp.MustCompile(`\bSPEC\b|\bSTYLE\.md\b|\bSTORE\.md\b|\bseeds?/|\bseed \d|\.\./shared\b|\b[Ii]ssues? #?\d+\b`)

// TestNothingPointsOutside: no document, comment or configuration refers
// its reader to a text outside the repository. What the project's contract
// says is written into docs/ in the repository's own words.
func TestNothingPointsOutside(t *testing.T) {
	for _, f := range textFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := outside.FindString(line); m != "" {
				rel, _ := filepath.Rel(repoRoot, f)
				t.Errorf("%s:%d refers outside the repository (%q): %s", rel, i+1, m, strings.TrimSpace(line))
			}
		}
	}
}

// mdLink is a Markdown link's target: [text](target).
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestDocumentLinksResolve: every relative link in a Markdown document
// names a file or directory of the repository.
func TestDocumentLinksResolve(t *testing.T) {
	for _, f := range textFiles(t) {
		if filepath.Ext(f) != ".md" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			p := filepath.Join(filepath.Dir(f), target)
			if strings.HasPrefix(target, "/") {
				p = filepath.Join(repoRoot, target)
			}
			rel, _ := filepath.Rel(repoRoot, p)
			if strings.HasPrefix(rel, "..") {
				t.Errorf("%s links outside the repository: %s", f, m[1])
				continue
			}
			if _, err := os.Stat(p); err != nil {
				t.Errorf("%s links to %s, which does not exist", f, m[1])
			}
		}
	}
}
