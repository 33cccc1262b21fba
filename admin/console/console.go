// Package console serves the admin web console: a single-page app
// of static files embedded in the binary, which talks to Latchkey only
// through the public /api/v1 API, exactly as any other client does.
//
// The page runs under a strict Content-Security-Policy: every script and
// style is a file served from here, so index.html holds no inline script or
// style and the app never evaluates strings as code.
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

//go:embed static
var static embed.FS

// ContentSecurityPolicy is sent with every console answer. The console loads
// nothing but its own files and talks to nothing but its own origin.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// tenantPath matches the part after /console/ of a tenant's console
// address: a tenant slug, with or without a trailing slash. Whether the
// tenant exists is not said here: the sign-in answers the same for any slug.
var tenantPath = regexp.MustCompile(`^[a-z][a-z0-9-]{1,38}/?$`)

// Prefix is the path the console is served under.
const Prefix = "/console"

// contentTypes names the type of every kind of file the console ships, so
// the answer does not depend on the host's MIME tables.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".json": "application/json",
	".txt":  "text/plain; charset=utf-8",
}

// file is one embedded file, ready to serve.
type file struct {
	body        []byte
	contentType string
	etag        string
}

// files maps a path below static/ ("index.html", "app.js") to its file.
var files = mustLoad(static)

func mustLoad(fsys fs.FS) map[string]file {
	sub, err := fs.Sub(fsys, "static")
	if err != nil {
		panic("console: " + err.Error())
	}
	out := make(map[string]file)
	err = fs.WalkDir(sub, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(sub, name)
		if err != nil {
			return err
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			ct = mime.TypeByExtension(path.Ext(name))
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		sum := sha256.Sum256(body)
		out[name] = file{body: body, contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		panic("console: " + err.Error())
	}
	return out
}

// Register mounts the console on r: GET (and HEAD) /console and /console/
// answer index.html, /console/<file> answers that embedded file,
// /console/<tenant slug> and /console/<tenant slug>/ answer index.html too
// (the page then signs in to that tenant), anything else under /console/ is
// 404.
func Register(r gin.IRouter) {
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		r.Handle(method, Prefix, serve)
		r.Handle(method, Prefix+"/*filepath", serve)
	}
}

func serve(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")

	name := strings.TrimPrefix(c.Param("filepath"), "/")
	if name == "" {
		name = "index.html"
	}
	f, ok := files[name]
	if !ok && tenantPath.MatchString(name) {
		name = "index.html"
		f, ok = files[name]
	}
	if !ok {
		c.AbortWithStatusJSON(http.StatusNotFound, gin.H{"errors": gin.H{"path": "No such console file."}})
		return
	}
	h.Set("Content-Type", f.contentType)
	if name == "index.html" {
		// The page is small and names its scripts; never keep a stale copy.
		h.Set("Cache-Control", "no-store")
	} else {
		// Revalidate every time; the ETag makes that a 304.
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", f.etag)
	}
	http.ServeContent(c.Writer, c.Request, name, time.Time{}, bytes.NewReader(f.body))
}
