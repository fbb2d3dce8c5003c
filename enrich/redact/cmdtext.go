package redact

import "strings"

// Command lines quoted in text. An event's message, a container's
// termination message, a log line, a script kept in a ConfigMap or a
// status message can carry a command line that is no argv of its own:
//
//	exec: "mysql -uroot -pX": executable file not found
//	Liveness probe failed: redis-cli -a X ping
//	app --db-password X --port 5432
//
// commandSpans reads the words after a known program's name as its
// arguments (progArgs, as for an argv), up to the end of the command: the
// line, a ;, &&, || or | word, or the quote that opened it. flagSpans takes
// the word after a credential flag (--password X, -token X) anywhere in
// text; --password=X is an assignment (scan.go).

// cmdOpener: bytes that may open a command or a flag word in text.
func cmdOpener(c byte) bool { return c == '"' || c == '\'' || c == '`' || c == '(' }

func blankByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// wordEnd is where the word starting at i ends: at the next blank.
func wordEnd(s string, i int) int {
	for i < len(s) && !blankByte(s[i]) {
		i++
	}
	return i
}

// quoteIn is the index in w of its first quote q not escaped by a
// backslash, or -1.
func quoteIn(w string, q byte) int {
	for i := 0; i < len(w); i++ {
		switch w[i] {
		case '\\':
			i++
		case q:
			return i
		}
	}
	return -1
}

// closeQuote finds the quote q that closes a quoted word whose inside
// starts at from: its index and true, or the end of the line and false.
// It reads no further than either, so a line of quoted words is read once.
func closeQuote(s string, from int, q byte) (int, bool) {
	for i := from; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case q:
			return i, true
		case '\n', '\r':
			return i, false
		}
	}
	return len(s), false
}

// textProg reports whether a word, its path stripped, names a program
// whose credential arguments progArgs knows, or one whose "set <key>
// <value>" sets credentials (aws configure set, npm|yarn|pnpm config set).
func textProg(w string) bool {
	w = w[strings.LastIndexByte(w, '/')+1:]
	switch w {
	case "aws", "npm", "yarn", "pnpm":
		return true
	}
	return kindOf(w) != progOther
}

// commandSpans adds the spans of the credential arguments of the commands
// in s that start with a known program.
func (r *Redactor) commandSpans(s string, sp []span) []span {
	var open byte // a quote opened by an earlier word and not closed: exec: "sh -c mysql …"
	for i := 0; i < len(s); {
		for i < len(s) && blankByte(s[i]) {
			i++
		}
		j := wordEnd(s, i)
		k := i
		q := open // the quote that opened the command, if any
		for k < j && cmdOpener(s[k]) {
			if s[k] != '(' {
				q = s[k]
			}
			k++
		}
		if k < j && textProg(strings.TrimRight(s[k:j], ";")) {
			sp, j = command(s, k, q, sp)
			open = 0
		} else if open != 0 {
			if quoteIn(s[i:j], open) >= 0 {
				open = 0
			}
		} else if q != 0 && quoteIn(s[k:j], q) < 0 {
			open = q
		}
		i = j
	}
	return sp
}

// command reads the command that starts with its program at i, q the
// quote that opened it (0: none), and returns the spans with its
// credential arguments added and where it ended.
func command(s string, i int, q byte, sp []span) ([]span, int) {
	var p progArgs
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i == len(s) || s[i] == '\n' || s[i] == '\r' {
			return sp, i
		}
		j := wordEnd(s, i)
		end, last := j, false
		if q != 0 {
			if c := quoteIn(s[i:j], q); c >= 0 {
				end, last = i+c, true
			}
		}
		// A word in quotes of its own holds its blanks: 'ls -p /srv',
		// -a "two words" (up to the closing quote on the line, then on to
		// the next blank as the shell reads it: "a b"c is one word).
		if c := s[i]; !last && (c == '\'' || c == '"') && c != q && quoteIn(s[i+1:j], c) < 0 {
			if k, ok := closeQuote(s, i+1, c); ok {
				j, end = wordEnd(s, k+1), wordEnd(s, k+1)
				if q != 0 {
					if e := quoteIn(s[k+1:j], q); e >= 0 {
						end, last = k+1+e, true
					}
				}
			}
		}
		switch s[i:end] {
		case "&&", "||", "|", ";":
			return sp, j
		}
		if end > i && s[end-1] == ';' {
			end, last = end-1, true
		}
		from, to := i, end
		// A word quoted whole: its inside.
		if w := s[from:to]; len(w) >= 2 && (w[0] == '"' || w[0] == '\'') && w[len(w)-1] == w[0] {
			from, to = from+1, to-1
		}
		if from < to {
			if whole, at := p.arg(s[from:to]); whole {
				sp = append(sp, span{from, to})
			} else if at > 0 {
				sp = append(sp, span{from + at, to})
			}
		}
		if last {
			return sp, j
		}
		i = j
	}
	return sp, i
}

// flagSpans adds the spans of the values that follow a credential flag in
// s: --password X, --db-password "X Y", -token X (a value starting with a
// dash is the next flag). An unquoted value ends at a blank or a double
// quote (a command quoted in a message: "app --api-key X": not found).
//
// cmd are the spans commandSpans found, in order: a word they cover is a
// value, not a flag (mysql -pX, where X may read like a credential name).
func (r *Redactor) flagSpans(s string, sp, cmd []span) []span {
	for off := 0; off < len(s); {
		d := strings.IndexByte(s[off:], '-')
		if d < 0 {
			break
		}
		i := off + d
		e := wordEnd(s, i)
		off = e
		if i > 0 && !blankByte(s[i-1]) && !cmdOpener(s[i-1]) {
			continue // inside a word: kube-system, x--y
		}
		for len(cmd) > 0 && cmd[0].to <= i {
			cmd = cmd[1:]
		}
		w := s[i:e]
		if len(w) < 3 || strings.IndexByte(w, '=') >= 0 || len(cmd) > 0 && cmd[0].from < e {
			continue
		}
		if v := r.classify(strings.TrimLeft(w, "-")); v != keyCred && v != keyUser {
			continue
		}
		a := e
		for a < len(s) && (s[a] == ' ' || s[a] == '\t') {
			a++
		}
		if a == len(s) || s[a] == '\n' || s[a] == '\r' || a == e {
			continue
		}
		from, to := a, wordEnd(s, a)
		if c := s[a]; c == '"' || c == '\'' {
			from = a + 1
			to, _ = closeQuote(s, from, c) // (unterminated: to the line's end)
		} else if k := quoteIn(s[a:to], '"'); k >= 0 {
			to = a + k
		}
		if v := s[from:to]; v != "" && v[0] != '-' && credValue(v) {
			sp = append(sp, span{from, to})
			off = max(off, to)
		}
	}
	return sp
}
