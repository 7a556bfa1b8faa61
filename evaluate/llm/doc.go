// Package llm computes MLflow 2.17's built-in LLM evaluation metrics
// (mlflow/metrics/metric_definitions.py) without a Python stack: exact_match,
// rouge1/2/L/Lsum (a port of rouge-score), the Flesch-Kincaid and ARI grades
// (a port of textstat 0.7.3 with pyphen's en_US hyphenation dictionary,
// embedded), token_count (cl100k_base through tiktoken-go, its data
// embedded), and the retriever's precision/recall/ndcg at k, each with
// MLflow's standard aggregations (mean, variance, p90, as numpy computes
// them) and per-row score columns for eval_results_table.json.
//
// It is its own package, below evaluate, because it needs neither models
// nor ONNX Runtime: only text in, numbers out.
package llm
