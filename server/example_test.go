package server_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/berthml/berth/server"
	"github.com/berthml/berth/tracking/sqlstore"
)

// A tracking server on SQLite with artifacts in a local directory; the
// MLflow client would use MLFLOW_TRACKING_URI=<its URL>.
func ExampleNew() {
	dir, err := os.MkdirTemp("", "berth-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, filepath.Join(dir, "berth.db"), "mlflow-artifacts:/")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	arts, err := server.NewLocalArtifacts(filepath.Join(dir, "artifacts"))
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(server.New(store, arts).Handler())
	defer srv.Close()

	resp, err := srv.Client().Post(srv.URL+"/api/2.0/mlflow/experiments/create", "application/json",
		strings.NewReader(`{"name": "iris"}`))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	fmt.Println(resp.Status)
	// Output: 200 OK
}
