package deployments_test

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/berthml/berth/api/deployments"
)

func readAll(t *testing.T, body string) ([]string, error) {
	t.Helper()
	var got []string
	err := deployments.ReadEvents(strings.NewReader(body), func(d []byte) error {
		got = append(got, string(d))
		return nil
	})
	return got, err
}

func TestReadEvents(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"MLflow's frames", "data: {\"a\": 1}\n\ndata: {\"b\": 2}\n\n", []string{`{"a": 1}`, `{"b": 2}`}},
		{"OpenAI's DONE", "data: {}\n\ndata: [DONE]\n\n", []string{"{}", "[DONE]"}},
		{"CRLF", "data: x\r\n\r\ndata: y\r\n\r\n", []string{"x", "y"}},
		{"multi-line data", "data: a\ndata: b\n\n", []string{"a\nb"}},
		{"comments, event, id skipped", ": ping\nevent: message\nid: 3\ndata: x\n\n", []string{"x"}},
		{"no space after colon", "data:x\n\n", []string{"x"}},
		{"last event unterminated", "data: x\n\ndata: y", []string{"x", "y"}},
		{"empty body", "", nil},
		{"event without data", "event: ping\n\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(t, tt.body)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestReadEventsBounds(t *testing.T) {
	big := "data: " + strings.Repeat("x", deployments.MaxEventSize+1) + "\n\n"
	if _, err := readAll(t, big); !errors.Is(err, deployments.ErrEventTooLarge) {
		t.Errorf("an oversize line: %v, want ErrEventTooLarge", err)
	}
	many := strings.Repeat("data: "+strings.Repeat("y", 1000)+"\n", deployments.MaxEventSize/1000+2) + "\n"
	if _, err := readAll(t, many); !errors.Is(err, deployments.ErrEventTooLarge) {
		t.Errorf("an oversize multi-line event: %v, want ErrEventTooLarge", err)
	}
	stop := errors.New("stop")
	err := deployments.ReadEvents(strings.NewReader("data: 1\n\ndata: 2\n\n"), func([]byte) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("fn's error: %v", err)
	}
	err = deployments.ReadEvents(io.MultiReader(strings.NewReader("data: 1\n"), errReader{}), func([]byte) error { return nil })
	if err == nil {
		t.Error("a broken body read without an error")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func FuzzReadEvents(f *testing.F) {
	for _, s := range []string{"data: {\"a\": 1}\n\n", "data: [DONE]\n\n", ": c\r\ndata:x\r\n\r\n", "data", "\n\n\n", "data: a\ndata: b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		n := 0
		err := deployments.ReadEvents(strings.NewReader(body), func(d []byte) error {
			n++
			if len(d) > deployments.MaxEventSize {
				t.Fatalf("event of %d bytes", len(d))
			}
			return nil
		})
		if err != nil && !errors.Is(err, deployments.ErrEventTooLarge) {
			t.Fatalf("unexpected error %v", err)
		}
		if n > strings.Count(body, "data")+1 {
			t.Fatalf("%d events from %d data fields", n, strings.Count(body, "data"))
		}
	})
}

func FuzzChatRequest(f *testing.F) {
	for _, s := range []string{`{"messages":[{"role":"user","content":"hi"}],"foo":1}`, `{"messages":[]}`, `[1]`, `{"stop":"x"}`, `{"messages":[{"tool_calls":null}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r deployments.ChatRequest
		if err := r.UnmarshalJSON(b); err != nil {
			return
		}
		out, err := r.MarshalJSON()
		if err != nil {
			t.Fatalf("re-encoding a decoded request: %v", err)
		}
		var again deployments.ChatRequest
		if err := again.UnmarshalJSON(out); err != nil {
			t.Fatalf("decoding the re-encoded request %s: %v", out, err)
		}
	})
}
