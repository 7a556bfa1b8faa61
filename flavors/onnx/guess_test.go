package onnx_test

import (
	"context"
	"testing"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/flavors/onnx"
)

// TestWrongShapeGuessFallsBack: when preallocated output shapes are wrong,
// Predict still answers right (the runtime allocates instead) and the model
// stops guessing.
func TestWrongShapeGuessFallsBack(t *testing.T) {
	m := loadFrom(t, testModel("../../testdata/models/iris_logreg", "model.onnx", nil), flavors.LoadOptions{})
	in := []*flavors.Tensor{{Name: "input", DType: flavors.Float32, Shape: []int64{2, 4}, Data: []float32{5.1, 3.5, 1.4, 0.2, 6.3, 3.3, 6.0, 2.5}}}
	want, err := m.Predict(context.Background(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := onnx.BreakShapeGuesses(m); n != 2 {
		t.Fatalf("%d outputs guessed, want label and probabilities", n)
	}
	for range 2 {
		got, err := m.Predict(context.Background(), in, nil)
		if err != nil {
			t.Fatalf("Predict with wrong guesses: %v", err)
		}
		if got[0].Data.([]int64)[1] != want[0].Data.([]int64)[1] || len(got[1].Data.([]float32)) != 6 {
			t.Fatalf("outputs %v, want %v", got, want)
		}
	}
	if onnx.GuessesShapes(m) {
		t.Error("the model still guesses output shapes after a guess failed")
	}
}
