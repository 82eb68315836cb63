package queries_test

import (
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telepace/platform-charts/pkg/queries"
)

// TestEveryQueryParses parses every query with Prometheus's PromQL parser.
func TestEveryQueryParses(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	target := queries.Target{Namespace: "telepace", Service: "feedback-collection-api"}
	require.NotEmpty(t, queries.Names())
	for _, name := range queries.Names() {
		expr, err := queries.Expr(name, target)
		require.NoError(t, err, name)
		_, err = p.ParseExpr(expr)
		assert.NoError(t, err, "%s: %s", name, expr)
	}
}

func TestExprErrors(t *testing.T) {
	_, err := queries.Expr("nope", queries.Target{Namespace: "telepace", Service: "web"})
	assert.ErrorContains(t, err, `unknown query "nope"; known queries: cpu_limits, `)
	_, err = queries.Expr(queries.RequestRate, queries.Target{Namespace: "telepace", Service: `web"} or vector(1) #`})
	assert.EqualError(t, err, `query request_rate: "web\"} or vector(1) #" is not a DNS label`)
}

// TestKongRoutePattern: the pattern matches the service's HTTPRoutes,
// numbered or not, and no other service whose name starts alike.
func TestKongRoutePattern(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	expr, err := p.ParseExpr(`x{route=~"` + queries.KongRoutePattern(queries.Target{Namespace: "telepace", Service: "web"}) + `"}`)
	require.NoError(t, err)
	m := parser.ExtractSelectors(expr)[0][0]
	for _, r := range []string{"httproute.telepace.web.0.0", "httproute.telepace.web-2.1.0"} {
		assert.True(t, m.Matches(r), r)
	}
	for _, r := range []string{"httproute.telepace.webx.0.0", "httproute.telepace-dev.web.0.0", "httproute.telepace.web-x.0.0"} {
		assert.False(t, m.Matches(r), r)
	}
}
