package sqlstore

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// uriScheme matches the scheme of a URI (two letters or more, so that a
// Windows drive is not one).
var uriScheme = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.-]+):`)

// CheckURI refuses, before anything is created, a database URI that Open
// cannot store to (mysql://, file://, databricks:// and the like), naming
// those it can. The message holds no password: it names the scheme only.
func CheckURI(uri string) error {
	if m := uriScheme.FindStringSubmatch(uri); m != nil {
		switch strings.ToLower(m[1]) {
		case "sqlite", "postgresql", "postgres":
		default:
			return fmt.Errorf("cannot store to %s: URIs; it supports sqlite:///relative.db, sqlite:////absolute.db, a file path, and postgresql://user:pass@host:port/db", m[1])
		}
	}
	return nil
}

// MakeDir creates the directory of the SQLite database that uri names,
// which Open does not: a caller makes its own default's directory, so that
// a typo in any other path is an error rather than a new tree.
func MakeDir(uri string) error {
	path, err := SQLitePath(uri)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating the database directory: %w", err)
	}
	return nil
}

// Redact hides a database password for logs and errors:
// postgresql://berth:xxxxx@db/berth.
func Redact(uri string) string {
	if u, err := url.Parse(uri); err == nil && u.User != nil {
		return u.Redacted()
	}
	return uri
}
