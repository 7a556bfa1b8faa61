package pack_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/berthml/berth/pack"
)

// Build an image of a model directory, write it to an OCI layout and push
// it to a registry. berth pack passes its own executable and the real ONNX
// Runtime library; the example packs small stand-ins for both, and pushes
// to a registry that runs in the process.
func ExampleBuild() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "pack-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin, ort := filepath.Join(dir, "berth"), filepath.Join(dir, "libonnxruntime.so.1")
	if err := os.WriteFile(bin, []byte("#!/bin/true\n"), 0o700); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(ort, []byte("a stand-in for ONNX Runtime\n"), 0o600); err != nil {
		log.Fatal(err)
	}

	img, err := pack.Build(ctx, "../testdata/models/iris_logreg",
		pack.WithBinary(bin),
		pack.WithORTLibrary(ort),
		pack.WithLibraryResolver(func(context.Context, ...string) ([]string, error) { return nil, nil }),
		pack.WithModelName("iris"),
		pack.WithModelVersion("1"),
		pack.WithBerthVersion("v0.0.0-example"),
		pack.WithTime(time.Unix(1700000000, 0)), // SOURCE_DATE_EPOCH
	)
	if err != nil {
		log.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		log.Fatal(err)
	}
	for _, k := range []string{pack.LabelModelName, pack.LabelModelVersion, pack.LabelFlavor, pack.LabelSignature} {
		fmt.Printf("%s=%s\n", k, cf.Config.Labels[k])
	}
	fmt.Println("created", cf.Created.UTC().Format(time.RFC3339))

	if err := pack.WriteLayout(filepath.Join(dir, "images"), img, "iris-1"); err != nil {
		log.Fatal(err)
	}

	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	u, err := url.Parse(reg.URL)
	if err != nil {
		log.Fatal(err)
	}
	pushed, err := pack.Push(ctx, img, u.Host+"/iris:1", pack.WithInsecure(true))
	if err != nil {
		log.Fatal(err)
	}
	built, err := img.Digest()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("pushed the image built:", pushed == built)
	// Output:
	// ml.berth.model.name=iris
	// ml.berth.model.version=1
	// ml.berth.model.flavor=onnx,python_function
	// ml.berth.model.signature=sepal_length:float,sepal_width:float,petal_length:float,petal_width:float
	// created 2023-11-14T22:13:20Z
	// pushed the image built: true
}

// An image pushed without a name is named after the model and its version.
func ExampleImageName() {
	fmt.Println(pack.ImageName("Iris", "3"))
	fmt.Println(pack.ImageName("iris", ""))
	// Output:
	// berth/iris:3
	// berth/iris:latest
}

// The tag under which an image is written to an OCI layout.
func ExampleLayoutTag() {
	fmt.Println(pack.LayoutTag("registry.example:5000/berth/iris:3"))
	fmt.Println(pack.LayoutTag("berth/iris"))
	// Output:
	// 3
	// latest
}

// SOURCE_DATE_EPOCH, read for WithTime.
func ExampleParseSourceDateEpoch() {
	t, err := pack.ParseSourceDateEpoch("1700000000")
	fmt.Println(t.UTC(), err)
	_, err = pack.ParseSourceDateEpoch("yesterday")
	fmt.Println(err)
	// Output:
	// 2023-11-14 22:13:20 +0000 UTC <nil>
	// SOURCE_DATE_EPOCH "yesterday": want seconds since 1970
}
