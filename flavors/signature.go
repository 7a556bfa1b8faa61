package flavors

// Signature is an MLflow model signature: what the model takes and returns,
// and the inference parameters it accepts.
type Signature struct {
	Inputs  *Schema     // nil when the MLmodel has no inputs
	Outputs *Schema     // nil when the MLmodel has no outputs
	Params  []ParamSpec // nil when MLmodel writes params: null
	// Extra holds keys of the MLmodel's signature mapping other than
	// inputs, outputs and params, kept verbatim.
	Extra map[string]any
}

// Schema is either column-based (Columns set) or tensor-based (Tensors set),
// never both, as in MLflow.
type Schema struct {
	Columns []ColSpec
	Tensors []TensorSpec
}

// IsTensor reports whether s is a tensor-based schema.
func (s *Schema) IsTensor() bool { return s != nil && len(s.Tensors) > 0 }

// HasNames reports whether every entry of s is named. MLflow matches named
// inputs by name and unnamed ones by position.
func (s *Schema) HasNames() bool {
	if s == nil {
		return false
	}
	for _, c := range s.Columns {
		if c.Name == "" {
			return false
		}
	}
	for _, t := range s.Tensors {
		if t.Name == "" {
			return false
		}
	}
	return len(s.Columns)+len(s.Tensors) > 0
}

// ColType is an MLflow column type name.
type ColType string

// MLflow's column types and the tensor element type each maps to.
const (
	ColBoolean  ColType = "boolean"  // Bool
	ColInteger  ColType = "integer"  // Int32
	ColLong     ColType = "long"     // Int64
	ColFloat    ColType = "float"    // Float32
	ColDouble   ColType = "double"   // Float64
	ColString   ColType = "string"   // String
	ColBinary   ColType = "binary"   // String (base64 on the wire)
	ColDatetime ColType = "datetime" // String (ISO 8601)
)

// DType returns the tensor element type a column of this type holds, and
// false for a type berth cannot feed to a tensor (arrays, objects).
func (c ColType) DType() (DType, bool) {
	switch c {
	case ColBoolean:
		return Bool, true
	case ColInteger:
		return Int32, true
	case ColLong:
		return Int64, true
	case ColFloat:
		return Float32, true
	case ColDouble:
		return Float64, true
	case ColString, ColBinary, ColDatetime:
		return String, true
	}
	return "", false
}

// ColSpec is one column of a column-based schema.
type ColSpec struct {
	Name     string  // empty for an unnamed column
	Type     ColType // "array", "object" and other composite types keep their name here
	Required bool    // MLflow's default is true
	// Raw holds the entry's JSON as read, so composite types (array items,
	// object properties) and unknown fields survive a round trip. It is laid
	// out as MLflow writes it: type and what goes with it, then name and
	// required, with Python's json.dumps spacing. When writing, Name, Type
	// and Required win over the same keys in Raw.
	Raw []byte
}

// TensorSpec is one tensor of a tensor-based schema.
type TensorSpec struct {
	Name  string  // empty for an unnamed tensor
	DType DType   // from the numpy dtype name; numpy "object" and "str" are String
	Shape []int64 // -1 for a dynamic dimension
}

// ParamSpec is one inference parameter of a signature.
type ParamSpec struct {
	Name    string
	Type    string  // MLflow's type name: string, integer, long, float, double, boolean, datetime, ...
	Default any     // decoded JSON value
	Shape   []int64 // nil for a scalar parameter
}
