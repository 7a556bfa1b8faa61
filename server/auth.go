package server

import (
	"crypto/subtle"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/internal/httpguard"
)

func (s *Server) tokensSet() bool { return len(s.opts.readTokens)+len(s.opts.writeTokens) > 0 }

// authorize checks the bearer token against the access class of the route
// (see routeTable): open routes need none, read routes a read or write
// token, write routes a write token. A request that matches no route needs
// a read token, so that the 404 of an unknown path tells a stranger
// nothing.
func (s *Server) authorize(c *gin.Context) {
	need, ok := s.access[c.Request.Method+" "+c.FullPath()]
	if !ok {
		need = Read
	}
	if need == Open {
		return
	}
	got, ok := httpguard.Bearer(c.Request)
	write := ok && anyEqual(got, s.opts.writeTokens)
	read := write || (ok && anyEqual(got, s.opts.readTokens))
	switch {
	case !read:
		c.Header("WWW-Authenticate", `Bearer realm="berth"`)
		s.writeError(c, errUnauthenticated)
		c.Abort()
	case need == Write && !write:
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
