package report

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqsperf/sqsperf/runner/result"
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
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
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
// (runner/report/testdata/screenshot.sh writes the pictures of every
// report the browser matrix checks instead, with -screenshots DIR).
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

var screenshots = flag.String("screenshots", "", "write PNGs of every report the browser matrix checks into this directory (TestReportInChromiumAtLaptopAndPhoneWidths)")

// browserCase is one report the browser matrix opens.
type browserCase struct {
	name string
	s    func(t *testing.T) *result.Scenario
	// check looks at the DOM beyond what every page must satisfy.
	check func(t *testing.T, dom string)
}

func browserCases() []browserCase {
	return []browserCase{
		{name: "pass", s: func(t *testing.T) *result.Scenario {
			// A real short stress run: few queue samples, one repeat.
			return stressResult(t)
		}, check: func(t *testing.T, dom string) {
			assert.Contains(t, dom, "measured window per repeat")
			assert.Contains(t, dom, "sampled about every 1s")
		}},
		{name: "threshold-failure", s: func(*testing.T) *result.Scenario {
			s := fixture(240)
			s.Name, s.Verdict, s.Baseline = "threshold-failure", result.VerdictFail, nil
			return s
		}, check: func(t *testing.T, dom string) {
			assert.Regexp(t, `<tr class="bad"><td class="lead"><code>p99\(stage.process\) &lt; 50ms</code>`, dom)
		}},
		{name: "regression", s: func(*testing.T) *result.Scenario { return fixture(240) }, check: func(t *testing.T, dom string) {
			strip := regexp.MustCompile(`(?s)<figure class="strip bad" id="[^"]+" data-metric="cpu.per_message" data-verdict="regression">.*?</figure>`).FindString(dom)
			require.NotEmpty(t, strip, "the regressed metric's baseline-against-current chart is on the page")
			assert.Equal(t, 12, strings.Count(strip, "<circle "), "six repeats a side")
			assert.Contains(t, dom, "go tool pprof -top -diff_base BASE/cpu.pprof cpu.pprof")
		}},
	}
}

// phoneFrame is a page that shows report.html in an iframe of a phone's
// width. Headless Chromium will not make its window narrower than 500
// CSS pixels, so a 390-pixel window is really 500 wide; an iframe is a
// viewport of exactly the size asked for (media queries and
// width=device-width follow it). Once the report has loaded, the frame's
// result attributes are copied onto this page so --dump-dom shows them.
const phoneFrame = `<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe id="f" src="report.html" style="border:0;width:%dpx;height:%dpx;display:block"></iframe>
<script>
document.getElementById("f").addEventListener("load", function () {
  var doc = this.contentDocument, root = document.documentElement;
  if (!doc) { root.setAttribute("data-js-errors", "the report in the frame could not be read"); return; }
  var attrs = doc.documentElement.attributes;
  for (var i = 0; i < attrs.length; i++) {
    if (attrs[i].name.indexOf("data-") === 0) root.setAttribute(attrs[i].name, attrs[i].value);
  }
  root.setAttribute("data-rendered-count", String(doc.querySelectorAll("[data-rendered=true]").length));
  // The verdict of every threshold and compared metric, as drawn: those
  // that lie past the frame's right edge are off screen on a phone.
  var pills = doc.querySelectorAll("#thresholds td .pill, #baseline td .pill"), hidden = 0;
  for (var j = 0; j < pills.length; j++) {
    if (pills[j].getBoundingClientRect().right > this.clientWidth) hidden++;
  }
  root.setAttribute("data-verdict-pills", String(pills.length));
  root.setAttribute("data-verdict-pills-hidden", String(hidden));
});
</script>
</body></html>
`

// TestReportInChromiumAtLaptopAndPhoneWidths opens a passing run, a
// threshold failure and a regression at a laptop's and a phone's width:
// no script error, every chart drawn, no sideways scrolling on a phone.
// With -screenshots DIR it also writes a PNG of each, to look at.
func TestReportInChromiumAtLaptopAndPhoneWidths(t *testing.T) {
	browser := requireChromium(t)
	for _, bc := range browserCases() {
		s := bc.s(t)
		files, err := Write(s, Options{Dir: t.TempDir()})
		require.NoError(t, err)
		charts := buildPage(sanitize(s, newScrubber(nil))).Data.chartCount()
		require.Positive(t, charts)
		for _, size := range []struct {
			name string
			w, h int
			// frame shows the report in an iframe of w×h (see phoneFrame).
			frame bool
		}{{"laptop", 1366, 768, false}, {"phone", 390, 844, true}} {
			t.Run(bc.name+"/"+size.name, func(t *testing.T) {
				page, window := files.HTML, fmt.Sprintf("--window-size=%d,%d", size.w, size.h)
				if size.frame {
					page = filepath.Join(files.Dir, "phone.html")
					require.NoError(t, os.WriteFile(page, []byte(fmt.Sprintf(phoneFrame, size.w, size.h)), 0o644))
					window = fmt.Sprintf("--window-size=%d,%d", max(size.w, 500), size.h)
				}
				dom := string(runChromium(t, browser, window, "--allow-file-access-from-files", "--dump-dom", "file://"+page))
				if errs := regexp.MustCompile(`data-js-errors="([^"]*)"`).FindStringSubmatch(dom); errs != nil {
					t.Fatalf("the page reported script errors or blocked requests: %s", errs[1])
				}
				assert.Contains(t, dom, `data-charts="ok"`)
				assert.Contains(t, dom, fmt.Sprintf(`data-charts-rendered="%d"`, charts))
				client := attrInt(t, dom, "data-client-width")
				if size.frame {
					assert.Equal(t, charts, attrInt(t, dom, "data-rendered-count"))
					assert.Equal(t, size.w, client, "the report was laid out at the phone's width")
					assert.Positive(t, attrInt(t, dom, "data-verdict-pills"))
					assert.Zero(t, attrInt(t, dom, "data-verdict-pills-hidden"),
						"a threshold's or metric's verdict lies off screen on a phone: a reader must scroll each table sideways to see pass or fail")
				} else {
					assert.Equal(t, charts, len(regexp.MustCompile(`data-rendered="true"`).FindAllString(dom, -1)))
					bc.check(t, dom)
				}
				assert.LessOrEqual(t, attrInt(t, dom, "data-scroll-width"), client, "the page is wider than the window: it scrolls sideways")
				if *screenshots != "" {
					require.NoError(t, os.MkdirAll(*screenshots, 0o755))
					out, err := filepath.Abs(filepath.Join(*screenshots, bc.name+"-"+size.name+".png"))
					require.NoError(t, err)
					shot := page
					if size.frame {
						// The whole page, in a frame as tall as the picture.
						require.NoError(t, os.WriteFile(page, []byte(fmt.Sprintf(phoneFrame, size.w, 6000)), 0o644))
					}
					runChromium(t, browser, fmt.Sprintf("--window-size=%d,%d", max(size.w, 500), 6000), "--allow-file-access-from-files", "--screenshot="+out, "file://"+shot)
					t.Logf("screenshot: %s", out)
				}
			})
		}
	}
}

// TestRepeatSelectionShowsThatRepeatsData opens the page at ?repeat=2,
// the state the select element switches to, and checks the charts drew
// that repeat's data.
func TestRepeatSelectionShowsThatRepeatsData(t *testing.T) {
	browser := requireChromium(t)
	s := fixture(60)
	files, err := Write(s, Options{Dir: t.TempDir()})
	require.NoError(t, err)
	dom := string(runChromium(t, browser, "--window-size=1366,768", "--dump-dom", "file://"+files.HTML+"?repeat=2"))
	if errs := regexp.MustCompile(`data-js-errors="([^"]*)"`).FindStringSubmatch(dom); errs != nil {
		t.Fatalf("script errors: %s", errs[1])
	}
	assert.Contains(t, dom, `data-charts="ok"`)
	assert.Equal(t, 2, strings.Count(dom, `data-repeat-shown="2"`), "both cases show repeat 2")
	assert.Regexp(t, `<select class="repeat" data-case="case0">`, dom)

	dom = string(runChromium(t, browser, "--window-size=1366,768", "--dump-dom", "file://"+files.HTML))
	assert.Equal(t, 2, strings.Count(dom, `data-repeat-shown="1"`), "the first repeat by default")
}

func attrInt(t *testing.T, dom, name string) int {
	t.Helper()
	m := regexp.MustCompile(name + `="(\d+)"`).FindStringSubmatch(dom)
	require.NotNil(t, m, "the page set no %s", name)
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	return n
}
