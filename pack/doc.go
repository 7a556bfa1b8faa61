// Package pack builds runnable OCI images of MLflow models without Docker.
//
// An image holds, from bottom to top:
//
//   - a runtime layer: the berth binary at /usr/local/bin/berth, the ONNX
//     Runtime library at /usr/lib/berth/libonnxruntime.so.1 and, unless a
//     base image is given, the shared libraries both need (found with the
//     build host's dynamic loader, copied at their host paths with the
//     symbolic links that lead to them), the loader itself, a minimal
//     /etc/passwd and /etc/group with the user berth (65532) and /tmp;
//   - one layer per model file of 1 MiB or more (the weights), so that a new
//     model version uploads only the weights that changed;
//   - one layer with the model's small files (MLmodel, environment files,
//     examples) and its directories, under /opt/ml/model.
//
// Images are reproducible: tar entries are sorted, owned by root (uid and
// gid 0; the berth user reads the model through mode 0644), with modes
// normalised to 0644 for files and 0755 for directories and executables, and
// one modification time for every entry (WithTime, else the Unix epoch);
// layers are gzip-compressed at a fixed level with no name or time in the
// gzip header. The image config's creation time is WithTime, else the
// MLmodel's utc_time_created, else the Unix epoch: the file times do not
// follow the model's time, so a weight that did not change keeps its layer
// digest from one model version to the next.
//
// The model's identity is written as labels in the image config and, for OCI
// manifests, as annotations in the manifest, so that registries and tools can
// read it without pulling a layer; see the Label constants.
//
// Build makes the image; Push, WriteLayout and WriteTarball write it out.
package pack
