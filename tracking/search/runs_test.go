package search_test

import (
	"math"
	"testing"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/search"
)

const (
	metric = tracking.KindMetric
	param  = tracking.KindParam
	tag    = tracking.KindTag
	attr   = tracking.KindAttribute
	ds     = tracking.KindDataset
)

func TestParseRunFilterValid(t *testing.T) {
	runFilterTable(t, search.ParseRunFilter, []filterCase{
		{in: ""},
		{in: "   "},
		// The filters the real MLflow client sent (conformance transcript).
		{in: "metrics.acc > 0.5 and params.lr = '0.1'", want: []tracking.Comparison{
			cmp(metric, "acc", ">", 0.5), cmp(param, "lr", "=", "0.1")}},
		{in: "tags.kind = 'broken' and attributes.status = 'FAILED'", want: []tracking.Comparison{
			cmp(tag, "kind", "=", "broken"), cmp(attr, "status", "=", "FAILED")}},
		{in: "params.lr LIKE '0.%'", want: []tracking.Comparison{cmp(param, "lr", "LIKE", "0.%")}},
		// Entity spellings.
		{in: "metric.a = 1", want: []tracking.Comparison{cmp(metric, "a", "=", 1.0)}},
		{in: "param.a = 'x'", want: []tracking.Comparison{cmp(param, "a", "=", "x")}},
		{in: "parameter.a = 'x'", want: []tracking.Comparison{cmp(param, "a", "=", "x")}},
		{in: "parameters.a != 'x'", want: []tracking.Comparison{cmp(param, "a", "!=", "x")}},
		{in: "tag.a = 'x'", want: []tracking.Comparison{cmp(tag, "a", "=", "x")}},
		{in: "attribute.run_id = 'abc'", want: []tracking.Comparison{cmp(attr, "run_id", "=", "abc")}},
		{in: "attr.user_id = 'bob'", want: []tracking.Comparison{cmp(attr, "user_id", "=", "bob")}},
		{in: "run.artifact_uri LIKE 's3://%'", want: []tracking.Comparison{cmp(attr, "artifact_uri", "LIKE", "s3://%")}},
		{in: "status = 'RUNNING'", want: []tracking.Comparison{cmp(attr, "status", "=", "RUNNING")}},
		{in: "`metrics`.acc < 1", want: []tracking.Comparison{cmp(metric, "acc", "<", 1.0)}},
		{in: "dataset.name = 'iris'", want: []tracking.Comparison{cmp(ds, "name", "=", "iris")}},
		{in: "datasets.digest != 'abc'", want: []tracking.Comparison{cmp(ds, "digest", "!=", "abc")}},
		{in: "datasets.context ILIKE 'train%'", want: []tracking.Comparison{cmp(ds, "context", "ILIKE", "train%")}},
		// Quoted and dotted keys.
		{in: "metrics.`my key` >= 2", want: []tracking.Comparison{cmp(metric, "my key", ">=", 2.0)}},
		{in: `tags."a b" = 'x'`, want: []tracking.Comparison{cmp(tag, "a b", "=", "x")}},
		{in: "params.'lr' = 'x'", want: []tracking.Comparison{cmp(param, "lr", "=", "x")}},
		{in: "tags.`mlflow.runName` = 'r'", want: []tracking.Comparison{cmp(tag, "mlflow.runName", "=", "r")}},
		{in: "tags.mlflow.source.name = 'r'", want: []tracking.Comparison{cmp(tag, "mlflow.source.name", "=", "r")}},
		{in: "metrics.loss_2$x#y <= 3", want: []tracking.Comparison{cmp(metric, "loss_2$x#y", "<=", 3.0)}},
		{in: "metrics.über > 1", want: []tracking.Comparison{cmp(metric, "über", ">", 1.0)}},
		// Values.
		{in: `params.a = "x y"`, want: []tracking.Comparison{cmp(param, "a", "=", "x y")}},
		{in: "params.a = ''", want: []tracking.Comparison{cmp(param, "a", "=", "")}},
		{in: "params.a = 'it''s'", want: []tracking.Comparison{cmp(param, "a", "=", "it''s")}},
		{in: `params.a = 'a\'b'`, want: []tracking.Comparison{cmp(param, "a", "=", `a\'b`)}},
		{in: "params.a = 'and or ; ( )'", want: []tracking.Comparison{cmp(param, "a", "=", "and or ; ( )")}},
		{in: "metrics.a > -1", want: []tracking.Comparison{cmp(metric, "a", ">", -1.0)}},
		{in: "metrics.a>-1.5", want: []tracking.Comparison{cmp(metric, "a", ">", -1.5)}},
		{in: "metrics.a = .5", want: []tracking.Comparison{cmp(metric, "a", "=", 0.5)}},
		{in: "metrics.a = 5.", want: []tracking.Comparison{cmp(metric, "a", "=", 5.0)}},
		{in: "metrics.a = 1e3", want: []tracking.Comparison{cmp(metric, "a", "=", 1000.0)}},
		{in: "metrics.a = 2.5E-2", want: []tracking.Comparison{cmp(metric, "a", "=", 0.025)}},
		// Numeric attributes and aliases.
		{in: "attributes.start_time >= 1700000000000", want: []tracking.Comparison{cmp(attr, "start_time", ">=", 1.7e12)}},
		{in: "end_time < 5", want: []tracking.Comparison{cmp(attr, "end_time", "<", 5.0)}},
		{in: "created > 5", want: []tracking.Comparison{cmp(attr, "start_time", ">", 5.0)}},
		{in: "attributes.Created > 5", want: []tracking.Comparison{cmp(attr, "start_time", ">", 5.0)}},
		{in: "attributes.`Run name` = 'r'", want: []tracking.Comparison{cmp(attr, "run_name", "=", "r")}},
		{in: "attributes.run_name ILIKE '%conf%'", want: []tracking.Comparison{cmp(attr, "run_name", "ILIKE", "%conf%")}},
		// Operators are case-insensitive; AND too.
		{in: "params.a like 'x%' AnD tags.b iLike 'Y'", want: []tracking.Comparison{
			cmp(param, "a", "LIKE", "x%"), cmp(tag, "b", "ILIKE", "Y")}},
		{in: "metrics.a=1 and metrics.b!=2 and metrics.c<3", want: []tracking.Comparison{
			cmp(metric, "a", "=", 1.0), cmp(metric, "b", "!=", 2.0), cmp(metric, "c", "<", 3.0)}},
		{in: "\tmetrics.a = 1\nAND\n params.b = 'x'  ", want: []tracking.Comparison{
			cmp(metric, "a", "=", 1.0), cmp(param, "b", "=", "x")}},
		// Lists.
		{in: "attributes.run_id IN ('abc', 'def')", want: []tracking.Comparison{
			cmp(attr, "run_id", "IN", []string{"abc", "def"})}},
		{in: "run_id in ('abc')", want: []tracking.Comparison{cmp(attr, "run_id", "IN", []string{"abc"})}},
		{in: "run_id NOT IN ( 'abc' , 'def' )", want: []tracking.Comparison{
			cmp(attr, "run_id", "NOT IN", []string{"abc", "def"})}},
		{in: "run_id not  in ('abc')", want: []tracking.Comparison{cmp(attr, "run_id", "NOT IN", []string{"abc"})}},
		// MLflow drops run ids that are not lower case (str.islower).
		{in: "run_id IN ('abc', 'ABC', '123', 'a1')", want: []tracking.Comparison{
			cmp(attr, "run_id", "IN", []string{"abc", "a1"})}},
		{in: "run_id IN ('ABC')", want: []tracking.Comparison{cmp(attr, "run_id", "IN", []string{})}},
		// List items are Python literals.
		{in: `run_id IN ('a\nb', 'it''s', '\x61')`, want: []tracking.Comparison{
			cmp(attr, "run_id", "IN", []string{"a\nb", "its", "a"})}},
		{in: `run_id IN ('\141\u0062\U00000063\q\
d')`, want: []tracking.Comparison{cmp(attr, "run_id", "IN", []string{`abc\qd`})}},
		{in: "metrics.a = 1e999", want: []tracking.Comparison{cmp(metric, "a", "=", math.Inf(1))}},
		{in: "metrics.a = -.5", want: []tracking.Comparison{cmp(metric, "a", "=", -0.5)}},
		{in: "datasets.name IN ('Iris', 'wine')", want: []tracking.Comparison{
			cmp(ds, "name", "IN", []string{"Iris", "wine"})}},
		{in: "datasets.context NOT IN ('eval')", want: []tracking.Comparison{
			cmp(ds, "context", "NOT IN", []string{"eval"})}},
	})
}

func TestParseRunFilterInvalid(t *testing.T) {
	runFilterTable(t, search.ParseRunFilter, []filterCase{
		// What the real server answered (conformance transcript, step 067).
		{in: "metrics.acc >", errSub: "Invalid clause(s) in filter string: 'metrics.acc', '>'"},
		// Only AND.
		{in: "metrics.a > 1 OR metrics.b < 2", errSub: "Invalid clause(s) in filter string: 'OR'"},
		{in: "metrics.a > 1 or params.b = 'x'", errSub: "Invalid clause(s) in filter string: 'or'"},
		{in: "(metrics.a > 1)", errSub: "Invalid clause(s) in filter string: '(metrics.a > 1)'"},
		{in: "NOT metrics.a > 1", errSub: "Invalid clause(s) in filter string: 'NOT'"},
		{in: "metrics.a > 1 and", errSub: "'AND' (expected a comparison on each side of AND)"},
		{in: "and metrics.a > 1", errSub: "'AND' (expected a comparison on each side of AND)"},
		{in: "metrics.a > 1 and and metrics.b > 1", errSub: "expected a comparison on each side of AND"},
		{in: "and", errSub: "expected a comparison on each side of AND"},
		{in: "metrics.a > 1 metrics.b > 1", errSub: "'metrics.b > 1' (expected AND between comparisons)"},
		{in: "metrics.a > 1; metrics.b > 1", errSub: "Search filter contained multiple expression"},
		{in: "metrics.a > 1;", errSub: "Invalid clause(s) in filter string: ';'"},
		{in: "metrics.a > 1, metrics.b > 1", errSub: "Invalid clause(s) in filter string: ','"},
		// Missing pieces.
		{in: "metrics.acc 0.5", errSub: "Invalid clause(s) in filter string: 'metrics.acc', '0.5'"},
		{in: "metrics.acc", errSub: "Invalid clause(s) in filter string: 'metrics.acc'"},
		{in: "> 1", errSub: "Invalid clause(s) in filter string: '>', '1'"},
		{in: "'x'", errSub: "Invalid clause(s) in filter string: ''x''"},
		{in: "metrics.a > 1 + 2", errSub: "Invalid clause(s) in filter string: '+', '2'"},
		{in: "tags.a IS NULL", errSub: "Invalid clause(s) in filter string: 'tags.a', 'IS', 'NULL'"},
		{in: "tags.a IS NOT NULL", errSub: "'IS', 'NOT', 'NULL'"},
		// Unbalanced quotes and parentheses.
		{in: "params.a = 'abc", errSub: "Invalid clause(s) in filter string: 'params.a', '=', ''', 'abc'"},
		{in: `params.a = "abc`, errSub: `Invalid clause(s) in filter string: 'params.a', '=', '"', 'abc'`},
		{in: "tags.`a = 'x'", errSub: "Invalid clause(s)"},
		{in: "run_id IN ('a', 'b'", errSub: "Invalid clause(s) in filter string: 'run_id', 'IN', '('"},
		{in: "metrics.a > 1)", errSub: "Invalid clause(s) in filter string: ')'"},
		// Identifiers.
		{in: "foo.a = 1", errSub: "Invalid entity type 'foo'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']"},
		{in: "Metrics.a = 1", errSub: "Invalid entity type 'Metrics'"},
		{in: "attributes.foo = 'x'", errSub: "Invalid attribute key 'foo' specified. Valid keys are '{"},
		{in: "lifecycle_stage = 'active'", errSub: "Invalid attribute key 'lifecycle_stage'"},
		{in: "experiment_id = '1'", errSub: "Invalid attribute key 'experiment_id'"},
		{in: "datasets.schema = 'x'", errSub: "Invalid dataset key 'schema' specified. Valid keys are '{'context', 'digest', 'name'}'"},
		{in: "metrics. = 1", errSub: "Invalid identifier 'metrics.'"},
		{in: "1 = metrics.a", errSub: "Invalid comparison clause. Expected 'Identifier' found '1'"},
		{in: "'x' = params.a", errSub: "Expected 'Identifier' found ''x''"},
		// Values.
		{in: "params.a = abc", errSub: "Parameter value is either not quoted or unidentified quote types used for string value abc. Use either single or double quotes."},
		{in: "params.a = params.b", errSub: "string value params.b"},
		{in: "tags.a = `x`", errSub: "string value `x`"},
		{in: "params.a = 1", errSub: "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 1"},
		{in: "tags.a = 1", errSub: "Expected a quoted string value for tag (e.g. 'my-value'). Got value 1"},
		{in: "tags.a = NULL", errSub: "Expected a quoted string value for tag (e.g. 'my-value'). Got value NULL"},
		{in: "metrics.a = '1'", errSub: "Expected numeric value type for metric. Found '1'"},
		{in: "metrics.a = x", errSub: "Expected numeric value type for metric. Found x"},
		{in: "metrics.a = 0x1F", errSub: "Expected numeric value type for metric. Found 0x1F"},
		{in: "start_time > '5'", errSub: "Expected numeric value type for numeric attribute: start_time. Found '5'"},
		{in: "status = 1", errSub: "Expected a quoted string value for attributes. Got value 1"},
		{in: "datasets.name = 1", errSub: "Expected a quoted string value for dataset attributes. Got value 1"},
		// Operators per kind.
		{in: "metrics.a LIKE 1", errSub: "Invalid comparator 'LIKE' not one of '{'!=', '<', '<=', '=', '>', '>='}'"},
		{in: "metrics.a == 1", errSub: "Invalid comparator '==' not one of"},
		{in: "metrics.a <> 1", errSub: "Invalid comparator '<>' not one of"},
		{in: "metrics.a ~ 1", errSub: "Invalid comparator '~' not one of"},
		{in: "params.a > '1'", errSub: "Invalid comparator '>' not one of '{'!=', '=', 'ILIKE', 'LIKE'}'"},
		{in: "tags.a <= 'x'", errSub: "Invalid comparator '<=' not one of"},
		{in: "params.a NOT LIKE 'x'", errSub: "Invalid comparator 'NOT LIKE' not one of"},
		{in: "params.a RLIKE 'x'", errSub: "Invalid comparator 'RLIKE' not one of"},
		{in: "status > 'x'", errSub: "Invalid comparator '>' not one of '{'!=', '=', 'ILIKE', 'IN', 'LIKE', 'NOT IN'}'"},
		{in: "start_time LIKE 5", errSub: "Invalid comparator 'LIKE' not one of"},
		{in: "datasets.name > 'x'", errSub: "Invalid comparator '>' not one of"},
		// The comparator is checked after every value, as MLflow's store does.
		{in: "params.a > 'x' and metrics.b = 'y'", errSub: "Expected numeric value type for metric"},
		// Lists.
		{in: "status IN ('A')", errSub: "Only the 'run_id' attribute supports comparison with a list of quoted string values."},
		{in: "run_name IN ('a')", errSub: "Only the 'run_id' attribute"},
		{in: "params.a IN ('x')", errSub: "Expected a quoted string value for parameter (e.g. 'my-value'). Got value ('x')"},
		{in: "metrics.a IN (1, 2)", errSub: "Expected numeric value type for metric. Found (1, 2)"},
		{in: "run_id IN ()", errSub: "expected a non-empty list of string values, but got empty list"},
		{in: "run_id IN (1)", errSub: "but got ill-formed list."},
		{in: `run_id IN ("a")`, errSub: "but got ill-formed list."},
		{in: "run_id IN ('a',)", errSub: "but got ill-formed list."},
		{in: "run_id IN (,'a')", errSub: "but got ill-formed list."},
		{in: "run_id IN ('a' 'b')", errSub: "but got ill-formed list."},
		{in: "run_id IN ('a', 1)", errSub: "expected string value, punctuation, or whitespace, but got different type in list: ('a', 1)"},
		{in: `run_id IN ('a', "b")`, errSub: "but got different type in list"},
		{in: `run_id IN ('\x4')`, errSub: "but got ill-formed list."},
		{in: `run_id IN ('\u12')`, errSub: "but got ill-formed list."},
		{in: `run_id IN ('\U00110000')`, errSub: "but got ill-formed list."},
		{in: "run_id IN 'a'", errSub: "Invalid clause(s) in filter string: 'run_id', 'IN', ''a''"},
		{in: "metrics.a IN 1", errSub: "Invalid clause(s)"},
		{in: "run_id = ('a')", errSub: "Invalid comparator '=' for a list of values. Use IN or NOT IN."},
		{in: "datasets.name LIKE ('a')", errSub: "Invalid comparator 'LIKE' for a list of values"},
	})
}
