package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/go-playground/validator/v10"

	"github.com/latchkey/latchkey/internal/errs"
)

// MaxBody is the largest request body accepted (SPEC §3: 64 KiB).
const MaxBody = 64 << 10

var validate = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	return v
}()

// BindJSON decodes the JSON body strictly into dst (a pointer to a request
// struct): unknown fields, wrong types and trailing data are field errors, a
// body over MaxBody is TooLarge, and validator tags are checked. An empty
// body is an empty object.
func BindJSON(c *gin.Context, dst any) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(dst); err != nil {
			return jsonError(err)
		}
		// Decoder.More is false before a stray "}" or "]", so look at the
		// bytes themselves: only white space may follow the object.
		if len(bytes.TrimSpace(body[dec.InputOffset():])) > 0 {
			return errs.E(errs.Invalid, "body", "The body must be a single JSON object.")
		}
	}
	return Validate(dst)
}

// Bind decodes a JSON body, or a form body (application/x-www-form-urlencoded
// or multipart) for routes that accept forms, strictly into dst.
func Bind(c *gin.Context, dst any) error {
	ct := c.ContentType()
	if ct != "application/x-www-form-urlencoded" && ct != "multipart/form-data" {
		return BindJSON(c, dst)
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
		return bodyError(err)
	}
	if err := decodeForm(c.Request.PostForm, dst); err != nil {
		return err
	}
	return Validate(dst)
}

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

func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return errs.E(errs.Invalid, "body", "The body must be a JSON object.")
		}
		return errs.E(errs.Invalid, field, "Must be "+jsonKind(typeErr.Type)+".")
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return errs.E(errs.Invalid, "body", "The body is not valid JSON.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return unknownField(name)
	default:
		return bodyError(err)
	}
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	default:
		return "an object"
	}
}

var fieldName = regexp.MustCompile(`^[A-Za-z0-9_.\[\]-]{1,64}$`)

// unknownField is the error for a field the request type does not have. A
// name is only echoed back when it looks like a field name: a JSON object
// sent as a form (curl -d '{"username":…,"password":…}') arrives as one
// field named by the whole object, password included, and an error message
// never carries a secret.
func unknownField(name string) *errs.Error {
	if !fieldName.MatchString(name) {
		return errs.E(errs.Invalid, "body", "The body has a field whose name is not valid. "+
			"To send JSON, set the header Content-Type: application/json.")
	}
	return errs.E(errs.Invalid, name, "Unknown field.")
}

// decodeForm copies form values into dst's fields by their json names. Only
// string, bool and integer fields (and pointers to them) can come from a form;
// any other name in the form is an unknown field.
func decodeForm(form map[string][]string, dst any) error {
	v := reflect.ValueOf(dst).Elem()
	t := v.Type()
	byName := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			byName[name] = i
		}
	}
	fields := map[string]string{}
	for name, vals := range form {
		i, ok := byName[name]
		if !ok {
			e := unknownField(name)
			maps.Copy(fields, e.Fields)
			continue
		}
		if len(vals) != 1 {
			fields[name] = "Give this field once."
			continue
		}
		if err := setString(v.Field(i), vals[0]); err != nil {
			fields[name] = "Must be " + jsonKind(v.Field(i).Type()) + "."
		}
	}
	return errs.Fields(fields)
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
		b, err := strconv.ParseBool(s)
		if s == "on" {
			b, err = true, nil
		}
		if err != nil {
			return err
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
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
