package safetext

import (
	"encoding/base64"
	"regexp"
	"slices"
	"strings"
)

// Text quoted from files, commands, object YAML, event messages or error messages goes through
// RedactSecrets before it can reach a screen. Two kinds of credential are found:
//
//   - by name: a flag, key or variable named like a credential (--token=X, --password X,
//     "--client-secret", "X" in a list, password: X, DB_PASS="X", Authorization: Bearer X,
//     curl -u user:X, https://user:X@host, sshpass -p X), the name compared by what it looks
//     like, so --tokеn with a Cyrillic е or a zero-width space inside is still a token;
//   - by shape, wherever they stand: private key blocks (PEM, and PEM in base64), JWTs, AWS
//     access key IDs and the secret keys beside them, GitHub, GitLab, Slack, Google, Stripe and
//     npm tokens, and kubeadm bootstrap tokens.
//
// Exactly the value goes: the name stays so a reader sees that a credential is there, and what
// follows the value stays ("--token is given 2 times" is a message, not a token).

// secretWords end the names that hold a credential. The name must end in one, so
// "secretName: db" or "tokenTTL: 1h" keep their value.
const secretWords = `(?:token|password|passwd|pass|pwd|secret|api[-_]?key|apikey|client-key-data|private[-_]?key|secret[\w-]*key|auth)`

var (
	// assignment is a name and "=", ":" (":=", "=>"): --token=X, password: X, {"token":"X"};
	// a JSON key's closing quote, escaped or not, may stand between the name and the colon.
	assignment = regexp.MustCompile(`(?i)(?:--|\b)[\w-]*` + secretWords + `\\?["']?[ \t]*(?::=|=>|[=:])[ \t]*`)
	// spaced is a flag and its value as the next word or list item: --token X, -password X,
	// "--client-secret", "X" (a JSON or flow list), [--token, X].
	spaced = regexp.MustCompile(`(?i)\B--?[\w-]*` + secretWords + `(?:\\?["']?[ \t]*,[ \t]*|[ \t]+)`)
	// bearer is a bearer token, or any Authorization header's credential after its scheme.
	bearer = regexp.MustCompile(`(?i)\bbearer[ \t]+|\bauthorization\\?["']?[ \t]*[=:][ \t]*\\?["']?(?:basic|bearer|token|digest|negotiate)[ \t]+`)
	// userPassword is curl's -u user:password (and --user=): the user stays, the password goes.
	userPassword = regexp.MustCompile(`(?:^|[ \t])(?:-u[ \t]*|--user[= \t]+)["']?([^\s:"']+):`)
	// urlPassword is the password of a URL's user info (a proxy's http://user:pass@host): the
	// user name and host stay. The password ends at the last "@" before the path.
	urlPassword = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*://[^\s:/@]*:([^\s/]+)@`)
	// commandPassword is a password flag that only its command makes one: sshpass -p X (before
	// sshpass's own command), redis-cli -a X, mysql -pX (only attached: "-p X" asks for the
	// password and X is the database).
	commandPassword = regexp.MustCompile(`(?:^|[\s/"'=])(?:sshpass(?:[ \t]+-[fdP][ \t]*[^\s|;&]+|[ \t]+-[evhV])*[ \t]+-p[ \t]*|redis-cli(?:[ \t]+[^\s|;&]+)*?[ \t]+-a[ \t]+|(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlshow|mariadb|mariadb-dump)(?:[ \t]+[^\s|;&]+)*?[ \t]+-p)`)
)

// shape is a credential recognised by its form alone; all of the match is the secret. hint is
// a string every match holds, to skip the pattern on lines without it.
type shape struct {
	re   *regexp.Regexp
	hint string
}

var (
	// awsKeyID is an AWS access key ID, which also says to look for the secret key beside it.
	awsKeyID = regexp.MustCompile(`A(?:KIA|SIA|BIA|CCA)[A-Z0-9]{16}`)
	// bootstrapToken is a kubeadm bootstrap token, which needs a digit in its secret half.
	bootstrapToken = regexp.MustCompile(`[a-z0-9]{6}\.[a-z0-9]{16}`)
)

var shapes = []shape{
	{regexp.MustCompile(`eyJ[\w-]{2,}\.[\w-]+\.[\w-]*`), "eyJ"}, // JWT: base64url of {" . payload . signature
	{awsKeyID, "A"},
	{regexp.MustCompile(`gh[pousr]_[A-Za-z0-9]{20,}`), "gh"},            // GitHub tokens
	{regexp.MustCompile(`github_pat_[A-Za-z0-9_]{20,}`), "github_pat_"}, // GitHub fine-grained token
	{regexp.MustCompile(`glpat-[A-Za-z0-9_-]{20,}`), "glpat-"},          // GitLab personal access token
	{regexp.MustCompile(`xox[abposre]-[A-Za-z0-9-]{8,}`), "xox"},        // Slack tokens
	{regexp.MustCompile(`xapp-\d-[A-Za-z0-9-]{8,}`), "xapp-"},           // Slack app token
	{regexp.MustCompile(`AIza[0-9A-Za-z_-]{35}`), "AIza"},               // Google API key
	{regexp.MustCompile(`[sr]k_live_[0-9A-Za-z]{16,}`), "k_live_"},      // Stripe secret keys
	{regexp.MustCompile(`npm_[A-Za-z0-9]{36}`), "npm_"},                 // npm token
	{bootstrapToken, "."},
}

// hasAWSKeyID reports whether text holds an AWS access key ID, whose secret key may then stand
// on any of its lines.
func hasAWSKeyID(text string) bool {
	return strings.Contains(text, "A") && awsKeyID.MatchString(fold(text))
}

// lowerASCII is s with ASCII letters in lower case.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// awsSecretKey is the shape of an AWS secret access key: 40 characters of base64. Alone it is
// any base64 string; beside an access key ID it is the secret.
var awsSecretKey = regexp.MustCompile(`[A-Za-z0-9/+]{40}`)

// slackWebhook is a Slack incoming webhook: its path is the credential.
var slackWebhook = regexp.MustCompile(`hooks\.slack\.com/services/([A-Za-z0-9_/-]+)`)

// pemBase64 is a PEM block in base64 (a kubeconfig's client-key-data under another name):
// "LS0tLS1CRUdJTi" is "-----BEGIN ". Its head says whether it holds a private key.
var pemBase64 = regexp.MustCompile(`LS0tLS1CRUdJTi[A-Za-z0-9+/]*={0,2}`)

// pemKey is a private key block, possibly cut off: its base64 lines are the secret.
var pemKey = regexp.MustCompile(`(?s)-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----|$)`)

const (
	redacted           = "<redacted>"
	redactedPrivateKey = "<redacted private key>"
)

// RedactSecrets replaces every credential in s with "<redacted>", keeping the name so a reader
// still sees that a credential is there. Booleans and empty values stay
// ("automountServiceAccountToken: false" hides nothing). It takes time linear in len(s), and
// redacting its output again changes nothing.
func RedactSecrets(s string) string {
	s = pemKey.ReplaceAllString(s, redactedPrivateKey)
	aws := hasAWSKeyID(s)
	if !strings.Contains(s, "\n") {
		return redactLine(s, aws)
	}
	// Line by line, so a name at the end of one line never takes the next line as its value;
	// what spans lines (a YAML value under its key, a flag and its value as two list items) is
	// read from all of them first.
	lines := strings.Split(s, "\n")
	redactAcrossLines(lines)
	for i, l := range lines {
		lines[i] = redactLine(l, aws)
	}
	return strings.Join(lines, "\n")
}

// RedactSecretLines returns lines[from:to] redacted like RedactSecrets, one line out for each
// line in, so numbered excerpts of a file stay true. It reads all of lines for what spans
// lines: a private key block whose BEGIN line is above the excerpt (each of its lines becomes
// "<redacted private key>"), an env entry's name and value, a value under its key, a flag and
// its value as two list items, an AWS access key ID and its secret key. Its time grows with
// the number of lines, not their square: a file may hold a million.
func RedactSecretLines(lines []string, from, to int) []string {
	from, to = max(0, min(from, len(lines))), max(0, min(to, len(lines)))
	from = min(from, to)
	out := make([]string, len(lines))
	copy(out, lines)
	text := strings.Join(lines, "\n")
	line, at := 0, 0 // the line that text[at] is on
	for _, span := range pemKey.FindAllStringIndex(text, -1) {
		line += strings.Count(text[at:span[0]], "\n")
		last := line + strings.Count(text[span[0]:span[1]], "\n")
		for i := line; i <= last && i < len(out); i++ {
			out[i] = redactedPrivateKey
		}
		line, at = last, span[1]
	}
	aws := hasAWSKeyID(text)
	redactAcrossLines(out)
	out = out[from:to]
	for i, l := range out {
		out[i] = redactLine(l, aws)
	}
	return out
}

// RedactArgs redacts a command's arguments, as a container's command and args or an exec call
// list them: each one as RedactSecrets does, and the one after a credential flag that takes
// its value as the next argument ("--password", "X"), which alone says nothing.
func RedactArgs(args []string) []string {
	out := make([]string, len(args))
	command, prev := "", ""
	for i, a := range args {
		if n := attachedSecret(a, command); n > 0 {
			out[i] = a[:n] + redacted
		} else if i > 0 && SecretFlag(prev, command) && argIsValue(a) {
			out[i] = redacted
		} else {
			out[i] = RedactSecrets(a)
		}
		command, prev = nextCommand(command, prev, a), a
	}
	return out
}

// nextCommand follows whose options a list of arguments is in, for the flags only a command
// makes credentials: sshpass's until the command it runs starts (ssh's -p is a port), and
// redis-cli's. arg is the argument read, prev the one before it.
func nextCommand(command, prev, arg string) string {
	name := commandName(arg)
	switch {
	case name == "sshpass" || name == "redis-cli" || mysqlCommands[name]:
		return name
	case command == "sshpass" && !strings.HasPrefix(strings.Trim(arg, `"'`), "-") &&
		!(len(prev) == 2 && prev[0] == '-' && strings.IndexByte("fdPp", prev[1]) >= 0):
		return name
	}
	return command
}

// SecretFlag reports whether arg is a flag named like a credential without its value
// ("--token", "-password", "--client-secret", "--tokеn" with a look-alike letter), whose value
// is then the next argument; command is the command's name, which makes "-p" sshpass's
// password and "-a" redis-cli's.
func SecretFlag(arg, command string) bool {
	a := strings.Trim(fold(arg), `"'`)
	switch {
	case command == "sshpass" && a == "-p", command == "redis-cli" && a == "-a":
		return true
	}
	return secretFlag.MatchString(a)
}

var secretFlag = regexp.MustCompile(`(?i)^--?[\w-]*` + secretWords + `$`)

// mysqlCommands take the password attached to -p: -pX.
var mysqlCommands = map[string]bool{"mysql": true, "mysqldump": true, "mysqladmin": true, "mysqlimport": true,
	"mysqlcheck": true, "mysqlshow": true, "mariadb": true, "mariadb-dump": true}

// attachedSecret returns the length of the flag of an argument that carries a credential
// attached to it, mysql's and sshpass's -pX, or 0.
func attachedSecret(arg, command string) int {
	if (mysqlCommands[command] || command == "sshpass") && len(arg) > 2 && strings.HasPrefix(arg, "-p") && !harmless(arg[2:]) {
		return 2
	}
	return 0
}

// commandName is the base name of a command's path, for SecretFlag.
func commandName(arg string) string {
	arg = strings.Trim(arg, `"'`)
	return arg[strings.LastIndexByte(arg, '/')+1:]
}

// argIsValue reports whether the argument after a credential flag is its value: not another
// long flag, nothing, or a value that hides nothing.
func argIsValue(a string) bool {
	v := strings.Trim(a, `"'`)
	return !(len(v) > 2 && v[0] == '-' && v[1] == '-' && isLetter(v[2])) && !harmless(v)
}

// harmless reports a value that is no secret though it stands where one would: a boolean,
// nothing, or a value already redacted.
func harmless(v string) bool {
	v = strings.Trim(v, `"'\`)
	if len(v) > 16 {
		return strings.HasPrefix(v, "<redacted")
	}
	switch strings.ToLower(v) {
	case "true", "false", "", "null", "~":
		return true
	}
	return strings.HasPrefix(v, "<redacted")
}

// proseWords follow a flag's name in a message rather than its value: "--token is given 2
// times", "--password must be set", "a bearer token".
var proseWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an the is are was were be been being has have had and or nor not no but if
		then than to of in on at for from by as with without into onto via given set unset missing must should
		can cannot may might will would shall takes needs requires expects appears repeated which that this
		these those also only too here there twice flag flags option options value values argument arguments
		token tokens auth authentication credential credentials header headers scheme`) {
		proseWords[w] = true
	}
}

// span is a part of a line to replace.
type span struct {
	from, to int
	label    string
}

// redactLine redacts one line. aws says an AWS access key ID is in the text the line is from,
// so a secret access key's shape is a secret on this line.
func redactLine(s string, aws bool) string {
	f, at := foldWithOffsets(s)
	spans := secretSpans(f, aws)
	if len(spans) == 0 {
		return s
	}
	orig := func(i int) int {
		if at == nil {
			return i
		}
		return at[i]
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, sp := range spans {
		from, to := max(orig(sp.from), last), orig(sp.to)
		if to <= from {
			continue
		}
		b.WriteString(s[last:from])
		b.WriteString(sp.label)
		last = to
	}
	b.WriteString(s[last:])
	return b.String()
}

// secretSpans finds the credentials of a line, sorted and merged. s is folded: look-alike
// letters are the ASCII they pass for, invisible characters are gone.
func secretSpans(s string, aws bool) []span {
	var spans []span
	add := func(from, to int, label string) {
		if to > from {
			spans = append(spans, span{from, to, label})
		}
	}
	v := valueScanner{s: s}
	// Each pattern runs only on lines that hold what it needs, most lines hold none: the
	// patterns are many, and text from a cluster is long.
	low := lowerASCII(s)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(low, w) {
				return true
			}
		}
		return false
	}
	named := has("token", "pass", "pwd", "secret", "key", "auth")

	// By name: the value after the name.
	if named && strings.ContainsAny(s, "=:") {
		for _, m := range assignment.FindAllStringIndex(s, -1) {
			from, to, ok := v.value(m[1])
			if q := quoteBefore(s, m[0]); ok && q != 0 && s[m[1]] != q {
				// '--password=p w': the quote around the assignment ends the value.
				if j := strings.IndexByte(s[m[1]:], q); j >= 0 {
					from, to = m[1], m[1]+j
				}
			}
			if ok && !harmless(s[from:to]) {
				add(from, to, redacted)
			}
		}
	}
	if named && strings.Contains(s, "-") {
		for _, m := range spaced.FindAllStringIndex(s, -1) {
			if from, to, ok := v.value(m[1]); ok && isValueWord(s[from:to]) {
				add(from, to, redacted)
			}
		}
	}
	if has("bearer", "authorization") {
		for _, m := range bearer.FindAllStringIndex(s, -1) {
			if from, to, ok := v.value(m[1]); ok && isValueWord(s[from:to]) {
				add(from, to, redacted)
			}
		}
	}
	if has("sshpass", "redis-cli", "mysql", "mariadb") {
		for _, m := range commandPassword.FindAllStringIndex(s, -1) {
			if m[1] < len(s) && !isSpace(s[m[1]]) {
				if from, to, ok := v.value(m[1]); ok && !harmless(s[from:to]) {
					add(from, to, redacted)
				}
			}
		}
	}
	if has("-u", "--user") {
		for _, m := range userPassword.FindAllStringSubmatchIndex(s, -1) {
			from, to, ok := v.value(m[1])
			if ok && !harmless(s[from:to]) && !(digits(s[m[2]:m[3]]) && digits(s[from:to])) {
				add(from, to, redacted)
			}
		}
	}
	if strings.Contains(s, "://") {
		for _, m := range urlPassword.FindAllStringSubmatchIndex(s, -1) {
			if !harmless(s[m[2]:m[3]]) {
				add(m[2], m[3], redacted)
			}
		}
		for _, m := range slackWebhook.FindAllStringSubmatchIndex(s, -1) {
			add(m[2], m[3], redacted)
		}
	}

	// By shape, wherever it stands.
	for _, sh := range shapes {
		if !strings.Contains(s, sh.hint) {
			continue
		}
		for _, m := range sh.re.FindAllStringIndex(s, -1) {
			if !standsAlone(s, m[0], m[1]) || sh.re == bootstrapToken && !strings.ContainsAny(s[m[1]-16:m[1]], "0123456789") {
				continue
			}
			add(m[0], m[1], redacted)
		}
	}
	if aws {
		for _, m := range awsSecretKey.FindAllStringIndex(s, -1) {
			k := s[m[0]:m[1]]
			if standsAloneIn(s, m[0], m[1], isBase64) && strings.ContainsAny(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") &&
				strings.ContainsAny(k, "abcdefghijklmnopqrstuvwxyz") {
				add(m[0], m[1], redacted)
			}
		}
	}
	if strings.Contains(s, "LS0tLS1CRUdJTi") {
		for _, m := range pemBase64.FindAllStringIndex(s, -1) {
			head := s[m[0]:min(m[1], m[0]+64)]
			head = head[:len(head)/4*4]
			if b, err := base64.StdEncoding.DecodeString(head); err == nil && strings.Contains(string(b), "PRIVATE KEY") {
				add(m[0], m[1], redactedPrivateKey)
			}
		}
	}
	if len(spans) == 0 {
		return nil
	}
	slices.SortFunc(spans, func(a, b span) int { return a.from - b.from })
	merged := spans[:1]
	for _, sp := range spans[1:] {
		last := &merged[len(merged)-1]
		if sp.from < last.to {
			last.to = max(last.to, sp.to)
			continue
		}
		merged = append(merged, sp)
	}
	return merged
}

// isValueWord reports whether the word after a flag or "bearer" is its value rather than the
// message going on ("--token is given 2 times") or the next flag.
func isValueWord(v string) bool {
	if harmless(v) {
		return false
	}
	w := strings.Trim(v, `"'\`)
	if len(w) > 2 && w[0] == '-' && w[1] == '-' && isLetter(w[2]) {
		return false
	}
	if len(w) <= 16 && proseWords[strings.ToLower(strings.TrimRight(w, ".,;:"))] {
		return false
	}
	return true
}

// valueScanner finds where values end on one line, remembering the last unquoted value's end
// so that values starting inside one already scanned take no second scan: the time stays
// linear in the line whatever its matches.
type valueScanner struct {
	s                string
	memoFrom, memoTo int
}

// value returns the value starting at i: a quoted string's inside (the quotes stay), or an
// unquoted word, less the punctuation that ends a sentence or closes a bracket or quote the
// value did not open. ok is false when there is no value.
func (v *valueScanner) value(i int) (from, to int, ok bool) {
	s := v.s
	if i >= len(s) {
		return 0, 0, false
	}
	switch {
	case s[i] == '"' || s[i] == '\'':
		if j := strings.IndexByte(s[i+1:], s[i]); j >= 0 {
			return i + 1, i + 1 + j, true
		}
		i++ // an unclosed quote: the value is the word after it
	case s[i] == '\\' && i+1 < len(s) && s[i+1] == '"':
		if j := strings.Index(s[i+2:], `\"`); j >= 0 {
			return i + 2, i + 2 + j, true
		}
		i += 2
	}
	if i >= len(s) || isSpace(s[i]) {
		return 0, 0, false
	}
	var end int
	if v.memoFrom <= i && i < v.memoTo {
		end = v.memoTo
	} else {
		end = i
		for end < len(s) && !valueEnds(s, end) {
			end++
		}
		v.memoFrom, v.memoTo = i, end
	}
	// At most two characters of trailing punctuation: "--token=X," or "(--token=false):". A
	// closing bracket stays when the value opened one near its start: $(TOKEN).
	for n := 0; n < 2 && end > i+1; n++ {
		c := s[end-1]
		open := strings.IndexByte(")]}", c)
		if strings.IndexByte(",;:.!?", c) < 0 &&
			(open < 0 || strings.IndexByte(s[i:min(end, i+64)], "([{"[open]) >= 0) {
			break
		}
		end--
	}
	return i, end, end > i
}

// valueEnds reports whether an unquoted value ends at s[i]: white space, a quote that closes
// (followed by space, punctuation or the end: `Pod "--token X": ...`), or the next parameter
// of a URL query.
func valueEnds(s string, i int) bool {
	switch c := s[i]; {
	case isSpace(c):
		return true
	case c == '"' || c == '\'' || c == '`':
		return i+1 == len(s) || strings.IndexByte(" \t\r\n\v\f,;:.)]}>", s[i+1]) >= 0
	case c == '&':
		j := i + 1
		for j < len(s) && j < i+40 && (isWordByte(s[j]) || s[j] == '.' || s[j] == '-') {
			j++
		}
		return j > i+1 && j < len(s) && s[j] == '='
	}
	return false
}

// quoteBefore is the quote that opens right before s[i], or 0; an escaped quote (JSON in a
// string) is not one.
func quoteBefore(s string, i int) byte {
	if i > 0 && (s[i-1] == '"' || s[i-1] == '\'') && (i == 1 || s[i-2] != '\\') {
		return s[i-1]
	}
	return 0
}

// standsAlone reports whether s[from:to] is a word of its own, not part of a longer one.
func standsAlone(s string, from, to int) bool {
	return standsAloneIn(s, from, to, isAlnum)
}

func standsAloneIn(s string, from, to int, in func(byte) bool) bool {
	return (from == 0 || !in(s[from-1])) && (to == len(s) || !in(s[to]))
}

// redactAcrossLines redacts, in place, the credentials whose name and value are on different
// lines: YAML values under their key or beside an env entry's name, and a credential flag and
// its value as two items of a YAML or JSON list.
func redactAcrossLines(lines []string) {
	redactYAMLValues(lines)
	redactListItems(lines)
}

// listItem is a line that is one item of a list: YAML's "- X" or a JSON array's `"X",`.
type listItem struct {
	col   int  // the column of "-" or of the opening quote
	json  bool // a JSON array item
	from  int  // the item's value: lines[i][from:to]
	to    int
	valid bool
}

func readListItem(l string) listItem {
	body := strings.TrimLeft(l, " \t")
	col := len(l) - len(body)
	body = strings.TrimRight(body, " \t\r")
	end := col + len(body)
	switch {
	case strings.HasPrefix(body, "- ") || strings.HasPrefix(body, "-\t"):
		v := strings.TrimLeft(body[1:], " \t")
		from := end - len(v)
		if v == "" || (strings.Contains(v, ": ") || strings.HasSuffix(v, ":")) && v[0] != '"' && v[0] != '\'' {
			return listItem{} // a mapping in the list, not a scalar
		}
		if n := len(v); n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n-1] == v[0] {
			return listItem{col: col, from: from + 1, to: end - 1, valid: true}
		}
		return listItem{col: col, from: from, to: end, valid: true}
	case strings.HasPrefix(body, `"`):
		v := strings.TrimSuffix(body, ",")
		if len(v) < 2 || v[len(v)-1] != '"' || strings.Contains(v[1:len(v)-1], `":`) {
			return listItem{}
		}
		return listItem{col: col, json: true, from: col + 1, to: col + len(v) - 1, valid: true}
	}
	return listItem{}
}

// redactListItems redacts the item after a credential flag in a list written one item a line:
// a container's args in YAML ("- --password" then "- X") or JSON.
func redactListItems(lines []string) {
	command, prevArg := "", ""
	prev := listItem{}
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		it := readListItem(l)
		if !it.valid {
			prev = listItem{}
			continue
		}
		arg := l[it.from:it.to]
		switch {
		case !prev.valid || prev.col != it.col || prev.json != it.json:
			command, prevArg = "", "" // the first item of a list
		case attachedSecret(arg, command) > 0:
			lines[i] = l[:it.from+2] + redacted + l[it.to:]
		case SecretFlag(prevArg, command) && argIsValue(arg):
			lines[i] = l[:it.from] + redacted + l[it.to:]
		}
		command = nextCommand(command, prevArg, arg)
		prev, prevArg = it, arg
	}
}

// yamlKey finds a YAML mapping key at the start of a line, after a list item's "- " if any, as
// the regexp ^(\s*(?:-\s+)?)["']?([^\s:"'#][^\s:"']*)["']?\s*:(?:\s+(.*?))?\s*$ would, without
// its backtracking: a file may hold a million lines. col is where the key starts.
func yamlKey(l string) (col int, key, value string, item, ok bool) {
	i := skipYAMLSpace(l, 0)
	if i+1 < len(l) && l[i] == '-' && isYAMLSpace(l[i+1]) {
		i, item = skipYAMLSpace(l, i+1), true
	}
	col = i
	if i < len(l) && (l[i] == '"' || l[i] == '\'') {
		i++
	}
	start := i
	if i >= len(l) || isYAMLSpace(l[i]) || strings.IndexByte(`:"'#`, l[i]) >= 0 {
		return 0, "", "", false, false
	}
	for i < len(l) && !isYAMLSpace(l[i]) && strings.IndexByte(`:"'`, l[i]) < 0 {
		i++
	}
	key = l[start:i]
	if i < len(l) && (l[i] == '"' || l[i] == '\'') {
		i++
	}
	i = skipYAMLSpace(l, i)
	if i >= len(l) || l[i] != ':' {
		return 0, "", "", false, false
	}
	i++
	if i < len(l) && !isYAMLSpace(l[i]) {
		return 0, "", "", false, false
	}
	return col, key, strings.TrimRight(l[skipYAMLSpace(l, i):], " \t\n\f\r"), item, true
}

func isYAMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

func skipYAMLSpace(l string, i int) int {
	for i < len(l) && isYAMLSpace(l[i]) {
		i++
	}
	return i
}

// credentialEnvName is an env var's name that says it holds a credential, as kube redacts them.
var credentialEnvName = regexp.MustCompile(`(?i)(pass(word|wd)?|secret|token|api[-_]?key|private[-_]?key|credential|auth)`)

// yamlLine is what redactYAMLValues needs of a line, read once.
type yamlLine struct {
	key, value string // key "" when the line holds none
	col        int    // the key's column, or the line's indentation without a key
	item       bool   // the line starts a list item ("- name: x")
	blank      bool
}

func readYAMLLine(l string) yamlLine {
	if strings.Contains(l, ":") {
		if col, key, value, item, ok := yamlKey(l); ok {
			return yamlLine{key: key, value: value, col: col, item: item}
		}
	}
	body := strings.TrimLeft(l, " ")
	return yamlLine{col: len(l) - len(body), blank: strings.TrimSpace(body) == ""}
}

// redactYAMLValues redacts the credentials YAML writes on lines other than their name's, which a
// line on its own does not show: an env entry's value ("- name: DB_PASSWORD" with "value: x"
// above or below it) and a value under its key ("token: |", or "password:" and the next line).
func redactYAMLValues(lines []string) {
	parsed := make([]yamlLine, len(lines))
	for i, l := range lines {
		parsed[i] = readYAMLLine(l)
	}
	credentialKey := map[string]bool{}
	for i := 0; i < len(lines); i++ {
		y := parsed[i]
		if y.key == "" {
			continue
		}
		secret, seen := credentialKey[y.key]
		if !seen {
			secret = redactLine(y.key+": x", false) != y.key+": x"
			credentialKey[y.key] = secret
		}
		switch {
		case y.key == "name" && credentialEnvName.MatchString(fold(strings.Trim(y.value, `"'`))):
			siblingKeys(parsed, i, func(j int) {
				if parsed[j].key == "value" {
					redactYAMLValue(lines, parsed, j)
				}
			})
		case secret:
			i = max(i, redactYAMLValue(lines, parsed, i))
		}
	}
}

// redactYAMLValue redacts the value of the key at line i: on its line, or the lines under it
// that continue it (a block scalar, or a plain scalar on the next lines). A mapping or list
// under the key is not a value and stays. It returns the last line it redacted.
func redactYAMLValue(lines []string, parsed []yamlLine, i int) int {
	y := parsed[i]
	v := strings.TrimSpace(y.value)
	block := strings.HasPrefix(v, "|") || strings.HasPrefix(v, ">")
	if v != "" && !block {
		l := strings.TrimRight(lines[i], " \t\n\f\r") // what \s* left out of the value
		lines[i] = l[:len(l)-len(y.value)] + redactedValue(y.value)
		return i
	}
	last := i
	for j := i + 1; j < len(lines); j++ {
		c := parsed[j]
		if c.blank {
			continue
		}
		if c.col <= y.col {
			break
		}
		body := strings.TrimLeft(lines[j], " ")
		if !block && (c.key != "" || strings.HasPrefix(body, "- ") || body == "-") {
			break // a mapping or a list: the key holds no scalar
		}
		lines[j] = lines[j][:len(lines[j])-len(body)] + redacted
		parsed[j] = yamlLine{col: c.col}
		last = j
	}
	return last
}

// redactedValue replaces a value on a key's line, keeping the values that hide nothing.
func redactedValue(value string) string {
	if harmless(value) {
		return value
	}
	return redacted
}

// maxSiblingLines bounds how far siblingKeys looks from a name: an env entry is a few lines,
// and a file of a million "name: TOKEN" lines must not take a million squared steps.
const maxSiblingLines = 64

// siblingKeys calls visit with the lines of the other keys of the mapping whose key is at line
// i: above it up to the list item's "- ", below it until the indentation drops or a new item
// starts.
func siblingKeys(parsed []yamlLine, i int, visit func(int)) {
	col := parsed[i].col
	if !parsed[i].item {
		for j := i - 1; j >= 0 && j >= i-maxSiblingLines; j-- {
			p := &parsed[j]
			if p.blank || p.col > col {
				continue
			}
			if p.col < col {
				break
			}
			visit(j)
			if p.item {
				break
			}
		}
	}
	for j := i + 1; j < len(parsed) && j <= i+maxSiblingLines; j++ {
		p := &parsed[j]
		if p.blank || p.col > col {
			continue
		}
		if p.col < col || p.item {
			break
		}
		visit(j)
	}
}

func digits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}
func isLetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isAlnum(c byte) bool  { return isLetter(c) || c >= '0' && c <= '9' }
func isWordByte(c byte) bool {
	return isAlnum(c) || c == '_'
}
func isBase64(c byte) bool { return isAlnum(c) || c == '/' || c == '+' || c == '=' }
