package registry

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// authorize checks the bearer token against the server's read and write
// tokens: reads need either, changes need a write token.
func (s *Server) authorize(c *gin.Context) {
	got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	write := ok && anyEqual(got, s.opts.writeTokens)
	read := write || (ok && anyEqual(got, s.opts.readTokens))
	reading := c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead
	switch {
	case !read:
		c.Header("WWW-Authenticate", `Bearer realm="berth"`)
		s.writeError(c, errUnauthenticated)
		c.Abort()
	case !reading && !write:
		s.writeError(c, errReadOnly)
		c.Abort()
	}
}

// anyEqual compares token with each of tokens in constant time.
func anyEqual(token string, tokens []string) bool {
	found := 0
	for _, t := range tokens {
		found |= subtle.ConstantTimeCompare([]byte(token), []byte(t))
	}
	return found == 1
}
