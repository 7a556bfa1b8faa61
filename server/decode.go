package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/api/mlflowrest"
)

// validator is a request type that checks its required parameters
// (mlflowrest's request types, each with MLflow's messages).
type validator interface {
	Validate() error
}

// bind fills req, a pointer to one of mlflowrest's request types, the way
// MLflow's server reads it: from the query string for GET and HEAD (repeated keys for
// list fields), from the JSON body for POST, PATCH and DELETE. Unknown
// fields are ignored; a value of the wrong type is INVALID_PARAMETER_VALUE
// naming the field. A request that decodes is then validated, when its type
// has a Validate method: bind is the one place where every handler's
// request is read and checked.
func (s *Server) bind(c *gin.Context, req any) error {
	if err := s.decode(c, req); err != nil {
		return err
	}
	if v, ok := req.(validator); ok {
		return v.Validate()
	}
	return nil
}

// decode fills req from the query string or the JSON body.
func (s *Server) decode(c *gin.Context, req any) error {
	if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
		return bindQuery(c, req)
	}
	ct := c.GetHeader("Content-Type")
	if ct == "" {
		return invalidParam("Bad Request. Content-Type header is missing.")
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return invalidParam("Bad Request. Content-Type must be one of ['application/json'].")
	}
	body, err := s.readJSON(c)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	return decodeJSON(body, req)
}

// decodeJSON unmarshals body into req and turns decoding failures into
// MLflow's INVALID_PARAMETER_VALUE errors.
func decodeJSON(body []byte, req any) error {
	err := json.Unmarshal(body, req)
	if err == nil {
		if field, ok := findNUL(reflect.ValueOf(req), ""); ok {
			return nulError(field)
		}
		return nil
	}
	var (
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
		valErr  *mlflowrest.ValueError
	)
	switch {
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return invalidParam("Malformed JSON request body: %v", err)
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return invalidParam("The request body must be a JSON object, not a JSON %s.", typeErr.Value)
		}
		return invalidParam("Invalid value for parameter '%s' supplied: Hint: Value was of type '%s', want %s. See the API docs for more information about request parameters.",
			typeErr.Field, pyKind(typeErr.Value), typeErr.Type)
	case errors.As(err, &valErr):
		return invalidParam("Invalid value %s for parameter '%s' supplied:  Hint: Value was of type '%s'. See the API docs for more information about request parameters.",
			valErr.Raw, fieldOf(body, valErr.Raw), valErr.Kind)
	}
	return invalidParam("Invalid request body: %v", err)
}

// fieldOf names the top-level field of body whose raw JSON value is raw, or
// a generic name when the value is nested.
func fieldOf(body []byte, raw string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) == nil {
		for k, v := range m {
			if string(bytes.TrimSpace(v)) == raw {
				return k
			}
		}
	}
	return "(a numeric field)"
}

// pyKind names a JSON type as MLflow's messages do.
func pyKind(jsonType string) string {
	switch jsonType {
	case "string":
		return "str"
	case "number":
		return "float"
	case "bool":
		return "bool"
	case "array":
		return "list"
	case "object":
		return "dict"
	}
	return jsonType
}

// bindQuery fills req from the query string: each field's JSON name is a
// query key; slice fields take every repeated value.
func bindQuery(c *gin.Context, req any) error {
	q := c.Request.URL.Query()
	t := reflect.TypeOf(req).Elem()
	m := map[string]any{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		vals, ok := q[name]
		if name == "" || name == "-" || !ok || len(vals) == 0 {
			continue
		}
		if f.Type.Kind() == reflect.Slice {
			m[name] = vals
		} else {
			m[name] = vals[0]
		}
	}
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return decodeJSON(body, req)
}

// nulError is the answer to a NUL character in a request: no store keeps
// one (PostgreSQL refuses it in text), so it is refused for all of them.
func nulError(field string) error {
	return invalidParam("Invalid value for parameter '%s' supplied: it contains a NUL character (\\u0000), which no field may contain.", field)
}

// findNUL returns the JSON name of the first string field of v (walking
// structs, pointers, slices and maps) that contains a NUL character.
func findNUL(v reflect.Value, name string) (string, bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "", false
		}
		return findNUL(v.Elem(), name)
	case reflect.String:
		return name, strings.IndexByte(v.String(), 0) >= 0
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			n, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if n == "" {
				n = f.Name
			}
			if name != "" {
				n = name + "." + n
			}
			if got, ok := findNUL(v.Field(i), n); ok {
				return got, true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if got, ok := findNUL(v.Index(i), name); ok {
				return got, true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if got, ok := findNUL(it.Key(), name); ok {
				return got, true
			}
			if got, ok := findNUL(it.Value(), name); ok {
				return got, true
			}
		}
	}
	return "", false
}

// checkQuery answers 400 to a request whose path holds a NUL character or
// whose query string holds a NUL or bytes that are not UTF-8, before any
// handler reads them: no store keeps either, and each store would refuse
// them differently.
func (s *Server) checkQuery(c *gin.Context) {
	if strings.IndexByte(c.Request.URL.Path, 0) >= 0 {
		s.writeError(c, invalidParam("Invalid path: it contains a NUL character"))
		return
	}
	for k, vs := range c.Request.URL.Query() {
		name := strings.ToValidUTF8(strings.ReplaceAll(k, "\x00", ""), "\uFFFD")
		for _, v := range vs {
			if strings.IndexByte(k, 0) >= 0 || strings.IndexByte(v, 0) >= 0 {
				s.writeError(c, nulError(name))
				return
			}
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				s.writeError(c, invalidParam("Invalid value for parameter '%s' supplied: it is not valid UTF-8.", name))
				return
			}
		}
	}
}
