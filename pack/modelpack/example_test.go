package modelpack_test

import (
	"fmt"

	"github.com/berthml/berth/pack/modelpack"
)

func ExampleValidatePath() {
	for _, p := range []string{"MLmodel", "code/util.py", "../x", "/etc/passwd", "a/../../b"} {
		fmt.Println(p, modelpack.ValidatePath(p) == nil)
	}
	// Output:
	// MLmodel true
	// code/util.py true
	// ../x false
	// /etc/passwd false
	// a/../../b false
}

func ExampleBuild() {
	img, err := modelpack.Build("../../testdata/models/iris_logreg")
	if err != nil {
		panic(err)
	}
	mf, _ := img.Manifest()
	fmt.Println(mf.ArtifactType)
	for _, l := range mf.Layers {
		if p := l.Annotations[modelpack.AnnotationFilepath]; p == "MLmodel" || p == "model.onnx" {
			fmt.Println(p, l.MediaType)
		}
	}
	// Output:
	// application/vnd.cncf.model.manifest.v1+json
	// MLmodel application/vnd.cncf.model.weight.config.v1.raw
	// model.onnx application/vnd.cncf.model.weight.v1.raw
}
