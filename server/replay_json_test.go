package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Helpers the MLflow 2 and MLflow 3 transcript replays share: the walk that
// learns berth's ids from MLflow's, the experiment ids in paths and query
// strings, and the comparison of a recorded JSON answer with berth's.

// learnIDs walks want (MLflow's answer) and got (berth's) together. For
// each field both hold as a string it calls record, and descends into the
// field where record returns false (it did not take the pair as ids).
func learnIDs(want, got any, record func(key, want, got string) bool) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return
		}
		for k, wv := range w {
			ws, wok := wv.(string)
			gs, gok := g[k].(string)
			if wok && gok && record(k, ws, gs) {
				continue
			}
			learnIDs(wv, g[k], record)
		}
	case []any:
		if g, ok := got.([]any); ok && len(g) == len(w) {
			for i := range w {
				learnIDs(w[i], g[i], record)
			}
		}
	}
}

// learnOnce records old -> b in ids unless old is known already.
func learnOnce(ids map[string]string, old, b string) {
	if _, known := ids[old]; !known {
		ids[old] = b
	}
}

// translateExpPaths replaces recorded experiment ids where they stand in
// artifact paths and URIs.
func translateExpPaths(s string, exps map[string]string) string {
	for old, b := range exps {
		if old == b {
			continue
		}
		for _, pre := range []string{"mlflow-artifacts:/", "/artifacts/", "path="} {
			s = strings.ReplaceAll(s, pre+old+"/", pre+b+"/")
			s = strings.ReplaceAll(s, pre+old+"%2F", pre+b+"%2F")
		}
	}
	return s
}

// translateExpQuery replaces recorded experiment ids in the experiment_id(s)
// parameters of a query string, then the rest with translate.
func translateExpQuery(q string, exps map[string]string, translate func(string) string) string {
	vals := strings.Split(q, "&")
	for i, kv := range vals {
		if k, v, ok := strings.Cut(kv, "="); ok && (k == "experiment_id" || k == "experiment_ids") && exps[v] != "" {
			vals[i] = k + "=" + exps[v]
		}
	}
	return translate(strings.Join(vals, "&"))
}

// answerIDs is a replay's id map: what compareAnswer needs of it.
type answerIDs interface {
	learn(want, got any)
	compare(path string, want, got any) string
}

// compareAnswer compares berth's JSON answer got with the recorded one
// want: for an error status, the error_code and a body of exactly
// error_code and message; else, after learning ids, the whole answer.
func compareAnswer(status int, want, got []byte, ids answerIDs) string {
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		return "recorded body is not JSON: " + err.Error()
	}
	if err := json.Unmarshal(got, &g); err != nil {
		return fmt.Sprintf("berth's body is not JSON: %s", clip(string(got)))
	}
	if status != http.StatusOK {
		wc, _ := w.(map[string]any)["error_code"].(string)
		gm, _ := g.(map[string]any)
		gc, _ := gm["error_code"].(string)
		if wc != gc {
			return fmt.Sprintf("error_code %q, want %q (%s)", gc, wc, clip(string(got)))
		}
		if _, ok := gm["message"].(string); !ok || len(gm) != 2 {
			return fmt.Sprintf("error body %s: want exactly error_code and message", clip(string(got)))
		}
		return ""
	}
	ids.learn(w, g)
	return ids.compare("$", w, g)
}

// jsonDiff compares a recorded JSON answer with berth's: field names, JSON
// types and values, recorded ids translated first.
type jsonDiff struct {
	translate func(string) string // recorded ids in a string -> berth's
	typeOnly  map[string]bool     // fields whose types only are compared
	// extraOK reports whether berth may add field key, absent from
	// MLflow's answer, with value got; nil allows none.
	extraOK func(key string, got any) bool
	// jsonStrings compares strings holding a JSON array as JSON.
	jsonStrings bool
}

// compare reports how got differs from want at path, or "".
func (d jsonDiff) compare(path string, want, got any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: want an object, got %s", path, clip(jsonOf(got)))
		}
		keys := make([]string, 0, len(w)+len(g))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			wv, wok := w[k]
			gv, gok := g[k]
			switch {
			case !gok:
				return fmt.Sprintf("%s.%s: missing", path, k)
			case !wok && d.extraOK != nil && d.extraOK(k, gv):
			case !wok:
				return fmt.Sprintf("%s.%s: not in MLflow's answer (%s)", path, k, clip(jsonOf(gv)))
			case d.typeOnly[k]:
				if fmt.Sprintf("%T", wv) != fmt.Sprintf("%T", gv) {
					return fmt.Sprintf("%s.%s: type %T, want %T", path, k, gv, wv)
				}
			default:
				if msg := d.compare(path+"."+k, wv, gv); msg != "" {
					return msg
				}
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: got %s, want %d elements like %s", path, clip(jsonOf(got)), len(w), clip(jsonOf(want)))
		}
		for i := range w {
			if msg := d.compare(path+"["+strconv.Itoa(i)+"]", w[i], g[i]); msg != "" {
				return msg
			}
		}
		return ""
	case string:
		g, ok := got.(string)
		tw := d.translate(w)
		if ok && g == tw {
			return ""
		}
		var wj, gj any
		if ok && d.jsonStrings && strings.HasPrefix(strings.TrimSpace(tw), "[") &&
			json.Unmarshal([]byte(tw), &wj) == nil && json.Unmarshal([]byte(g), &gj) == nil && jsonOf(wj) == jsonOf(gj) {
			return ""
		}
		return fmt.Sprintf("%s: got %s, want %s", path, clip(jsonOf(got)), clip(jsonOf(tw)))
	}
	if jsonOf(want) != jsonOf(got) {
		return fmt.Sprintf("%s: got %s, want %s", path, clip(jsonOf(got)), clip(jsonOf(want)))
	}
	return ""
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
