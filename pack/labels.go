package pack

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/berthml/berth/flavors"
)

// Label keys berth sets besides the org.opencontainers.image ones.
const (
	LabelModelName    = "ml.berth.model.name"
	LabelModelVersion = "ml.berth.model.version"
	LabelModelUUID    = "ml.berth.model.uuid"
	LabelRunID        = "ml.berth.model.run-id"
	LabelFlavor       = "ml.berth.model.flavor"
	LabelSignature    = "ml.berth.model.signature"
	LabelBerthVersion = "ml.berth.version"
)

// maxSignatureLabel bounds the signature label, which summarises inputs.
const maxSignatureLabel = 1024

// labels returns the labels of an image of the model m: the OCI
// org.opencontainers.image.{title,version,created,source,revision,description}
// and berth's ml.berth.*, leaving out those with no value.
func labels(m *flavors.MLmodel, o *options, created time.Time) map[string]string {
	fl := make([]string, 0, len(m.Flavors))
	for f := range m.Flavors {
		fl = append(fl, f)
	}
	slices.Sort(fl)
	desc := fmt.Sprintf("MLflow model %s served by berth %s", o.modelName, o.berthVersion)
	if o.modelVersion != "" {
		desc = fmt.Sprintf("MLflow model %s version %s served by berth %s", o.modelName, o.modelVersion, o.berthVersion)
	}
	all := map[string]string{
		"org.opencontainers.image.title":       o.modelName,
		"org.opencontainers.image.version":     o.modelVersion,
		"org.opencontainers.image.created":     created.UTC().Format(time.RFC3339),
		"org.opencontainers.image.source":      o.source,
		"org.opencontainers.image.revision":    m.RunID,
		"org.opencontainers.image.description": desc,
		LabelModelName:                         o.modelName,
		LabelModelVersion:                      o.modelVersion,
		LabelModelUUID:                         m.ModelUUID,
		LabelRunID:                             m.RunID,
		LabelFlavor:                            strings.Join(fl, ","),
		LabelSignature:                         signatureSummary(m.Signature),
		LabelBerthVersion:                      o.berthVersion,
	}
	for k, v := range all {
		if v == "" {
			delete(all, k)
		}
	}
	return all
}

// signatureSummary writes a signature's inputs as "name:type,...", tensors
// with their shape ("x:float32[-1,4]"), cut to maxSignatureLabel bytes.
func signatureSummary(s *flavors.Signature) string {
	if s == nil || s.Inputs == nil {
		return ""
	}
	var parts []string
	for _, c := range s.Inputs.Columns {
		parts = append(parts, c.Name+":"+string(c.Type))
	}
	for _, t := range s.Inputs.Tensors {
		dims := make([]string, len(t.Shape))
		for i, d := range t.Shape {
			dims[i] = fmt.Sprint(d)
		}
		parts = append(parts, fmt.Sprintf("%s:%s[%s]", t.Name, t.DType, strings.Join(dims, ",")))
	}
	out := strings.Join(parts, ",")
	if len(out) > maxSignatureLabel {
		out = out[:maxSignatureLabel-3] + "..."
	}
	return out
}

// createdTime is the image's creation time: WithTime, else the MLmodel's
// utc_time_created, else the Unix epoch.
func createdTime(m *flavors.MLmodel, o *options) time.Time {
	if o.created != nil {
		return *o.created
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, m.UTCTimeCreated); err == nil {
			return t.UTC().Truncate(time.Second)
		}
	}
	return time.Unix(0, 0).UTC()
}
