package search_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/search"
)

// orderCase is one row of an order_by table.
type orderCase struct {
	in     []string
	want   []tracking.OrderBy
	errSub string
}

func ob(kind, key string, asc bool) tracking.OrderBy {
	return tracking.OrderBy{Kind: kind, Key: key, Asc: asc}
}

func runOrderTable(t *testing.T, parse func([]string) ([]tracking.OrderBy, error), cases []orderCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(strings.Join(tc.in, "|"), func(t *testing.T) {
			got, err := parse(tc.in)
			if tc.errSub != "" {
				wantInvalid(t, err, tc.errSub)
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(got) == 0 && len(tc.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseRunOrderBy(t *testing.T) {
	runOrderTable(t, search.ParseRunOrderBy, []orderCase{
		{in: nil},
		// Conformance transcript, steps 061, 063 and 066.
		{in: []string{"metrics.acc DESC"}, want: []tracking.OrderBy{ob(metric, "acc", false)}},
		{in: []string{"attributes.start_time ASC"}, want: []tracking.OrderBy{ob(attr, "start_time", true)}},
		{in: []string{"params.lr"}, want: []tracking.OrderBy{ob(param, "lr", true)}},
		{in: []string{"tags.`a b` desc", "metric.x asc", "run_name", " end_time  Desc "}, want: []tracking.OrderBy{
			ob(tag, "a b", false), ob(metric, "x", true), ob(attr, "run_name", true), ob(attr, "end_time", false)}},
		{in: []string{`tags."mlflow.runName" DESC`}, want: []tracking.OrderBy{ob(tag, "mlflow.runName", false)}},
		{in: []string{"tags.mlflow.user"}, want: []tracking.OrderBy{ob(tag, "mlflow.user", true)}},
		{in: []string{"created DESC"}, want: []tracking.OrderBy{ob(attr, "start_time", false)}},
		{in: []string{"attr.status", "run.user_id", "artifact_uri", "run_id"}, want: []tracking.OrderBy{
			ob(attr, "status", true), ob(attr, "user_id", true), ob(attr, "artifact_uri", true), ob(attr, "run_id", true)}},
		{in: []string{""}, errSub: "Invalid order_by clause ''. Could not be parsed."},
		{in: []string{"metrics.acc DESC extra"}, errSub: "Invalid order_by clause 'metrics.acc DESC extra'. Could not be parsed."},
		{in: []string{"metrics.acc, params.b"}, errSub: "Could not be parsed."},
		{in: []string{"metrics.acc 1"}, errSub: "Could not be parsed."},
		{in: []string{"'metrics.acc'"}, errSub: "Could not be parsed."},
		{in: []string{"metrics.acc UP"}, errSub: "Invalid ordering key in order_by clause 'metrics.acc UP'."},
		{in: []string{"foo.acc"}, errSub: "Invalid entity type 'foo'"},
		{in: []string{"attributes.`run name`"}, errSub: "Invalid attribute key 'run name' specified"},
		{in: []string{"lifecycle_stage"}, errSub: "Invalid attribute key 'lifecycle_stage'"},
		{in: []string{"datasets.name"}, errSub: "Invalid identifier type 'dataset'"},
		{in: []string{"metrics.acc", "metric.acc DESC"}, errSub: "`order_by` contains duplicate fields: ['metrics.acc', 'metric.acc DESC']"},
		{in: []string{"created", "start_time"}, errSub: "`order_by` contains duplicate fields"},
	})
}

func TestParseExperimentOrderBy(t *testing.T) {
	runOrderTable(t, search.ParseExperimentOrderBy, []orderCase{
		// Conformance transcript, step 069.
		{in: []string{"name DESC"}, want: []tracking.OrderBy{ob(attr, "name", false)}},
		{in: []string{"attribute.creation_time", "experiment_id asc", "last_update_time DESC"}, want: []tracking.OrderBy{
			ob(attr, "creation_time", true), ob(attr, "experiment_id", true), ob(attr, "last_update_time", false)}},
		{in: []string{"tags.a"}, errSub: "Invalid order_by entity: tag"},
		{in: []string{"attributes.name"}, errSub: "Invalid entity type 'attributes'"},
		{in: []string{"artifact_location"}, errSub: "Invalid attribute key 'artifact_location' specified. Valid keys are '{'creation_time', 'experiment_id', 'last_update_time', 'name'}'"},
		{in: []string{"name sideways"}, errSub: "Invalid ordering key"},
	})
}

func TestParseModelOrderBy(t *testing.T) {
	runOrderTable(t, search.ParseModelOrderBy, []orderCase{
		// Conformance transcript, step 112.
		{in: []string{"name DESC"}, want: []tracking.OrderBy{ob(attr, "name", false)}},
		{in: []string{"timestamp DESC", "name"}, want: []tracking.OrderBy{
			ob(attr, "last_updated_timestamp", false), ob(attr, "name", true)}},
		{in: []string{"last_updated_timestamp", "creation_timestamp desc"}, want: []tracking.OrderBy{
			ob(attr, "last_updated_timestamp", true), ob(attr, "creation_timestamp", false)}},
		{in: []string{"timestamp", "last_updated_timestamp"}, errSub: "`order_by` contains duplicate fields"},
		{in: []string{"version"}, errSub: "Invalid order by key 'version' specified. Valid keys are '{"},
		{in: []string{"tags.a"}, errSub: "Invalid order by key 'tags.a' specified"},
		{in: []string{"name ASC DESC"}, errSub: "Could not be parsed."},
	})
}

func TestParseModelVersionOrderBy(t *testing.T) {
	runOrderTable(t, search.ParseModelVersionOrderBy, []orderCase{
		// Conformance transcript, step 116.
		{in: []string{"version_number DESC"}, want: []tracking.OrderBy{ob(attr, "version_number", false)}},
		{in: []string{"name", "attribute.creation_timestamp DESC", "last_updated_timestamp"}, want: []tracking.OrderBy{
			ob(attr, "name", true), ob(attr, "creation_timestamp", false), ob(attr, "last_updated_timestamp", true)}},
		{in: []string{"run_id"}, errSub: "Invalid attribute key 'run_id' specified. Valid keys are '{'creation_timestamp', 'last_updated_timestamp', 'name', 'version_number'}'"},
		{in: []string{"tag.a"}, errSub: "Invalid order_by entity: tag"},
		{in: []string{"name", "name DESC"}, errSub: "`order_by` contains duplicate fields"},
	})
}
