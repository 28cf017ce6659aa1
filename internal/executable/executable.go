// Package executable tells what a file is from its first bytes: an ELF or Mach-O program for this
// system or another, a script, or not a program at all.
package executable

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"github.com/kockpit/kockpit/internal/inputfile"
	"github.com/kockpit/kockpit/safetext"
)

// This file reads what an executable is from its first bytes, for every check that judges
// programs (kubectl on PATH, a node's binaries, CNI plugins): an ELF for this system, a build
// for another system, a script, or not a program at all.

// binaryFormat is what a file's first bytes say it is.
type binaryFormat int

const (
	formatUnknown binaryFormat = iota
	formatEmpty
	formatELF
	formatMachO
	formatMachOUniversal
	formatPE
	FormatScript
)

// DynamicLoader is the path of the dynamic linker of glibc systems for an architecture.
func DynamicLoader(goarch string) string {
	switch goarch {
	case "amd64":
		return "/lib64/ld-linux-x86-64.so.2"
	case "arm64":
		return "/lib/ld-linux-aarch64.so.1"
	case "386":
		return "/lib/ld-linux.so.2"
	case "arm":
		return "/lib/ld-linux-armhf.so.3"
	case "ppc64le":
		return "/lib64/ld64.so.2"
	case "s390x":
		return "/lib/ld64.so.1"
	case "riscv64":
		return "/lib/ld-linux-riscv64-lp64d.so.1"
	}
	return ""
}

// Header is what kockpit reads from the head of an executable.
type Header struct {
	Format binaryFormat
	head   []byte // up to the first 16 bytes, for evidence

	// ELF
	class   elf.Class
	data    elf.Data
	osabi   elf.OSABI
	typ     elf.Type
	machine elf.Machine

	// Mach-O (thin)
	cpu macho.Cpu

	// script
	Interpreter string
	Lines       []string // the first lines, made safe to print
}

// ReadHeader classifies a file by its first bytes (a few KiB are enough).
func ReadHeader(b []byte) Header {
	h := Header{head: b[:min(len(b), 16)]}
	switch {
	case len(b) == 0:
		h.Format = formatEmpty
	case bytes.HasPrefix(b, []byte("#!")):
		h.Format = FormatScript
		lines := PrintableLines(b, 5)
		h.Interpreter = strings.TrimSpace(strings.TrimPrefix(string(headLine(b)), "#!"))
		h.Lines = lines
	case bytes.HasPrefix(b, []byte(elf.ELFMAG)) && len(b) >= 20:
		h.Format = formatELF
		h.class = elf.Class(b[elf.EI_CLASS])
		h.data = elf.Data(b[elf.EI_DATA])
		h.osabi = elf.OSABI(b[elf.EI_OSABI])
		var order binary.ByteOrder = binary.LittleEndian
		if h.data == elf.ELFDATA2MSB {
			order = binary.BigEndian
		}
		h.typ = elf.Type(order.Uint16(b[16:18]))
		h.machine = elf.Machine(order.Uint16(b[18:20]))
	case len(b) >= 8 && isMachOMagic(b):
		h.Format = formatMachO
		if b[0] == 0xfe { // big-endian magic: fe ed fa ce / fe ed fa cf
			h.cpu = macho.Cpu(binary.BigEndian.Uint32(b[4:8]))
		} else {
			h.cpu = macho.Cpu(binary.LittleEndian.Uint32(b[4:8]))
		}
	case len(b) >= 4 && binary.BigEndian.Uint32(b) == macho.MagicFat:
		h.Format = formatMachOUniversal
	case bytes.HasPrefix(b, []byte("MZ")):
		h.Format = formatPE
	}
	return h
}

func isMachOMagic(b []byte) bool {
	be, le := binary.BigEndian.Uint32(b), binary.LittleEndian.Uint32(b)
	return be == macho.Magic32 || be == macho.Magic64 || le == macho.Magic32 || le == macho.Magic64
}

// elfArch is how an architecture's programs identify themselves in the ELF header.
type elfArch struct {
	Machine elf.Machine
	Class   elf.Class
	Data    elf.Data
}

var ElfArches = map[string]elfArch{
	"amd64":   {elf.EM_X86_64, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"386":     {elf.EM_386, elf.ELFCLASS32, elf.ELFDATA2LSB},
	"arm64":   {elf.EM_AARCH64, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"arm":     {elf.EM_ARM, elf.ELFCLASS32, elf.ELFDATA2LSB},
	"ppc64le": {elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"ppc64":   {elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2MSB},
	"s390x":   {elf.EM_S390, elf.ELFCLASS64, elf.ELFDATA2MSB},
	"riscv64": {elf.EM_RISCV, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"loong64": {elf.EM_LOONGARCH, elf.ELFCLASS64, elf.ELFDATA2LSB},
}

var machoArches = map[macho.Cpu]string{
	macho.CpuAmd64: "amd64", macho.Cpu386: "386", macho.CpuArm64: "arm64", macho.CpuArm: "arm",
	macho.CpuPpc: "ppc", macho.CpuPpc64: "ppc64",
}

var elfOSNames = map[elf.OSABI]string{
	elf.ELFOSABI_FREEBSD: "FreeBSD", elf.ELFOSABI_NETBSD: "NetBSD", elf.ELFOSABI_OPENBSD: "OpenBSD",
	elf.ELFOSABI_SOLARIS: "Solaris", elf.ELFOSABI_AIX: "AIX",
}

// elfArchName names the architecture an ELF header is built for, as GOARCH would.
func (h Header) elfArchName() string {
	for name, a := range ElfArches {
		if a == (elfArch{h.machine, h.class, h.data}) {
			return name
		}
	}
	return fmt.Sprintf("%s (%s, %s)", h.machine, h.class, h.data)
}

// Arch is the GOARCH an ELF program is built for ("arm64"), or "" when the header does not
// say one Go knows (not ELF, or an architecture Kubernetes ships no kubectl for).
func (h Header) Arch() string {
	if h.Format != formatELF {
		return ""
	}
	for name, a := range ElfArches {
		if a == (elfArch{h.machine, h.class, h.data}) {
			return name
		}
	}
	return ""
}

// Mismatch says what the file is when it cannot run on goos/goarch ("a macOS binary"), or ""
// when it can, as far as its header tells. A script is for the kernel to run, so it matches.
func (h Header) Mismatch(goos, goarch string) string {
	native := map[string]binaryFormat{"darwin": formatMachO, "windows": formatPE}[goos]
	if native == formatUnknown {
		native = formatELF
	}
	switch h.Format {
	case FormatScript:
		return ""
	case formatEmpty:
		return "an empty file"
	case formatUnknown:
		return fmt.Sprintf("neither a program nor a #! script (it starts with %s)", h.HexPrefix())
	case formatPE:
		if native == formatPE {
			return ""
		}
		return "a Windows binary"
	case formatMachOUniversal:
		if native == formatMachO {
			return ""
		}
		return "a macOS binary (universal)"
	case formatMachO:
		arch, ok := machoArches[h.cpu]
		if !ok {
			arch = fmt.Sprintf("CPU type %#x", uint32(h.cpu))
		}
		if native == formatMachO && arch == goarch {
			return ""
		}
		return "a macOS binary for " + arch
	}
	// ELF
	arch := h.elfArchName()
	if native != formatELF {
		return "an ELF binary for " + arch + " (Linux or another Unix)"
	}
	if goos == "linux" && h.osabi != elf.ELFOSABI_NONE && h.osabi != elf.ELFOSABI_LINUX {
		osName, ok := elfOSNames[h.osabi]
		if !ok {
			osName = h.osabi.String()
		}
		return fmt.Sprintf("a %s binary for %s", osName, arch)
	}
	if want, ok := ElfArches[goarch]; ok && want != (elfArch{h.machine, h.class, h.data}) {
		return "an ELF binary for " + arch
	}
	if h.typ != elf.ET_EXEC && h.typ != elf.ET_DYN {
		return fmt.Sprintf("an ELF file of type %s, not a program", h.typ)
	}
	return ""
}

// HexPrefix writes the first bytes as hex, the way od shows them.
func (h Header) HexPrefix() string {
	parts := make([]string, len(h.head))
	for i, c := range h.head {
		parts[i] = fmt.Sprintf("%02x", c)
	}
	if len(parts) == 0 {
		return "(empty)"
	}
	return strings.Join(parts, " ")
}

func headLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return bytes.TrimRight(b[:i], "\r")
	}
	return b
}

// PrintableLines returns up to n non-empty lines of b, each shortened, stripped of credentials
// and made safe to print.
func PrintableLines(b []byte, n int) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.TrimSpace(l) == "" {
			continue
		}
		if len(out) == n {
			break
		}
		if r := []rune(l); len(r) > 120 {
			l = string(r[:120]) + "…"
		}
		out = append(out, safetext.Visible(safetext.RedactSecrets(l)))
	}
	return out
}

// ReadFileHead reads the first n bytes of the regular file path. Anything else (a FIFO named
// kubectl on PATH with its exec bits set) is refused without being opened: reading it would
// wait for a writer forever.
func ReadFileHead(path string, n int64) ([]byte, error) {
	f, _, err := inputfile.Open(path, 0, "a program")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}
