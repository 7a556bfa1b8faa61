package tracking_test

import (
	"errors"
	"math"
	"net/url"
	"strings"
	"testing"

	"github.com/berthml/berth/tracking"
)

func TestValidateKey(t *testing.T) {
	tests := []struct {
		key     string
		wantErr string // substring; "" means valid
	}{
		{key: "lr"},
		{key: "model/depth"},
		{key: "a b.c-d_e:f"},
		{key: "ünïcode"},
		{key: "bad key!", wantErr: `Invalid value "bad key!" for parameter 'key' supplied: Names may only contain`},
		{key: "../escape", wantErr: "This name would resolve to '../escape'"},
		{key: "/abs", wantErr: "This name would resolve to '/abs'"},
		{key: "a//b", wantErr: "This name would resolve to 'a/b'"},
		{key: "a/", wantErr: "resolve to 'a'"},
		{key: "", wantErr: "resolve to '.'"},
		{key: strings.Repeat("k", 250)},
		{key: strings.Repeat("k", 251), wantErr: "had length 251, which exceeded length limit of 250"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			err := tracking.ValidateKey("Param key", tt.key)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateKey(%q) = %v", tt.key, err)
				}
				return
			}
			if !errors.Is(err, tracking.ErrInvalidParameter) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ValidateKey(%q) = %v, want INVALID_PARAMETER_VALUE containing %q", tt.key, err, tt.wantErr)
			}
		})
	}
}

func TestValidateParamTruncates(t *testing.T) {
	p, err := tracking.ValidateParam(tracking.Param{Key: "k", Value: strings.Repeat("x", 7000)})
	if err != nil || len(p.Value) != tracking.MaxParamValueLength {
		t.Fatalf("ValidateParam = %d chars, %v", len(p.Value), err)
	}
}

func TestValidateMetricClampsInfinity(t *testing.T) {
	tests := []struct {
		in, want float64
	}{{math.Inf(1), math.MaxFloat64}, {math.Inf(-1), -math.MaxFloat64}, {1.5, 1.5}}
	for _, tt := range tests {
		m, err := tracking.ValidateMetric(tracking.Metric{Key: "m", Value: tt.in})
		if err != nil || m.Value != tt.want {
			t.Errorf("ValidateMetric(%v) = %v, %v; want %v", tt.in, m.Value, err, tt.want)
		}
	}
	if _, err := tracking.ValidateMetric(tracking.Metric{Key: "m", Timestamp: -1}); !errors.Is(err, tracking.ErrInvalidParameter) {
		t.Errorf("negative timestamp: %v", err)
	}
}

func TestValidateAlias(t *testing.T) {
	tests := []struct {
		alias string
		msg   string
	}{
		{alias: "champion"},
		{alias: "prod-2_b"},
		{alias: "v1x"},
		{alias: "latest", msg: "'latest' alias name (case insensitive) is reserved."},
		{alias: "LaTeSt", msg: "'latest' alias name (case insensitive) is reserved."},
		{alias: "v1", msg: "Version alias name 'v1' is reserved."},
		{alias: "V42", msg: "Version alias name 'V42' is reserved."},
		{alias: "", msg: "Registered model alias name cannot be empty."},
		{alias: "a b", msg: "Invalid alias name: 'a b'. Names may only contain alphanumerics, underscores (_), and dashes (-)."},
		{alias: strings.Repeat("a", 256), msg: "Registered model alias name '" + strings.Repeat("a", 250) + "' had length 256, which exceeded length limit of 255"},
	}
	for _, tt := range tests {
		t.Run(tt.alias, func(t *testing.T) {
			err := tracking.ValidateAlias(tt.alias)
			if tt.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var te *tracking.Error
			if !errors.As(err, &te) || te.Code != tracking.CodeInvalidParameterValue || te.Message != tt.msg {
				t.Fatalf("ValidateAlias(%q) = %v, want %q", tt.alias, err, tt.msg)
			}
		})
	}
}

func TestValidateModelVersionSource(t *testing.T) {
	tests := []struct {
		source string
		ok     bool
	}{
		{"mlflow-artifacts:/1/abc/artifacts/model", true},
		{"runs:/abc/model", true},
		{"s3://bucket/m", true},
		{"models:/m/1", true},
		{"/etc", false},
		{"file:///tmp/x", false},
		{"relative/path", false},
		{`C:\models\m`, false},
		// Relative references, as MLflow's _validate_source refuses them.
		{"runs:/abc/../../../../etc", false},
		{"runs:/abc/./model", false},
		{"mlflow-artifacts:/1/abc/artifacts/../../x", false},
		{"mlflow-artifacts://host:5000/..%2f..%2fetc", false},
		{"mlflow-artifacts:/%252e%252e/x", false},
		{"http://host/api/2.0/mlflow-artifacts/artifacts/..", false},
		{"s3://bucket/a/%00", false},
		{`s3://bucket/a\..\b`, false},
		{"s3://bucket/a..b/model.v1", true},
		{"runs:/abc/model/", true},
	}
	for _, tt := range tests {
		err := tracking.ValidateModelVersionSource(tt.source)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateModelVersionSource(%q) = %v, want ok=%v", tt.source, err, tt.ok)
		}
	}
}

func TestBatchLimits(t *testing.T) {
	tests := []struct {
		m, p, tg int
		ok       bool
	}{
		{1000, 0, 0, true}, {1001, 0, 0, false}, {0, 100, 100, true}, {0, 101, 0, false},
		{0, 0, 101, false}, {900, 100, 1, false},
	}
	for _, tt := range tests {
		if err := tracking.ValidateBatchLimits(tt.m, tt.p, tt.tg); (err == nil) != tt.ok {
			t.Errorf("ValidateBatchLimits(%d, %d, %d) = %v", tt.m, tt.p, tt.tg, err)
		}
	}
	err := tracking.ValidateParamKeysUnique([]tracking.Param{{Key: "p"}, {Key: "q"}, {Key: "p"}})
	want := "Duplicate parameter keys have been submitted: ['p']. Please ensure the request contains only one param value per param key."
	var te *tracking.Error
	if !errors.As(err, &te) || te.Message != want {
		t.Errorf("ValidateParamKeysUnique = %v", err)
	}
}

func TestStagesAndEnums(t *testing.T) {
	for in, want := range map[string]string{"none": "None", "STAGING": "Staging", "Production": "Production", "archived": "Archived"} {
		if got, err := tracking.CanonicalStage(in); err != nil || got != want {
			t.Errorf("CanonicalStage(%q) = %q, %v", in, got, err)
		}
	}
	_, err := tracking.CanonicalStage("Bogus")
	var te *tracking.Error
	if !errors.As(err, &te) || te.Message != "Invalid Model Version stage: Bogus. Value must be one of None, Staging, Production, Archived." {
		t.Errorf("CanonicalStage(Bogus) = %v", err)
	}
	if _, ok := tracking.ParseRunStatus("BOGUS"); ok {
		t.Error("ParseRunStatus(BOGUS) ok")
	}
	if st, ok := tracking.ParseRunStatus("FINISHED"); !ok || st != tracking.RunFinished {
		t.Error("ParseRunStatus(FINISHED)")
	}
	for in, want := range map[string]tracking.ViewType{"": tracking.ViewActiveOnly, "ACTIVE_ONLY": tracking.ViewActiveOnly,
		"DELETED_ONLY": tracking.ViewDeletedOnly, "ALL": tracking.ViewAll} {
		if got, err := tracking.ParseViewType(in); err != nil || got != want {
			t.Errorf("ParseViewType(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := tracking.ParseViewType("SOME"); !errors.Is(err, tracking.ErrInvalidParameter) {
		t.Errorf("ParseViewType(SOME) = %v", err)
	}
}

func TestErrors(t *testing.T) {
	err := error(tracking.NotFound("Run with id=%s not found", "x"))
	if !errors.Is(err, tracking.ErrNotFound) || errors.Is(err, tracking.ErrAlreadyExists) {
		t.Error("errors.Is on codes")
	}
	wrapped := errors.Join(errors.New("context"), err)
	if tracking.CodeOf(wrapped) != tracking.CodeResourceDoesNotExist {
		t.Errorf("CodeOf(wrapped) = %s", tracking.CodeOf(wrapped))
	}
	if tracking.CodeOf(errors.New("disk on fire")) != tracking.CodeInternalError || tracking.CodeOf(nil) != "" {
		t.Error("CodeOf of plain errors")
	}
	if err.Error() != "RESOURCE_DOES_NOT_EXIST: Run with id=x not found" {
		t.Errorf("Error() = %q", err.Error())
	}
}

func TestValidateExperimentArtifactLocation(t *testing.T) {
	tests := []struct {
		loc  string
		want string // substring of the error; "" means valid
	}{
		{"", ""},
		{"mlflow-artifacts:/", ""},
		{"s3://bucket/prefix/", ""},
		{"file:///srv/artifacts", ""},
		{"/srv/artifacts", ""},
		{"runs:/abc/model", "Artifact location cannot be a runs:/ URI. Given: 'runs:/abc/model'"},
		{"file:///srv/../etc", "without relative path references"},
		{"/srv/artifacts/..", "without relative path references"},
		{"./artifacts", "without relative path references"},
		{"file:///srv/%2e%2e/etc", "without relative path references"},
		{"s3://b/\x00", "without relative path references"},
	}
	for _, tt := range tests {
		err := tracking.ValidateExperimentArtifactLocation(tt.loc)
		if tt.want == "" {
			if err != nil {
				t.Errorf("ValidateExperimentArtifactLocation(%q) = %v", tt.loc, err)
			}
			continue
		}
		if !errors.Is(err, tracking.ErrInvalidParameter) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ValidateExperimentArtifactLocation(%q) = %v, want INVALID_PARAMETER_VALUE with %q", tt.loc, err, tt.want)
		}
	}
}

func TestColumnLengths(t *testing.T) {
	for _, c := range []struct {
		name  string
		check func(string) error
		limit int
	}{
		{"model name", tracking.ValidateModelName, tracking.MaxModelNameLength},
		{"run name", tracking.ValidateRunName, tracking.MaxRunNameLength},
		{"user id", tracking.ValidateUserID, tracking.MaxUserIDLength},
		{"version run id", tracking.ValidateModelVersionRunID, tracking.MaxRunIDLength},
	} {
		// Characters, not bytes, as PostgreSQL's VARCHAR counts them.
		if err := c.check(strings.Repeat("é", c.limit)); err != nil {
			t.Errorf("%s of %d characters: %v", c.name, c.limit, err)
		}
		if err := c.check(strings.Repeat("é", c.limit+1)); !errors.Is(err, tracking.ErrInvalidParameter) {
			t.Errorf("%s of %d characters: %v, want INVALID_PARAMETER_VALUE", c.name, c.limit+1, err)
		}
	}
}

// FuzzValidateModelVersionSource checks that whatever source is accepted
// has no "." or ".." segment in any decoding of it, the property that keeps
// a registered version from naming a directory outside its run.
func FuzzValidateModelVersionSource(f *testing.F) {
	for _, s := range []string{"runs:/abc/model", "runs:/abc/../x", "mlflow-artifacts:/%2e%2e/x", "s3://b/a/./c",
		"models:/m/1", "http://h/%252e%252e/", "s3://b/a+b/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, source string) {
		if tracking.ValidateModelVersionSource(source) != nil {
			return
		}
		d := source
		for i := 0; i < 12; i++ {
			u, err := url.PathUnescape(d)
			if err != nil || u == d {
				break
			}
			d = u
		}
		if strings.ContainsRune(d, 0) {
			t.Fatalf("accepted %q, which decodes to a NUL", source)
		}
		for _, seg := range strings.FieldsFunc(d, func(r rune) bool { return r == '/' || r == '\\' }) {
			if seg == ".." || seg == "." {
				t.Fatalf("accepted %q, which decodes to a %q segment", source, seg)
			}
		}
	})
}
