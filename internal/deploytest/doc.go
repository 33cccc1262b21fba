// Package deploytest checks the deployment files at the repository root.
package deploytest
