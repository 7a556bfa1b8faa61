package scoring_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/berthml/berth/api/scoring"
)

// berthDiffers lists the transcript exchanges where berth deliberately
// answers otherwise than MLflow 2.17.2, with berth's status.
var berthDiffers = map[int]struct {
	status int
	why    string
}{
	// No Content-Type: MLflow fails with 500 HTML (None.split); berth
	// refuses the media type like any other.
	45:  {415, "missing Content-Type"},
	104: {415, "missing Content-Type"},
	// A latin-1 body sent as charset=latin-1: MLflow decodes the body as
	// UTF-8 before it checks the charset and fails with 500 HTML; berth
	// checks the header first, and a non-UTF-8 body under a good header is
	// a 400 (see TestDecodeErrors).
	51:  {415, "charset=latin-1 with a non-UTF-8 body"},
	110: {415, "charset=latin-1 with a non-UTF-8 body"},
}

func TestTranscript(t *testing.T) {
	exchanges := readTranscript(t)
	if len(exchanges) == 0 {
		t.Fatalf("%s holds no POST /invocations exchange", transcriptPath)
	}
	decoders := map[string]*scoring.Decoder{}
	for section, spec := range map[string]scoring.ModelSpec{"colspec": colspecSpec(), "tensor": tensorSpec()} {
		dec, err := scoring.NewDecoder(spec)
		if err != nil {
			t.Fatal(err)
		}
		decoders[section] = dec
	}
	for _, e := range exchanges {
		t.Run(e.Section+"/"+e.Case, func(t *testing.T) {
			dec := decoders[e.Section]
			want := e.Status
			if d, ok := berthDiffers[e.N]; ok {
				t.Logf("berth differs from MLflow (%d) on purpose: %s", e.Status, d.why)
				want = d.status
			}
			req, err := decodeExchange(dec, &e, t)
			switch {
			case want == 200:
				if err != nil {
					t.Fatalf("MLflow answered 200, berth fails: %v", err)
				}
				outputs := fakeIris(t, req.Inputs[0])
				got, err := dec.Encode(outputs, req)
				if err != nil {
					t.Fatal(err)
				}
				var gotJSON, wantJSON any
				if err := json.Unmarshal(got, &gotJSON); err != nil {
					t.Fatalf("response %s: %v", got, err)
				}
				if err := json.Unmarshal([]byte(e.ResponseBody), &wantJSON); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(gotJSON, wantJSON) {
					t.Errorf("response\n got %.200s\nwant %.200s", got, e.ResponseBody)
				}
			case want == 415:
				var me *scoring.MediaTypeError
				if !errors.As(err, &me) {
					t.Fatalf("want a 415 MediaTypeError, got %v", err)
				}
				if e.Status == 415 && me.Msg != e.ResponseBody {
					t.Errorf("message\n got %q\nwant %q", me.Msg, e.ResponseBody)
				}
			case want == 400:
				var se *scoring.Error
				if !errors.As(err, &se) {
					t.Fatalf("want a 400 *scoring.Error, got %v", err)
				}
				if se.Code != e.ErrorCode {
					t.Errorf("code %s, MLflow's %s; message: %s", se.Code, e.ErrorCode, se.Message)
				}
				t.Logf("%s: %s", se.Code, se.Message)
			default:
				t.Fatalf("unexpected status %d in the transcript", want)
			}
		})
	}
}

func decodeExchange(dec *scoring.Decoder, e *exchange, t *testing.T) (*scoring.Request, error) {
	format, err := scoring.ParseContentType(e.contentType())
	if err != nil {
		return nil, err
	}
	req, err := dec.Decode(format, e.body(t))
	if err == nil {
		for _, in := range req.Inputs {
			if verr := in.Validate(); verr != nil {
				t.Fatalf("decoded tensor: %v", verr)
			}
		}
	}
	return req, err
}
