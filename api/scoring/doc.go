// Package scoring speaks MLflow's model scoring protocol, the JSON and CSV
// bodies of POST /invocations, as MLflow 2.x's scoring server does (the
// recorded reference is testdata/conformance/mlflow-scoring-transcript.jsonl).
//
// It holds the wire types ([Response], [ErrorResponse]), the content-type
// check ([ParseContentType]), the request decoder ([NewDecoder],
// [Decoder.Decode]) that turns a body into [flavors.Tensor] values ready for
// a predictor, the response encoder ([Encode], [AppendEncode]) and a Go
// [Client]. It imports neither an HTTP framework nor a model runtime.
//
// # Errors
//
// Decoding fails with a [*MediaTypeError] (the server answers 415
// text/plain with its message, as MLflow does) or an [*Error] whose Code is
// an MLflow error code; see the Code constants for the HTTP status each one
// is meant for. This package maps no statuses itself.
//
// # Where berth deliberately differs from MLflow 2.17.2
//
//   - A missing Content-Type is a 415 [*MediaTypeError] with the usual
//     "only supports the following content types" message (MLflow answers
//     500 HTML). A body that is not UTF-8 is a 400 BAD_REQUEST naming the
//     byte offset (MLflow answers 500 HTML).
//   - JSON is parsed strictly: NaN, Infinity and nesting deeper than
//     [MaxDepth] are 400 BAD_REQUEST at once (Python's parser accepts NaN,
//     and the model then fails with a 400). JSON null in a required value
//     is a 400 BAD_REQUEST naming the column or input.
//   - A tensor-based model fed a dataframe takes the columns by position,
//     as MLflow does, but a column-based model never does: unnamed data for
//     a column-based signature is 400 INVALID_PARAMETER_VALUE "Model is
//     missing inputs [...]", as in MLflow.
//   - An empty batch is always a 400 (MLflow's code is kept: BAD_REQUEST for
//     dataframe_split and CSV, INVALID_PARAMETER_VALUE for the others).
//
// # Choices where MLflow is silent or model-specific
//
//   - Values are coerced to the signature's type first (ints, booleans and
//     numeric strings to floats; integral numbers and numeric strings to
//     integers, never a fraction; "true"/"false"/0/1 to booleans; only
//     strings to strings), then converted to the model input's own dtype,
//     which the model author chose (a double column feeds a float32 input).
//     Numeric strings follow Go's strconv.ParseFloat, so "NaN" and "Inf"
//     are the way to send a missing value to a model that handles them.
//   - An optional column (required: false) may be absent, or null: it is
//     filled with NaN for floating-point inputs and the zero value otherwise.
//   - An empty CSV cell is a missing value (an error for a required
//     numeric column, "" for a string column).
//   - Unknown top-level keys beside exactly one input field are ignored, as
//     MLflow does; params are ignored unless the signature declares them.
//   - Request.Columnar is true for a column-based signature, and for a
//     tensor-based model fed a dataframe or CSV; it makes a multi-output
//     response one record per row instead of MLflow's dict of outputs.
package scoring
