package safetext

import "fmt"

// Message makes a message that quotes input (a file name, a field's value, a flag's argument,
// a library's error about them) safe to print: credentials redacted (RedactSecrets), then
// control characters, look-alike and invisible characters shown (Annotate). It stays on one
// line: a newline from the input is shown as "␊". Messages made of it are built with it, at the
// point they quote the input, so that no caller has to remember.
func Message(s string) string { return Annotate(RedactSecrets(s)) }

// Errorf is fmt.Errorf for a message that quotes input: its text is Message's. Errors wrapped
// with %w stay in its chain, for errors.Is and errors.As.
func Errorf(format string, args ...any) error {
	return SafeError(fmt.Errorf(format, args...))
}

// SafeError returns err with its text made safe by Message, and err in its chain; nil for nil.
// It is for errors from libraries that quote input raw (a kubeconfig loader's file name, a YAML
// parser's value).
func SafeError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*safeError); ok {
		return err
	}
	return &safeError{msg: Message(err.Error()), err: err}
}

type safeError struct {
	msg string
	err error
}

func (e *safeError) Error() string { return e.msg }
func (e *safeError) Unwrap() error { return e.err }
