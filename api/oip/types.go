package oip

import "encoding/json"

// Names from the binary tensor data extension.
const (
	// HeaderInferenceContentLength gives the length of the JSON part of a
	// body that carries binary tensor data after it.
	HeaderInferenceContentLength = "Inference-Header-Content-Length"
	// ContentTypeBinary is the Content-Type of such a body.
	ContentTypeBinary = "application/octet-stream"
	// ContentTypeJSON is the Content-Type of a pure JSON body.
	ContentTypeJSON = "application/json"
	// ExtensionBinaryData is the extension's name in ServerMetadata.
	ExtensionBinaryData = "binary_tensor_data"

	// ParamBinaryDataSize (int64, on a request input or response output)
	// is the size in bytes of the tensor's binary data.
	ParamBinaryDataSize = "binary_data_size"
	// ParamBinaryData (bool, on a requested output) asks for that output
	// as binary data.
	ParamBinaryData = "binary_data"
	// ParamBinaryDataOutput (bool, on the request) asks for every output
	// as binary data unless the output says otherwise.
	ParamBinaryDataOutput = "binary_data_output"
)

// Parameters are a request's, tensor's or response's key/value parameters.
// Values are string, bool or, when this package decodes them, json.Number.
type Parameters map[string]any

// ServerMetadata is the body of GET /v2.
type ServerMetadata struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Extensions []string `json:"extensions"`
}

// ModelMetadata is the body of GET /v2/models/{name}[/versions/{version}].
type ModelMetadata struct {
	Name     string           `json:"name"`
	Versions []string         `json:"versions,omitempty"`
	Platform string           `json:"platform"`
	Inputs   []MetadataTensor `json:"inputs"`
	Outputs  []MetadataTensor `json:"outputs"`
}

// MetadataTensor describes one input or output of a model; -1 in Shape is a
// dimension of any size.
type MetadataTensor struct {
	Name     string   `json:"name"`
	Datatype Datatype `json:"datatype"`
	Shape    []int64  `json:"shape"`
}

// LiveResponse is the body of GET /v2/health/live.
type LiveResponse struct {
	Live bool `json:"live"`
}

// ReadyResponse is the body of GET /v2/health/ready.
type ReadyResponse struct {
	Ready bool `json:"ready"`
}

// ModelReadyResponse is the body of GET /v2/models/{name}/ready.
type ModelReadyResponse struct {
	Name  string `json:"name"`
	Ready bool   `json:"ready"`
}

// InferenceRequest is the body of POST /v2/models/{name}/infer as a client
// writes it. Servers read requests with [DecodeInferRequest] instead.
type InferenceRequest struct {
	ID         string          `json:"id,omitempty"`
	Parameters Parameters      `json:"parameters,omitempty"`
	Inputs     []RequestInput  `json:"inputs"`
	Outputs    []RequestOutput `json:"outputs,omitempty"`
}

// RequestInput is one input tensor of an [InferenceRequest]. Data holds the
// JSON tensor data, flat or nested; Binary, when not nil, holds the tensor's
// bytes for the binary data extension instead (see [NewBinaryInput]).
type RequestInput struct {
	Name       string          `json:"name"`
	Shape      []int64         `json:"shape"`
	Datatype   Datatype        `json:"datatype"`
	Parameters Parameters      `json:"parameters,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	Binary     []byte          `json:"-"`
}

// RequestOutput names an output the client wants; Parameters may hold
// binary_data.
type RequestOutput struct {
	Name       string     `json:"name"`
	Parameters Parameters `json:"parameters,omitempty"`
}

// InferenceResponse is the body of a successful inference.
type InferenceResponse struct {
	ModelName    string           `json:"model_name"`
	ModelVersion string           `json:"model_version,omitempty"`
	ID           string           `json:"id,omitempty"`
	Parameters   Parameters       `json:"parameters,omitempty"`
	Outputs      []ResponseOutput `json:"outputs"`
}

// ResponseOutput is one output tensor of an [InferenceResponse]. Data holds
// the JSON tensor data (flat, row-major); Binary holds the bytes of an
// output sent as binary data. Read either with [TensorFromOutput].
type ResponseOutput struct {
	Name       string          `json:"name"`
	Shape      []int64         `json:"shape"`
	Datatype   Datatype        `json:"datatype"`
	Parameters Parameters      `json:"parameters,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	Binary     []byte          `json:"-"`
}
