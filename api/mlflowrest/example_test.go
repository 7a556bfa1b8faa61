package mlflowrest_test

import (
	"encoding/json"
	"fmt"

	"github.com/berthml/berth/api/mlflowrest"
)

func ExampleLogMetricRequest() {
	// The Python client sends NaN as a string and may quote int64s.
	body := `{"run_id": "eabd", "key": "m", "value": "NaN", "timestamp": 1732800000000, "step": "3"}`
	var req mlflowrest.LogMetricRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		fmt.Println(err)
		return
	}
	out, _ := json.Marshal(mlflowrest.Metric{Key: req.Key, Value: *req.Value, Timestamp: *req.Timestamp, Step: req.Step})
	fmt.Println(string(out))
	// Output: {"key":"m","value":"NaN","timestamp":1732800000000,"step":3}
}
