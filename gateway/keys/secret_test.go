package keys

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseSecret(t *testing.T) {
	good, digest, err := newSecret()
	if err != nil {
		t.Fatal(err)
	}
	// The last base64 character of 32 bytes carries 4 bits of padding:
	// "A" (000000) is canonical, "B" (000001) is not.
	canon := "bk-" + strings.Repeat("A", 42) + "A"
	tests := []struct {
		name, in string
		wantErr  string
	}{
		{"fresh key", good, ""},
		{"canonical zeros", canon, ""},
		{"empty", "", `must start with "bk-"`},
		{"other prefix", "sk-" + good[3:], `must start with "bk-"`},
		{"prefix only", "bk-", "must be 46 characters long, not 3"},
		{"one short", good[:45], "must be 46 characters long, not 45"},
		{"one long", good + "A", "must be 46 characters long, not 47"},
		{"padding", good[:45] + "=", "character 46 is not one of"},
		{"standard base64", good[:10] + "+" + good[11:], "character 11 is not one of"},
		{"space", good[:20] + " " + good[21:], "character 21 is not one of"},
		{"non-canonical last", "bk-" + strings.Repeat("A", 42) + "B", "not the canonical encoding"},
		{"unicode", "bk-" + strings.Repeat("é", 21) + "A", "character 4 is not one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseSecret(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseSecret: %v", err)
				}
				if d != digestOf(tt.in) || len(d) != 64 {
					t.Fatalf("digest = %q, want sha256 hex of the key", d)
				}
				return
			}
			if !errors.Is(err, ErrMalformedSecret) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParseSecret error = %v, want ErrMalformedSecret with %q", err, tt.wantErr)
			}
			if len(tt.in) > 8 && strings.Contains(err.Error(), tt.in) {
				t.Fatalf("error %q echoes the key", err)
			}
		})
	}
	if d, _ := ParseSecret(good); d != digest {
		t.Fatalf("newSecret's digest %s differs from ParseSecret's %s", digest, d)
	}
	if h := hintOf(good); h != "bk-..."+good[42:] {
		t.Fatalf("hint = %q", h)
	}
}

func TestSecretFromRequest(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		want    string
	}{
		{"none", nil, ""},
		{"bearer", map[string]string{"Authorization": "Bearer bk-x"}, "bk-x"},
		{"bearer lower case", map[string]string{"Authorization": "bearer  bk-x "}, "bk-x"},
		{"basic is not a key", map[string]string{"Authorization": "Basic dXNlcjpwdw=="}, ""},
		{"authorization wins", map[string]string{"Authorization": "Bearer a", "X-Api-Key": "b"}, "a"},
		{"anthropic style", map[string]string{"x-api-key": "bk-y"}, "bk-y"},
		{"azure style", map[string]string{"api-key": "bk-z"}, "bk-z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/v1/chat/completions", nil)
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			if got := SecretFromRequest(r); got != tt.want {
				t.Fatalf("SecretFromRequest = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParseSecret(f *testing.F) {
	s, _, _ := newSecret()
	for _, seed := range []string{s, "", "bk-", "bk-" + strings.Repeat("_", 43), "bk-" + strings.Repeat("A", 42) + "Q", s + "\x00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d, err := ParseSecret(in)
		if err != nil {
			if d != "" || !errors.Is(err, ErrMalformedSecret) {
				t.Fatalf("ParseSecret(%q) = %q, %v", in, d, err)
			}
			return
		}
		if len(in) != secretLen || !strings.HasPrefix(in, secretPrefix) || d != digestOf(in) {
			t.Fatalf("ParseSecret(%q) accepted a string that is not a key", in)
		}
	})
}

func FuzzSecretFromRequest(f *testing.F) {
	f.Add("Bearer bk-x", "", "")
	f.Add("bearer", "k", "")
	f.Add("", "", " api ")
	f.Add("Basic \t", "x", "y")
	f.Fuzz(func(t *testing.T, auth, xAPIKey, apiKey string) {
		r := httptest.NewRequest("POST", "/v1/embeddings", nil)
		r.Header["Authorization"] = []string{auth}
		r.Header["X-Api-Key"] = []string{xAPIKey}
		r.Header["Api-Key"] = []string{apiKey}
		got := SecretFromRequest(r)
		if got != strings.TrimSpace(got) {
			t.Fatalf("SecretFromRequest = %q: not trimmed", got)
		}
		if auth != "" && got != "" && !strings.Contains(auth, got) {
			t.Fatalf("with Authorization %q, got %q from elsewhere", auth, got)
		}
		if scheme, token, ok := strings.Cut(auth, " "); ok && strings.EqualFold(scheme, "Bearer") && got != strings.TrimSpace(token) {
			t.Fatalf("Authorization %q gave %q", auth, got)
		}
	})
}
