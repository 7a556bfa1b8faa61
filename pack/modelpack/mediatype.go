package modelpack

import "github.com/google/go-containerregistry/pkg/v1/types"

// Media types and annotations of the CNCF ModelPack specification
// (github.com/modelpack/model-spec, specs-go/v1/mediatype.go and
// annotations.go).
const (
	// ArtifactType is the manifest artifactType of a ModelPack artifact.
	ArtifactType = "application/vnd.cncf.model.manifest.v1+json"

	// MediaTypeConfig is the media type of the model config blob.
	MediaTypeConfig types.MediaType = "application/vnd.cncf.model.config.v1+json"

	// MediaTypeWeightRaw is an unarchived, uncompressed weight file.
	MediaTypeWeightRaw types.MediaType = "application/vnd.cncf.model.weight.v1.raw"
	// MediaTypeWeightConfigRaw is an unarchived, uncompressed configuration
	// file of the weights (MLmodel, here).
	MediaTypeWeightConfigRaw types.MediaType = "application/vnd.cncf.model.weight.config.v1.raw"
	// MediaTypeDocRaw is an unarchived, uncompressed documentation file.
	MediaTypeDocRaw types.MediaType = "application/vnd.cncf.model.doc.v1.raw"
	// MediaTypeCodeRaw is an unarchived, uncompressed code file.
	MediaTypeCodeRaw types.MediaType = "application/vnd.cncf.model.code.v1.raw"
	// MediaTypeDatasetRaw is an unarchived, uncompressed dataset file.
	MediaTypeDatasetRaw types.MediaType = "application/vnd.cncf.model.dataset.v1.raw"

	// AnnotationFilepath is the layer annotation that holds the file's path
	// relative to the model directory.
	AnnotationFilepath = "org.cncf.model.filepath"
	// AnnotationFileMetadata is the layer annotation that holds the file's
	// FileMetadata as JSON.
	AnnotationFileMetadata = "org.cncf.model.file.metadata+json"
)

// layerKind is how Pull reads a layer's blob.
type layerKind int

const (
	kindUnknown layerKind = iota
	kindRaw               // the blob is the file
	kindTar               // an uncompressed tar archive
	kindTarGzip           // a gzip-compressed tar archive
)

// modelpackLayerKind says how to read a ModelPack layer of media type mt.
func modelpackLayerKind(mt types.MediaType) layerKind {
	switch mt {
	case MediaTypeWeightRaw, MediaTypeWeightConfigRaw, MediaTypeDocRaw, MediaTypeCodeRaw, MediaTypeDatasetRaw:
		return kindRaw
	case "application/vnd.cncf.model.weight.v1.tar", "application/vnd.cncf.model.weight.config.v1.tar",
		"application/vnd.cncf.model.doc.v1.tar", "application/vnd.cncf.model.code.v1.tar",
		"application/vnd.cncf.model.dataset.v1.tar":
		return kindTar
	case "application/vnd.cncf.model.weight.v1.tar+gzip", "application/vnd.cncf.model.weight.config.v1.tar+gzip",
		"application/vnd.cncf.model.doc.v1.tar+gzip", "application/vnd.cncf.model.code.v1.tar+gzip",
		"application/vnd.cncf.model.dataset.v1.tar+gzip":
		return kindTarGzip
	}
	return kindUnknown
}

// imageLayerKind says how to read a container image layer of media type mt.
func imageLayerKind(mt types.MediaType) layerKind {
	switch mt {
	case types.OCIUncompressedLayer, types.DockerUncompressedLayer:
		return kindTar
	case types.OCILayer, types.DockerLayer:
		return kindTarGzip
	}
	return kindUnknown
}
