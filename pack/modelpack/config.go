package modelpack

import "time"

// Model is the ModelPack config blob (media type
// application/vnd.cncf.model.config.v1+json), the fields berth writes of
// the spec's specs-go/v1 Model.
type Model struct {
	Descriptor ModelDescriptor `json:"descriptor"`
	ModelFS    ModelFS         `json:"modelfs"`
	Config     ModelConfig     `json:"config"`
}

// ModelDescriptor is the general information about the model.
type ModelDescriptor struct {
	CreatedAt   *time.Time `json:"createdAt,omitempty"`
	Name        string     `json:"name,omitempty"`
	Version     string     `json:"version,omitempty"`
	Description string     `json:"description,omitempty"`
}

// ModelFS lists the layers' content digests.
type ModelFS struct {
	Type    string   `json:"type"`    // always "layers"
	DiffIDs []string `json:"diffIds"` // one per layer, in manifest order
}

// ModelConfig is the technical metadata of the model.
type ModelConfig struct {
	Format string `json:"format,omitempty"` // "onnx", or the MLflow flavor name
}

// FileMetadata is the value of the AnnotationFileMetadata layer
// annotation. Build writes constant owner and time so that artifacts are
// reproducible: uid and gid 0, mtime the descriptor's createdAt (or the
// Unix epoch), mode 0644 or 0755.
type FileMetadata struct {
	Name     string    `json:"name"`
	Mode     uint32    `json:"mode"`
	UID      uint32    `json:"uid"`
	GID      uint32    `json:"gid"`
	Size     int64     `json:"size"`
	ModTime  time.Time `json:"mtime"`
	Typeflag byte      `json:"typeflag"`
}
