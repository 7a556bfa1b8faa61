package tracking

import (
	"encoding/base64"
	"encoding/json"
)

// EncodePageToken returns MLflow's opaque page token for a result offset:
// base64 of {"offset": N}, e.g. "eyJvZmZzZXQiOiAxfQ==" for 1.
func EncodePageToken(offset int) string {
	b, _ := json.Marshal(map[string]int{"offset": offset})
	// Match Python's json.dumps spacing so tokens equal MLflow's.
	s := `{"offset": ` + string(b[len(`{"offset":`):])
	return base64.StdEncoding.EncodeToString([]byte(s))
}

// DecodePageToken reads a token made by EncodePageToken; "" is offset 0.
func DecodePageToken(token string) (int, error) {
	if token == "" {
		return 0, nil
	}
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		raw, err = base64.URLEncoding.DecodeString(token)
	}
	if err != nil {
		return 0, InvalidParameter("Invalid page token, could not base64-decode. Underlying error:\n%v", err)
	}
	var v struct {
		Offset *int `json:"offset"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, InvalidParameter("Invalid page token, decoded value=%s", raw)
	}
	if v.Offset == nil || *v.Offset < 0 {
		return 0, InvalidParameter("Invalid page token, parsed value=%s", raw)
	}
	return *v.Offset, nil
}
