package scoring

import "strings"

// Format is the body format of a scoring request.
type Format int

// The formats MLflow's scoring server accepts.
const (
	FormatJSON Format = iota + 1 // application/json
	FormatCSV                    // text/csv
)

// Content types of the two formats.
const (
	ContentTypeJSON = "application/json"
	ContentTypeCSV  = "text/csv"
)

func (f Format) String() string {
	switch f {
	case FormatJSON:
		return ContentTypeJSON
	case FormatCSV:
		return ContentTypeCSV
	}
	return "unknown"
}

// ParseContentType checks a request's Content-Type header exactly as
// MLflow's scoring server does: the media type must be application/json or
// text/csv, compared case-sensitively; a charset parameter must be utf-8
// (in any case); any other parameter is refused. Every failure is a
// [*MediaTypeError] with MLflow's message. An empty header (no
// Content-Type) is refused like an unknown type, where MLflow fails with a
// 500.
func ParseContentType(header string) (Format, error) {
	parts := strings.Split(header, ";")
	mime := strings.TrimSpace(parts[0])
	charset := "utf-8"
	var unknown []string
	for _, p := range parts[1:] {
		key, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch key {
		case "charset":
			charset = value
		case "":
			// MLflow tests keys with `in ("charset")`, a substring test
			// that lets an empty parameter (a trailing ';') through.
		default:
			unknown = append(unknown, key)
		}
	}
	if !strings.EqualFold(charset, "utf-8") {
		return 0, &MediaTypeError{Msg: "The scoring server only supports UTF-8"}
	}
	if len(unknown) > 0 {
		return 0, &MediaTypeError{Msg: "Unrecognized content type parameters: " +
			strings.Join(unknown, ", ") + ". " + ProtocolChangeInfo}
	}
	switch mime {
	case ContentTypeJSON:
		return FormatJSON, nil
	case ContentTypeCSV:
		return FormatCSV, nil
	}
	return 0, &MediaTypeError{Msg: "This predictor only supports the following content types: " +
		"Types: ['text/csv', 'application/json']. Got '" + header + "'."}
}
