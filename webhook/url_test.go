package webhook_test

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/berthml/berth/webhook"
)

func TestValidateURL(t *testing.T) {
	strict := webhook.Policy{}
	lax := webhook.Policy{AllowHTTP: true}
	tests := []struct {
		url    string
		p      webhook.Policy
		ok     bool
		substr string
	}{
		{"https://hooks.example.com/x", strict, true, ""},
		{"https://127.0.0.1:9/hook", strict, true, ""}, // MLflow 3.6 accepts it; delivery refuses it
		{"https://[::1]:8443/h", strict, true, ""},
		{"http://127.0.0.1:9/x", strict, false, "Invalid webhook URL scheme: 'http'. Allowed schemes are: https."},
		{"http://127.0.0.1:9/x", lax, true, ""},
		{"ftp://example.com/x", lax, false, "Allowed schemes are: http, https."},
		{"", strict, false, "cannot be empty"},
		{"https://", strict, false, "must name a host"},
		{"https:opaque", strict, false, "must name a host"},
		{"https://user:pw@example.com/", strict, false, "user information"},
		{"https://example.com:99999/", strict, false, "Bad port"},
		{"https://example.com:0/", strict, false, "Bad port"},
		{" https://example.com/", strict, false, "whitespace"},
		{"https://exa mple.com/", strict, false, "whitespace"},
		{"https://example.com/\r\nX: y", strict, false, "control"},
		{"https://example.com/" + strings.Repeat("a", webhook.MaxURLLength), strict, false, "maximum length"},
		{"HTTPS://example.com/", strict, true, ""},
		{"%zz", strict, false, "Invalid webhook URL"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := tt.p.ValidateURL(tt.url)
			if (err == nil) != tt.ok {
				t.Fatalf("ValidateURL(%q) = %v, want ok=%v", tt.url, err, tt.ok)
			}
			if err != nil {
				var ie *webhook.InvalidError
				if !errors.As(err, &ie) {
					t.Errorf("error %T is not an *InvalidError", err)
				}
				if !strings.Contains(err.Error(), tt.substr) {
					t.Errorf("error %q does not say %q", err, tt.substr)
				}
			}
		})
	}
}

func TestCheckAddr(t *testing.T) {
	for _, tt := range []struct {
		addr string
		ok   bool
	}{
		{"93.184.216.34", true},
		{"2606:2800:220:1::1", true},
		{"127.0.0.1", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"100.64.0.1", false},
		{"0.0.0.0", false},
		{"::1", false},
		{"fe80::1", false},
		{"fc00::1", false},
		{"::ffff:127.0.0.1", false},
		{"224.0.0.1", false},
		{"240.0.0.1", false},
	} {
		err := webhook.Policy{}.CheckAddr(netip.MustParseAddr(tt.addr))
		if (err == nil) != tt.ok {
			t.Errorf("CheckAddr(%s) = %v, want ok=%v", tt.addr, err, tt.ok)
		}
		if err != nil && !errors.Is(err, webhook.ErrForbiddenAddress) {
			t.Errorf("CheckAddr(%s) = %v, not ErrForbiddenAddress", tt.addr, err)
		}
		if err := (webhook.Policy{AllowPrivate: true}).CheckAddr(netip.MustParseAddr(tt.addr)); err != nil {
			t.Errorf("AllowPrivate: CheckAddr(%s) = %v", tt.addr, err)
		}
	}
}

// FuzzValidateURL checks that an accepted URL is an absolute https URL with
// a host and no user info, and that validation never panics.
func FuzzValidateURL(f *testing.F) {
	for _, s := range []string{"https://example.com/x", "http://127.0.0.1:9/", "https://[::1]:1/", "https://a@b/", "https:x", "", "https://h:65536/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if (webhook.Policy{}).ValidateURL(raw) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("accepted %q, which url.Parse refuses: %v", raw, err)
		}
		if u.Scheme != "https" || u.Hostname() == "" || u.User != nil {
			t.Fatalf("accepted %q: scheme %q host %q user %v", raw, u.Scheme, u.Hostname(), u.User)
		}
	})
}
