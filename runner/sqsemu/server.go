package sqsemu

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Server is a Handler listening on a loopback port, shaped like
// httptest.Server.
type Server struct {
	// URL is the endpoint, e.g. http://127.0.0.1:41234 (no trailing slash).
	URL     string
	Handler *Handler

	region     string
	listener   net.Listener
	srv        *http.Server
	served     chan struct{}
	clientOnce sync.Once
	client     *sqs.Client
	httpc      *http.Client
}

// NewServer starts a server on 127.0.0.1 with a free port. It is ready
// for requests when NewServer returns. It panics if it cannot listen,
// as httptest.NewServer does; use Listen to get the error instead.
func NewServer(opts ...Option) *Server {
	s, err := Listen("127.0.0.1:0", opts...)
	if err != nil {
		panic("sqsemu: " + err.Error())
	}
	return s
}

// Listen starts a server on addr (host:port).
func Listen(addr string, opts ...Option) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return Serve(ln, opts...), nil
}

// Serve starts a server on an existing listener, which it then owns.
func Serve(ln net.Listener, opts ...Option) *Server {
	h := New(opts...)
	s := &Server{
		URL:      "http://" + dialableAddr(ln.Addr()),
		Handler:  h,
		region:   h.region,
		listener: ln,
		served:   make(chan struct{}),
		srv: &http.Server{
			Handler:           h.httpHandler(),
			ReadHeaderTimeout: 10 * time.Second,
			// A client that trickles a body must not hold a connection for
			// ever; no write timeout, as long polls answer after up to 20 s.
			ReadTimeout: time.Minute,
			IdleTimeout: 2 * time.Minute,
		},
	}
	go func() {
		defer close(s.served)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			h.log.Error("sqsemu: serve", "err", err)
		}
	}()
	return s
}

// Close stops the server: long polls return empty, in-flight requests
// finish, connections close. It returns once no goroutine of the server
// is left.
func (s *Server) Close() {
	s.Handler.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
	}
	<-s.served
	s.clientOnce.Do(func() {}) // no client may be created from here on
	if s.httpc != nil {
		s.httpc.CloseIdleConnections()
	}
}

// Client returns an SQS client for this server (created once, safe for
// concurrent use). Close also closes its idle connections.
func (s *Server) Client() *sqs.Client {
	s.clientOnce.Do(func() {
		s.httpc = newHTTPClient()
		s.client = newClient(s.URL, s.region, s.httpc)
	})
	return s.client
}

// NewClient returns an aws-sdk-go-v2 SQS client for an emulator (or any
// SQS endpoint) at endpoint: static credentials test/test, the given
// region, no shared config or IMDS lookups, and retries without the
// client-side retry quota, so a burst of errors under load is retried
// rather than failing with "retry quota exceeded".
func NewClient(endpoint, region string) *sqs.Client {
	return newClient(endpoint, region, newHTTPClient())
}

func newHTTPClient() *http.Client {
	tr := awshttp.NewBuildableClient().GetTransport()
	// Many concurrent pollers share one client; the SDK's default of 10
	// idle connections per host would churn connections under load.
	tr.MaxIdleConns = 1024
	tr.MaxIdleConnsPerHost = 1024
	return &http.Client{Transport: tr}
}

func newClient(endpoint, region string, httpc *http.Client) *sqs.Client {
	if region == "" {
		region = DefaultRegion
	}
	return sqs.New(sqs.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:   httpc,
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.RateLimiter = ratelimit.None
		}),
	})
}

// dialableAddr turns a wildcard listen address (0.0.0.0, ::) into one a
// client on this machine can use in a URL.
func dialableAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}
