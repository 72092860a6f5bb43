package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"

	"gopkg.in/yaml.v3"
)

// SchemaID is the schema's identifier; scenario files point editors at the
// committed copy with a yaml-language-server comment.
const SchemaID = "https://github.com/sqsperf/sqsperf/scenarios/scenario.schema.json"

// Patterns of the written units. They accept what package units parses
// (a little less: no "5." or signs), so a file valid under the schema
// decodes.
const (
	durationPattern = `^\s*(0|[0-9]*\.?[0-9]+\s*(ns|us|µs|μs|ms|s|sec|m|min|h)|([0-9]*\.?[0-9]+(ns|us|µs|μs|ms|s|m|h))+)\s*$`
	sizePattern     = `^\s*(0|[0-9]*\.?[0-9]+\s*(B|kB|KB|MB|GB|TB|KiB|MiB|GiB|TiB))\s*$`
	ratePattern     = `^\s*(0|[0-9]*\.?[0-9]+\s*/\s*(ns|us|µs|μs|ms|s|sec|m|min|h))\s*$`
	percentPattern  = `^\s*[0-9]*\.?[0-9]+\s*%\s*$`
	metricPattern   = `^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$`
	exprPattern     = `(<|>|==|!=)`
)

// JSONSchema returns the JSON Schema (draft 2020-12) of scenario files,
// generated from the same field table the decoder uses.
func JSONSchema() []byte {
	root := objectSchema(rootFields)
	root["patternProperties"] = schema{"^x-": schema{"description": "Ignored: a place for YAML anchors to reuse, as in x-io: &io 10ms."}}
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = SchemaID
	root["title"] = "sqsperf scenario"
	root["description"] = "A performance scenario for the sqsperf runner: the service's settings, the SQS backend, the load, faults, profiles, thresholds and an optional matrix. Durations are written 10ms, 2s, 1.5m; sizes 512B, 64KiB, 10MB; rates 50/s, 3000/min; shares 20% or 0.2."
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "&io" readable in descriptions
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		// Only maps, strings, numbers and booleans are marshalled.
		panic("scenario: schema: " + err.Error())
	}
	return buf.Bytes()
}

type schema = map[string]any

func objectSchema(fs []*field) schema {
	props := schema{}
	for _, f := range fs {
		props[f.key] = fieldSchema(f)
	}
	return schema{"type": "object", "additionalProperties": false, "properties": props}
}

func fieldSchema(f *field) schema {
	var s schema
	switch f.kind {
	case kObject:
		s = objectSchema(f.children)
	case kThresholds:
		s = schema{"type": "array", "items": schema{"type": "string", "pattern": exprPattern,
			"description": "METRIC OP VALUE, such as p99(stage.process) < 50ms; OP is one of < <= > >= == !="}}
	case kMatrix:
		props := schema{}
		for _, p := range axisPaths {
			af := fieldsByPath[p]
			props[p] = schema{"type": "array", "minItems": 1, "uniqueItems": true, "items": valueSchema(af),
				"description": "Values of " + p + " to sweep. " + af.doc}
		}
		s = schema{"type": "object", "additionalProperties": false, "properties": props}
	case kMetricList:
		s = schema{"type": "array", "items": schema{"type": "string", "pattern": metricPattern}}
	case kRatioMap:
		s = schema{"type": "object", "propertyNames": schema{"pattern": metricPattern}, "additionalProperties": ratioSchema(&field{lo: 0, hi: 10, bounded: true})}
	case kStringList:
		s = schema{"type": "array", "minItems": 1, "items": schema{"type": "string"}}
	case kStringMap:
		s = schema{"type": "object", "propertyNames": schema{"pattern": `^[A-Za-z_][A-Za-z0-9_]*$`},
			"additionalProperties": schema{"type": []string{"string", "number", "boolean"}}}
	default:
		s = valueSchema(f)
	}
	s["description"] = describeField(f)
	if f.def != "" {
		s["default"] = defaultJSON(f)
	}
	return s
}

func describeField(f *field) string {
	if f.def == "" {
		return f.doc
	}
	return fmt.Sprintf("%s Default: %s.", f.doc, f.def)
}

// valueSchema is the schema of one value of a leaf field.
func valueSchema(f *field) schema {
	switch f.kind {
	case kString:
		s := schema{"type": "string"}
		if len(f.enum) > 0 {
			s["enum"] = f.enum
		}
		if f.pattern != nil {
			s["pattern"] = f.pattern.String()
		}
		return s
	case kInt:
		s := schema{"type": "integer"}
		if f.bounded {
			s["minimum"], s["maximum"] = f.lo, f.hi
		}
		return s
	case kBool:
		return schema{"type": "boolean"}
	case kDuration:
		return quantitySchema(durationPattern)
	case kSize:
		return quantitySchema(sizePattern)
	case kRate:
		return quantitySchema(ratePattern)
	case kRatio:
		return ratioSchema(f)
	case kDist:
		dur := quantitySchema(durationPattern)
		pair := func(a, b string) schema {
			return schema{"type": "object", "additionalProperties": false, "required": []string{a, b},
				"properties": schema{a: dur, b: dur}}
		}
		return schema{"anyOf": []any{
			dur,
			schema{"type": "object", "additionalProperties": false, "minProperties": 1, "maxProperties": 1,
				"properties": schema{
					DistConstant:  dur,
					DistUniform:   pair("min", "max"),
					DistLognormal: pair("median", "p99"),
				}},
		}}
	}
	return schema{}
}

// quantitySchema accepts a written quantity, or a bare 0.
func quantitySchema(pattern string) schema {
	return schema{"anyOf": []any{
		schema{"type": "string", "pattern": pattern},
		schema{"const": 0},
	}}
}

func ratioSchema(f *field) schema {
	num := schema{"type": "number"}
	if f.bounded {
		num["minimum"], num["maximum"] = f.lo, f.hi
	}
	return schema{"anyOf": []any{num, schema{"type": "string", "pattern": percentPattern}}}
}

func defaultJSON(f *field) any {
	var v any
	if err := yaml.Unmarshal([]byte(f.def), &v); err != nil {
		return f.def
	}
	return v
}
