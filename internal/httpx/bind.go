package httpx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/go-playground/validator/v10"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/page"
	"github.com/latchkey/latchkey/internal/text"
)

// MaxBody is the largest request body accepted (64 KiB).
const MaxBody = 64 << 10

// ErrEmptyBody is the answer to an empty body where a JSON object is
// expected, even one whose fields are all optional: a client that meant
// "all defaults" sends {}, and one that lost its body on the way hears of
// it instead of getting the defaults.
var ErrEmptyBody = errs.E(errs.Invalid, "body", "The body is empty: send a JSON object ({} where every field is optional).")

// embedded names an embedded struct in a validator namespace; Validate
// leaves it out of field names.
const embedded = "~"

// validate checks request types, which say what they accept with validator
// tags. These are Latchkey's own tags beside the library's (required, max,
// oneof, email, mongodb for a 24-hex id …):
//
//	safetext  a name a person gave: no control, format (bidirectional,
//	          zero-width), separator, private-use or unassigned
//	          character (package text)
//	rfc3339   a time such as 2026-01-02T15:04:05Z
//	limit     a page size, 1 to page.MaxLimit
var validate = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		if f.Anonymous {
			return embedded // its fields are named as the outer struct's
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	must(v.RegisterValidation("safetext", func(fl validator.FieldLevel) bool {
		return text.Safe(fl.Field().String())
	}))
	must(v.RegisterValidation("limit", func(fl validator.FieldLevel) bool {
		return fl.Field().Int() >= 1 && fl.Field().Int() <= page.MaxLimit
	}))
	must(v.RegisterValidation("rfc3339", func(fl validator.FieldLevel) bool {
		_, err := time.Parse(time.RFC3339, fl.Field().String())
		return err == nil
	}))
	return v
}()

// Bind decodes the body strictly into dst (a pointer to a request struct)
// and checks its validator tags, reporting every failing field at once. The
// body is JSON, or a form (application/x-www-form-urlencoded or multipart)
// on routes that accept forms (marks them).
// An empty JSON body is 400: where every field is optional, the client
// sends {}.
func Bind(c *gin.Context, dst any) error {
	fields, err := decode(c, dst, true, false)
	return finish(fields, err, dst)
}

// BindJSON is Bind for routes that take only JSON.
func BindJSON(c *gin.Context, dst any) error {
	fields, err := decode(c, dst, false, false)
	return finish(fields, err, dst)
}

// BindPatch is BindJSON for a PATCH: a body that names nothing to change
// ({}, or only nulls) is 400, so a client that lost its fields on the way
// (a misspelt name is 400 already) hears of it instead of a 200 that did
// nothing. dst is a struct whose fields are pointers, nil where absent; a
// field tagged patch:"-" (a proof, such as current_password) is no change.
func BindPatch(c *gin.Context, dst any) error {
	if err := BindJSON(c, dst); err != nil {
		return err
	}
	v := reflect.ValueOf(dst).Elem()
	var names []string
	for i := range v.NumField() {
		if v.Type().Field(i).Tag.Get("patch") == "-" {
			continue // not a change (a proof such as current_password)
		}
		if !v.Field(i).IsZero() {
			return nil
		}
		if name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return errs.E(errs.Invalid, "body", "Nothing to change: give at least one of "+strings.Join(names, ", ")+".")
}

// Decode is Bind without the validator tags, for a handler that completes
// dst from elsewhere first (login takes HTTP Basic credentials) and then
// calls Validate. An empty body is an empty object here: HTTP Basic
// credentials come without one.
func Decode(c *gin.Context, dst any) error {
	fields, err := decode(c, dst, true, true)
	if err != nil {
		return err
	}
	return errs.Fields(fields)
}

// BindQuery decodes the query string into dst by the json names of its
// fields, as strictly as a form body (exact names, each at most once, no
// unknown parameter, the right type), and checks the validator tags.
func BindQuery(c *gin.Context, dst any) error { return BindQueryString(c.Request.URL.RawQuery, dst) }

// BindQueryString is BindQuery of the query string raw, without Gin.
func BindQueryString(raw string, dst any) error {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return errs.E(errs.Invalid, "query", "The query string could not be read.")
	}
	return finish(decodeForm(q, dst, "Unknown parameter."), nil, dst)
}

// finish reports an error about the whole body alone and otherwise joins
// the decoding errors with the validator's, one message per field.
func finish(fields map[string]string, err error, dst any) error {
	if err != nil {
		return err
	}
	if _, whole := fields["body"]; whole {
		return errs.Fields(fields)
	}
	verr := Validate(dst)
	e, ok := errs.As(verr)
	if verr != nil && !ok {
		return verr
	}
	if ok {
		for k, v := range e.Fields {
			if _, seen := fields[k]; !seen {
				fields[k] = v
			}
		}
	}
	return errs.Fields(fields)
}

// decode reads the body into dst and returns the field errors, or an error
// about the body as a whole. An empty JSON body is such an error unless
// emptyOK.
func decode(c *gin.Context, dst any, forms, emptyOK bool) (map[string]string, error) {
	ct := c.ContentType()
	isForm := ct == "application/x-www-form-urlencoded" || ct == "multipart/form-data"
	if isForm && !forms {
		return nil, ErrFormBody
	}
	if !isForm {
		body, err := readBody(c)
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(body)) == 0 && !emptyOK {
			return nil, ErrEmptyBody
		}
		return decodeJSON(body, dst)
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxBody)
	// ParseMultipartForm answers a urlencoded body with ErrNotMultipart and
	// drops ParseForm's error (a body over MaxBody, bad escapes), so each
	// content type gets its own parser.
	var err error
	if ct == "multipart/form-data" {
		err = c.Request.ParseMultipartForm(MaxBody)
	} else {
		err = c.Request.ParseForm()
	}
	if err != nil {
		return nil, bodyError(err)
	}
	return decodeForm(c.Request.PostForm, dst, "Unknown field."), nil
}

// ErrFormBody answers a form body on a route that takes only JSON: 415,
// naming the media type to send.
var ErrFormBody = errs.E(errs.Unsupported, "body", "This endpoint takes a JSON body: send Content-Type: application/json.")

// Validate checks dst's validator tags and returns every failure at once as
// field errors.
func Validate(dst any) error {
	err := validate.Struct(dst)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	fields := map[string]string{}
	for _, fe := range verrs {
		name := fe.Namespace()
		if i := strings.IndexByte(name, '.'); i >= 0 {
			name = name[i+1:]
		}
		name = strings.ReplaceAll(name, embedded+".", "")
		if _, seen := fields[name]; !seen {
			fields[name] = message(fe)
		}
	}
	return errs.Fields(fields)
}

func message(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "This field is required."
	case "email":
		return "Enter a valid email address."
	case "min":
		if fe.Kind() == reflect.String {
			return fmt.Sprintf("Must be at least %s characters.", fe.Param())
		}
		return fmt.Sprintf("Must be at least %s.", fe.Param())
	case "max":
		if fe.Kind() == reflect.String {
			return fmt.Sprintf("Must be at most %s characters.", fe.Param())
		}
		return fmt.Sprintf("Must be at most %s.", fe.Param())
	case "oneof":
		return "Must be one of: " + strings.ReplaceAll(fe.Param(), " ", ", ") + "."
	case "mongodb":
		return errs.MalformedID
	case "safetext":
		return text.Message
	case "limit":
		return fmt.Sprintf("Must be an integer from 1 to %d.", page.MaxLimit)
	case "rfc3339":
		return "Must be an RFC 3339 time, such as 2026-01-02T15:04:05Z."
	case "printascii", "alphanum":
		return "Contains characters that are not allowed."
	default:
		return "Is not valid."
	}
}

func readBody(c *gin.Context) ([]byte, error) {
	if c.Request.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBody))
	if err != nil {
		return nil, bodyError(err)
	}
	return body, nil
}

func bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errs.E(errs.TooLarge, "body", fmt.Sprintf("The body must be at most %d bytes.", MaxBody))
	}
	return errs.E(errs.Invalid, "body", "The body could not be read.")
}

var fieldName = regexp.MustCompile(`^[A-Za-z0-9_.\[\]-]{1,64}$`)

// unknownField is the error for a field the request type does not have. A
// name is only echoed back when it looks like a field name: a JSON object
// sent as a form (curl -d '{"username":…,"password":…}') arrives as one
// field named by the whole object, password included, and an error message
// never carries a secret.
func unknownField(fields map[string]string, name, msg string) {
	if !fieldName.MatchString(name) {
		fields["body"] = "The body has a field whose name is not valid. " +
			"To send JSON, set the header Content-Type: application/json."
		return
	}
	fields[name] = msg
}

// decodeForm copies form (or query) values into dst's fields by their json
// names, matched exactly, returning every bad field. Only string, bool and
// integer fields (and pointers to them) can come from a form; fields of an
// embedded struct count as dst's own.
func decodeForm(form map[string][]string, dst any, unknown string) map[string]string {
	byName := map[string]reflect.Value{}
	formFields(reflect.ValueOf(dst).Elem(), byName)
	fields := map[string]string{}
	for name, vals := range form {
		f, ok := byName[name]
		switch {
		case !utf8.ValidString(name):
			fields["body"] = "The body is not valid UTF-8."
		case !ok:
			unknownField(fields, name, unknown)
		case len(vals) != 1:
			fields[name] = "Give this field once."
		case !utf8.ValidString(vals[0]):
			fields[name] = "Must be valid UTF-8."
		default:
			if err := setString(f, vals[0]); err != nil {
				fields[name] = "Must be " + jsonKind(f.Type()) + "."
			}
		}
	}
	return fields
}

func formFields(v reflect.Value, byName map[string]reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
			formFields(v.Field(i), byName)
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name != "" && name != "-" && sf.IsExported() {
			byName[name] = v.Field(i)
		}
	}
}

func setString(f reflect.Value, s string) error {
	if f.Kind() == reflect.Pointer {
		p := reflect.New(f.Type().Elem())
		if err := setString(p.Elem(), s); err != nil {
			return err
		}
		f.Set(p)
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Bool:
		// true or false as JSON spells them, and "on", which an HTML
		// checkbox sends; not strconv.ParseBool's 1, t or TRUE.
		switch s {
		case "true", "on":
			f.SetBool(true)
		case "false":
			f.SetBool(false)
		default:
			return fmt.Errorf("httpx: %q is not true or false", s)
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, f.Type().Bits())
		if err != nil {
			return err
		}
		f.SetInt(n)
	default:
		return fmt.Errorf("httpx: cannot set %s from a form", f.Kind())
	}
	return nil
}

// Expiry is the body of every PATCH that re-dates a token: seconds from now,
// -1 or less expiring it at once.
type Expiry struct {
	Seconds *int64 `json:"seconds_until_expire" validate:"required"`
}

// PageQuery is the ?limit= and ?cursor= of a list; embed it in a list's
// query type for BindQuery.
type PageQuery struct {
	Limit  *int   `json:"limit" validate:"omitempty,limit"`
	Cursor string `json:"cursor"`
}

// Page returns the page q asks for.
func (q PageQuery) Page() page.Page {
	p := page.Page{Limit: page.DefaultLimit, Cursor: q.Cursor}
	if q.Limit != nil {
		p.Limit = *q.Limit
	}
	return p
}
