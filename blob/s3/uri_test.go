package s3_test

import (
	"strings"
	"testing"

	"github.com/berthml/berth/blob"
	"github.com/berthml/berth/blob/s3"
)

func TestParseURI(t *testing.T) {
	cases := []struct {
		uri, bucket, prefix, err string
	}{
		{"s3://bucket", "bucket", "", ""},
		{"s3://bucket/", "bucket", "", ""},
		{"s3://bucket/mlflow", "bucket", "mlflow", ""},
		{"s3://bucket/team/mlflow/", "bucket", "team/mlflow", ""},
		{"S3://bucket/x", "bucket", "x", ""},
		{"s3://my.bucket-1_a/x y", "my.bucket-1_a", "x y", ""},
		{"s3://ab", "", "", "3 to 63 characters"},
		{"s3://" + strings.Repeat("a", 64), "", "", "3 to 63 characters"},
		{"s3://Bucket/x", "", "", "lowercase letters"},
		{"s3://-bucket/x", "", "", "starting and ending"},
		{"s3://bucket-/x", "", "", "starting and ending"},
		{"s3://a..b/x", "", "", "two dots"},
		{"s3:///x", "", "", "3 to 63 characters"},
		{"s3://bucket:9000/x", "", "", "lowercase letters"},
		{"s3://key:secret@bucket/x", "", "", "without user info"},
		{"s3://bucket/x?versionId=1", "", "", "without user info, query or fragment"},
		{"s3://bucket/x#frag", "", "", "without user info, query or fragment"},
		{"s3://bucket/../x", "", "", "plain path"},
		{"s3://bucket/a/./b", "", "", "plain path"},
		{"s3://bucket/a//b", "", "", "plain path"},
		{"s3://bucket/a%2Fb", "", "", "plain path"},
		{"s3://bucket/a\\b", "", "", "without user info"},
		{"gs://bucket/x", "", "", "not an s3:// URI"},
		{"bucket/x", "", "", "not an s3:// URI"},
		{"", "", "", "not an s3:// URI"},
	}
	for _, c := range cases {
		t.Run(c.uri, func(t *testing.T) {
			b, p, err := s3.ParseURI(c.uri)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("ParseURI(%q) = %q, %q, %v; want an error with %q", c.uri, b, p, err, c.err)
				}
				return
			}
			if err != nil || b != c.bucket || p != c.prefix {
				t.Fatalf("ParseURI(%q) = %q, %q, %v; want %q, %q", c.uri, b, p, err, c.bucket, c.prefix)
			}
		})
	}
}

func FuzzParseURI(f *testing.F) {
	for _, s := range []string{"s3://bucket/prefix", "s3://b.c-d/a/b/", "s3://bucket/../x", "s3://x@b/c", "S3://abc", "s3://abc/%2e%2e/x", "s3://"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		b, p, err := s3.ParseURI(uri)
		if err != nil {
			return
		}
		if c, err := blob.CleanPath(p); err != nil || c != p {
			t.Fatalf("ParseURI(%q) prefix %q is not a clean path (%q, %v)", uri, p, c, err)
		}
		if strings.ContainsAny(b, "/@:?#") || len(b) < 3 || len(b) > 63 {
			t.Fatalf("ParseURI(%q) bucket %q", uri, b)
		}
		// FormatURI gives a URI that parses to the same.
		b2, p2, err := s3.ParseURI(s3.FormatURI(b, p))
		if err != nil || b2 != b || p2 != p {
			t.Fatalf("ParseURI(FormatURI(%q, %q)) = %q, %q, %v", b, p, b2, p2, err)
		}
	})
}
