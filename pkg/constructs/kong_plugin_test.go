package constructs_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/constructs/constructstest"
)

func TestKongPluginValidation(t *testing.T) {
	tests := []struct {
		name   string
		config pc.PluginConfig
		want   []string
	}{
		{"no config", nil, []string{`[test/p] config: is required`}},
		{"no period", pc.RateLimiting{}, []string{`[test/p] config.second: set a limit for at least one of second, minute, hour or day`}},
		{"longer period allows fewer", pc.RateLimiting{Minute: 100, Hour: 50}, []string{`[test/p] config.hour: 50 is below the limit per minute (100); a longer period cannot allow fewer requests`}},
		{"limit by header without a name", pc.RateLimiting{Minute: 1, LimitBy: "header"}, []string{`[test/p] config.headerName: is required when limitBy is header`}},
		{"unknown size unit", pc.RequestSizeLimiting{AllowedPayloadSize: 1, SizeUnit: "gigabytes"}, []string{`[test/p] config.sizeUnit: "gigabytes" is not one of bytes, kilobytes, megabytes`}},
		{"zero payload", pc.RequestSizeLimiting{}, []string{`[test/p] config.allowedPayloadSize: 0 must be positive`}},
		{"bad key name", pc.KeyAuth{KeyNames: []string{"api key"}}, []string{`[test/p] config.keyNames[0]: "api key" may hold only letters, digits, '_' and '-'`}},
		{"jwt expiry without exp", pc.JWT{ClaimsToVerify: []string{"nbf"}, MaximumExpiration: 60}, []string{`[test/p] config.maximumExpiration: needs "exp" in claimsToVerify`}},
		{"jwt unknown claim", pc.JWT{ClaimsToVerify: []string{"iat"}}, []string{`[test/p] config.claimsToVerify[0]: "iat" is not one of exp, nbf`}},
		{"ip restriction without lists", pc.IPRestriction{}, []string{`[test/p] config.allow: set allow, deny, or both`}},
		{"bad CIDR", pc.IPRestriction{Deny: []string{"10.0.0.0/33"}}, []string{`[test/p] config.deny[0]: "10.0.0.0/33" is not an IP address or CIDR range`}},
		{"termination with message and body", pc.RequestTermination{Message: "m", Body: "b"}, []string{
			`[test/p] config.message: set message, or body with contentType, not both`,
			`[test/p] config.contentType: body and contentType go together`,
		}},
		{"cors any origin with credentials", pc.CORS{Origins: []string{"*"}, Credentials: true}, []string{`[test/p] config.origins[0]: "*" cannot be combined with credentials; browsers refuse it`}},
		{"cors origin with a path", pc.CORS{Origins: []string{"https://telepace.cc/app"}}, []string{`[test/p] config.origins[0]: "https://telepace.cc/app" is not an origin: no path, query or credentials`}},
		{"cors origin that Kong reads as a pattern", pc.CORS{Origins: []string{"https://.*", "https://telepace.cc|.*"}, Credentials: true}, []string{
			`[test/p] config.origins[0]: "https://.*" has a host that is not a DNS name; Kong would read it as a regular expression`,
			`[test/p] config.origins[1]: "https://telepace.cc|.*" is not an origin: scheme://host[:port]`,
		}},
		{"rate limit in redis or by path", pc.RateLimiting{Minute: 1, Policy: "redis", LimitBy: "path"}, []string{
			`[test/p] config.limitBy: "path" is not one of consumer, credential, ip, service, header`,
			`[test/p] config.policy: "redis" needs connection settings this config does not carry; use "local"`,
		}},
		{"header names with spaces", pc.JWT{HeaderNames: []string{"bad header"}}, []string{`[test/p] config.headerNames[0]: "bad header" is not a header name`}},
		{"correlation id over Host", pc.CorrelationID{HeaderName: "Host"}, []string{`[test/p] config.headerName: "Host" is a standard HTTP header; the ID would overwrite it`}},
		{"ip restriction answering 200", pc.IPRestriction{Allow: []string{"10.0.0.1"}, Status: 200}, []string{`[test/p] config.status: 200 is not an error status (400-599); a refused client must not look served`}},
		{"correlation id generator", pc.CorrelationID{Generator: "random"}, []string{`[test/p] config.generator: "random" is not one of uuid, uuid#counter, tracker`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := constructstest.Synth(func(chart constructs.Construct) {
				pc.NewKongPlugin(chart, "p", pc.KongPluginProps{Config: tt.config})
			})
			var verr *pc.ValidationError
			require.ErrorAs(t, err, &verr)
			assert.Equal(t, tt.want, verr.Problems)
		})
	}
}

// TestKongPluginDefaults: the documented defaults reach the config.
func TestKongPluginDefaults(t *testing.T) {
	objs := constructstest.MustSynth(t, func(chart constructs.Construct) {
		pc.NewKongPlugin(chart, "rl", pc.KongPluginProps{Config: pc.RateLimiting{Minute: 10}})
		pc.NewKongPlugin(chart, "id", pc.KongPluginProps{Config: pc.CorrelationID{}})
	})
	assert.Equal(t, map[string]any{"minute": float64(10), "limit_by": "ip", "policy": "local", "fault_tolerant": false, "hide_client_headers": false},
		constructstest.Find(objs, "KongPlugin", "rl")["config"])
	assert.Equal(t, "rate-limiting", constructstest.Find(objs, "KongPlugin", "rl")["plugin"])
	assert.Equal(t, map[string]any{"header_name": "X-Request-ID", "generator": "uuid#counter", "echo_downstream": false},
		constructstest.Find(objs, "KongPlugin", "id")["config"])
}

// TestEveryPluginConfigHasAnExample: each type of kong_plugin_config.go
// with a PluginName method, found in the source, has an example in
// PluginConfigExamples, so the CRD test covers it; and each example is
// valid.
func TestEveryPluginConfigHasAnExample(t *testing.T) {
	file, err := parser.ParseFile(token.NewFileSet(), "kong_plugin_config.go", nil, 0)
	require.NoError(t, err)
	var declared []string
	for _, d := range file.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "PluginName" && fn.Recv != nil {
			if id, ok := fn.Recv.List[0].Type.(*ast.Ident); ok {
				declared = append(declared, id.Name)
			}
		}
	}
	require.NotEmpty(t, declared)
	var examples []string
	for _, c := range pc.PluginConfigExamples() {
		examples = append(examples, strings.TrimPrefix(fmt.Sprintf("%T", c), "constructs."))
	}
	for _, name := range declared {
		assert.Contains(t, examples, name, "add an example of %s to PluginConfigExamples in kong_plugin_config.go", name)
	}
	_, err = constructstest.Synth(func(chart constructs.Construct) {
		for _, c := range pc.PluginConfigExamples() {
			pc.NewKongPlugin(chart, c.PluginName(), pc.KongPluginProps{Config: c})
		}
	})
	assert.NoError(t, err, "every example is valid")
}
