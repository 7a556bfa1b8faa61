package oip

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/berthml/berth/flavors"
)

// decodeBoth decodes body with the shortcuts on and off.
func decodeBoth(body []byte, model []flavors.TensorInfo) (fast, slow *Request, fastErr, slowErr error) {
	fast, fastErr = DecodeInferRequest(body, "", model)
	fastPaths = false
	defer func() { fastPaths = true }()
	slow, slowErr = DecodeInferRequest(body, "", model)
	return
}

var flatModel = []flavors.TensorInfo{{Name: "x", DType: flavors.Float32, Shape: []int64{-1, 3}}}

func flatBody(shape, data string) []byte {
	return []byte(fmt.Sprintf(`{"inputs":[{"name":"x","shape":%s,"datatype":"FP32","data":%s}]}`, shape, data))
}

func TestFastPathsAgree(t *testing.T) {
	for _, data := range []string{
		`[1,2,3]`, `[ 0.5 , -0.25,\n3 ]`, `[1e3,2,3]`, `[01,2,3]`, `[1.,2,3]`, `[.5,2,3]`, `[1,2,3,]`, `[1,2]`, `[1,2,3,4]`,
		`[16777217,2,3]`, `[1.23456789012,2,3]`, `[-0,0.0,-0.0]`, `[null,2,3]`, `[1,"2",3]`, `[1,2,3}`, `[[1,2,3]]`,
		`[1,2,3e40]`, `[3.4028235e38,1,2]`, `[1 2 3]`, `[1,,3]`, `[-,1,2]`, `[1,2,3] `, `[999999999999999999999,1,2]`,
	} {
		body := flatBody("[1,3]", data)
		fast, slow, fe, se := decodeBoth(body, flatModel)
		if fmt.Sprint(fe) != fmt.Sprint(se) || !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s: fast (%v, %v) != slow (%v, %v)", data, fast, fe, slow, se)
		}
	}
}

// FuzzFastPathsAgree checks that the shortcuts change no answer: the same
// tensors, or the same error, for flat and nested data of FP32, FP64 and
// FP16 models (the runs of numbers jsonscan.Floats reads, and the limits
// of each type).
func FuzzFastPathsAgree(f *testing.F) {
	for _, s := range []string{`[1,2,3]`, `[0.25,-1.5,3e2]`, `[1,2,3}`, `[01,1,1]`, `[1.5, 2 ,null]`,
		`[[1,2,3]]`, "[[\n  -0.4823529124259949,\n  0.49803924560546875,\n  1.52587890625e-05\n]]",
		`[[1,2,3],[4,5]]`, `[[1,2,3,4]]`, `[[1,2,3e40]]`, `[[65504,65520,1]]`, `[[1,2,3] ]`, `[[1,2,]]`,
		`[[12345678901234567890123,0.1234567890123456789,-0]]`, `[[1e400,1,2]]`, `[[1 2 3]]`,
		// Long lists, where skipData searches for its stops a span at a time.
		`[[0.1111111111111111,0.2222222222222222,0.3333333333333333]]`,
		`[[0.1111111111111111,0.2222222222222222,0.3333333333333333]] , {"x": [0.1111111111111111111111111111]}`,
		`[[0.1111111111111111,0.2222222222222222,"0.3333333333333333333333333333"]]`,
		`[[0.1111111111111111,0.2222222222222222,{"a":0.333333333333333333333333333}]]`,
		`[[0.1111111111111111,0.2222222222222222,[0.333333333333333333333333333]]]`,
		`[[0.1111111111111111,0.2222222222222222,0.333333333333333333333333333333}]`} {
		f.Add("[1,3]", s, uint8(0))
		f.Add("[1,3]", s, uint8(1))
		f.Add("[1,3]", s, uint8(2))
	}
	f.Fuzz(func(t *testing.T, shape, data string, model uint8) {
		dt := []flavors.DType{flavors.Float32, flavors.Float64, flavors.Float16}[model%3]
		datatype, _ := DatatypeOf(dt)
		body := []byte(fmt.Sprintf(`{"inputs":[{"name":"x","shape":%s,"datatype":"%s","data":%s}]}`, shape, datatype, data))
		fast, slow, fe, se := decodeBoth(body, []flavors.TensorInfo{{Name: "x", DType: dt, Shape: []int64{-1, 3}}})
		if fmt.Sprint(fe) != fmt.Sprint(se) {
			t.Fatalf("%s: errors differ: fast %v, slow %v", body, fe, se)
		}
		if fe == nil && !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%s: tensors differ", body)
		}
	})
}
