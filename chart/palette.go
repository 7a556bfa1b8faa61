package chart

// The palette, shared by every chart and page (the UI's style.css names
// the same colours).
const (
	ColorReference = "#4c78a8" // reference bars
	ColorCurrent   = "#f58518" // current-window bars
	ColorPSI       = "#6a3d9a" // the PSI line of a timeline
	ColorKS        = "#1f77b4" // the KS statistic line
	ColorJS        = "#e377c2" // the JS distance line
	ColorOK        = "#22aa77" // status ok
	ColorWarning   = "#cc8800" // status warning
	ColorDrift     = "#cc2222" // status drift
	ColorNone      = "#888888" // no status; axes
	ColorGrid      = "#e4e4e4" // grid lines
	ColorText      = "#222222" // labels
)

// StatusColor is the colour of a drift status ("ok", "warning", "drift")
// in charts and text; ColorNone for anything else.
func StatusColor(status string) string {
	switch status {
	case "ok":
		return ColorOK
	case "warning":
		return ColorWarning
	case "drift":
		return ColorDrift
	}
	return ColorNone
}
