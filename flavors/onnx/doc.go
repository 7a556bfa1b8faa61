// Package onnx is berth's ONNX flavor: it loads the model file of an MLflow
// "onnx" flavor into ONNX Runtime and runs it. It is the only package of
// berth that talks to ONNX Runtime (through github.com/yalue/onnxruntime_go).
//
// The runtime is a shared library that is loaded once per process with
// [Init] before any model is loaded:
//
//	path, _ := onnx.DefaultLibraryPath() // or --ort-lib / BERTH_ORT_LIB
//	if err := onnx.Init(path); err != nil { ... }
//	loaded, err := flavors.Load(ctx, dir, flavors.LoadOptions{Logger: log})
//
// The package registers its [Flavor] under the name "onnx". Callers that
// override the session settings of MLmodel (threads, providers) call [Load]
// or [NewFlavor] with [Option] values instead.
package onnx
