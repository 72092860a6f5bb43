package workflowcheck

import (
	"fmt"
	"strings"
)

// Commands splits a run: script into simple commands, each a list of
// words. It understands what workflow steps use: quotes, backslash
// escapes and line continuations, comments, and the separators && || ; |
// & and newlines. It is not a shell: expansions stay as written, and a
// script that needs more (heredocs, subshells) is reported as an error so
// the check never passes by not understanding a step.
func Commands(script string) ([][]string, error) {
	var (
		cmds    [][]string
		words   []string
		word    strings.Builder
		inWord  bool
		quote   rune
		atStart = true // at the start of a word, where '#' begins a comment
	)
	endWord := func() {
		if inWord {
			words = append(words, word.String())
			word.Reset()
			inWord = false
		}
		atStart = true
	}
	endCmd := func() {
		endWord()
		if len(words) > 0 {
			cmds = append(cmds, words)
			words = nil
		}
	}
	rs := []rune(script)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if quote != 0 {
			switch {
			case r == quote:
				quote = 0
			case r == '\\' && quote == '"' && i+1 < len(rs):
				i++
				word.WriteRune(rs[i])
			default:
				word.WriteRune(r)
			}
			continue
		}
		switch {
		case r == '\'' || r == '"':
			quote, inWord, atStart = r, true, false
		case r == '\\' && i+1 < len(rs):
			i++
			if rs[i] != '\n' { // a continuation joins lines
				word.WriteRune(rs[i])
				inWord, atStart = true, false
			}
		case r == '#' && atStart:
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
			endCmd()
		case r == ' ' || r == '\t':
			endWord()
		case r == '\n' || r == ';' || r == '|' || r == '&':
			endCmd()
		case r == '(' || r == ')' || r == '<' || r == '>' || r == '`':
			return nil, fmt.Errorf("unsupported shell syntax %q; keep run steps to simple commands (or move the logic into a script in the repository)", r)
		default:
			word.WriteRune(r)
			inWord, atStart = true, false
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	endCmd()
	return cmds, nil
}
