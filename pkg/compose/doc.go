// Package compose plans an environment: it turns the data of
// environments/ and the facts of apps/ into the props of every construct
// of the environment's chart, layer by layer, and reports every problem
// with the construct path it is about.
//
// Each layer is a function from the environment (and the layers before
// it) to a plan of plain Go values, made without jsii or node, so its
// rules are tested beside it, table-driven, in milliseconds:
//
//   - services.go: the environment's own fields and its services, each an
//     app's props with the environment's replicas, resources, image,
//     tracing and gateway peer; egress into the namespace checked against
//     the ports declared there;
//   - gateway.go: the Gateway, Kong plugins and consumers, and one
//     HTTPRoute per backend and host; unknown services and plugins, and
//     routes two services claim;
//   - monitoring.go: ServiceMonitors, PrometheusRules and dashboards per
//     service, the AlertmanagerConfig and the overview dashboard;
//   - secrets.go: exactly one producer (SealedSecret, generated
//     ExternalSecret, or ExternalSecret of the store) for every Secret a
//     service, consumer, receiver or umbrella chart reads;
//   - umbrella.go: the dev umbrella's pins, values and retention;
//   - delivery.go: the environment's Argo CD delivery, and PlanDelivery,
//     the AppProjects and Applications of every environment.
//
// Compose runs the layers in order and returns the Plan. Build adds the
// plan's constructs to the environment's cdk8s chart and attaches each
// problem to the construct at its path, so cdk8s reports them with the
// constructs' own. pkg/synth renders the chart README and the topology
// from the same plan, so nothing is computed twice.
package compose
