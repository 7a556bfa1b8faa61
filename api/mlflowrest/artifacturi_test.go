package mlflowrest_test

import (
	"testing"

	"github.com/berthml/berth/api/mlflowrest"
)

func TestArtifactProxyPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"mlflow-artifacts:/1/abc/artifacts", "1/abc/artifacts"},
		{"mlflow-artifacts://host:5000/1/abc/artifacts", "1/abc/artifacts"},
		{"mlflow-artifacts:/1/../2/x", "2/x"},
		{"mlflow-artifacts:/../../etc/passwd", "etc/passwd"},
		{"mlflow-artifacts:1/abc", "1/abc"},
		{"s3://bucket/1/abc", ""},
		{"file:///tmp/x", ""},
		{"mlflow-artifacts:/", ""},
		{"mlflow-artifacts:", ""},
		{"mlflow-artifacts://host:5000", ""},
		{"mlflow-artifacts://host:bad/1", ""},
	} {
		got, err := mlflowrest.ArtifactProxyPath(tc.in)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("ArtifactProxyPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func FuzzArtifactProxyPath(f *testing.F) {
	for _, s := range []string{"mlflow-artifacts:/1/abc/artifacts", "mlflow-artifacts://h:1/1/x", "mlflow-artifacts:/../x", "s3://b/k", "mlflow-artifacts:%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		p, err := mlflowrest.ArtifactProxyPath(uri)
		if err != nil {
			return
		}
		if p == "" || p[0] == '/' || p == ".." || len(p) >= 3 && p[:3] == "../" {
			t.Fatalf("ArtifactProxyPath(%q) = %q: empty, absolute or climbing", uri, p)
		}
	})
}
