package redact

import (
	"net/url"
	"strings"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// uri redacts the query of requestURI: token, access_token and other
// credential parameters, credential arguments of exec/attach commands
// (?command=...), and secret shapes in any parameter. A query with nothing
// to redact costs no allocation.
func (w *walker) uri(ev *auditv1.Event, q int) {
	path := ev.RequestURI[:q]
	if p, ok := w.uriPath(path); ok {
		path = p
	}
	query := ev.RequestURI[q+1:]
	var params []string // split only once something changes
	if path != ev.RequestURI[:q] {
		params = strings.Split(query, "&")
	}
	flag := false     // the previous command argument was a credential flag
	var prog progArgs // program-specific credential flags (mysql -p, curl -u)
	cmd := 0
	for k, rest := 0, query; rest != ""; k++ {
		var p string
		p, rest, _ = strings.Cut(rest, "&")
		name, raw, hasValue := strings.Cut(p, "=")
		if name == "command" && (!hasValue || raw == "") {
			cmd++
			flag = false
			prog.arg("")
			continue
		}
		if safeParam(name) {
			continue
		}
		dname := unescape(name)
		// A parameter name (or a parameter without '='): its secret shapes.
		if len(dname) >= minShape {
			if out, ok := w.scanText(dname, false); ok {
				if params == nil {
					params = strings.Split(query, "&")
				}
				rest := p[len(name):]
				name = url.QueryEscape(out)
				params[k] = name + rest
				w.at("requestURI", ".query")
				w.record()
			}
		}
		if !hasValue || raw == "" {
			continue
		}
		val := unescape(raw)
		var (
			secret bool   // the whole value goes
			out    string // or the value with spans replaced
			inline bool
		)
		if dname == "command" {
			cmd++
			if flag && !strings.HasPrefix(val, "-") && credValue(val) {
				secret = true
			}
			flag = w.credFlag(val)
			if at := w.flagValue(val); at > 0 {
				out, inline = val[:at]+w.r.inline(val[at:]), true
			}
			if whole, from := prog.arg(val); whole {
				secret = true
			} else if from > 0 && !inline {
				out, inline = val[:from]+w.r.inline(val[from:]), true
			}
		} else if v := w.r.classify(dname); (v == keyCred || v == keyUser) && !isRedacted(val) {
			secret = true
		} else if v != keyAllowed && queryCred(dname) && len(val) >= 8 && credValue(val) {
			secret = true
		}
		if !secret && !inline {
			if dname == "command" {
				out, inline = w.scanCmd(val)
			} else {
				out, inline = w.scanText(val, false)
			}
		}
		if !secret && !inline {
			continue
		}
		if params == nil {
			params = strings.Split(query, "&")
		}
		w.at("requestURI", ".query")
		w.push(dname)
		if dname == "command" {
			w.pushIndex(cmd - 1)
		}
		w.record()
		switch {
		case secret && w.r.mode == Drop && dname != "command":
			params[k] = ""
		case secret:
			params[k] = name + "=" + url.QueryEscape(w.r.inline(val))
		default:
			params[k] = name + "=" + url.QueryEscape(out)
		}
	}
	if params == nil {
		return
	}
	kept := params[:0]
	for _, p := range params {
		if p != "" {
			kept = append(kept, p)
		}
	}
	u := path
	if len(kept) > 0 {
		u += "?" + strings.Join(kept, "&")
	}
	ev.RequestURI = u
}

// uriPath scans the path of requestURI (and its unescaped form) for secret
// shapes: a token pasted into a path segment.
func (w *walker) uriPath(path string) (string, bool) {
	if len(path) < minShape {
		return path, false
	}
	if strings.IndexByte(path, '%') >= 0 {
		if d, err := url.PathUnescape(path); err == nil && d != path {
			if out, ok := w.scanText(d, false); ok {
				w.at("requestURI", ".path")
				w.record()
				return out, true
			}
		}
	}
	out, ok := w.scanText(path, false)
	if ok {
		w.at("requestURI", ".path")
		w.record()
	}
	return out, ok
}

// queryCred: query parameters that carry a credential in URLs without
// being named like one: signatures of presigned URLs (X-Amz-Signature,
// X-Goog-Signature, CloudFront's Signature, Azure's sig), API keys
// (Google's key=), OAuth authorization codes, session ids and CAS tickets.
// The value must be long enough to be one (8 bytes: not ?code=200).
func queryCred(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "sig", "signature", "key", "code", "session", "sessionid", "session_id", "jsessionid", "phpsessid", "ticket", "otp":
		return true
	}
	return strings.HasSuffix(n, "-signature") || strings.HasSuffix(n, "_signature")
}

// safeParam: query parameters of the Kubernetes API whose values are
// numbers, booleans, enums or names, never credentials: not scanned.
func safeParam(name string) bool {
	switch name {
	case "watch", "resourceVersion", "resourceVersionMatch", "timeout", "timeoutSeconds", "allowWatchBookmarks",
		"sendInitialEvents", "limit", "fieldManager", "fieldValidation", "dryRun", "pretty", "propagationPolicy",
		"gracePeriodSeconds", "orphanDependents", "force", "container", "stdin", "stdout", "stderr", "tty", "follow",
		"tailLines", "sinceSeconds", "sinceTime", "timestamps", "previous", "limitBytes", "insecureSkipTLSVerifyBackend",
		"includeObject", "ports", "port":
		return true
	}
	return false
}

// unescape decodes a query component; one that does not decode is kept as
// is (and still scanned).
func unescape(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	if v, err := url.QueryUnescape(s); err == nil {
		return v
	}
	return s
}
