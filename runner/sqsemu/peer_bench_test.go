package sqsemu

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// serveProcessEnv makes TestHelperServeProcess serve instead of skip.
const serveProcessEnv = "SQSEMU_SERVE_PROCESS"

// serveProfileEnv names a file for the CPU profile of the served
// process (BenchmarkServerCPUPerOp's emulator half), written when it
// stops: SQSEMU_SERVE_CPUPROFILE=/tmp/server.prof go test -bench ...
const serveProfileEnv = "SQSEMU_SERVE_CPUPROFILE"

// TestHelperServeProcess is not a test: BenchmarkServerCPUPerOp runs the
// test binary again with SQSEMU_SERVE_PROCESS=1 to get the emulator in a
// process of its own, whose CPU time it can read apart from the client's.
// It serves until its standard input closes.
func TestHelperServeProcess(t *testing.T) {
	if os.Getenv(serveProcessEnv) != "1" {
		t.Skip("helper process of BenchmarkServerCPUPerOp")
	}
	srv, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if path := os.Getenv(serveProfileEnv); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatalf("%s: %v", serveProfileEnv, err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatalf("%s: %v", serveProfileEnv, err)
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("listening %d\n", srv.listener.Addr().(*net.TCPAddr).Port)
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// BenchmarkServerCPUPerOp puts the embedded server and a Node.js peer
// emulator (local-aws-sqs, installed by testdata/nodepeer/install.sh)
// through the same work, driven by the same Go SDK client from this
// process: each operation is one SendMessageBatch of 10, one
// ReceiveMessage of up to 10 and one DeleteMessageBatch, from 16
// concurrent workers on 2 cores. Each server runs in its own process and
// is charged only its own CPU time (/proc/<pid>/stat), reported per
// message moved and per request, with the kernel's part of it per
// request (server-sys-µs/req: loopback TCP reads and writes, wakeups,
// which no server code avoids). The peer skips when node or the
// package is missing.
func BenchmarkServerCPUPerOp(b *testing.B) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		b.Skip("needs /proc to read a server process's CPU time")
	}
	b.Run("server=sqsemu", func(b *testing.B) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperServeProcess$")
		cmd.Env = append(os.Environ(), serveProcessEnv+"=1")
		benchmarkServerProcess(b, cmd)
	})
	b.Run("server=local-aws-sqs", func(b *testing.B) {
		dir := filepath.Join("testdata", "nodepeer")
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "local-aws-sqs")); err != nil {
			b.Skip("local-aws-sqs is not installed: run runner/sqsemu/testdata/nodepeer/install.sh (needs npm) to compare with it")
		}
		node, err := exec.LookPath("node")
		if err != nil {
			b.Skip("node is not on PATH: install Node.js 18 or later to compare with local-aws-sqs")
		}
		cmd := exec.Command(node, "server.mjs")
		cmd.Dir = dir
		benchmarkServerProcess(b, cmd)
	})
}

func benchmarkServerProcess(b *testing.B, cmd *exec.Cmd) {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- cmd.Wait() }()
	defer func() {
		_ = stdin.Close() // the server exits when its input closes
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-stopped
		}
	}()
	port, err := readListeningPort(stdout)
	if err != nil {
		b.Fatalf("server did not start: %v\n%s", err, stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	httpc := newHTTPClient()
	defer httpc.CloseIdleConnections()
	c := newClient("http://127.0.0.1:"+strconv.Itoa(port), DefaultRegion, httpc)
	ctx := b.Context()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("peer-bench")})
	if err != nil {
		b.Fatal(err)
	}
	url := out.QueueUrl
	entries := make([]types.SendMessageBatchRequestEntry, 10)
	for i := range entries {
		entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)),
			MessageBody: aws.String(fmt.Sprintf(`{"job":"bench","task":%d,"payload":"0123456789abcdef0123456789abcdef"}`, i))}
	}
	var moved, requests atomic.Int64
	b.SetParallelism(8) // 16 workers on 2 cores, as in the measurement
	cpuBefore, sysBefore, err := processCPUOf(cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		del := make([]types.DeleteMessageBatchRequestEntry, 0, 10)
		for pb.Next() {
			n, reqs, ok := sendReceiveDelete(ctx, b, c, url, entries, &del)
			requests.Add(int64(reqs))
			if !ok {
				return
			}
			moved.Add(int64(n))
		}
	})
	b.StopTimer()
	cpuAfter, sysAfter, err := processCPUOf(cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	if n := moved.Load(); n > 0 {
		cpu := cpuAfter - cpuBefore
		b.ReportMetric(cpu.Seconds()*1e6/float64(n), "server-cpu-µs/msg")
		b.ReportMetric(cpu.Seconds()*1e6/float64(requests.Load()), "server-cpu-µs/req")
		b.ReportMetric((sysAfter-sysBefore).Seconds()*1e6/float64(requests.Load()), "server-sys-µs/req")
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
	}
}

func readListeningPort(r io.Reader) (int, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		return 0, err
	}
	text, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if !ok {
		return 0, fmt.Errorf("unexpected first line %q", line)
	}
	return strconv.Atoi(text)
}

// processCPUOf reads a process's CPU time from /proc/<pid>/stat: user
// plus system (fields 14 and 15, in clock ticks of 10 ms: the benchmark
// needs a few thousand operations for a steady figure), and system
// alone, the kernel's share (loopback TCP, wakeups).
func processCPUOf(pid int) (total, sys time.Duration, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) may hold spaces: count from its ")".
	end := strings.LastIndexByte(string(data), ')')
	if end < 0 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	fields := strings.Fields(string(data[end+1:]))
	if len(fields) < 13 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return time.Duration(utime+stime) * tick, time.Duration(stime) * tick, nil
}
