package flavors

// MLmodel is the MLmodel file at the root of an MLflow model directory.
// Keys berth does not know are kept in Extra and written back unchanged.
type MLmodel struct {
	ArtifactPath          string                    // artifact_path
	Flavors               map[string]map[string]any // flavors: flavor name -> its configuration
	ModelUUID             string                    // model_uuid
	RunID                 string                    // run_id
	UTCTimeCreated        string                    // utc_time_created, as MLflow writes it ("2026-11-28 04:20:57.898924")
	MLflowVersion         string                    // mlflow_version
	Signature             *Signature                // signature (inputs/outputs/params are JSON strings inside the YAML)
	SavedInputExampleInfo *InputExampleInfo         // saved_input_example_info
	Metadata              map[string]any            // metadata
	ModelSizeBytes        *int64                    // model_size_bytes
	DatabricksRuntime     string                    // databricks_runtime
	Extra                 map[string]any            // every other top-level key, kept verbatim
}

// InputExampleInfo is MLmodel's saved_input_example_info.
type InputExampleInfo struct {
	ArtifactPath     string         // artifact_path, e.g. input_example.json
	ServingInputPath string         // serving_input_path, e.g. serving_input_example.json
	Type             string         // "ndarray", "dataframe", "json_object", ...
	PandasOrient     string         // pandas_orient, for dataframes ("split")
	Format           string         // format, for tensor examples ("tf-serving")
	Extra            map[string]any // other keys, kept verbatim
}
