package scoring

// Response is the body of a successful POST /invocations:
// {"predictions": ...}.
type Response struct {
	Predictions any `json:"predictions"`
}

// ErrorResponse is the body of a failed POST /invocations, as MLflow writes
// it: {"error_code": "BAD_REQUEST", "message": "..."}.
type ErrorResponse struct {
	ErrorCode string `json:"error_code"`
	Message   string `json:"message"`
}

// The input fields of a JSON scoring request; exactly one must be present.
const (
	FieldDataframeSplit   = "dataframe_split"
	FieldDataframeRecords = "dataframe_records"
	FieldInstances        = "instances"
	FieldInputs           = "inputs"
	FieldParams           = "params"
)
