// Package errs is Latchkey's error type: a small set of codes, each with the
// messages a client may see, keyed by the field or header they are about.
// Anything that is not an *Error is internal.
package errs

import (
	"errors"
	"maps"
	"time"
)

// Code classifies an error; the HTTP layer maps each code to one status.
type Code string

// The codes. Anything without a code is Internal.
const (
	Invalid      Code = "invalid"
	Unauthorized Code = "unauthorized"
	Forbidden    Code = "forbidden"
	NotFound     Code = "not_found"
	Conflict     Code = "conflict"
	Locked       Code = "locked"
	TooLarge     Code = "too_large"
	// Unsupported is a body of a media type the route does not take (a
	// form where only JSON is): 415.
	Unsupported Code = "unsupported"
	Unavailable Code = "unavailable"
	Internal    Code = "internal"
)

// MalformedID is the message for an id that is not 24 hex characters.
const MalformedID = "One or more IDs are not formatted correctly."

// Error is an error a client may see. Fields maps a field or header name to a
// sentence describing what is wrong with it.
type Error struct {
	Code   Code
	Fields map[string]string
	// RetryAfter, for Locked and Unavailable, says how long the client
	// should wait (at least a second is sent).
	RetryAfter time.Duration
	// Cause is the underlying error, never shown to clients.
	Cause error
}

// Error implements error with the first field's message; it is meant for logs
// and tests, clients see Fields.
func (e *Error) Error() string {
	for k, v := range e.Fields {
		return string(e.Code) + ": " + k + ": " + v
	}
	return string(e.Code)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// E returns an error with code and a single field message.
func E(code Code, field, message string) *Error {
	return &Error{Code: code, Fields: map[string]string{field: message}}
}

// Fields returns an Invalid error carrying every field message at once, or nil
// when fields is empty.
func Fields(fields map[string]string) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Code: Invalid, Fields: maps.Clone(fields)}
}

// Lock returns a Locked error that asks the client to wait d.
func Lock(field, message string, d time.Duration) *Error {
	e := E(Locked, field, message)
	e.RetryAfter = d
	return e
}

// ErrBusy is the cause of every Busy error: errors.Is(err, ErrBusy) tells
// an overloaded server from a broken store.
var ErrBusy = errors.New("busy")

// Busy returns an Unavailable error for a server that is overloaded rather
// than broken, asking the client to come back after d.
func Busy(field, message string, d time.Duration) *Error {
	e := E(Unavailable, field, message)
	e.RetryAfter, e.Cause = d, ErrBusy
	return e
}

// CodeOf returns the code of err, Internal for errors without one and ""
// for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return CodeOf(err) == code }

// As returns err as an *Error, if it is one.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Join combines the field messages of Invalid errors, so a request with
// several bad parameters hears of all of them at once. nil errors are
// skipped; any error that is not Invalid is returned as it is.
func Join(list ...error) error {
	fields := map[string]string{}
	for _, err := range list {
		if err == nil {
			continue
		}
		e, ok := As(err)
		if !ok || e.Code != Invalid {
			return err
		}
		for k, v := range e.Fields {
			fields[k] = v
		}
	}
	return Fields(fields)
}
