// Package glob is the one shell-style pattern dialect of the project: rule
// matchers, redaction key patterns and the watch command's filters all use it.
//
// '*' is any run of characters (including '/' and ':'), '?' one character and
// '[...]' a character class ('[!...]' negated). Patterns without
// metacharacters, or with a single leading or trailing '*' (or both), are
// matched without a regular expression.
package glob
