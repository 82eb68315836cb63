package constructs

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExprShapeOf: an expression's names come out only where they are a
// label matcher's whole value; a name anywhere else, or one that is not a
// DNS label, leaves the expression without a shape.
func TestExprShapeOf(t *testing.T) {
	tests := []struct {
		name  string
		expr  string
		names []string
		shape string
		ok    bool
	}{
		{"equal", `up{service="web"} == 0`, []string{"web"}, `up{service="` + "\x000\x00" + `"} == 0`, true},
		{"every matcher operator", `a{s="web",t!="web",u=~"web",v!~"web"}`, []string{"web"},
			`a{s="` + "\x000\x00" + `",t!="` + "\x000\x00" + `",u=~"` + "\x000\x00" + `",v!~"` + "\x000\x00" + `"}`, true},
		{"two names", `a{namespace="telepace",service="web"}`, []string{"web", "telepace"},
			`a{namespace="` + "\x001\x00" + `",service="` + "\x000\x00" + `"}`, true},
		{"empty names are skipped", `a{service="web"}`, []string{"", "web"}, `a{service="` + "\x001\x00" + `"}`, true},
		{"no names", `up == 0`, nil, `up == 0`, true},
		{"a label name", `sum by (web) (a{service="web"})`, []string{"web"}, "", false},
		{"part of a value", `a{service="web-2"}`, []string{"web"}, "", false},
		{"a metric name", `web_requests_total{service="web"}`, []string{"web"}, "", false},
		{"a string argument", `label_replace(a, "web", "$1", "s", "(.*)")`, []string{"web"}, "", false},
		{"not a DNS label", `a{service="Web"}`, []string{"Web"}, "", false},
		{"a digit, as the holes hold", `a{service="0"}`, []string{"0"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shape, ok := exprShapeOf(tt.expr, tt.names)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.shape, shape)
		})
	}
}

// TestExprParsesByShape: expressions of one shape share the parser's
// clean verdict; a name that changes the parse (a label name with a
// hyphen) is parsed for itself, and a shape that fails reports each
// expression's own error.
func TestExprParsesByShape(t *testing.T) {
	byName := func(name string) string { return `sum by (` + name + `) (up{service="` + name + `"})` }
	assert.NoError(t, exprParses(byName("web"), []string{"web"}))
	_, want := promQL.ParseExpr(byName("my-svc"))
	assert.Error(t, want)
	assert.Equal(t, want, exprParses(byName("my-svc"), []string{"my-svc"}))

	broken := func(name string) string { return `rate(up{service="` + name + `"}[5m]` }
	for _, name := range []string{"shape-x", "shape-yy"} {
		_, want := promQL.ParseExpr(broken(name))
		assert.Error(t, want)
		assert.Equal(t, want, exprParses(broken(name), []string{name}))
	}
	v, ok := exprShapes.Load(`rate(up{service="` + "\x000\x00" + `"}[5m]`)
	require.True(t, ok, "the broken shape is remembered")
	assert.Error(t, v.(*exprShape).err)

	assert.NoError(t, exprParses(`up{service="svc-a"} == 0`, []string{"svc-a"}))
	v, ok = exprShapes.Load(`up{service="` + "\x000\x00" + `"} == 0`)
	require.True(t, ok, "a clean shape is remembered")
	assert.NoError(t, v.(*exprShape).err)
}
