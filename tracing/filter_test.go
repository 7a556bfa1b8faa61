package tracing_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/berthml/berth/tracing"
	"github.com/berthml/berth/tracking"
)

func TestParseFilter(t *testing.T) {
	tests := []struct {
		in   string
		want []tracing.Condition
		err  string // a fragment of the message; "" for success
	}{
		{in: "", want: nil},
		{in: "trace.status = 'OK'", want: []tracing.Condition{{Entity: "attribute", Key: "status", Op: "=", Value: "OK"}}},
		{in: "attributes.state != \"ERROR\"", want: []tracing.Condition{{Entity: "attribute", Key: "status", Op: "!=", Value: "ERROR"}}},
		{in: "tags.env = 'test'", want: []tracing.Condition{{Entity: "tag", Key: "env", Op: "=", Value: "test"}}},
		{in: "tag.`mlflow.traceName` LIKE 'pipe%'", want: []tracing.Condition{{Entity: "tag", Key: "mlflow.traceName", Op: "LIKE", Value: "pipe%"}}},
		{in: "attribute.run_id = 'e4de'", want: []tracing.Condition{{Entity: "attribute", Key: "run_id", Op: "=", Value: "e4de"}}},
		{in: "timestamp_ms > 5", err: "Invalid identifier"},
		{in: "trace.timestamp_ms > 1700000000000 and trace.execution_time_ms <= 20",
			want: []tracing.Condition{{Entity: "attribute", Key: "timestamp_ms", Op: ">", Number: 1700000000000},
				{Entity: "attribute", Key: "execution_time_ms", Op: "<=", Number: 20}}},
		{in: "metadata.`mlflow.sourceRun` = 'r1'", want: []tracing.Condition{{Entity: "request_metadata", Key: "mlflow.sourceRun", Op: "=", Value: "r1"}}},
		{in: "trace.status IN ('OK', 'ERROR')", want: []tracing.Condition{{Entity: "attribute", Key: "status", Op: "IN", Values: []string{"OK", "ERROR"}}}},
		{in: "trace.status NOT IN ('OK')", want: []tracing.Condition{{Entity: "attribute", Key: "status", Op: "NOT IN", Values: []string{"OK"}}}},
		{in: "span.name = 'llm'", want: []tracing.Condition{{Entity: "span", Key: "name", Op: "=", Value: "llm"}}},
		{in: "feedback.correct = true", want: []tracing.Condition{{Entity: "feedback", Key: "correct", Op: "=", Value: "true"}}},
		{in: "tags.a = 'it''s'", want: []tracing.Condition{{Entity: "tag", Key: "a", Op: "=", Value: "it's"}}},
		{in: "tag.`` LIKE ''", err: "the key is empty"},
		{in: "foo.bar = 1", err: "Invalid entity type 'foo'"},
		{in: "trace.status >>> 'OK'", err: "Invalid comparator"},
		{in: "trace.nope = 'x'", err: "Invalid attribute key"},
		{in: "trace.timestamp_ms > 'x'", err: "expected a number"},
		{in: "trace.timestamp_ms LIKE 5", err: "Invalid comparator"},
		{in: "tags.env = 'test' tags.b = 'c'", err: "expected AND"},
		{in: "tags.env = 'test' AND", err: "expected an identifier"},
		{in: "tags.env = 'test", err: "unterminated string"},
		{in: "tags.env =", err: "expected a value"},
		{in: "tags.env IN ('a')", err: "Invalid comparator"},
		{in: "tags.env = 5", err: "expected a quoted string"},
		{in: "trace.status IN 'OK'", err: "parenthesised list"},
		{in: "span.foo = 'x'", err: "Invalid span key"},
		{in: "span.attributes.model = 'gpt-4o'", want: []tracing.Condition{{Entity: "span_attribute", Key: "model", Op: "=", Value: "gpt-4o"}}},
		{in: "span.attributes.`mlflow.spanType` != 'LLM'", want: []tracing.Condition{{Entity: "span_attribute", Key: "mlflow.spanType", Op: "!=", Value: "LLM"}}},
		{in: "span.attributes.mlflow.spanInputs LIKE '%species%'", want: []tracing.Condition{{Entity: "span_attribute", Key: "mlflow.spanInputs", Op: "LIKE", Value: "%species%"}}},
		{in: "span.attributes.user ILIKE 'ALI%'", want: []tracing.Condition{{Entity: "span_attribute", Key: "user", Op: "ILIKE", Value: "ALI%"}}},
		{in: "span.attributes.tokens = 12", want: []tracing.Condition{{Entity: "span_attribute", Key: "tokens", Op: "=", Value: "12"}}},
		{in: "span.attributes.tokens > 12", err: "Invalid comparator"},
		{in: "span.attributes.model IN ('a')", err: "Invalid comparator"},
		{in: "span.attributes.tokens LIKE 12", err: "expected a quoted string"},
		{in: "span.attributes.`` = 'x'", err: "the key is empty"},
		{in: "span.attributes. = 'x'", err: "the key is empty"},
		{in: "tags.env ! 'x'", err: "'!' must be followed"},
		{in: "tags.x = 'a' ; drop", err: "unexpected character"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := tracing.ParseFilter(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseFilter(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.err)
				}
				if tracking.CodeOf(err) != tracking.CodeInvalidParameterValue {
					t.Fatalf("error code %s, want INVALID_PARAMETER_VALUE", tracking.CodeOf(err))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseFilter(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseOrderBy(t *testing.T) {
	tests := []struct {
		in   []string
		want []tracing.Order
		bad  bool
	}{
		{in: nil, want: []tracing.Order{{Key: "timestamp_ms"}}},
		{in: []string{"timestamp_ms DESC"}, want: []tracing.Order{{Key: "timestamp_ms"}}},
		{in: []string{"timestamp_ms ASC"}, want: []tracing.Order{{Key: "timestamp_ms", Ascending: true}}},
		{in: []string{"attribute.execution_time_ms", "name desc"}, want: []tracing.Order{{Key: "execution_time_ms", Ascending: true}, {Key: "name"}}},
		{in: []string{"tags.x"}, bad: true},
		{in: []string{"bogus"}, bad: true},
		{in: []string{"timestamp_ms sideways"}, bad: true},
		{in: []string{""}, bad: true},
	}
	for _, tt := range tests {
		got, err := tracing.ParseOrderBy(tt.in)
		if tt.bad {
			var te *tracking.Error
			if !errors.As(err, &te) {
				t.Errorf("ParseOrderBy(%q) = %v, %v; want an error", tt.in, got, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseOrderBy(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// FuzzParseFilter: any string either parses or is INVALID_PARAMETER_VALUE,
// never a panic or another kind of error.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"trace.status = 'OK'", "tags.env = 'test' AND trace.timestamp_ms > 5",
		"trace.status IN ('a', 'b')", "tag.`x` LIKE '%'", "foo.bar = 1", "feedback.a = 1",
		"span.attributes.`mlflow.spanInputs` LIKE '%x%'", "span.attributes.n = 3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := tracing.ParseFilter(s)
		if err != nil {
			if tracking.CodeOf(err) != tracking.CodeInvalidParameterValue {
				t.Fatalf("ParseFilter(%q): %v is not INVALID_PARAMETER_VALUE", s, err)
			}
			return
		}
		for _, c := range cs {
			if c.Entity == "" || c.Key == "" || c.Op == "" {
				t.Fatalf("ParseFilter(%q) gave an incomplete condition %#v", s, c)
			}
		}
	})
}
