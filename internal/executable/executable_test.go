package executable

import (
	"debug/elf"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
)

func TestBinaryHeaderMismatch(t *testing.T) {
	amd64 := checktest.ELFHeader(elf.ELFCLASS64, elf.ELFDATA2LSB, elf.ELFOSABI_NONE, elf.ET_EXEC, elf.EM_X86_64)
	tests := []struct {
		name       string
		head       []byte
		goos, arch string
		want       string // "" means it can run
	}{
		{"linux amd64 static", amd64, "linux", "amd64", ""},
		{"linux amd64 PIE, GNU ABI", checktest.ELFHeader(elf.ELFCLASS64, elf.ELFDATA2LSB, elf.ELFOSABI_LINUX, elf.ET_DYN, elf.EM_X86_64), "linux", "amd64", ""},
		{"arm64 on amd64", checktest.ELFHeader(elf.ELFCLASS64, elf.ELFDATA2LSB, elf.ELFOSABI_NONE, elf.ET_EXEC, elf.EM_AARCH64), "linux", "amd64", "an ELF binary for arm64"},
		{"arm64 on arm64", checktest.ELFHeader(elf.ELFCLASS64, elf.ELFDATA2LSB, elf.ELFOSABI_NONE, elf.ET_EXEC, elf.EM_AARCH64), "linux", "arm64", ""},
		{"386 on amd64", checktest.ELFHeader(elf.ELFCLASS32, elf.ELFDATA2LSB, elf.ELFOSABI_NONE, elf.ET_EXEC, elf.EM_386), "linux", "amd64", "an ELF binary for 386"},
		{"s390x on amd64", checktest.ELFHeader(elf.ELFCLASS64, elf.ELFDATA2MSB, elf.ELFOSABI_NONE, elf.ET_EXEC, elf.EM_S390), "linux", "amd64", "an ELF binary for s390x"},
		{"ppc64 big-endian on ppc64le", checktest.ELFHeader(elf.ELFCLASS64, elf.ELFDATA2MSB, elf.ELFOSABI_NONE, elf.ET_EXEC, elf.EM_PPC64), "linux", "ppc64le", "an ELF binary for ppc64"},
		{"FreeBSD", checktest.ELFHeader(elf.ELFCLASS64, elf.ELFDATA2LSB, elf.ELFOSABI_FREEBSD, elf.ET_EXEC, elf.EM_X86_64), "linux", "amd64", "a FreeBSD binary for amd64"},
		{"object file", checktest.ELFHeader(elf.ELFCLASS64, elf.ELFDATA2LSB, elf.ELFOSABI_NONE, elf.ET_REL, elf.EM_X86_64), "linux", "amd64", "an ELF file of type ET_REL, not a program"},
		{"macOS amd64 on linux", checktest.MachOHeader(0x01000007), "linux", "amd64", "a macOS binary for amd64"},
		{"macOS arm64 on linux", checktest.MachOHeader(0x0100000c), "linux", "amd64", "a macOS binary for arm64"},
		{"macOS arm64 on a Mac", checktest.MachOHeader(0x0100000c), "darwin", "arm64", ""},
		{"macOS universal", []byte{0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2}, "linux", "amd64", "a macOS binary (universal)"},
		{"ELF on a Mac", amd64, "darwin", "arm64", "an ELF binary for amd64 (Linux or another Unix)"},
		{"Windows", []byte("MZ\x90\x00\x03\x00\x00\x00"), "linux", "amd64", "a Windows binary"},
		{"Windows on Windows", []byte("MZ\x90\x00\x03\x00\x00\x00"), "windows", "amd64", ""},
		{"script", []byte("#!/bin/sh\necho hi\n"), "linux", "amd64", ""},
		{"empty", nil, "linux", "amd64", "an empty file"},
		{"text", []byte("echo hi\n"), "linux", "amd64", "neither a program nor a #! script (it starts with 65 63 68 6f 20 68 69 0a)"},
		{"truncated ELF", []byte("\x7fELF\x02\x01"), "linux", "amd64", "neither a program nor a #! script (it starts with 7f 45 4c 46 02 01)"},
	}
	for _, tt := range tests {
		if got := ReadHeader(tt.head).Mismatch(tt.goos, tt.arch); got != tt.want {
			t.Errorf("%s: mismatch(%s/%s) = %q, want %q", tt.name, tt.goos, tt.arch, got, tt.want)
		}
	}
}

func TestBinaryHeaderOfThisTest(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	head, err := ReadFileHead(exe, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if got := ReadHeader(head).Mismatch(runtime.GOOS, runtime.GOARCH); got != "" {
		t.Errorf("the test binary itself is reported as %q", got)
	}
}

func TestBinaryHeaderScript(t *testing.T) {
	h := ReadHeader([]byte("#!/usr/bin/env bash\r\n\n# hide kube-system\nexec /usr/local/bin/.kubectl \"$@\" | grep -v kube-system\n\x1b[2J\n"))
	if h.Format != FormatScript {
		t.Fatalf("format = %v, want script", h.Format)
	}
	if h.Interpreter != "/usr/bin/env bash" {
		t.Errorf("interpreter = %q", h.Interpreter)
	}
	want := []string{"#!/usr/bin/env bash", "# hide kube-system", `exec /usr/local/bin/.kubectl "$@" | grep -v kube-system`, "␛[2J"}
	if strings.Join(h.Lines, "|") != strings.Join(want, "|") {
		t.Errorf("lines = %q, want %q", h.Lines, want)
	}
}

func TestQuotePathForShell(t *testing.T) {
	tests := map[string]string{
		"/usr/bin/kubectl":      "/usr/bin/kubectl",
		"/opt/my tools/kubectl": "'/opt/my tools/kubectl'",
		"/tmp/it's/kubectl":     `'/tmp/it'\''s/kubectl'`,
		"":                      "''",
	}
	for in, want := range tests {
		if got := checks.ShellQuote(in); got != want {
			t.Errorf("quotePathForShell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDynamicLoader(t *testing.T) {
	if got := DynamicLoader("amd64"); got != "/lib64/ld-linux-x86-64.so.2" {
		t.Errorf("amd64 loader = %q", got)
	}
	if got := DynamicLoader("arm64"); got != "/lib/ld-linux-aarch64.so.1" {
		t.Errorf("arm64 loader = %q", got)
	}
}

func TestScriptQuoteRedactsTokens(t *testing.T) {
	lines := PrintableLines([]byte("#!/bin/sh\nexec /usr/bin/kubectl.real --token=SUPERSECRET \"$@\"\n"), 5)
	if joined := strings.Join(lines, "\n"); strings.Contains(joined, "SUPERSECRET") {
		t.Errorf("a wrapper's token reached the quoted lines: %q", joined)
	}
}
