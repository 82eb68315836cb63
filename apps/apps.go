package apps

import (
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/telepace/platform-charts/pkg/constructs"
)

// Context is what an environment tells a service about where it runs. Apps
// turn it into MicroserviceProps; the environment then applies its own image,
// replicas and resources on top.
type Context struct {
	// Environment is the short environment name: "dev", "staging" or "prod".
	Environment string
	// TelepaceEnvironment is the long name the services read from
	// TELEPACE_ENVIRONMENT and NEXT_PUBLIC_ENV: "development", "staging" or
	// "production".
	TelepaceEnvironment string
	// Domains are the public host names.
	Domains Domains
	// Backends are the addresses of the data services.
	Backends Backends
}

// Domains are the public host names of an environment.
type Domains struct {
	// API serves the APIs and the WebSocket through Kong, e.g. "api.telepace.cc".
	API string
	// Web serves the front end, e.g. "telepace.cc".
	Web string
}

// APIURL returns the public base URL of the REST API.
func (d Domains) APIURL() string { return "https://" + d.API + "/api" }

// WebURL returns the public URL of the front end.
func (d Domains) WebURL() string { return "https://" + d.Web }

// WebSocketURL returns the public URL of the WebSocket endpoint.
func (d Domains) WebSocketURL() string { return "wss://" + d.API + "/ws" }

// Backends are the addresses of the data services an environment provides:
// in-cluster services in dev, managed services in prod.
type Backends struct {
	// Postgres is the PostgreSQL server.
	Postgres Endpoint
	// Redis is the Redis server.
	Redis Endpoint
	// ObjectStore is the S3-compatible object store (SeaweedFS in dev).
	ObjectStore Endpoint
}

// Endpoint is a host and port.
type Endpoint struct {
	// Host is a DNS name or address.
	Host string
	// Port is the TCP port.
	Port int32
	// CIDR narrows egress to a service outside the cluster to its address
	// range. Defaults to any address, on Port only.
	CIDR string
}

// Egress returns the rule that lets a service reach the endpoint.
func (e Endpoint) Egress(name string) constructs.EgressRule {
	return constructs.EgressTo(name, e.Host, e.Port, e.CIDR)
}

// ProvidersEgress admits HTTPS to addresses outside the cluster's private
// ranges: the speech, LLM and storage providers' APIs. Their addresses
// rotate across large cloud ranges, so no CIDR list is kept in git; the
// private ranges (and the cloud metadata server) stay closed.
func ProvidersEgress() constructs.EgressRule {
	return constructs.EgressRule{Name: "providers-https", Internet: true, Ports: []constructs.EgressPort{{Port: 443}}}
}

// String returns "host:port".
// An IPv6 address is bracketed: "[fd00::1]:9000".
func (e Endpoint) String() string { return net.JoinHostPort(e.Host, strconv.Itoa(int(e.Port))) }

// App is one Telepace service: what is true of it in every environment.
type App struct {
	// Name is the service's name, and the default name of its objects.
	Name string
	// Repository is the image repository; the environment picks the tag.
	Repository string
	// Props returns the service's props for an environment. Image, replicas
	// and resources are left for the environment to set.
	Props func(Context) constructs.MicroserviceProps
	// Routes returns the service's public routes through the gateway, on the
	// environment's hosts. Nil means the service is not public.
	Routes func(Context) []constructs.Route
}

// APIPrefix is the path prefix of every API on the API host; each API
// serves under APIPrefix + "/" + its short name, and receives the full
// path (no prefix is stripped).
const APIPrefix = "/api"

// catalog lists every service, by name.
var catalog = []App{Analysis, Collection, FeedbackCollectionAPI, Voiceflow, Web}

// Lookup returns the service called name.
func Lookup(name string) (App, bool) {
	i := slices.IndexFunc(catalog, func(a App) bool { return a.Name == name })
	if i < 0 {
		return App{}, false
	}
	return catalog[i], true
}

// Names returns the names of every service, sorted.
func Names() []string {
	names := make([]string, 0, len(catalog))
	for _, a := range catalog {
		names = append(names, a.Name)
	}
	slices.Sort(names)
	return names
}

// KnownNames returns Names joined for error messages.
func KnownNames() string { return strings.Join(Names(), ", ") }
