// Package constructs holds the typed cdk8s constructs of the Telepace
// platform.
//
// A construct takes a props struct whose every optional field documents its
// default, builds its Kubernetes objects from the typed k8s.io/api structs,
// and adds them to the cdk8s construct tree with NewTypedObject. Defaults are
// secure: non-root pods with a read-only root filesystem, no privilege
// escalation, all capabilities dropped, the RuntimeDefault seccomp profile,
// no mounted service account token, and mandatory requests and limits.
//
// Constructs never panic on bad props. They register every problem as a
// construct validation (AddProblems), and cdk8s reports them all at synth
// time, each prefixed with the construct path and naming the field:
//
//	[prod/voiceflow] image: tag "latest" is floating; prod needs a release tag (vX.Y.Z) or a digest
//
// CatchValidation turns that report into a *ValidationError.
//
// The constructs, one file family each:
//
//   - Microservice (microservice*.go): a service's Deployment, Service,
//     ServiceAccount, PodDisruptionBudget, NetworkPolicy, and where
//     configured its HorizontalPodAutoscaler, ConfigMap and migration Job.
//   - Gateway (gateway.go): a Kong GatewayClass and a Gateway API Gateway.
//   - HTTPRoute (http_route.go): a service's routes on one host, with Kong
//     plugins attached through ExtensionRef filters; a route that would
//     reach one of the service's PrivatePaths is an error.
//   - KongPlugin, KongClusterPlugin and KongConsumer (kong_plugin.go), with
//     one typed config per Kong plugin (kong_plugin_config.go) that mirrors
//     the limits of Kong's plugin schema.
//   - ServiceMonitor, PrometheusRule, AlertmanagerConfig and
//     GrafanaDashboard (service_monitor.go, prometheus_rule.go,
//     alertmanager_config.go, grafana_dashboard.go): metrics, alerts and
//     dashboards.
//   - SecretStore, PasswordGenerator and ExternalSecret
//     (external_secret.go), and SealedSecret (sealed_secret.go): every
//     Secret a construct reads (SecretReferences, secret_reference.go) is
//     produced in the cluster; no construct writes a Secret's data.
//   - EgressRule (egress.go): what a Microservice's NetworkPolicy admits
//     besides DNS.
//
// Every object is labelled through Labels, so pkg/synth files it under its
// service's template, and gets its apiVersion and kind from Scheme, which
// registers the built-in groups and the upstream Gateway API, Kong,
// Prometheus Operator, Sealed Secrets and External Secrets types; no
// construct writes a TypeMeta by hand.
//
// Constructs and objects are Go values until the jsii kernel needs them:
// the package queues them, in the order they are made, and hands a batch
// to the kernel in one call (through jsii/bulk, this project's jsii
// library) when something else adds a construct to the tree, when the app
// is synthesised (CatchValidation, App.Synth, App.SynthYaml), when code
// asks for more than a construct's id and path or an object's name, kind
// and metadata, or on Flush. So a chart built by this package's
// constructors costs one call into the kernel, and cdk8s still orders,
// validates and writes the same tree. Where a cdk8s or constructs
// function takes one of this package's constructs, pass Kernel(c); c
// itself works, through a callback into Go on every use.
//
// An App made with StartApp goes further: the kernel starts on a
// goroutine of its own while its charts (NewChart) and their constructs
// are built, and once it is ready, full batches go to it in the
// background, so node creates objects while Go builds the rest. Until
// the App's Kernel or Synth returns, the kernel is this package's: make
// no jsii call of your own. pkg/synth builds every chart this way.
//
// The package creates the jsii client on import, as every cdk8s Go program
// does, and the kernel (Node.js) starts with the first construct; call
// jsii.Close when done so that no node process outlives the program, then
// internal/jsiienv's Cleanup.
package constructs
