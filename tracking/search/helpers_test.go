package search_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/berthml/berth/tracking"
)

// cmp builds an expected comparison.
func cmp(kind, key, op string, value any) tracking.Comparison {
	return tracking.Comparison{Kind: kind, Key: key, Op: op, Value: value}
}

// filterCase is one row of a filter table: want is the comparisons of a
// valid filter; errSub, when set, is a substring of the expected message.
type filterCase struct {
	in     string
	want   []tracking.Comparison
	errSub string
}

// runFilterTable runs parse over cases.
func runFilterTable(t *testing.T, parse func(string) (*tracking.Filter, error), cases []filterCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			f, err := parse(tc.in)
			if tc.errSub != "" {
				wantInvalid(t, err, tc.errSub)
				if f != nil {
					t.Errorf("got filter %+v with the error", f)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(f.Comparisons) == 0 && len(tc.want) == 0 {
				return
			}
			if !reflect.DeepEqual(f.Comparisons, tc.want) {
				t.Errorf("got  %#v\nwant %#v", f.Comparisons, tc.want)
			}
		})
	}
}

// wantInvalid checks that err is an INVALID_PARAMETER_VALUE *tracking.Error
// whose message contains sub.
func wantInvalid(t *testing.T, err error, sub string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", sub)
	}
	var te *tracking.Error
	if !errors.As(err, &te) {
		t.Fatalf("error %T %v is not a *tracking.Error", err, err)
	}
	if te.Code != tracking.CodeInvalidParameterValue {
		t.Errorf("code = %s, want INVALID_PARAMETER_VALUE", te.Code)
	}
	if !errors.Is(err, tracking.ErrInvalidParameter) {
		t.Errorf("errors.Is(err, tracking.ErrInvalidParameter) is false")
	}
	if !strings.Contains(te.Message, sub) {
		t.Errorf("message %q does not contain %q", te.Message, sub)
	}
}
