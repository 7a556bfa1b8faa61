package batchscore_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/berthml/berth/batchscore"
	"github.com/berthml/berth/drift"
)

func TestWriteProfile(t *testing.T) {
	p, err := batchscore.ProfileModel(t.Context(), "../testdata/models/iris_logreg", batchscore.ProfileOptions{
		Data: "../testdata/data/iris.csv", Bins: drift.DefaultBins, TopK: drift.DefaultTopK})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), drift.FileName)
	if err := batchscore.WriteProfile(path, p); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "{\n  \"") || !strings.HasSuffix(string(data), "}\n") {
		t.Errorf("profile is not indented JSON ending in a newline:\n%.80s", data)
	}
	back, err := drift.ReadProfile(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, p) {
		t.Errorf("read back %+v, want %+v", back, p)
	}
	err = batchscore.WriteProfile(filepath.Join(t.TempDir(), "no", "such", "dir", drift.FileName), p)
	if err == nil || !strings.HasPrefix(err.Error(), "writing profile: ") {
		t.Errorf("WriteProfile into a missing directory = %v", err)
	}
}
