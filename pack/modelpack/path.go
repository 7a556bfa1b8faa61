package modelpack

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnsafePath is wrapped by every error about a file path in an artifact
// that Pull refuses to write.
var ErrUnsafePath = errors.New("unsafe file path")

// maxPathLen bounds a file path in an artifact; Linux's PATH_MAX.
const maxPathLen = 4096

// ValidatePath checks p, a file path taken from an untrusted artifact (the
// org.cncf.model.filepath annotation or a tar entry name), and returns an
// error wrapping ErrUnsafePath unless p is a canonical, relative,
// slash-separated path that stays inside the directory it is joined to:
// not empty, not absolute, no "..", "." or empty segment, no backslash,
// NUL or other control character, no Windows drive prefix, at most 4096
// bytes.
func ValidatePath(p string) error {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrUnsafePath, p, why) }
	switch {
	case p == "":
		return bad("empty")
	case len(p) > maxPathLen:
		return bad("too long")
	case strings.HasPrefix(p, "/"):
		return bad("absolute")
	case strings.ContainsRune(p, '\\'):
		return bad("contains a backslash")
	case len(p) >= 2 && p[1] == ':' && (p[0]|0x20 >= 'a' && p[0]|0x20 <= 'z'):
		return bad("has a drive letter")
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return bad("contains a control character")
		}
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "":
			return bad("has an empty segment")
		case ".":
			return bad(`has a "." segment`)
		case "..":
			return bad(`has a ".." segment`)
		}
	}
	return nil
}
