package apps

import "github.com/telepace/platform-charts/pkg/constructs"

// apiRoutes routes APIPrefix/<short> and everything below it on the API
// host to the service.
func apiRoutes(short string) func(Context) []constructs.Route {
	return func(ctx Context) []constructs.Route {
		return []constructs.Route{{Host: ctx.Domains.API, Path: APIPrefix + "/" + short}}
	}
}

// telepaceServer returns the props shared by the Telepace API servers
// (analysis and collection). Their ports and endpoints are not published:
// they are assumed to serve HTTP on 8080 with /healthz, /readyz and /metrics,
// as the platform design asks of every server. Override any of it in the
// environment's Customize hook.
func telepaceServer(ctx Context) constructs.MicroserviceProps {
	return constructs.MicroserviceProps{
		Component: "server",
		Ports:     []constructs.Port{{Name: "http", Port: 8080}},
		Metrics:   &constructs.Metrics{Port: "http", Path: "/metrics"},
		Config: map[string]string{
			"TELEPACE_ENVIRONMENT": ctx.TelepaceEnvironment,
		},
		WritablePaths: []string{"/tmp"},
	}
}
