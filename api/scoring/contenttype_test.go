package scoring_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/berthml/berth/api/scoring"
)

func TestParseContentType(t *testing.T) {
	tests := []struct {
		header string
		want   scoring.Format
		msg    string // a part of the 415 message, when refused
	}{
		{"application/json", scoring.FormatJSON, ""},
		{"text/csv", scoring.FormatCSV, ""},
		{"application/json; charset=utf-8", scoring.FormatJSON, ""},
		{"application/json;charset=UTF-8", scoring.FormatJSON, ""},
		{" text/csv ; charset=Utf-8", scoring.FormatCSV, ""},
		{"application/json;", scoring.FormatJSON, ""}, // an empty parameter passes, as in MLflow
		{"", 0, "Types: ['text/csv', 'application/json']. Got ''."},
		{"APPLICATION/JSON", 0, "Got 'APPLICATION/JSON'."},
		{"Application/Json", 0, "only supports"},
		{"text/plain", 0, "This predictor only supports the following content types: Types: ['text/csv', 'application/json']. Got 'text/plain'."},
		{"application/octet-stream", 0, "Got 'application/octet-stream'"},
		{"application/json; charset=latin-1", 0, "The scoring server only supports UTF-8"},
		{`application/json; charset="utf-8"`, 0, "UTF-8"},
		{"text/plain; charset=latin-1", 0, "UTF-8"}, // the charset is checked first
		{"application/json; format=pandas-split", 0, "Unrecognized content type parameters: format. IMPORTANT: The MLflow Model scoring protocol has changed"},
		{"application/json; format=pandas-records; orient=x", 0, "parameters: format, orient."},
		{"application/json; Charset=utf-8", 0, "parameters: Charset"},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			got, err := scoring.ParseContentType(tt.header)
			if tt.msg == "" {
				if err != nil || got != tt.want {
					t.Fatalf("got %v, %v; want %v", got, err, tt.want)
				}
				return
			}
			var me *scoring.MediaTypeError
			if !errors.As(err, &me) {
				t.Fatalf("got %v, %v; want a *MediaTypeError", got, err)
			}
			if !strings.Contains(me.Msg, tt.msg) {
				t.Errorf("message %q does not contain %q", me.Msg, tt.msg)
			}
		})
	}
}

func FuzzParseContentType(f *testing.F) {
	for _, s := range []string{"", "application/json", "text/csv; charset=utf-8", "application/json; format=pandas-split", "a;b=c;;=;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		format, err := scoring.ParseContentType(header)
		if err != nil {
			var me *scoring.MediaTypeError
			if !errors.As(err, &me) || me.Msg == "" {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if format != scoring.FormatJSON && format != scoring.FormatCSV {
			t.Fatalf("format %v", format)
		}
		mime, _, _ := strings.Cut(header, ";")
		if strings.TrimSpace(mime) != format.String() {
			t.Fatalf("accepted %q as %v", header, format)
		}
	})
}
