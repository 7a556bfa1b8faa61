package scoring_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/berthml/berth/api/scoring"
	"github.com/berthml/berth/flavors"
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
		// A body that is not UTF-8 is refused as such, naming its first
		// bad byte, whatever else is wrong with it; only such a body is.
		const notUTF8 = "The request body is not valid UTF-8"
		if !utf8.Valid(body) {
			off := 0
			for off < len(body) {
				r, size := utf8.DecodeRune(body[off:])
				if r == utf8.RuneError && size == 1 {
					break
				}
				off += size
			}
			if err == nil || !strings.Contains(err.Error(), notUTF8) ||
				!strings.Contains(err.Error(), fmt.Sprintf("offset %d", off)) {
				t.Fatalf("a body that is not UTF-8 (first bad byte at %d): %v", off, err)
			}
		} else if err != nil && strings.Contains(err.Error(), notUTF8) {
			t.Fatalf("a UTF-8 body refused as not UTF-8: %v", err)
		}
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

// FuzzNumbersMatchEncodingJSON is the differential test of the number
// path: a body of numbers that encoding/json reads into []float64 decodes
// into a float64 tensor with the same bits, and into a float32 tensor with
// float32 of them (MLflow's rule); a body encoding/json refuses as JSON is
// refused. (encoding/json refuses a number beyond float64's range, which
// MLflow, like Python's json, reads as ±Inf: those are skipped.)
func FuzzNumbersMatchEncodingJSON(f *testing.F) {
	for _, s := range []string{"5.1, 3.5, 1.4, 0.2", "-0.4823529124259949,\n          0.49803924560546875",
		"1e23, 9007199254740993, 0.30000000000000004, 2.2250738585072011e-308, 4.9e-324", "0, -0, 1E+2",
		"123456789012345678901234567890, 0.000000000000000000000000000001", "01", "1.", "-", "1e",
		// Eight or more: a dense run, read by jsonscan.Floats.
		"-0.4823529124259949, -0.9921568632125854, 0.7568627595901489, 0.07450985908508301, 0.13725495338439941, 1.52587890625e-05, -0, 0.0",
		"1234567890123456789, 12345678901234567890, 0.1234567890123456789, 9007199254740992.5, 4503599627370495.5, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308",
		"1,2,3,4,5,6,7,8,9,10,1e400", "1,2,3,4,5,6,7,8,9,-0.000000000000000000000000000000000", "1,2,3,4,5,6,7,8,]", "1,2,3,4,5,6,7,8 9"} {
		f.Add(s)
	}
	spec := func(dt flavors.DType) scoring.ModelSpec {
		return scoring.ModelSpec{
			Signature: &flavors.Signature{Inputs: &flavors.Schema{Tensors: []flavors.TensorSpec{{DType: dt, Shape: []int64{-1}}}}},
			Inputs:    []flavors.TensorInfo{{Name: "x", DType: dt, Shape: []int64{-1}}},
		}
	}
	dec64, err := scoring.NewDecoder(spec(flavors.Float64))
	if err != nil {
		f.Fatal(err)
	}
	dec32, err := scoring.NewDecoder(spec(flavors.Float32))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, numbers string) {
		// As given, and with white space after the list: jsonscan.Floats
		// leaves numbers within a few dozen bytes of the body's end to
		// its general path; the padding makes its fast path read them.
		checkNumbersMatchEncodingJSON(t, dec64, dec32, []byte(`{"inputs": [`+numbers+`]}`))
		checkNumbersMatchEncodingJSON(t, dec64, dec32, []byte(`{"inputs": [`+numbers+`]`+strings.Repeat(" ", 100)+`}`))
	})
}

func checkNumbersMatchEncodingJSON(t *testing.T, dec64, dec32 *scoring.Decoder, body []byte) {
	t.Helper()
	var ref struct {
		Inputs []float64 `json:"inputs"`
	}
	refErr := json.Unmarshal(body, &ref)
	var ute *json.UnmarshalTypeError
	if errors.As(refErr, &ute) {
		return // a number out of float64's range, or not a number
	}
	r64, err64 := dec64.Decode(scoring.FormatJSON, body)
	r32, err32 := dec32.Decode(scoring.FormatJSON, body)
	if refErr != nil {
		if err64 == nil || err32 == nil {
			t.Fatalf("%s: encoding/json refuses it (%v), berth does not", body, refErr)
		}
		return
	}
	if len(ref.Inputs) == 0 {
		return // an empty input is refused by MLflow's rules, not a number problem
	}
	if err64 != nil || err32 != nil {
		t.Fatalf("%s: encoding/json reads it, berth refuses it: %v / %v", body, err64, err32)
	}
	got64, got32 := r64.Inputs[0].Data.([]float64), r32.Inputs[0].Data.([]float32)
	for i, want := range ref.Inputs {
		if math.Float64bits(got64[i]) != math.Float64bits(want) {
			t.Fatalf("%s: element %d: float64 %v, encoding/json %v", body, i, got64[i], want)
		}
		if math.Float32bits(got32[i]) != math.Float32bits(float32(want)) {
			t.Fatalf("%s: element %d: float32 %v, want %v", body, i, got32[i], float32(want))
		}
	}
}
