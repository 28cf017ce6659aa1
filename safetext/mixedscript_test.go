package safetext

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLookalikes(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		strict bool
		want   []string // "column: U+XXXX reason" per character
	}{
		{name: "ascii", in: "http://orders.shop.svc.cluster.local:8080"},
		{name: "cyrillic in a host", in: "http://orders.shop.svc.cluster.loсal:8080",
			want: []string{`34: U+0441 looks like Latin "c"`}},
		{name: "greek among latin", in: "registry.example.com/nginx:lαtest",
			want: []string{`29: U+03B1 looks like Latin "a"`}},
		{name: "cyrillic letter without a latin twin", in: "paдding",
			want: []string{"3: U+0434 mixed scripts (Cyrillic among Latin)"}},
		{name: "latin in a cyrillic word", in: "прuвет",
			want: []string{"3: U+0075 mixed scripts (Latin among Cyrillic)"}},
		{name: "japanese mixes latin, han and kana", in: "東京のKubernetesクラスタ"},
		{name: "korean mixes han and hangul", in: "韓國어 cluster"},
		{name: "a cyrillic word alone", in: "сервер: работает"},
		{name: "a greek word beside latin ones", in: "the αβγ service"},
		{name: "latin accents", in: "café naïve Ångström"},
		{name: "latin with arabic in one word is moderately restrictive", in: "abcمرحبا"},
		{name: "single-script latin look-alike", in: "reɡistry.k8s.io",
			want: []string{`3: U+0261 looks like Latin "g"`}},
		{name: "single-script latin look-alike in prose", in: "Kapı kapalı."},
		{name: "single-script latin look-alike in prose, strict", in: "kapalı", strict: true,
			want: []string{`6: U+0131 looks like Latin "i"`}},
		{name: "emoji", in: "deployed 🚀 ❤️ 👩‍💻 1️⃣ 🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F"},
		{name: "zero-width space in a word", in: "kube\u200bdns",
			want: []string{"5: U+200B invisible (zero-width)"}},
		{name: "zero-width joiner between latin letters", in: "a\u200db",
			want: []string{"2: U+200D invisible (zero-width)"}},
		{name: "zwnj in persian", in: "می\u200cخواهم"},
		{name: "bidi override", in: "file\u202egnp.exe",
			want: []string{"5: U+202E bidi control"}},
		{name: "marks of direction in hebrew text", in: "שלום\u200e world"},
		{name: "mark of direction in latin text", in: "hello\u200e world",
			want: []string{"6: U+200E bidi control"}},
		{name: "no-break space in text", in: "prix\u00a0: 10 €"},
		{name: "no-break space where a program reads", in: "--port\u00a08080", strict: true,
			want: []string{"7: U+00A0 looks like a space"}},
		{name: "invalid byte", in: "ab\xffcd",
			want: []string{"3: U+FFFD invalid UTF-8"}},
		{name: "punycode of a mixed label", in: "https://xn--pple-43d.com/login",
			want: []string{`9: U+0430 looks like Latin "a" in аpple`}},
		{name: "punycode of a whole cyrillic label", in: "xn--80ak6aa92e.com"},
		{name: "punycode of a japanese label", in: "xn--wgv71a119e.jp"},
		{name: "second line", in: "ok\nlo\u0441al",
			want: []string{`2:3: U+0441 looks like Latin "c"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range Lookalikes(tt.in, tt.strict) {
				s := fmt.Sprintf("%d: U+%04X %s", c.Column, c.Rune, c.Reason)
				if c.Line > 1 {
					s = fmt.Sprintf("%d:%s", c.Line, s)
				}
				if c.Decoded != "" {
					s += " in " + c.Decoded
				}
				got = append(got, s)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Lookalikes(%q) =\n%s\nwant\n%s", tt.in, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestLookalikesASCIIDoesNotAllocate(t *testing.T) {
	s := "registry.k8s.io/pause:3.10 --cluster-domain=cluster.local"
	if n := testing.AllocsPerRun(100, func() { Lookalikes(s, true) }); n != 0 {
		t.Errorf("%v allocations for ASCII", n)
	}
}

func BenchmarkLookalikesASCII(b *testing.B) {
	s := "http://orders.shop.svc.cluster.local:8080/api/v1/orders?limit=100"
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		Lookalikes(s, true)
	}
}

func BenchmarkLookalikesJapanese(b *testing.B) {
	s := strings.Repeat("東京のKubernetesクラスタで注文サービスを動かす。", 20)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		Lookalikes(s, false)
	}
}

// FuzzLookalikes holds the tokenizer to its promises on any input: characters in order, at
// real offsets, with columns as LineColumn counts them, and nothing for pure ASCII without
// punycode.
func FuzzLookalikes(f *testing.F) {
	for _, s := range []string{"", "loсal", "東京のKubernetes", "xn--pple-43d.com", "a\u200db", "👩‍💻", "\xff\xfe",
		"שלום\u200e", "xn--", "XN--PPLE-43D", "a\u0301\u0301\u0301", "прuвет\nlo\u0441al", "1️⃣", "xn--xn--pple-43d"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, strict bool) {
		chars := Lookalikes(s, strict)
		ascii := true
		for i := 0; i < len(s); i++ {
			ascii = ascii && s[i] < utf8.RuneSelf
		}
		if ascii && !strings.Contains(strings.ToLower(s), "xn--") && chars != nil {
			t.Fatalf("ASCII %q gave %v", s, chars)
		}
		last := -1
		for _, c := range chars {
			if c.Offset < last || c.Offset < 0 || c.Offset >= len(s) {
				t.Fatalf("%q: offset %d after %d (len %d)", s, c.Offset, last, len(s))
			}
			last = c.Offset
			if line, col := LineColumn(s, c.Offset); line != c.Line || col != c.Column {
				t.Fatalf("%q: char at %d says %d:%d, LineColumn %d:%d", s, c.Offset, c.Line, c.Column, line, col)
			}
			if c.Decoded == "" && c.Reason != ReasonInvalid {
				if r, _ := utf8.DecodeRuneInString(s[c.Offset:]); r != c.Rune {
					t.Fatalf("%q: char at %d is %U, says %U", s, c.Offset, r, c.Rune)
				}
			}
			if c.Reason == "" || c.Name == "" {
				t.Fatalf("%q: %+v has no reason or name", s, c)
			}
		}
	})
}
