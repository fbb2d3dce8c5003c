// Package fielderr is how a package's Validate (or New) names what is wrong
// with its own configuration: by the field of its Config ("output.SASL.Username"),
// never by a Fluent Bit property name. conf, which maps properties onto those
// fields, translates each Error to the property that set the field.
package fielderr

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Error is one problem with one configuration field.
type Error struct {
	// Field is the package name and the field path: "redact.HMACKey".
	Field string
	Err   error
}

func (e *Error) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// List collects every problem of a configuration, so that all are reported
// at once.
type List []error

// Add records err against field.
func (l *List) Add(field string, err error) { *l = append(*l, &Error{Field: field, Err: err}) }

// Addf records a formatted problem against field.
func (l *List) Addf(field, format string, a ...any) { l.Add(field, fmt.Errorf(format, a...)) }

// Has reports whether a problem was recorded against field.
func (l List) Has(field string) bool {
	for _, e := range l {
		if fe, ok := e.(*Error); ok && fe.Field == field {
			return true
		}
	}
	return false
}

// Err is the list as an error, or nil when it is empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

func (l List) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "; ")
}

// Unwrap lets errors.Is and errors.As see each problem.
func (l List) Unwrap() []error { return l }

// Readable reports why a configured file cannot be opened ("" is fine), so
// that a missing file is an init error rather than a failed flush.
func Readable(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("cannot read %s: %w", path, err)
	}
	return f.Close()
}
