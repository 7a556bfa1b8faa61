package mlflowrest

import (
	"fmt"
	"net/url"
	"path"
	"strings"
)

// ArtifactProxyPath turns an artifact URI that the tracking server's
// artifact proxy serves (mlflow-artifacts:/1/RUN/artifacts, or
// mlflow-artifacts://host:port/1/RUN/artifacts as MLflow writes it when
// the server was given a host) into its path under the proxy
// (1/RUN/artifacts), cleaned so that it cannot climb out of the artifact
// root. Any other scheme, and a URI that names no path, is an error.
func ArtifactProxyPath(uri string) (string, error) {
	rest, ok := strings.CutPrefix(uri, "mlflow-artifacts:")
	if !ok {
		return "", fmt.Errorf("artifact URI %q is not served by the tracking server's artifact proxy (mlflow-artifacts:)", uri)
	}
	if strings.HasPrefix(rest, "//") {
		u, err := url.Parse(uri)
		if err != nil {
			return "", fmt.Errorf("artifact URI %q: %w", uri, err)
		}
		rest = u.Path
	}
	p := strings.Trim(path.Clean("/"+rest), "/")
	if p == "" {
		return "", fmt.Errorf("artifact URI %q names no path", uri)
	}
	return p, nil
}
