package tracking

import (
	"fmt"
	"math"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits from mlflow/utils/validation.py.
const (
	MaxEntityKeyLength          = 250
	MaxParamValueLength         = 6000
	MaxTagValueLength           = 8000
	MaxExperimentNameLength     = 500
	MaxExperimentTagKeyLength   = 250
	MaxExperimentTagValueLength = 5000
	MaxRegistryTagKeyLength     = 250
	MaxRegistryTagValueLength   = 5000
	MaxAliasLength              = 255
	MaxMetricsPerBatch          = 1000
	MaxParamsTagsPerBatch       = 100
	MaxEntitiesPerBatch         = 1000
	MaxDatasetNameLength        = 500
	MaxDatasetDigestLength      = 36
	MaxInputTagKeyLength        = 255
	MaxInputTagValueLength      = 500
	MaxDatasetSourceLength      = 65535
	MaxDatasetSchemaLength      = 1048575
	MaxDatasetProfileLength     = 16777215
	MaxDatasetSourceTypeLength  = 36
	// Lengths of MLflow's database columns, which MLflow's validation
	// leaves to the database: PostgreSQL refuses longer values and SQLite
	// would keep them, so both stores check them here.
	MaxModelNameLength             = 256 // registered_models.name
	MaxRunNameLength               = 250 // runs.name
	MaxUserIDLength                = 256 // runs.user_id
	MaxRunIDLength                 = 32  // model_versions.run_id
	maxLengthInMessage             = 250
	badCharactersMessage           = "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/)."
	badAliasCharactersMessage      = "Names may only contain alphanumerics, underscores (_), and dashes (-)."
	invalidValueFormat             = "Invalid value %q for parameter '%s' supplied: %s"
	relativeModelVersionSourceText = "If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path."
	invalidModelVersionSourceText  = "To use a local path as a model version source, the run_id request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the run_id."
)

func validNameRune(r rune) bool {
	return r == '_' || r == '-' || r == '.' || r == ' ' || r == ':' || r == '/' ||
		unicode.IsLetter(r) || unicode.IsNumber(r)
}

// ValidateKey checks a metric, param or tag key as MLflow does: the allowed
// characters, a path that normalises to itself, and at most 250 characters.
// entity names the key in the length message ("Param key", "Tag key",
// "Metric name").
func ValidateKey(entity, key string) error {
	for _, r := range key {
		if !validNameRune(r) {
			return InvalidParameter(invalidValueFormat, key, "key", badCharactersMessage)
		}
	}
	if norm := path.Clean(key); norm != key || norm == "." || strings.HasPrefix(norm, "..") || strings.HasPrefix(norm, "/") {
		return InvalidParameter(invalidValueFormat, key, "key",
			"Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '"+norm+"'")
	}
	return checkLength(entity, MaxEntityKeyLength, key)
}

func checkLength(entity string, limit int, value string) error {
	n := utf8.RuneCountInString(value)
	if n <= limit {
		return nil
	}
	shown := value
	if n > maxLengthInMessage {
		shown = string([]rune(value)[:maxLengthInMessage])
	}
	return InvalidParameter("%s '%s' had length %d, which exceeded length limit of %d", entity, shown, n, limit)
}

func truncate(value string, limit int) string {
	if utf8.RuneCountInString(value) <= limit {
		return value
	}
	return string([]rune(value)[:limit])
}

// ValidateParam checks a param and returns it with its value truncated to
// 6000 characters, as MLflow silently does.
func ValidateParam(p Param) (Param, error) {
	if err := ValidateKey("Param key", p.Key); err != nil {
		return p, err
	}
	p.Value = truncate(p.Value, MaxParamValueLength)
	return p, nil
}

// ValidateTag checks a run tag and returns it with its value truncated to
// 8000 characters.
func ValidateTag(t Tag) (Tag, error) {
	if err := ValidateKey("Tag key", t.Key); err != nil {
		return t, err
	}
	t.Value = truncate(t.Value, MaxTagValueLength)
	return t, nil
}

// ValidateMetric checks a metric's key and timestamp and returns it with
// infinities clamped to ±math.MaxFloat64, as MLflow stores them.
func ValidateMetric(m Metric) (Metric, error) {
	if err := ValidateKey("Metric name", m.Key); err != nil {
		return m, err
	}
	if m.Timestamp < 0 {
		return m, InvalidParameter("Got invalid timestamp %d for metric '%s' (value=%s). Timestamp must be a nonnegative long (64-bit integer) ",
			m.Timestamp, m.Key, strconv.FormatFloat(m.Value, 'g', -1, 64))
	}
	switch {
	case math.IsInf(m.Value, 1):
		m.Value = math.MaxFloat64
	case math.IsInf(m.Value, -1):
		m.Value = -math.MaxFloat64
	}
	return m, nil
}

// ValidateExperimentTag checks an experiment tag (no truncation).
func ValidateExperimentTag(t Tag) error {
	if err := ValidateKey("Tag key", t.Key); err != nil {
		return err
	}
	return checkLength("Tag value", MaxExperimentTagValueLength, t.Value)
}

// ValidateRegistryTag checks a registered-model or model-version tag; entity
// is "Registered model" or "Model version".
func ValidateRegistryTag(entity string, t Tag) error {
	if err := ValidateKey(entity+" key", t.Key); err != nil {
		return err
	}
	return checkLength(entity+" value", MaxRegistryTagValueLength, t.Value)
}

// ValidateBatchLimits checks the sizes of a log-batch request.
func ValidateBatchLimits(metrics, params, tags int) error {
	for _, l := range []struct {
		what       string
		limit, got int
	}{
		{"metrics", MaxMetricsPerBatch, metrics},
		{"params", MaxParamsTagsPerBatch, params},
		{"tags", MaxParamsTagsPerBatch, tags},
		{"metrics, params, and tags", MaxEntitiesPerBatch, metrics + params + tags},
	} {
		if l.got > l.limit {
			return InvalidParameter("A batch logging request can contain at most %d %s. Got %d %s. Please split up %s across multiple requests and try again.",
				l.limit, l.what, l.got, l.what, l.what)
		}
	}
	return nil
}

// ValidateParamKeysUnique rejects a batch that logs one param key twice.
func ValidateParamKeysUnique(params []Param) error {
	seen := make(map[string]bool, len(params))
	var dupes []string
	for _, p := range params {
		if seen[p.Key] {
			dupes = append(dupes, "'"+p.Key+"'")
		}
		seen[p.Key] = true
	}
	if len(dupes) > 0 {
		return InvalidParameter("Duplicate parameter keys have been submitted: [%s]. Please ensure the request contains only one param value per param key.",
			strings.Join(dupes, ", "))
	}
	return nil
}

// ParamChangedError is MLflow's error for logging a param again with a
// different value.
func ParamChangedError(runID, key, oldValue, newValue string) error {
	return InvalidParameter("Changing param values is not allowed. Param with key='%s' was already logged with value='%s' for run ID='%s'. Attempted logging new value '%s'.",
		key, oldValue, runID, newValue)
}

// ValidateExperimentName checks a new experiment name.
func ValidateExperimentName(name string) error {
	if name == "" {
		return InvalidParameter("Invalid experiment name: ''")
	}
	if utf8.RuneCountInString(name) > MaxExperimentNameLength {
		return InvalidParameter("Experiment name exceeds the maximum length of %d characters", MaxExperimentNameLength)
	}
	return nil
}

// ValidateModelName checks a registered model name: not empty, at most
// 256 characters.
func ValidateModelName(name string) error {
	if name == "" {
		return InvalidParameter("Registered model name cannot be empty.")
	}
	return checkLength("Registered model name", MaxModelNameLength, name)
}

// ValidateRunName checks a run's name (run_name or its mlflow.runName
// tag): at most 250 characters.
func ValidateRunName(name string) error { return checkLength("Run name", MaxRunNameLength, name) }

// ValidateUserID checks the user_id of a new run: at most 256 characters.
func ValidateUserID(user string) error { return checkLength("User ID", MaxUserIDLength, user) }

// ValidateModelVersionRunID checks the run_id a model version names: at
// most 32 characters, the length of the run IDs stores make.
func ValidateModelVersionRunID(runID string) error {
	return checkLength("Run ID", MaxRunIDLength, runID)
}

// ValidateExperimentArtifactLocation checks the artifact_location of a new
// experiment: not a runs:/ URI (as MLflow), no NUL, and a path that is
// normalised — no "." or ".." segment, however percent-encoded — so that a
// location cannot point its runs' artifacts, and the models registered from
// them, outside the place it names. Empty means the default location.
func ValidateExperimentArtifactLocation(loc string) error {
	if strings.HasPrefix(loc, "runs:") {
		return InvalidParameter("Artifact location cannot be a runs:/ URI. Given: '%s'", loc)
	}
	if loc != "" && !normalisedURIPath(loc) {
		return InvalidParameter("Invalid artifact location: '%s'. An artifact location must be a path or URI without relative path references ('.' or '..') or NUL characters.", loc)
	}
	return nil
}

// normalisedURIPath reports whether uri, percent-decoded until it no
// longer changes, has no "." or ".." segment (between slashes or
// backslashes) and no NUL: the check of MLflow's
// _validate_non_local_source_contains_relative_paths, applied to the whole
// URI rather than its path alone, so that no part of it that some reader
// takes for a path can climb out.
func normalisedURIPath(uri string) bool {
	for i := 0; i < 10; i++ {
		d, err := url.QueryUnescape(uri)
		if err != nil {
			// Not decodable as a whole: refuse encoded dots, separators
			// and NULs that a reader decoding piecemeal would see.
			lower := strings.ToLower(uri)
			for _, enc := range []string{"%2e", "%2f", "%5c", "%00"} {
				if strings.Contains(lower, enc) {
					return false
				}
			}
			break
		}
		if d == uri {
			break
		}
		uri = d
	}
	if strings.ContainsRune(uri, 0) {
		return false
	}
	for _, seg := range strings.FieldsFunc(uri, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// ParseModelVersion reads a model version number.
func ParseModelVersion(version string) (int64, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(version), 10, 64)
	if err != nil {
		return 0, InvalidParameter("Model version must be an integer, got '%s'", version)
	}
	return v, nil
}

var (
	aliasRegexp        = regexp.MustCompile(`^[\p{L}\p{N}_\-]*$`)
	versionAliasRegexp = regexp.MustCompile(`^[vV]\d+$`)
)

// ValidateAlias checks a registered model alias name: allowed characters,
// at most 255 characters, and not the reserved "latest" (any case) or
// "v<digits>".
func ValidateAlias(alias string) error {
	if alias == "" {
		return InvalidParameter("Registered model alias name cannot be empty.")
	}
	if !aliasRegexp.MatchString(alias) {
		return InvalidParameter("Invalid alias name: '%s'. %s", alias, badAliasCharactersMessage)
	}
	if err := checkLength("Registered model alias name", MaxAliasLength, alias); err != nil {
		return err
	}
	if strings.EqualFold(alias, "latest") {
		return InvalidParameter("'latest' alias name (case insensitive) is reserved.")
	}
	if versionAliasRegexp.MatchString(alias) {
		return InvalidParameter("Version alias name '%s' is reserved.", alias)
	}
	return nil
}

// ValidateModelVersionSource rejects local sources (a path or a file: URI),
// which MLflow only accepts inside a local run artifact directory, and, as
// MLflow's server does when a version is created, sources whose path has
// relative references ("runs:/RUN/../../x", "mlflow-artifacts:/..%2f..")
// or a NUL.
func ValidateModelVersionSource(source string) error {
	scheme, _, hasScheme := strings.Cut(source, ":")
	local := !hasScheme || strings.EqualFold(scheme, "file") || len(scheme) == 1 || strings.ContainsAny(scheme, "/\\")
	if local {
		return InvalidParameter("Invalid model version source: '%s'. %s", source, invalidModelVersionSourceText)
	}
	if !normalisedURIPath(source) {
		return InvalidParameter("Invalid model version source: '%s'. %s", source, relativeModelVersionSourceText)
	}
	return nil
}

// ValidateDatasetInput checks the sizes of a dataset input.
func ValidateDatasetInput(in DatasetInput) error {
	d := in.Dataset
	for _, c := range []struct {
		what  string
		limit int
		v     string
	}{
		{"Dataset name", MaxDatasetNameLength, d.Name},
		{"Dataset digest", MaxDatasetDigestLength, d.Digest},
		{"Dataset source", MaxDatasetSourceLength, d.Source},
		{"Dataset source type", MaxDatasetSourceTypeLength, d.SourceType},
		{"Dataset schema", MaxDatasetSchemaLength, d.Schema},
		{"Dataset profile", MaxDatasetProfileLength, d.Profile},
	} {
		if err := checkLength(c.what, c.limit, c.v); err != nil {
			return err
		}
	}
	if d.Name == "" || d.Digest == "" || d.SourceType == "" {
		return InvalidParameter("Dataset name, digest and source_type must be set, got %s", fmt.Sprintf("%+v", d))
	}
	for _, t := range in.Tags {
		if err := checkLength("Input tag key", MaxInputTagKeyLength, t.Key); err != nil {
			return err
		}
		if err := checkLength("Input tag value", MaxInputTagValueLength, t.Value); err != nil {
			return err
		}
	}
	return nil
}
