package oip

import (
	"fmt"
	"io"
	"sync"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/jsonw"
)

// chunkSize is how much of a streamed response is held before it is
// written out.
const chunkSize = 64 << 10

var chunkPool = sync.Pool{New: func() any { b := make([]byte, 0, chunkSize+16<<10); return &b }}

// ResponseSizeBound returns an upper bound of the length of the response
// [EncodeInferResponse] writes for outputs when none of them is binary: a
// server that may send at most a limit checks it against the limit before
// it streams with [EncodeInferResponseTo], which cannot take back what it
// has written.
func ResponseSizeBound(modelName, version, id string, outputs []*flavors.Tensor) int64 {
	total := 64 + 6*int64(len(modelName)+len(version)+len(id))
	for _, t := range outputs {
		total += 64 + 6*int64(len(t.Name)) + 21*int64(len(t.Shape)+1)
		n := int64(t.Len())
		total += n + 2 // commas and brackets
		switch d := t.Data.(type) {
		case []string:
			for _, s := range d {
				total += 6*int64(len(s)) + 2
			}
		case []map[string]float32:
			// A row is an object written as a JSON string: escaping
			// the object's text at most doubles it.
			for _, m := range d {
				row := int64(2)
				for k := range m {
					row += 6*int64(len(k)) + 3 + 26
				}
				total += 2*row + 2
			}
		default:
			total += 26 * n // the longest float64, int64 or uint64 text
		}
	}
	return total
}

// EncodeInferResponseTo writes what [EncodeInferResponse] returns for a
// response without binary outputs to w, in chunks of about 64 kB: a large
// output ([N, 1000] scores, a sequence of maps) costs about a chunk of
// memory, not its whole size twice (the growing buffer and the body
// returned). Outputs that cannot be encoded, and a request that wants an
// output as binary data, are an error before anything is written.
// EncodeInferResponseTo applies no size limit: check [ResponseSizeBound]
// first.
func EncodeInferResponseTo(w io.Writer, modelName, version, id string, outputs []*flavors.Tensor, req *Request) error {
	for _, t := range outputs {
		if err := t.Validate(); err != nil {
			return fmt.Errorf("encoding output: %w", err)
		}
		if _, ok := DatatypeOf(t.DType); !ok {
			return fmt.Errorf("encoding output %q: dtype %s has no protocol datatype", t.Name, t.DType)
		}
		if req.WantsBinary(t.Name) {
			return fmt.Errorf("encoding output %q: it is wanted as binary data, which is not streamed", t.Name)
		}
	}
	bp := chunkPool.Get().(*[]byte)
	s := &streamer{w: w, b: (*bp)[:0]}
	defer func() {
		if cap(s.b) <= 1<<20 {
			*bp = s.b[:0]
			chunkPool.Put(bp)
		}
	}()
	s.b = append(s.b, `{"model_name":`...)
	s.b = jsonw.AppendString(s.b, modelName)
	if version != "" {
		s.b = append(s.b, `,"model_version":`...)
		s.b = jsonw.AppendString(s.b, version)
	}
	if id != "" {
		s.b = append(s.b, `,"id":`...)
		s.b = jsonw.AppendString(s.b, id)
	}
	s.b = append(s.b, `,"outputs":[`...)
	for i, t := range outputs {
		if i > 0 {
			s.b = append(s.b, ',')
		}
		var err error
		if s.b, err = appendOutputHeader(s.b, t); err != nil {
			return err // checked above: not reached
		}
		s.b = append(s.b, `,"data":[`...)
		n := t.Len()
		block := elemBlock(t.Data)
		var rows mapRows
		for j := 0; j < n && s.err == nil; j += block {
			s.b = appendElems(s.b, t.Data, j, min(j+block, n), true, &rows)
			s.flush(false)
		}
		s.b = append(s.b, "]}"...)
	}
	s.b = append(s.b, "]}"...)
	s.flush(true)
	return s.err
}

// streamer holds the part of a response not yet written.
type streamer struct {
	w   io.Writer
	b   []byte
	err error
}

// flush writes b out once it holds a chunk (or at the end, all of it).
func (s *streamer) flush(end bool) {
	if s.err != nil || len(s.b) == 0 || !end && len(s.b) < chunkSize {
		return
	}
	_, s.err = s.w.Write(s.b)
	s.b = s.b[:0]
}
