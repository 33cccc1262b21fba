package usertokens

import (
	"time"

	"github.com/latchkey/latchkey/internal/httpx"
)

// AppendJSON appends v as encoding/json writes it, without reflection. GET
// /token, the most frequent call of all, answers with it; a test keeps the
// two byte for byte equal. (Not a MarshalJSON method: View is embedded in
// other answers, which would then marshal as View alone.)
func (v View) AppendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = httpx.AppendJSONString(b, v.ID)
	b = append(b, `,"kind":`...)
	b = httpx.AppendJSONString(b, v.Kind)
	if v.Name != "" {
		b = append(b, `,"name":`...)
		b = httpx.AppendJSONString(b, v.Name)
	}
	b = append(b, `,"user":`...)
	b = httpx.AppendJSONString(b, v.User)
	b = append(b, `,"actor":`...)
	if v.Actor == nil {
		b = append(b, "null"...)
	} else {
		b = httpx.AppendJSONString(b, *v.Actor)
	}
	b = append(b, `,"app_token_id":`...)
	b = httpx.AppendJSONString(b, v.AppTokenID)
	b = append(b, `,"created":`...)
	b = httpx.AppendJSONTime(b, time.Time(v.Created))
	b = append(b, `,"expires":`...)
	b = httpx.AppendJSONTime(b, time.Time(v.Expires))
	b = append(b, `,"expired":`...)
	if v.Expired {
		b = append(b, "true"...)
	} else {
		b = append(b, "false"...)
	}
	b = append(b, `,"ended_by":`...)
	if v.EndedBy == nil {
		b = append(b, "null"...)
	} else {
		b = httpx.AppendJSONString(b, string(*v.EndedBy))
	}
	b = append(b, `,"last_used":`...)
	if v.LastUsed == nil {
		b = append(b, "null"...)
	} else {
		b = httpx.AppendJSONTime(b, time.Time(*v.LastUsed))
	}
	b = append(b, `,"hint":`...)
	b = httpx.AppendJSONString(b, v.Hint)
	b = append(b, `,"scopes":`...)
	if v.Scopes == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, s := range v.Scopes {
			if i > 0 {
				b = append(b, ',')
			}
			b = httpx.AppendJSONString(b, s)
		}
		b = append(b, ']')
	}
	b = append(b, `,"rotated_from":`...)
	if v.RotatedFrom == nil {
		b = append(b, "null"...)
	} else {
		b = httpx.AppendJSONString(b, *v.RotatedFrom)
	}
	return append(b, '}')
}
