package scoring_test

import (
	"errors"
	"testing"

	"github.com/berthml/berth/api/scoring"
)

// FuzzDecode checks that no body makes Decode panic, and that it returns
// either tensors that are valid or an *Error.
func FuzzDecode(f *testing.F) {
	for _, e := range readTranscript(f) {
		f.Add(uint8(0), e.contentType(), e.body(f))
	}
	for _, s := range []string{
		splitIris, recordsIris, `{"inputs": {"a": [[1, 2]], "b": [7]}}`, `{"instances": [{"a": [1, 2], "b": 7}]}`,
		`{"inputs": [[1, 2, 3]]}`, `{"inputs": {"x": [[1,2,3]]}}`, `{"dataframe_records": [{"text": "a", "n": 1}]}`,
		`{"dataframe_records": [{"emb": [1, 2], "bias": 3}]}`, `{"inputs": "\ud800\u0041"}`,
	} {
		f.Add(uint8(0), "application/json", []byte(s))
	}
	f.Add(uint8(1), "text/csv", []byte(csvIris))
	f.Add(uint8(5), "text/csv", []byte("n,text\n1,\"a\"\"b\"\n"))
	specs := []scoring.ModelSpec{colspecSpec(), tensorSpec(), stackedSpec(), separateSpec(), namedTensorSpec(),
		textSpec(), noSigSpec(), noSigMultiSpec(), paramSpec(), optionalSpec(), arraySpec()}
	decs := make([]*scoring.Decoder, len(specs))
	for i, s := range specs {
		dec, err := scoring.NewDecoder(s)
		if err != nil {
			f.Fatal(err)
		}
		decs[i] = dec
	}
	f.Fuzz(func(t *testing.T, which uint8, contentType string, body []byte) {
		dec := decs[int(which)%len(decs)]
		format, err := scoring.ParseContentType(contentType)
		if err != nil {
			var me *scoring.MediaTypeError
			if !errors.As(err, &me) {
				t.Fatalf("ParseContentType: %T %v", err, err)
			}
			format = scoring.FormatJSON
		}
		req, err := dec.Decode(format, body)
		if err != nil {
			var se *scoring.Error
			if !errors.As(err, &se) || se.Code == "" || se.Message == "" {
				t.Fatalf("Decode: %T %v", err, err)
			}
			return
		}
		if len(req.Inputs) == 0 {
			t.Fatal("no inputs and no error")
		}
		for i, in := range req.Inputs {
			if in == nil {
				t.Fatalf("input %d is nil", i)
			}
			if err := in.Validate(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
