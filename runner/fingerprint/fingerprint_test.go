package fingerprint

import (
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseCPUModel(t *testing.T) {
	x86 := "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R)   CPU @ 2.20GHz\nflags\t\t: fpu\n\nprocessor\t: 1\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n"
	assert.Equal(t, "Intel(R) Xeon(R) CPU @ 2.20GHz", parseCPUModel(strings.NewReader(x86)))
	arm := "processor\t: 0\nBogoMIPS\t: 50.00\nCPU part\t: 0xd0c\n\nHardware\t: BCM2835\nModel\t: Raspberry Pi 4 Model B Rev 1.4\n"
	assert.Equal(t, "BCM2835", parseCPUModel(strings.NewReader(arm)))
	assert.Equal(t, "unknown", parseCPUModel(strings.NewReader("garbage\n\x00\nmodel name\t:\n")))
}

func TestCurrent(t *testing.T) {
	fp := Current("embedded")
	assert.Equal(t, runtime.NumCPU(), fp.Cores)
	assert.Equal(t, runtime.GOMAXPROCS(0), fp.GOMAXPROCS)
	assert.Equal(t, runtime.Version(), fp.GoVersion)
	assert.Equal(t, "embedded", fp.Backend)
	assert.NotEmpty(t, fp.CPUModel)
	same, diffs := fp.SameMachine(Current("embedded"))
	assert.True(t, same)
	assert.Empty(t, diffs)
	assert.Equal(t, "embedded", fp.Environment()["backend"])
}

func TestSameMachineNamesEveryDifference(t *testing.T) {
	a := Fingerprint{CPUModel: "A", Cores: 2, GOMAXPROCS: 2, GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64", Backend: "embedded"}

	b := a
	b.GoVersion = "go1.26.9"
	same, _ := a.SameMachine(b)
	assert.True(t, same, "a patch release is the same Go release")

	b = Fingerprint{CPUModel: "B", Cores: 4, GOMAXPROCS: 3, GoVersion: "go1.27rc1", GOOS: "darwin", GOARCH: "arm64", Backend: "localstack"}
	same, diffs := a.SameMachine(b)
	assert.False(t, same)
	assert.Equal(t, []string{
		`CPU model differs: baseline "A", this run "B"`,
		"CPU core count differs: baseline 2, this run 4",
		"GOMAXPROCS differs: baseline 2, this run 3",
		`Go version differs: baseline "go1.26.8", this run "go1.27rc1"`,
		"platform differs: baseline linux/amd64, this run darwin/arm64",
		`SQS backend differs: baseline "embedded", this run "localstack"`,
	}, diffs)

	_, diffs = Fingerprint{}.SameMachine(a)
	assert.Contains(t, diffs[0], "baseline (unknown)")
}

func TestGoRelease(t *testing.T) {
	for in, want := range map[string]string{
		"go1.26.8": "go1.26", "go1.26": "go1.26", "go1.27rc1": "go1.27",
		"devel go1.27-abc": "devel go1.27-abc", "": "",
	} {
		assert.Equal(t, want, goRelease(in), in)
	}
}
