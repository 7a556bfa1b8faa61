package options

import (
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/berthml/berth/internal/httpguard"
)

// Listen are the flags of both servers (berth serve, berth server) that
// say where they listen and how they guard it.
type Listen struct {
	Host, Port   string
	BodyTimeout  time.Duration
	AllowedHosts []string
	Shutdown     time.Duration
	AccessLog    bool
}

// AddFlags adds --host, --port (default port), --body-timeout,
// --allowed-hosts, --shutdown-timeout and --access-log to cmd.
func (o *Listen) AddFlags(cmd *cobra.Command, port string) {
	f := cmd.Flags()
	f.StringVar(&o.Host, "host", "127.0.0.1", "address to listen on")
	f.StringVarP(&o.Port, "port", "p", port, "port to listen on")
	f.DurationVar(&o.BodyTimeout, "body-timeout", httpguard.DefaultBodyTimeout, "answer 408 to a request whose body's first MiB, or any MiB after it, has not arrived within this (0 disables)")
	f.StringSliceVar(&o.AllowedHosts, "allowed-hosts", nil, "Host header values answered, against DNS rebinding (comma list or repeated; * for any; default: the loopback names when --host is a loopback address, else any); health routes and /version answer any")
	f.DurationVar(&o.Shutdown, "shutdown-timeout", 30*time.Second, "on SIGTERM, how long to wait for requests in flight")
	f.BoolVar(&o.AccessLog, "access-log", false, "log one line per request (in --log-format)")
}

// Hosts is --allowed-hosts, or by default the loopback names when the
// server listens on a loopback address (nil, no check, otherwise).
func (o *Listen) Hosts() []string {
	if len(o.AllowedHosts) > 0 {
		return o.AllowedHosts
	}
	return httpguard.DefaultAllowedHosts(o.Host)
}

// Listen opens the listening socket.
func (o *Listen) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(o.Host, o.Port))
	if err != nil {
		return nil, fmt.Errorf("%w (is another server on that port? give --port)", err)
	}
	return ln, nil
}
