package apidoc_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/leaks"
)

// leakCases drive POST /leaks signed by a key made here and as the
// platform owner, and through its refusals.
func leakCases(t *testing.T, w *world) {
	k := w.k
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := leaks.ParseKeys([]string{"scanner:" + string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))})
	if err != nil {
		t.Fatal(err)
	}
	k.s.App.Leaks.SetKeys(keys)
	signed := func(body string) map[string]string {
		sum := sha256.Sum256([]byte(body))
		sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		return map[string]string{leaks.KeyIDHeader: "scanner", leaks.SignatureHeader: base64.StdEncoding.EncodeToString(sig)}
	}
	victim := k.s.Login(t, w.app, "owner", "owner-password")
	report := `[{"token":"` + victim + `","type":"latchkey_user_token","url":"https://example.com/x","source":"content"}]`

	k.Do(t, call{Method: "POST", Path: "/leaks", JSON: report, Header: signed(report), Want: 200})
	k.Do(t, call{Method: "POST", Path: "/leaks", App: k.s.AppToken, User: w.platform, Want: 200,
		JSON: `[{"token":"ghp_not_ours"},{"token":"` + victim + `","extra":1}]`})
	k.Do(t, call{Method: "POST", Path: "/leaks", JSON: report, Header: signed(report + " "), Want: 401})
	k.Do(t, call{Method: "POST", Path: "/leaks", JSON: report, Want: 401, Refused: true})
	k.Do(t, call{Method: "POST", Path: "/leaks", App: w.app, User: w.owner, JSON: report, Want: 403})
	notList := `{"token":"` + victim + `"}`
	k.Do(t, call{Method: "POST", Path: "/leaks", JSON: notList, Header: signed(notList), Want: 400, Refused: true})
	tooMany := "[" + strings.Repeat(`{"token":"x"},`, leaks.MaxEntries) + `{"token":"x"}]`
	k.Do(t, call{Method: "POST", Path: "/leaks", JSON: tooMany, Header: signed(tooMany), Want: 413, Refused: true})
}
