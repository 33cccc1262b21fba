package httpx

import (
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// DropUnreadBody is the middleware that keeps a refused request's body from
// holding its connection (slow clients). When an error answer
// (400 and above: a missing credential, an unknown route) goes out before
// the request's body was read to its end, net/http would read what is left
// of it, up to 256 KiB, to keep the connection for the next request: a
// client that declares a body and sends it slowly would hold the
// connection for server.read_timeout without having shown a credential.
// Instead the answer says Connection: close and, once it is written, the
// connection's read deadline is moved to now, so net/http stops reading
// at once and closes the connection. Successful answers keep the usual
// drain (/verify ignores a forwarded body by design), as do answers to
// requests whose body was read.
func DropUnreadBody(c *gin.Context) {
	r := c.Request
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		c.Next()
		return
	}
	body := &trackedBody{ReadCloser: r.Body}
	r.Body = body
	c.Writer = &closeUnread{ResponseWriter: c.Writer, body: body}
	c.Next()
	if c.Writer.Status() >= http.StatusBadRequest && !body.ended {
		_ = http.NewResponseController(c.Writer).SetReadDeadline(time.Now())
	}
}

// trackedBody is a request body that records whether it was read to its
// end (or failed, after which nothing more is read from it either).
type trackedBody struct {
	io.ReadCloser
	ended bool
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.ended = true
	}
	return n, err
}

// closeUnread adds Connection: close to an error answer written while the
// request's body is unread, before the header goes out.
type closeUnread struct {
	gin.ResponseWriter
	body *trackedBody
}

func (w *closeUnread) closeIfUnread() {
	if !w.Written() && w.Status() >= http.StatusBadRequest && !w.body.ended {
		w.Header().Set("Connection", "close")
	}
}

func (w *closeUnread) WriteHeaderNow() {
	w.closeIfUnread()
	w.ResponseWriter.WriteHeaderNow()
}

func (w *closeUnread) Write(p []byte) (int, error) {
	w.closeIfUnread()
	return w.ResponseWriter.Write(p)
}

func (w *closeUnread) WriteString(s string) (int, error) {
	w.closeIfUnread()
	return w.ResponseWriter.WriteString(s)
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *closeUnread) Unwrap() http.ResponseWriter { return w.ResponseWriter }
