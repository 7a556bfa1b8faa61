package oip

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/berthml/berth/flavors"
)

// Request is a decoded inference request, ready for a predictor.
type Request struct {
	// ID is the request's id, to be returned in the response.
	ID string
	// Parameters are the request-level parameters.
	Parameters Parameters
	// Inputs are the input tensors in the model's input order.
	Inputs []*flavors.Tensor
	// Outputs are the outputs asked for, in the request's order; empty
	// means every output of the model.
	Outputs []RequestedOutput
	// BinaryOutput is the binary_data_output parameter: every output not
	// listed in Outputs is returned as binary data.
	BinaryOutput bool
}

// RequestedOutput is one entry of a request's "outputs".
type RequestedOutput struct {
	Name       string
	Parameters Parameters
	// Binary is true when the output is to be returned as binary data: its
	// binary_data parameter, or binary_data_output when that is absent.
	Binary bool
}

// OutputNames returns the names of the requested outputs, or nil for all.
func (r *Request) OutputNames() []string {
	if len(r.Outputs) == 0 {
		return nil
	}
	names := make([]string, len(r.Outputs))
	for i, o := range r.Outputs {
		names[i] = o.Name
	}
	return names
}

// WantsBinary reports whether the output called name is to be written as
// binary data.
func (r *Request) WantsBinary(name string) bool {
	if r == nil {
		return false
	}
	for _, o := range r.Outputs {
		if o.Name == name {
			return o.Binary
		}
	}
	return r.BinaryOutput
}

// CheckOutputs returns an *Error when the request asks for an output the
// model does not have.
func (r *Request) CheckOutputs(model []flavors.TensorInfo) error {
	for _, o := range r.Outputs {
		if !slices.ContainsFunc(model, func(t flavors.TensorInfo) bool { return t.Name == o.Name }) {
			return Invalidf("unknown output %q: the model has outputs %s", o.Name, names(model))
		}
	}
	return nil
}

// rawInput is a request input as read, before its data is decoded.
type rawInput struct {
	name     string
	shape    []int64
	hasShape bool
	datatype Datatype
	params   Parameters
	data     []byte // the JSON text of "data"; nil when absent or null
	binSize  int64  // binary_data_size, or -1
}

// DecodeInferRequest reads an inference request body. headerLen is the
// Inference-Header-Content-Length header, "" when absent: then the whole
// body is JSON. model describes the model's inputs: every one must be given,
// with its datatype, rank and fixed dimensions. Every error is an *Error.
func DecodeInferRequest(body []byte, headerLen string, model []flavors.TensorInfo) (*Request, error) {
	return decodeInferRequest(body, headerLen, model, false)
}

// DecodeInferRequestInPlace is DecodeInferRequest without copying binary
// tensor data where it can be read in place: a binary input of fixed-size
// numbers (UINT8..UINT64, INT8..INT64, FP32, FP64) whose bytes are aligned
// for its element type, on a little-endian host, gets a Data slice that
// points into body. The caller must keep body unchanged for as long as the
// request's tensors are read; a server that reuses its body buffers returns
// one only after the response is written. Other inputs are copied as
// DecodeInferRequest copies them.
func DecodeInferRequestInPlace(body []byte, headerLen string, model []flavors.TensorInfo) (*Request, error) {
	return decodeInferRequest(body, headerLen, model, true)
}

func decodeInferRequest(body []byte, headerLen string, model []flavors.TensorInfo, inPlace bool) (*Request, error) {
	header, bin := body, []byte(nil)
	if headerLen != "" {
		n, err := strconv.ParseInt(headerLen, 10, 64)
		if err != nil || n < 0 {
			return nil, Invalidf("%s %q is not a non-negative integer", HeaderInferenceContentLength, headerLen)
		}
		if n > int64(len(body)) {
			return nil, Invalidf("%s %d is larger than the body (%d bytes)", HeaderInferenceContentLength, n, len(body))
		}
		header, bin = body[:n], body[n:]
	}
	if !utf8.Valid(header) {
		return nil, Invalidf("request JSON is not valid UTF-8")
	}
	req := &Request{}
	var inputs []rawInput
	l := &lexer{b: header}
	if l.peek() != '{' {
		return nil, Invalidf("request must be a JSON object, found %s", l.what())
	}
	err := l.object(1, func(key string) error {
		var err error
		switch key {
		case "id":
			if !l.null() {
				req.ID, err = l.str()
			}
		case "parameters":
			req.Parameters, err = l.params(2)
		case "inputs":
			inputs, err = readInputs(l, model)
		case "outputs":
			req.Outputs, err = readOutputs(l)
		default:
			_, err = l.skip(2)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if l.peek() != 0 {
		return nil, l.errf("unexpected %s after the request object", l.what())
	}
	if req.BinaryOutput, _, err = paramBool(req.Parameters, ParamBinaryDataOutput); err != nil {
		return nil, err
	}
	for i := range req.Outputs {
		o := &req.Outputs[i]
		b, set, err := paramBool(o.Parameters, ParamBinaryData)
		if err != nil {
			return nil, Invalidf("output %q: %s", o.Name, err)
		}
		o.Binary = b || (!set && req.BinaryOutput)
	}
	req.Inputs, err = decodeInputs(inputs, bin, headerLen != "", model, inPlace)
	if err != nil {
		return nil, err
	}
	return req, nil
}

// readInputs reads the request's inputs, whose names are most often the
// model's.
func readInputs(l *lexer, model []flavors.TensorInfo) ([]rawInput, error) {
	var inputs []rawInput
	if l.null() {
		return nil, nil
	}
	err := l.array(2, func(int) error {
		in := rawInput{binSize: -1}
		err := l.object(3, func(key string) error {
			var err error
			switch key {
			case "name":
				in.name, err = l.strOf(len(model), func(i int) string { return model[i].Name })
			case "datatype":
				var s string
				s, err = l.strIn(datatypeNames)
				in.datatype = Datatype(s)
			case "shape":
				in.hasShape = true
				in.shape, err = readShape(l)
			case "parameters":
				in.params, err = l.params(4)
			case "data":
				if !l.null() {
					in.data, err = l.skipData(4)
				}
			default:
				_, err = l.skip(4)
			}
			return err
		})
		if err != nil {
			return err
		}
		if in.name == "" {
			return Invalidf("input %d has no name", len(inputs))
		}
		inputs = append(inputs, in)
		return nil
	})
	return inputs, err
}

func readShape(l *lexer) ([]int64, error) {
	shape := make([]int64, 0, 4) // one allocation for most shapes
	err := l.array(4, func(int) error {
		if len(shape) >= MaxDepth {
			return Invalidf("shape has more than %d dimensions", MaxDepth)
		}
		tok, ok := l.number()
		if !ok {
			return l.errf("shape must hold integers, found %s", l.what())
		}
		d, err := strconv.ParseInt(string(tok), 10, 64)
		if err != nil || d < 0 {
			return Invalidf("shape dimension %s is not a non-negative integer", tok)
		}
		shape = append(shape, d)
		return nil
	})
	return shape, err
}

func readOutputs(l *lexer) ([]RequestedOutput, error) {
	var outs []RequestedOutput
	if l.null() {
		return nil, nil
	}
	err := l.array(2, func(int) error {
		var o RequestedOutput
		err := l.object(3, func(key string) error {
			var err error
			switch key {
			case "name":
				o.Name, err = l.str()
			case "parameters":
				o.Parameters, err = l.params(4)
			default:
				_, err = l.skip(4)
			}
			return err
		})
		if err != nil {
			return err
		}
		if o.Name == "" {
			return Invalidf("requested output %d has no name", len(outs))
		}
		if slices.ContainsFunc(outs, func(x RequestedOutput) bool { return x.Name == o.Name }) {
			return Invalidf("output %q is requested twice", o.Name)
		}
		outs = append(outs, o)
		return nil
	})
	return outs, err
}

// decodeInputs checks the inputs against the model and decodes their data.
// bin is the body after the JSON header; framed says the header length was
// given; inPlace lets binary data be read in place (DecodeInferRequestInPlace).
func decodeInputs(inputs []rawInput, bin []byte, framed bool, model []flavors.TensorInfo, inPlace bool) ([]*flavors.Tensor, error) {
	byName := make(map[string]int, len(inputs))
	for i := range inputs {
		in := &inputs[i]
		if _, dup := byName[in.name]; dup {
			return nil, Invalidf("input %q is given twice", in.name)
		}
		byName[in.name] = i
		if !slices.ContainsFunc(model, func(t flavors.TensorInfo) bool { return t.Name == in.name }) {
			return nil, Invalidf("unknown input %q: the model takes %s", in.name, names(model))
		}
	}
	for _, m := range model {
		if _, ok := byName[m.Name]; !ok {
			return nil, Invalidf("missing input %q: the model takes %s", m.Name, names(model))
		}
	}
	var out []*flavors.Tensor
	var ts []flavors.Tensor
	if len(model) == 1 { // the common model: the slice and its tensor in one allocation
		one := new(struct {
			p [1]*flavors.Tensor
			t [1]flavors.Tensor
		})
		out, ts = one.p[:], one.t[:]
	} else {
		out, ts = make([]*flavors.Tensor, len(model)), make([]flavors.Tensor, len(model))
	}
	off := 0
	for i := range inputs {
		in := &inputs[i]
		mi := slices.IndexFunc(model, func(t flavors.TensorInfo) bool { return t.Name == in.name })
		t, err := decodeInput(in, model[mi], bin, &off, framed, inPlace)
		if err != nil {
			return nil, err
		}
		ts[mi] = t
		out[mi] = &ts[mi]
	}
	if off != len(bin) {
		return nil, Invalidf("%d bytes after the JSON header are not claimed by any input's %s", len(bin)-off, ParamBinaryDataSize)
	}
	return out, nil
}

func decodeInput(in *rawInput, m flavors.TensorInfo, bin []byte, off *int, framed, inPlace bool) (flavors.Tensor, error) {
	if in.datatype == "" {
		return flavors.Tensor{}, Invalidf("input %q has no datatype", in.name)
	}
	_, ok := in.datatype.DType()
	if !ok {
		return flavors.Tensor{}, Invalidf("input %q: datatype %q is not one of BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BF16, BYTES", in.name, in.datatype)
	}
	want, ok := DatatypeOf(m.DType)
	if !ok || m.DType == flavors.Map {
		return flavors.Tensor{}, Invalidf("input %q: the model's dtype %s has no protocol datatype", in.name, m.DType)
	}
	if in.datatype != want {
		return flavors.Tensor{}, Invalidf("input %q: datatype %s does not match the model's %s", in.name, in.datatype, want)
	}
	if !in.hasShape {
		return flavors.Tensor{}, Invalidf("input %q has no shape", in.name)
	}
	if err := checkShape(in.name, in.shape, m.Shape); err != nil {
		return flavors.Tensor{}, err
	}
	binSize, err := paramSize(in.params, ParamBinaryDataSize)
	if err != nil {
		return flavors.Tensor{}, Invalidf("input %q: %s", in.name, err)
	}
	t := flavors.Tensor{Name: in.name, DType: m.DType, Shape: in.shape}
	switch {
	case binSize >= 0 && in.data != nil:
		return flavors.Tensor{}, Invalidf("input %q has both %q and %s", in.name, "data", ParamBinaryDataSize)
	case binSize >= 0:
		if !framed {
			return flavors.Tensor{}, Invalidf("input %q: %s needs the %s header", in.name, ParamBinaryDataSize, HeaderInferenceContentLength)
		}
		if binSize > int64(len(bin)-*off) {
			return flavors.Tensor{}, Invalidf("input %q: %s %d runs past the end of the body (%d bytes left)", in.name, ParamBinaryDataSize, binSize, len(bin)-*off)
		}
		raw := bin[*off : *off+int(binSize)]
		*off += int(binSize)
		// Every element takes at least one byte (four for BYTES).
		n, ok := numElements(in.shape, binSize)
		if !ok {
			return flavors.Tensor{}, Invalidf("input %q: shape %v holds more elements than %s %d allows", in.name, in.shape, ParamBinaryDataSize, binSize)
		}
		t.Data, err = decodeBinary(raw, in.datatype, int(n), inPlace)
		if err != nil {
			return flavors.Tensor{}, Invalidf("input %q: %s", in.name, err)
		}
	case in.data != nil:
		n, ok := numElements(in.shape, int64(len(in.data)))
		if !ok {
			return flavors.Tensor{}, Invalidf("input %q: shape %v holds more elements than its data has", in.name, in.shape)
		}
		col, data, err := newColumn(m.DType, int(n), false)
		if err != nil {
			return flavors.Tensor{}, Invalidf("input %q: %s", in.name, err)
		}
		l := &lexer{b: in.data}
		if err := readData(l, in.shape, int(n), col, false); err != nil {
			return flavors.Tensor{}, Invalidf("input %q: data %s", in.name, err)
		}
		if l.peek() != 0 {
			return flavors.Tensor{}, Invalidf("input %q: data has %s after its end", in.name, l.what())
		}
		t.Data = data
	default:
		return flavors.Tensor{}, Invalidf("input %q has neither %q nor %s", in.name, "data", ParamBinaryDataSize)
	}
	return t, nil
}

// checkShape compares a request's shape with the model's; a nil model
// shape is unknown and accepts any.
func checkShape(name string, got, model []int64) error {
	if model == nil {
		return nil
	}
	if len(got) != len(model) {
		return Invalidf("input %q: shape %v has rank %d, the model takes rank %d %s", name, got, len(got), len(model), dims(model))
	}
	for i, d := range model {
		if d >= 0 && got[i] != d {
			return Invalidf("input %q: shape %v, the model takes %s", name, got, dims(model))
		}
	}
	return nil
}

// dims writes a model shape with -1 as "?".
func dims(shape []int64) string {
	s := make([]string, len(shape))
	for i, d := range shape {
		if d < 0 {
			s[i] = "?"
		} else {
			s[i] = strconv.FormatInt(d, 10)
		}
	}
	return "[" + strings.Join(s, ",") + "]"
}

func names(ts []flavors.TensorInfo) string {
	if len(ts) == 0 {
		return "none"
	}
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = fmt.Sprintf("%q", t.Name)
	}
	return strings.Join(s, ", ")
}
