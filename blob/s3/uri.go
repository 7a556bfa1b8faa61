package s3

import (
	"fmt"
	"strings"

	"github.com/berthml/berth/blob"
)

// ParseURI splits an artifact destination s3://bucket[/prefix] into its
// bucket and its key prefix (without slashes around it; "" for the whole
// bucket). The bucket is 3 to 63 lowercase letters, digits, dots, hyphens
// or underscores (the last for S3-compatible stores), starting and ending
// with a letter or digit; the prefix is an artifact path (blob.CleanPath).
// User info, a port, a query or a fragment are refused: credentials and
// the endpoint are configured apart (see Open).
func ParseURI(uri string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		if len(uri) >= 5 && strings.EqualFold(uri[:5], "s3://") {
			rest = uri[5:]
		} else {
			return "", "", fmt.Errorf("%q is not an s3:// URI: want s3://bucket/prefix", uri)
		}
	}
	if strings.ContainsAny(rest, "?#@\\\x00") {
		return "", "", fmt.Errorf("s3 URI %q: want s3://bucket/prefix, without user info, query or fragment", uri)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if err := checkBucket(bucket); err != nil {
		return "", "", fmt.Errorf("s3 URI %q: %w", uri, err)
	}
	raw := strings.Trim(prefix, "/")
	prefix, err = blob.CleanPath(raw)
	if err != nil || prefix != raw {
		return "", "", fmt.Errorf("s3 URI %q: the prefix must be a plain path (no '.', '..', empty or encoded parts)", uri)
	}
	return bucket, prefix, nil
}

// checkBucket applies S3's bucket naming rules, widened by underscores.
func checkBucket(b string) error {
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("bucket name %q: want 3 to 63 characters", b)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		switch {
		case alnum:
		case (c == '.' || c == '-' || c == '_') && i > 0 && i < len(b)-1:
		default:
			return fmt.Errorf("bucket name %q: want lowercase letters, digits, '.', '-' or '_', starting and ending with a letter or digit", b)
		}
	}
	if strings.Contains(b, "..") {
		return fmt.Errorf("bucket name %q: two dots in a row", b)
	}
	return nil
}

// FormatURI is the inverse of ParseURI.
func FormatURI(bucket, prefix string) string {
	if prefix == "" {
		return "s3://" + bucket
	}
	return "s3://" + bucket + "/" + prefix
}
