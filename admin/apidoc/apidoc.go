// Package apidoc holds the OpenAPI 3 description of the /api/v1 API, served
// publicly at /api/v1/openapi.yaml. Its tests keep it true: every route the
// router serves is described and nothing else, and every operation is driven
// through its success and failure cases on a real server with each request
// and answer validated against the description (kin-openapi openapi3filter).
package apidoc

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// OpenAPI is the document.
//
//go:embed openapi.yaml
var OpenAPI []byte

// Serve answers with the document.
func Serve(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml; charset=utf-8", OpenAPI)
}
