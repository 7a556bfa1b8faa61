package evaluate

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Plot size in pixels (drawn at 72 dpi, so one point is one pixel).
const (
	PlotWidth  = 800
	PlotHeight = 600
)

// writePNG draws p onto a PlotWidth×PlotHeight PNG.
func writePNG(w io.Writer, p *plot.Plot) error {
	c := vgimg.NewWith(vgimg.UseWH(vg.Points(PlotWidth), vg.Points(PlotHeight)), vgimg.UseDPI(72))
	p.Draw(draw.New(c))
	_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
	return err
}

// newPlot returns a plot with a title and type sized for PlotWidth×PlotHeight.
func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(18)
	p.Title.Padding = vg.Points(8)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = vg.Points(14)
		a.Tick.Label.Font.Size = vg.Points(12)
		a.Padding = vg.Points(4)
	}
	p.Legend.TextStyle.Font.Size = vg.Points(13)
	return p
}

// curvePlot draws ROC or precision-recall curves the way MLflow's
// _gen_classifier_curve does: post-step lines, a dashed grey chance line, the
// area in each legend entry ("AUC=0.912" / "AP=0.874", prefixed by
// "label=<class>," for one-vs-rest curves).
func curvePlot(r *Result, roc bool) (*plot.Plot, error) {
	curves, title, xl, yl, metric := r.PR, "Precision recall curve", "Recall", "Precision", "AP"
	diag := plotter.XYs{{X: 0, Y: 1}, {X: 1, Y: 0}}
	if roc {
		curves, title, xl, yl, metric = r.ROC, "ROC curve", "False Positive Rate", "True Positive Rate", "AUC"
		diag = plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}}
	}
	binary := r.PosLabel != ""
	if binary {
		xl += fmt.Sprintf(" (Positive label: %s)", r.PosLabel)
		yl += fmt.Sprintf(" (Positive label: %s)", r.PosLabel)
	}
	p := newPlot(title)
	p.X.Label.Text, p.Y.Label.Text = xl, yl
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -0.02, 1.02, -0.02, 1.02
	p.Add(plotter.NewGrid())
	chance, err := plotter.NewLine(diag)
	if err != nil {
		return nil, err
	}
	chance.Color = color.Gray{Y: 0xb0}
	chance.Dashes = []vg.Length{vg.Points(6), vg.Points(4)}
	p.Add(chance)
	for i, c := range curves {
		pts := make(plotter.XYs, len(c.X))
		for j := range c.X {
			pts[j] = plotter.XY{X: c.X[j], Y: c.Y[j]}
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("plotting curve of %q: %w", c.Label, err)
		}
		line.StepStyle = plotter.PostStep
		line.Color = plotutil.Color(i)
		line.Width = vg.Points(2)
		p.Add(line)
		name := fmt.Sprintf("%s=%.3f", metric, c.AUC)
		if !binary {
			name = fmt.Sprintf("label=%s,%s", c.Label, name)
		}
		p.Legend.Add(name, line)
	}
	// ROC curves rise to the top left, PR curves fall to the bottom right:
	// the legend goes in the corner they leave free.
	p.Legend.Top, p.Legend.Left = false, !roc
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(12), vg.Points(12)
	if !roc {
		p.Legend.XOffs = vg.Points(12)
	}
	return p, nil
}

// confusionPlot draws the confusion matrix as a heat map, shaded by the share
// of each true label's rows (MLflow's normalize="true", in sklearn's "Blues"),
// with the count and that share written in every cell. True labels run down
// the left, predicted labels along the bottom, first label top left.
func confusionPlot(r *Result) *plot.Plot {
	p := newPlot("Confusion matrix")
	p.X.Label.Text, p.Y.Label.Text = "Predicted label", "True label"
	k := len(r.Labels)
	rev := make([]string, k)
	for i, l := range r.Labels {
		rev[k-1-i] = l
	}
	p.NominalX(r.Labels...)
	p.NominalY(rev...)
	p.X.Tick.Length, p.Y.Tick.Length = 0, 0
	p.Add(&heatCells{conf: r.Confusion})
	p.X.Min, p.X.Max = -0.5, float64(k)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(k)-0.5
	return p
}

// heatCells is a plot.Plotter drawing one shaded, annotated square per cell.
type heatCells struct{ conf [][]int64 }

func (h *heatCells) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	k := len(h.conf)
	size := vg.Points(math.Max(9, math.Min(20, 160/float64(k))))
	for i, row := range h.conf {
		var total int64
		for _, v := range row {
			total += v
		}
		for j, v := range row {
			share := 0.0
			if total > 0 {
				share = float64(v) / float64(total)
			}
			x, y := float64(j), float64(k-1-i)
			x0, x1 := trX(x-0.5), trX(x+0.5)
			y0, y1 := trY(y-0.5), trY(y+0.5)
			c.FillPolygon(blues(share), []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
			ink := color.Color(color.Black)
			if share > 0.55 {
				ink = color.White
			}
			sty := text.Style{
				Color:   ink,
				Font:    font.From(plot.DefaultFont, size),
				XAlign:  draw.XCenter,
				YAlign:  draw.YCenter,
				Handler: p.TextHandler,
			}
			label := fmt.Sprintf("%d\n(%.2f)", v, share)
			if total == 0 {
				label = "0"
			}
			c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, label)
		}
	}
}

// DataRange implements plot.DataRanger.
func (h *heatCells) DataRange() (xmin, xmax, ymin, ymax float64) {
	k := float64(len(h.conf))
	return -0.5, k - 0.5, -0.5, k - 0.5
}

// blues interpolates matplotlib's "Blues" colour map from white-ish (0) to
// dark blue (1).
func blues(v float64) color.Color {
	stops := [...][3]float64{
		{247, 251, 255}, {222, 235, 247}, {198, 219, 239}, {158, 202, 225}, {107, 174, 214},
		{66, 146, 198}, {33, 113, 181}, {8, 81, 156}, {8, 48, 107},
	}
	v = math.Max(0, math.Min(1, v)) * float64(len(stops)-1)
	i := int(v)
	if i >= len(stops)-1 {
		i = len(stops) - 2
	}
	f := v - float64(i)
	var out [3]uint8
	for ch := range out {
		out[ch] = uint8(math.Round(stops[i][ch] + f*(stops[i+1][ch]-stops[i][ch])))
	}
	return color.RGBA{R: out[0], G: out[1], B: out[2], A: 0xff}
}
