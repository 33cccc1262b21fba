// Package api is the Go client of Latchkey's HTTP API, generated from
// admin/apidoc/openapi.yaml by oapi-codegen: one method per operation, one
// type per schema. Do not edit latchkey.gen.go; change the description and
// run `go generate` here. Package client wraps it with credentials, errors
// as Go values and pagination.
package api

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2 -config oapi-codegen.yaml -o latchkey.gen.go ../../admin/apidoc/openapi.yaml
