// Package ids is the id of every record Latchkey stores: 12 bytes, a 4-byte
// creation time in seconds, 5 random bytes fixed per process and a 3-byte
// counter, the layout of a MongoDB ObjectID. Ids therefore sort by creation
// time on every engine (newest-first lists page by id), and the MongoDB
// engine stores them as native ObjectIDs.
package ids

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"sync/atomic"
	"time"
)

// ID is a record id. The zero ID names nothing.
type ID [12]byte

var (
	process [5]byte
	counter atomic.Uint32
)

func init() {
	var seed [3]byte
	_, _ = rand.Read(process[:]) // crypto/rand.Read never fails
	_, _ = rand.Read(seed[:])
	counter.Store(uint32(seed[0])<<16 | uint32(seed[1])<<8 | uint32(seed[2]))
}

// New returns a new id made now.
func New() ID { return NewAt(time.Now()) }

// NewAt returns a new id whose creation time is t (to the second).
func NewAt(t time.Time) ID {
	var b ID
	binary.BigEndian.PutUint32(b[0:4], uint32(t.Unix()))
	copy(b[4:9], process[:])
	c := counter.Add(1)
	b[9], b[10], b[11] = byte(c>>16), byte(c>>8), byte(c)
	return b
}

// Floor returns the smallest id made at t's second: every id made at t or
// later sorts at or after it.
func Floor(t time.Time) ID {
	var b ID
	binary.BigEndian.PutUint32(b[0:4], uint32(t.Unix()))
	return b
}

// ErrMalformed is Parse's error.
var ErrMalformed = errors.New("ids: not 24 hexadecimal digits")

// Parse reads the 24-hex form of an id.
func Parse(s string) (ID, error) {
	var b ID
	if len(s) != 24 {
		return b, ErrMalformed
	}
	if _, err := hex.Decode(b[:], []byte(s)); err != nil {
		return ID{}, ErrMalformed
	}
	return b, nil
}

// FromBytes returns the id of a 12-byte slice (as an engine stores it).
func FromBytes(p []byte) (ID, error) {
	var b ID
	if len(p) != len(b) {
		return b, ErrMalformed
	}
	copy(b[:], p)
	return b, nil
}

// Hex returns the 24-hex form.
func (i ID) Hex() string { return hex.EncodeToString(i[:]) }

// String returns the 24-hex form.
func (i ID) String() string { return i.Hex() }

// IsZero reports whether i is the zero ID.
func (i ID) IsZero() bool { return i == ID{} }

// Time returns when i was made, to the second.
func (i ID) Time() time.Time {
	return time.Unix(int64(binary.BigEndian.Uint32(i[0:4])), 0).UTC()
}

// MarshalText implements encoding.TextMarshaler (JSON shows the hex form).
func (i ID) MarshalText() ([]byte, error) { return []byte(i.Hex()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (i *ID) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*i = v
	return nil
}

// bsonObjectID is the BSON type byte of an ObjectID.
const bsonObjectID = 0x07

// MarshalBSONValue stores i as a BSON ObjectID (the MongoDB driver's
// bson.ValueMarshaler; no driver import is needed for it).
func (i ID) MarshalBSONValue() (byte, []byte, error) {
	return bsonObjectID, append([]byte(nil), i[:]...), nil
}

// UnmarshalBSONValue reads a BSON ObjectID (bson.ValueUnmarshaler).
func (i *ID) UnmarshalBSONValue(typ byte, data []byte) error {
	if typ != bsonObjectID || len(data) != len(i) {
		return errors.New("ids: BSON value is not an ObjectID")
	}
	copy(i[:], data)
	return nil
}
