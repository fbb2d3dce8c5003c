// Package enum parses the names of small enumerations (property values) the
// way every package's UnmarshalText does: case-insensitive, blanks trimmed,
// and an unknown value is an error that lists every valid one, so a typo in
// a Fluent Bit config is fixed in one go.
package enum

import (
	"fmt"
	"strings"
)

// Parse returns the index of text in valid.
func Parse(kind, text string, valid []string) (int, error) {
	v := strings.ToLower(strings.TrimSpace(text))
	for i, s := range valid {
		if v == strings.ToLower(s) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q (valid: %s)", kind, text, strings.Join(valid, ", "))
}
