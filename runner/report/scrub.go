package report

import (
	"fmt"
	"math"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/sqsperf/sqsperf/runner/result"
)

const redacted = "[REDACTED]"

// Scrub removes anything that looks like a credential from s: AWS access
// key ids, values of secret-looking key=value pairs (aws_secret_access_key,
// LOCALSTACK_AUTH_TOKEN=..., "password": "..."), bearer tokens, AWS secret
// keys standing alone, and the value of every environment variable of this
// process whose name says it is secret (*SECRET*, *TOKEN*, *PASSWORD*, ...).
// Reports are uploaded as CI artifacts and pasted into pull requests, so
// an error message that echoes a credential must not carry it there.
func Scrub(s string) string {
	return newScrubber(os.Environ()).scrub(s)
}

var (
	// AWS access key ids: a four-letter kind prefix and 16 more characters.
	accessKeyID = regexp.MustCompile(`\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b`)
	// name=value, name: value, "name": "value" where the name says secret.
	secretPair = regexp.MustCompile(`(?i)([A-Za-z0-9_.-]*(?:secret|token|password|passwd|credential|signature|api[_-]?key|access[_-]?key|auth)[A-Za-z0-9_.-]*)("?\s*[:=]\s*"?)([^\s"'&,;}\[\]]+)`)
	bearer     = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}`)
	// A bare AWS secret access key: 40 base64 characters. Checked for mixed
	// case and digits below so that git hashes and words are left alone.
	bareSecret = regexp.MustCompile(`(^|[^A-Za-z0-9/+=])([A-Za-z0-9/+]{40})($|[^A-Za-z0-9/+=])`)
)

// secretEnvName reports whether an environment variable's name says its
// value is a credential.
func secretEnvName(name string) bool {
	up := strings.ToUpper(name)
	for _, w := range []string{"SECRET", "TOKEN", "PASSWORD", "PASSWD", "CREDENTIAL", "PRIVATE_KEY", "API_KEY", "ACCESS_KEY"} {
		if strings.Contains(up, w) {
			return true
		}
	}
	return false
}

// minSecretLen keeps short values ("1", "true") of secret-named variables
// from being redacted everywhere they happen to occur.
const minSecretLen = 6

type scrubber struct {
	envValues []string // longest first, so a value containing another goes first
}

func newScrubber(environ []string) *scrubber {
	sc := &scrubber{}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !secretEnvName(name) || len(value) < minSecretLen {
			continue
		}
		sc.envValues = append(sc.envValues, value)
	}
	sort.Slice(sc.envValues, func(i, j int) bool { return len(sc.envValues[i]) > len(sc.envValues[j]) })
	return sc
}

func (sc *scrubber) scrub(s string) string {
	if s == "" {
		return s
	}
	for _, v := range sc.envValues {
		s = strings.ReplaceAll(s, v, redacted)
	}
	s = accessKeyID.ReplaceAllString(s, redacted)
	// Before the pairs: "Authorization: Bearer x" would otherwise redact
	// only the word Bearer and keep the token.
	s = bearer.ReplaceAllString(s, "$1 "+redacted)
	s = secretPair.ReplaceAllStringFunc(s, func(m string) string {
		sub := secretPair.FindStringSubmatch(m)
		return sub[1] + sub[2] + redacted
	})
	s = bareSecret.ReplaceAllStringFunc(s, func(m string) string {
		sub := bareSecret.FindStringSubmatch(m)
		if !looksRandom(sub[2]) {
			return m
		}
		return sub[1] + redacted + sub[3]
	})
	return s
}

// looksRandom is true for a mix of upper case, lower case and digits, as
// generated keys are; hex hashes and paths made of words rarely are all three.
func looksRandom(s string) bool {
	var upper, lower, digit bool
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		}
	}
	return upper && lower && digit
}

// sanitize returns a deep copy of s fit for writing: every string scrubbed
// of credentials, and every non-finite float (which JSON cannot carry)
// dropped from metric maps or zeroed elsewhere, with a note in the run's
// errors so that a NaN does not silently vanish.
func sanitize(s *result.Scenario, sc *scrubber) *result.Scenario {
	out := deepClean(reflect.ValueOf(s), sc).Interface().(*result.Scenario)
	for ci := range out.Cases {
		for ri := range out.Cases[ci].Runs {
			run := &out.Cases[ci].Runs[ri]
			var dropped []string
			for k, v := range run.Metrics {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					dropped = append(dropped, k)
					delete(run.Metrics, k)
				}
			}
			sort.Strings(dropped)
			for _, k := range dropped {
				run.Errors = append(run.Errors, fmt.Sprintf("metric %s was not a finite number and is left out of the report", k))
			}
		}
	}
	return out
}

var timeType = reflect.TypeOf(time.Time{})

// deepClean copies v, scrubbing strings and replacing non-finite floats
// outside maps with 0 (maps keep them for sanitize to report). It walks
// the result types generically so that a field added to the data model
// later is scrubbed without anyone remembering to list it here.
func deepClean(v reflect.Value, sc *scrubber) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(v.Elem().Type())
		p.Elem().Set(deepClean(v.Elem(), sc))
		return p
	case reflect.Struct:
		if v.Type() == timeType {
			return v
		}
		c := reflect.New(v.Type()).Elem()
		for i := 0; i < v.NumField(); i++ {
			if c.Field(i).CanSet() {
				c.Field(i).Set(deepClean(v.Field(i), sc))
			}
		}
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			c.Index(i).Set(deepClean(v.Index(i), sc))
		}
		return c
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		iter := v.MapRange()
		for iter.Next() {
			val := iter.Value()
			if val.Kind() != reflect.Float64 && val.Kind() != reflect.Float32 {
				val = deepClean(val, sc)
			}
			c.SetMapIndex(deepClean(iter.Key(), sc), val)
		}
		return c
	case reflect.String:
		c := reflect.New(v.Type()).Elem()
		c.SetString(sc.scrub(v.String()))
		return c
	case reflect.Float64, reflect.Float32:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return reflect.Zero(v.Type())
		}
	}
	return v
}
