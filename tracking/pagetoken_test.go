package tracking_test

import (
	"testing"

	"github.com/berthml/berth/tracking"
)

func TestPageToken(t *testing.T) {
	// Tokens recorded from MLflow 2.17.2.
	for token, offset := range map[string]int{"eyJvZmZzZXQiOiAxfQ==": 1, "eyJvZmZzZXQiOiAyfQ==": 2} {
		if got := tracking.EncodePageToken(offset); got != token {
			t.Errorf("EncodePageToken(%d) = %q, want %q", offset, got, token)
		}
		if got, err := tracking.DecodePageToken(token); err != nil || got != offset {
			t.Errorf("DecodePageToken(%q) = %d, %v", token, got, err)
		}
	}
	for _, bad := range []string{"!!", "eyJ4IjogMX0=", "bnVsbA==", "eyJvZmZzZXQiOiAtMX0="} {
		if _, err := tracking.DecodePageToken(bad); tracking.CodeOf(err) != tracking.CodeInvalidParameterValue {
			t.Errorf("DecodePageToken(%q) = %v, want INVALID_PARAMETER_VALUE", bad, err)
		}
	}
}

func FuzzDecodePageToken(f *testing.F) {
	for _, s := range []string{"", "eyJvZmZzZXQiOiAxfQ==", "!!", "e30="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		n, err := tracking.DecodePageToken(token)
		if err != nil {
			if tracking.CodeOf(err) != tracking.CodeInvalidParameterValue {
				t.Fatalf("DecodePageToken(%q) error %v is not INVALID_PARAMETER_VALUE", token, err)
			}
			return
		}
		if n < 0 {
			t.Fatalf("DecodePageToken(%q) = %d", token, n)
		}
		if back, err := tracking.DecodePageToken(tracking.EncodePageToken(n)); err != nil || back != n {
			t.Fatalf("round trip of %d = %d, %v", n, back, err)
		}
	})
}
