package httpx

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/errs"
)

// decodeJSON decodes body into dst (a pointer to a struct) more strictly than
// encoding/json does, so that the server and anything in front of it (a
// proxy, a WAF, an audit tap) read the same request:
//
//   - field names match exactly: "ROLE" is an unknown field, not "role";
//   - a name given twice in one object is an error, not "the last one wins";
//   - the body, and every object a struct is decoded from, must be an
//     object (null, a list or a string is refused);
//   - invalid UTF-8, and \u escapes of a lone surrogate (which have no UTF-8
//     form), are refused instead of becoming U+FFFD;
//   - null is accepted only for a field that can be absent (a pointer to a
//     non-struct type), where it means absent.
//
// Every field error is collected (its path, e.g. "admin.username", to a
// message); an error about the whole body is returned as err. An empty body
// is an empty object (decode refuses it first where one is required).
func decodeJSON(body []byte, dst any) (fields map[string]string, err error) {
	fields = map[string]string{}
	if len(bytes.TrimSpace(body)) == 0 {
		return fields, nil
	}
	raw, err := single(body, "object")
	if err != nil {
		return nil, err
	}
	if raw[0] != '{' {
		return nil, errs.E(errs.Invalid, "body", "The body must be a JSON object.")
	}
	d := jsonDecoder{fields: fields}
	d.value(raw, reflect.ValueOf(dst).Elem(), "")
	return fields, nil
}

// CheckJSON applies decodeJSON's rules to a body read without a request
// type (POST /leaks reads a JSON array leniently, ignoring fields it does
// not know): one JSON value and nothing after it, valid UTF-8 with no \u
// escape of a lone surrogate, and no name given twice in any object.
// Errors: Invalid, on "body" or on the path of a repeated name ("[0].token").
func CheckJSON(body []byte) error {
	raw, err := single(body, "value")
	if err != nil {
		return err
	}
	d := jsonDecoder{fields: map[string]string{}}
	d.duplicates(raw, "")
	return errs.Fields(d.fields)
}

// single returns the one well-formed JSON value body holds, refusing
// invalid UTF-8, lone surrogate escapes and anything after the value (the
// message calls it what: "object", "value").
func single(body []byte, what string) (json.RawMessage, error) {
	if !utf8.Valid(body) || loneSurrogate(body) {
		return nil, errs.E(errs.Invalid, "body", "The body is not valid UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, errs.E(errs.Invalid, "body", "The body is not valid JSON.")
	}
	// Decoder.More is false before a stray "}" or "]", so look at the
	// bytes themselves: only white space may follow the value.
	if len(bytes.TrimSpace(body[dec.InputOffset():])) > 0 {
		return nil, errs.E(errs.Invalid, "body", "The body must be a single JSON "+what+".")
	}
	return raw, nil
}

type jsonDecoder struct{ fields map[string]string }

var (
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// value decodes raw (one well-formed JSON value) into v, recording errors
// under path.
func (d *jsonDecoder) value(raw []byte, v reflect.Value, path string) {
	null := string(raw) == "null"
	t := v.Type()
	switch {
	case t == rawMessageType:
		v.SetBytes(append([]byte(nil), raw...))
		d.duplicates(raw, path)
		return
	case reflect.PointerTo(t).Implements(unmarshalerType):
		d.duplicates(raw, path)
		d.unmarshal(raw, v, path)
		return
	case t.Kind() == reflect.Pointer:
		if null && t.Elem().Kind() != reflect.Struct {
			v.SetZero()
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.value(raw, v.Elem(), path)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		byName := structFields(t)
		d.members(raw, v, path, func(name string, member []byte) {
			i, ok := byName[name]
			if !ok {
				unknownField(d.fields, join(path, name), "Unknown field.")
				return
			}
			d.value(member, v.FieldByIndex(i), join(path, name))
		})
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			d.fields[key(path)] = "Is not valid."
			return
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(t))
		}
		d.members(raw, v, path, func(name string, member []byte) {
			elem := reflect.New(t.Elem()).Elem()
			d.value(member, elem, join(path, name))
			v.SetMapIndex(reflect.ValueOf(name).Convert(t.Key()), elem)
		})
	case reflect.Slice:
		if raw[0] != '[' {
			d.fields[key(path)] = "Must be " + jsonKind(t) + "."
			return
		}
		var items []json.RawMessage
		_ = json.Unmarshal(raw, &items) // raw is well-formed
		s := reflect.MakeSlice(t, len(items), len(items))
		for i, item := range items {
			d.value(item, s.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
		v.Set(s)
	case reflect.Interface:
		d.duplicates(raw, path)
		d.unmarshal(raw, v, path)
	default:
		if null { // encoding/json would leave the field as it was
			d.fields[key(path)] = "Must be " + jsonKind(t) + "."
			return
		}
		d.unmarshal(raw, v, path)
	}
}

// members calls f for every member of the object raw, in order, refusing a
// value that is not an object and a name given twice.
func (d *jsonDecoder) members(raw []byte, v reflect.Value, path string, f func(name string, member []byte)) {
	if raw[0] != '{' {
		d.fields[key(path)] = "Must be " + jsonKind(v.Type()) + "."
		return
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	_, _ = dec.Token() // {
	seen := map[string]bool{}
	for dec.More() {
		tok, _ := dec.Token()
		name, _ := tok.(string)
		var member json.RawMessage
		_ = dec.Decode(&member)
		if seen[name] {
			d.fields[join(path, name)] = "Give this field once."
			continue
		}
		seen[name] = true
		f(name, member)
	}
}

// duplicates walks raw, a value decoded without a request type (any, a raw
// message), only to refuse names given twice in any of its objects.
func (d *jsonDecoder) duplicates(raw []byte, path string) {
	switch raw[0] {
	case '{':
		d.members(raw, reflect.ValueOf(map[string]any(nil)), path, func(name string, member []byte) {
			d.duplicates(member, join(path, name))
		})
	case '[':
		var items []json.RawMessage
		_ = json.Unmarshal(raw, &items)
		for i, item := range items {
			d.duplicates(item, path+"["+strconv.Itoa(i)+"]")
		}
	}
}

func (d *jsonDecoder) unmarshal(raw []byte, v reflect.Value, path string) {
	if err := json.Unmarshal(raw, v.Addr().Interface()); err != nil {
		d.fields[key(path)] = "Must be " + jsonKind(v.Type()) + "."
	}
}

// structFields maps the json names of t's fields to their indexes; fields
// of embedded structs count as t's own, as in encoding/json.
func structFields(t reflect.Type) map[string][]int {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string][]int)
	}
	m := map[string][]int{}
	for _, sf := range reflect.VisibleFields(t) {
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || name == "-" || sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if _, dup := m[name]; !dup || len(sf.Index) < len(m[name]) {
			m[name] = sf.Index
		}
	}
	fieldCache.Store(t, m)
	return m
}

var fieldCache sync.Map // reflect.Type → map[string][]int

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// key is the field a message about path goes to: the body itself when path
// is the root.
func key(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

// loneSurrogate reports whether body holds a \u escape of a UTF-16
// surrogate that is not part of a high-low pair.
func loneSurrogate(body []byte) bool {
	inString := false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '"':
			inString = !inString
		case c == '\\' && inString && i+1 < len(body):
			i++
			if body[i] != 'u' {
				continue
			}
			r, ok := hex4(body, i+1)
			if !ok {
				continue // not well-formed: the JSON decoder refuses it
			}
			i += 4
			switch {
			case r >= 0xdc00 && r <= 0xdfff:
				return true // a low surrogate with no high one before it
			case r >= 0xd800 && r <= 0xdbff:
				if i+2 >= len(body) || body[i+1] != '\\' || body[i+2] != 'u' {
					return true
				}
				low, ok := hex4(body, i+3)
				if !ok || low < 0xdc00 || low > 0xdfff {
					return true
				}
				i += 6
			}
		}
	}
	return false
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[at:at+4]), 16, 16)
	return rune(n), err == nil
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
