// Package environments declares dev, staging and prod, one file each, holding
// only what differs between them: replicas and resources, image tags (one map
// per environment, the single source of truth), domains, the values of
// TELEPACE_ENVIRONMENT and NEXT_PUBLIC_*, and the addresses of the database,
// cache and object store.
//
// Each environment also says how its services are exposed (Gateway): the
// Gateway its HTTPRoutes attach to (dev's chart carries its own; staging and
// prod attach to the separately run gateway layer), the Kong plugins every
// route applies, with limits and CORS origins of its own, and whether
// floating image tags are allowed (AllowFloatingTags).
//
// Each environment says where its Secrets come from (Secrets,
// secrets.go): a Google Secret Manager store in staging and prod, generated
// passwords and a developer store in dev. Compose gives every Secret the
// services, Kong consumers and Alertmanager receivers read exactly one
// producer, and reports a key read but not produced, or produced but not
// read. It also checks egress into the namespace against the ports declared
// there (egress.go).
//
// Each environment also says how Argo CD delivers it (Delivery): automated
// or by hand (production), and to which cluster. GitOps.ComposeGitOps
// (delivery.go) builds the AppProject and Applications of
// charts/generated/argocd from all of them, fenced to this repository, the
// environments' namespaces and the kinds in ProjectNamespacedKinds and
// ProjectClusterKinds.
//
// Environment.Compose turns an environment into Microservice constructs
// under its chart, and the apps' routes into HTTPRoutes; problems with the
// environment itself, and those that span services (clashing routes,
// unknown services or plugins), are reported through cdk8s validation with
// everything else.
package environments
