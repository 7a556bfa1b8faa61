package search_test

import (
	"testing"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/search"
)

func TestParseExperimentFilter(t *testing.T) {
	runFilterTable(t, search.ParseExperimentFilter, []filterCase{
		{in: ""},
		// Conformance transcript, steps 069 and 071.
		{in: "name LIKE 'conf-%'", want: []tracking.Comparison{cmp(attr, "name", "LIKE", "conf-%")}},
		{in: "tags.team = 'ml-platform'", want: []tracking.Comparison{cmp(tag, "team", "=", "ml-platform")}},
		{in: "attribute.name = 'x' and tag.`a b` != \"y\"", want: []tracking.Comparison{
			cmp(attr, "name", "=", "x"), cmp(tag, "a b", "!=", "y")}},
		{in: "name ilike '%A%'", want: []tracking.Comparison{cmp(attr, "name", "ILIKE", "%A%")}},
		{in: "creation_time > 1700000000000 and last_update_time <= 5", want: []tracking.Comparison{
			cmp(attr, "creation_time", ">", 1.7e12), cmp(attr, "last_update_time", "<=", 5.0)}},
		// Conformance transcript, step 173: what the real server answered.
		{in: "name ~ 'x'", errSub: "Invalid comparator '~' not one of '{'!=', '=', 'ILIKE', 'IN', 'LIKE', 'NOT IN'}'"},
		{in: "attributes.name = 'x'", errSub: "Invalid entity type 'attributes'. Valid entity types are ('attribute', 'tag', 'tags')"},
		{in: "params.a = 'x'", errSub: "Invalid entity type 'params'"},
		{in: "experiment_id = '1'", errSub: "Invalid attribute key 'experiment_id' specified. Valid keys are '{'creation_time', 'last_update_time', 'name'}'"},
		{in: "name IN ('a')", errSub: "Only the 'run_id' attribute supports comparison with a list"},
		{in: "name NOT LIKE 'a'", errSub: "Invalid comparator 'NOT LIKE' not one of"},
		{in: "name = 1", errSub: "Expected a quoted string value for attributes. Got value 1"},
		{in: "creation_time = 'x'", errSub: "Expected numeric value type for numeric attribute: creation_time. Found 'x'"},
		{in: "creation_time LIKE 1", errSub: "Invalid comparator for numeric attribute: LIKE"},
		{in: "tags.a > 'x'", errSub: "Invalid comparator for tag: >"},
		{in: "tags.a = 1", errSub: "Expected a quoted string value for tag (e.g. 'my-value'). Got value 1"},
		{in: "name = 'a' or name = 'b'", errSub: "Invalid clause(s) in filter string: or"},
		{in: "name =", errSub: "Invalid clause(s) in filter string: name, ="},
		{in: "tags. = 'x'", errSub: "Invalid identifier 'tags.'"},
	})
}

func TestParseModelFilter(t *testing.T) {
	runFilterTable(t, search.ParseModelFilter, []filterCase{
		{in: ""},
		// Conformance transcript, steps 111 and 113.
		{in: "name LIKE 'iris%'", want: []tracking.Comparison{cmp(attr, "name", "LIKE", "iris%")}},
		{in: "tags.owner = 'alice'", want: []tracking.Comparison{cmp(tag, "owner", "=", "alice")}},
		{in: "name = 'a' AND tag.`k.x` ILIKE '%v%'", want: []tracking.Comparison{
			cmp(attr, "name", "=", "a"), cmp(tag, "k.x", "ILIKE", "%v%")}},
		{in: "attribute.name != \"m\"", want: []tracking.Comparison{cmp(attr, "name", "!=", "m")}},
		{in: "name like 'a_'", want: []tracking.Comparison{cmp(attr, "name", "LIKE", "a_")}},
		{in: "run_id = 'x'", errSub: "Invalid attribute key 'run_id' specified. Valid keys are '{'name'}'"},
		{in: "attribute.`name` = 'x'", errSub: "Invalid attribute key '`name`' specified"},
		{in: "model.name = 'x'", errSub: "Invalid entity type 'model'. Valid entity types are ('attribute', 'tag', 'tags')"},
		{in: "name IN ('a', 'b')", errSub: "Only the 'run_id' attribute supports comparison with a list"},
		{in: "name = 1", errSub: "Expected a quoted string value or a list of quoted string values for attributes. Got value 1"},
		{in: "name = x", errSub: "Parameter value is either not quoted"},
		{in: "tags.a = 1", errSub: "Expected a quoted string value for tag (e.g. 'my-value'). Got value 1"},
		{in: "name > 'a'", errSub: "Invalid comparator for attribute: >"},
		{in: "tags.a != 'x' and tags.b >= 'y'", errSub: "Invalid comparator for tag: >="},
		{in: "name = 'a' OR name = 'b'", errSub: "Invalid clause(s) in filter string: OR"},
		{in: "name = 'a' and", errSub: "Invalid clause(s) in filter string: AND (expected a comparison on each side of AND)"},
	})
}

func TestParseModelVersionFilter(t *testing.T) {
	runFilterTable(t, search.ParseModelVersionFilter, []filterCase{
		{in: ""},
		// Conformance transcript, steps 114 to 116.
		{in: "name='iris-conf'", want: []tracking.Comparison{cmp(attr, "name", "=", "iris-conf")}},
		{in: "name='iris-conf' and tag.validated = 'true'", want: []tracking.Comparison{
			cmp(attr, "name", "=", "iris-conf"), cmp(tag, "validated", "=", "true")}},
		{in: "run_id = '14bbc53d820c4dee8fa5717fb99e2b3d'", want: []tracking.Comparison{
			cmp(attr, "run_id", "=", "14bbc53d820c4dee8fa5717fb99e2b3d")}},
		{in: "run_id IN ('ab', 'CD', 'ef')", want: []tracking.Comparison{cmp(attr, "run_id", "IN", []string{"ab", "ef"})}},
		{in: "source_path LIKE 'mlflow-artifacts:/%'", want: []tracking.Comparison{
			cmp(attr, "source_path", "LIKE", "mlflow-artifacts:/%")}},
		{in: "version_number >= 2 and version_number != 5", want: []tracking.Comparison{
			cmp(attr, "version_number", ">=", 2.0), cmp(attr, "version_number", "!=", 5.0)}},
		{in: "version_number = '3'", want: []tracking.Comparison{cmp(attr, "version_number", "=", 3.0)}},
		{in: "tags.`a b` like 'x%'", want: []tracking.Comparison{cmp(tag, "a b", "LIKE", "x%")}},
		{in: "version_number = 'x'", errSub: "Invalid value 'x' for attribute version_number: expected an integer."},
		{in: "version = 1", errSub: "Invalid attribute key 'version' specified. Valid keys are '{'name', 'run_id', 'source_path', 'version_number'}'"},
		{in: "current_stage = 'Production'", errSub: "Invalid attribute key 'current_stage'"},
		{in: "name = 1", errSub: "Only the '{'creation_timestamp', 'last_updated_timestamp', 'version_number'}' attributes support comparison with numeric values."},
		{in: "name IN ('a')", errSub: "Only the 'run_id' attribute supports comparison with a list"},
		{in: "run_id NOT IN ('a')", errSub: "Invalid comparator for attribute: NOT IN"},
		{in: "version_number LIKE '2'", errSub: "Invalid comparator for attribute version_number: LIKE"},
		{in: "name > 'a'", errSub: "Invalid comparator for attribute: >"},
		{in: "tags.a > 'x'", errSub: "Invalid comparator for tag: >"},
		{in: "name = NULL", errSub: "Expected a quoted string value or a list of quoted string values for attributes. Got value NULL"},
		{in: "params.a = 'x'", errSub: "Invalid entity type 'params'"},
		{in: "tag.`` = 'x'", errSub: "Invalid identifier 'tag.``'"},
	})
}
