package report

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var screenshot = flag.String("screenshot", "", "write a PNG screenshot of the sample report to this path (TestHTMLScreenshot)")

// chromiumPath finds Debian's chromium (or a Chrome) binary.
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func requireChromium(t *testing.T) string {
	t.Helper()
	p := chromiumPath()
	if p == "" {
		t.Skip("chromium is not installed, so report.html is not checked in a browser: apt-get install -y chromium (CI installs it)")
	}
	return p
}

// runChromium runs a headless Chromium with networking features off, so
// the page is judged exactly as it would open offline.
func runChromium(t *testing.T, browser string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
		"--user-data-dir=" + t.TempDir(),
		// Let timers and layout settle before the DOM is dumped.
		"--virtual-time-budget=3000",
	}
	cmd := exec.CommandContext(ctx, browser, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, err, "chromium failed: %s", stderr.String())
	return stdout.Bytes()
}

func writeSample(t *testing.T, points int) (string, int) {
	t.Helper()
	s := fixture(points)
	files, err := Write(s, Options{Dir: t.TempDir()})
	require.NoError(t, err)
	return files.HTML, buildPage(sanitize(s, newScrubber(nil))).Data.chartCount()
}

func TestHTMLRendersEveryChartInChromium(t *testing.T) {
	browser := requireChromium(t)
	page, charts := writeSample(t, 240)
	require.Greater(t, charts, 8, "the fixture should produce charts for both cases")

	dom := string(runChromium(t, browser, "--window-size=1366,900", "--dump-dom", "file://"+page))
	require.NotEmpty(t, dom)

	errs := regexp.MustCompile(`data-js-errors="([^"]*)"`).FindStringSubmatch(dom)
	if errs != nil {
		t.Fatalf("the page reported script errors or blocked requests: %s", errs[1])
	}
	assert.Regexp(t, `data-charts="ok"`, dom)
	assert.Contains(t, dom, `data-charts-expected="`+strconv.Itoa(charts)+`"`)
	assert.Contains(t, dom, `data-charts-rendered="`+strconv.Itoa(charts)+`"`)
	// uPlot built a canvas in every chart's element.
	assert.Equal(t, charts, len(regexp.MustCompile(`data-rendered="true"`).FindAllString(dom, -1)))
	assert.GreaterOrEqual(t, len(regexp.MustCompile(`<canvas`).FindAllString(dom, -1)), charts)
}

// TestHTMLScreenshot writes a screenshot of the sample report when asked:
//
//	go test ./runner/report -run TestHTMLScreenshot -screenshot /tmp/report.png
//
// (runner/report/testdata/screenshot.sh does this).
func TestHTMLScreenshot(t *testing.T) {
	if *screenshot == "" {
		t.Skip("no -screenshot path given")
	}
	browser := requireChromium(t)
	page, _ := writeSample(t, 240)
	out, err := filepath.Abs(*screenshot)
	require.NoError(t, err)
	runChromium(t, browser, "--window-size=1366,3000", "--screenshot="+out, "file://"+page)
	fi, err := os.Stat(out)
	require.NoError(t, err)
	assert.Greater(t, fi.Size(), int64(10000))
	t.Logf("screenshot written to %s", out)
}
