// Package modelpack turns an MLflow model directory into a CNCF ModelPack
// artifact (an OCI image manifest with artifactType
// application/vnd.cncf.model.manifest.v1+json), pushes it to an OCI
// registry, and pulls ModelPack artifacts — or berth's runnable images —
// back into a directory that `berth serve` runs.
//
// # Layers
//
// Build makes one uncompressed (".raw") layer per file of the model
// directory, so that each layer digest is the sha256 of the file itself.
// Each layer carries the annotation org.cncf.model.filepath with the file's
// slash-separated path relative to the model directory. The media type
// says what the file is:
//
//	application/vnd.cncf.model.weight.v1.raw         weights: the data file(s) a flavor names
//	                                                 (onnx "data: model.onnx", sklearn
//	                                                 "pickled_model", ...), every ONNX
//	                                                 external-data file model.onnx points at,
//	                                                 files with a weight extension (.onnx,
//	                                                 .bin, .pkl, .safetensors, ...) and any
//	                                                 file of at least 1 MiB
//	application/vnd.cncf.model.weight.config.v1.raw  MLmodel (how to load and call the
//	                                                 weights: flavors, signature) and other
//	                                                 small configuration files
//	application/vnd.cncf.model.code.v1.raw           the Python environment and code:
//	                                                 conda.yaml, python_env.yaml,
//	                                                 requirements.txt, *.py, code/
//	application/vnd.cncf.model.doc.v1.raw            README*, LICENSE*, *.md and the input
//	                                                 examples (input_example.json,
//	                                                 serving_input_example.json)
//
// The config blob (application/vnd.cncf.model.config.v1+json) follows the
// spec's Model type: descriptor {name, version, createdAt}, config
// {format}, modelfs {type: "layers", diffIds}. Build is reproducible: the
// same directory and options give the same manifest digest.
//
// # Pulling untrusted artifacts
//
// Pull treats the artifact as untrusted. Every file path (the filepath
// annotation, or a tar entry name) must pass ValidatePath; each file is
// created with O_EXCL through an [os.Root] in a fresh temporary directory
// beside the destination; each layer's digest and size are checked while it
// is written; and only when everything is written and the result holds a
// readable MLmodel is the temporary directory renamed into place.
package modelpack
