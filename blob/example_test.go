package blob_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/berthml/berth/blob"
)

func ExampleLocal() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "artifacts-")
	defer os.RemoveAll(dir)
	var st blob.Store
	st, err := blob.NewLocal(dir)
	if err != nil {
		panic(err)
	}
	_ = st.Put(ctx, "1/run/artifacts/model/MLmodel", strings.NewReader("flavors: {}\n"))
	_ = st.Put(ctx, "1/run/artifacts/notes.txt", strings.NewReader("hello"))
	files, _ := st.List(ctx, "1/run/artifacts")
	for _, f := range files {
		fmt.Println(f.Path, f.IsDir, f.Size)
	}
	rc, _ := st.Get(ctx, "1/run/artifacts/notes.txt")
	b, _ := io.ReadAll(rc)
	rc.Close()
	fmt.Println(string(b))
	_, err = blob.CleanPath("1/../../etc/passwd")
	fmt.Println(err)
	// Output:
	// model true 0
	// notes.txt false 5
	// hello
	// invalid artifact path "1/../../etc/passwd": escapes the root
}
