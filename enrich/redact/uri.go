package redact

import (
	"net/url"
	"strings"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
)

// uri redacts the query of requestURI: token, access_token and other
// credential parameters, credential arguments of exec/attach commands
// (?command=...), and secret shapes in any parameter. A query with nothing
// to redact costs no allocation.
func (w *walker) uri(ev *auditv1.Event, q int) {
	query := ev.RequestURI[q+1:]
	var params []string // split only once something changes
	flag := false       // the previous command argument was a credential flag
	cmd := 0
	for k, rest := 0, query; rest != ""; k++ {
		var p string
		p, rest, _ = strings.Cut(rest, "&")
		name, raw, hasValue := strings.Cut(p, "=")
		if !hasValue || raw == "" || safeParam(name) {
			if name == "command" {
				cmd++
				flag = false
			}
			continue
		}
		val, dname := unescape(raw), unescape(name)
		var (
			secret bool   // the whole value goes
			out    string // or the value with spans replaced
			inline bool
		)
		if dname == "command" {
			cmd++
			if flag && !strings.HasPrefix(val, "-") && !isRedacted(val) {
				secret = true
			}
			flag = w.credFlag(val)
			if at := w.flagValue(val); at > 0 {
				out, inline = val[:at]+w.r.inline(val[at:]), true
			}
		} else if v := w.r.classify(dname); (v == keyCred || v == keyUser) && !isRedacted(val) {
			secret = true
		}
		if !secret && !inline {
			out, inline = w.scanText(val, false)
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
		case secret && w.r.mode == conf.RedactDrop && dname != "command":
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
	u := ev.RequestURI[:q]
	if len(kept) > 0 {
		u += "?" + strings.Join(kept, "&")
	}
	ev.RequestURI = u
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
