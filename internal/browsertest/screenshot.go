package browsertest

import (
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Screenshot saves a PNG of the whole page, beyond the viewport too, as
// <name>.png in $BERTH_TEST_ARTIFACTS/<TestName>/ when that variable is set,
// else in a temporary directory of the test. It logs and returns the path.
func (p *Page) Screenshot(name string) string {
	p.tb.Helper()
	data := run(p, "taking a screenshot", chromedp.FullScreenshot(100))
	path := filepath.Join(p.b.artifactsDir(), name+".png")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		p.tb.Fatalf("saving the screenshot: %v", err)
	}
	p.tb.Logf("screenshot %s: %s", name, path)
	return path
}

// artifactsDir returns the directory for the test's screenshots, made on
// first use.
func (b *Browser) artifactsDir() string {
	b.tb.Helper()
	if b.shots != "" {
		return b.shots
	}
	root := os.Getenv("BERTH_TEST_ARTIFACTS")
	if root == "" {
		b.shots = b.tb.TempDir()
		return b.shots
	}
	dir := filepath.Join(root, filepath.FromSlash(safeName(b.tb.Name())))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.tb.Fatalf("making the artifacts directory: %v", err)
	}
	b.shots = dir
	return dir
}

// safeName keeps letters, digits, '.', '-', '_' and the '/' between a test
// and its subtests; anything else becomes '_'.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_', r == '/':
			return r
		}
		return '_'
	}, strings.ReplaceAll(s, "..", "__"))
}

// CountColor counts the pixels of the PNG file that are within tolerance
// of rgb on each of the red, green and blue channels.
func CountColor(tb testing.TB, pngPath string, rgb [3]uint8, tolerance int) int {
	tb.Helper()
	f, err := os.Open(pngPath)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		tb.Fatalf("decoding %s: %v", pngPath, err)
	}
	var n int
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r>>8, rgb[0], tolerance) && near(g>>8, rgb[1], tolerance) && near(bl>>8, rgb[2], tolerance) {
				n++
			}
		}
	}
	return n
}

func near(v uint32, want uint8, tol int) bool {
	d := int(v) - int(want)
	return max(d, -d) <= tol
}

// Hex parses a CSS colour "#rrggbb".
func Hex(hex string) [3]uint8 {
	return Blend(hex, 1)
}

// Blend returns the colour "#rrggbb" drawn at opacity alpha over white, as
// a chart's translucent bars appear in a screenshot. It panics on a
// malformed colour, a bug in the test.
func Blend(hex string, alpha float64) [3]uint8 {
	if len(hex) != 7 || hex[0] != '#' {
		panic("browsertest: colour " + strconv.Quote(hex) + " is not #rrggbb")
	}
	var c [3]uint8
	for i := range c {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			panic("browsertest: colour " + strconv.Quote(hex) + " is not #rrggbb")
		}
		c[i] = uint8(alpha*float64(v) + (1-alpha)*255 + 0.5)
	}
	return c
}
