// Command barebones is a reference point for `make bench`: the least a Go
// scoring server can do for the iris model — net/http, encoding/json into a
// fixed struct, one ONNX Runtime run through berth's ONNX flavor, and
// encoding/json out. No routing, validation, metrics, timeouts or limits.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"log"
	"net/http"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/flavors/onnx"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	model := flag.String("model", "testdata/models/iris_logreg", "model directory")
	lib := flag.String("ort-lib", "", "libonnxruntime.so")
	flag.Parse()
	if *lib == "" {
		*lib, _ = onnx.DefaultLibraryPath()
	}
	if err := onnx.Init(*lib); err != nil {
		log.Fatal(err)
	}
	l, err := flavors.Load(context.Background(), *model, flavors.LoadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	in := l.Predictor.Inputs()[0]
	http.HandleFunc("/invocations", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Split struct {
				Data [][]float32 `json:"data"`
			} `json:"dataframe_split"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Split.Data) == 0 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		rows := req.Split.Data
		data := make([]float32, 0, len(rows)*4)
		for _, row := range rows {
			data = append(data, row...)
		}
		x := &flavors.Tensor{Name: in.Name, DType: flavors.Float32, Shape: []int64{int64(len(rows)), 4}, Data: data}
		outs, err := l.Predictor.Predict(r.Context(), []*flavors.Tensor{x}, nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"predictions": outs[0].Data})
	})
	http.HandleFunc("/ping", func(w http.ResponseWriter, r *http.Request) {})
	log.Fatal(http.ListenAndServe(*addr, nil))
}
