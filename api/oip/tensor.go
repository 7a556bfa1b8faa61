package oip

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"strconv"

	"github.com/berthml/berth/flavors"
)

// NewInput makes a request input of t with JSON data. NaN and ±Inf cannot
// be written as JSON: send such tensors with [NewBinaryInput].
func NewInput(t *flavors.Tensor) (RequestInput, error) {
	in, err := inputHeader(t)
	if err != nil {
		return in, err
	}
	if !finite(t.Data) {
		return in, fmt.Errorf("input %q holds NaN or Inf, which JSON cannot carry: use NewBinaryInput", t.Name)
	}
	in.Data = appendData(make([]byte, 0, 8*t.Len()+2), t, true, 0)
	return in, nil
}

// NewBinaryInput makes a request input of t whose data travels in the
// binary data extension.
func NewBinaryInput(t *flavors.Tensor) (RequestInput, error) {
	in, err := inputHeader(t)
	if err != nil {
		return in, err
	}
	in.Binary, err = appendBinary(make([]byte, 0, 4*t.Len()), t, in.Datatype)
	return in, err
}

func inputHeader(t *flavors.Tensor) (RequestInput, error) {
	if err := t.Validate(); err != nil {
		return RequestInput{}, err
	}
	dt, ok := DatatypeOf(t.DType)
	if !ok {
		return RequestInput{}, fmt.Errorf("input %q: dtype %s has no protocol datatype", t.Name, t.DType)
	}
	shape := t.Shape
	if t.DType == flavors.Map {
		shape = []int64{int64(t.Len())}
	}
	return RequestInput{Name: t.Name, Shape: append([]int64{}, shape...), Datatype: dt}, nil
}

func finite(data any) bool {
	switch d := data.(type) {
	case []float32:
		for _, v := range d {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return false
			}
		}
	case []float64:
		for _, v := range d {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
	}
	return true
}

// TensorFromOutput reads a response output back into a tensor, from its
// binary data when it came as such, else from its JSON data (null reads as
// NaN). BYTES outputs become String tensors; a Map output's rows are its
// JSON object text.
func TensorFromOutput(o *ResponseOutput) (*flavors.Tensor, error) {
	return readTensor(o.Name, o.Datatype, o.Shape, o.Data, o.Binary)
}

// TensorFromInput reads a request input into a tensor, as TensorFromOutput
// does.
func TensorFromInput(in *RequestInput) (*flavors.Tensor, error) {
	return readTensor(in.Name, in.Datatype, in.Shape, in.Data, in.Binary)
}

func readTensor(name string, dt Datatype, shape []int64, data json.RawMessage, bin []byte) (*flavors.Tensor, error) {
	dtype, ok := dt.DType()
	if !ok {
		return nil, fmt.Errorf("tensor %q: unknown datatype %q", name, dt)
	}
	t := &flavors.Tensor{Name: name, DType: dtype, Shape: append([]int64{}, shape...)}
	if bin != nil {
		n, ok := numElements(shape, int64(len(bin)))
		if !ok {
			return nil, fmt.Errorf("tensor %q: shape %v does not fit %d bytes of binary data", name, shape, len(bin))
		}
		d, err := decodeBinary(bin, dt, int(n), false)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		t.Data = d
		return t, nil
	}
	n, ok := numElements(shape, int64(len(data)))
	if !ok {
		return nil, fmt.Errorf("tensor %q: shape %v holds more elements than its data", name, shape)
	}
	col, d, err := newColumn(dtype, int(n), true)
	if err != nil {
		return nil, err
	}
	t.Data = d
	if len(bytes.TrimSpace(data)) == 0 && n == 0 {
		return t, nil
	}
	if err := readData(&lexer{b: data}, shape, int(n), col, false); err != nil {
		return nil, fmt.Errorf("tensor %q: data %w", name, err)
	}
	return t, nil
}

// EncodeInferRequest writes req as a request body: pure JSON (headerLen
// -1) when no input carries Binary, else the JSON header, with each binary
// input's binary_data_size, followed by the inputs' bytes. headerLen is then
// the value for the Inference-Header-Content-Length header.
func EncodeInferRequest(req *InferenceRequest) (body []byte, headerLen int, err error) {
	var bin []byte
	r := *req
	r.Inputs = make([]RequestInput, len(req.Inputs))
	for i, in := range req.Inputs {
		if in.Binary != nil {
			in.Parameters = maps.Clone(in.Parameters)
			if in.Parameters == nil {
				in.Parameters = Parameters{}
			}
			in.Parameters[ParamBinaryDataSize] = len(in.Binary)
			in.Data = nil
			bin = append(bin, in.Binary...)
		}
		r.Inputs[i] = in
	}
	if r.Inputs == nil {
		r.Inputs = []RequestInput{}
	}
	header, err := json.Marshal(&r)
	if err != nil {
		return nil, 0, fmt.Errorf("encoding inference request: %w", err)
	}
	if !hasBinary(req.Inputs) {
		return header, -1, nil
	}
	return append(header, bin...), len(header), nil
}

func hasBinary(inputs []RequestInput) bool {
	for _, in := range inputs {
		if in.Binary != nil {
			return true
		}
	}
	return false
}

// DecodeInferResponse reads a response body; headerLen is its
// Inference-Header-Content-Length header, "" when absent. Binary outputs get
// their bytes in Binary.
func DecodeInferResponse(body []byte, headerLen string) (*InferenceResponse, error) {
	header, bin := body, []byte(nil)
	if headerLen != "" {
		n, err := strconv.Atoi(headerLen)
		if err != nil || n < 0 || n > len(body) {
			return nil, fmt.Errorf("decoding inference response: bad %s %q for a body of %d bytes", HeaderInferenceContentLength, headerLen, len(body))
		}
		header, bin = body[:n], body[n:]
	}
	dec := json.NewDecoder(bytes.NewReader(header))
	dec.UseNumber()
	var resp InferenceResponse
	if err := dec.Decode(&resp); err != nil {
		return nil, fmt.Errorf("decoding inference response: %w", err)
	}
	off := 0
	for i := range resp.Outputs {
		o := &resp.Outputs[i]
		size, err := paramSize(o.Parameters, ParamBinaryDataSize)
		if err != nil {
			return nil, fmt.Errorf("decoding inference response: output %q: %w", o.Name, err)
		}
		if size < 0 {
			continue
		}
		if size > int64(len(bin)-off) {
			return nil, fmt.Errorf("decoding inference response: output %q: %s %d runs past the body", o.Name, ParamBinaryDataSize, size)
		}
		o.Binary = bin[off : off+int(size) : off+int(size)]
		off += int(size)
	}
	if off != len(bin) {
		return nil, fmt.Errorf("decoding inference response: %d bytes after the header belong to no output", len(bin)-off)
	}
	return &resp, nil
}
