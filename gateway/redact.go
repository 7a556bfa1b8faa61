package gateway

import (
	"errors"
	"strings"
)

// redacted is an error whose text has the secrets replaced.
type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }

// redact returns err with every secret in its text replaced by "[REDACTED]".
// It keeps err's chain for errors.As.
func redact(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := redactString(err.Error(), secrets)
	if msg == err.Error() {
		return err
	}
	return &redacted{msg: msg, err: err}
}

func redactString(s string, secrets []string) string {
	for _, k := range secrets {
		if len(k) >= 4 && strings.Contains(s, k) {
			s = strings.ReplaceAll(s, k, "[REDACTED]")
		}
	}
	return s
}

var errNoEndpoint = errors.New("no such endpoint")
