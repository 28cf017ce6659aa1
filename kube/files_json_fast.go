// The fast typed decoder: json-iterator (the library Kubernetes' own codecs used before
// sigs.k8s.io/json), taken only where it is proven to read a document exactly as the reference
// decoder (sigs.k8s.io/json, strict) does; everything else, and every error, is the
// reference's to decode and word.

package kube

import (
	"bytes"
	"io"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	jsoniter "github.com/json-iterator/go"
	"github.com/modern-go/reflect2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fastJSON matches the API server's reading: field names case-sensitive, unknown fields
// ignored. The reference decoder also keeps integers as int64 in interface values, which
// typed objects do not hold: unstructured objects always take the reference.
var fastJSON = func() jsoniter.API {
	api := jsoniter.Config{CaseSensitive: true}.Froze()
	api.RegisterExtension(&timeExtension{})
	return api
}()

// timeExtension reads metav1.Time (four or more in every pod) as its UnmarshalJSON does, without
// the encoding/json call that method makes for the string: a tenth of a big snapshot's decoding.
type timeExtension struct{ jsoniter.DummyExtension }

var timeType = reflect2.TypeOf(metav1.Time{})

func (*timeExtension) CreateDecoder(typ reflect2.Type) jsoniter.ValDecoder {
	if typ == timeType {
		return timeDecoder{}
	}
	return nil
}

type timeDecoder struct{}

// Decode is metav1.Time.UnmarshalJSON: null is the zero time; a string is parsed as RFC 3339
// and made local. The string is the one encoding/json would read: decodeFast takes only
// documents whose strings the two libraries read alike. Anything else is an error, which
// sends the document to the reference decoder.
func (timeDecoder) Decode(ptr unsafe.Pointer, iter *jsoniter.Iterator) {
	t := (*metav1.Time)(ptr)
	switch iter.WhatIsNext() {
	case jsoniter.NilValue:
		iter.Skip()
		t.Time = time.Time{}
	case jsoniter.StringValue:
		pt, err := time.Parse(time.RFC3339, iter.ReadString())
		if err != nil {
			iter.ReportError("decode metav1.Time", err.Error())
			return
		}
		t.Time = pt.Local()
	default:
		iter.ReportError("decode metav1.Time", "not a string")
	}
}

// decodeFast decodes raw into obj with the fast decoder, and says whether it did. It refuses
// (and obj is then to be thrown away) whatever the reference might read otherwise or refuse:
// invalid JSON, a key set twice, and the values where the two decoders are not known to agree
// (see fastScanner.str and .number).
func decodeFast(raw []byte, obj any) (ok bool) {
	s := fastScanners.Get().(*fastScanner)
	fast := s.eligible(raw)
	fastScanners.Put(s)
	return fast && decodeEligible(raw, obj)
}

// decodeEligible is decodeFast for a document the scanner has already found eligible.
func decodeEligible(raw []byte, obj any) (ok bool) {
	iter := fastJSON.BorrowIterator(raw)
	defer func() {
		if recover() != nil { // a library bug is the reference's to meet
			ok = false
		}
		// The library's pool would otherwise keep the bytes, a whole file's slice, alive.
		iter.ResetBytes(nil)
		fastJSON.ReturnIterator(iter)
	}()
	iter.ReadVal(obj)
	// The value is complete and nothing but space follows it (eligible): what the library's
	// Unmarshal checks after it, but for io.EOF, is said.
	return iter.Error == nil || iter.Error == io.EOF
}

var fastScanners = sync.Pool{New: func() any { return &fastScanner{} }}

// fastScanner checks a JSON value in one pass without building anything: grammar (RFC 8259,
// as encoding/json's scanner), keys set twice, and the values the fast decoder may read
// differently from the reference.
type fastScanner struct {
	data []byte
	keys [][]byte // the keys of the objects being scanned, innermost last
	top  topMembers
}

// topMembers are what the scan saw of the top-level object's apiVersion, kind and items: the
// bytes of the first two when they are strings without escapes, and whether anything else
// about them (another type, an escape, items at all) needs the walker's reading.
type topMembers struct {
	apiVersion, kind []byte
	other            bool
}

// maxFastDepth: deeper documents are the reference's, which has its own limit.
const maxFastDepth = 1000

// maxFastKeys: an object with more keys takes the reference path rather than a quadratic
// duplicate check.
const maxFastKeys = 256

func (s *fastScanner) eligible(data []byte) bool {
	ok, _ := s.eligibleTop(data)
	return ok
}

// eligibleTop is eligible, and what the scan saw of the top-level object's kind.
func (s *fastScanner) eligibleTop(data []byte) (ok bool, top topMembers) {
	s.data, s.keys, s.top = data, s.keys[:0], topMembers{}
	defer func() { // the pool must not keep the file
		s.data, s.top = nil, topMembers{}
		clear(s.keys[:cap(s.keys)])
	}()
	i, ok := s.value(skipJSONSpace(data, 0), 0)
	return ok && skipJSONSpace(data, i) == len(data), s.top
}

func skipJSONSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// value scans the value at i and returns the offset after it.
func (s *fastScanner) value(i, depth int) (int, bool) {
	if i >= len(s.data) || depth > maxFastDepth {
		return i, false
	}
	switch c := s.data[i]; c {
	case '{':
		return s.object(i+1, depth)
	case '[':
		return s.array(i+1, depth)
	case '"':
		end, _, ok := s.str(i)
		return end, ok
	case 't':
		return s.literal(i, "true")
	case 'f':
		return s.literal(i, "false")
	case 'n':
		return s.literal(i, "null")
	default:
		return s.number(i)
	}
}

func (s *fastScanner) literal(i int, lit string) (int, bool) {
	if len(s.data)-i >= len(lit) && string(s.data[i:i+len(lit)]) == lit {
		return i + len(lit), true
	}
	return i, false
}

func (s *fastScanner) object(i, depth int) (int, bool) {
	first := len(s.keys)
	defer func() { s.keys = s.keys[:first] }()
	i = skipJSONSpace(s.data, i)
	if i < len(s.data) && s.data[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(s.data) || s.data[i] != '"' {
			return i, false
		}
		end, escaped, ok := s.str(i)
		// An escaped key is compared by what it means, not as written: the reference's.
		if !ok || escaped || len(s.keys)-first >= maxFastKeys {
			return i, false
		}
		key := s.data[i+1 : end-1]
		for _, k := range s.keys[first:] {
			if string(k) == string(key) {
				return i, false
			}
		}
		s.keys = append(s.keys, key)
		i = skipJSONSpace(s.data, end)
		if i >= len(s.data) || s.data[i] != ':' {
			return i, false
		}
		start := skipJSONSpace(s.data, i+1)
		if i, ok = s.value(start, depth+1); !ok {
			return i, false
		}
		if depth == 0 {
			s.top.note(string(key), s.data[start:i])
		}
		i = skipJSONSpace(s.data, i)
		if i >= len(s.data) {
			return i, false
		}
		switch s.data[i] {
		case '}':
			return i + 1, true
		case ',':
			i = skipJSONSpace(s.data, i+1)
		default:
			return i, false
		}
	}
}

func (s *fastScanner) array(i, depth int) (int, bool) {
	i = skipJSONSpace(s.data, i)
	if i < len(s.data) && s.data[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = s.value(i, depth+1); !ok {
			return i, false
		}
		i = skipJSONSpace(s.data, i)
		if i >= len(s.data) {
			return i, false
		}
		switch s.data[i] {
		case ']':
			return i + 1, true
		case ',':
			i = skipJSONSpace(s.data, i+1)
		default:
			return i, false
		}
	}
}

// str scans a string at i (its opening quote). Refused besides bad grammar: bytes that are not
// UTF-8 and escaped surrogates, which decoders replace with U+FFFD each their own way.
func (s *fastScanner) str(i int) (end int, escaped, ok bool) {
	ascii := true
	start := i + 1
	for i++; i < len(s.data); i++ {
		switch c := s.data[i]; {
		case c == '"':
			if !ascii && !utf8.Valid(s.data[start:i]) {
				return i, escaped, false
			}
			return i + 1, escaped, true
		case c == '\\':
			escaped = true
			i++
			if i >= len(s.data) {
				return i, escaped, false
			}
			switch s.data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				r, ok := hex4(s.data[i+1:])
				if !ok || utf16Surrogate(r) {
					return i, escaped, false
				}
				i += 4
			default:
				return i, escaped, false
			}
		case c < 0x20:
			return i, escaped, false
		case c >= 0x80:
			ascii = false
		}
	}
	return i, escaped, false
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func utf16Surrogate(r rune) bool { return 0xD800 <= r && r <= 0xDFFF }

// maxFastDigits: longer integers, and every number with a fraction or an exponent, are the
// reference's: how each decoder rounds or overflows them is not the fast path's to prove.
// Kubernetes' typed objects hold integers, and Quantities as strings.
const maxFastDigits = 15

// number scans an integer as JSON writes it: -?(0|[1-9][0-9]*).
func (s *fastScanner) number(i int) (int, bool) {
	if i < len(s.data) && s.data[i] == '-' {
		i++
	}
	start := i
	for i < len(s.data) && '0' <= s.data[i] && s.data[i] <= '9' {
		i++
	}
	digits := i - start
	if digits == 0 || digits > maxFastDigits || (digits > 1 && s.data[start] == '0') {
		return i, false
	}
	if i < len(s.data) {
		switch s.data[i] {
		case '.', 'e', 'E':
			return i, false
		}
	}
	return i, true
}

// note keeps what a top-level member says of the object's kind.
func (t *topMembers) note(key string, value []byte) {
	switch key {
	case "apiVersion", "kind":
		if len(value) < 2 || value[0] != '"' || bytes.IndexByte(value, '\\') >= 0 {
			t.other = true
			return
		}
		if key == "kind" {
			t.kind = value[1 : len(value)-1]
		} else {
			t.apiVersion = value[1 : len(value)-1]
		}
	case "items":
		t.other = true
	}
}
