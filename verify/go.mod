module github.com/latchkey/latchkey/verify

go 1.26.8
