// Package apidoc holds the OpenAPI 3 description of the /api/v1 API, served
// at /api/v1/openapi.yaml and checked against the router by a test.
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
