package constructs_test

import (
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"

	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/constructs/constructstest"
)

// A Kong Gateway with its class, a rate limit, and an HTTPRoute that sends
// GET /ws on the API host to a WebSocket service, with the rate limit
// attached through an ExtensionRef filter. The service's POST /config is
// private, so no route may reach it.
func ExampleNewHTTPRoute() {
	objs, err := constructstest.Synth(func(chart constructs.Construct) {
		pc.NewGateway(chart, "kong", pc.GatewayProps{Listeners: []pc.Listener{{Name: "api", Host: "api.telepace.cc"}}})
		pc.NewKongPlugin(chart, "rate-limit", pc.KongPluginProps{Config: pc.RateLimiting{Minute: 600}})
		voiceflow := pc.NewMicroservice(chart, "voiceflow", pc.MicroserviceProps{
			Environment:  "prod",
			Image:        pc.ImageRef("ghcr.io/telepace/voiceflow", "v0.13.0"),
			Ports:        []pc.Port{{Name: "http", Port: 18080}},
			Probes:       pc.Probes{TCP: true},
			Resources:    resources("100m", "256Mi", "1", "512Mi"),
			PrivatePaths: []string{"/config"},
		})
		pc.NewHTTPRoute(voiceflow.Construct, "route", pc.HTTPRouteProps{
			Gateway:        pc.GatewayRef{Name: "kong"},
			Backend:        voiceflow,
			Host:           "api.telepace.cc",
			Routes:         []pc.Route{{Host: "api.telepace.cc", Path: "/ws", Exact: true, Methods: []string{"GET"}}},
			DefaultPlugins: []string{"rate-limit"},
		})
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	route := constructstest.Find(objs, "HTTPRoute", "voiceflow")
	rule := route["spec"].(map[string]any)["rules"].([]any)[0].(map[string]any)
	fmt.Println(rule["matches"])
	fmt.Println(rule["filters"])
	fmt.Println(constructstest.Find(objs, "GatewayClass", "kong")["spec"])
	// Output:
	// [map[method:GET path:map[type:Exact value:/ws]]]
	// [map[extensionRef:map[group:configuration.konghq.com kind:KongPlugin name:rate-limit] type:ExtensionRef]]
	// map[controllerName:konghq.com/kic-gateway-controller]
}

// A service with private paths is routed by exact paths only: a prefix such
// as /ws also matches /ws/../config, which a proxy or the service may
// resolve to the private /config.
func ExampleNewHTTPRoute_privatePath() {
	_, err := constructstest.Synth(func(chart constructs.Construct) {
		voiceflow := pc.NewMicroservice(chart, "voiceflow", pc.MicroserviceProps{
			Environment:  "prod",
			Image:        pc.ImageRef("ghcr.io/telepace/voiceflow", "v0.13.0"),
			Ports:        []pc.Port{{Name: "http", Port: 18080}},
			Probes:       pc.Probes{TCP: true},
			Resources:    resources("100m", "256Mi", "1", "512Mi"),
			PrivatePaths: []string{"/config"},
		})
		pc.NewHTTPRoute(voiceflow.Construct, "route", pc.HTTPRouteProps{
			Gateway: pc.GatewayRef{Name: "kong"},
			Backend: voiceflow,
			Host:    "api.telepace.cc",
			Routes:  []pc.Route{{Host: "api.telepace.cc", Path: "/ws"}},
		})
	})
	fmt.Println(err)
	// Output:
	// validation failed:
	//   [test/voiceflow/route] routes[0].path: path prefix "/ws": voiceflow has private paths (/config), so route it by exact paths only; a prefix also matches "/ws/../config"
}

// A typed Kong plugin: the config is checked against the limits of Kong's
// plugin schema, and written as the KongPlugin's config.
func ExampleNewKongPlugin() {
	app := cdk8s.NewApp(nil)
	chart := cdk8s.NewChart(app, jsii.String("example"), nil)
	pc.NewKongPlugin(chart, "request-size", pc.KongPluginProps{Config: pc.RequestSizeLimiting{AllowedPayloadSize: 10}})
	fmt.Print(*app.SynthYaml())
	// Output:
	// apiVersion: configuration.konghq.com/v1
	// kind: KongPlugin
	// metadata:
	//   labels:
	//     app.kubernetes.io/instance: gateway
	//     app.kubernetes.io/managed-by: Helm
	//     app.kubernetes.io/name: gateway
	//   name: request-size
	// config:
	//   allowed_payload_size: 10
	//   require_content_length: false
	//   size_unit: megabytes
	// plugin: request-size-limiting
}

// A consumer whose credentials stay in Secrets; the construct says which
// keys each Secret must hold.
func ExampleNewKongConsumer() {
	var consumer *pc.KongConsumer
	_, err := constructstest.Synth(func(chart constructs.Construct) {
		consumer = pc.NewKongConsumer(chart, "partner", pc.KongConsumerProps{Credentials: []pc.ConsumerCredential{
			{Secret: "partner-key", Type: "key-auth"},
			{Secret: "partner-jwt", Type: "jwt", Algorithm: "ES256"},
		}})
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range consumer.Credentials() {
		fmt.Println(c.Secret, c.Type, c.Keys())
	}
	// Output:
	// partner-key key-auth [key]
	// partner-jwt jwt [key algorithm secret or rsa_public_key]
}
