package cliflag

import (
	"strings"
	"testing"
)

func TestByteSizeString(t *testing.T) {
	for n, want := range map[int64]string{100 << 20: "100MiB", 1 << 30: "1GiB", 64 << 10: "64KiB", 1500: "1500B", 0: "0"} {
		b := ByteSize(n)
		if got := b.String(); got != want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", n, got, want)
		}
		var back ByteSize
		if n > 0 && (back.Set(b.String()) != nil || back != b) {
			t.Errorf("Set(%q) = %d, want %d", b.String(), back, n)
		}
	}
	var r SizeOrOff
	if err := r.Set("0"); err != nil || r != 0 {
		t.Errorf("--response-limit 0: %d, %v; want 0 (off)", r, err)
	}
}

func TestByteSize(t *testing.T) {
	good := map[string]int64{"100": 100, "1KiB": 1024, "100MiB": 100 << 20, "2GiB": 2 << 30, "5MB": 5e6, " 3 KiB ": 3072}
	for in, want := range good {
		var b ByteSize
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, b, err, want)
		}
	}
	// 9999999999GiB overflowed int64 into a negative limit before Set
	// checked the product.
	for _, in := range []string{"", "x", "-1", "0", "1.5MiB", "10TiB", "9999999999GiB", "9223372036854775807KB"} {
		var b ByteSize
		if err := b.Set(in); err == nil {
			t.Errorf("Set(%q) accepted %d", in, b)
		}
	}
}

// FuzzByteSize: Set accepts only positive sizes, and what String writes
// reads back to the same size.
func FuzzByteSize(f *testing.F) {
	for _, s := range []string{"100", "1KiB", "100MiB", "2GiB", "5MB", " 3 KiB ", "9999999999GiB", "-1", "0B"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b ByteSize
		if err := b.Set(s); err != nil {
			return
		}
		if b <= 0 {
			t.Fatalf("Set(%q) = %d, not positive", s, b)
		}
		var back ByteSize
		if err := back.Set(b.String()); err != nil || back != b {
			t.Fatalf("Set(%q) = %d, written %q, read back %d, %v", s, b, b.String(), back, err)
		}
	})
}

func TestTokenCheck(t *testing.T) {
	cases := []struct {
		tok Token
		err string
	}{
		{Token{}, ""},
		{Token{Value: "s3cret", IsSet: true}, ""},
		{Token{IsSet: true}, "--token (or BERTH_TOKEN) is empty"},
		{Token{Value: "a b", IsSet: true}, "blanks or control characters"},
		{Token{Value: "a\x7f", IsSet: true}, "blanks or control characters"},
	}
	for _, c := range cases {
		err := c.tok.Check("--token", "BERTH_TOKEN")
		if (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%+v: %v, want %q", c.tok, err, c.err)
		}
	}
}

func TestTokenList(t *testing.T) {
	cases := []struct {
		name      string
		in        []string
		fromFlags bool
		want      []string
		err       string
	}{
		{"flags are used whole", []string{"secret,abc", "other"}, true, []string{"secret,abc", "other"}, ""},
		{"the variable is split on commas", []string{"a,b"}, false, []string{"a", "b"}, ""},
		{"an empty flag", []string{""}, true, nil, "--write-token: empty token"},
		{"a blank flag", []string{"ok", "  "}, true, nil, "--write-token: empty token"},
		{"an empty variable", []string{""}, false, nil, "BERTH_WRITE_TOKENS: empty token"},
		{"an empty entry in the variable", []string{"a,,b"}, false, nil, "BERTH_WRITE_TOKENS: empty token"},
		{"a trailing comma", []string{"a,"}, false, nil, "BERTH_WRITE_TOKENS: empty token"},
		{"blanks around a token", []string{" a"}, true, nil, "begins or ends with blanks"},
		{"none", nil, true, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := TokenList(c.in, c.fromFlags, "--write-token", "BERTH_WRITE_TOKENS")
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("TokenList(%q) = %v, %v, want an error with %q", c.in, got, err, c.err)
				}
				return
			}
			if err != nil || strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Fatalf("TokenList(%q) = %q, %v, want %q", c.in, got, err, c.want)
			}
		})
	}
}

func TestRoundSize(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0B", 900: "900B", 1024: "1.0KiB", 1536: "1.5KiB", 346 << 20: "346.0MiB",
		10800334140: "10.1GiB", 1<<30 - 1: "1024.0MiB",
	} {
		if got := RoundSize(n); got != want {
			t.Errorf("RoundSize(%d) = %q, want %q", n, got, want)
		}
	}
}
