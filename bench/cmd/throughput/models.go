package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// model is one model of the table, and the one-row request every target
// gets for it.
type model struct {
	name   string // the name berth serves it under, and the table's
	dir    string // the MLflow model directory
	input  string // the input tensor's name
	shape  []int64
	data   []float32
	output string // the output whose shape and values are checked
	// outShape is output's expected shape for one row.
	outShape []int64
	levels   []int // client concurrency levels
	body     string
	binary   bool // also measure berth with the binary tensor extension
	// mlflowBody, when set, is the model's serving_input_example.json:
	// berth's /invocations is also measured with it, as MLflow wrote it.
	mlflowBody string
}

// irisModel is the iris fixture: one row of four features.
func irisModel(dir string, levels []int) *model {
	return &model{name: "iris", dir: dir, input: "input", shape: []int64{1, 4},
		data: []float32{5.1, 3.5, 1.4, 0.2}, output: "probabilities", outShape: []int64{1, 3}, levels: levels}
}

// cnnModel is the compute-heavy CNN fixture: one 3×64×64 image with
// deterministic values in [0, 1) with three decimals.
func cnnModel(dir string, levels []int) *model {
	data := make([]float32, 3*64*64)
	for i := range data {
		data[i] = float32((i*7919)%1000) / 1000
	}
	return &model{name: "cnn", dir: dir, input: "input", shape: []int64{1, 3, 64, 64},
		data: data, output: "logits", outShape: []int64{1, 10}, levels: levels, binary: true}
}

// ocrModel is the real CNN (testdata/models/ocr_cls, PaddleOCR's
// text-direction classifier): its request is the float32 [1, 3, 48, 192]
// tensor of the serving_input_example.json MLflow wrote for it, which
// berth's /invocations also gets as it is (850 kB, pretty-printed).
func ocrModel(dir string, levels []int) (*model, error) {
	path := filepath.Join(dir, "serving_input_example.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ex struct{ Inputs [][][][]float64 }
	if err := json.Unmarshal(raw, &ex); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var data []float32
	for _, c := range ex.Inputs[0] {
		for _, r := range c {
			for _, v := range r {
				data = append(data, float32(v)) // MLflow's rule: float32 of the float64
			}
		}
	}
	return &model{name: "ocr", dir: dir, input: "x", shape: []int64{1, 3, 48, 192}, data: data,
		output: "softmax_0.tmp_0", outShape: []int64{1, 2}, levels: levels, binary: true, mlflowBody: path}, nil
}

// onnxFile is the model's ONNX file, for the Node.js peer.
func (m *model) onnxFile() string { return filepath.Join(m.dir, "model.onnx") }

// v2Tensor is an Open Inference Protocol v2 tensor, as the bench writes and
// reads it.
type v2Tensor struct {
	Name     string    `json:"name"`
	Shape    []int64   `json:"shape"`
	Datatype string    `json:"datatype,omitempty"`
	Data     []float64 `json:"data"`
}

// writeBody writes the model's v2 request body into dir, once, for every
// target of the model.
func (m *model) writeBody(dir string) error {
	data := make([]float64, len(m.data))
	for i, v := range m.data {
		// Through the shortest float32 text, so that 0.919 is written
		// 0.919 and every target parses the same float32.
		data[i], _ = strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
	}
	b, err := json.Marshal(map[string][]v2Tensor{
		"inputs": {{Name: m.input, Shape: m.shape, Datatype: "FP32", Data: data}},
	})
	if err != nil {
		return err
	}
	m.body = filepath.Join(dir, m.name+".json")
	return os.WriteFile(m.body, b, 0o644)
}

// writeBinaryBody writes the model's request with the tensor as raw
// little-endian float32 bytes after its JSON header, and returns the file
// and the header's length.
func (m *model) writeBinaryBody(dir string) (string, string, error) {
	raw := make([]byte, 4*len(m.data))
	for i, v := range m.data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	header, err := json.Marshal(map[string]any{"inputs": []map[string]any{{
		"name": m.input, "shape": m.shape, "datatype": "FP32",
		"parameters": map[string]any{"binary_data_size": len(raw)}}}})
	if err != nil {
		return "", "", err
	}
	path := filepath.Join(dir, m.name+".bin")
	if err := os.WriteFile(path, append(header, raw...), 0o644); err != nil {
		return "", "", err
	}
	return path, strconv.Itoa(len(header)), nil
}

// check POSTs the target's body (the model's, unless it has its own) once
// and wants a 200. With want (the output bare ONNX Runtime computes
// in-process), the answer must be Open Inference Protocol v2 with m.output
// of shape m.outShape and those values.
func (m *model) check(ctx context.Context, t target, want []float64) error {
	path := m.body
	if t.body != "" {
		path = t.body
	}
	body, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if t.headerLen != "" {
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set("Inference-Header-Content-Length", t.headerLen)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %.300s", resp.StatusCode, out)
	}
	if want == nil {
		return nil
	}
	var r struct {
		Outputs []v2Tensor `json:"outputs"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return fmt.Errorf("decoding the answer: %w: %.300s", err, out)
	}
	for _, t := range r.Outputs {
		if t.Name != m.output {
			continue
		}
		if !slices.Equal(t.Shape, m.outShape) {
			return fmt.Errorf("output %s has shape %v, want %v", t.Name, t.Shape, m.outShape)
		}
		if len(t.Data) != len(want) {
			return fmt.Errorf("output %s has %d values, want %d", t.Name, len(t.Data), len(want))
		}
		for i, v := range t.Data {
			if math.Abs(v-want[i]) > 1e-4*max(1, math.Abs(want[i])) {
				return fmt.Errorf("output %s[%d] = %g, bare ONNX Runtime says %g", t.Name, i, v, want[i])
			}
		}
		return nil
	}
	return fmt.Errorf("no output %q in the answer: %.300s", m.output, out)
}
