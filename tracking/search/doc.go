// Package search parses MLflow's search languages, the filter strings and
// order_by lists of runs/search, experiments/search,
// registered-models/search and model-versions/search, into
// tracking.Filter and tracking.OrderBy, as MLflow 2.17.2's
// mlflow/utils/search_utils.py (SearchUtils, SearchExperimentsUtils,
// SearchModelUtils, SearchModelVersionUtils) and the comparator checks of
// its SQL stores accept them. Match evaluates a parsed filter in memory.
//
// MLflow parses these strings with sqlparse; this package has its own small
// lexer that reproduces what sqlparse yields for them: identifiers with
// dotted, backquoted or double-quoted keys, single- or double-quoted string
// values, numbers, parenthesised lists, and comparisons joined by AND. Every
// error is a *tracking.Error with code INVALID_PARAMETER_VALUE and MLflow's
// message. Where MLflow is lax by accident, berth is strict and says why:
// a leading, trailing or doubled AND, or two comparisons without AND between
// them, is an error here, while MLflow ignores the extra AND or silently
// ANDs the comparisons.
package search
