// Package conf turns plugin properties (as Fluent Bit or the command line
// hands them over, through a one-method Getter) into a Config made of each
// package's own configuration: enrich.Config, redact.Config, format.Format
// and format.Detail, output.Config. Every problem is reported at once, each
// naming its property.
//
// The property table (properties.go) says, for each key, its default, its
// help text (the generated table in docs/configuration.md is tested against
// it) and the configuration field it sets. Parsing the value (lists,
// booleans, durations, enums by their UnmarshalText) happens here; checking
// it is each package's Validate, which names fields (internal/fielderr), and
// Explain translates those back to properties, for Load and for the errors
// of enrich.New and output.New alike. Keys are snake_case like Fluent Bit's
// own, with out_kafka's names where the meaning is the same; Fluent Bit keeps
// an output's tls and log_level for itself, hence tls_enabled and
// plugin_log_level.
package conf
