package httpx_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/latchkey/latchkey/internal/errs"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/text"
)

type inner struct {
	X string `json:"x"`
}

type bindBody struct {
	Name   string          `json:"name" validate:"required,max=10,safetext"`
	Count  *int64          `json:"count"`
	On     bool            `json:"on"`
	Role   string          `json:"role" validate:"omitempty,oneof=a b"`
	Email  string          `json:"email" validate:"omitempty,email"`
	Inner  inner           `json:"inner"`
	Tags   []string        `json:"tags"`
	Inner2 *inner          `json:"inner2"`
	Extra  map[string]any  `json:"extra"`
	Raw    json.RawMessage `json:"raw"`
}

// bindEngine answers POST /json (BindJSON) and POST /any (Bind) with the
// bound body, or with the error envelope.
func bindEngine() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(httpx.Errors(zap.NewNop()))
	for path, bind := range map[string]func(*gin.Context, any) error{"/json": httpx.BindJSON, "/any": httpx.Bind} {
		r.POST(path, httpx.Handle(func(c *gin.Context) error {
			var b bindBody
			if err := bind(c, &b); err != nil {
				return err
			}
			c.JSON(http.StatusOK, b)
			return nil
		}))
	}
	return r
}

type answer struct {
	status int
	errors map[string]string
	body   bindBody
}

func post(t *testing.T, h http.Handler, path, contentType, body string) answer {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	a := answer{status: w.Code}
	if w.Code == http.StatusOK {
		if err := json.Unmarshal(w.Body.Bytes(), &a.body); err != nil {
			t.Fatalf("decode %s: %v", w.Body, err)
		}
		return a
	}
	var env struct {
		Errors map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
		t.Fatalf("decode error body %s: %v", w.Body, err)
	}
	a.errors = env.Errors
	return a
}

func TestBindJSON(t *testing.T) {
	h := bindEngine()
	big := `{"name":"x","tags":["` + strings.Repeat("a", httpx.MaxBody) + `"]}`
	cases := []struct {
		name   string
		body   string
		status int
		errors map[string]string
		check  func(t *testing.T, b bindBody)
	}{
		{name: "valid", body: `{"name":"n","count":3,"on":true,"inner":{"x":"y"},"tags":["a"]}`, status: 200,
			check: func(t *testing.T, b bindBody) {
				if b.Name != "n" || b.Count == nil || *b.Count != 3 || !b.On || b.Inner.X != "y" || len(b.Tags) != 1 {
					t.Errorf("got %+v", b)
				}
			}},
		{name: "unknown field", body: `{"name":"n","bogus":1}`, status: 400, errors: map[string]string{"bogus": "Unknown field."}},
		{name: "unknown field with a name that is no name", body: `{"name":"n","my password is hunter2":1}`, status: 400,
			errors: map[string]string{"body": "*"}},
		{name: "object for a string", body: `{"name":{"a":1}}`, status: 400, errors: map[string]string{"name": "Must be a string."}},
		{name: "string for an integer", body: `{"name":"n","count":"3"}`, status: 400, errors: map[string]string{"count": "Must be an integer."}},
		{name: "fraction for an integer", body: `{"name":"n","count":1.5}`, status: 400, errors: map[string]string{"count": "Must be an integer."}},
		{name: "number for a bool", body: `{"name":"n","on":1}`, status: 400, errors: map[string]string{"on": "Must be true or false."}},
		{name: "nested wrong type names the path", body: `{"name":"n","inner":{"x":5}}`, status: 400, errors: map[string]string{"inner.x": "Must be a string."}},
		{name: "string for a list", body: `{"name":"n","tags":"a"}`, status: 400, errors: map[string]string{"tags": "Must be a list."}},
		{name: "array body", body: `[]`, status: 400, errors: map[string]string{"body": "The body must be a JSON object."}},
		{name: "not JSON", body: `name=n`, status: 400, errors: map[string]string{"body": "The body is not valid JSON."}},
		{name: "truncated", body: `{"name":"n"`, status: 400, errors: map[string]string{"body": "The body is not valid JSON."}},
		{name: "trailing object", body: `{"name":"n"} {"name":"m"}`, status: 400, errors: map[string]string{"body": "The body must be a single JSON object."}},
		{name: "trailing brace", body: `{"name":"n"}}`, status: 400, errors: map[string]string{"body": "The body must be a single JSON object."}},
		{name: "trailing bracket", body: `{"name":"n"}]`, status: 400, errors: map[string]string{"body": "The body must be a single JSON object."}},
		{name: "trailing white space", body: "{\"name\":\"n\"}\n\t ", status: 200},
		{name: "empty body", body: ``, status: 400, errors: map[string]string{"body": "The body is empty: send a JSON object ({} where every field is optional)."}},
		{name: "white space only", body: " \r\n\t", status: 400, errors: map[string]string{"body": "The body is empty: send a JSON object ({} where every field is optional)."}},
		{name: "empty object", body: `{}`, status: 400, errors: map[string]string{"name": "This field is required."}},
		{name: "every validation error at once", body: `{"name":"much too long a name","role":"c","email":"nope"}`, status: 400,
			errors: map[string]string{"name": "Must be at most 10 characters.", "role": "Must be one of: a, b.", "email": "Enter a valid email address."}},
		{name: "names match exactly", body: `{"name":"n","ROLE":"a","Name":"m"}`, status: 400,
			errors: map[string]string{"ROLE": "Unknown field.", "Name": "Unknown field."}},
		{name: "a field given twice", body: `{"name":"n","role":"a","role":"b"}`, status: 400,
			errors: map[string]string{"role": "Give this field once."}},
		{name: "a nested field given twice", body: `{"name":"n","inner":{"x":"a","x":"b"}}`, status: 400,
			errors: map[string]string{"inner.x": "Give this field once."}},
		{name: "a field given twice inside free-form JSON", body: `{"name":"n","extra":{"a":{"b":1,"b":2}},"raw":[{"c":1,"c":1}]}`, status: 400,
			errors: map[string]string{"extra.a.b": "Give this field once.", "raw[0].c": "Give this field once."}},
		{name: "a nested name that differs in case", body: `{"name":"n","inner":{"X":"a"}}`, status: 400,
			errors: map[string]string{"inner.X": "Unknown field."}},
		{name: "null body", body: `null`, status: 400, errors: map[string]string{"body": "The body must be a JSON object."}},
		{name: "string body", body: `"name"`, status: 400, errors: map[string]string{"body": "The body must be a JSON object."}},
		{name: "number body", body: `12`, status: 400, errors: map[string]string{"body": "The body must be a JSON object."}},
		{name: "null where an object is expected", body: `{"name":"n","inner":null,"inner2":null}`, status: 400,
			errors: map[string]string{"inner": "Must be an object.", "inner2": "Must be an object."}},
		{name: "null for a string", body: `{"name":null}`, status: 400, errors: map[string]string{"name": "Must be a string."}},
		{name: "null for an optional field is absent", body: `{"name":"n","count":null}`, status: 200,
			check: func(t *testing.T, b bindBody) {
				if b.Count != nil {
					t.Errorf("got count %d, want nil", *b.Count)
				}
			}},
		{name: "invalid UTF-8", body: "{\"name\":\"n\xff\"}", status: 400, errors: map[string]string{"body": "The body is not valid UTF-8."}},
		{name: "invalid UTF-8 in a name", body: "{\"name\":\"n\",\"\xfe\":1}", status: 400, errors: map[string]string{"body": "The body is not valid UTF-8."}},
		{name: "a lone high surrogate", body: `{"name":"n\ud800"}`, status: 400, errors: map[string]string{"body": "The body is not valid UTF-8."}},
		{name: "a lone low surrogate", body: `{"name":"n\udc00x"}`, status: 400, errors: map[string]string{"body": "The body is not valid UTF-8."}},
		{name: "a surrogate pair is fine", body: `{"name":"\ud83d\ude00"}`, status: 200,
			check: func(t *testing.T, b bindBody) {
				if b.Name != "😀" {
					t.Errorf("got name %q, want 😀", b.Name)
				}
			}},
		{name: "an escaped backslash before u is no escape", body: `{"name":"\\ud800"}`, status: 200},
		{name: "control characters in a name", body: `{"name":"a\u0000b"}`, status: 400,
			errors: map[string]string{"name": text.Message}},
		{name: "a bidirectional override in a name", body: `{"name":"a\u202eb"}`, status: 400,
			errors: map[string]string{"name": text.Message}},
		{name: "decoding and validation errors at once", body: `{"count":"x","ROLE":"a","role":"c","inner":{"x":1}}`, status: 400,
			errors: map[string]string{"count": "Must be an integer.", "ROLE": "Unknown field.", "role": "Must be one of: a, b.",
				"inner.x": "Must be a string.", "name": "This field is required."}},
		{name: "64 KiB and more", body: big, status: 413, errors: map[string]string{"body": "The body must be at most 65536 bytes."}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := post(t, h, "/json", "application/json", tc.body)
			if a.status != tc.status {
				t.Fatalf("got status %d, want %d; errors %v", a.status, tc.status, a.errors)
			}
			if tc.errors != nil && !sameErrors(a.errors, tc.errors) {
				t.Errorf("got errors %v, want %v", a.errors, tc.errors)
			}
			if tc.check != nil {
				tc.check(t, a.body)
			}
		})
	}
}

// TestBindJSONRefusesForms: a form where only JSON is taken is 415 naming
// application/json, not a confusing "not valid JSON".
func TestBindJSONRefusesForms(t *testing.T) {
	h := bindEngine()
	for _, ct := range []string{"application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		a := post(t, h, "/json", ct, "name=n")
		if a.status != http.StatusUnsupportedMediaType || !strings.Contains(a.errors["body"], "application/json") {
			t.Errorf("%s: got %d %v, want 415 naming application/json", ct, a.status, a.errors)
		}
	}
}

func TestBindJSONAcceptsExactlyMaxBody(t *testing.T) {
	prefix, suffix := `{"name":"x","tags":["`, `"]}`
	body := prefix + strings.Repeat("a", httpx.MaxBody-len(prefix)-len(suffix)) + suffix
	if len(body) != httpx.MaxBody {
		t.Fatalf("body is %d bytes, want %d", len(body), httpx.MaxBody)
	}
	if a := post(t, bindEngine(), "/json", "application/json", body); a.status != 200 {
		t.Errorf("got status %d, want 200 for a body of exactly 64 KiB; errors %v", a.status, a.errors)
	}
	if a := post(t, bindEngine(), "/json", "application/json", body+" "); a.status != 413 {
		t.Errorf("got status %d, want 413 for 64 KiB + 1 byte", a.status)
	}
}

func TestBindForm(t *testing.T) {
	h := bindEngine()
	const form = "application/x-www-form-urlencoded"
	cases := []struct {
		name   string
		body   string
		status int
		errors map[string]string
		check  func(t *testing.T, b bindBody)
	}{
		{name: "strings, integers and bools", body: url.Values{"name": {"n"}, "count": {"42"}, "on": {"true"}}.Encode(), status: 200,
			check: func(t *testing.T, b bindBody) {
				if b.Name != "n" || b.Count == nil || *b.Count != 42 || !b.On {
					t.Errorf("got %+v, want name n, count 42, on", b)
				}
			}},
		{name: "checkbox on", body: "name=n&on=on", status: 200, check: func(t *testing.T, b bindBody) {
			if !b.On {
				t.Error("got on false, want true")
			}
		}},
		{name: "absent pointer stays nil", body: "name=n", status: 200, check: func(t *testing.T, b bindBody) {
			if b.Count != nil {
				t.Errorf("got count %d, want nil", *b.Count)
			}
		}},
		{name: "unknown and bad fields at once", body: "name=n&bogus=1&count=x&on=maybe", status: 400,
			errors: map[string]string{"bogus": "Unknown field.", "count": "Must be an integer.", "on": "Must be true or false."}},
		{name: "JSON sent as a form is not echoed", body: `{"name":"n","password":"hunter2-secret"}`, status: 400,
			errors: map[string]string{"body": "The body has a field whose name is not valid. To send JSON, set the header Content-Type: application/json."}},
		{name: "a field given twice", body: "name=n&name=m", status: 400, errors: map[string]string{"name": "Give this field once."}},
		{name: "names match exactly", body: "name=n&NAME=m", status: 400, errors: map[string]string{"NAME": "Unknown field."}},
		{name: "invalid UTF-8", body: "name=%ff", status: 400, errors: map[string]string{"name": "Must be valid UTF-8."}},
		{name: "a struct field cannot come from a form", body: "name=n&inner=x", status: 400, errors: map[string]string{"inner": "Must be an object."}},
		{name: "validation runs", body: "count=1", status: 400, errors: map[string]string{"name": "This field is required."}},
		{name: "bad escape", body: "name=%zz", status: 400, errors: map[string]string{"body": "The body could not be read."}},
		{name: "too large", body: "name=" + strings.Repeat("a", httpx.MaxBody), status: 413, errors: map[string]string{"body": "The body must be at most 65536 bytes."}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := post(t, h, "/any", form, tc.body)
			if a.status != tc.status {
				t.Fatalf("got status %d, want %d; errors %v", a.status, tc.status, a.errors)
			}
			if tc.errors != nil && !sameErrors(a.errors, tc.errors) {
				t.Errorf("got errors %v, want %v", a.errors, tc.errors)
			}
			if tc.check != nil {
				tc.check(t, a.body)
			}
		})
	}
	// A multipart form is a form too.
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	_ = w.WriteField("name", "m")
	_ = w.WriteField("count", "9")
	_ = w.Close()
	if a := post(t, h, "/any", w.FormDataContentType(), mp.String()); a.status != 200 || a.body.Name != "m" || a.body.Count == nil || *a.body.Count != 9 {
		t.Errorf("Bind with multipart: got %d %+v %v, want 200, name m, count 9", a.status, a.body, a.errors)
	}
	// Bind takes JSON when the body is not a form.
	if a := post(t, h, "/any", "application/json", `{"name":"j","count":7}`); a.status != 200 || a.body.Name != "j" {
		t.Errorf("Bind with JSON: got %d %+v, want 200 and name j", a.status, a.body)
	}
	if a := post(t, h, "/any", "application/json", `{"name":"j","bogus":1}`); a.status != 400 || a.errors["bogus"] == "" {
		t.Errorf("Bind with JSON and an unknown field: got %d %v, want 400 naming bogus", a.status, a.errors)
	}
}

// sameErrors reports whether got has exactly want's fields and messages; a
// wanted message "*" stands for any non-empty one.
func sameErrors(got, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for k, w := range want {
		if g := got[k]; g == "" || (w != "*" && g != w) {
			return false
		}
	}
	return true
}

// TestCheckJSON: a body read without a request type (POST /leaks) gets the
// same rules as every bound body: one value, valid UTF-8, no lone
// surrogate escape, no name given twice in any object at any depth.
func TestCheckJSON(t *testing.T) {
	cases := []struct {
		body   string
		errors map[string]string // nil: accepted
	}{
		{`[]`, nil},
		{`[{"token":"a","extra":{"b":[1,{"c":2}]}}]`, nil},
		{`"\ud83d\ude00"`, nil}, // a surrogate pair is one character
		{`[{"token":"a","token":"b"}]`, map[string]string{"[0].token": "Give this field once."}},
		{`[{"token":"a","x":[{"c":1,"c":2}]}]`, map[string]string{"[0].x[0].c": "Give this field once."}},
		{`{"a":1,"a":2}`, map[string]string{"a": "Give this field once."}},
		{`["\ud800"]`, map[string]string{"body": "The body is not valid UTF-8."}},
		{`["\udc00x"]`, map[string]string{"body": "The body is not valid UTF-8."}},
		{"[\"\xff\"]", map[string]string{"body": "The body is not valid UTF-8."}},
		{`[] []`, map[string]string{"body": "The body must be a single JSON value."}},
		{`[`, map[string]string{"body": "The body is not valid JSON."}},
	}
	for _, tc := range cases {
		err := httpx.CheckJSON([]byte(tc.body))
		e, _ := errs.As(err)
		switch {
		case tc.errors == nil && err != nil:
			t.Errorf("CheckJSON(%s) = %v, want nil", tc.body, err)
		case tc.errors != nil && (e == nil || e.Code != errs.Invalid || !maps.Equal(e.Fields, tc.errors)):
			t.Errorf("CheckJSON(%s) = %v, want invalid %v", tc.body, err, tc.errors)
		}
	}
}

type patchBody struct {
	Name  *string `json:"name"`
	Count *int    `json:"count"`
}

// TestBindPatch: a PATCH that names nothing to change is 400 on body and
// lists what it could change; an empty body is 400 as for every bind.
func TestBindPatch(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(httpx.Errors(zap.NewNop()))
	r.POST("/patch", httpx.Handle(func(c *gin.Context) error {
		var b patchBody
		if err := httpx.BindPatch(c, &b); err != nil {
			return err
		}
		c.JSON(http.StatusOK, gin.H{})
		return nil
	}))
	nothing := map[string]string{"body": "Nothing to change: give at least one of name, count."}
	for _, tc := range []struct {
		body   string
		status int
		errors map[string]string
	}{
		{`{"name":"n"}`, 200, nil},
		{`{"count":0}`, 200, nil},
		{`{}`, 400, nothing},
		{`{"name":null}`, 400, nothing},
		{``, 400, map[string]string{"body": "The body is empty: send a JSON object ({} where every field is optional)."}},
		{`{"bogus":1}`, 400, map[string]string{"bogus": "Unknown field."}},
	} {
		a := post(t, r, "/patch", "application/json", tc.body)
		if a.status != tc.status || tc.errors != nil && !maps.Equal(a.errors, tc.errors) {
			t.Errorf("%q: got %d %v, want %d %v", tc.body, a.status, a.errors, tc.status, tc.errors)
		}
	}
}
