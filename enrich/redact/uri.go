package redact

import (
	"net/url"
	"strings"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
)

// uri redacts the query of requestURI: token, access_token and other
// credential parameters, credential arguments of exec/attach commands
// (?command=...), and secret shapes in any parameter.
func (w *walker) uri(ev *auditv1.Event, q int) {
	query := ev.RequestURI[q+1:]
	params := strings.Split(query, "&")
	changed := false
	flag := false // the previous command argument was a credential flag
	cmd := 0
	for i, p := range params {
		name, raw, hasValue := strings.Cut(p, "=")
		if !hasValue {
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
			if flag && !strings.HasPrefix(val, "-") && val != "" && !isRedacted(val) {
				secret = true
			}
			flag = w.credFlag(val)
			if at := w.flagValue(val); at > 0 {
				out, inline = val[:at]+w.r.inline(val[at:]), true
			}
		} else if v := w.r.classify(dname); (v == keyCred || v == keyUser) && val != "" && !isRedacted(val) {
			secret = true
		}
		if !secret && !inline {
			out, inline = w.scanText(val, false)
		}
		if !secret && !inline {
			continue
		}
		changed = true
		w.at("requestURI", ".query")
		w.push(dname)
		if dname == "command" {
			w.pushIndex(cmd - 1)
		}
		w.record()
		switch {
		case secret && w.r.mode == conf.RedactDrop && dname != "command":
			params[i] = ""
		case secret:
			params[i] = name + "=" + url.QueryEscape(w.r.inline(val))
		default:
			params[i] = name + "=" + url.QueryEscape(out)
		}
	}
	if !changed {
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
