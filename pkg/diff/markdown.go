package diff

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxFields bounds the fields listed for one object; the rest are counted.
const maxFields = 40

// maxValue bounds a value's length in a table cell.
const maxValue = 120

// Markdown writes the report as a review summary: the breaking changes
// first, then each chart's topology picture when it changed, its added,
// removed and changed objects with the changed fields as paths, then the
// service matrix.
func (r Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Chart changes: %s → %s\n\n", r.Base, r.Head)
	var parts []string
	for _, c := range r.Charts {
		parts = append(parts, c.Env+": "+c.summary())
	}
	switch n := len(r.Breaking); n {
	case 0:
		b.WriteString("No breaking changes. ")
	case 1:
		b.WriteString("**1 breaking change.** ")
	default:
		fmt.Fprintf(&b, "**%d breaking changes.** ", n)
	}
	b.WriteString(strings.Join(parts, " · ") + "\n")

	if len(r.Breaking) > 0 {
		b.WriteString("\n### Breaking\n\n")
		b.WriteString("These make `helm upgrade` or an Argo CD sync fail, or lose data.\n\n")
		b.WriteString("| chart | object | field | why |\n|---|---|---|---|\n")
		for _, x := range r.Breaking {
			obj := "chart"
			if x.Object != (ID{}) {
				obj = code(x.Object.String())
			}
			field := "whole object"
			if x.Field != "" {
				field = code(x.Field)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", x.Env, obj, field, cell(x.Reason))
		}
	}

	for _, c := range r.Charts {
		if c.Empty() {
			continue
		}
		fmt.Fprintf(&b, "\n### %s\n", c.Env)
		switch {
		case c.New:
			b.WriteString("\nA new chart.\n")
		case c.Gone:
			b.WriteString("\nThe chart is removed.\n")
		}
		if t := c.Topology; t != nil {
			fmt.Fprintf(&b, "\n**Topology:** %s\n\n```mermaid\n%s```\n", t.Summary, t.Mermaid)
		}
		if len(c.Chart) > 0 {
			b.WriteString("\n**Chart**\n\n")
			writeFields(&b, c.Chart)
		}
		if len(c.Added) > 0 {
			b.WriteString("\n**Added:** " + c.objectList(c.Added) + "\n")
		}
		if len(c.Removed) > 0 {
			b.WriteString("\n**Removed:** " + c.objectList(c.Removed) + "\n")
		}
		for _, g := range groupChanges(c.Changed) {
			names := make([]string, len(g))
			for i, ch := range g {
				names[i] = code(c.display(ch.Head))
			}
			fmt.Fprintf(&b, "\n**Changed %s** (`%s`)\n\n", strings.Join(names, ", "), g[0].Head.File)
			writeFields(&b, g[0].Fields)
		}
	}

	if len(r.Services) > 0 {
		b.WriteString("\n### Services across environments\n\n")
		b.WriteString("| service | field | " + strings.Join(r.Envs, " | ") + " |\n")
		b.WriteString("|---|---|" + strings.Repeat("---|", len(r.Envs)) + "\n")
		for _, row := range r.Services {
			cells := make([]string, len(row.Cells))
			for i, c := range row.Cells {
				cells[i] = code(c)
				if strings.Contains(c, " → ") {
					cells[i] = "**" + cells[i] + "**"
				}
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(row.Service), row.Field, strings.Join(cells, " | "))
		}
	}
	return b.String()
}

// Empty reports whether nothing changed in any chart.
func (r Report) Empty() bool {
	for _, c := range r.Charts {
		if !c.Empty() {
			return false
		}
	}
	return true
}

func (c ChartDiff) summary() string {
	if c.Empty() {
		return "no changes"
	}
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{len(c.Changed), "changed"}, {len(c.Added), "added"}, {len(c.Removed), "removed"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	if len(c.Chart) > 0 {
		parts = append(parts, "chart settings changed")
	}
	if c.Topology != nil && !c.New {
		parts = append(parts, "topology changed")
	}
	switch {
	case c.New:
		parts = append([]string{"new chart"}, parts...)
	case c.Gone:
		parts = append([]string{"chart removed"}, parts...)
	}
	return strings.Join(parts, ", ")
}

func writeFields(b *strings.Builder, fs []Field) {
	b.WriteString("| field | old | new |\n|---|---|---|\n")
	for i, f := range fs {
		if i == maxFields {
			fmt.Fprintf(b, "| … %d more | | |\n", len(fs)-maxFields)
			break
		}
		old, cur := show(f.Old, f.OldMissing), show(f.New, f.NewMissing)
		if long(old) || long(cur) {
			old, cur = window(old, cur)
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", code(f.Path), codeOr(old, f.OldMissing), codeOr(cur, f.NewMissing))
	}
}

func (c ChartDiff) objectList(objs []Object) string {
	names := make([]string, len(objs))
	for i, o := range objs {
		names[i] = code(c.display(o))
	}
	return strings.Join(names, ", ")
}

// display names an object as a reviewer reads it: "Deployment web", with
// its namespace only when that is not the chart's.
func (c ChartDiff) display(o Object) string {
	id := o.ID()
	if id.Namespace == c.Namespace {
		id.Namespace = ""
	}
	return id.String()
}

// groupChanges gathers the changes of one file that change the same fields
// the same way, such as a version label on every object of a service, so
// that the summary lists them once.
func groupChanges(cs []Change) [][]Change {
	var groups [][]Change
	index := map[string]int{}
	for _, c := range cs {
		key := c.Head.File + "\x00" + fmt.Sprint(c.Fields)
		if i, ok := index[key]; ok {
			groups[i] = append(groups[i], c)
			continue
		}
		index[key] = len(groups)
		groups = append(groups, []Change{c})
	}
	return groups
}

// show writes a value as compact JSON, without HTML escapes.
func show(v any, missing bool) string {
	if missing {
		return ""
	}
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func long(s string) bool { return utf8.RuneCountInString(s) > maxValue }

// window cuts two long values to the part around their first difference,
// so that two values that share a long beginning do not look the same.
func window(a, b string) (string, string) {
	ra, rb := []rune(a), []rune(b)
	first := 0
	for first < len(ra) && first < len(rb) && ra[first] == rb[first] {
		first++
	}
	start := max(first-maxValue/3, 0)
	cut := func(r []rune) string {
		if len(r) <= maxValue {
			return string(r)
		}
		from := min(start, len(r))
		to := min(from+maxValue, len(r))
		s := string(r[from:to])
		if from > 0 {
			s = "…" + s
		}
		if to < len(r) {
			s += "…"
		}
		return s
	}
	return cut(ra), cut(rb)
}

// codeOr writes s as a code span, or marks an absent value.
func codeOr(s string, missing bool) string {
	if missing {
		return "_(absent)_"
	}
	return code(s)
}

// code writes s as a Markdown code span that is safe in a table cell: the
// fence is one backtick longer than the longest run of backticks in s.
func code(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", " ")
	run, longest := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	if longest == 0 {
		return "`" + s + "`"
	}
	fence := strings.Repeat("`", longest+1)
	return fence + " " + s + " " + fence
}

// cell makes s safe in a table cell.
func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}
