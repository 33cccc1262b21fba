// Package deploytest checks the repository's files that are not Go code:
// the deployment files at its root, and that every document, comment and
// configuration stands on its own (no reference to a text outside the
// repository, no broken link between documents).
package deploytest
