package scoring

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/berthml/berth/flavors"
)

// ModelSpec is what the decoder needs to know about a model.
type ModelSpec struct {
	// Signature is the MLmodel's signature, nil when it has none. Without
	// one (or without signature inputs) the model's own inputs are the
	// schema, as named tensors.
	Signature *flavors.Signature
	// Inputs and Outputs are the model's tensors as its runtime reports
	// them; a decoded request has one tensor per entry of Inputs.
	Inputs  []flavors.TensorInfo
	Outputs []flavors.TensorInfo
}

// Request is a decoded scoring request.
type Request struct {
	// Inputs hold one tensor per model input, in the order of
	// ModelSpec.Inputs and named as they are, ready for
	// flavors.Predictor.Predict.
	Inputs []*flavors.Tensor
	// Params are the inference parameters, converted to the signature's
	// param types (string, int32, int64, float32, float64, bool, or a slice
	// of one of them) with defaults filled in. Nil when the signature
	// declares no params.
	Params map[string]any
	// Rows is the number of rows (the batch size) of the input.
	Rows int
	// Columnar is true when the input was column-based: the signature is
	// column-based, or a tensor-based model was sent a dataframe or CSV. It
	// makes [Encode] write several outputs as one record per row.
	Columnar bool
}

// mode is how a decoder reads inputs: by columns or as tensors.
type mode uint8

const (
	modeColumns mode = iota + 1
	modeTensors
)

// field is one input of the schema: a column or a tensor spec.
type field struct {
	name     string // empty when unnamed
	typ      elemType
	typeName string  // the signature's name for the type, for messages
	shape    []int64 // a tensor spec's shape; nil for a column
	required bool
	array    bool // a column of lists (an MLflow array type)
	input    int  // the model input it feeds
}

// modelInput is one of the model's inputs and the fields that feed it, in
// signature order (several columns are stacked side by side).
type modelInput struct {
	info   flavors.TensorInfo
	fields []int
}

// Decoder decodes scoring requests for one model. Build it once when the
// model loads; it is safe for concurrent use.
type Decoder struct {
	spec       ModelSpec
	mode       mode
	named      bool // the fields have names
	positional bool // dataframes feed the single input by position
	// denseFrames says a dataframe_split of numbers can be read by
	// fromDenseSplit: every model input is fed by scalar columns of one
	// type that converts from float64 (see denseFramesOK).
	denseFrames bool
	dense       denseFrom // which lists of numbers its parses keep dense
	tensorSig   bool      // the signature is tensor-based (CSV is refused)
	fields      []field
	byName      map[string]int
	inputs      []modelInput
	params      []paramSpec
	outputs     []string // outputs to return, nil for all
	firstOnly   bool     // the signature has one unnamed output: return the first
	// keepsStrings says a Request can hold strings of the body: a string
	// input or a string param.
	keepsStrings bool
	docs         sync.Pool
}

// NewDecoder checks spec and prepares a decoder for it. It fails when the
// signature and the model's inputs do not fit together: a column or tensor
// that feeds no model input, a model input fed by nothing, or types that
// cannot be converted.
func NewDecoder(spec ModelSpec) (*Decoder, error) {
	if len(spec.Inputs) == 0 {
		return nil, errors.New("model has no inputs")
	}
	dec := &Decoder{spec: spec, byName: map[string]int{}}
	dec.docs.New = func() any { return new(doc) }
	var sig *flavors.Signature
	if spec.Signature != nil && spec.Signature.Inputs != nil &&
		len(spec.Signature.Inputs.Columns)+len(spec.Signature.Inputs.Tensors) > 0 {
		sig = spec.Signature
	}
	var err error
	switch {
	case sig == nil:
		err = dec.fromModelInputs()
	case sig.Inputs.IsTensor():
		err = dec.fromTensorSpecs(sig.Inputs.Tensors)
	default:
		err = dec.fromColSpecs(sig.Inputs.Columns)
	}
	if err != nil {
		return nil, err
	}
	for i, f := range dec.fields {
		if f.name != "" {
			if _, dup := dec.byName[f.name]; dup {
				return nil, fmt.Errorf("signature input %q appears twice", f.name)
			}
			dec.byName[f.name] = i
		}
		in := &dec.inputs[f.input]
		in.fields = append(in.fields, i)
		if !convertible(f.typ, in.info.DType) {
			return nil, fmt.Errorf("signature input %s of type %s cannot feed model input %q of type %s",
				f.label(), f.typ.dtype, in.info.Name, in.info.DType)
		}
	}
	for _, in := range dec.inputs {
		if len(in.fields) == 0 {
			return nil, fmt.Errorf("model input %q is fed by no signature input", in.info.Name)
		}
		if err := dec.checkStack(in); err != nil {
			return nil, err
		}
	}
	if spec.Signature != nil {
		if dec.params, err = newParamSpecs(spec.Signature.Params); err != nil {
			return nil, err
		}
		dec.selectOutputs(spec.Signature.Outputs)
	}
	for _, f := range dec.fields {
		dec.keepsStrings = dec.keepsStrings || f.typ.kind == ekString
	}
	for _, p := range dec.params {
		switch p.typ {
		case "string", "datetime", "binary", "bytes":
			dec.keepsStrings = true
		}
	}
	dec.denseFrames = dec.denseFramesOK()
	// Tensors are read from dense lists; a column-based model reads
	// "inputs" and records through nodes, and a frame through nodes unless
	// fromDenseSplit can read it. A positional model reads a frame as one
	// tensor.
	dec.dense = allDense
	if dec.mode == modeColumns {
		dec.dense.other = nodesBelow
	}
	if !dec.positional && !dec.denseFrames {
		dec.dense.split = nodesBelow
	}
	return dec, nil
}

func (dec *Decoder) fromModelInputs() error {
	dec.mode = modeTensors
	dec.named = true
	dec.positional = len(dec.spec.Inputs) == 1
	for i, in := range dec.spec.Inputs {
		t, ok := elemTypeOf(in.DType)
		if !ok {
			return fmt.Errorf("model input %q has type %s, which a scoring request cannot carry", in.Name, in.DType)
		}
		dec.fields = append(dec.fields, field{name: in.Name, typ: t, shape: in.Shape, required: true, input: i})
		dec.inputs = append(dec.inputs, modelInput{info: in})
	}
	return nil
}

func (dec *Decoder) fromTensorSpecs(specs []flavors.TensorSpec) error {
	dec.mode = modeTensors
	dec.tensorSig = true
	dec.named = (&flavors.Schema{Tensors: specs}).HasNames()
	for _, in := range dec.spec.Inputs {
		dec.inputs = append(dec.inputs, modelInput{info: in})
	}
	if !dec.named {
		if len(specs) != 1 {
			return fmt.Errorf("signature has %d tensor inputs, not all named; only a single unnamed tensor is allowed", len(specs))
		}
		if len(dec.spec.Inputs) != 1 {
			return fmt.Errorf("signature has one unnamed tensor input, but the model has %d inputs", len(dec.spec.Inputs))
		}
		dec.positional = true
	}
	for _, s := range specs {
		t, ok := elemTypeOf(s.DType)
		if !ok {
			return fmt.Errorf("signature tensor %q has type %s, which a scoring request cannot carry", s.Name, s.DType)
		}
		f := field{name: s.Name, typ: t, shape: s.Shape, required: true}
		if f.input = dec.inputIndex(s.Name); f.input < 0 {
			if len(specs) != 1 || len(dec.spec.Inputs) != 1 {
				return fmt.Errorf("signature tensor %q feeds no model input (model inputs: %s)", s.Name, dec.inputNames())
			}
			f.input = 0 // one tensor, one input: names need not agree
		}
		dec.fields = append(dec.fields, f)
	}
	return nil
}

func (dec *Decoder) fromColSpecs(cols []flavors.ColSpec) error {
	if !(&flavors.Schema{Columns: cols}).HasNames() {
		// Unnamed columns are matched by position: the model's own inputs
		// say as much, with their types.
		return dec.fromModelInputs()
	}
	dec.mode = modeColumns
	dec.named = true
	for _, in := range dec.spec.Inputs {
		dec.inputs = append(dec.inputs, modelInput{info: in})
	}
	for _, c := range cols {
		f := field{name: c.Name, required: c.Required, typeName: string(c.Type)}
		dt, ok := c.Type.DType()
		if !ok {
			if c.Type != "array" {
				return fmt.Errorf("signature column %q has type %s, which berth cannot feed to a tensor", c.Name, c.Type)
			}
			f.array = true
			dt = arrayItemDType(c.Raw)
		}
		if len(dec.spec.Inputs) > 1 {
			if f.input = dec.inputIndex(c.Name); f.input < 0 {
				return fmt.Errorf("signature column %q feeds no model input (model inputs: %s)", c.Name, dec.inputNames())
			}
		}
		if dt == "" {
			dt = dec.spec.Inputs[f.input].DType
		}
		t, ok := elemTypeOf(dt)
		if !ok {
			return fmt.Errorf("signature column %q has item type %s, which a scoring request cannot carry", c.Name, dt)
		}
		f.typ = t
		dec.fields = append(dec.fields, f)
	}
	return nil
}

// arrayItemDType reads the item type of an MLflow array column
// ({"type": "array", "items": {"type": "double"}}), or "" when it is not a
// plain type.
func arrayItemDType(raw []byte) flavors.DType {
	var spec struct {
		Items struct {
			Type flavors.ColType `json:"type"`
		} `json:"items"`
	}
	if json.Unmarshal(raw, &spec) != nil {
		return ""
	}
	dt, _ := spec.Items.Type.DType()
	return dt
}

// checkStack checks a model input fed by several columns (or an array
// column): they are laid side by side, so it must take a matrix.
func (dec *Decoder) checkStack(in modelInput) error {
	if dec.mode != modeColumns {
		return nil
	}
	width, fixed := 0, true
	for _, fi := range in.fields {
		if dec.fields[fi].array {
			fixed = false
		}
		width++
	}
	if width == 1 && fixed {
		return nil
	}
	shape := in.info.Shape
	if shape == nil {
		return nil
	}
	if len(shape) != 2 {
		return fmt.Errorf("model input %q has shape %s, but %d signature columns are stacked into it as [batch, columns]",
			in.info.Name, pyShape(shape), len(in.fields))
	}
	if fixed && shape[1] >= 0 && shape[1] != int64(width) {
		return fmt.Errorf("model input %q has shape %s, but the signature has %d columns for it",
			in.info.Name, pyShape(shape), width)
	}
	return nil
}

func (dec *Decoder) inputIndex(name string) int {
	for i, in := range dec.spec.Inputs {
		if in.Name == name {
			return i
		}
	}
	return -1
}

func (dec *Decoder) inputNames() string {
	names := make([]string, len(dec.spec.Inputs))
	for i, in := range dec.spec.Inputs {
		names[i] = in.Name
	}
	return pyList(names)
}

// label names a field in messages.
func (f *field) label() string {
	if f.name == "" {
		return "the input tensor"
	}
	return "'" + f.name + "'"
}

// Decode decodes a request body of the given format (see
// [ParseContentType]) for a model described by spec. Servers decode many
// requests for one model: build a [Decoder] once with [NewDecoder] instead.
func Decode(format Format, body []byte, spec ModelSpec) (*Request, error) {
	dec, err := NewDecoder(spec)
	if err != nil {
		return nil, err
	}
	return dec.Decode(format, body)
}

// Decode decodes a request body of the given format into the model's input
// tensors. Every failure is an [*Error].
func (dec *Decoder) Decode(format Format, body []byte) (*Request, error) {
	if len(body) >= math.MaxInt32 {
		return nil, Errorf(CodeRequestLimitExceeded, "the request body is too large (%d bytes)", len(body))
	}
	// A JSON body is checked for UTF-8 as it is parsed, string by string
	// (everything else in JSON is ASCII): a whole-body pass cost 5% of
	// decoding a large body of numbers.
	if format != FormatJSON && !utf8.Valid(body) {
		return nil, notUTF8(body)
	}
	d := dec.docs.Get().(*doc)
	defer dec.release(d)
	switch format {
	case FormatJSON:
		return dec.decodeJSON(d, body)
	case FormatCSV:
		return dec.decodeCSV(d, string(body))
	}
	return nil, badRequest("unknown request format %d", format)
}

// release returns d to the pool for the next request, without what a
// huge body made of it: an arena beyond maxPooledNodes is dropped, and
// values beyond maxPooledNums.
func (dec *Decoder) release(d *doc) {
	d.src = ""
	clear(d.ext)
	if cap(d.nums) > maxPooledNums {
		d.nums = nil
	}
	if cap(d.nodes) <= maxPooledNodes {
		dec.docs.Put(d)
	}
}

// notUTF8 is the answer to a body that is not UTF-8.
func notUTF8(body []byte) *Error {
	off := invalidUTF8(body)
	return badRequest("Invalid input. The request body is not valid UTF-8: invalid byte 0x%02X at offset %d",
		body[off], off)
}

func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return 0
}

var inputFields = []string{FieldDataframeSplit, FieldInputs, FieldDataframeRecords, FieldInstances}

func exactlyOneMessage(found []string) string {
	return "The input must be a JSON dictionary with exactly one of the input fields " +
		"{'dataframe_split', 'inputs', 'dataframe_records', 'instances'}. " +
		"Received dictionary with input fields: " + pyList(found) + ". " + ProtocolChangeInfo
}

func (dec *Decoder) decodeJSON(d *doc, body []byte) (*Request, error) {
	// The body is parsed in place, not copied: nodes are offsets into it.
	// Strings that a Request can keep (a string tensor's values, string
	// params) are substrings of d.src, and the caller may reuse body once
	// Decode returns: for a model that can keep any, a body with strings
	// beyond the top-level keys gets its own copy, to which the same
	// offsets apply. A numeric model keeps none (a dataframe's column
	// names are only looked up), so its bodies are never copied.
	if jerr := parseJSON(d, unsafe.String(unsafe.SliceData(body), len(body)), dec.dense); jerr != nil {
		// Not UTF-8 is the answer wherever the body is not, as when the
		// whole body was checked first, whatever else is wrong with it.
		if jerr.notUTF8 || !utf8.Valid(body) {
			return nil, notUTF8(body)
		}
		return nil, badRequest("Invalid input. Ensure that input is a valid JSON formatted string. "+
			"Error: %s at offset %d", jerr.msg, jerr.off)
	}
	root := int32(0)
	if dec.keepsStrings && (d.nodes[root].kind != kindObject || d.strings > int(d.nodes[root].n)) {
		d.src = string(body)
	}
	switch k := d.nodes[root].kind; k {
	case kindObject:
	case kindArray:
		return nil, badRequest("Invalid input. The input must be a JSON dictionary with exactly one of the " +
			"input fields {'dataframe_split', 'inputs', 'dataframe_records', 'instances'}. Received a list.")
	default:
		return nil, badRequest("Invalid input. The input must be a JSON dictionary with exactly one of the "+
			"input fields {'dataframe_split', 'inputs', 'dataframe_records', 'instances'}. "+
			"Received unexpected input type '%s'.", k)
	}
	var found []string
	var key string
	var val int32
	for _, f := range inputFields {
		if v := d.member(root, f); v >= 0 {
			found = append(found, f)
			key, val = f, v
		}
	}
	if len(found) != 1 {
		return nil, badRequest("%s", exactlyOneMessage(found))
	}
	req := &Request{Columnar: dec.mode == modeColumns}
	var err error
	switch key {
	case FieldDataframeSplit:
		err = dec.fromSplit(d, val, req)
	case FieldDataframeRecords:
		err = dec.fromRecords(d, val, req)
	default:
		err = dec.fromTFServing(d, key, val, req)
	}
	if err != nil {
		return nil, err
	}
	if req.Params, err = dec.decodeParams(d, d.member(root, FieldParams)); err != nil {
		return nil, err
	}
	return req, nil
}

// pyList formats names as Python prints a list of strings.
func pyList(names []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("'" + n + "'")
	}
	b.WriteByte(']')
	return b.String()
}

// pyShape formats a shape as Python prints a tuple: (4,), (-1, 4), ().
func pyShape(shape []int64) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, d := range shape {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, d)
	}
	if len(shape) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}
