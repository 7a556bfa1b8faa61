package serve

import (
	"errors"
	"fmt"
	"slices"

	"github.com/berthml/berth/api/oip"
	"github.com/berthml/berth/api/scoring"
	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/cliflag"
)

// DefaultResponseLimit is the largest scoring response a server sends
// unless told otherwise ([WithResponseLimit]): as large as the default
// request body limit.
const DefaultResponseLimit = 100 << 20

// ResponseTooLargeError is a scoring request whose answer would be larger
// than the server's response limit. It is answered 413: the client can send
// fewer rows, and the operator can raise the limit.
type ResponseTooLargeError struct {
	Limit int64
}

func (e *ResponseTooLargeError) Error() string {
	return fmt.Sprintf("the response would be larger than the server's limit of %s (berth serve --response-limit): "+
		"send fewer rows per request, or ask the operator to raise --response-limit", cliflag.FormatSize(e.Limit))
}

// responseLimit is the limit the encoders are given: 0 for none.
func (s *Server) responseLimit() int {
	return int(max(s.opts.responseLimit, 0))
}

// checkResponseBound refuses a request before it runs when its answer is
// sure to be larger than the response limit: every element of an output
// takes at least one byte, in JSON and in binary. The row count is the
// inputs' first dimension, and an output's leading dynamic dimension is
// taken as rows only for models whose every input and output has one (the
// models dynamic batching concatenates); outputs with other dynamic
// dimensions count nothing.
func (s *Server) checkResponseBound(m *Model, inputs []*flavors.Tensor, outputs []string) error {
	limit := s.opts.responseLimit
	if limit <= 0 || len(inputs) == 0 {
		return nil
	}
	rows := int64(-1)
	if m.batchWhy == "" {
		for _, t := range inputs {
			if len(t.Shape) == 0 || (rows >= 0 && t.Shape[0] != rows) {
				rows = -1
				break
			}
			rows = t.Shape[0]
		}
	}
	var elems int64
	for _, o := range m.outputs {
		if len(outputs) > 0 && !slices.Contains(outputs, o.Name) {
			continue
		}
		n := int64(1)
		for i, d := range o.Shape {
			switch {
			case d >= 0:
				n *= d
			case i == 0 && rows >= 0:
				n *= rows
			default:
				n = 0
			}
			if n == 0 || n > limit {
				break
			}
		}
		if elems += n; elems > limit {
			return &ResponseTooLargeError{Limit: limit}
		}
	}
	return nil
}

// checkOutputsBound refuses, before encoding, outputs that cannot fit the
// response limit at one byte per element.
func (s *Server) checkOutputsBound(outs []*flavors.Tensor) error {
	limit := s.opts.responseLimit
	if limit <= 0 {
		return nil
	}
	var elems int64
	for _, t := range outs {
		if elems += int64(t.Len()); elems > limit {
			return &ResponseTooLargeError{Limit: limit}
		}
	}
	return nil
}

// encodingError turns the encoders' [scoring.ErrResponseTooLarge] and
// [oip.ErrResponseTooLarge] into the server's answer; any other encoding
// error is the server's fault.
func (s *Server) encodingError(err error) error {
	if errors.Is(err, scoring.ErrResponseTooLarge) || errors.Is(err, oip.ErrResponseTooLarge) {
		return &ResponseTooLargeError{Limit: s.opts.responseLimit}
	}
	return err
}
