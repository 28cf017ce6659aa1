// Package certinfo reads certificates as checks judge them: the first PEM certificate of a blob,
// and whether it expires within a window.
package certinfo

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"time"
)

// ExpiringWithin is how early a certificate about to expire is worth a warning.
const ExpiringWithin = 7 * 24 * time.Hour

func FirstPEM(data []byte) (*x509.Certificate, error) {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("no PEM CERTIFICATE block")
		}
		if block.Type == "CERTIFICATE" {
			return x509.ParseCertificate(block.Bytes)
		}
	}
}
