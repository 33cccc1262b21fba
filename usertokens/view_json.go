package usertokens

import (
	"encoding/json"
	"time"
)

// AppendJSON appends v as encoding/json writes it, without reflection. GET
// /token, the most frequent call of all, answers with it; a test keeps the
// two byte for byte equal. (Not a MarshalJSON method: View is embedded in
// other answers, which would then marshal as View alone.)
func (v View) AppendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, v.ID)
	b = append(b, `,"kind":`...)
	b = appendString(b, v.Kind)
	if v.Name != "" {
		b = append(b, `,"name":`...)
		b = appendString(b, v.Name)
	}
	b = append(b, `,"user":`...)
	b = appendString(b, v.User)
	b = append(b, `,"actor":`...)
	if v.Actor == nil {
		b = append(b, "null"...)
	} else {
		b = appendString(b, *v.Actor)
	}
	b = append(b, `,"app_token_id":`...)
	b = appendString(b, v.AppTokenID)
	b = append(b, `,"created":`...)
	b = appendTime(b, v.Created)
	b = append(b, `,"expires":`...)
	b = appendTime(b, v.Expires)
	b = append(b, `,"expired":`...)
	if v.Expired {
		b = append(b, "true"...)
	} else {
		b = append(b, "false"...)
	}
	b = append(b, `,"last_used":`...)
	if v.LastUsed == nil {
		b = append(b, "null"...)
	} else {
		b = appendTime(b, *v.LastUsed)
	}
	return append(b, '}')
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendString quotes s. Anything but plain printable ASCII goes through
// encoding/json, so escaping (quotes, control characters, <, >, &, invalid
// UTF-8) stays exactly its own.
func appendString(b []byte, s string) []byte {
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
