package leaks

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/latchkey/latchkey/internal/errs"
)

// The headers a signed report carries, as GitHub's secret scanning partner
// program sends them: the identifier of the signing key and the ECDSA
// signature (ASN.1 DER, base64) of the SHA-256 of the raw body.
const (
	KeyIDHeader     = "GITHUB-PUBLIC-KEY-IDENTIFIER"
	SignatureHeader = "GITHUB-PUBLIC-KEY-SIGNATURE"
)

// Keys are the public keys whose signatures a report may carry, by key
// identifier: several at once, so a scanner can rotate its key (both the
// old and the new one are configured until the old one is retired).
type Keys struct {
	byID map[string]*ecdsa.PublicKey
}

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// ParseKeys reads the configured keys (leaks.public_keys): each entry is
// "<key identifier>:<key>", the key an ECDSA P-256 public key as PEM or the
// base64 of its DER; white space inside it (a PEM on one line, as an
// environment variable holds it) is ignored. Errors name the entry.
func ParseKeys(entries []string) (*Keys, error) {
	k := &Keys{byID: map[string]*ecdsa.PublicKey{}}
	for i, e := range entries {
		id, key, ok := strings.Cut(e, ":")
		if !ok {
			return nil, fmt.Errorf("entry %d: must be <key identifier>:<public key>", i+1)
		}
		if err := k.add(strings.TrimSpace(id), key); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
	}
	return k, nil
}

// ReadFile adds the keys of a JSON document in the shape GitHub publishes
// its secret scanning keys in (leaks.public_keys_file):
// {"public_keys": [{"key_identifier": "…", "key": "<PEM>", …}, …]}.
func (k *Keys) ReadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc struct {
		PublicKeys []struct {
			KeyIdentifier string `json:"key_identifier"`
			Key           string `json:"key"`
		} `json:"public_keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: not a JSON document of public_keys: %w", path, err)
	}
	for i, e := range doc.PublicKeys {
		if err := k.add(e.KeyIdentifier, e.Key); err != nil {
			return fmt.Errorf("%s: public_keys[%d]: %w", path, i, err)
		}
	}
	return nil
}

func (k *Keys) add(id, text string) error {
	if !keyIDPattern.MatchString(id) {
		return errors.New("the key identifier must be 1 to 128 letters, digits, '.', '_' or '-'")
	}
	pub, err := parsePublicKey(text)
	if err != nil {
		return fmt.Errorf("key %s: %w", id, err)
	}
	if old, ok := k.byID[id]; ok && !old.Equal(pub) {
		return fmt.Errorf("key %s: the identifier is given twice with different keys", id)
	}
	k.byID[id] = pub
	return nil
}

// parsePublicKey reads an ECDSA P-256 public key from a PEM block or the
// base64 of its DER (SubjectPublicKeyInfo).
func parsePublicKey(text string) (*ecdsa.PublicKey, error) {
	const begin, end = "-----BEGIN PUBLIC KEY-----", "-----END PUBLIC KEY-----"
	text = strings.TrimSpace(text)
	if body, ok := strings.CutPrefix(text, begin); ok {
		var found bool
		if text, _, found = strings.Cut(body, end); !found {
			return nil, errors.New("the PEM block has no END line")
		}
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text), ""))
	if err != nil {
		return nil, errors.New("not a PEM public key or the base64 of one")
	}
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("not a public key: %w", err)
	}
	pub, ok := key.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, errors.New("not an ECDSA P-256 public key")
	}
	return pub, nil
}

// IDs returns the configured key identifiers, sorted.
func (k *Keys) IDs() []string {
	if k == nil {
		return nil
	}
	var out []string
	for id := range k.byID {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

var (
	errNoKeys = errs.E(errs.Unauthorized, KeyIDHeader,
		"This server accepts no signed leak reports: no public keys are configured (leaks.public_keys).")
	errUnknownKey = errs.E(errs.Unauthorized, KeyIDHeader, "No public key with this identifier is configured.")
	errNoKeyID    = errs.E(errs.Unauthorized, KeyIDHeader, "This header is required with "+SignatureHeader+".")
	errNoSig      = errs.E(errs.Unauthorized, SignatureHeader, "This header is required with "+KeyIDHeader+".")
	errBadSig     = errs.E(errs.Unauthorized, SignatureHeader,
		"The signature does not verify: it must be the base64 ECDSA signature (ASN.1 DER) of the SHA-256 of the raw body.")
)

// Verify checks that signature (base64 of an ASN.1 DER ECDSA signature)
// signs the SHA-256 of body with the key named id. Errors: Unauthorized.
func (k *Keys) Verify(id, signature string, body []byte) error {
	switch {
	case id == "":
		return errNoKeyID
	case signature == "":
		return errNoSig
	case k == nil || len(k.byID) == 0:
		return errNoKeys
	}
	pub, ok := k.byID[id]
	if !ok {
		return errUnknownKey
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(signature))
	if err != nil {
		return errBadSig
	}
	sum := sha256.Sum256(body)
	if !ecdsa.VerifyASN1(pub, sum[:], sig) {
		return errBadSig
	}
	return nil
}
