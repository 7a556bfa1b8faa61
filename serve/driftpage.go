package serve

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/chart"
	"github.com/berthml/berth/drift"
)

// driftPageRefresh is how often the drift pages reload themselves.
const driftPageRefresh = 10 * time.Second

// noMonitorError says why m has no drift monitor.
func noMonitorError(m *Model) error {
	msg := fmt.Sprintf("model %s has no drift reference (%s in its directory)", m.Name, drift.FileName)
	if m.driftRef != nil {
		msg = fmt.Sprintf("drift monitoring of model %s is off (berth serve --drift)", m.Name)
	}
	return &routeError{http.StatusNotFound, msg}
}

// driftIndex answers GET /drift: an HTML list of the served models, with
// links to the pages of those that have a drift monitor.
func (s *Server) driftIndex(c *gin.Context) {
	models := s.Models()
	entries := make([]chart.IndexEntry, 0, len(models))
	for _, m := range models {
		e := chart.IndexEntry{Model: m.Name, Version: m.Version}
		switch mon := m.monitor; {
		case mon != nil:
			e.URL = "/drift/" + url.PathEscape(m.Name)
			e.Rows = mon.Current().Rows
			if last := mon.Last(); last != nil {
				e.Status, e.Windows = last.Status, last.Window
			}
		case m.driftRef != nil:
			e.Note = "monitoring off"
		default:
			e.Note = "no reference"
		}
		entries = append(entries, e)
	}
	s.writeHTML(c, func(b *bytes.Buffer) error { return chart.WriteIndex(b, entries) })
}

// driftPage answers GET /drift/{m}: the HTML page of a model's drift
// monitor, or a v2 JSON error when the model is unknown or has none.
func (s *Server) driftPage(c *gin.Context) {
	m, err := s.model(c.Param("model"), "")
	if err != nil {
		s.writeError(c, protoV2, err)
		return
	}
	defer m.release()
	mon := m.monitor
	if mon == nil {
		s.writeError(c, protoV2, noMonitorError(m))
		return
	}
	p := chart.PageData{Model: m.Name, Version: m.Version, Reference: mon.Reference(), Current: mon.Current(),
		History: mon.History(), Refresh: driftPageRefresh, IndexURL: "/drift"}
	s.writeHTML(c, func(b *bytes.Buffer) error { return chart.WritePage(b, p) })
}

// writeHTML renders a page into a buffer first, so that a failure is
// still answered with an error status.
func (s *Server) writeHTML(c *gin.Context, render func(*bytes.Buffer) error) {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		s.writeError(c, protoV2, fmt.Errorf("rendering the drift page: %w", err))
		return
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", b.Bytes())
}
