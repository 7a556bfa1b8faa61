package keys

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// A gateway key as a client sends it: "bk-" and 43 characters of unpadded
// base64url, 256 random bits. Only its SHA-256 is stored.
const (
	secretPrefix  = "bk-"
	secretBytes   = 32
	secretEncoded = 43 // base64.RawURLEncoding.EncodedLen(secretBytes)
	secretLen     = len(secretPrefix) + secretEncoded
)

// ErrMalformedSecret is returned by ParseSecret for a string that is not a
// gateway key.
var ErrMalformedSecret = errors.New("malformed gateway key")

// newSecret returns a fresh secret and its digest.
func newSecret() (secret, digest string, err error) {
	var b [secretBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("reading random bytes: %w", err)
	}
	secret = secretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, digestOf(secret), nil
}

// digestOf is the stored form of a secret: hex SHA-256. A key holds 256
// random bits, so it cannot be guessed from its digest and needs no slow,
// salted hash (bcrypt exists for passwords people choose); a plain digest
// also lets the database find a key by an index, in microseconds.
func digestOf(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ParseSecret checks that s has the shape of a gateway key and returns its
// digest. It says what is wrong without echoing s, which may be someone's
// real key mistyped.
func ParseSecret(s string) (digest string, err error) {
	sum, err := parseSecret(s)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(sum[:]), nil
}

// parseSecret is ParseSecret with the digest as bytes, without allocating.
func parseSecret(s string) ([sha256.Size]byte, error) {
	if !strings.HasPrefix(s, secretPrefix) {
		return [sha256.Size]byte{}, fmt.Errorf("%w: it must start with %q", ErrMalformedSecret, secretPrefix)
	}
	if len(s) != secretLen {
		return [sha256.Size]byte{}, fmt.Errorf("%w: it must be %d characters long, not %d", ErrMalformedSecret, secretLen, len(s))
	}
	body := s[len(secretPrefix):]
	for i := 0; i < len(body); i++ {
		if !isBase64URL(body[i]) {
			return [sha256.Size]byte{}, fmt.Errorf("%w: character %d is not one of A-Z a-z 0-9 - _", ErrMalformedSecret, len(secretPrefix)+i+1)
		}
	}
	// 43 characters hold 258 bits: the last one's 2 low bits are padding,
	// zero in the canonical encoding (so one key has one spelling).
	if base64Value(body[len(body)-1])&3 != 0 {
		return [sha256.Size]byte{}, fmt.Errorf("%w: not the canonical encoding of %d bytes", ErrMalformedSecret, secretBytes)
	}
	return sha256.Sum256([]byte(s)), nil
}

// base64Value is the 6-bit value of a base64url character.
func base64Value(c byte) byte {
	switch {
	case 'A' <= c && c <= 'Z':
		return c - 'A'
	case 'a' <= c && c <= 'z':
		return c - 'a' + 26
	case '0' <= c && c <= '9':
		return c - '0' + 52
	case c == '-':
		return 62
	}
	return 63
}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// hintOf is what lists show of a secret: its prefix and last four
// characters, enough to tell keys apart and nowhere near enough to use.
func hintOf(secret string) string {
	if len(secret) < secretLen {
		return ""
	}
	return secretPrefix + "..." + secret[len(secret)-4:]
}

// SecretFromRequest returns the gateway key a request carries: the
// bearer token of its Authorization header (what the OpenAI SDKs and
// MLflow's clients send), else its x-api-key or api-key header (what the
// Anthropic and Azure OpenAI SDKs send). It returns "" when there is none.
func SecretFromRequest(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(token)
		}
		return ""
	}
	if h := r.Header.Get("X-Api-Key"); h != "" {
		return strings.TrimSpace(h)
	}
	return strings.TrimSpace(r.Header.Get("Api-Key"))
}
