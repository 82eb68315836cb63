package diff

import (
	"cmp"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	gocmp "github.com/google/go-cmp/cmp"
)

// Report is the comparison of two sets of charts.
type Report struct {
	// Base and Head say what was compared, such as "main" and "working tree".
	Base, Head string
	// Charts holds one entry per chart on either side, by chart name order.
	Charts []ChartDiff
	// Breaking lists the changes that make helm upgrade or an Argo CD sync
	// fail, or that lose data, across every chart.
	Breaking []Breaking
	// Services is the cross-environment matrix of each service's image,
	// scale, resources and routes.
	Services []ServiceRow
	// Envs are the environments of the matrix's columns, in order.
	Envs []string
}

// ChartDiff is what changed in one chart.
type ChartDiff struct {
	Env string
	// Namespace is the chart's namespace (the head's, or the base's for a
	// removed chart).
	Namespace string
	// Added and Removed are objects only the head or only the base has.
	Added, Removed []Object
	// Changed are objects on both sides whose bodies differ.
	Changed []Change
	// Chart holds the chart-level changes: namespace, dependencies and
	// values.
	Chart []Field
	// New and Gone report a chart that only one side has.
	New, Gone bool
	// Topology is the picture of the chart's topology when it changed;
	// Compare leaves it nil, the caller draws it (cmd/synth, from the
	// diagrams of the charts' READMEs).
	Topology *TopologyPicture
}

// TopologyPicture is the picture of a change of a chart's topology: who
// is routed, who may talk to whom, who reads which Secret.
type TopologyPicture struct {
	// Summary says what changed, in a sentence or two.
	Summary string
	// Mermaid is the flowchart.
	Mermaid string
}

// Empty reports whether the chart is the same on both sides.
func (c ChartDiff) Empty() bool {
	return len(c.Added)+len(c.Removed)+len(c.Changed)+len(c.Chart) == 0 && !c.New && !c.Gone && c.Topology == nil
}

// Change is one object whose body differs between the sides.
type Change struct {
	Base, Head Object
	Fields     []Field
}

// Field is one changed field: its path, and its value on each side. A
// value absent on one side is Missing there.
type Field struct {
	Path     string
	Old, New any
	// OldMissing and NewMissing mark a field only one side has.
	OldMissing, NewMissing bool
}

// Compare compares the charts of the base with those of the head. Charts
// are matched by Env and reported in the head's order, then the base's, objects by ID; an object whose namespace alone
// differs is a change of metadata.namespace, not a removal and an addition.
func Compare(base, head []Chart) Report {
	byEnv := func(cs []Chart) map[string]Chart {
		m := map[string]Chart{}
		for _, c := range cs {
			m[c.Env] = c
		}
		return m
	}
	b, h := byEnv(base), byEnv(head)
	var r Report
	var order []string
	for _, c := range append(slices.Clone(head), base...) {
		if !slices.Contains(order, c.Env) {
			order = append(order, c.Env)
		}
	}
	for _, env := range order {
		bc, inBase := b[env]
		hc, inHead := h[env]
		cd := compareChart(bc, hc)
		cd.Env = env
		cd.Namespace = cmp.Or(hc.Namespace, bc.Namespace)
		cd.New, cd.Gone = !inBase, !inHead
		r.Charts = append(r.Charts, cd)
		r.Breaking = append(r.Breaking, breaking(env, bc, hc, cd)...)
	}
	r.Envs, r.Services = matrix(base, head)
	return r
}

func mergeKeys[V any](a, b map[string]V) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// movable is an object's identity without its namespace.
type movable struct{ Group, Kind, Name string }

func compareChart(base, head Chart) ChartDiff {
	var cd ChartDiff
	if base.Namespace != head.Namespace && base.Env != "" && head.Env != "" {
		cd.Chart = append(cd.Chart, Field{Path: "namespace", Old: base.Namespace, New: head.Namespace})
	}
	if base.Env != "" && head.Env != "" {
		// A chart on one side only is new or gone as a whole.
		cd.Chart = append(cd.Chart, mapFields("dependencies.", toAny(base.Dependencies), toAny(head.Dependencies))...)
		cd.Chart = append(cd.Chart, prefixed("values", fields(base.Values, head.Values))...)
	}

	inBase := map[ID]Object{}
	for _, o := range base.Objects {
		inBase[o.ID()] = o
	}
	inHead := map[ID]Object{}
	for _, o := range head.Objects {
		inHead[o.ID()] = o
	}
	// An object that only moved namespace is matched by group, kind and
	// name, when that pairing is unambiguous.
	unmatched := func(from, other map[ID]Object) map[movable][]Object {
		m := map[movable][]Object{}
		for id, o := range from {
			if _, ok := other[id]; !ok {
				k := movable{id.Group, id.Kind, id.Name}
				m[k] = append(m[k], o)
			}
		}
		return m
	}
	goneByName, newByName := unmatched(inBase, inHead), unmatched(inHead, inBase)
	moved := map[ID]Object{} // base ID -> head object
	for k, olds := range goneByName {
		if news := newByName[k]; len(olds) == 1 && len(news) == 1 {
			moved[olds[0].ID()] = news[0]
		}
	}
	movedTo := map[ID]bool{}
	for _, o := range moved {
		movedTo[o.ID()] = true
	}

	for _, o := range base.Objects {
		if h, ok := inHead[o.ID()]; ok {
			if fs := fields(o.Body, h.Body); len(fs) > 0 {
				cd.Changed = append(cd.Changed, Change{Base: o, Head: h, Fields: fs})
			}
			continue
		}
		if h, ok := moved[o.ID()]; ok {
			fs := fields(o.Body, h.Body)
			if !slices.ContainsFunc(fs, func(f Field) bool { return f.Path == "metadata.namespace" }) {
				// The namespace came from the chart, not the body.
				fs = append([]Field{{Path: "metadata.namespace", Old: o.Namespace, New: h.Namespace}}, fs...)
			}
			cd.Changed = append(cd.Changed, Change{Base: o, Head: h, Fields: fs})
			continue
		}
		cd.Removed = append(cd.Removed, o)
	}
	for _, o := range head.Objects {
		if _, ok := inBase[o.ID()]; !ok && !movedTo[o.ID()] {
			cd.Added = append(cd.Added, o)
		}
	}
	return cd
}

func toAny(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// mapFields compares two flat maps key by key.
func mapFields(prefix string, a, b map[string]any) []Field {
	var out []Field
	for _, k := range slices.Sorted(maps.Keys(mergeKeys(a, b))) {
		av, aok := a[k]
		bv, bok := b[k]
		if aok && bok && reflect.DeepEqual(av, bv) {
			continue
		}
		out = append(out, Field{Path: prefix + k, Old: av, New: bv, OldMissing: !aok, NewMissing: !bok})
	}
	return out
}

func prefixed(prefix string, fs []Field) []Field {
	for i := range fs {
		if fs[i].Path == "" {
			fs[i].Path = prefix
			continue
		}
		sep := "."
		if strings.HasPrefix(fs[i].Path, "[") {
			sep = ""
		}
		fs[i].Path = prefix + sep + fs[i].Path
	}
	return fs
}

// fields returns the changed leaves between two JSON-like values, found by
// go-cmp: a path per difference, with the values on each side.
func fields(a, b map[string]any) []Field {
	var r reporter
	gocmp.Equal(a, b, gocmp.Reporter(&r))
	return r.fields
}

// reporter collects go-cmp's differences as Fields.
type reporter struct {
	path   gocmp.Path
	fields []Field
}

func (r *reporter) PushStep(s gocmp.PathStep) { r.path = append(r.path, s) }

func (r *reporter) PopStep() { r.path = r.path[:len(r.path)-1] }

func (r *reporter) Report(res gocmp.Result) {
	if res.Equal() {
		return
	}
	vx, vy := r.path.Last().Values()
	f := Field{Path: formatPath(r.path)}
	f.Old, f.OldMissing = value(vx)
	f.New, f.NewMissing = value(vy)
	r.fields = append(r.fields, f)
}

// value unwraps a reflected JSON value; missing reports an absent one.
func value(v reflect.Value) (_ any, missing bool) {
	for v.IsValid() && v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil, false
		}
		v = v.Elem()
	}
	if !v.IsValid() {
		return nil, true
	}
	return v.Interface(), false
}

// formatPath writes a go-cmp path as a reviewer reads it:
// spec.template.spec.containers[name=web].image. A list element that has a
// name is shown by its name, otherwise by its index.
func formatPath(p gocmp.Path) string {
	var b strings.Builder
	for _, s := range p {
		switch s := s.(type) {
		case gocmp.MapIndex:
			k := fmt.Sprint(s.Key().Interface())
			if k == "" || strings.ContainsAny(k, ".[]\" ") {
				b.WriteString("[" + strconv.Quote(k) + "]")
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(k)
		case gocmp.SliceIndex:
			b.WriteString("[" + elementName(s) + "]")
		}
	}
	return b.String()
}

// elementName names a list element: name=<name> when the element is an
// object with a name on either side, else its index on the head side (or
// the base side, for a removed element).
func elementName(s gocmp.SliceIndex) string {
	vx, vy := s.Values()
	for _, v := range []reflect.Value{vy, vx} {
		if e, missing := value(v); !missing {
			if m, ok := e.(map[string]any); ok {
				if n, ok := m["name"].(string); ok && n != "" {
					return "name=" + n
				}
			}
		}
	}
	ix, iy := s.SplitKeys()
	if iy < 0 {
		return strconv.Itoa(ix)
	}
	return strconv.Itoa(iy)
}
