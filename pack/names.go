package pack

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
)

// CheckReference checks ref, where an image is to be pushed, before
// anything is built; insecure allows a plain-HTTP registry.
func CheckReference(ref string, insecure bool) error {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	if _, err := name.ParseReference(ref, opts...); err != nil {
		return fmt.Errorf("parsing image reference %q: %w", ref, err)
	}
	return nil
}

// ImageName is the name an image of a model gets when none is given:
// berth/MODEL:VERSION, the model's name in lower case and "latest" for no
// version.
func ImageName(model, version string) string {
	return "berth/" + strings.ToLower(model) + ":" + cmp.Or(version, "latest")
}

// LayoutTag is the tag an image named image gets in an OCI layout (its
// org.opencontainers.image.ref.name, as oci:DIR:TAG names it): the tag of
// the name, or the whole name when it does not parse as one.
func LayoutTag(image string) string {
	t, err := name.NewTag(image)
	if err != nil {
		return image
	}
	return t.TagStr()
}

// ParseSourceDateEpoch reads SOURCE_DATE_EPOCH, seconds since 1970, for
// WithTime.
func ParseSourceDateEpoch(s string) (time.Time, error) {
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: want seconds since 1970", s)
	}
	return time.Unix(sec, 0), nil
}
