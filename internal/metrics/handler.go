package metrics

import (
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/latchkey/latchkey/internal/httpx"
)

// Middleware counts every request by the method the client sent, its route
// pattern (c.FullPath) and the status finally written.
func (m *Metrics) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		m.Observe(httpx.Method(c), c.FullPath(), c.Writer.Status(), time.Since(start))
	}
}

// Handler serves the registry in the Prometheus text format (GET /metrics).
func (m *Metrics) Handler() gin.HandlerFunc {
	return gin.WrapH(promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
}
