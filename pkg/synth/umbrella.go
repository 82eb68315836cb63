package synth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/invopop/jsonschema"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/pkg/compose"
	"github.com/telepace/platform-charts/pkg/names"
)

// chartDependencies returns Chart.yaml's dependencies list: each pinned,
// aliased where the alias differs, and behind <key>.enabled.
func chartDependencies(plan compose.Plan) string {
	if len(plan.Dependencies) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("dependencies:\n")
	for _, d := range plan.Dependencies {
		fmt.Fprintf(&b, "  - name: %s\n    version: %q\n    repository: %q\n", d.Name, d.Version, d.Repository)
		if d.Alias != "" && d.Alias != d.Name {
			fmt.Fprintf(&b, "    alias: %s\n", d.Alias)
		}
		fmt.Fprintf(&b, "    condition: %s.enabled\n", d.Key())
	}
	return b.String()
}

// umbrellaValues returns the values document of an environment with
// dependencies: each dependency's Values under its key, with enabled: true.
func umbrellaValues(plan compose.Plan) ([]byte, error) {
	doc := map[string]any{}
	for _, d := range plan.Dependencies {
		section := map[string]any{}
		if d.Values != nil {
			raw, err := json.Marshal(d.Values)
			if err != nil {
				return nil, fmt.Errorf("dependencies[%s].values: %w", d.Key(), err)
			}
			if err := json.Unmarshal(raw, &section); err != nil {
				return nil, fmt.Errorf("dependencies[%s].values: not an object: %w", d.Key(), err)
			}
		}
		section["enabled"] = true
		doc[d.Key()] = section
	}
	return yaml.Marshal(doc)
}

// pinValue makes the schema s of values admit only the value values hold
// at the dotted path: a const, so an override of a name the services are
// wired to is refused at install.
func pinValue(s *jsonschema.Schema, values any, path string) error {
	v, ok := environments.ValueAt(values, path)
	if !ok {
		return errors.New("not a key of the values")
	}
	for _, k := range strings.Split(path, ".") {
		if s.Properties == nil {
			return errors.New("not a key of the schema")
		}
		if s, ok = s.Properties.Get(k); !ok {
			return errors.New("not a key of the schema")
		}
	}
	s.Const = v
	return nil
}

// valuesSchema returns an environment chart's values.schema.json: every
// top-level key is a dependency's, typed after its Values' Go type, with
// enabled a boolean. The top level admits nothing else (but Helm's
// global), so a misspelt dependency key fails the install, and a chart
// without dependencies, whose templates read no values, refuses every
// value instead of silently ignoring it. Inside a dependency's section, keys the Go type does not
// name are admitted: Helm validates the values after merging each
// subchart's own defaults in, and those are the subchart's to check.
func valuesSchema(plan compose.Plan) ([]byte, error) {
	env := plan.Env
	r := &jsonschema.Reflector{DoNotReference: true, AllowAdditionalProperties: true, RequiredFromJSONSchemaTags: true}
	props := jsonschema.NewProperties()
	props.Set("global", &jsonschema.Schema{Type: "object", Description: "Helm's values shared with every subchart."})
	for _, d := range plan.Dependencies {
		var s *jsonschema.Schema
		if d.Values != nil {
			s = r.ReflectFromType(reflect.TypeOf(d.Values))
			s.Version, s.ID = "", ""
		} else {
			s = &jsonschema.Schema{Type: "object"}
		}
		if s.Properties == nil {
			s.Properties = jsonschema.NewProperties()
		}
		for _, path := range d.Wiring {
			if err := pinValue(s, d.Values, path); err != nil {
				return nil, fmt.Errorf("%s.wiring[%s]: %w", d.Key(), path, err)
			}
		}
		s.Properties.Set("enabled", &jsonschema.Schema{Type: "boolean", Description: "Install " + d.Name + " " + d.Version + "."})
		s.Description = fmt.Sprintf("%s %s from %s: %s", d.Name, d.Version, d.Repository, d.Why)
		props.Set(d.Key(), s)
	}
	root := &jsonschema.Schema{
		Version:              "https://json-schema.org/draft/2020-12/schema",
		Title:                names.Release(env.Name) + " values",
		Type:                 "object",
		Properties:           props,
		AdditionalProperties: jsonschema.FalseSchema,
	}
	raw, err := json.Marshal(root)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}
