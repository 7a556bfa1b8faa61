package oip

import (
	"mime"
	"strings"
)

// CheckInferContentType checks the Content-Type of an inference request
// (POST /v2/models/{m}/infer): application/json, or application/octet-stream
// for the binary tensor data extension, with no charset other than utf-8.
// A request with no Content-Type is taken only with the
// Inference-Header-Content-Length header (headerLen not empty), as
// Triton's clients send binary requests: a browser cannot send that header
// without asking the server first (a CORS preflight), whereas it sends a
// form, text/plain or a typeless body to any site. Every failure is an
// [*Error] of kind [KindUnsupportedMediaType].
func CheckInferContentType(contentType, headerLen string) error {
	if strings.TrimSpace(contentType) == "" && headerLen != "" {
		return nil
	}
	return checkMediaType(contentType, "Types: ['application/json', 'application/octet-stream']", ContentTypeJSON, ContentTypeBinary)
}

// CheckV1ContentType checks the Content-Type of a KServe V1 predict
// request: application/json, with no charset other than utf-8. Every
// failure is an [*Error] of kind [KindUnsupportedMediaType].
func CheckV1ContentType(contentType string) error {
	return checkMediaType(contentType, "Types: ['application/json']", ContentTypeJSON)
}

func checkMediaType(contentType, accepted string, types ...string) error {
	bad := func(why string) error {
		return &Error{Kind: KindUnsupportedMediaType, Msg: why + "; this route accepts " + accepted}
	}
	for _, t := range types { // the usual header, accepted without parsing (no allocation)
		if contentType == t {
			return nil
		}
	}
	if strings.TrimSpace(contentType) == "" {
		return bad("the request has no Content-Type")
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return bad("Content-Type " + quote(contentType) + " cannot be read")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return bad("charset " + quote(cs) + " is not supported (only utf-8)")
	}
	for _, t := range types {
		if mt == t {
			return nil
		}
	}
	return bad("Content-Type " + quote(contentType) + " is not supported")
}

// quote writes s in double quotes, cut to 100 bytes: it comes from a
// client.
func quote(s string) string {
	if len(s) > 100 {
		s = s[:100] + "..."
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}
