package runner

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/kbench/kbench/internal/driver"
	"github.com/kbench/kbench/workloads"
)

// clusterNet turns an experiment's cluster section (SASL, TLS) into the
// client network settings. The SASL password is revealed only here, into
// the client configuration; it never reaches a log or a result.
func clusterNet(c *workloads.Cluster) (driver.Net, error) {
	var n driver.Net
	if c == nil {
		return n, nil
	}
	if s := c.SASL; s != nil {
		n.SASL = &driver.SASL{Mechanism: s.Mechanism, Username: s.Username, Password: s.Password.Reveal()}
	}
	if t := c.TLS; t != nil {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // the user's explicit choice
		if t.CA != "" {
			pem, err := os.ReadFile(t.CA)
			if err != nil {
				return n, fmt.Errorf("cluster.tls.ca: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return n, fmt.Errorf("cluster.tls.ca: %s holds no PEM certificate", t.CA)
			}
			cfg.RootCAs = pool
		}
		if t.Cert != "" {
			cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
			if err != nil {
				return n, fmt.Errorf("cluster.tls.cert/key: %w", err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		n.TLS = cfg
	}
	return n, nil
}
