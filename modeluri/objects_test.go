package modeluri_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/berthml/berth/blob/s3"
	"github.com/berthml/berth/internal/s3test"
	"github.com/berthml/berth/modeluri"
)

// TestS3Sources downloads versions whose source is s3://bucket/key (as
// MLflow records them under --no-serve-artifacts) straight from a real
// S3-compatible server (SeaweedFS): the files arrive byte for byte, a big
// one streamed (the heap does not grow with its size), a second download
// comes from the cache, and a resolver without object stores refuses
// such a version with ErrNoObjectStore.
func TestS3Sources(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	bucket := srv.Bucket(t, "models")
	opener := func(opens *int) modeluri.OpenObjectStore {
		return func(ctx context.Context, uri string) (modeluri.ObjectStore, error) {
			*opens++
			return s3.Open(ctx, uri, s3.WithEndpoint(srv.Endpoint), s3.WithStaticCredentials(s3test.AccessKey, s3test.SecretKey),
				s3.WithRegion("us-east-1"))
		}
	}
	var opens int
	up, err := opener(&opens)(ctx, "s3://"+bucket+"/mlruns/1/abc/artifacts")
	if err != nil {
		t.Fatal(err)
	}
	model := filepath.Join("..", "testdata", "models", "iris_logreg")
	want := map[string][]byte{}
	err = filepath.WalkDir(model, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(model, p)
		want[filepath.ToSlash(rel)] = b
		return up.(*s3.Store).Put(ctx, "model/"+filepath.ToSlash(rel), bytes.NewReader(b))
	})
	if err != nil {
		t.Fatal(err)
	}
	const big = 64 << 20
	if err := up.(*s3.Store).Put(ctx, "model/weights/big.bin", &s3test.Pattern{N: big}); err != nil {
		t.Fatal(err)
	}
	bigSum := sha256.New()
	io.Copy(bigSum, &s3test.Pattern{N: big})

	r, err := modeluri.NewResolver("http://127.0.0.1:1", t.TempDir(), modeluri.WithObjectStores(opener(&opens)))
	if err != nil {
		t.Fatal(err)
	}
	opens = 0
	v := &modeluri.Version{Name: "iris", Version: "3", Source: "s3://" + bucket + "/mlruns/1/abc/artifacts/model"}
	stop := s3test.PeakHeap()
	dir, err := r.Download(ctx, v)
	peak := stop()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("downloaded %d files and a %d MiB one; heap grew by at most %d MiB", len(want), big>>20, peak>>20)
	if peak > 32<<20 {
		t.Errorf("the heap grew by %d MiB downloading a %d MiB file: not streamed", peak>>20, big>>20)
	}
	for rel, b := range want {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("%s: %d bytes, %v; want the %d bytes uploaded", rel, len(got), err, len(b))
		}
	}
	f, err := os.Open(filepath.Join(dir, "weights", "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	gotSum := sha256.New()
	io.Copy(gotSum, f)
	f.Close()
	if !bytes.Equal(gotSum.Sum(nil), bigSum.Sum(nil)) {
		t.Error("weights/big.bin differs from what was uploaded")
	}
	again, err := r.Download(ctx, v)
	if err != nil || again != dir || opens != 1 {
		t.Errorf("second Download = %q, %v after %d opens; want %q from the cache, one open", again, err, opens, dir)
	}

	none, err := modeluri.NewResolver("http://127.0.0.1:1", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := none.Download(ctx, v); !errors.Is(err, modeluri.ErrNoObjectStore) {
		t.Errorf("Download without object stores: %v, want ErrNoObjectStore", err)
	}
	missing := &modeluri.Version{Name: "iris", Version: "4", Source: "s3://" + bucket + "/mlruns/1/nothing/artifacts/model"}
	if _, err := r.Download(ctx, missing); err == nil {
		t.Error("Download of an empty prefix succeeded")
	}
}
