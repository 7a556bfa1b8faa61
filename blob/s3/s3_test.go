package s3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"testing"

	"github.com/berthml/berth/blob"
	"github.com/berthml/berth/blob/s3"
	"github.com/berthml/berth/internal/s3test"
)

// open opens the store at uri on srv, signing with the test credentials.
func open(t *testing.T, srv *s3test.Server, uri string, opts ...s3.Option) *s3.Store {
	t.Helper()
	opts = append([]s3.Option{s3.WithEndpoint(srv.Endpoint), s3.WithStaticCredentials(s3test.AccessKey, s3test.SecretKey),
		s3.WithRegion("us-east-1")}, opts...)
	st, err := s3.Open(context.Background(), uri, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestSeaweedFS runs the store against a real S3-compatible server. One
// server for all subtests: it takes seconds to start.
func TestSeaweedFS(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t, "berth-test")
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open(t, srv, "s3://"+bucket+"/team/mlflow")) })
	t.Run("WholeBucket", func(t *testing.T) { testRoundTrip(t, open(t, srv, "s3://"+srv.Bucket(t, "whole"))) })
	t.Run("PrefixesAreApart", func(t *testing.T) { testPrefixesApart(t, srv, bucket) })
	t.Run("StreamsLargeFiles", func(t *testing.T) { testStreams(t, open(t, srv, "s3://"+bucket+"/big")) })
	t.Run("Multipart", func(t *testing.T) { testMultipart(t, open(t, srv, "s3://"+bucket+"/mpu")) })
	t.Run("MissingBucket", func(t *testing.T) {
		_, err := s3.Open(context.Background(), "s3://no-such-bucket/x", s3.WithEndpoint(srv.Endpoint),
			s3.WithStaticCredentials(s3test.AccessKey, s3test.SecretKey))
		if err == nil || !strings.Contains(err.Error(), "checking bucket no-such-bucket") {
			t.Fatalf("Open(missing bucket) = %v, want a refusal naming the bucket", err)
		}
	})
	if got := open(t, srv, "s3://"+bucket+"/team/mlflow").URI(); got != "s3://"+bucket+"/team/mlflow" {
		t.Errorf("URI() = %q", got)
	}
}

// testRoundTrip is the local store's round trip (blob/local_test.go) on S3.
func testRoundTrip(t *testing.T, st *s3.Store) {
	ctx := context.Background()
	for p, body := range map[string]string{
		"1/run/artifacts/model/MLmodel":    "flavors: {}\n",
		"1/run/artifacts/model/model.onnx": "\x00\x01onnx",
		"1/run/artifacts/notes.txt":        "hello",
		"1/run/artifacts/empty.txt":        "",
	} {
		if err := st.Put(ctx, p, strings.NewReader(body)); err != nil {
			t.Fatalf("Put(%s): %v", p, err)
		}
		rc, err := st.Get(ctx, p)
		if err != nil {
			t.Fatalf("Get(%s): %v", p, err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != body {
			t.Errorf("Get(%s) = %q, want %q", p, got, body)
		}
	}
	files, err := st.List(ctx, "1/run/artifacts")
	if err != nil {
		t.Fatal(err)
	}
	want := []blob.FileInfo{{Path: "empty.txt"}, {Path: "model", IsDir: true}, {Path: "notes.txt", Size: 5}}
	if len(files) != len(want) || files[0] != want[0] || files[1] != want[1] || files[2] != want[2] {
		t.Errorf("List = %+v, want %+v", files, want)
	}
	if root, err := st.List(ctx, ""); err != nil || len(root) != 1 || root[0] != (blob.FileInfo{Path: "1", IsDir: true}) {
		t.Errorf("List(root) = %+v, %v", root, err)
	}
	if _, err := st.List(ctx, "1/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("List(missing) = %v, want fs.ErrNotExist", err)
	}
	if _, err := st.List(ctx, "1/run/artifacts/notes.txt"); !errors.Is(err, blob.ErrNotDir) {
		t.Errorf("List(file) = %v, want ErrNotDir", err)
	}
	if _, err := st.Get(ctx, "1/run/artifacts/nope.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get(missing) = %v, want fs.ErrNotExist", err)
	}
	if _, err := st.Get(ctx, "1/run/artifacts/model"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get(dir) = %v, want fs.ErrNotExist", err)
	}
	if err := st.Delete(ctx, "1/run/artifacts/model"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, "1/run/artifacts/model/MLmodel"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get after Delete = %v, want fs.ErrNotExist", err)
	}
	if files, err := st.List(ctx, "1/run/artifacts"); err != nil || len(files) != 2 {
		t.Errorf("List after Delete = %+v, %v, want the two files left", files, err)
	}
	if err := st.Delete(ctx, "1/run/artifacts/model"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Delete(missing) = %v, want fs.ErrNotExist", err)
	}
	for _, p := range []string{"../x", "/abs", "a\\b", "%2e%2e/x", "a\x00b", ""} {
		if err := st.Put(ctx, p, strings.NewReader("x")); !errors.Is(err, blob.ErrInvalidPath) {
			t.Errorf("Put(%q) = %v, want ErrInvalidPath", p, err)
		}
		if p == "" {
			continue // the root lists
		}
		if _, err := st.List(ctx, p); !errors.Is(err, blob.ErrInvalidPath) {
			t.Errorf("List(%q) = %v, want ErrInvalidPath", p, err)
		}
		if err := st.Delete(ctx, p); !errors.Is(err, blob.ErrInvalidPath) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidPath", p, err)
		}
	}
	if err := st.Delete(ctx, "1"); err != nil {
		t.Fatal(err)
	}
}

// testPrefixesApart checks that a store sees only its prefix, and that a
// prefix is not matched as a string prefix of a sibling ("a" vs "ab").
func testPrefixesApart(t *testing.T, srv *s3test.Server, bucket string) {
	ctx := context.Background()
	a, ab := open(t, srv, "s3://"+bucket+"/apart/a"), open(t, srv, "s3://"+bucket+"/apart/ab")
	if err := a.Put(ctx, "x.txt", strings.NewReader("a")); err != nil {
		t.Fatal(err)
	}
	if err := ab.Put(ctx, "y.txt", strings.NewReader("ab")); err != nil {
		t.Fatal(err)
	}
	if files, err := a.List(ctx, ""); err != nil || len(files) != 1 || files[0].Path != "x.txt" {
		t.Errorf("a.List = %+v, %v, want x.txt only", files, err)
	}
	if _, err := a.Get(ctx, "y.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a.Get(y.txt) = %v, want fs.ErrNotExist", err)
	}
}

// testStreams puts and gets a 256 MiB file and checks that the heap grows
// by far less: the upload is buffered a few parts at a time, the download
// streamed.
func testStreams(t *testing.T, st *s3.Store) {
	const size = 256 << 20
	const bound = 96 << 20 // parts of 8 MiB, 4 in flight, plus one being filled, plus the SDK's own
	ctx := context.Background()
	want := sha256.New()
	io.Copy(want, &s3test.Pattern{N: size})
	stop := s3test.PeakHeap()
	if err := st.Put(ctx, "model.bin", &s3test.Pattern{N: size}); err != nil {
		t.Fatal(err)
	}
	if grew := stop(); grew > bound {
		t.Errorf("the heap grew by %d MiB for a %d MiB upload, want under %d MiB", grew>>20, size>>20, bound>>20)
	}
	files, err := st.List(ctx, "")
	if err != nil || len(files) != 1 || files[0].Size != size {
		t.Fatalf("List = %+v, %v, want model.bin of %d bytes", files, err, size)
	}
	stop = s3test.PeakHeap()
	rc, err := st.Get(ctx, "model.bin")
	if err != nil {
		t.Fatal(err)
	}
	// The artifact proxy copies with io.Copy: the body's WriteTo brings
	// its 1 MiB buffer.
	if _, ok := rc.(io.WriterTo); !ok {
		t.Errorf("Get's reader %T is no io.WriterTo", rc)
	}
	if sz, ok := rc.(interface{ Size() int64 }); !ok || sz.Size() != size {
		t.Errorf("Get's reader %T does not tell the size %d", rc, size)
	}
	got := sha256.New()
	n, err := io.Copy(got, rc)
	rc.Close()
	if grew := stop(); grew > 32<<20 {
		t.Errorf("the heap grew by %d MiB for a %d MiB download, want under 32 MiB", grew>>20, size>>20)
	}
	if err != nil || n != size || !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatalf("Get read %d bytes (%v), sha256 equal: %v", n, err, bytes.Equal(got.Sum(nil), want.Sum(nil)))
	}
}

// testMultipart uploads parts to the presigned URLs as MLflow's client
// does (a plain PUT with the given headers, the ETag from the answer).
func testMultipart(t *testing.T, st *s3.Store) {
	ctx := context.Background()
	const partSize = 5 << 20
	body := make([]byte, 2*partSize+1234)
	io.ReadFull(&s3test.Pattern{N: int64(len(body))}, body)
	up, err := st.CreateMultipart(ctx, "dir/model.bin", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(up.Parts) != 3 || up.ID == "" {
		t.Fatalf("CreateMultipart = %+v", up)
	}
	parts := make([]blob.Part, 0, 3)
	for i, p := range up.Parts {
		if p.Number != i+1 {
			t.Fatalf("part %d numbered %d", i, p.Number)
		}
		chunk := body[i*partSize : min((i+1)*partSize, len(body))]
		parts = append(parts, blob.Part{Number: p.Number, ETag: putPart(t, p, chunk)})
	}
	// Parts may come in any order: the store sorts them.
	parts[0], parts[2] = parts[2], parts[0]
	if err := st.CompleteMultipart(ctx, "dir/model.bin", up.ID, parts); err != nil {
		t.Fatal(err)
	}
	rc, err := st.Get(ctx, "dir/model.bin")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, body) {
		t.Fatalf("the joined file has %d bytes, want the %d uploaded", len(got), len(body))
	}

	// An aborted upload cannot be completed; a made-up id neither.
	up, err = st.CreateMultipart(ctx, "dir/aborted.bin", 1)
	if err != nil {
		t.Fatal(err)
	}
	etag := putPart(t, up.Parts[0], []byte("small"))
	if err := st.AbortMultipart(ctx, "dir/aborted.bin", up.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.CompleteMultipart(ctx, "dir/aborted.bin", up.ID, []blob.Part{{Number: 1, ETag: etag}}); !errors.Is(err, blob.ErrInvalidUpload) {
		t.Errorf("Complete after Abort = %v, want ErrInvalidUpload", err)
	}
	if _, err := st.Get(ctx, "dir/aborted.bin"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get(aborted) = %v, want fs.ErrNotExist", err)
	}
	for _, n := range []int{0, -1, blob.MaxParts + 1} {
		if _, err := st.CreateMultipart(ctx, "dir/x.bin", n); !errors.Is(err, blob.ErrInvalidUpload) {
			t.Errorf("CreateMultipart(%d parts) = %v, want ErrInvalidUpload", n, err)
		}
	}
	if _, err := st.CreateMultipart(ctx, "../x.bin", 1); !errors.Is(err, blob.ErrInvalidPath) {
		t.Errorf("CreateMultipart(../x.bin) = %v, want ErrInvalidPath", err)
	}
}

// putPart PUTs one part to its presigned URL and returns the ETag.
func putPart(t *testing.T, p blob.PartURL, chunk []byte) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, p.URL, bytes.NewReader(chunk))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == "" {
		t.Fatalf("PUT part %d = %s %s (ETag %q)", p.Number, resp.Status, b, resp.Header.Get("ETag"))
	}
	return resp.Header.Get("ETag")
}
