// Package summary fills the who, what, where and result of an enrichment
// and the one-line sentence a SOC analyst reads at a glance ("alice exec'd
// \"cat /etc/shadow\" into pod web-0 in prod from 10.0.0.7 (kubectl/v1.32.4):
// allowed, 101"). It runs after redaction: the exec command it quotes is
// read again from the redacted request URI. Each part of the sentence taken
// from the event is cut at 256 bytes (a client picks the length of its user
// agent, URL and command); the sentence always ends with the outcome.
//
// ParseUserAgent and ClientType normalise a user agent into a client, its
// version and a type (kubectl, client-go, browser, http-tool, other).
package summary
