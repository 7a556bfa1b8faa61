package pack_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/berthml/berth/pack"
)

// Build an image of a model directory, write it to an OCI layout and push
// it to a local registry.
func ExampleBuild() {
	ctx := context.Background()
	img, err := pack.Build(ctx, "testdata/models/iris_logreg",
		pack.WithORTLibrary("/usr/lib/berth/libonnxruntime.so.1"),
		pack.WithTime(time.Unix(1700000000, 0)), // SOURCE_DATE_EPOCH
	)
	if err != nil {
		log.Fatal(err)
	}
	if err := pack.WriteLayout("images", img, "iris-1"); err != nil {
		log.Fatal(err)
	}
	d, err := pack.Push(ctx, img, "127.0.0.1:5000/iris:1", pack.WithInsecure(true),
		pack.WithProgress(func(p pack.Progress) { fmt.Println(p.Phase, p.Layer, p.Complete, p.Total) }))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d)
}
