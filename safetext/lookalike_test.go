package safetext

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSuspicious(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Char // only the fields set here are compared, plus Offset/Line/Column
	}{
		{name: "ascii", in: "kube-system/coredns"},
		{name: "empty", in: ""},
		{name: "ascii controls are for Visible", in: "a\x1b[2Jb\tc\n"},
		{
			name: "cyrillic es", in: "kube-dns.сluster.local",
			want: []Char{{Rune: 'с', Offset: 9, Line: 1, Column: 10, Name: "CYRILLIC SMALL LETTER ES",
				Reason: `looks like Latin "c"`, LooksLike: "c", Script: "Cyrillic"}},
		},
		{
			name: "capital I prefers capital", in: "Іngress",
			want: []Char{{Rune: 'І', Offset: 0, Line: 1, Column: 1, Name: "CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I",
				Reason: `looks like Latin "I"`, LooksLike: "I", Script: "Cyrillic"}},
		},
		{
			name: "zero width space", in: "core\u200bdns",
			want: []Char{{Rune: 0x200b, Offset: 4, Line: 1, Column: 5, Name: "ZERO WIDTH SPACE", Reason: ReasonInvisible}},
		},
		{
			name: "bidi override", in: "x\u202ey",
			want: []Char{{Rune: 0x202e, Offset: 1, Line: 1, Column: 2, Name: "RIGHT-TO-LEFT OVERRIDE", Reason: ReasonBidi}},
		},
		{
			name: "no-break space", in: "forward .\u00a0/etc/resolv.conf",
			want: []Char{{Rune: 0xa0, Offset: 9, Line: 1, Column: 10, Name: "NO-BREAK SPACE", Reason: ReasonSpace, LooksLike: " "}},
		},
		{
			name: "minus sign", in: "\u2212\u2212anonymous-auth",
			want: []Char{
				{Rune: 0x2212, Offset: 0, Line: 1, Column: 1, Name: "MINUS SIGN", Reason: `looks like "-"`, LooksLike: "-"},
				{Rune: 0x2212, Offset: 3, Line: 1, Column: 2, Name: "MINUS SIGN", Reason: `looks like "-"`, LooksLike: "-"},
			},
		},
		{
			name: "roman numeral thousand passes for m", in: "\u217f",
			want: []Char{{Rune: 0x217f, Offset: 0, Line: 1, Column: 1, Name: "SMALL ROMAN NUMERAL ONE THOUSAND",
				Reason: `looks like Latin "m"`, LooksLike: "m"}},
		},
		{
			name: "mixed scripts without a look-alike", in: "kube-sжstem",
			want: []Char{{Rune: 'ж', Offset: 6, Line: 1, Column: 7, Name: "CYRILLIC SMALL LETTER ZHE",
				Reason: "mixed scripts (Cyrillic among Latin)", Script: "Cyrillic"}},
		},
		{
			name: "accented letter is only non-ASCII", in: "café",
			want: []Char{{Rune: 'é', Offset: 3, Line: 1, Column: 4, Name: "LATIN SMALL LETTER E WITH ACUTE", Reason: ReasonNonASCII, Script: "Latin"}},
		},
		{
			name: "lines and columns", in: "health {\n  lameduck 5s\n}\nready\u200b\n",
			want: []Char{{Rune: 0x200b, Offset: 30, Line: 4, Column: 6, Name: "ZERO WIDTH SPACE", Reason: ReasonInvisible}},
		},
		{
			name: "invalid byte", in: "ab\xffc",
			want: []Char{{Rune: utf8.RuneError, Offset: 2, Line: 1, Column: 3, Name: "invalid UTF-8 byte 0xff", Reason: ReasonInvalid}},
		},
		{
			name: "C1 control", in: "a\u009bb",
			want: []Char{{Rune: 0x9b, Offset: 1, Line: 1, Column: 2, Name: "<control>", Reason: ReasonControl}},
		},
		{
			name: "columns count runes", in: "日本 с",
			want: []Char{
				{Rune: '日', Offset: 0, Line: 1, Column: 1, Name: "<CJK Ideograph>", Reason: ReasonNonASCII, Script: "Han"},
				{Rune: '本', Offset: 3, Line: 1, Column: 2, Name: "<CJK Ideograph>", Reason: ReasonNonASCII, Script: "Han"},
				{Rune: 'с', Offset: 7, Line: 1, Column: 4, Name: "CYRILLIC SMALL LETTER ES", Reason: `looks like Latin "c"`, LooksLike: "c", Script: "Cyrillic"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Suspicious(tt.in)
			if len(got) != len(tt.want) {
				t.Fatalf("Suspicious(%q) = %+v, want %d chars", tt.in, got, len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("char %d:\n got %+v\nwant %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestCharString(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"с", `с U+0441 CYRILLIC SMALL LETTER ES (looks like "c")`},
		{"\u200b", "U+200B ZERO WIDTH SPACE (invisible (zero-width))"},
		{"\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE (bidi control)"},
		{"\u00a0", "U+00A0 NO-BREAK SPACE (looks like a space)"},
		{"é", "é U+00E9 LATIN SMALL LETTER E WITH ACUTE (non-ASCII)"},
		{"\xfe", "invalid UTF-8 byte 0xfe (invalid UTF-8)"},
		{"\u0301", "U+0301 COMBINING ACUTE ACCENT (non-ASCII)"},
	}
	for _, tt := range tests {
		chars := Suspicious(tt.in)
		if len(chars) != 1 {
			t.Fatalf("Suspicious(%q) = %v, want one char", tt.in, chars)
		}
		if got := chars[0].String(); got != tt.want {
			t.Errorf("String() of %q = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	got := Describe(Suspicious("kube-dns.сluster"))
	want := []string{`column 10: с U+0441 CYRILLIC SMALL LETTER ES (looks like "c")`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	got = Describe(Suspicious("a\nbс"))
	want = []string{`line 2, column 2: с U+0441 CYRILLIC SMALL LETTER ES (looks like "c")`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Describe = %q, want %q", got, want)
	}
}

func TestLineColumn(t *testing.T) {
	s := "ab\nсd\n\xffe"
	tests := []struct{ off, line, col int }{
		{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {5, 2, 2}, {7, 3, 1}, {8, 3, 2}, {9, 3, 3}, {100, 3, 3}, {-1, 1, 1},
	}
	for _, tt := range tests {
		line, col := LineColumn(s, tt.off)
		if line != tt.line || col != tt.col {
			t.Errorf("LineColumn(%q, %d) = %d:%d, want %d:%d", s, tt.off, line, col, tt.line, tt.col)
		}
	}
}

func TestLooksSame(t *testing.T) {
	if !LooksSame("kube-dns", "kube-dnѕ") {
		t.Error(`"kube-dns" and "kube-dnѕ" should look the same`)
	}
	if LooksSame("kube-dns", "kube-dns") {
		t.Error("equal strings are not look-alikes")
	}
	if LooksSame("coredns", "kube-dns") {
		t.Error("different strings are not look-alikes")
	}
}

func TestSuspiciousASCIIDoesNotAllocate(t *testing.T) {
	s := strings.Repeat("kube-system/coredns-5d78c9869d-abcde ", 4)
	if n := testing.AllocsPerRun(100, func() { _ = Suspicious(s) }); n != 0 {
		t.Errorf("Suspicious on ASCII allocated %v times, want 0", n)
	}
}

func BenchmarkSuspiciousASCII(b *testing.B) {
	s := strings.Repeat("kube-system/coredns-5d78c9869d-abcde ", 4)
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		_ = Suspicious(s)
	}
}

func BenchmarkSuspiciousLookalike(b *testing.B) {
	s := "kube-system/сoredns-5d78c9869d-abcde"
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		_ = Suspicious(s)
	}
}

func FuzzSuspicious(f *testing.F) {
	for _, s := range []string{"", "ascii", "kube-dns.сluster.local", "a\u200bb\u202ec", "\xff\xfe", "日本\nс\u00a0", "\u217f", "e\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		chars := Suspicious(s)
		byOffset := map[int]Char{}
		prev := -1
		for _, c := range chars {
			if c.Offset <= prev || c.Offset >= len(s) {
				t.Fatalf("offset %d out of order or range in %q", c.Offset, s)
			}
			prev = c.Offset
			r, size := utf8.DecodeRuneInString(s[c.Offset:])
			if r != c.Rune {
				t.Fatalf("char at %d is %U, decoded %U", c.Offset, c.Rune, r)
			}
			if r == utf8.RuneError && size == 1 && c.Reason != ReasonInvalid {
				t.Fatalf("invalid byte at %d not reported as such: %+v", c.Offset, c)
			}
			if line, col := LineColumn(s, c.Offset); line != c.Line || col != c.Column {
				t.Fatalf("char at %d says %d:%d, LineColumn says %d:%d", c.Offset, c.Line, c.Column, line, col)
			}
			if c.Reason == "" || c.Name == "" || c.String() == "" {
				t.Fatalf("char at %d lacks a reason or name: %+v", c.Offset, c)
			}
			byOffset[c.Offset] = c
		}
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r >= utf8.RuneSelf {
				if _, ok := byOffset[i]; !ok {
					t.Fatalf("non-ASCII %U at %d of %q not reported", r, i, s)
				}
			} else if _, ok := byOffset[i]; ok {
				t.Fatalf("ASCII %q at %d reported", r, i)
			}
			i += size
		}
	})
}

// TestSuspiciousStackedMarks: more than two combining marks on one character are flagged, each
// with its code point and how many stand on the character; one or two are plain non-ASCII.
func TestSuspiciousStackedMarks(t *testing.T) {
	cases := []struct {
		in      string
		flagged []rune
	}{
		{"cafe\u0301", nil},
		{"Vie\u0323\u0302t", nil},
		{"kube-dns\u0301\u0301\u0301", []rune{0x301, 0x301, 0x301}},
		{"\u0300\u0301\u0302 at the start", []rune{0x300, 0x301, 0x302}},
		{"a\u0301\u0301 b\u0301\u0302\u0303\u0304 c\u0301", []rune{0x301, 0x302, 0x303, 0x304}},
		{"x\u20dd\u20dd\u20dd", []rune{0x20dd, 0x20dd, 0x20dd}}, // enclosing marks
	}
	for _, c := range cases {
		var got []rune
		for _, ch := range Flagged(c.in) {
			got = append(got, ch.Rune)
			if !strings.HasPrefix(ch.Reason, ReasonStacked) {
				t.Errorf("%q: %U flagged as %q", c.in, ch.Rune, ch.Reason)
			}
			if s := ch.String(); !strings.Contains(s, fmt.Sprintf("U+%04X", ch.Rune)) || !strings.Contains(s, "on one character") {
				t.Errorf("%q: %U shown as %q", c.in, ch.Rune, s)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(c.flagged) {
			t.Errorf("Flagged(%q) = %U, want %U", c.in, got, c.flagged)
		}
	}
	zalgo := "a" + strings.Repeat("\u0301", 1<<16)
	if n := len(Flagged(zalgo)); n != 1<<16 {
		t.Errorf("a stack of %d marks: %d flagged", 1<<16, n)
	}
}

// BenchmarkFlaggedStackedMarks measures one pass over a long stack of combining marks: linear,
// 0.2 s for 65,536 marks on an idle 2-core machine.
func BenchmarkFlaggedStackedMarks(b *testing.B) {
	zalgo := "a" + strings.Repeat("\u0301", 1<<16)
	for b.Loop() {
		Flagged(zalgo)
	}
}
