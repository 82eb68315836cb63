package constructs

import (
	"cmp"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// PluginConfig is the typed config of one Kong plugin. Each implementation
// mirrors the fields and limits of the plugin's schema in Kong Gateway 3.x
// (kong/plugins/<name>/schema.lua); its JSON is the KongPlugin's config.
type PluginConfig interface {
	// PluginName is the plugin's name in Kong ("rate-limiting").
	PluginName() string
	// withDefaults returns the config with its documented defaults set.
	withDefaults() PluginConfig
	// validate returns problems, each "field: message", relative to config.
	validate() []string
}

// PluginConfigExamples returns one valid config of each typed plugin: the
// tests build each and validate it against Kong's pinned CRD. A new config
// type adds its example here; a test fails until it does.
func PluginConfigExamples() []PluginConfig {
	return []PluginConfig{
		RateLimiting{Second: 5, Minute: 100, Hour: 1000, Day: 10000},
		RequestSizeLimiting{AllowedPayloadSize: 512, SizeUnit: "kilobytes"},
		KeyAuth{HideCredentials: true},
		JWT{MaximumExpiration: 3600},
		IPRestriction{Allow: []string{"10.0.0.0/8", "2001:db8::/32"}},
		RequestTermination{StatusCode: 404, Message: "not here"},
		CORS{Origins: []string{"https://telepace.cc"}, Methods: []string{"GET"}, MaxAge: 60},
		CorrelationID{},
		Prometheus{LatencyMetrics: true},
	}
}

// RateLimiting is Kong's rate-limiting plugin: at most so many requests per
// period. Set at least one period; a longer period's limit may not be below
// a shorter one's.
type RateLimiting struct {
	// Second, Minute, Hour and Day are the limits per period; 0 leaves a
	// period unlimited. At least one is required.
	Second int `json:"second,omitempty"`
	Minute int `json:"minute,omitempty"`
	Hour   int `json:"hour,omitempty"`
	Day    int `json:"day,omitempty"`
	// LimitBy is what a limit counts: consumer, credential, ip, service or
	// header. Defaults to "ip" here (Kong's default, consumer, needs
	// authentication). With local counters each Kong replica counts on its
	// own, and behind a proxy that hides client addresses every client
	// shares one bucket.
	LimitBy string `json:"limit_by"`
	// HeaderName is the header counted when LimitBy is "header".
	HeaderName string `json:"header_name,omitempty"`
	// Policy is where counters live. Only "local" is supported: Kong's
	// "cluster" needs a database, which DB-less Kong lacks, and "redis"
	// needs connection settings this type does not carry yet. Defaults to
	// "local".
	Policy string `json:"policy"`
	// FaultTolerant keeps proxying when the counter store fails.
	FaultTolerant bool `json:"fault_tolerant"`
	// HideClientHeaders leaves the X-RateLimit-* headers out of responses.
	HideClientHeaders bool `json:"hide_client_headers"`
}

// PluginName returns "rate-limiting".
func (RateLimiting) PluginName() string { return "rate-limiting" }

func (c RateLimiting) validate() []string {
	var errs problems
	periods := []struct {
		name  string
		limit int
	}{{"second", c.Second}, {"minute", c.Minute}, {"hour", c.Hour}, {"day", c.Day}}
	set := 0
	prev := ""
	prevLimit := 0
	for _, p := range periods {
		if p.limit < 0 {
			errs.addf(p.name, "%d is negative; a limit is a positive number of requests", p.limit)
			continue
		}
		if p.limit == 0 {
			continue
		}
		set++
		if prev != "" && p.limit < prevLimit {
			errs.addf(p.name, "%d is below the limit per %s (%d); a longer period cannot allow fewer requests", p.limit, prev, prevLimit)
		}
		prev, prevLimit = p.name, p.limit
	}
	if set == 0 && len(errs) == 0 {
		errs.addf("second", "set a limit for at least one of second, minute, hour or day")
	}
	oneOf(&errs, "limitBy", c.LimitBy, "consumer", "credential", "ip", "service", "header")
	if c.LimitBy == "header" && c.HeaderName == "" {
		errs.addf("headerName", "is required when limitBy is header")
	} else if c.HeaderName != "" && !headerName.MatchString(c.HeaderName) {
		errs.addf("headerName", "%q is not a header name", c.HeaderName)
	}
	switch c.Policy {
	case "local":
	case "cluster":
		errs.addf("policy", `"cluster" needs a Kong database; DB-less Kong counts locally`)
	case "redis":
		errs.addf("policy", `"redis" needs connection settings this config does not carry; use "local"`)
	default:
		oneOf(&errs, "policy", c.Policy, "local")
	}
	return errs
}

// RequestSizeLimiting is Kong's request-size-limiting plugin: requests with
// a larger body get 413.
type RequestSizeLimiting struct {
	// AllowedPayloadSize is the largest body, in SizeUnit. Required.
	AllowedPayloadSize int `json:"allowed_payload_size"`
	// SizeUnit is "bytes", "kilobytes" or "megabytes". Defaults to
	// "megabytes".
	SizeUnit string `json:"size_unit"`
	// RequireContentLength rejects requests without a Content-Length.
	RequireContentLength bool `json:"require_content_length"`
}

// PluginName returns "request-size-limiting".
func (RequestSizeLimiting) PluginName() string { return "request-size-limiting" }

func (c RequestSizeLimiting) validate() []string {
	var errs problems
	if c.AllowedPayloadSize <= 0 {
		errs.addf("allowedPayloadSize", "%d must be positive", c.AllowedPayloadSize)
	}
	oneOf(&errs, "sizeUnit", c.SizeUnit, "bytes", "kilobytes", "megabytes")
	return errs
}

// KeyAuth is Kong's key-auth plugin: requests need a consumer's API key.
// The keys live in Secrets that KongConsumer credentials reference.
type KeyAuth struct {
	// KeyNames are the headers (and query parameters) that carry the key.
	// Defaults to ["apikey"].
	KeyNames []string `json:"key_names"`
	// HideCredentials strips the key before proxying; upstream services
	// rarely need it. Defaults to false, as in Kong.
	HideCredentials bool `json:"hide_credentials"`
	// KeyInQuery also accepts the key as a query parameter, where it ends up
	// in access logs. Defaults to false (Kong's own default is true).
	KeyInQuery bool `json:"key_in_query"`
}

// PluginName returns "key-auth".
func (KeyAuth) PluginName() string { return "key-auth" }

var headerName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func (c KeyAuth) validate() []string {
	var errs problems
	if len(c.KeyNames) == 0 {
		errs.addf("keyNames", "at least one is required")
	}
	for i, n := range c.KeyNames {
		if !headerName.MatchString(n) {
			errs.addf(fmt.Sprintf("keyNames[%d]", i), "%q may hold only letters, digits, '_' and '-'", n)
		}
	}
	return errs
}

// DefaultJWTAlgorithm is a jwt credential's algorithm when none is set.
const DefaultJWTAlgorithm = "HS256"

// JWTAlgorithms are the signing algorithms Kong accepts on a JWT credential.
var JWTAlgorithms = []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"}

// JWT is Kong's jwt plugin: requests need a token signed with a consumer's
// JWT credential. The signing algorithm belongs to the credential (see
// ConsumerCredential).
type JWT struct {
	// ClaimsToVerify are registered claims Kong checks: "exp", "nbf".
	// Defaults to ["exp"].
	ClaimsToVerify []string `json:"claims_to_verify"`
	// MaximumExpiration bounds a token's lifetime, in seconds, up to a
	// year; 0 means unbounded. It needs "exp" in ClaimsToVerify.
	MaximumExpiration int `json:"maximum_expiration"`
	// KeyClaimName is the claim that names the credential. Defaults to
	// "iss".
	KeyClaimName string `json:"key_claim_name"`
	// HeaderNames carry the token. Defaults to ["authorization"].
	HeaderNames []string `json:"header_names"`
}

// PluginName returns "jwt".
func (JWT) PluginName() string { return "jwt" }

func (c JWT) validate() []string {
	var errs problems
	for i, claim := range c.ClaimsToVerify {
		oneOf(&errs, fmt.Sprintf("claimsToVerify[%d]", i), claim, "exp", "nbf")
	}
	if c.MaximumExpiration < 0 || c.MaximumExpiration > 31536000 {
		errs.addf("maximumExpiration", "%d is outside 0-31536000 seconds", c.MaximumExpiration)
	} else if c.MaximumExpiration > 0 && !slices.Contains(c.ClaimsToVerify, "exp") {
		errs.addf("maximumExpiration", `needs "exp" in claimsToVerify`)
	}
	if c.KeyClaimName == "" {
		errs.addf("keyClaimName", "is required")
	}
	if len(c.HeaderNames) == 0 {
		errs.addf("headerNames", "at least one is required")
	}
	for i, h := range c.HeaderNames {
		if !headerName.MatchString(h) {
			errs.addf(fmt.Sprintf("headerNames[%d]", i), "%q is not a header name", h)
		}
	}
	return errs
}

// IPRestriction is Kong's ip-restriction plugin: allow or deny clients by
// address. Set Allow, Deny, or both.
type IPRestriction struct {
	// Allow lists the addresses or CIDR ranges admitted; all others are
	// refused.
	Allow []string `json:"allow,omitempty"`
	// Deny lists the addresses or CIDR ranges refused.
	Deny []string `json:"deny,omitempty"`
	// Status is the response code for a refused client. Defaults to 403.
	Status int `json:"status"`
	// Message is the response body for a refused client.
	Message string `json:"message,omitempty"`
}

// PluginName returns "ip-restriction".
func (IPRestriction) PluginName() string { return "ip-restriction" }

func (c IPRestriction) validate() []string {
	var errs problems
	if len(c.Allow) == 0 && len(c.Deny) == 0 {
		errs.addf("allow", "set allow, deny, or both")
	}
	for field, list := range map[string][]string{"allow": c.Allow, "deny": c.Deny} {
		for i, a := range list {
			if net.ParseIP(a) == nil {
				if _, _, err := net.ParseCIDR(a); err != nil {
					errs.addf(fmt.Sprintf("%s[%d]", field, i), "%q is not an IP address or CIDR range", a)
				}
			}
		}
	}
	slices.Sort(errs) // map order
	if c.Status < 400 || c.Status > 599 {
		errs.addf("status", "%d is not an error status (400-599); a refused client must not look served", c.Status)
	}
	return errs
}

// RequestTermination is Kong's request-termination plugin: answer every
// request itself, without proxying.
type RequestTermination struct {
	// StatusCode is the response status, 100-599. Defaults to 503.
	StatusCode int `json:"status_code"`
	// Message is a JSON message body. Set Message, or Body with
	// ContentType, not both.
	Message string `json:"message,omitempty"`
	// Body is a raw body of ContentType.
	Body string `json:"body,omitempty"`
	// ContentType is Body's media type; required with Body.
	ContentType string `json:"content_type,omitempty"`
}

// PluginName returns "request-termination".
func (RequestTermination) PluginName() string { return "request-termination" }

func (c RequestTermination) validate() []string {
	var errs problems
	if c.StatusCode < 100 || c.StatusCode > 599 {
		errs.addf("statusCode", "%d is outside 100-599", c.StatusCode)
	}
	if c.Message != "" && (c.Body != "" || c.ContentType != "") {
		errs.addf("message", "set message, or body with contentType, not both")
	}
	if (c.Body == "") != (c.ContentType == "") {
		errs.addf("contentType", "body and contentType go together")
	}
	return errs
}

// CORS is Kong's cors plugin.
type CORS struct {
	// Origins may call the API from a browser: exact origins
	// ("https://telepace.cc") or "*". Required.
	Origins []string `json:"origins"`
	// Methods are the allowed methods. Defaults to Kong's: every method.
	Methods []string `json:"methods,omitempty"`
	// Headers are the request headers allowed. Defaults to those the
	// preflight asks for.
	Headers []string `json:"headers,omitempty"`
	// ExposedHeaders are response headers the browser may read.
	ExposedHeaders []string `json:"exposed_headers,omitempty"`
	// Credentials allows cookies and authorization headers.
	Credentials bool `json:"credentials"`
	// MaxAge caches a preflight answer, in seconds.
	MaxAge int `json:"max_age,omitempty"`
}

// PluginName returns "cors".
func (CORS) PluginName() string { return "cors" }

var corsMethods = []string{"GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE", "CONNECT"}

func (c CORS) validate() []string {
	var errs problems
	if len(c.Origins) == 0 {
		errs.addf("origins", "at least one origin is required")
	}
	for i, o := range c.Origins {
		if o == "*" {
			if c.Credentials {
				errs.addf(fmt.Sprintf("origins[%d]", i), `"*" cannot be combined with credentials; browsers refuse it`)
			}
			continue
		}
		if msg := originProblem(o); msg != "" {
			errs.addf(fmt.Sprintf("origins[%d]", i), "%q %s", o, msg)
		}
	}
	for i, m := range c.Methods {
		oneOf(&errs, fmt.Sprintf("methods[%d]", i), m, corsMethods...)
	}
	if c.MaxAge < 0 {
		errs.addf("maxAge", "%d is negative", c.MaxAge)
	}
	return errs
}

// AllowsAnyOrigin reports whether the config admits every origin ("*").
func (c CORS) AllowsAnyOrigin() bool { return slices.Contains(c.Origins, "*") }

// CorrelationID is Kong's correlation-id plugin: every request gets an ID
// header, passed upstream and into logs.
type CorrelationID struct {
	// HeaderName carries the ID. Defaults to "X-Request-ID".
	HeaderName string `json:"header_name"`
	// Generator is "uuid", "uuid#counter" or "tracker". Defaults to
	// "uuid#counter".
	Generator string `json:"generator"`
	// EchoDownstream returns the ID to the client too.
	EchoDownstream bool `json:"echo_downstream"`
}

// PluginName returns "correlation-id".
func (CorrelationID) PluginName() string { return "correlation-id" }

func (c CorrelationID) validate() []string {
	var errs problems
	if !headerName.MatchString(c.HeaderName) {
		errs.addf("headerName", "%q is not a header name", c.HeaderName)
	} else if slices.Contains(reservedHeaders, strings.ToLower(c.HeaderName)) {
		errs.addf("headerName", "%q is a standard HTTP header; the ID would overwrite it", c.HeaderName)
	}
	oneOf(&errs, "generator", c.Generator, "uuid", "uuid#counter", "tracker")
	return errs
}

// Prometheus is Kong's prometheus plugin: request metrics per service and
// route (kong_http_requests_total, kong_request_latency_ms), served on
// Kong's status port.
type Prometheus struct {
	// StatusCodeMetrics counts responses by status code.
	StatusCodeMetrics bool `json:"status_code_metrics"`
	// LatencyMetrics records latency histograms.
	LatencyMetrics bool `json:"latency_metrics"`
	// BandwidthMetrics counts bytes.
	BandwidthMetrics bool `json:"bandwidth_metrics"`
	// UpstreamHealthMetrics exports upstream target health.
	UpstreamHealthMetrics bool `json:"upstream_health_metrics"`
	// PerConsumer labels metrics by consumer.
	PerConsumer bool `json:"per_consumer"`
}

// PluginName returns "prometheus".
func (Prometheus) PluginName() string { return "prometheus" }

func (c Prometheus) validate() []string { return nil }

// reservedHeaders are headers a plugin must not take over.
var reservedHeaders = []string{"host", "content-length", "content-type", "transfer-encoding", "connection", "authorization", "cookie", "origin", "upgrade"}

// originProblem says why o is not a literal browser origin, or returns "".
// Kong reads an origin with any character outside letters, digits and
// ".:/-" as a regular expression, so only literal scheme://host[:port]
// origins are accepted: a pattern such as "https://.*" would admit every
// site.
func originProblem(o string) string {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "is not an origin: scheme://host[:port]"
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.Count(o, "/") != 2 {
		return "is not an origin: no path, query or credentials"
	}
	host := u.Hostname()
	if net.ParseIP(host) == nil && len(validation.IsDNS1123Subdomain(host)) > 0 {
		return "has a host that is not a DNS name; Kong would read it as a regular expression"
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "has an invalid port"
		}
	}
	return ""
}

// oneOf reports value unless it is one of allowed.
func oneOf(errs *problems, field, value string, allowed ...string) {
	if !slices.Contains(allowed, value) {
		errs.addf(field, "%q is not one of %s", value, strings.Join(allowed, ", "))
	}
}

func (c RateLimiting) withDefaults() PluginConfig {
	c.LimitBy = cmp.Or(c.LimitBy, "ip")
	c.Policy = cmp.Or(c.Policy, "local")
	return c
}

func (c RequestSizeLimiting) withDefaults() PluginConfig {
	c.SizeUnit = cmp.Or(c.SizeUnit, "megabytes")
	return c
}

func (c KeyAuth) withDefaults() PluginConfig {
	if c.KeyNames == nil {
		c.KeyNames = []string{"apikey"}
	}
	return c
}

func (c JWT) withDefaults() PluginConfig {
	if c.ClaimsToVerify == nil {
		c.ClaimsToVerify = []string{"exp"}
	}
	c.KeyClaimName = cmp.Or(c.KeyClaimName, "iss")
	if c.HeaderNames == nil {
		c.HeaderNames = []string{"authorization"}
	}
	return c
}

func (c IPRestriction) withDefaults() PluginConfig {
	c.Status = cmp.Or(c.Status, 403)
	return c
}

func (c RequestTermination) withDefaults() PluginConfig {
	c.StatusCode = cmp.Or(c.StatusCode, 503)
	return c
}

func (c CORS) withDefaults() PluginConfig { return c }

func (c CorrelationID) withDefaults() PluginConfig {
	c.HeaderName = cmp.Or(c.HeaderName, "X-Request-ID")
	c.Generator = cmp.Or(c.Generator, "uuid#counter")
	return c
}

func (c Prometheus) withDefaults() PluginConfig { return c }
