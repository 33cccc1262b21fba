package httpx

import (
	"encoding/json"
	"time"

	"github.com/latchkey/latchkey/internal/clock"
)

// AppendJSONString appends s as a JSON string exactly as encoding/json
// writes it. Plain printable ASCII is copied; anything else goes through
// encoding/json, so escaping (quotes, control characters, <, >, &, invalid
// UTF-8) stays exactly its own. The hottest answers (GET /token, /verify)
// are written with it instead of reflection.
func AppendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// AppendJSONTime appends t as encoding/json writes a clock.Time: RFC 3339
// UTC with three fractional digits.
func AppendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = clock.Append(b, t)
	return append(b, '"')
}
