package oip_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/berthml/berth/api/oip"
	"github.com/berthml/berth/flavors"
)

// echoServer is a hand-written OIP server for one model, "echo", whose
// outputs are its inputs renamed with an "out_" prefix.
func echoServer(t *testing.T, model []flavors.TensorInfo) *httptest.Server {
	t.Helper()
	writeErr := func(w http.ResponseWriter, code int, err error) {
		w.Header().Set("Content-Type", oip.ContentTypeJSON)
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(oip.ErrorResponse{Error: err.Error()})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/health/live", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(oip.LiveResponse{Live: true})
	})
	mux.HandleFunc("GET /v2/health/ready", func(w http.ResponseWriter, r *http.Request) {}) // Triton's empty 200
	mux.HandleFunc("GET /v2", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(oip.ServerMetadata{Name: "berth", Version: "test", Extensions: []string{oip.ExtensionBinaryData}})
	})
	mux.HandleFunc("GET /v2/models/{name}/ready", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(oip.ModelReadyResponse{Name: r.PathValue("name"), Ready: r.PathValue("name") == "echo"})
	})
	mux.HandleFunc("GET /v2/models/{name}/versions/{v}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			writeErr(w, http.StatusUnauthorized, errors.New("missing token"))
			return
		}
		in, _ := oip.MetadataTensors(model)
		json.NewEncoder(w).Encode(oip.ModelMetadata{Name: r.PathValue("name"), Versions: []string{r.PathValue("v")}, Platform: "onnxruntime_onnx", Inputs: in, Outputs: in})
	})
	mux.HandleFunc("POST /v2/models/{name}/infer", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("name") != "echo" {
			writeErr(w, http.StatusNotFound, oip.NotFoundf("model %q not found", r.PathValue("name")))
			return
		}
		body, _ := io.ReadAll(r.Body)
		req, err := oip.DecodeInferRequest(body, r.Header.Get(oip.HeaderInferenceContentLength), model)
		if err != nil {
			writeErr(w, http.StatusBadRequest, err)
			return
		}
		outs := make([]*flavors.Tensor, len(req.Inputs))
		for i, in := range req.Inputs {
			c := *in
			c.Name = "out_" + in.Name
			outs[i] = &c
		}
		resp, hl, err := oip.EncodeInferResponse(r.PathValue("name"), "", req.ID, outs, req)
		if err != nil {
			writeErr(w, http.StatusInternalServerError, err)
			return
		}
		w.Header().Set("Content-Type", oip.ContentTypeJSON)
		if hl >= 0 {
			w.Header().Set("Content-Type", oip.ContentTypeBinary)
			w.Header().Set(oip.HeaderInferenceContentLength, strconv.Itoa(hl))
		}
		w.Write(resp)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestClient(t *testing.T) {
	a := &flavors.Tensor{Name: "a", DType: flavors.Float16, Shape: []int64{1, 2}, Data: []float32{0.5, -1}}
	b := &flavors.Tensor{Name: "b", DType: flavors.String, Shape: []int64{2}, Data: []string{"x", "\x00\xff"}}
	c := &flavors.Tensor{Name: "c", DType: flavors.Int64, Shape: []int64{3}, Data: []int64{1, 2, 1 << 60}}
	model := []flavors.TensorInfo{
		{Name: "a", DType: flavors.Float16, Shape: []int64{-1, 2}},
		{Name: "b", DType: flavors.String, Shape: []int64{-1}},
		{Name: "c", DType: flavors.Int64, Shape: []int64{-1}},
	}
	srv := echoServer(t, model)
	cl := &oip.Client{BaseURL: srv.URL + "/", HTTPClient: srv.Client(), Token: "s3cret"}
	ctx := context.Background()

	if live, err := cl.ServerLive(ctx); err != nil || !live {
		t.Errorf("ServerLive = %v, %v", live, err)
	}
	if ready, err := cl.ServerReady(ctx); err != nil || !ready {
		t.Errorf("ServerReady = %v, %v", ready, err)
	}
	if md, err := cl.ServerMetadata(ctx); err != nil || md.Extensions[0] != oip.ExtensionBinaryData {
		t.Errorf("ServerMetadata = %+v, %v", md, err)
	}
	if ready, err := cl.ModelReady(ctx, "other", ""); err != nil || ready {
		t.Errorf("ModelReady(other) = %v, %v", ready, err)
	}
	md, err := cl.ModelMetadata(ctx, "echo", "1")
	if err != nil || md.Inputs[0].Datatype != oip.FP16 || !reflect.DeepEqual(md.Inputs[0].Shape, []int64{-1, 2}) {
		t.Errorf("ModelMetadata = %+v, %v", md, err)
	}

	ia, _ := oip.NewBinaryInput(a) // FP16 must go binary or as JSON numbers
	ib, _ := oip.NewInput(b)
	ic, _ := oip.NewInput(c)
	req := &oip.InferenceRequest{ID: "r1", Inputs: []oip.RequestInput{ia, ib, ic},
		Outputs: []oip.RequestOutput{{Name: "out_c", Parameters: oip.Parameters{oip.ParamBinaryData: true}}}}
	for _, call := range []string{"Infer", "InferBinary"} {
		t.Run(call, func(t *testing.T) {
			infer := cl.Infer
			if call == "InferBinary" {
				infer = cl.InferBinary
			}
			resp, err := infer(ctx, "echo", "", req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.ID != "r1" || resp.ModelName != "echo" || len(resp.Outputs) != 3 {
				t.Fatalf("response = %+v", resp)
			}
			for i, want := range []*flavors.Tensor{a, b, c} {
				o := resp.Outputs[i]
				if binary := o.Binary != nil; binary != (call == "InferBinary" || o.Name == "out_c") {
					t.Errorf("%s: binary = %v", o.Name, binary)
				}
				got, err := oip.TensorFromOutput(&o)
				if err != nil {
					t.Fatal(err)
				}
				got.Name = want.Name
				if want.DType == flavors.String { // sent as JSON: \xff became U+FFFD
					want = &flavors.Tensor{Name: "b", DType: flavors.String, Shape: []int64{2}, Data: []string{"x", "\x00\ufffd"}}
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: got %+v, want %+v", o.Name, got, want)
				}
			}
		})
	}
	if ia.Parameters != nil || req.Parameters != nil {
		t.Error("the client changed the caller's request")
	}

	t.Run("errors", func(t *testing.T) {
		var se *oip.StatusError
		_, err := cl.Infer(ctx, "nope", "", req)
		if !errors.As(err, &se) || se.StatusCode != 404 || se.Message != `model "nope" not found` {
			t.Errorf("unknown model: %v", err)
		}
		bad := &oip.InferenceRequest{Inputs: []oip.RequestInput{ib, ic}}
		_, err = cl.Infer(ctx, "echo", "", bad)
		if !errors.As(err, &se) || se.StatusCode != 400 || !strings.Contains(se.Message, `missing input "a"`) {
			t.Errorf("missing input: %v", err)
		}
		anon := &oip.Client{BaseURL: srv.URL}
		_, err = anon.ModelMetadata(ctx, "echo", "1")
		if !errors.As(err, &se) || se.StatusCode != 401 || !strings.Contains(err.Error(), "401 Unauthorized: missing token") {
			t.Errorf("no token: %v", err)
		}
	})
}
