package compose_test

import (
	"slices"
	"strings"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/environments/environmentstest"
	pc "github.com/telepace/platform-charts/pkg/constructs"
)

// gatewayInputs are mistakes in routes, Kong plugins and consumers, and where the routes attach, which the gateway layer reports.
var gatewayInputs = []badInput{
	{
		name: "route to an unknown service",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.CustomRoutes(e, "analysis", pc.Route{Host: "api.dev.telepace.cc", Path: "/api/" + noService, Service: noService})
		}),
		want: []string{`[dev/analysis] routes[0].service: unknown service "` + noService + `"; services in dev: ` + strings.Join(devServiceNames(), ", ")},
	},
	{
		name: "two services claim the same host, path and method",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.CustomRoutes(e, "collection", pc.Route{Host: "api.dev.telepace.cc", Path: "/api/analysis/"})
		}),
		want: []string{`[dev] routes: every method of /api/analysis/ on api.dev.telepace.cc is claimed by both analysis routes[0] and collection routes[0]`},
	},
	{
		name: "a * CORS origin in prod",
		envs: func() []environments.Environment {
			e := environmentstest.Lookup("prod")
			e.Gateway.Plugins = slices.Clone(e.Gateway.Plugins)
			for i, p := range e.Gateway.Plugins {
				if cors, ok := p.Config.(pc.CORS); ok {
					cors.Origins = []string{"https://telepace.cc", "*"}
					cors.Credentials = false
					e.Gateway.Plugins[i].Config = cors
				}
			}
			return []environments.Environment{e}
		},
		want: []string{`[prod/gateway/plugins/cors] config.origins[1]: "*" admits every origin; prod allows only the origins it lists`},
	},
	{
		name: "a plugin no route can find",
		envs: one(func(e environments.Environment) environments.Environment {
			e = environmentstest.CustomRoutes(e, "analysis", pc.Route{Host: "api.dev.telepace.cc", Path: "/api/analysis", Plugins: []string{"key-auth"}})
			e.Gateway.DefaultPlugins = append(slices.Clone(e.Gateway.DefaultPlugins), "jwt")
			return e
		}),
		want: []string{
			`[dev] gateway.defaultPlugins[4]: no plugin named "jwt" in gateway.plugins`,
			`[dev/analysis] routes[0].plugins[0]: no plugin named "key-auth" in the environment's gateway.plugins`,
		},
	},
	{
		name: "a route on a host the environment does not serve",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.CustomRoutes(e, "web", pc.Route{Host: "evil.example.com", Path: "/"})
		}),
		want: []string{`[dev/web] routes[0].host: "evil.example.com" is neither of dev's hosts, api.dev.telepace.cc and dev.telepace.cc`},
	},
	{
		name: "an any-method route clashes with a method route on the same path",
		envs: one(func(e environments.Environment) environments.Environment {
			return environmentstest.CustomRoutes(e, "analysis", pc.Route{Host: "api.dev.telepace.cc", Path: "/ws", Exact: true})
		}),
		want: []string{`[dev] routes: GET /ws on api.dev.telepace.cc is claimed by both analysis routes[0] and voiceflow routes[0]`},
	},
	{
		name: "gateway placement mistakes",
		envs: one(func(e environments.Environment) environments.Environment {
			e.Gateway.Ref.Namespace = "kong"
			e.Domains.Web = e.Domains.API
			return e
		}),
		want: []string{
			`[dev] gateway.ref.namespace: must be empty when the chart creates the Gateway; it lives in the release namespace telepace-dev`,
			`[dev] domains: the API and web hosts are both "api.dev.telepace.cc"; routes and listeners need two hosts`,
		},
	},
	{
		name: "cluster-wide plugins on a shared gateway",
		envs: func() []environments.Environment {
			e := environmentstest.Lookup("prod")
			e.Gateway.ClusterPlugins = []pc.KongClusterPluginProps{{Name: "cors-everywhere", Global: true, Config: pc.CORS{Origins: []string{"*"}}}}
			return []environments.Environment{e}
		},
		want: []string{
			`[prod] gateway.clusterPlugins: only an environment whose chart creates the gateway may carry cluster-wide plugins; they would act on every route of the shared gateway`,
			`[prod/gateway/cluster-plugins/cors-everywhere] config.origins[0]: "*" admits every origin; prod allows only the origins it lists`,
		},
	},
	{
		name: "names used twice, consumers sharing a username and a Secret",
		envs: one(func(e environments.Environment) environments.Environment {
			e.Gateway.ClusterPlugins = append(slices.Clone(e.Gateway.ClusterPlugins), pc.KongClusterPluginProps{Name: "prometheus", Config: pc.Prometheus{}})
			e.Gateway.Consumers = []pc.KongConsumerProps{
				{Name: "cors", Credentials: []pc.ConsumerCredential{{Secret: "shared-key", Type: "key-auth"}}},
				{Name: "partner", Username: "cors", Credentials: []pc.ConsumerCredential{{Secret: "shared-key", Type: "key-auth"}}},
			}
			return e
		}),
		want: []string{
			`[dev] gateway.clusterPlugins[1].name: "prometheus" is empty or used twice`,
			`[dev] gateway.consumers[1].username: "cors" is already gateway.consumers[0]'s; Kong needs unique usernames`,
			`[dev] gateway.consumers[1].credentials[0].secret: "shared-key" is already cors's credential; a credential belongs to one consumer`,
		},
	},
}
