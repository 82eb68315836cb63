package apps

import "github.com/telepace/platform-charts/pkg/constructs"

// Web is the Next.js front end (ghcr.io/telepace/web). It talks to the APIs
// through Kong at the public API domain.
//
// Next.js listens on 3000 by default; the image publishes no health
// endpoint, so the probes are TCP connects until it does. Next.js writes its
// image cache under .next/cache, assumed at /app/.next/cache as in the
// standalone image layout.
var Web = App{
	Name:       "web",
	Repository: "ghcr.io/telepace/web",
	Props: func(ctx Context) constructs.MicroserviceProps {
		return constructs.MicroserviceProps{
			Component: "frontend",
			Ports:     []constructs.Port{{Name: "http", Port: 3000}},
			Probes:    constructs.Probes{TCP: true},
			Config: map[string]string{
				"NEXT_PUBLIC_API_URL":       ctx.Domains.APIURL(),
				"NEXT_PUBLIC_WEB_URL":       ctx.Domains.WebURL(),
				"NEXT_PUBLIC_WEBSOCKET_URL": ctx.Domains.WebSocketURL(),
				"NEXT_PUBLIC_ENV":           ctx.TelepaceEnvironment,
				"NEXT_PUBLIC_ENABLE_TTS":    "true",
			},
			WritablePaths: []string{"/app/.next/cache", "/tmp"},
			// Server-side rendering calls the public API URL, which leaves
			// the cluster through the load balancer.
			Egress: []constructs.EgressRule{{Name: "public-api", Internet: true, Ports: []constructs.EgressPort{{Port: 443}}}},
		}
	},
	// The whole web host is the front end.
	Routes: func(ctx Context) []constructs.Route {
		return []constructs.Route{{Host: ctx.Domains.Web, Path: "/"}}
	},
}
