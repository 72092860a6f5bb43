package threshold

import (
	"fmt"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tNumber
	tOp
	tLParen
	tRParen
	tComma
)

type token struct {
	kind tokKind
	text string
	col  int // 1-based, in runes
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "the end of the threshold"
	case tIdent:
		return "name " + t.text
	case tNumber:
		return "value " + t.text
	}
	return fmt.Sprintf("%q", t.text)
}

// maxExprLen bounds the work done on a single expression; a threshold is
// one short line.
const maxExprLen = 1000

func lex(s string) ([]token, *Error) {
	if len(s) > maxExprLen {
		return nil, errAt(0, "threshold is %d characters long; keep it under %d", len(s), maxExprLen)
	}
	if !utf8.ValidString(s) {
		return nil, errAt(0, "threshold is not valid UTF-8 text")
	}
	var toks []token
	col := func(i int) int { return utf8.RuneCountInString(s[:i]) + 1 }
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(':
			toks = append(toks, token{tLParen, "(", col(i)})
			i++
		case c == ')':
			toks = append(toks, token{tRParen, ")", col(i)})
			i++
		case c == ',':
			toks = append(toks, token{tComma, ",", col(i)})
			i++
		case c == '<' || c == '>' || c == '=' || c == '!':
			start := i
			i++
			if i < len(s) && s[i] == '=' {
				i++
			}
			op := s[start:i]
			switch op {
			case "=":
				return nil, errAt(col(start), "'=' is not a comparison: write == for equality")
			case "!":
				return nil, errAt(col(start), "'!' is not a comparison: write != for inequality")
			}
			toks = append(toks, token{tOp, op, col(start)})
		case isIdentStart(c):
			start := i
			for i < len(s) && isIdentPart(s[i]) {
				i++
			}
			toks = append(toks, token{tIdent, s[start:i], col(start)})
		case isDigit(c) || ((c == '-' || c == '+' || c == '.') && i+1 < len(s) && (isDigit(s[i+1]) || s[i+1] == '.')):
			// The unit sticks to the number (50ms, 40/s, 5%, 1.5MiB); the whole
			// run is one literal so that a malformed one is reported whole.
			start := i
			i++
			for i < len(s) {
				r, size := utf8.DecodeRuneInString(s[i:])
				if !(isIdentPart(s[i]) || s[i] == '%' || s[i] == '/' || r == 'µ' || r == 'μ') {
					break
				}
				i += size
			}
			toks = append(toks, token{tNumber, s[start:i], col(start)})
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			hint := ""
			if r == '-' && len(toks) > 0 && toks[len(toks)-1].kind == tIdent {
				hint = ": metric names use dots and underscores, not dashes"
			}
			return nil, errAt(col(i), "unexpected character %q%s", r, hint)
		}
	}
	toks = append(toks, token{tEOF, "", col(len(s))})
	return toks, nil
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isLetter(c byte) bool     { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isIdentStart(c byte) bool { return isLetter(c) || c == '_' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) || c == '.' }
