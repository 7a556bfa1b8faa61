package gateway

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/berthml/berth/internal/ftoa"
)

// model checks "model" as pydantic v1 checks an Optional[str]: null and
// strings pass, a number or a boolean becomes its Python text (1 -> "1",
// 1e2 -> "100.0", true -> "True"), anything else is refused.
func (c *checker) model() {
	v, ok := c.m["model"]
	if !ok || isNull(v) {
		return
	}
	t := bytes.TrimSpace(v)
	switch {
	case len(t) > 0 && t[0] == '"':
	case string(t) == "true", string(t) == "false":
		c.m["model"] = json.RawMessage(strconv.Quote(strings.ToUpper(string(t[:1])) + string(t[1:])))
	case len(t) > 0 && (t[0] == '-' || t[0]-'0' <= 9):
		c.m["model"] = json.RawMessage(strconv.Quote(pyNumber(string(t))))
	default:
		c.add([]any{"body", "model"}, "str type expected", "type_error.str", nil)
	}
}

// pyNumber is str() of the number json.loads reads from the JSON number
// text s: an int's digits, or a float's repr.
func pyNumber(s string) string {
	if !strings.ContainsAny(s, ".eE") {
		if s == "-0" {
			return "0"
		}
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case err != nil:
		return s
	}
	return string(ftoa.AppendFloat64(nil, f, ftoa.Python))
}

// namesModel reports whether the JSON object body has a "model" member
// that is not null, as MLflow's check_for_model_field sees it (after
// pydantic, whatever its value): the /endpoints routes refuse it.
func namesModel(body []byte) bool {
	if !bytes.Contains(body, []byte("model")) && !bytes.Contains(body, []byte(`\u`)) {
		return false
	}
	var v struct {
		Model json.RawMessage `json:"model"`
	}
	return json.Unmarshal(body, &v) == nil && len(v.Model) > 0 && !isNull(v.Model)
}
