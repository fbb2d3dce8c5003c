package redact

import "strings"

// Credentials in system configuration carried as text, found by the shape
// of the file or command rather than by a credential word:
//
//   - cloud-init's chpasswd list (user-data in a ConfigMap, a Secret-less
//     VM or node template): "list: |" lines or "- " items of user:password
//     under "chpasswd:";
//   - passwords piped into chpasswd in scripts: echo 'user:pass' | chpasswd,
//     printf … | sudo chpasswd -e, chpasswd <<< "user:pass";
//   - passwords piped into a login's --password-stdin: echo X | docker
//     login -u u --password-stdin, helm registry login … <<< X;
//   - PostgreSQL password files (.pgpass, PGPASSFILE contents):
//     host:port:database:user:password lines, port digits or *;
//   - Go MySQL DSNs: user:password@tcp(host:port)/db.
//
// Each starts with a cheap gate (a vectorised substring test or count) and
// keeps no state between calls.

// sysSpans adds the spans of these shapes in s to sp.
func sysSpans(s string, sp []span) []span {
	if strings.Contains(s, "chpasswd") {
		sp = chpasswdSpans(s, sp)
	}
	if strings.Contains(s, "password-stdin") {
		sp = stdinSpans(s, sp)
	}
	if strings.Count(s, ":") >= 4 {
		sp = pgpassSpans(s, sp)
	}
	if strings.IndexByte(s, '@') >= 0 {
		sp = goDSNSpans(s, sp)
	}
	return sp
}

// goDSNSpans finds the password of Go's MySQL DSNs (go-sql-driver/mysql,
// as an app's DSN or DATABASE_URL): user:password@tcp(host:port)/db, also
// @unix(/path), @udp(…), @tcp6(…). The password runs from the user's ':'
// to the '@' before the protocol; the user starts the word (looked for at
// most 256 bytes back, so that a string of many reads in linear time).
func goDSNSpans(s string, sp []span) []span {
	for off := 0; off < len(s); {
		at := strings.IndexByte(s[off:], '@')
		if at < 0 {
			break
		}
		at += off
		off = at + 1
		rest := s[off:]
		if !strings.HasPrefix(rest, "tcp(") && !strings.HasPrefix(rest, "unix(") && !strings.HasPrefix(rest, "udp(") && !strings.HasPrefix(rest, "tcp6(") {
			continue
		}
		ws := at
		for ws > max(0, at-256) && !dsnBoundary(s[ws-1]) {
			ws--
		}
		c := strings.IndexByte(s[ws:at], ':')
		if c < 0 {
			continue
		}
		if pw := s[ws+c+1 : at]; credValue(pw) {
			sp = append(sp, span{ws + c + 1, at})
		}
	}
	return sp
}

// dsnBoundary: bytes that end the word before a DSN's user.
func dsnBoundary(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '"', '\'', '`', '=', ',', ';', '(', '[', '{', '<', '>':
		return true
	}
	return false
}

// cmdWindow bounds how far around a command word (chpasswd,
// --password-stdin) the shapes look on its line, for the echo piped into
// it or its here-string: such commands are short, and a long line of many
// of them is then read in linear time (it was quadratic: a megabyte of
// "chpasswd " took 35 s).
const cmdWindow = 512

// lineWindow returns the bounds of the line holding s[i] (without its
// newline), within cmdWindow bytes either side of i.
func lineWindow(s string, i int) (start, end int) {
	lo, hi := max(0, i-cmdWindow), min(len(s), i+cmdWindow)
	start = lo + strings.LastIndexByte(s[lo:i], '\n') + 1
	if e := strings.IndexByte(s[i:hi], '\n'); e >= 0 {
		return start, i + e
	}
	return start, hi
}

// indentOf counts the blanks that start line.
func indentOf(line string) int {
	n := 0
	for n < len(line) && (line[n] == ' ' || line[n] == '\t') {
		n++
	}
	return n
}

// chpasswdSpans finds the passwords of cloud-init's chpasswd list and of
// user:password pairs fed to the chpasswd command.
func chpasswdSpans(s string, sp []span) []span {
	for off := 0; off < len(s); {
		j := strings.Index(s[off:], "chpasswd")
		if j < 0 {
			break
		}
		j += off
		off = j + len("chpasswd")
		if j > 0 && isKeyChar(s[j-1]) || off < len(s) && isKeyChar(s[off]) {
			continue // part of another word
		}
		if off < len(s) && s[off] == ':' {
			sp = chpasswdYAML(s, j, sp)
		} else {
			sp = chpasswdCommand(s, j, sp)
		}
	}
	return sp
}

// chpasswdYAML reads the block of the "chpasswd:" key at j for its list.
func chpasswdYAML(s string, j int, sp []span) []span {
	ls, le := lineWindow(s, j)
	base := indentOf(s[ls:le])
	listIndent := -1 // indent of "list:", once found
	block := false   // "list: |": the lines below are pairs
	for pos := le + 1; pos < len(s); {
		end := strings.IndexByte(s[pos:], '\n')
		if end < 0 {
			end = len(s)
		} else {
			end += pos
		}
		line := s[pos:end]
		lineStart := pos
		pos = end + 1
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' {
			continue
		}
		ind := indentOf(line)
		if ind <= base {
			break // the chpasswd block ended
		}
		if listIndent >= 0 && (ind > listIndent || (!block && ind == listIndent && t[0] == '-')) {
			item := strings.TrimSpace(strings.TrimPrefix(t, "-"))
			item = strings.Trim(item, `"'`)
			if k := strings.IndexByte(item, ':'); k > 0 && k < len(item)-1 {
				at := strings.Index(line, item) + lineStart
				if credValue(item[k+1:]) {
					sp = append(sp, span{at + k + 1, at + len(item)})
				}
			}
			continue
		}
		listIndent = -1
		if v, ok := strings.CutPrefix(t, "list:"); ok {
			listIndent, block = ind, strings.HasPrefix(strings.TrimSpace(v), "|")
		}
	}
	return sp
}

// chpasswdCommand finds the user:password fed to the chpasswd command at j:
// the argument of echo or printf piped into it, or its here-string.
func chpasswdCommand(s string, j int, sp []span) []span {
	ls, le := lineWindow(s, j)
	if h := strings.Index(s[j:le], "<<<"); h >= 0 {
		from := j + h + 3
		for from < le && s[from] == ' ' {
			from++
		}
		return pairArg(s, from, le, sp)
	}
	if from, end, ok := pipedArg(s, ls, j); ok {
		return pairArg(s, from, end, sp)
	}
	return sp
}

// pipedArg finds, on the line from ls up to the command at j, the argument
// of the echo or printf piped into that command: where it starts, and the
// '|' it ends before.
func pipedArg(s string, ls, j int) (from, end int, ok bool) {
	before := s[ls:j]
	p := strings.LastIndexByte(before, '|')
	if p < 0 {
		return 0, 0, false
	}
	cmd := before[:p]
	k := max(strings.LastIndex(cmd, "echo "), strings.LastIndex(cmd, "printf "))
	if k < 0 {
		return 0, 0, false
	}
	from = ls + k + strings.IndexByte(cmd[k:], ' ') + 1
	for from < ls+p && s[from] == ' ' {
		from++
	}
	for from < ls+p && s[from] == '-' { // echo -e, echo -n
		for from < ls+p && s[from] != ' ' {
			from++
		}
		for from < ls+p && s[from] == ' ' {
			from++
		}
	}
	return from, ls + p, from < ls+p
}

// stdinSpans finds the password fed to a login's --password-stdin (docker,
// podman, helm, oras... login): the argument of echo or printf piped into
// the command, or its here-string.
func stdinSpans(s string, sp []span) []span {
	for off := 0; off < len(s); {
		j := strings.Index(s[off:], "password-stdin")
		if j < 0 {
			break
		}
		j += off
		off = j + len("password-stdin")
		ls, le := lineWindow(s, j)
		c := ls + strings.LastIndexAny(s[ls:j], "|;&") + 1 // the command's start
		if h := strings.Index(s[j:le], "<<<"); h >= 0 {
			from := j + h + 3
			for from < le && s[from] == ' ' {
				from++
			}
			sp = wholeArg(s, from, le, sp)
		} else if c == ls || s[c-1] != '|' {
			continue // not fed by a pipe
		} else if from, end, ok := pipedArg(s, ls, c); ok {
			sp = wholeArg(s, from, end, sp)
		}
	}
	return sp
}

// argAt returns the bounds of the shell argument that starts at from
// (inside its quotes, if quoted) and ends before end.
func argAt(s string, from, end int) (int, int) {
	to := end
	if q := s[from]; q == '\'' || q == '"' {
		from++
		if k := strings.IndexByte(s[from:end], q); k >= 0 {
			to = from + k
		}
	} else if k := strings.IndexAny(s[from:end], " \t;&"); k >= 0 {
		to = from + k
	}
	return from, to
}

// wholeArg redacts the argument that starts at from (quoted or not) and
// ends before end.
func wholeArg(s string, from, end int, sp []span) []span {
	if from >= end {
		return sp
	}
	from, to := argAt(s, from, end)
	if pw := s[from:to]; !credValue(pw) {
		return sp
	}
	return append(sp, span{from, to})
}

// pairArg redacts the password of the user:password argument that starts
// at from (quoted or not) and ends before end.
func pairArg(s string, from, end int, sp []span) []span {
	if from >= end {
		return sp
	}
	from, to := argAt(s, from, end)
	arg := s[from:to]
	k := strings.IndexByte(arg, ':')
	if k <= 0 || k == len(arg)-1 {
		return sp
	}
	pw := strings.TrimSuffix(strings.TrimSuffix(arg[k+1:], `\n`), "\n")
	if !credValue(pw) {
		return sp
	}
	return append(sp, span{from + k + 1, from + k + 1 + len(pw)})
}

// pgpassSpans finds the password of each host:port:database:user:password
// line (the .pgpass format; \: and \\ escape inside fields).
func pgpassSpans(s string, sp []span) []span {
	for pos := 0; pos < len(s); {
		end := strings.IndexByte(s[pos:], '\n')
		if end < 0 {
			end = len(s)
		} else {
			end += pos
		}
		ls := pos
		pos = end + 1
		line := strings.TrimRight(s[ls:end], "\r")
		lead := indentOf(line)
		if from, to, ok := pgpassLine(line[lead:]); ok {
			sp = append(sp, span{ls + lead + from, ls + lead + to})
		}
	}
	return sp
}

// pgpassLine: the password's bounds in a .pgpass line.
func pgpassLine(line string) (from, to int, ok bool) {
	if len(line) < 9 || line[0] == '#' {
		return 0, 0, false
	}
	var cut [4]int // the ':' ending the first four fields
	n := 0
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\\':
			i++
		case c == ':' && n < 4: // (in the password, ':' needs no escape)
			cut[n] = i
			n++
		case c == ' ' || c == '\t':
			if n < 4 {
				return 0, 0, false // fields before the password hold no blank
			}
		}
	}
	if n < 4 {
		return 0, 0, false
	}
	host, port, db, user := line[:cut[0]], line[cut[0]+1:cut[1]], line[cut[1]+1:cut[2]], line[cut[2]+1:cut[3]]
	if !pgName(host) || !pgName(db) || !pgName(user) || !(port == "*" || pgPort(port)) {
		return 0, 0, false
	}
	pw := line[cut[3]+1:]
	if !credValue(pw) {
		return 0, 0, false
	}
	return cut[3] + 1, len(line), true
}

func pgPort(p string) bool {
	if len(p) == 0 || len(p) > 5 {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// pgName: a host, database or user field: a name, an address or *.
func pgName(f string) bool {
	if f == "" || len(f) > 253 {
		return false
	}
	for i := 0; i < len(f); i++ {
		c := f[i]
		if !isAlnum(c) && c != '.' && c != '-' && c != '_' && c != '*' && c != '@' && c != '\\' && c != '[' && c != ']' {
			return false
		}
	}
	return true
}
