package webhook

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// Policy is what a webhook URL may point at. The zero value is MLflow's
// rule: https only, and never a loopback, private, link-local, multicast or
// unspecified address (checked on every connection, after DNS, so a name
// that later resolves to such an address is refused too).
type Policy struct {
	// AllowHTTP accepts plain http:// URLs (berth server
	// --webhook-allow-http), for receivers on a trusted network.
	AllowHTTP bool
	// AllowPrivate lets deliveries reach private and loopback addresses
	// (--webhook-allow-private).
	AllowPrivate bool
}

// ValidateURL checks a webhook URL as written: an absolute https URL
// (http too with AllowHTTP) with a host, no user info, at most
// MaxURLLength bytes. Addresses are checked when a delivery connects
// (CheckAddr), not here: MLflow 3.6 accepts https://127.0.0.1/… at
// creation too.
func (p Policy) ValidateURL(raw string) error {
	if raw == "" {
		return invalid("Webhook URL cannot be empty.")
	}
	if len(raw) > MaxURLLength {
		return invalid("Webhook URL exceeds the maximum length of %d characters.", MaxURLLength)
	}
	if strings.TrimSpace(raw) != raw || strings.ContainsAny(raw, "\x00\r\n\t ") {
		return invalid("Invalid webhook URL: '%s'. It contains whitespace or control characters.", raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return invalid("Invalid webhook URL: '%s'.", raw)
	}
	allowed := "https"
	if p.AllowHTTP {
		allowed = "http, https"
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !p.AllowHTTP {
			return invalid("Invalid webhook URL scheme: '%s'. Allowed schemes are: %s.", u.Scheme, allowed)
		}
	default:
		return invalid("Invalid webhook URL scheme: '%s'. Allowed schemes are: %s.", u.Scheme, allowed)
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return invalid("Invalid webhook URL: '%s'. It must name a host.", raw)
	}
	if u.User != nil {
		return invalid("Invalid webhook URL: '%s'. It must not carry user information.", raw)
	}
	if port := u.Port(); port != "" {
		if n, err := parsePort(port); err != nil || n == 0 {
			return invalid("Invalid webhook URL: '%s'. Bad port %q.", raw, port)
		}
	}
	return nil
}

func parsePort(s string) (int, error) {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, errors.New("not a number")
		}
		n = n*10 + int(c-'0')
		if n > 65535 {
			return 0, errors.New("out of range")
		}
	}
	return n, nil
}

// ErrForbiddenAddress is a delivery refused because its host resolved to
// an address the Policy does not allow.
var ErrForbiddenAddress = errors.New("webhook address is not allowed")

// CheckAddr refuses the addresses a webhook may not reach under p.
func (p Policy) CheckAddr(a netip.Addr) error {
	if p.AllowPrivate {
		return nil
	}
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || reserved(a) {
		return fmt.Errorf("%w: %s is a private, loopback or reserved address (berth server --webhook-allow-private allows it)", ErrForbiddenAddress, a)
	}
	return nil
}

// reservedPrefixes are ranges outside IsPrivate that no public webhook
// lives in: this network, carrier-grade NAT, IETF protocol assignments,
// documentation and benchmarking nets, 240/4, NAT64 and 6to4 relays.
var reservedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
}

func reserved(a netip.Addr) bool {
	for _, p := range reservedPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// control is a net.Dialer Control function that checks the address a
// connection is about to reach, after DNS: a name cannot be rebound to a
// private address between the check and the connection.
func (p Policy) control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %q is not an IP address", ErrForbiddenAddress, host)
	}
	return p.CheckAddr(a)
}
