// Package e2e holds the end-to-end tests of Latchkey's public Go modules
// (github.com/latchkey/latchkey/client, .../verify and its stand-in
// .../verify/verifytest) against a real Latchkey started by
// internal/testserver. They live in the server's module because those
// modules must not require it: their own tests use the standard library
// and stand-ins only.
package e2e
