package pack

import (
	"strings"
	"testing"
	"time"
)

func TestCheckReference(t *testing.T) {
	tests := []struct {
		ref      string
		insecure bool
		err      string
	}{
		{"registry.example.com/iris:1", false, ""},
		{"127.0.0.1:5000/iris@sha256:" + strings.Repeat("a", 64), true, ""},
		{"Iris:1", false, `parsing image reference "Iris:1"`},
		{"", false, `parsing image reference ""`},
	}
	for _, tt := range tests {
		err := CheckReference(tt.ref, tt.insecure)
		if (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("CheckReference(%q) = %v, want %q", tt.ref, err, tt.err)
		}
	}
}

func TestImageNameAndLayoutTag(t *testing.T) {
	for _, tt := range []struct{ model, version, image, tag string }{
		{"Iris", "3", "berth/iris:3", "3"},
		{"iris", "", "berth/iris:latest", "latest"},
	} {
		if got := ImageName(tt.model, tt.version); got != tt.image {
			t.Errorf("ImageName(%q, %q) = %q, want %q", tt.model, tt.version, got, tt.image)
		}
		if got := LayoutTag(tt.image); got != tt.tag {
			t.Errorf("LayoutTag(%q) = %q, want %q", tt.image, got, tt.tag)
		}
	}
	if got := LayoutTag("not a name"); got != "not a name" {
		t.Errorf("LayoutTag of no name = %q, want it unchanged", got)
	}
}

func TestParseSourceDateEpoch(t *testing.T) {
	got, err := ParseSourceDateEpoch("1700000000")
	if err != nil || !got.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("ParseSourceDateEpoch = %v, %v", got, err)
	}
	if _, err := ParseSourceDateEpoch("yesterday"); err == nil || !strings.Contains(err.Error(), "want seconds since 1970") {
		t.Errorf("ParseSourceDateEpoch(yesterday) = %v", err)
	}
}
