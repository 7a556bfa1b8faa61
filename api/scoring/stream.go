package scoring

import (
	"fmt"
	"io"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/jsonw"
)

// chunkSize is how much of a streamed response is held before it is
// written out.
const chunkSize = 64 << 10

// SizeBound returns an upper bound of the length of the response [Encode]
// writes for these outputs: a server that may send at most a limit
// checks it against the limit before it streams with [Decoder.EncodeTo],
// which cannot take back what it has written.
func (dec *Decoder) SizeBound(outputs []*flavors.Tensor, req *Request) int64 {
	outputs = pickOutputs(outputs, dec.spec.Signature)
	total := int64(32)
	rows := int64(1)
	if req != nil && req.Columnar {
		rows += int64(req.Rows)
	}
	for _, t := range outputs {
		n := flavors.NumElements(t.Shape)
		total += (6*int64(len(t.Name)) + 4) * rows       // the name, per row in the row form
		total += 2 * (int64(len(t.Shape)) + 1) * (n + 1) // brackets, generously
		switch d := t.Data.(type) {
		case []string:
			for _, s := range d {
				total += 6*int64(len(s)) + 3
			}
		case []map[string]float32:
			for _, m := range d {
				total += 2
				for k := range m {
					total += 6*int64(len(k)) + 3 + 26
				}
			}
		default:
			total += 26 * n // the longest float64, int64 or uint64 text and a comma
		}
	}
	return total
}

// EncodeTo writes what [Decoder.Encode] returns to w, in chunks of about
// 64 kB: a response of many rows ([N, 1000] scores, a sequence of maps per
// row) costs about one row and one chunk of memory, not its whole size
// (one row of an output is the unit: a single huge row is held whole).
// Outputs that cannot be encoded are an error before anything is written.
// EncodeTo applies no size limit: check [Decoder.SizeBound] first.
func (dec *Decoder) EncodeTo(w io.Writer, outputs []*flavors.Tensor, req *Request) error {
	outputs = pickOutputs(outputs, dec.spec.Signature)
	if len(outputs) == 0 {
		return fmt.Errorf("encoding predictions: the model returned no outputs")
	}
	for _, t := range outputs {
		if err := t.Validate(); err != nil {
			return fmt.Errorf("encoding predictions: %w", err)
		}
	}
	bp := bufPool.Get().(*[]byte)
	s := &streamer{w: w, b: (*bp)[:0]}
	defer func() {
		if cap(s.b) <= 1<<20 {
			*bp = s.b[:0]
			bufPool.Put(bp)
		}
	}()
	s.b = append(s.b, `{"predictions":`...)
	switch {
	case len(outputs) == 1:
		s.nested(newElemWriter(outputs[0]), outputs[0].Shape)
	case req != nil && req.Columnar && sameRows(outputs, req.Rows):
		s.b = append(s.b, '[')
		var small [4]elemWriter // on the stack for up to four outputs
		els := appendElemWriters(small[:0], outputs)
		for r := 0; r < req.Rows && s.err == nil; r++ {
			if r > 0 {
				s.b = append(s.b, ',')
			}
			s.b = append(s.b, '{')
			for i, t := range outputs {
				if i > 0 {
					s.b = append(s.b, ',')
				}
				s.name(t.Name)
				per := int(flavors.NumElements(t.Shape[1:]))
				s.b = appendNested(s.b, els[i], t.Shape[1:], r*per, 0)
			}
			s.b = append(s.b, '}')
			s.flush(false)
		}
		s.b = append(s.b, ']')
	default:
		s.b = append(s.b, '{')
		for i, t := range outputs {
			if i > 0 {
				s.b = append(s.b, ',')
			}
			s.name(t.Name)
			s.nested(newElemWriter(t), t.Shape)
		}
		s.b = append(s.b, '}')
	}
	s.b = append(s.b, '}')
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

func (s *streamer) name(n string) {
	s.b = append(jsonw.AppendString(s.b, n), ':')
}

// nested writes a tensor as appendNested does, a row (its first
// dimension's entry) at a time.
func (s *streamer) nested(el elemWriter, shape []int64) {
	if len(shape) == 0 {
		s.b = el.one(s.b, 0)
		return
	}
	s.b = append(s.b, '[')
	per := int(flavors.NumElements(shape[1:]))
	for i := 0; i < int(shape[0]) && s.err == nil; i++ {
		if i > 0 {
			s.b = append(s.b, ',')
		}
		s.b = appendNested(s.b, el, shape[1:], i*per, 0)
		s.flush(false)
	}
	s.b = append(s.b, ']')
}
