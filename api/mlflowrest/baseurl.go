package mlflowrest

import (
	"fmt"
	"net/url"
	"strings"
)

// CheckBaseURL reports why uri cannot be a Client's BaseURL: it must be an
// http:// or https:// URL with a host. The error explains a URI with no
// scheme (such as "localhost:5000"), where Go's URL parser would say
// "first path segment in URL cannot contain colon".
func CheckBaseURL(uri string) error {
	u, err := url.Parse(uri)
	switch {
	case err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "":
		return nil
	case !strings.Contains(uri, "://"):
		return fmt.Errorf("registry URI %q has no scheme: give the registry's URL, e.g. http://%s", uri, strings.TrimLeft(uri, "/"))
	}
	return fmt.Errorf("registry URI %q must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:5000", uri)
}
